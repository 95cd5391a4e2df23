use dynamo_repo::Entity;

// `key_only` fields must be read back from the table key.
#[derive(Entity)]
#[dynamo(table = "app", pk = "ORG#{org_id}", sk = "DOC#{kind}-{id}", gsi1(pk = "E#{email}"))]
struct Doc {
    #[dynamo(key_only)]
    org_id: String,
    #[dynamo(key_only)]
    kind: String,
    id: String,
    #[dynamo(key_only)]
    email: String,
    #[dynamo(key_only, rename = "o")]
    owner: String,
}

// ...and only a template-keyed entity has such a key.
#[derive(Entity)]
#[dynamo(table = "plain")]
struct Plain {
    #[dynamo(partition_key)]
    id: String,
    #[dynamo(key_only)]
    name: String,
}

fn main() {}
