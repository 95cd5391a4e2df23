//! Versioned items: a missing step of the upgrade chain, an upgrade of a
//! version that is not upgraded, a function of the wrong signature, an
//! upgrade without a version and a version attribute that is a field are
//! compile errors.
use dynamo_repo::{DecodeError, Entity, Item};

fn v1_to_v2(item: Item) -> Result<Item, DecodeError> {
    Ok(item)
}

fn wrong(item: &mut Item) {
    item.clear();
}

#[derive(Entity)]
#[dynamo(table = "people", schema_version = 3, upgrade(from = 1, with = v1_to_v2))]
struct MissingStep {
    #[dynamo(partition_key)]
    id: String,
}

#[derive(Entity)]
#[dynamo(table = "people", schema_version = 2, upgrade(from = 1, with = v1_to_v2), upgrade(from = 2, with = v1_to_v2))]
struct NoSuchStep {
    #[dynamo(partition_key)]
    id: String,
}

#[derive(Entity)]
#[dynamo(table = "people", upgrade(from = 1, with = v1_to_v2))]
struct NoVersion {
    #[dynamo(partition_key)]
    id: String,
}

#[derive(Entity)]
#[dynamo(table = "people", schema_version = 2, schema_version_attribute = "v", upgrade(from = 1, with = v1_to_v2))]
struct Taken {
    #[dynamo(partition_key)]
    id: String,
    v: u32,
}

#[derive(Entity)]
#[dynamo(table = "people", schema_version = 2, upgrade(from = 1, with = wrong))]
struct WrongSignature {
    #[dynamo(partition_key)]
    id: String,
}

#[derive(Entity)]
#[dynamo(table = "people", schema_version = 3, oldest_schema_version = 2, upgrade(from = 2, with = v1_to_v2))]
struct OldestSkipsTheFirstStep {
    #[dynamo(partition_key)]
    id: String,
}

#[derive(dynamo_repo::Attribute)]
#[dynamo(schema_version = 2)]
struct Nested {
    note: String,
}

fn main() {}
