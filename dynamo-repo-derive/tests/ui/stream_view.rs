//! A stream view type DynamoDB does not know is a compile error listing the four it does.
use dynamo_repo::Entity;

#[derive(Entity)]
#[dynamo(table = "orders", stream = "new_images")]
struct Order {
    #[dynamo(partition_key)]
    id: String,
}

#[derive(dynamo_repo::Attribute)]
#[dynamo(stream = "keys_only")]
struct Meta {
    note: String,
}

fn main() {}
