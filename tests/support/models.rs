//! Entities used across the tests: one of every mapped type.

use dynamo_repo::{Attribute, Entity};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

/// A nested struct stored as a map.
#[derive(Attribute, Debug, Clone, PartialEq, Default)]
#[dynamo(rename_all = "camelCase")]
pub struct Address {
    pub street_line: String,
    pub city: String,
    pub zip: String,
    pub geo: Option<Geo>,
}

/// The second level of nesting.
#[derive(Attribute, Debug, Clone, PartialEq, Default)]
pub struct Geo {
    pub lat: f64,
    pub lon: f64,
    pub grid: Grid,
}

/// The third level of nesting.
#[derive(Attribute, Debug, Clone, PartialEq, Default)]
pub struct Grid {
    pub cell: u32,
    pub label: String,
}

/// A unit enum stored as a string.
#[derive(Attribute, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[dynamo(rename_all = "snake_case")]
pub enum Plan {
    #[default]
    Free,
    ProMonthly,
    #[dynamo(rename = "ENTERPRISE")]
    Enterprise,
}

/// A type that only implements serde.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct Preferences {
    pub theme: String,
    pub font_size: u8,
}

/// A custom conversion module for `#[dynamo(with = ...)]`: stores a bool as "Y"/"N".
pub mod yes_no {
    use dynamo_repo::sdk::types::AttributeValue;
    use dynamo_repo::DecodeError;

    pub fn to_attribute(value: &bool) -> Option<AttributeValue> {
        Some(AttributeValue::S(if *value { "Y" } else { "N" }.into()))
    }

    pub fn from_attribute(value: AttributeValue) -> Result<bool, DecodeError> {
        match value {
            AttributeValue::S(s) if s == "Y" => Ok(true),
            AttributeValue::S(s) if s == "N" => Ok(false),
            AttributeValue::S(s) => Err(DecodeError::invalid(s, "\"Y\" or \"N\"")),
            other => Err(DecodeError::wrong_type("S", &other)),
        }
    }
}

/// The example entity.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "users", rename_all = "camelCase")]
pub struct User {
    #[dynamo(partition_key)]
    pub id: String,
    #[dynamo(rename = "mail")]
    pub email: String,
    pub age: u32,
    pub score: f64,
    pub active: bool,
    pub nickname: Option<String>,
    pub tags: Vec<String>,
    pub roles: BTreeSet<String>,
    pub address: Address,
    pub counters: HashMap<String, i64>,
    #[dynamo(skip)]
    pub cache: Option<String>,
}

/// One field of every mapped type.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "everything")]
pub struct Everything {
    #[dynamo(partition_key)]
    pub id: String,
    #[dynamo(sort_key)]
    pub version: u64,
    pub text: String,
    pub empty_text: String,
    pub letter: char,
    pub i8_: i8,
    pub i16_: i16,
    pub i32_: i32,
    pub i64_: i64,
    pub i128_: i128,
    pub isize_: isize,
    pub u8_: u8,
    pub u16_: u16,
    pub u32_: u32,
    pub u64_: u64,
    pub u128_: u128,
    pub usize_: usize,
    pub f32_: f32,
    pub f64_: f64,
    pub flag: bool,
    pub bytes: bytes::Bytes,
    #[dynamo(binary)]
    pub raw: Vec<u8>,
    pub small_numbers: Vec<u8>,
    pub maybe: Option<String>,
    pub maybe_not: Option<i32>,
    pub list: Vec<String>,
    pub deque: VecDeque<i32>,
    pub nested_lists: Vec<Vec<Option<u16>>>,
    pub string_set: BTreeSet<String>,
    pub number_set: HashSet<i64>,
    pub binary_set: BTreeSet<bytes::Bytes>,
    pub empty_set: BTreeSet<String>,
    pub map: HashMap<String, i64>,
    pub ordered_map: BTreeMap<String, Vec<String>>,
    pub empty_map: BTreeMap<String, String>,
    pub address: Address,
    pub plan: Plan,
    pub plans: Vec<Plan>,
    #[dynamo(serde)]
    pub preferences: Preferences,
    #[dynamo(serde)]
    pub maybe_preferences: Option<Preferences>,
    #[dynamo(with = yes_no)]
    pub yes: bool,
    #[dynamo(default)]
    pub added_later: u32,
    #[dynamo(skip)]
    pub cached: Option<String>,
    pub when: chrono::DateTime<chrono::Utc>,
    pub day: chrono::NaiveDate,
    pub time_when: time::OffsetDateTime,
    pub uuid: uuid::Uuid,
    #[dynamo(ttl)]
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// An entity with a numeric sort key, for key tests.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "orders")]
pub struct Order {
    #[dynamo(partition_key)]
    pub customer: String,
    #[dynamo(sort_key)]
    pub id: String,
    pub total: f64,
    pub note: Option<String>,
}

/// An entity with a binary partition key.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "blobs")]
pub struct Blob {
    #[dynamo(partition_key)]
    pub digest: bytes::Bytes,
    pub size: u64,
}
