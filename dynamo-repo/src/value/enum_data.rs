//! Decoding helpers for enums with data (`#[derive(Attribute)]` on an enum
//! with a newtype, tuple or struct variant): the tag attribute, the content
//! attribute of adjacent tagging, and a tuple variant's list.

use super::{DecodeError, DecodeErrorKind, FromAttribute, Item};
use aws_sdk_dynamodb::types::AttributeValue;

/// Takes the tag attribute `tag` of enum `enum_name`: a string, required.
pub fn take_tag(
    item: &mut Item,
    tag: &str,
    enum_name: &'static str,
) -> Result<String, DecodeError> {
    match item.remove(tag) {
        Some(AttributeValue::S(s)) => Ok(s),
        Some(other) => Err(DecodeError::wrong_type("S", &other)
            .in_attribute(tag)
            .in_enum(enum_name)),
        None => Err(DecodeError::new(DecodeErrorKind::Missing)
            .in_attribute(tag)
            .in_enum(enum_name)),
    }
}

/// The error for a tag naming no variant (the stored tag shown only when
/// values are revealed).
pub fn unknown_tag(
    found: String,
    tag: &str,
    enum_name: &'static str,
    expected: &'static [&'static str],
) -> DecodeError {
    DecodeError::new(DecodeErrorKind::UnknownVariant { found, expected })
        .in_attribute(tag)
        .in_enum(enum_name)
}

/// Reads a struct variant's fields from the map under `content` (adjacent tagging).
pub fn take_content<V>(
    item: &mut Item,
    content: &str,
    read: impl FnOnce(&mut Item) -> Result<V, DecodeError>,
) -> Result<V, DecodeError> {
    match item.remove(content) {
        Some(AttributeValue::M(mut map)) => read(&mut map).map_err(|e| e.in_attribute(content)),
        Some(other) => Err(DecodeError::wrong_type("M", &other).in_attribute(content)),
        None => Err(DecodeError::new(DecodeErrorKind::Missing).in_attribute(content)),
    }
}

/// A tuple variant's elements: the list of exactly `len` values under `content`.
pub struct TupleElements<'a> {
    content: &'a str,
    index: usize,
    elements: std::vec::IntoIter<AttributeValue>,
}

/// Takes the list of a tuple variant (adjacent tagging), of exactly `len` elements.
pub fn take_tuple<'a>(
    item: &mut Item,
    content: &'a str,
    len: usize,
) -> Result<TupleElements<'a>, DecodeError> {
    match item.remove(content) {
        Some(AttributeValue::L(list)) if list.len() == len => Ok(TupleElements {
            content,
            index: 0,
            elements: list.into_iter(),
        }),
        Some(AttributeValue::L(list)) => Err(DecodeError::new(DecodeErrorKind::Invalid {
            expected: format!("a list of {len} values").into(),
            found: None,
            detail: Some(format!("{} values", list.len())),
        })
        .in_attribute(content)),
        Some(other) => Err(DecodeError::wrong_type("L", &other).in_attribute(content)),
        None => Err(DecodeError::new(DecodeErrorKind::Missing).in_attribute(content)),
    }
}

/// Decodes the next element of a tuple variant, naming its index in any error.
pub fn next_element<V: FromAttribute>(elements: &mut TupleElements<'_>) -> Result<V, DecodeError> {
    let index = elements.index;
    elements.index += 1;
    let value = elements
        .elements
        .next()
        .unwrap_or(AttributeValue::Null(true));
    V::from_attribute(value).map_err(|e| e.at_index(index).in_attribute(elements.content))
}
