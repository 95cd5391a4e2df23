use dynamo_repo::Entity;

#[derive(Entity)]
#[dynamo(table = "ab")]
struct TooShort {
    #[dynamo(partition_key)]
    id: String,
}

#[derive(Entity)]
#[dynamo(table = "my table!", gsi(name = "by:owner", partition_key = owner))]
struct BadCharacters {
    #[dynamo(partition_key)]
    id: String,
    owner: String,
}

#[derive(Entity)]
#[dynamo(table = "users", lsi(name = "x", sort_key = created))]
struct ShortIndex {
    #[dynamo(partition_key)]
    id: String,
    #[dynamo(sort_key)]
    at: String,
    created: String,
}

fn main() {}
