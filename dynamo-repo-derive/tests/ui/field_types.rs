use dynamo_repo::Entity;

// No #[derive(Attribute)]: every error points at the field, with a hint.
struct Meta {
    a: u32,
}

#[derive(Entity)]
#[dynamo(table = "things")]
struct Thing {
    #[dynamo(partition_key)]
    id: String,
    meta: Meta,
    // A SystemTime is stored only as a TTL.
    at: std::time::SystemTime,
}

fn main() {}
