use crate::redact::{values_revealed, ShowText};
use std::borrow::Cow;
use std::fmt;

/// Why one attribute value could not be decoded, and where it sits in the item.
///
/// The path is filled in as the error travels up through lists, maps and
/// nested structs, so the message names the exact attribute
/// (`address.zip`, `tags[3]`).
///
/// Its `Display` and `Debug` never quote a stored value unless the application
/// called [`reveal_values_in_errors(true)`](crate::reveal_values_in_errors):
/// a refused value shows as its size (`a stored string (36 bytes) is not a
/// UUID`), and a map key inside the path as `<key>` (`notes.<key>`). The
/// accessors ([`DecodeError::kind`], [`DecodeError::path`]) return everything.
#[derive(Clone, PartialEq)]
pub struct DecodeError {
    entity: Option<&'static str>,
    // Innermost segment first: pushing on the way up is cheaper than inserting at the front.
    path: Vec<PathSegment>,
    kind: DecodeErrorKind,
    /// The key of the item and the enum variant, when known; boxed together
    /// to keep the error small (every decode's `Result` carries it).
    context: Option<Box<Context>>,
}

/// What a decode error knows of where it happened, beside the path.
#[derive(Debug, Clone, Default, PartialEq)]
struct Context {
    /// The key of the item being read (shown redacted).
    key: Option<super::Item>,
    /// The enum with data (and its variant, when known) being decoded, innermost.
    variant: Option<(&'static str, Option<&'static str>)>,
}

/// One step of an attribute path.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathSegment {
    /// A named attribute (a field of the schema).
    Name(String),
    /// A key of a stored map: data, so shown as `<key>` unless values are revealed.
    MapKey(String),
    /// A list element.
    Index(usize),
}

/// What was wrong with the value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// A required attribute is absent from the item.
    Missing,
    /// The value has another DynamoDB type than the field needs.
    WrongType {
        /// The DynamoDB type the field needs (`"S"`, `"N"`, ...).
        expected: &'static str,
        /// The DynamoDB type found.
        found: &'static str,
    },
    /// A number that does not parse as, or does not fit in, the field's type.
    InvalidNumber {
        /// The number's text as stored (shown only when values are revealed).
        text: String,
        /// The Rust type it was read into.
        target: &'static str,
    },
    /// A string that names no variant of an enum.
    UnknownVariant {
        /// The stored string (shown only when values are revealed).
        found: String,
        /// The variants that would have been accepted.
        expected: &'static [&'static str],
    },
    /// An item of another entity type than the one being read (single-table
    /// design): `Project` read as `User`, or an item with no type at all.
    WrongEntityType {
        /// The entity type being read.
        expected: &'static str,
        /// The entity type the item holds (`None`: no type attribute); a stored
        /// value, so shown only when values are revealed.
        found: Option<String>,
    },
    /// An item whose entity type no variant of a collection accepts.
    UnknownEntityType {
        /// The entity type the item holds (`None`: no type attribute); shown
        /// only when values are revealed.
        found: Option<String>,
        /// The entity types the collection accepts.
        expected: &'static [&'static str],
    },
    /// A stored value the field's type refuses: a string that is not a UUID,
    /// a date-time or a key of the entity's template, a value its serde
    /// `Deserialize` refuses. Built with [`DecodeError::invalid`].
    Invalid {
        /// What the field accepts (`a UUID`, `an RFC 3339 date-time`).
        expected: Cow<'static, str>,
        /// The stored value as text, when there is one (shown only when values are revealed).
        found: Option<String>,
        /// The parser's explanation; parsers quote their input, so it is shown
        /// only when values are revealed.
        detail: Option<String>,
    },
    /// A number that is valid text but whose value the field's type cannot
    /// hold faithfully: too large or too small (non-zero) for a float, NaN or
    /// an infinity. The stored text is not kept, so it never reaches a message.
    NumberOutOfRange {
        /// The Rust type it was read into.
        target: &'static str,
        /// Why it does not fit.
        reason: &'static str,
    },
    /// Lists and maps nested deeper than `limit` levels (DynamoDB stores at
    /// most 32), refused before decoding so no decoder recurses without bound.
    TooDeep {
        /// The deepest nesting accepted.
        limit: usize,
    },
    /// An item of a schema version this code cannot read
    /// (`#[dynamo(schema_version = N)]`): newer than `current` (written by a
    /// newer deployment) or older than `oldest` (its upgrade was removed).
    SchemaVersion {
        /// The item's version.
        found: u32,
        /// The oldest version this code upgrades.
        oldest: u32,
        /// The version this code reads and writes.
        current: u32,
    },
    /// Any other reason, from a custom conversion: shown as written, so it
    /// should not quote the stored value (use [`DecodeError::invalid`] for that).
    Custom(String),
}

impl DecodeError {
    /// An error of the given kind at the current position (the path is added by callers).
    pub fn new(kind: DecodeErrorKind) -> Self {
        DecodeError {
            entity: None,
            path: Vec::new(),
            kind,
            context: None,
        }
    }

    /// Names the key of the item that could not be decoded (kept if one is
    /// already set).
    pub fn with_key(mut self, key: super::Item) -> Self {
        if self.key().is_none() && !key.is_empty() {
            self.context.get_or_insert_with(Default::default).key = Some(key);
        }
        self
    }

    /// The key of the item that could not be decoded, when the read knew it
    /// (reads of whole entities and projections do).
    pub fn key(&self) -> Option<&super::Item> {
        self.context.as_ref().and_then(|c| c.key.as_ref())
    }

    /// A wrong-type error.
    pub fn wrong_type(
        expected: &'static str,
        found: &aws_sdk_dynamodb::types::AttributeValue,
    ) -> Self {
        Self::new(DecodeErrorKind::WrongType {
            expected,
            found: super::kind_of(found),
        })
    }

    /// An error with a free-form message, for custom conversions. The message
    /// is shown as written, in logs too: do not put the stored value in it
    /// (use [`DecodeError::invalid`]).
    pub fn custom(message: impl fmt::Display) -> Self {
        Self::new(DecodeErrorKind::Custom(message.to_string()))
    }

    /// A stored value (`found`, as text) that is not what the field accepts
    /// (`expected`, as `a UUID`). Shown as `a stored string (36 bytes) is not
    /// a UUID` unless values are revealed.
    pub fn invalid(found: impl Into<String>, expected: impl Into<Cow<'static, str>>) -> Self {
        Self::new(DecodeErrorKind::Invalid {
            expected: expected.into(),
            found: Some(found.into()),
            detail: None,
        })
    }

    /// Adds a parser's explanation to an [`DecodeErrorKind::Invalid`] error
    /// (shown only when values are revealed, as parsers quote their input).
    pub fn with_detail(mut self, detail: impl fmt::Display) -> Self {
        if let DecodeErrorKind::Invalid { detail: d, .. } = &mut self.kind {
            *d = Some(detail.to_string());
        }
        self
    }

    /// Prefixes the path with an attribute name (a field of the schema).
    pub fn in_attribute(mut self, name: &str) -> Self {
        self.path.push(PathSegment::Name(name.to_owned()));
        self
    }

    /// Prefixes the path with the key of a stored map (data: shown as `<key>`
    /// unless values are revealed).
    pub fn in_map_key(mut self, key: &str) -> Self {
        self.path.push(PathSegment::MapKey(key.to_owned()));
        self
    }

    /// Prefixes the path with a list index.
    pub fn at_index(mut self, index: usize) -> Self {
        self.path.push(PathSegment::Index(index));
        self
    }

    /// Records the entity being decoded (set once, by the outermost decoder).
    pub fn in_entity(mut self, entity: &'static str) -> Self {
        if self.entity.is_none() {
            self.entity = Some(entity);
        }
        self
    }

    /// Records the enum with data, and the variant, being decoded (kept if
    /// one is set already: the innermost names the error best).
    pub fn in_variant(mut self, enum_name: &'static str, variant: &'static str) -> Self {
        if self.enum_variant().is_none() {
            self.context.get_or_insert_with(Default::default).variant =
                Some((enum_name, Some(variant)));
        }
        self
    }

    /// Records the enum with data being decoded, when no variant is known
    /// (its tag is missing or unknown).
    pub fn in_enum(mut self, enum_name: &'static str) -> Self {
        if self.enum_variant().is_none() {
            self.context.get_or_insert_with(Default::default).variant = Some((enum_name, None));
        }
        self
    }

    /// The enum with data and its variant (when known) where decoding failed.
    pub fn enum_variant(&self) -> Option<(&'static str, Option<&'static str>)> {
        self.context.as_ref().and_then(|c| c.variant)
    }

    /// The entity being decoded, when known.
    pub fn entity(&self) -> Option<&'static str> {
        self.entity
    }

    /// The attribute path, outermost first, as `address.zip` or `tags[3]`,
    /// with map keys as stored.
    pub fn path(&self) -> String {
        self.path_text(true)
    }

    /// The path's segments, outermost first.
    pub fn path_segments(&self) -> impl Iterator<Item = &PathSegment> {
        self.path.iter().rev()
    }

    fn path_text(&self, reveal: bool) -> String {
        let mut out = String::new();
        for segment in self.path.iter().rev() {
            match segment {
                PathSegment::Name(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                PathSegment::MapKey(key) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(if reveal { key } else { "<key>" });
                }
                PathSegment::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }

    /// What was wrong.
    pub fn kind(&self) -> &DecodeErrorKind {
        &self.kind
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cannot decode ")?;
        if let Some(entity) = self.entity {
            write!(f, "{entity} ")?;
        }
        if let Some(key) = self.key() {
            write!(f, "{} ", crate::redact::ShowItem(key))?;
        }
        let reveal = values_revealed();
        let path = self.path_text(reveal);
        if path.is_empty() {
            f.write_str("value")?;
        } else {
            write!(f, "attribute `{path}`")?;
        }
        match self.enum_variant() {
            Some((enum_name, Some(variant))) => write!(f, " (variant `{enum_name}::{variant}`)")?,
            Some((enum_name, None)) => write!(f, " (enum `{enum_name}`)")?,
            None => {}
        }
        f.write_str(": ")?;
        match &self.kind {
            DecodeErrorKind::Missing => f.write_str("required attribute is missing"),
            DecodeErrorKind::WrongType {
                expected,
                found: "NULL",
            } => {
                write!(
                    f,
                    "expected {expected}, found NULL where a value is required"
                )
            }
            DecodeErrorKind::WrongType { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
            DecodeErrorKind::InvalidNumber { text, target } => {
                let text = ShowText { text, what: "stored number" };
                write!(f, "{text} does not fit in {target}")
            }
            DecodeErrorKind::UnknownVariant { found, expected } => {
                let found = ShowText { text: found, what: "stored string" };
                write!(f, "{found} is not one of {expected:?}")
            }
            DecodeErrorKind::WrongEntityType {
                expected,
                found: Some(found),
            } if reveal => write!(
                f,
                "the item is a `{found}`, not a `{expected}`; read it as its own entity type"
            ),
            DecodeErrorKind::WrongEntityType {
                expected,
                found: Some(found),
            } => write!(
                f,
                "the item holds another entity type ({} bytes), not a `{expected}`; \
                 read it as its own entity type",
                found.len()
            ),
            DecodeErrorKind::WrongEntityType {
                expected,
                found: None,
            } => write!(
                f,
                "the item has no entity type; expected a `{expected}` (was it written by dynamo-repo?)"
            ),
            DecodeErrorKind::UnknownEntityType {
                found: Some(found),
                expected,
            } => {
                let found = ShowText { text: found, what: "stored entity type" };
                write!(
                    f,
                    "no variant for {found}; this collection reads {expected:?}"
                )
            }
            DecodeErrorKind::UnknownEntityType {
                found: None,
                expected,
            } => write!(
                f,
                "the item has no entity type; this collection reads {expected:?}"
            ),
            DecodeErrorKind::Invalid {
                expected,
                found,
                detail,
            } => {
                match found {
                    Some(text) => write!(f, "{} is not {expected}", ShowText { text, what: "stored value" })?,
                    None => write!(f, "the stored value is not {expected}")?,
                }
                match detail {
                    Some(detail) if reveal => write!(f, ": {detail}"),
                    _ => Ok(()),
                }
            }
            DecodeErrorKind::NumberOutOfRange { target, reason } => {
                write!(f, "the number does not fit in {target}: {reason}")
            }
            DecodeErrorKind::TooDeep { limit } => {
                write!(f, "values nest deeper than {limit} levels")
            }
            DecodeErrorKind::SchemaVersion { found, current, .. } if found > current => write!(
                f,
                "the item is at schema version {found}, newer than version {current} this code knows \
                 (written by a newer deployment); it is not decoded"
            ),
            DecodeErrorKind::SchemaVersion { found, oldest, .. } => write!(
                f,
                "the item is at schema version {found}, older than version {oldest}, the oldest \
                 this code upgrades (backfill the old items, or restore the upgrade)"
            ),
            DecodeErrorKind::Custom(message) => f.write_str(message),
        }
    }
}

/// The same text as `Display` (the kind's fields hold stored values).
impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DecodeError({self})")
    }
}

impl std::error::Error for DecodeError {}

#[cfg(test)]
mod tests {
    use super::*;

    // The process-wide switch is left off here (other unit tests run at the same time).
    #[test]
    fn map_keys_and_stored_text_stay_out_of_the_message() {
        let e = DecodeError::invalid("SSN 123-45-6789", "a UUID")
            .with_detail("invalid character `S`")
            .in_map_key("diagnosis: HIV+")
            .in_attribute("notes")
            .at_index(2)
            .in_attribute("visits")
            .in_entity("Patient");
        assert_eq!(
            e.to_string(),
            "cannot decode Patient attribute `visits[2].notes.<key>`: \
             a stored value (15 bytes) is not a UUID"
        );
        assert_eq!(format!("{e:?}"), format!("DecodeError({e})"));
        // The accessors keep everything.
        assert_eq!(e.path(), "visits[2].notes.diagnosis: HIV+");
        assert_eq!(e.path_text(false), "visits[2].notes.<key>");
        assert!(matches!(
            e.kind(),
            DecodeErrorKind::Invalid { found: Some(f), detail: Some(_), .. } if f == "SSN 123-45-6789"
        ));
    }
}
