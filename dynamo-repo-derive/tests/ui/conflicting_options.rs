use dynamo_repo::{Attribute, Entity};

#[derive(Entity)]
struct NoTable {
    #[dynamo(partition_key, default)]
    id: String,
    #[dynamo(skip, rename = "x")]
    cache: Option<String>,
    #[dynamo(serde, binary)]
    blob: Vec<u8>,
    #[dynamo(ttl)]
    expires: String,
}

#[derive(Attribute)]
#[dynamo(table = "nested")]
struct Nested {
    #[dynamo(partition_key)]
    id: String,
}

#[derive(Attribute)]
enum WithData {
    A(u32),
    B,
}

fn main() {}
