use dynamo_repo::Entity;

#[derive(Entity)]
#[dynamo(table = "users", rename_all = "camelCase")]
struct User {
    #[dynamo(partition_key)]
    id: String,
    #[dynamo(rename = "displayName")]
    name: String,
    display_name: String,
}

fn main() {}
