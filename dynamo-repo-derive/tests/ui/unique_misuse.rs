use dynamo_repo::{Attribute, Entity};

#[derive(Entity)]
#[dynamo(table = "users")]
struct UniqueKey {
    #[dynamo(partition_key, unique)]
    id: String,
    #[dynamo(unique)]
    email: String,
}

#[derive(Entity)]
#[dynamo(table = "users")]
struct UniqueSortKey {
    #[dynamo(partition_key)]
    id: String,
    #[dynamo(sort_key, unique)]
    at: u64,
}

#[derive(Entity)]
#[dynamo(table = "app", pk = "USER#{id}", sk = "USER")]
struct UniqueTemplateSource {
    #[dynamo(unique)]
    id: String,
}

#[derive(Entity)]
#[dynamo(table = "users")]
struct UniqueConversions {
    #[dynamo(partition_key)]
    id: String,
    #[dynamo(unique, skip)]
    cached: String,
    #[dynamo(unique, serde)]
    blob: String,
    #[dynamo(unique, version)]
    version: u64,
}

#[derive(Attribute)]
struct Address {
    #[dynamo(unique)]
    street: String,
}

fn main() {}
