use dynamo_repo::Entity;

// A placeholder naming no field, and one naming a skipped field.
#[derive(Entity)]
#[dynamo(table = "app", pk = "ORG#{org}", sk = "USER#{cache}")]
struct User {
    org_id: String,
    #[dynamo(skip)]
    cache: String,
}

// Broken template syntax.
#[derive(Entity)]
#[dynamo(table = "app", pk = "ORG#{org_id", sk = "USER#{}")]
struct Broken {
    org_id: String,
}

#[derive(Entity)]
#[dynamo(table = "app", pk = "ORG#org_id}", gsi1(pk = "{not a field}"))]
struct Stray {
    org_id: String,
}

fn main() {}
