use dynamo_repo::Entity;

// Every Settings item would have the key (SETTINGS, GLOBAL).
#[derive(Entity)]
#[dynamo(table = "app", pk = "SETTINGS", sk = "GLOBAL")]
struct Settings {
    theme: String,
}

// A constant partition key is fine when the sort key varies.
#[derive(Entity)]
#[dynamo(table = "app", pk = "ORGS", sk = "ORG#{id}")]
struct Org {
    id: String,
}

fn main() {}
