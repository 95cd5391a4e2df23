//! The snapshot file: an entity's stored shape as plain data, written as
//! pretty JSON.

use dynamo_repo::entity::{IndexKind, IndexProjection, KeyAttribute};
use dynamo_repo::{Entity, TableSchema};
use serde::{Deserialize, Serialize};

/// The version of the snapshot file format this testkit writes.
pub const FORMAT: u32 = 1;

/// An entity's stored shape: what a snapshot file holds. Built from the
/// entity with [`Snapshot::of`], read from a file with
/// [`Snapshot::from_json`]; [`Snapshot::compare`] says what changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The file format version ([`FORMAT`]).
    pub format: u32,
    /// The Rust type name (informational: renaming the type changes nothing
    /// that is stored).
    pub entity: String,
    /// The table the entity declares.
    pub table: String,
    /// The table's partition key.
    pub partition_key: KeySnapshot,
    /// The table's sort key, if any.
    #[serde(default)]
    pub sort_key: Option<KeySnapshot>,
    /// The entity type of a single-table entity and the attribute holding it.
    #[serde(default)]
    pub entity_type: Option<EntityTypeSnapshot>,
    /// `#[dynamo(schema_version = N)]`, if declared.
    #[serde(default)]
    pub schema_version: Option<VersionSnapshot>,
    /// The `#[dynamo(extra)]` field, if any.
    #[serde(default)]
    pub extra: Option<String>,
    /// Every stored attribute, in declaration order.
    pub attributes: Vec<AttributeSnapshot>,
    /// The key templates (`pk = "..."`, `sk`, `gsiN(..)`), in declaration order.
    #[serde(default)]
    pub templates: Vec<TemplateSnapshot>,
    /// The `#[dynamo(key_only)]` fields, which the templates format.
    #[serde(default)]
    pub key_only: Vec<KeyOnlySnapshot>,
    /// The secondary indexes.
    #[serde(default)]
    pub indexes: Vec<IndexSnapshot>,
}

/// A `#[dynamo(key_only)]` field: stored only inside the keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyOnlySnapshot {
    /// The Rust field name.
    pub field: String,
    /// The Rust type as written, without spaces.
    #[serde(rename = "type")]
    pub rust_type: String,
}

/// A key attribute: its name and scalar type (`S`, `N` or `B`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySnapshot {
    /// The attribute name.
    pub attribute: String,
    /// `S`, `N` or `B`.
    #[serde(rename = "type")]
    pub key_type: String,
}

/// The entity type of a single-table entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityTypeSnapshot {
    /// The attribute holding it (`_type` unless renamed).
    pub attribute: String,
    /// The value stored in it (`user`).
    pub value: String,
}

/// `#[dynamo(schema_version = N)]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionSnapshot {
    /// The attribute holding it (`_schema_version` unless renamed).
    pub attribute: String,
    /// The version written.
    pub current: u32,
    /// The oldest version upgraded on read (`oldest_schema_version`).
    pub oldest: u32,
}

/// One stored attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeSnapshot {
    /// The attribute name in DynamoDB.
    pub name: String,
    /// The Rust field (informational: a field renamed with
    /// `#[dynamo(rename = "...")]` keeping the stored name changes nothing).
    pub field: String,
    /// The Rust type as written, without spaces (`Option<String>`).
    #[serde(rename = "type")]
    pub rust_type: String,
    /// Whether an item may lack it (an `Option` or `#[dynamo(default)]`).
    pub optional: bool,
    /// `plain`, `serde`, `binary`, `ttl` or `with <path>`.
    pub encoding: String,
}

/// A key attribute written from a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSnapshot {
    /// The attribute written (`PK`, `GSI1SK`).
    pub attribute: String,
    /// The template as declared (`ORG#{org_id}`).
    pub template: String,
}

/// A secondary index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexSnapshot {
    /// The index name.
    pub name: String,
    /// `global` or `local`.
    pub kind: String,
    /// Its key attributes: partition key first.
    pub keys: Vec<KeySnapshot>,
    /// The attributes it holds.
    pub projection: ProjectionSnapshot,
}

/// Which attributes an index holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectionSnapshot {
    /// Every attribute.
    All,
    /// The keys only.
    KeysOnly,
    /// The keys and these attributes.
    Include(Vec<String>),
}

impl Snapshot {
    /// The shape of entity `T`, as its derive declares it.
    pub fn of<T: Entity>() -> Snapshot {
        Snapshot::from_schema(&T::SCHEMA)
    }

    /// The shape described by a table schema.
    pub fn from_schema(schema: &TableSchema) -> Snapshot {
        let shape = &schema.shape;
        Snapshot {
            format: FORMAT,
            entity: schema.entity.to_owned(),
            table: schema.table.to_owned(),
            partition_key: key(&schema.partition_key),
            sort_key: schema.sort_key.as_ref().map(key),
            entity_type: schema.single_table.as_ref().map(|s| EntityTypeSnapshot {
                attribute: s.type_attribute.to_owned(),
                value: s.entity_type.to_owned(),
            }),
            schema_version: schema.schema_version.map(|v| VersionSnapshot {
                attribute: v.attribute.to_owned(),
                current: v.current,
                oldest: v.oldest,
            }),
            extra: shape.extra.map(str::to_owned),
            attributes: shape
                .attributes
                .iter()
                .map(|a| AttributeSnapshot {
                    name: a.name.to_owned(),
                    field: a.field.to_owned(),
                    rust_type: a.rust_type.to_owned(),
                    optional: a.optional,
                    encoding: a.encoding.to_string(),
                })
                .collect(),
            templates: shape
                .templates
                .iter()
                .map(|t| TemplateSnapshot {
                    attribute: t.attribute.to_owned(),
                    template: t.template.to_owned(),
                })
                .collect(),
            key_only: shape
                .key_only
                .iter()
                .map(|k| KeyOnlySnapshot {
                    field: k.field.to_owned(),
                    rust_type: k.rust_type.to_owned(),
                })
                .collect(),
            indexes: schema
                .indexes
                .iter()
                .map(|index| IndexSnapshot {
                    name: index.name.to_owned(),
                    kind: match index.kind {
                        IndexKind::Global => "global".to_owned(),
                        IndexKind::Local => "local".to_owned(),
                    },
                    keys: index.key_attributes().map(key).collect(),
                    projection: match index.projection {
                        IndexProjection::All => ProjectionSnapshot::All,
                        IndexProjection::KeysOnly => ProjectionSnapshot::KeysOnly,
                        IndexProjection::Include(names) => ProjectionSnapshot::Include(
                            names.iter().map(|n| (*n).to_owned()).collect(),
                        ),
                    },
                })
                .collect(),
        }
    }

    /// The snapshot as pretty JSON, ending with a newline (the file's text).
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a snapshot from its JSON text. Fields this version does not
    /// know are ignored, missing optional ones are empty.
    pub fn from_json(text: &str) -> Result<Snapshot, serde_json::Error> {
        serde_json::from_str(text)
    }
}

fn key(k: &KeyAttribute) -> KeySnapshot {
    KeySnapshot {
        attribute: k.name.to_owned(),
        key_type: k.key_type.code().to_owned(),
    }
}
