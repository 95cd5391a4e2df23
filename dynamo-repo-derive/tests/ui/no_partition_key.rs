use dynamo_repo::Entity;

#[derive(Entity)]
#[dynamo(table = "users")]
struct User {
    id: String,
    name: String,
}

fn main() {}
