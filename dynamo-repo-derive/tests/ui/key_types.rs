use dynamo_repo::Entity;
use std::collections::HashMap;

#[derive(Entity)]
#[dynamo(table = "t_a")]
struct ListKey {
    #[dynamo(partition_key)]
    id: Vec<String>,
}

#[derive(Entity)]
#[dynamo(table = "t_b")]
struct OptionKey {
    #[dynamo(partition_key)]
    id: Option<String>,
}

#[derive(Entity)]
#[dynamo(table = "t_c")]
struct BoolKey {
    #[dynamo(partition_key)]
    id: String,
    #[dynamo(sort_key)]
    flag: bool,
}

#[derive(Entity)]
#[dynamo(table = "t_d")]
struct MapKey {
    #[dynamo(partition_key)]
    id: HashMap<String, String>,
}

#[derive(Entity)]
#[dynamo(table = "t_e")]
struct FloatKey {
    #[dynamo(partition_key)]
    id: f64,
}

fn main() {}
