//! The table-level rules: keys, entity type, schema versions, key templates
//! and secondary indexes.

use super::super::snapshot::{IndexSnapshot, Snapshot, VersionSnapshot};
use super::{describe_key, describe_keys, ChangeKind, Changes, Subject};

pub(super) fn compare_keys(old: &Snapshot, now: &Snapshot, out: &mut Changes) {
    if old.partition_key != now.partition_key {
        out.push(
            Subject::Key,
            ChangeKind::Changed,
            false,
            format!(
                "partition key {} -> {}: the table's key schema cannot change",
                describe_key(&old.partition_key),
                describe_key(&now.partition_key)
            ),
        );
    }
    let detail = match (&old.sort_key, &now.sort_key) {
        (Some(a), Some(b)) if a != b => format!(
            "sort key {} -> {}: the table's key schema cannot change",
            describe_key(a),
            describe_key(b)
        ),
        (Some(a), None) => format!(
            "sort key {} removed: the table's key schema cannot change",
            describe_key(a)
        ),
        (None, Some(b)) => format!(
            "sort key {} added: the table's key schema cannot change",
            describe_key(b)
        ),
        _ => return,
    };
    out.push(Subject::Key, ChangeKind::Changed, false, detail);
}

pub(super) fn compare_entity_type(old: &Snapshot, now: &Snapshot, out: &mut Changes) {
    let describe = |t: &super::super::snapshot::EntityTypeSnapshot| {
        format!("{:?} in {:?}", t.value, t.attribute)
    };
    let (kind, detail) = match (&old.entity_type, &now.entity_type) {
        (Some(a), Some(b)) if a != b => (
            ChangeKind::Changed,
            format!(
                "{} -> {}: items stored with the old type are refused",
                describe(a),
                describe(b)
            ),
        ),
        (Some(a), None) => (
            ChangeKind::Removed,
            format!("{} no longer written or checked", describe(a)),
        ),
        (None, Some(b)) => (
            ChangeKind::Added,
            format!(
                "{}: items stored before have no entity type and are refused",
                describe(b)
            ),
        ),
        _ => return,
    };
    out.push(Subject::EntityType, kind, false, detail);
}

pub(super) fn compare_versions(old: &VersionSnapshot, new: &VersionSnapshot, out: &mut Changes) {
    let subject = || Subject::SchemaVersion;
    if old.attribute != new.attribute {
        out.push(
            subject(),
            ChangeKind::Changed,
            false,
            format!(
                "attribute {:?} -> {:?}: every stored item would read as version 1",
                old.attribute, new.attribute
            ),
        );
    }
    if new.current < old.current {
        out.push(
            subject(),
            ChangeKind::Changed,
            false,
            format!(
                "lowered {} -> {}: items written at version {} are refused",
                old.current, new.current, old.current
            ),
        );
    } else if new.current > old.current {
        out.push(
            subject(),
            ChangeKind::Changed,
            true,
            format!("raised {} -> {}", old.current, new.current),
        );
    }
    if new.oldest > old.oldest {
        let refused = if new.oldest - 1 == old.oldest {
            format!("version {}", old.oldest)
        } else {
            format!("versions {} to {}", old.oldest, new.oldest - 1)
        };
        out.push(
            subject(),
            ChangeKind::Changed,
            false,
            format!(
                "oldest_schema_version {} -> {}: items of {refused} are refused (once a backfill has rewritten them all, record this)",
                old.oldest, new.oldest
            ),
        );
    } else if new.oldest < old.oldest {
        out.push(
            subject(),
            ChangeKind::Changed,
            true,
            format!("oldest_schema_version {} -> {}", old.oldest, new.oldest),
        );
    }
}

pub(super) fn compare_templates(old: &Snapshot, now: &Snapshot, out: &mut Changes) {
    let is_table_key = |s: &Snapshot, attribute: &str| {
        s.partition_key.attribute == attribute
            || s.sort_key
                .as_ref()
                .is_some_and(|k| k.attribute == attribute)
    };
    let consequence = |attribute: &str| {
        if is_table_key(old, attribute) {
            "items stored under the old key are no longer found"
        } else {
            "index entries of items stored before keep the old format, so queries miss them until the items are rewritten"
        }
    };
    for a in &old.templates {
        let subject = Subject::Template(a.attribute.clone());
        match now.templates.iter().find(|b| b.attribute == a.attribute) {
            Some(b) if b.template != a.template => out.push(
                subject,
                ChangeKind::Changed,
                false,
                format!(
                    "{:?} -> {:?}: {}",
                    a.template,
                    b.template,
                    consequence(&a.attribute)
                ),
            ),
            Some(_) => {}
            None => {
                let table_key = is_table_key(old, &a.attribute);
                let detail = if table_key {
                    format!("{:?} removed: {}", a.template, consequence(&a.attribute))
                } else {
                    format!("{:?} removed", a.template)
                };
                out.push(subject, ChangeKind::Removed, !table_key, detail);
            }
        }
    }
    for b in &now.templates {
        if old.templates.iter().any(|a| a.attribute == b.attribute) {
            continue;
        }
        let subject = Subject::Template(b.attribute.clone());
        if is_table_key(old, &b.attribute) {
            out.push(
                subject,
                ChangeKind::Added,
                false,
                format!(
                    "{:?}: the key was not written from a template before, so items stored under the old key are no longer found",
                    b.template
                ),
            );
        } else {
            out.push(
                subject,
                ChangeKind::Added,
                true,
                format!(
                    "{:?}: items stored before lack it until they are rewritten",
                    b.template
                ),
            );
        }
    }
}

pub(super) fn compare_indexes(old: &Snapshot, now: &Snapshot, out: &mut Changes) {
    let describe = |i: &IndexSnapshot| format!("{} on {}", i.kind, describe_keys(&i.keys));
    for a in &old.indexes {
        let subject = Subject::Index(a.name.clone());
        let Some(b) = now.indexes.iter().find(|b| b.name == a.name) else {
            out.push(subject, ChangeKind::Removed, true, describe(a));
            continue;
        };
        if a.kind != b.kind || a.keys != b.keys {
            out.push(
                subject.clone(),
                ChangeKind::Changed,
                false,
                format!(
                    "{} -> {}: DynamoDB cannot change an index's keys; declare a new index",
                    describe(a),
                    describe(b)
                ),
            );
        }
        if a.projection != b.projection {
            out.push(
                subject,
                ChangeKind::Changed,
                true,
                format!(
                    "projection {} -> {} (DynamoDB cannot change it in place: the index is recreated)",
                    projection(&a.projection),
                    projection(&b.projection)
                ),
            );
        }
    }
    for b in &now.indexes {
        if !old.indexes.iter().any(|a| a.name == b.name) {
            out.push(
                Subject::Index(b.name.clone()),
                ChangeKind::Added,
                true,
                describe(b),
            );
        }
    }
}

fn projection(p: &super::super::snapshot::ProjectionSnapshot) -> String {
    use super::super::snapshot::ProjectionSnapshot as P;
    match p {
        P::All => "all".to_owned(),
        P::KeysOnly => "keys_only".to_owned(),
        P::Include(names) => format!("include({})", names.join(", ")),
    }
}
