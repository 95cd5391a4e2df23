use dynamo_repo::Entity;

#[derive(Entity)]
#[dynamo(table = "users", rename_al = "camelCase")]
struct User {
    #[dynamo(partition_key, renam = "x")]
    id: String,
    #[dynamo(rename = "n", rename = "m")]
    name: String,
    #[dynamo(partion_key)]
    other: String,
}

fn main() {}
