//! The stored shape of an entity, as `#[derive(Entity)]` declares it: each
//! stored attribute with its Rust type and encoding, the key templates, and
//! the fields kept only in keys.
//!
//! It is part of [`TableSchema`](crate::TableSchema) (`T::SCHEMA.shape`)
//! beside the key and index schema, for tools that compare an entity with
//! what is stored: `dynamo_repo_testkit::schema` snapshots it to a file in
//! your repository and fails a test when a change would make existing items
//! undecodable or change a key format.

/// The stored shape of an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Every stored attribute, in declaration order (key fields included,
    /// `skip`, `key_only` and `extra` fields not).
    pub attributes: &'static [AttributeShape],
    /// The key templates of a single-table entity (`pk = "..."`, `sk`,
    /// `gsiN(pk, sk)`), in declaration order.
    pub templates: &'static [KeyTemplate],
    /// The Rust field that is `#[dynamo(extra)]` (keeps the attributes the
    /// entity does not declare), if any.
    pub extra: Option<&'static str>,
    /// The `#[dynamo(key_only)]` fields: stored only inside the key
    /// templates, which format them.
    pub key_only: &'static [KeyOnlyField],
}

/// A `#[dynamo(key_only)]` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyOnlyField {
    /// The Rust field name.
    pub field: &'static str,
    /// The field's Rust type, as written, without spaces.
    pub rust_type: &'static str,
}

/// One stored attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeShape {
    /// The attribute name in DynamoDB.
    pub name: &'static str,
    /// The Rust field name.
    pub field: &'static str,
    /// The field's Rust type, as written, without spaces (`Option<String>`).
    pub rust_type: &'static str,
    /// Whether an item may lack the attribute: an `Option` or a
    /// `#[dynamo(default)]` field.
    pub optional: bool,
    /// How the value is encoded.
    pub encoding: Encoding,
}

/// How a field's value is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// By the type's own `ToAttribute` / `FromAttribute`.
    Plain,
    /// `#[dynamo(serde)]`.
    Serde,
    /// `#[dynamo(binary)]`.
    Binary,
    /// `#[dynamo(ttl)]`: epoch seconds.
    Ttl,
    /// `#[dynamo(with = path)]`, with the path as written.
    With(&'static str),
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Encoding::Plain => f.write_str("plain"),
            Encoding::Serde => f.write_str("serde"),
            Encoding::Binary => f.write_str("binary"),
            Encoding::Ttl => f.write_str("ttl"),
            Encoding::With(path) => write!(f, "with {path}"),
        }
    }
}

/// A key attribute written from a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyTemplate {
    /// The attribute the template writes (`PK`, `GSI1SK`).
    pub attribute: &'static str,
    /// The template as declared (`ORG#{org_id}`).
    pub template: &'static str,
}
