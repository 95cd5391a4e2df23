use dynamo_repo::{Attribute, Entity, Item};

#[derive(Entity)]
#[dynamo(table = "users")]
struct TwoExtras {
    #[dynamo(partition_key)]
    id: String,
    #[dynamo(extra)]
    rest: Item,
    #[dynamo(extra)]
    more: Item,
}

#[derive(Entity)]
#[dynamo(table = "users")]
struct ExtraOnAKey {
    #[dynamo(partition_key, extra)]
    id: Item,
}

#[derive(Entity)]
#[dynamo(table = "users")]
struct ExtraWithOptions {
    #[dynamo(partition_key)]
    id: String,
    #[dynamo(extra, rename = "rest", default)]
    rest: Item,
}

#[derive(Entity)]
#[dynamo(table = "app", pk = "USER#{rest}")]
struct ExtraInATemplate {
    id: String,
    #[dynamo(extra)]
    rest: Item,
}

#[derive(Entity)]
#[dynamo(table = "users", gsi(name = "by_rest", partition_key = rest))]
struct ExtraAsAnIndexKey {
    #[dynamo(partition_key)]
    id: String,
    #[dynamo(extra)]
    rest: Item,
}

#[derive(Attribute)]
struct ExtraOnAnAttribute {
    name: String,
    #[dynamo(extra)]
    rest: Item,
}

fn main() {}
