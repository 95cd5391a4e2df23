//! Conversions between Rust values and DynamoDB [`AttributeValue`]s.
//!
//! [`ToAttribute`] and [`FromAttribute`] are what `#[derive(Entity)]` and
//! `#[derive(Attribute)]` call for every field. They are implemented for the
//! standard types listed in the crate's type-mapping table; implement them for
//! your own types, or use `#[dynamo(with = module)]` on a field.

mod decode_error;
pub(crate) mod depth;
pub(crate) mod enum_data;
mod epoch;
mod impls;
mod number;

pub use decode_error::{DecodeError, DecodeErrorKind, PathSegment};
pub use depth::MAX_DEPTH;
#[doc(hidden)]
pub use epoch::EpochSeconds;
pub use impls::SetMember;
pub(crate) use number::NumberText;

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

/// One DynamoDB item: attribute names to values, as the SDK uses it.
pub type Item = HashMap<String, AttributeValue>;

/// Encodes a Rust value as one DynamoDB attribute value.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored in a DynamoDB attribute",
    label = "`{Self}` does not implement `ToAttribute`",
    note = "add #[derive(dynamo_repo::Attribute)] to `{Self}` (a struct stored as a map, or an enum), or mark the field #[dynamo(serde)] for a serde type, #[dynamo(with = module)] for your own conversion, or #[dynamo(ttl)] for a std::time::SystemTime expiry"
)]
pub trait ToAttribute {
    /// Returns the attribute value, or `None` when the attribute is not written
    /// at all (an `Option::None`, or an empty set, which DynamoDB forbids).
    ///
    /// Encoding never fails: values DynamoDB cannot store (a NaN, a number of
    /// more than 38 digits) are encoded as they are and rejected, with the
    /// attribute's path, by the validation every write runs before sending.
    fn to_attribute(&self) -> Option<AttributeValue>;
}

/// Decodes a Rust value from one DynamoDB attribute value.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from a DynamoDB attribute",
    label = "`{Self}` does not implement `FromAttribute`",
    note = "add #[derive(dynamo_repo::Attribute)] to `{Self}` (a struct stored as a map, or an enum), or mark the field #[dynamo(serde)] for a serde type, #[dynamo(with = module)] for your own conversion, or #[dynamo(ttl)] for a std::time::SystemTime expiry"
)]
pub trait FromAttribute: Sized {
    /// Decodes `value`, or says what was expected and what was found.
    fn from_attribute(value: AttributeValue) -> Result<Self, DecodeError>;

    /// The value to use when the attribute is absent from the item, or `None`
    /// when an absent attribute is an error (the default).
    fn when_absent() -> Option<Self> {
        None
    }
}

impl<T: ToAttribute + ?Sized> ToAttribute for &T {
    fn to_attribute(&self) -> Option<AttributeValue> {
        (**self).to_attribute()
    }
}

impl<T: ToAttribute + ?Sized> ToAttribute for Box<T> {
    fn to_attribute(&self) -> Option<AttributeValue> {
        (**self).to_attribute()
    }
}

impl<T: FromAttribute> FromAttribute for Box<T> {
    fn from_attribute(value: AttributeValue) -> Result<Self, DecodeError> {
        T::from_attribute(value).map(Box::new)
    }
    fn when_absent() -> Option<Self> {
        T::when_absent().map(Box::new)
    }
}

/// A short name for the kind of an attribute value (`"S"`, `"N"`, `"M"`, ...),
/// used in error messages.
pub(crate) fn kind_of(value: &AttributeValue) -> &'static str {
    match value {
        AttributeValue::S(_) => "S",
        AttributeValue::N(_) => "N",
        AttributeValue::B(_) => "B",
        AttributeValue::Bool(_) => "BOOL",
        AttributeValue::Null(_) => "NULL",
        AttributeValue::L(_) => "L",
        AttributeValue::M(_) => "M",
        AttributeValue::Ss(_) => "SS",
        AttributeValue::Ns(_) => "NS",
        AttributeValue::Bs(_) => "BS",
        _ => "an unknown type",
    }
}
