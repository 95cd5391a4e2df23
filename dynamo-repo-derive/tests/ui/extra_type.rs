use dynamo_repo::Entity;
use std::collections::BTreeMap;

#[derive(Entity)]
#[dynamo(table = "users")]
struct ExtraOfAnotherType {
    #[dynamo(partition_key)]
    id: String,
    #[dynamo(extra)]
    rest: BTreeMap<String, String>,
}

fn main() {}
