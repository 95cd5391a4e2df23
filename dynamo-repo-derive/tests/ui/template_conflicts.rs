use dynamo_repo::{Collection, Entity};

// Key markers on a template-keyed entity; a field stored where a key goes.
#[derive(Entity)]
#[dynamo(table = "app", pk = "ORG#{org_id}", sk = "USER#{user_id}", entity = User)]
struct User {
    #[dynamo(partition_key)]
    org_id: String,
    user_id: String,
    #[dynamo(rename = "SK")]
    sort: String,
    #[dynamo(rename = "_type")]
    kind: String,
}

// Templates need a partition key template and single-table options.
#[derive(Entity)]
#[dynamo(table = "app", sk = "USER#{id}", type_attribute = "t", gsi1(pk = "X#{id}"))]
struct Plain {
    #[dynamo(partition_key)]
    id: String,
}

// Two indexes writing the same attribute.
#[derive(Entity)]
#[dynamo(
    table = "app",
    pk = "A#{id}",
    gsi1(pk = "B#{id}", pk_attribute = "GSI"),
    gsi2(pk = "C#{id}", pk_attribute = "GSI")
)]
struct Twice {
    id: String,
}

#[derive(Entity)]
#[dynamo(table = "plain")]
struct Untyped {
    #[dynamo(partition_key)]
    id: String,
}

#[derive(Entity)]
#[dynamo(table = "app", entity = "typed", pk = "T#{id}")]
struct Typed {
    id: String,
}

// A collection variant must hold an entity with an entity type.
#[derive(Collection)]
enum Mixed {
    Typed(Typed),
    Untyped(Untyped),
}

// ...one entity per variant.
#[derive(Collection)]
enum Shapes {
    Empty,
    Pair(Typed, Typed),
}

// Two variants with the same entity type.
#[derive(Collection)]
enum Same {
    First(Typed),
    Again(Typed),
}

fn main() {}
