//! Single-table design: key templates, entity types and collections.
//!
//! An entity declared with key templates (`pk = "ORG#{org_id}"`,
//! `sk = "USER#{user_id}"`) stores its physical keys in attributes of their
//! own (`PK`, `SK`, `GSI1PK`, ...), built from its fields on every write,
//! and tags each item with its entity type, so several entity types can share
//! one table and one query can read them back as a [`Collection`].
//!
//! # Escaping and unambiguous templates
//! A value formatted into a key has `%` replaced by `%25` and `#` by `%23`,
//! so no value can contain the `#` separator. Prefixes for `begins_with`
//! queries are built the same way. [`escape`] is the function used.
//!
//! The derive refuses a template that could make one key from two sets of
//! values: every template starts with literal text (`"{label}"` is refused;
//! it could render any key, `ORG` included), and each placeholder ends the
//! template or is followed by `#` (`"P#{a}{b}"` and `"DOC#{kind}-{id}"` are
//! refused: `x`+`yz` and `xy`+`z` meet). With the escaping, a key then parses
//! back to exactly one set of values ([`split_key`]).
//!
//! Different entity types can still render the same key when their templates
//! overlap (a derive cannot see the other entities of the table), so writes
//! of typed entities also check the stored item's type: see
//! [`crate::type_guard`].

use crate::error::Result;
use crate::value::Item;

/// A Rust type that can be formatted into a key template placeholder.
///
/// Strings, chars, integers, bools and `#[derive(Attribute)]` unit enums
/// (by their stored name); with the crate features, `uuid::Uuid` and
/// chrono's / time's UTC timestamps (RFC 3339, as they are stored).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be formatted into a key template",
    label = "a placeholder's field must be a string, a char, an integer, a bool or a unit enum",
    note = "key templates hold text; floats, options, lists, sets, maps and bytes have no single key form"
)]
pub trait KeyPart {
    /// Appends the value's unescaped text to `out`.
    fn write_key_part(&self, out: &mut String);
}

impl<T: KeyPart + ?Sized> KeyPart for &T {
    fn write_key_part(&self, out: &mut String) {
        (**self).write_key_part(out)
    }
}

impl KeyPart for str {
    fn write_key_part(&self, out: &mut String) {
        out.push_str(self)
    }
}

impl KeyPart for String {
    fn write_key_part(&self, out: &mut String) {
        out.push_str(self)
    }
}

impl KeyPart for char {
    fn write_key_part(&self, out: &mut String) {
        out.push(*self)
    }
}

macro_rules! display_key_parts {
    ($($ty:ty),*) => {$(
        impl KeyPart for $ty {
            fn write_key_part(&self, out: &mut String) {
                use std::fmt::Write;
                let _ = write!(out, "{self}");
            }
        }
    )*};
}
display_key_parts!(bool, i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

/// Formats through the type's string attribute, so a key holds the same text
/// as the stored field.
macro_rules! string_attribute_key_parts {
    ($($feature:literal => $ty:ty),*) => {$(
        #[cfg(feature = $feature)]
        impl KeyPart for $ty {
            fn write_key_part(&self, out: &mut String) {
                if let Some(aws_sdk_dynamodb::types::AttributeValue::S(s)) =
                    crate::value::ToAttribute::to_attribute(self)
                {
                    out.push_str(&s)
                }
            }
        }
    )*};
}
string_attribute_key_parts!(
    "uuid" => uuid::Uuid,
    "chrono" => chrono::DateTime<chrono::Utc>,
    "time" => time::OffsetDateTime
);

/// A type that can be read back from its text in a key, for
/// `#[dynamo(key_only)]` fields.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read back from a key",
    label = "a key_only field must be a string, a char, an integer, a bool or a unit enum"
)]
pub trait FromKeyPart: Sized {
    /// Parses the unescaped text of a placeholder.
    fn from_key_part(text: &str) -> Result<Self, crate::DecodeError>;
}

impl FromKeyPart for String {
    fn from_key_part(text: &str) -> Result<Self, crate::DecodeError> {
        Ok(text.to_owned())
    }
}

/// Parses through the type's string attribute (chars, unit enums, uuids,
/// timestamps): the same text the key was formatted from.
impl<T: crate::FromAttribute + KeyPart> FromKeyPart for T
where
    T: ViaString,
{
    fn from_key_part(text: &str) -> Result<Self, crate::DecodeError> {
        T::from_attribute(aws_sdk_dynamodb::types::AttributeValue::S(text.to_owned()))
    }
}

/// Marks key parts read back through their string attribute (see [`FromKeyPart`]).
pub trait ViaString {}
impl ViaString for char {}
#[cfg(feature = "uuid")]
impl ViaString for uuid::Uuid {}
#[cfg(feature = "chrono")]
impl ViaString for chrono::DateTime<chrono::Utc> {}
#[cfg(feature = "time")]
impl ViaString for time::OffsetDateTime {}

/// Numbers and bools are stored as N / BOOL, so they parse from the text.
macro_rules! parsed_key_parts {
    ($($ty:ty),*) => {$(
        impl FromKeyPart for $ty {
            fn from_key_part(text: &str) -> Result<Self, crate::DecodeError> {
                text.parse().map_err(|_| crate::DecodeError::invalid(
                    text,
                    concat!("a ", stringify!($ty), " (in the key)"),
                ))
            }
        }
    )*};
}
parsed_key_parts!(bool, i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

/// One piece of a key template, for reading `key_only` fields back.
#[derive(Debug, Clone, Copy)]
pub enum KeySegment {
    /// Text that must be there as it is.
    Literal(&'static str),
    /// An escaped value, running to the next `#` or the end.
    Placeholder,
}

/// The unescaped text of placeholder `n` of `key`, laid out as `segments`;
/// `None` when the key does not follow the template.
pub fn split_key(key: &str, segments: &[KeySegment], n: usize) -> Option<String> {
    let mut rest = key;
    let mut seen = 0;
    for segment in segments {
        match segment {
            KeySegment::Literal(text) => rest = rest.strip_prefix(text)?,
            KeySegment::Placeholder => {
                let end = rest.find('#').unwrap_or(rest.len());
                if seen == n {
                    return Some(unescape(&rest[..end]));
                }
                seen += 1;
                rest = &rest[end..];
            }
        }
    }
    None
}

/// Reverses [`escape`].
pub fn unescape(value: &str) -> String {
    value.replace("%23", "#").replace("%25", "%")
}

/// Appends `value` to `out` with `%` as `%25` and `#` as `%23`.
pub fn escape(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '%' => out.push_str("%25"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
}

/// Appends the escaped text of a placeholder's value to a key being built.
pub fn push_key_part<V: KeyPart + ?Sized>(out: &mut String, value: &V) {
    let mut raw = String::new();
    value.write_key_part(&mut raw);
    escape(&raw, out);
}

/// An entity that tags its items with an entity type, so it can share a
/// table with other types: declared with `#[dynamo(entity = "user")]` or key
/// templates (whose default type name is the struct's name).
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no entity type, so its items cannot be told apart in a collection",
    label = "declare one with #[dynamo(entity = \"...\")] on the entity",
    note = "a collection routes each item by its entity-type attribute"
)]
pub trait TypedEntity: crate::Entity {
    /// The entity type written into every item.
    const ENTITY_TYPE: &'static str;
    /// The attribute that holds it.
    const TYPE_ATTRIBUTE: &'static str;
}

/// What a single-table entity declares beyond its key attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SingleTableSchema {
    /// The attribute holding the entity type (`_type` unless renamed).
    pub type_attribute: &'static str,
    /// This entity's type name.
    pub entity_type: &'static str,
    /// Attribute names of the fields that key templates are built from; an
    /// update may not change them, since the stored keys would go stale.
    pub key_sources: &'static [&'static str],
}

/// An enum of entity types read from one table, each item routed to its
/// variant by the entity-type attribute. Derived with `#[derive(Collection)]`.
pub trait Collection: Sized + Send + 'static {
    /// The entity types this collection accepts.
    const ENTITY_TYPES: &'static [&'static str];
    /// Decodes an item into the variant of its entity type; an item of any
    /// other type is a decode error naming the type found.
    fn from_item(item: Item) -> Result<Self>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_separators_out_of_values() {
        let mut out = String::from("USER#");
        push_key_part(&mut out, "42#PROFILE%23");
        assert_eq!(out, "USER#42%23PROFILE%2523");
        let mut n = String::new();
        push_key_part(&mut n, &-7i64);
        assert_eq!(n, "-7");
    }

    #[test]
    fn key_parts_are_read_back_from_their_template() {
        use KeySegment::{Literal, Placeholder};
        let segments = [Literal("INV#"), Placeholder, Literal("#"), Placeholder];
        let mut key = String::from("INV#");
        push_key_part(&mut key, "a#b%23");
        key.push('#');
        push_key_part(&mut key, &2026u32);
        assert_eq!(split_key(&key, &segments, 0).as_deref(), Some("a#b%23"));
        assert_eq!(split_key(&key, &segments, 1).as_deref(), Some("2026"));
        assert_eq!(split_key("OTHER#x", &segments, 0), None);
    }
}
