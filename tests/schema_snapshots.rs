//! Schema snapshots (issue 15): the stored shape of each entity of the test
//! models is committed under `tests/snapshots/` and checked, and fixtures of
//! one entity show a compatible change passing and an incompatible one
//! failing with its diff. Pure: no DynamoDB is involved.

use dynamo_repo::value::DecodeErrorKind;
use dynamo_repo::{DecodeError, Entity, Item};
use dynamo_repo_testkit::schema::{self, check_file, Mode, Outcome, Snapshot, SnapshotError};
use dynamo_repo_tests::models::{Blob, Everything, Order, User};

/// `tests/snapshots/` of the repository: tests run in their package root, `tests/`.
const DIR: &str = "snapshots";

#[test]
fn the_test_models_match_their_snapshots() {
    schema::assert_snapshot::<User>(DIR);
    schema::assert_snapshot::<Everything>(DIR);
    schema::assert_snapshot::<Order>(DIR);
    schema::assert_snapshot::<Blob>(DIR);
}

/// The snapshot's shape, as committed in `tests/snapshots/Member.json`.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "members",
    entity = "member",
    pk = "ORG#{org_id}",
    sk = "MEMBER#{member_id}",
    gsi1(name = "gsi1", pk = "EMAIL#{email}", sk = "MEMBER")
)]
struct Member {
    org_id: String,
    member_id: String,
    name: String,
    email: String,
    age: u32,
    nickname: Option<String>,
}

/// Additive changes: optional and defaulted fields, a Rust field renamed
/// keeping its stored name, `extra`, a new index.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "members",
    entity = "member",
    pk = "ORG#{org_id}",
    sk = "MEMBER#{member_id}",
    gsi1(name = "gsi1", pk = "EMAIL#{email}", sk = "MEMBER"),
    gsi2(name = "gsi2", pk = "AGE#{age}", sk = "MEMBER#{member_id}")
)]
struct MemberAdditive {
    org_id: String,
    member_id: String,
    #[dynamo(rename = "name")]
    display_name: String,
    email: String,
    age: u32,
    nickname: Option<String>,
    bio: Option<String>,
    #[dynamo(default)]
    logins: u64,
    #[dynamo(extra)]
    unknown: Item,
}

/// Incompatible changes: `name` renamed without `rename`, `age` a string,
/// a changed sort key template, a required field without default.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "members",
    entity = "member",
    pk = "ORG#{org_id}",
    sk = "M#{member_id}",
    gsi1(name = "gsi1", pk = "EMAIL#{email}", sk = "MEMBER")
)]
struct MemberIncompatible {
    org_id: String,
    member_id: String,
    full_name: String,
    email: String,
    age: String,
    nickname: Option<String>,
    seats: u32,
}

/// `name` split into two fields, with a schema version and an upgrade.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "members",
    entity = "member",
    pk = "ORG#{org_id}",
    sk = "MEMBER#{member_id}",
    gsi1(name = "gsi1", pk = "EMAIL#{email}", sk = "MEMBER"),
    schema_version = 2,
    upgrade(from = 1, with = split_name)
)]
struct MemberSplit {
    org_id: String,
    member_id: String,
    first_name: String,
    last_name: String,
    email: String,
    age: u32,
    nickname: Option<String>,
}

fn split_name(mut item: Item) -> Result<Item, DecodeError> {
    use dynamo_repo::sdk::types::AttributeValue;
    let Some(AttributeValue::S(name)) = item.remove("name") else {
        return Err(DecodeError::new(DecodeErrorKind::Missing).in_attribute("name"));
    };
    let (first, last) = name.split_once(' ').unwrap_or((&name, ""));
    item.insert("first_name".into(), AttributeValue::S(first.into()));
    item.insert("last_name".into(), AttributeValue::S(last.into()));
    Ok(item)
}

/// The split after the backfill: the upgrade removed.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "members",
    entity = "member",
    pk = "ORG#{org_id}",
    sk = "MEMBER#{member_id}",
    gsi1(name = "gsi1", pk = "EMAIL#{email}", sk = "MEMBER"),
    schema_version = 2,
    oldest_schema_version = 2
)]
struct MemberSplitDone {
    org_id: String,
    member_id: String,
    first_name: String,
    last_name: String,
    email: String,
    age: u32,
    nickname: Option<String>,
}

const MEMBER: &str = "snapshots/Member.json";

/// In `Mode::Ci`, which never writes, so the committed fixture stays as it
/// is whatever the environment says.
fn check<T: Entity>() -> Result<Outcome, SnapshotError> {
    check_file::<T>(MEMBER, Mode::Ci)
}

#[test]
fn the_fixture_snapshot_is_the_compatible_entity() {
    schema::assert_snapshot::<Member>(DIR);
    let committed = std::fs::read_to_string(MEMBER).unwrap();
    assert_eq!(committed, Snapshot::of::<Member>().to_json());
    assert_eq!(check::<Member>().unwrap(), Outcome::Unchanged);
}

#[test]
fn an_additive_change_passes() {
    let Outcome::Compatible(comparison) = check::<MemberAdditive>().unwrap() else {
        panic!("an additive change is compatible, and Ci mode writes nothing");
    };
    assert_eq!(
        comparison.to_string(),
        "compatible:\n\
         \x20 + extra: field `unknown` keeps the attributes the entity does not declare\n\
         \x20 ~ attribute \"name\": field `name` -> `display_name`, same stored name\n\
         \x20 + attribute \"bio\": field `bio`, Option<String>: added, optional\n\
         \x20 + attribute \"logins\": field `logins`, u64: added, optional\n\
         \x20 + template of \"GSI2PK\": \"AGE#{age}\": items stored before lack it until they are rewritten\n\
         \x20 + template of \"GSI2SK\": \"MEMBER#{member_id}\": items stored before lack it until they are rewritten\n\
         \x20 + index \"gsi2\": global on GSI2PK (S), GSI2SK (S)\n"
    );
}

#[test]
fn an_incompatible_change_fails_with_the_diff() {
    let err = check::<MemberIncompatible>().unwrap_err();
    assert!(matches!(err, SnapshotError::Incompatible { .. }));
    assert_eq!(
        err.to_string(),
        "schema of `MemberIncompatible` is incompatible with its snapshot snapshots/Member.json:\n\
         incompatible:\n\
         \x20 - attribute \"name\": field `name`, String: removed, but it was required: the version in the snapshot cannot read items written now; if `full_name` is `name` renamed, keep the stored name with #[dynamo(rename = \"name\")]\n\
         \x20 ~ attribute \"age\": field `age`: type u32 -> String: items store the old type\n\
         \x20 + attribute \"full_name\": field `full_name`, String: added as required without a default: items stored before lack it (make it an Option or #[dynamo(default)], or raise schema_version with an upgrade that fills it)\n\
         \x20 + attribute \"seats\": field `seats`, u32: added as required without a default: items stored before lack it (make it an Option or #[dynamo(default)], or raise schema_version with an upgrade that fills it)\n\
         \x20 ~ template of \"SK\": \"MEMBER#{member_id}\" -> \"M#{member_id}\": items stored under the old key are no longer found\n\
         If the change is deliberate (no stored item needs the old shape, or a backfill has rewritten them all), record it: run the tests with DYNAMO_REPO_UPDATE_SNAPSHOTS=1 and commit the snapshot."
    );
}

#[test]
fn a_split_with_an_upgrade_passes_and_removing_the_upgrade_asks_to_be_recorded() {
    let Outcome::Compatible(comparison) = check::<MemberSplit>().unwrap() else {
        panic!("the upgrade covers the split");
    };
    assert!(comparison.is_compatible());
    assert_eq!(comparison.changes.len(), 4, "{comparison}");

    let err = check::<MemberSplitDone>().unwrap_err();
    let SnapshotError::Incompatible { comparison, .. } = &err else {
        panic!("{err}");
    };
    let oldest: Vec<String> = comparison
        .incompatible()
        .filter(|c| c.subject == schema::Subject::SchemaVersion)
        .map(|c| c.detail.clone())
        .collect();
    assert_eq!(
        oldest,
        ["oldest_schema_version 1 -> 2: items of version 1 are refused (once a backfill has rewritten them all, record this)"]
    );
}

/// Fields kept only in the key: their types are part of the shape.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "ledger",
    entity = "entry",
    pk = "YEAR#{year}",
    sk = "ENTRY#{number}"
)]
struct Entry {
    #[dynamo(key_only)]
    year: u16,
    #[dynamo(key_only)]
    number: String,
    amount: i64,
}

/// `year` now a string: the same template, perhaps another key format.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "ledger",
    entity = "entry",
    pk = "YEAR#{year}",
    sk = "ENTRY#{number}"
)]
struct EntryYearText {
    #[dynamo(key_only)]
    year: String,
    #[dynamo(key_only)]
    number: String,
    amount: i64,
}

#[test]
fn a_key_only_field_of_another_type_is_incompatible() {
    let old = Snapshot::of::<Entry>();
    let fields: Vec<(&str, &str)> = old
        .key_only
        .iter()
        .map(|k| (k.field.as_str(), k.rust_type.as_str()))
        .collect();
    assert_eq!(fields, [("year", "u16"), ("number", "String")]);
    assert!(old.attributes.iter().all(|a| a.name == "amount"));
    assert_eq!(
        old.compare(&Snapshot::of::<EntryYearText>()).to_string(),
        "incompatible:\n  ~ key_only field `year`: type u16 -> String: the templates format it into the keys, so items stored before may be under keys of another format (record it once checked)\n"
    );
}
