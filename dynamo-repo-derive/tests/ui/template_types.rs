use dynamo_repo::Entity;

// A float cannot be formatted into a key: the error points at the template
// that uses it. (Options: see sparse_indexes.rs.)
#[derive(Entity)]
#[dynamo(table = "app", pk = "READING#{sensor}", sk = "AT#{value}")]
struct Reading {
    sensor: String,
    value: f64,
}

fn main() {}
