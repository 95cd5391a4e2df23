//! Checks run before any write is sent: keys, numbers, nesting and DynamoDB's
//! item size rule.

use crate::entity::{KeyAttribute, KeyType, TableSchema};
use crate::error::{ValidationError, ValidationErrorKind as Kind};
use crate::value::{Item, NumberText};
use aws_sdk_dynamodb::types::AttributeValue;

/// DynamoDB's largest item, in bytes.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// The longest partition key value, in bytes.
pub const MAX_PARTITION_KEY_BYTES: usize = 2048;
/// The longest sort key value, in bytes.
pub const MAX_SORT_KEY_BYTES: usize = 1024;
pub use crate::value::MAX_DEPTH;

/// Starts the text of a number that stands for a value that could not be
/// encoded at all; validation reports the rest of the text as the reason.
pub(crate) const UNENCODABLE_MARKER: &str = "\u{0}unencodable: ";

/// The values of the key attributes of `item`: the partition key's and the
/// sort key's (`None` when missing, or when the table has no sort key).
pub(crate) type KeyValues<'i> = [Option<&'i AttributeValue>; 2];

/// The [`KeyValues`] of `item`, each looked up once.
pub(crate) fn key_values<'i>(schema: &TableSchema, item: &'i Item) -> KeyValues<'i> {
    [
        item.get(schema.partition_key.name),
        schema.sort_key.as_ref().and_then(|k| item.get(k.name)),
    ]
}

/// Checks a whole item before it is written and returns its size in bytes.
pub(crate) fn check_item(schema: &TableSchema, item: &Item) -> Result<usize, ValidationError> {
    check_item_keyed(schema, item, key_values(schema, item))
}

/// [`check_item`] with the item's [`KeyValues`] already looked up.
pub(crate) fn check_item_keyed(
    schema: &TableSchema,
    item: &Item,
    key: KeyValues<'_>,
) -> Result<usize, ValidationError> {
    check_key_values(schema, key)?;
    for index in schema.indexes {
        for (position, k) in index.key_attributes().enumerate() {
            if let Some(value) = item.get(k.name) {
                check_index_key(schema, index, position, k, value)?;
            }
        }
    }
    let mut size = 0;
    for (name, value) in item {
        size += name.len()
            + value_size(value, 1, &mut |suffix| join(name, suffix))
                .map_err(|e| e.entity(schema.entity))?;
    }
    if size > MAX_ITEM_BYTES {
        return Err(ValidationError::new(
            Kind::ItemTooLarge,
            format!(
                "the item is {size} bytes; DynamoDB's limit is {MAX_ITEM_BYTES} bytes (400 KB)"
            ),
        )
        .entity(schema.entity));
    }
    Ok(size)
}

/// Checks that `key` holds every key attribute of the schema, non-empty,
/// of the right type and within DynamoDB's length limits.
pub(crate) fn check_key(schema: &TableSchema, key: &Item) -> Result<(), ValidationError> {
    check_key_values(schema, key_values(schema, key))
}

/// [`check_key`] of a key's [`KeyValues`].
pub(crate) fn check_key_values(
    schema: &TableSchema,
    [partition, sort]: KeyValues<'_>,
) -> Result<(), ValidationError> {
    check_key_value(
        schema.entity,
        &schema.partition_key,
        MAX_PARTITION_KEY_BYTES,
        partition,
    )?;
    crate::unique::check_reserved(schema.entity, schema.partition_key.name, partition)?;
    if let Some(sort_key) = &schema.sort_key {
        check_key_value(schema.entity, sort_key, MAX_SORT_KEY_BYTES, sort)?;
    }
    Ok(())
}

/// Checks one key attribute's value (`None` when it is missing): present,
/// non-empty, of the right type and at most `limit` bytes.
pub(crate) fn check_key_value(
    entity: &'static str,
    attr: &KeyAttribute,
    limit: usize,
    value: Option<&AttributeValue>,
) -> Result<(), ValidationError> {
    let fail = |kind, message: String| {
        Err(ValidationError::new(kind, message)
            .entity(entity)
            .attribute(attr.name))
    };
    let len = match (value, attr.key_type) {
        (None, _) => return fail(Kind::EmptyKey, "the key attribute is missing".into()),
        (Some(AttributeValue::S(s)), KeyType::String) => {
            if let Some(reason) = crate::sortable::refusal(s) {
                return fail(Kind::KeyPartTooWide, reason.to_owned());
            }
            s.len()
        }
        (Some(AttributeValue::B(b)), KeyType::Binary) => b.as_ref().len(),
        (Some(AttributeValue::N(n)), KeyType::Number) => {
            if let Err(reason) = NumberText::new(n).check() {
                return fail(Kind::InvalidNumber, reason);
            }
            n.len()
        }
        (Some(other), expected) => {
            return fail(
                Kind::KeyType,
                format!(
                    "the key attribute must be {}, found {}",
                    expected.code(),
                    crate::value::kind_of(other)
                ),
            )
        }
    };
    if len == 0 {
        return fail(Kind::EmptyKey, "key values cannot be empty".into());
    }
    if len > limit {
        return fail(
            Kind::KeyTooLong,
            format!("the key value is {len} bytes; DynamoDB's limit is {limit} bytes"),
        );
    }
    Ok(())
}

/// Checks a value written to a key attribute of a secondary index: an item
/// may leave it out (it is then absent from the index), but a value given must
/// have the key's type, be non-empty and within the key length limits.
fn check_index_key(
    schema: &TableSchema,
    index: &crate::entity::IndexSchema,
    position: usize,
    attr: &KeyAttribute,
    value: &AttributeValue,
) -> Result<(), ValidationError> {
    let limit = if position < 1 + index.more_partition_keys.len() {
        MAX_PARTITION_KEY_BYTES
    } else {
        MAX_SORT_KEY_BYTES
    };
    check_key_value(schema.entity, attr, limit, Some(value)).map_err(|mut e| {
        e.message = format!("{} (it is a key of index `{}`)", e.message, index.name);
        e
    })
}

/// Checks one value written to `attribute` (by an update) and returns its size.
/// (`attribute` is only formatted when the value is refused.)
pub(crate) fn check_value(
    schema: &TableSchema,
    attribute: &dyn std::fmt::Display,
    value: &AttributeValue,
) -> Result<usize, ValidationError> {
    if !schema.indexes.is_empty() {
        let name = attribute.to_string();
        for index in schema.indexes {
            for (position, k) in index.key_attributes().enumerate() {
                if k.name == name {
                    check_index_key(schema, index, position, k, value)?;
                }
            }
        }
    }
    value_size(value, 1, &mut |suffix| format!("{attribute}{suffix}"))
        .map_err(|e| e.entity(schema.entity))
}

/// Refuses an update whose written values alone (`written` bytes: the values
/// of plain `SET`s, appends and prepends, which the item will hold whatever
/// it held before) take it past DynamoDB's 400 KB item limit.
pub(crate) fn check_update_floor(
    schema: &TableSchema,
    written: usize,
) -> Result<(), ValidationError> {
    if written > MAX_ITEM_BYTES {
        return Err(ValidationError::new(
            Kind::ItemTooLarge,
            format!(
                "the update writes {written} bytes of values; DynamoDB's limit for the whole item is {MAX_ITEM_BYTES} bytes (400 KB)"
            ),
        )
        .entity(schema.entity));
    }
    Ok(())
}

/// Checks a value an expression compares with the attribute at `path` (a
/// condition or filter operand): a number DynamoDB can store, no empty set,
/// at most 32 levels deep.
pub(crate) fn check_operand(
    path: &dyn std::fmt::Display,
    value: &AttributeValue,
) -> Result<(), ValidationError> {
    if let AttributeValue::S(s) = value {
        // A key helper's rendering of a value too wide for its placeholder.
        return match crate::sortable::refusal(s) {
            Some(reason) => Err(
                ValidationError::new(Kind::KeyPartTooWide, reason.to_owned())
                    .attribute(path.to_string()),
            ),
            None => Ok(()),
        };
    }
    if let AttributeValue::B(_) | AttributeValue::Bool(_) = value {
        return Ok(());
    }
    value_size(value, 1, &mut |suffix| format!("{path}{suffix}")).map(|_| ())
}

/// A comparable identity of a key (attribute names, types and values, in
/// name order), for finding two requests on the same item.
pub(crate) fn key_identity(key: &Item) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    let mut write = |name: &String, value: &AttributeValue| {
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        match value {
            AttributeValue::S(_) => out.push(b'S'),
            AttributeValue::N(_) => out.push(b'N'),
            AttributeValue::B(_) => out.push(b'B'),
            other => out.extend_from_slice(crate::value::kind_of(other).as_bytes()),
        }
        if let Some(bytes) = scalar_bytes(value) {
            out.extend_from_slice(bytes);
        }
        out.push(0);
    };
    if key.len() <= 2 {
        // Keys have one or two attributes: order them without sorting a list.
        let mut entries = key.iter();
        let mut pair = [entries.next(), entries.next()];
        if let [Some(a), Some(b)] = pair {
            if b.0 < a.0 {
                pair.swap(0, 1);
            }
        }
        for (name, value) in pair.into_iter().flatten() {
            write(name, value);
        }
    } else {
        let mut all: Vec<_> = key.iter().collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        for (name, value) in all {
            write(name, value);
        }
    }
    out
}

/// The bytes of a string, number or binary value.
fn scalar_bytes(value: &AttributeValue) -> Option<&[u8]> {
    match value {
        AttributeValue::S(s) => Some(s.as_bytes()),
        AttributeValue::N(n) => Some(n.as_bytes()),
        AttributeValue::B(b) => Some(b.as_ref()),
        _ => None,
    }
}

fn join(name: &str, suffix: &str) -> String {
    format!("{name}{suffix}")
}

/// DynamoDB's size of one value, checking numbers, sets and depth on the way.
/// `path` renders the attribute path for errors, only when one happens.
fn value_size(
    value: &AttributeValue,
    depth: usize,
    path: &mut dyn FnMut(&str) -> String,
) -> Result<usize, ValidationError> {
    let invalid =
        |kind, message: String, at: String| Err(ValidationError::new(kind, message).attribute(at));
    Ok(match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::N(n) if n.starts_with(UNENCODABLE_MARKER) => {
            return invalid(
                Kind::Unencodable,
                n[UNENCODABLE_MARKER.len()..].to_owned(),
                path(""),
            )
        }
        AttributeValue::N(n) => {
            number_size(n).or_else(|reason| invalid(Kind::InvalidNumber, reason, path("")))?
        }
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(v) if v.is_empty() => {
            return invalid(
                Kind::EmptySet,
                "DynamoDB does not store empty sets".into(),
                path(""),
            )
        }
        AttributeValue::Ns(v) if v.is_empty() => {
            return invalid(
                Kind::EmptySet,
                "DynamoDB does not store empty sets".into(),
                path(""),
            )
        }
        AttributeValue::Bs(v) if v.is_empty() => {
            return invalid(
                Kind::EmptySet,
                "DynamoDB does not store empty sets".into(),
                path(""),
            )
        }
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::Ns(v) => {
            let mut total = 0;
            for (i, n) in v.iter().enumerate() {
                total += number_size(n).or_else(|reason| {
                    invalid(Kind::InvalidNumber, reason, path(&format!("[{i}]")))
                })?;
            }
            total
        }
        AttributeValue::L(_) | AttributeValue::M(_) if depth > MAX_DEPTH => {
            return invalid(
                Kind::TooDeep,
                format!("values nest deeper than DynamoDB's {MAX_DEPTH} levels"),
                path(""),
            );
        }
        AttributeValue::L(items) => {
            let mut total = 3 + items.len();
            for (i, item) in items.iter().enumerate() {
                let mut inner = |suffix: &str| path(&format!("[{i}]{suffix}"));
                total += value_size(item, depth + 1, &mut inner)?;
            }
            total
        }
        AttributeValue::M(entries) => {
            let mut total = 3 + entries.len();
            for (k, v) in entries {
                // Map keys are data: shown only when values are revealed.
                let mut inner = |suffix: &str| {
                    let key = if crate::values_revealed() {
                        k.as_str()
                    } else {
                        "<key>"
                    };
                    path(&format!(".{key}{suffix}"))
                };
                total += k.len() + value_size(v, depth + 1, &mut inner)?;
            }
            total
        }
        _ => {
            return invalid(
                Kind::Unencodable,
                "the value could not be encoded".into(),
                path(""),
            )
        }
    })
}

/// DynamoDB's size of a number: about one byte per two significant digits, plus one.
fn number_size(text: &str) -> Result<usize, String> {
    let significant = NumberText::new(text).significant_digits()?.max(1);
    Ok(significant.div_ceil(2) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_dynamodb_rules() {
        let mut path = |s: &str| s.to_string();
        assert_eq!(
            value_size(&AttributeValue::S("héllo".into()), 1, &mut path).unwrap(),
            6
        );
        assert_eq!(
            value_size(&AttributeValue::N("12345".into()), 1, &mut path).unwrap(),
            4
        );
        assert_eq!(
            value_size(&AttributeValue::Bool(true), 1, &mut path).unwrap(),
            1
        );
        let list = AttributeValue::L(vec![
            AttributeValue::S("ab".into()),
            AttributeValue::Null(true),
        ]);
        assert_eq!(value_size(&list, 1, &mut path).unwrap(), 3 + 2 + 2 + 1);
    }

    #[test]
    fn nan_inside_a_list_names_its_path() {
        let list = AttributeValue::M(
            [(
                "scores".to_string(),
                AttributeValue::L(vec![
                    AttributeValue::N("1".into()),
                    AttributeValue::N("NaN".into()),
                ]),
            )]
            .into_iter()
            .collect(),
        );
        let err = value_size(&list, 1, &mut |s| format!("stats{s}")).unwrap_err();
        // `scores` is a map key: data, shown only when values are revealed.
        assert_eq!(err.attribute.as_deref(), Some("stats.<key>[1]"));
        assert_eq!(err.kind, Kind::InvalidNumber);
    }
}
