//! The compatibility rules: what changed between a snapshot (the shape items
//! are stored in) and the entity now, and whether existing items still
//! decode and keep their key format.

use super::snapshot::{AttributeSnapshot, KeySnapshot, Snapshot, VersionSnapshot};
use std::fmt;

mod table;

use table::{
    compare_entity_type, compare_indexes, compare_keys, compare_templates, compare_versions,
};

/// What a change concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// The table name.
    Table,
    /// The table's partition or sort key.
    Key,
    /// The entity type of a single-table entity.
    EntityType,
    /// `schema_version` / `oldest_schema_version`.
    SchemaVersion,
    /// The `#[dynamo(extra)]` field.
    Extra,
    /// A stored attribute, by its name in DynamoDB.
    Attribute(String),
    /// The key template writing this attribute.
    Template(String),
    /// A `#[dynamo(key_only)]` field, by Rust name.
    KeyOnly(String),
    /// A secondary index, by name.
    Index(String),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Table => f.write_str("table"),
            Subject::Key => f.write_str("key"),
            Subject::EntityType => f.write_str("entity type"),
            Subject::SchemaVersion => f.write_str("schema_version"),
            Subject::Extra => f.write_str("extra"),
            Subject::Attribute(name) => write!(f, "attribute {name:?}"),
            Subject::Template(attribute) => write!(f, "template of {attribute:?}"),
            Subject::KeyOnly(field) => write!(f, "key_only field `{field}`"),
            Subject::Index(name) => write!(f, "index {name:?}"),
        }
    }
}

/// Added, removed or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// In the entity, not in the snapshot (`+`).
    Added,
    /// In the snapshot, not in the entity (`-`).
    Removed,
    /// In both, different (`~`).
    Changed,
}

/// One difference between a snapshot and the entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What it concerns.
    pub subject: Subject,
    /// Added, removed or changed.
    pub kind: ChangeKind,
    /// Whether items stored in the snapshot's shape still decode and keep
    /// their key format (and the snapshot's version can read items written
    /// now).
    pub compatible: bool,
    /// What changed and what it means, never a stored value.
    pub detail: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sigil = match self.kind {
            ChangeKind::Added => '+',
            ChangeKind::Removed => '-',
            ChangeKind::Changed => '~',
        };
        write!(f, "{sigil} {}: {}", self.subject, self.detail)
    }
}

/// Every difference between a snapshot and the entity, in a fixed order
/// (table, keys, entity type, schema version, extra, attributes, templates,
/// key_only fields, indexes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// The differences.
    pub changes: Vec<Change>,
}

impl Comparison {
    /// The changes that break stored items or key formats.
    pub fn incompatible(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| !c.compatible)
    }

    /// The changes existing items survive.
    pub fn compatible(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.compatible)
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Whether every change is compatible (also when nothing changed).
    pub fn is_compatible(&self) -> bool {
        self.incompatible().next().is_none()
    }
}

/// Lists the incompatible changes, then the compatible ones, one a line.
impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let incompatible: Vec<&Change> = self.incompatible().collect();
        let compatible: Vec<&Change> = self.compatible().collect();
        if !incompatible.is_empty() {
            writeln!(f, "incompatible:")?;
            for c in &incompatible {
                writeln!(f, "  {c}")?;
            }
        }
        if !compatible.is_empty() {
            writeln!(f, "compatible:")?;
            for c in &compatible {
                writeln!(f, "  {c}")?;
            }
        }
        Ok(())
    }
}

/// The schema version of a snapshot: an entity without one stores version 1.
fn version(s: &Snapshot) -> VersionSnapshot {
    s.schema_version.clone().unwrap_or(VersionSnapshot {
        attribute: dynamo_repo::schema_version::DEFAULT_ATTRIBUTE.to_owned(),
        current: 1,
        oldest: 1,
    })
}

/// The type inside `Option<...>`, as written.
fn inner_type(ty: &str) -> &str {
    for prefix in [
        "Option<",
        "std::option::Option<",
        "::std::option::Option<",
        "core::option::Option<",
        "::core::option::Option<",
    ] {
        if let Some(inner) = ty.strip_prefix(prefix).and_then(|t| t.strip_suffix('>')) {
            return inner;
        }
    }
    ty
}

fn describe_key(k: &KeySnapshot) -> String {
    format!("{} ({})", k.attribute, k.key_type)
}

fn describe_keys(keys: &[KeySnapshot]) -> String {
    keys.iter().map(describe_key).collect::<Vec<_>>().join(", ")
}

fn describe_attribute(a: &AttributeSnapshot) -> String {
    let encoding = if a.encoding == "plain" {
        String::new()
    } else {
        format!(", {}", a.encoding)
    };
    format!("field `{}`, {}{encoding}", a.field, a.rust_type)
}

struct Changes {
    list: Vec<Change>,
}

impl Changes {
    fn push(&mut self, subject: Subject, kind: ChangeKind, compatible: bool, detail: String) {
        self.list.push(Change {
            subject,
            kind,
            compatible,
            detail,
        });
    }
}

impl Snapshot {
    /// What changed from `self` (the snapshot: the shape items are stored
    /// in) to `now` (the entity as the code declares it), each change judged
    /// compatible or not (see the [module docs](crate::schema)).
    pub fn compare(&self, now: &Snapshot) -> Comparison {
        let mut out = Changes { list: Vec::new() };
        let (old_v, new_v) = (version(self), version(now));
        // Attribute changes are covered when the version was raised and the
        // snapshot's version is still upgraded on read.
        let upgraded = new_v.current > old_v.current && new_v.oldest <= old_v.current;
        let covered = |out: &mut Changes, subject: Subject, kind: ChangeKind, detail: String| {
            if upgraded {
                let detail = format!(
                    "{detail} (covered: items of version {} are upgraded on read to {})",
                    old_v.current, new_v.current
                );
                out.push(subject, kind, true, detail);
            } else {
                out.push(subject, kind, false, detail);
            }
        };

        if self.table != now.table {
            out.push(
                Subject::Table,
                ChangeKind::Changed,
                false,
                format!(
                    "{:?} -> {:?}: the entity no longer reads the items stored in {:?}",
                    self.table, now.table, self.table
                ),
            );
        }
        compare_keys(self, now, &mut out);
        compare_entity_type(self, now, &mut out);
        compare_versions(&old_v, &new_v, &mut out);
        match (&self.extra, &now.extra) {
            (None, Some(field)) => out.push(
                Subject::Extra,
                ChangeKind::Added,
                true,
                format!("field `{field}` keeps the attributes the entity does not declare"),
            ),
            (Some(field), None) => out.push(
                Subject::Extra,
                ChangeKind::Removed,
                true,
                format!(
                    "field `{field}` removed: writes now drop the attributes the entity does not declare"
                ),
            ),
            _ => {}
        }

        // Attributes, by stored name.
        let removed: Vec<&AttributeSnapshot> = self
            .attributes
            .iter()
            .filter(|a| !now.attributes.iter().any(|b| b.name == a.name))
            .collect();
        let added: Vec<&AttributeSnapshot> = now
            .attributes
            .iter()
            .filter(|b| !self.attributes.iter().any(|a| a.name == b.name))
            .collect();
        // A removed attribute whose field is still there under another
        // stored name was renamed (`rename`, `rename_all`).
        let renamed = |a: &AttributeSnapshot| added.iter().find(|b| b.field == a.field).copied();
        for a in &self.attributes {
            let subject = Subject::Attribute(a.name.clone());
            if let Some(b) = now.attributes.iter().find(|b| b.name == a.name) {
                compare_attribute(a, b, subject, &mut out, &covered);
            } else if let Some(b) = renamed(a) {
                let detail = format!(
                    "field `{}` is now stored as {:?}: items store it as {:?} (keep the stored name with #[dynamo(rename = {:?})])",
                    a.field, b.name, a.name, a.name
                );
                covered(&mut out, subject, ChangeKind::Changed, detail);
            } else if a.optional {
                out.push(
                    subject,
                    ChangeKind::Removed,
                    true,
                    format!("{}: removed, it was optional", describe_attribute(a)),
                );
            } else {
                // A lone added attribute of the same type looks like a
                // renamed field.
                let like: Vec<&&AttributeSnapshot> = added
                    .iter()
                    .filter(|b| {
                        !removed.iter().any(|r| r.field == b.field)
                            && inner_type(&b.rust_type) == inner_type(&a.rust_type)
                            && b.encoding == a.encoding
                    })
                    .collect();
                let hint = match like.as_slice() {
                    [b] => format!(
                        "; if `{}` is `{}` renamed, keep the stored name with #[dynamo(rename = {:?})]",
                        b.field, a.field, a.name
                    ),
                    _ => String::new(),
                };
                let detail = format!(
                    "{}: removed, but it was required: the version in the snapshot cannot read items written now{hint}",
                    describe_attribute(a)
                );
                covered(&mut out, subject, ChangeKind::Removed, detail);
            }
        }
        for b in &added {
            if removed.iter().any(|a| a.field == b.field) {
                continue; // reported as the rename
            }
            let subject = Subject::Attribute(b.name.clone());
            if b.optional {
                out.push(
                    subject,
                    ChangeKind::Added,
                    true,
                    format!("{}: added, optional", describe_attribute(b)),
                );
            } else {
                let detail = format!(
                    "{}: added as required without a default: items stored before lack it (make it an Option or #[dynamo(default)], or raise schema_version with an upgrade that fills it)",
                    describe_attribute(b)
                );
                covered(&mut out, subject, ChangeKind::Added, detail);
            }
        }

        compare_templates(self, now, &mut out);
        // A key_only field added or removed changes a template, reported
        // above; a type change may format it differently.
        for a in &self.key_only {
            if let Some(b) = now.key_only.iter().find(|b| b.field == a.field) {
                if a.rust_type != b.rust_type {
                    out.push(
                        Subject::KeyOnly(a.field.clone()),
                        ChangeKind::Changed,
                        false,
                        format!(
                            "type {} -> {}: the templates format it into the keys, so items stored before may be under keys of another format (record it once checked)",
                            a.rust_type, b.rust_type
                        ),
                    );
                }
            }
        }
        compare_indexes(self, now, &mut out);
        Comparison { changes: out.list }
    }
}

fn compare_attribute(
    a: &AttributeSnapshot,
    b: &AttributeSnapshot,
    subject: Subject,
    out: &mut Changes,
    covered: &dyn Fn(&mut Changes, Subject, ChangeKind, String),
) {
    let (old_ty, new_ty) = (inner_type(&a.rust_type), inner_type(&b.rust_type));
    if old_ty != new_ty {
        let detail = format!(
            "field `{}`: type {old_ty} -> {new_ty}: items store the old type",
            b.field
        );
        covered(out, subject.clone(), ChangeKind::Changed, detail);
    }
    if a.encoding != b.encoding {
        let detail = format!(
            "field `{}`: encoding {} -> {}: items store the old encoding",
            b.field, a.encoding, b.encoding
        );
        covered(out, subject.clone(), ChangeKind::Changed, detail);
    }
    if a.optional && !b.optional {
        let detail = format!(
            "field `{}`: now required ({} -> {}): items without it no longer decode",
            b.field, a.rust_type, b.rust_type
        );
        covered(out, subject.clone(), ChangeKind::Changed, detail);
    } else if !a.optional && b.optional {
        out.push(
            subject.clone(),
            ChangeKind::Changed,
            true,
            format!(
                "field `{}`: now optional ({} -> {})",
                b.field, a.rust_type, b.rust_type
            ),
        );
    }
    if a.field != b.field {
        out.push(
            subject,
            ChangeKind::Changed,
            true,
            format!("field `{}` -> `{}`, same stored name", a.field, b.field),
        );
    }
}
