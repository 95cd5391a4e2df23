use dynamo_repo::Entity;

// A table key is always present: an optional field cannot be in its template.
#[derive(Entity)]
#[dynamo(table = "app", pk = "ORG#{org_id}", sk = "NICK#{nickname}")]
struct Member {
    org_id: String,
    nickname: Option<String>,
}

// An index template may use an Option, but only of a type a key can hold.
#[derive(Entity)]
#[dynamo(table = "app", pk = "SENSOR#{sensor}", gsi1(pk = "ALERT#{threshold}"))]
struct Sensor {
    sensor: String,
    threshold: Option<f64>,
}

// A plain sparse index likewise.
#[derive(Entity)]
#[dynamo(table = "app", gsi(name = "by_score", partition_key = score))]
struct Player {
    #[dynamo(partition_key)]
    id: String,
    score: Option<f64>,
}

fn main() {}
