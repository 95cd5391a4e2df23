use dynamo_repo::Entity;

// A float and an option cannot be formatted into a key: the error points
// at the template that uses them.
#[derive(Entity)]
#[dynamo(table = "app", pk = "READING#{sensor}", sk = "AT#{value}")]
struct Reading {
    sensor: String,
    value: f64,
}

#[derive(Entity)]
#[dynamo(table = "app", pk = "ORG#{org_id}", gsi1(pk = "NICK#{nickname}"))]
struct Member {
    org_id: String,
    nickname: Option<String>,
}

fn main() {}
