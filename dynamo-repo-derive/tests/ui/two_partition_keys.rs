use dynamo_repo::Entity;

#[derive(Entity)]
#[dynamo(table = "users")]
struct User {
    #[dynamo(partition_key)]
    id: String,
    #[dynamo(partition_key)]
    email: String,
    #[dynamo(sort_key)]
    a: String,
    #[dynamo(sort_key)]
    b: String,
}

fn main() {}
