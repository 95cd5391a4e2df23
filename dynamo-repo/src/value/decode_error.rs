use std::fmt;

/// Why one attribute value could not be decoded, and where it sits in the item.
///
/// The path is filled in as the error travels up through lists, maps and
/// nested structs, so the message names the exact attribute
/// (`address.zip`, `tags[3]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    entity: Option<&'static str>,
    // Innermost segment first: pushing on the way up is cheaper than inserting at the front.
    path: Vec<PathSegment>,
    kind: DecodeErrorKind,
}

/// One step of an attribute path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    /// A named attribute or map key.
    Name(String),
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
        /// The number's text as stored.
        text: String,
        /// The Rust type it was read into.
        target: &'static str,
    },
    /// A string that names no variant of an enum.
    UnknownVariant {
        /// The stored string.
        found: String,
        /// The variants that would have been accepted.
        expected: &'static [&'static str],
    },
    /// An item of another entity type than the one being read (single-table
    /// design): `Project` read as `User`, or an item with no type at all.
    WrongEntityType {
        /// The entity type being read.
        expected: &'static str,
        /// The entity type the item holds (`None`: no type attribute).
        found: Option<String>,
    },
    /// An item whose entity type no variant of a collection accepts.
    UnknownEntityType {
        /// The entity type the item holds (`None`: no type attribute).
        found: Option<String>,
        /// The entity types the collection accepts.
        expected: &'static [&'static str],
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
    /// Any other reason, from a custom conversion or the serde fallback.
    Custom(String),
}

impl DecodeError {
    /// An error of the given kind at the current position (the path is added by callers).
    pub fn new(kind: DecodeErrorKind) -> Self {
        DecodeError {
            entity: None,
            path: Vec::new(),
            kind,
        }
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

    /// An error with a free-form message, for custom conversions.
    pub fn custom(message: impl fmt::Display) -> Self {
        Self::new(DecodeErrorKind::Custom(message.to_string()))
    }

    /// Prefixes the path with an attribute or map-key name.
    pub fn in_attribute(mut self, name: &str) -> Self {
        self.path.push(PathSegment::Name(name.to_owned()));
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

    /// The entity being decoded, when known.
    pub fn entity(&self) -> Option<&'static str> {
        self.entity
    }

    /// The attribute path, outermost first, as `address.zip` or `tags[3]`.
    pub fn path(&self) -> String {
        let mut out = String::new();
        for segment in self.path.iter().rev() {
            match segment {
                PathSegment::Name(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
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
        let path = self.path();
        if path.is_empty() {
            f.write_str("value")?;
        } else {
            write!(f, "attribute `{path}`")?;
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
                write!(f, "number `{text}` does not fit in {target}")
            }
            DecodeErrorKind::UnknownVariant { found, expected } => {
                write!(f, "`{found}` is not one of {expected:?}")
            }
            DecodeErrorKind::WrongEntityType {
                expected,
                found: Some(found),
            } => write!(
                f,
                "the item is a `{found}`, not a `{expected}`; read it as its own entity type"
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
            } => write!(
                f,
                "no variant for entity type `{found}`; this collection reads {expected:?}"
            ),
            DecodeErrorKind::UnknownEntityType {
                found: None,
                expected,
            } => write!(
                f,
                "the item has no entity type; this collection reads {expected:?}"
            ),
            DecodeErrorKind::NumberOutOfRange { target, reason } => {
                write!(f, "the number does not fit in {target}: {reason}")
            }
            DecodeErrorKind::TooDeep { limit } => {
                write!(f, "values nest deeper than {limit} levels")
            }
            DecodeErrorKind::Custom(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for DecodeError {}
