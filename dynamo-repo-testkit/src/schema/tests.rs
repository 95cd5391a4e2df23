//! The compatibility rules, one by one, on snapshots built by hand; and the
//! modes of `check_snapshot` on files in a temporary folder.

use super::*;

fn attribute(name: &str, ty: &str, optional: bool) -> AttributeSnapshot {
    AttributeSnapshot {
        name: name.to_owned(),
        field: name.to_owned(),
        rust_type: ty.to_owned(),
        optional,
        encoding: "plain".to_owned(),
    }
}

fn key(attribute: &str, ty: &str) -> KeySnapshot {
    KeySnapshot {
        attribute: attribute.to_owned(),
        key_type: ty.to_owned(),
    }
}

/// A single-table entity with a template index and a plain index.
fn base() -> Snapshot {
    Snapshot {
        format: FORMAT,
        entity: "User".to_owned(),
        table: "app".to_owned(),
        partition_key: key("PK", "S"),
        sort_key: Some(key("SK", "S")),
        entity_type: Some(EntityTypeSnapshot {
            attribute: "_type".to_owned(),
            value: "user".to_owned(),
        }),
        schema_version: None,
        extra: None,
        attributes: vec![
            attribute("id", "String", false),
            attribute("name", "String", false),
            attribute("email", "String", false),
            attribute("age", "u32", false),
            attribute("nickname", "Option<String>", true),
        ],
        templates: vec![
            TemplateSnapshot {
                attribute: "PK".to_owned(),
                template: "USER#{id}".to_owned(),
            },
            TemplateSnapshot {
                attribute: "SK".to_owned(),
                template: "PROFILE".to_owned(),
            },
            TemplateSnapshot {
                attribute: "GSI1PK".to_owned(),
                template: "EMAIL#{email}".to_owned(),
            },
        ],
        key_only: vec![],
        indexes: vec![IndexSnapshot {
            name: "gsi1".to_owned(),
            kind: "global".to_owned(),
            keys: vec![key("GSI1PK", "S")],
            projection: ProjectionSnapshot::All,
        }],
    }
}

/// (subject, kind, compatible) of each change, in order.
fn summary(old: &Snapshot, new: &Snapshot) -> Vec<(String, ChangeKind, bool)> {
    old.compare(new)
        .changes
        .iter()
        .map(|c| (c.subject.to_string(), c.kind, c.compatible))
        .collect()
}

fn one(subject: &str, kind: ChangeKind, compatible: bool) -> Vec<(String, ChangeKind, bool)> {
    vec![(subject.to_owned(), kind, compatible)]
}

fn set_version(s: &mut Snapshot, current: u32, oldest: u32) {
    s.schema_version = Some(VersionSnapshot {
        attribute: "_schema_version".to_owned(),
        current,
        oldest,
    });
}

use ChangeKind::{Added, Changed, Removed};

#[test]
fn the_same_shape_has_no_changes() {
    let c = base().compare(&base());
    assert!(c.is_empty() && c.is_compatible());
    assert_eq!(c.to_string(), "");
}

#[test]
fn an_optional_or_defaulted_attribute_added_is_compatible() {
    let mut new = base();
    new.attributes
        .push(attribute("bio", "Option<String>", true));
    new.attributes.push(attribute("logins", "u64", true)); // #[dynamo(default)]
    assert_eq!(
        summary(&base(), &new),
        [
            ("attribute \"bio\"".to_owned(), Added, true),
            ("attribute \"logins\"".to_owned(), Added, true),
        ]
    );
}

#[test]
fn a_required_attribute_added_without_default_is_incompatible() {
    let mut new = base();
    new.attributes.push(attribute("plan", "String", false));
    assert_eq!(
        summary(&base(), &new),
        one("attribute \"plan\"", Added, false)
    );
    let text = base().compare(&new).to_string();
    assert_eq!(
        text,
        "incompatible:\n  + attribute \"plan\": field `plan`, String: added as required without a default: items stored before lack it (make it an Option or #[dynamo(default)], or raise schema_version with an upgrade that fills it)\n"
    );
}

#[test]
fn a_required_attribute_removed_is_incompatible_an_optional_one_is_not() {
    let mut new = base();
    new.attributes
        .retain(|a| a.name != "age" && a.name != "nickname");
    assert_eq!(
        summary(&base(), &new),
        [
            ("attribute \"age\"".to_owned(), Removed, false),
            ("attribute \"nickname\"".to_owned(), Removed, true),
        ]
    );
}

#[test]
fn a_type_or_encoding_change_is_incompatible() {
    let mut new = base();
    new.attributes[3].rust_type = "String".to_owned();
    new.attributes[1].encoding = "serde".to_owned();
    assert_eq!(
        summary(&base(), &new),
        [
            ("attribute \"name\"".to_owned(), Changed, false),
            ("attribute \"age\"".to_owned(), Changed, false),
        ]
    );
    let text = base().compare(&new).to_string();
    assert!(
        text.contains(
            "~ attribute \"age\": field `age`: type u32 -> String: items store the old type"
        ),
        "{text}"
    );
    assert!(
        text.contains("~ attribute \"name\": field `name`: encoding plain -> serde"),
        "{text}"
    );
}

#[test]
fn option_is_not_a_type_change_but_becoming_required_is_incompatible() {
    let mut new = base();
    new.attributes[3].rust_type = "Option<u32>".to_owned();
    new.attributes[3].optional = true;
    assert_eq!(
        summary(&base(), &new),
        one("attribute \"age\"", Changed, true)
    );
    // And back: an optional attribute made required.
    assert_eq!(
        summary(&new, &base()),
        one("attribute \"age\"", Changed, false)
    );
    let mut spelled = new.clone();
    spelled.attributes[3].rust_type = "std::option::Option<u32>".to_owned();
    assert!(new.compare(&spelled).is_empty());
}

#[test]
fn a_stored_name_changed_for_the_same_field_is_one_incompatible_rename() {
    let mut new = base();
    new.attributes[2].name = "mail".to_owned(); // rename_all or a dropped rename
    let c = base().compare(&new);
    assert_eq!(
        summary(&base(), &new),
        one("attribute \"email\"", Changed, false)
    );
    assert_eq!(
        c.changes[0].detail,
        "field `email` is now stored as \"mail\": items store it as \"email\" (keep the stored name with #[dynamo(rename = \"email\")])"
    );
}

#[test]
fn a_field_renamed_keeping_its_stored_name_is_compatible() {
    let mut new = base();
    new.attributes[2].field = "mail".to_owned();
    assert_eq!(
        summary(&base(), &new),
        one("attribute \"email\"", Changed, true)
    );
}

#[test]
fn a_renamed_field_without_rename_gets_a_hint() {
    let mut new = base();
    new.attributes[1] = attribute("full_name", "String", false);
    let c = base().compare(&new);
    assert_eq!(
        summary(&base(), &new),
        [
            ("attribute \"name\"".to_owned(), Removed, false),
            ("attribute \"full_name\"".to_owned(), Added, false),
        ]
    );
    assert!(
        c.changes[0]
            .detail
            .ends_with("; if `full_name` is `name` renamed, keep the stored name with #[dynamo(rename = \"name\")]"),
        "{}",
        c.changes[0].detail
    );
}

#[test]
fn key_templates_and_key_schema_changes_are_incompatible() {
    let mut new = base();
    new.templates[0].template = "U#{id}".to_owned();
    new.templates[2].template = "MAIL#{email}".to_owned();
    assert_eq!(
        summary(&base(), &new),
        [
            ("template of \"PK\"".to_owned(), Changed, false),
            ("template of \"GSI1PK\"".to_owned(), Changed, false),
        ]
    );
    let text = base().compare(&new).to_string();
    assert!(text.contains("~ template of \"PK\": \"USER#{id}\" -> \"U#{id}\": items stored under the old key are no longer found"), "{text}");

    let mut new = base();
    new.sort_key = None;
    new.templates.retain(|t| t.attribute != "SK");
    assert_eq!(
        summary(&base(), &new),
        [
            ("key".to_owned(), Changed, false),
            ("template of \"SK\"".to_owned(), Removed, false),
        ]
    );
    let mut new = base();
    new.partition_key.key_type = "N".to_owned();
    assert_eq!(summary(&base(), &new), one("key", Changed, false));
}

#[test]
fn a_key_only_field_of_another_type_is_incompatible() {
    let mut old = base();
    old.key_only.push(KeyOnlySnapshot {
        field: "year".to_owned(),
        rust_type: "u16".to_owned(),
    });
    let mut new = old.clone();
    new.key_only[0].rust_type = "String".to_owned();
    assert_eq!(
        summary(&old, &new),
        one("key_only field `year`", Changed, false)
    );
    assert!(
        summary(&old, &base()).is_empty(),
        "removal shows in the templates"
    );
}

#[test]
fn an_index_added_or_removed_is_compatible_its_keys_changed_is_not() {
    let mut new = base();
    new.indexes.push(IndexSnapshot {
        name: "by_age".to_owned(),
        kind: "global".to_owned(),
        keys: vec![key("age", "N")],
        projection: ProjectionSnapshot::KeysOnly,
    });
    new.templates.push(TemplateSnapshot {
        attribute: "GSI2PK".to_owned(),
        template: "AGE#{age}".to_owned(),
    });
    assert_eq!(
        summary(&base(), &new),
        [
            ("template of \"GSI2PK\"".to_owned(), Added, true),
            ("index \"by_age\"".to_owned(), Added, true),
        ]
    );
    assert_eq!(
        summary(&new, &base()),
        [
            ("template of \"GSI2PK\"".to_owned(), Removed, true),
            ("index \"by_age\"".to_owned(), Removed, true),
        ]
    );
    let mut changed = base();
    changed.indexes[0].keys.push(key("GSI1SK", "S"));
    changed.indexes[0].projection = ProjectionSnapshot::Include(vec!["name".to_owned()]);
    assert_eq!(
        summary(&base(), &changed),
        [
            ("index \"gsi1\"".to_owned(), Changed, false),
            ("index \"gsi1\"".to_owned(), Changed, true),
        ]
    );
}

#[test]
fn table_and_entity_type_changes_are_incompatible() {
    let mut new = base();
    new.table = "app2".to_owned();
    new.entity_type.as_mut().unwrap().value = "member".to_owned();
    new.entity = "Member".to_owned(); // the Rust name alone is not a change
    assert_eq!(
        summary(&base(), &new),
        [
            ("table".to_owned(), Changed, false),
            ("entity type".to_owned(), Changed, false),
        ]
    );
}

#[test]
fn extra_added_or_removed_is_compatible() {
    let mut new = base();
    new.extra = Some("unknown".to_owned());
    assert_eq!(summary(&base(), &new), one("extra", Added, true));
    assert_eq!(summary(&new, &base()), one("extra", Removed, true));
}

/// Splitting `name` into two required fields: incompatible, unless the
/// version is raised with an upgrade from the snapshot's version.
fn split_name(version: Option<(u32, u32)>) -> Snapshot {
    let mut new = base();
    new.attributes.retain(|a| a.name != "name");
    new.attributes
        .push(attribute("first_name", "String", false));
    new.attributes.push(attribute("last_name", "String", false));
    if let Some((current, oldest)) = version {
        set_version(&mut new, current, oldest);
    }
    new
}

#[test]
fn a_raised_schema_version_covers_attribute_changes() {
    let unversioned = summary(&base(), &split_name(None));
    assert_eq!(
        unversioned,
        [
            ("attribute \"name\"".to_owned(), Removed, false),
            ("attribute \"first_name\"".to_owned(), Added, false),
            ("attribute \"last_name\"".to_owned(), Added, false),
        ]
    );
    let versioned = base().compare(&split_name(Some((2, 1))));
    assert!(versioned.is_compatible(), "{versioned}");
    assert_eq!(
        versioned.to_string(),
        "compatible:\n\
         \x20 ~ schema_version: raised 1 -> 2\n\
         \x20 - attribute \"name\": field `name`, String: removed, but it was required: the version in the snapshot cannot read items written now (covered: items of version 1 are upgraded on read to 2)\n\
         \x20 + attribute \"first_name\": field `first_name`, String: added as required without a default: items stored before lack it (make it an Option or #[dynamo(default)], or raise schema_version with an upgrade that fills it) (covered: items of version 1 are upgraded on read to 2)\n\
         \x20 + attribute \"last_name\": field `last_name`, String: added as required without a default: items stored before lack it (make it an Option or #[dynamo(default)], or raise schema_version with an upgrade that fills it) (covered: items of version 1 are upgraded on read to 2)\n"
    );
    // An upgrade does not move an item: a key template change stays incompatible.
    let mut moved = split_name(Some((2, 1)));
    moved.templates[0].template = "U#{id}".to_owned();
    let c = base().compare(&moved);
    assert_eq!(
        c.incompatible()
            .map(|c| c.subject.to_string())
            .collect::<Vec<_>>(),
        ["template of \"PK\""]
    );
}

#[test]
fn raising_oldest_schema_version_asks_to_be_recorded() {
    let v2 = split_name(Some((2, 1)));
    let removed_upgrade = split_name(Some((2, 2)));
    assert_eq!(
        summary(&v2, &removed_upgrade),
        one("schema_version", Changed, false)
    );
    assert_eq!(
        v2.compare(&removed_upgrade).changes[0].detail,
        "oldest_schema_version 1 -> 2: items of version 1 are refused (once a backfill has rewritten them all, record this)"
    );
    // Against a version-1 snapshot the upgrades no longer start at 1: not covered.
    let c = base().compare(&removed_upgrade);
    assert!(!c.is_compatible());
    assert_eq!(c.incompatible().count(), 4, "{c}");
}

#[test]
fn a_lowered_schema_version_or_renamed_version_attribute_is_incompatible() {
    let v3 = split_name(Some((3, 1)));
    let v2 = split_name(Some((2, 1)));
    assert_eq!(summary(&v3, &v2), one("schema_version", Changed, false));
    let mut renamed = v3.clone();
    renamed.schema_version.as_mut().unwrap().attribute = "sv".to_owned();
    assert_eq!(
        summary(&v3, &renamed),
        one("schema_version", Changed, false)
    );
}

#[test]
fn the_json_round_trips_and_tolerates_unknown_fields() {
    let s = base();
    let json = s.to_json();
    assert!(json.ends_with("}\n"));
    assert_eq!(Snapshot::from_json(&json).unwrap(), s);
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value["added_by_a_later_version"] = serde_json::json!(true);
    value.as_object_mut().unwrap().remove("indexes");
    let read = Snapshot::from_json(&value.to_string()).unwrap();
    assert_eq!(read.indexes, []);
}

/// A folder of its own under the system's temporary folder.
fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("dynamo-repo-schema-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn modes_write_check_and_refuse_as_documented() {
    let dir = temp_dir("modes");
    let path = dir.join("nested").join("User.json");

    // Missing: CI fails and writes nothing, Check writes it.
    let err = check_snapshot(&base(), &path, Mode::Ci).unwrap_err();
    assert!(matches!(err, SnapshotError::Missing { .. }), "{err}");
    assert!(!path.exists());
    assert_eq!(
        check_snapshot(&base(), &path, Mode::Check).unwrap(),
        Outcome::Created
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), base().to_json());
    assert_eq!(
        check_snapshot(&base(), &path, Mode::Ci).unwrap(),
        Outcome::Unchanged
    );

    // Compatible: passes, the file is kept unless updating.
    let mut compatible = base();
    compatible
        .attributes
        .push(attribute("bio", "Option<String>", true));
    for mode in [Mode::Check, Mode::Ci] {
        assert!(matches!(
            check_snapshot(&compatible, &path, mode).unwrap(),
            Outcome::Compatible(_)
        ));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), base().to_json());
    }

    // Incompatible: fails in Check and CI with the diff, Update records it.
    let mut incompatible = base();
    incompatible.attributes[3].rust_type = "String".to_owned();
    for mode in [Mode::Check, Mode::Ci] {
        let err = check_snapshot(&incompatible, &path, mode).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "schema of `User` is incompatible with its snapshot {}:\nincompatible:\n  ~ attribute \"age\": field `age`: type u32 -> String: items store the old type\nIf the change is deliberate (no stored item needs the old shape, or a backfill has rewritten them all), record it: run the tests with DYNAMO_REPO_UPDATE_SNAPSHOTS=1 and commit the snapshot.",
                path.display()
            )
        );
    }
    assert!(matches!(
        check_snapshot(&incompatible, &path, Mode::Update).unwrap(),
        Outcome::Updated(_)
    ));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        incompatible.to_json()
    );
    assert_eq!(
        check_snapshot(&incompatible, &path, Mode::Check).unwrap(),
        Outcome::Unchanged
    );

    // Not a snapshot: a typed error naming the file.
    std::fs::write(&path, "{ not json").unwrap();
    let err = check_snapshot(&base(), &path, Mode::Check).unwrap_err();
    assert!(matches!(err, SnapshotError::Invalid { .. }));
    assert!(err.to_string().starts_with(&format!(
        "schema snapshot {} is not valid: ",
        path.display()
    )));
    let _ = std::fs::remove_dir_all(&dir);
}
