use dynamo_repo::Entity;

#[derive(Entity)]
#[dynamo(table = "users")]
struct UniqueFloat {
    #[dynamo(partition_key)]
    id: String,
    #[dynamo(unique)]
    score: f64,
    #[dynamo(unique)]
    tags: Vec<String>,
    #[dynamo(unique)]
    maybe: Option<f32>,
}

#[derive(Entity)]
#[dynamo(table = "accounts")]
struct NumberKeyed {
    #[dynamo(partition_key)]
    id: u64,
    #[dynamo(unique)]
    email: String,
}

fn main() {}
