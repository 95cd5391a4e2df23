//! Bounds on nesting, so no decoder or encoder recurses without limit.
//!
//! DynamoDB stores lists and maps at most 32 levels deep (a top-level
//! attribute is level 1). A value built by hand, or a recursive Rust type
//! (`struct Node { child: Option<Box<Node>> }`), can nest far deeper; decoding
//! or encoding it one stack frame per level would overflow the stack and
//! abort the process. So:
//!
//! - every item is measured before it is decoded ([`check_item_depth`], run
//!   by the derived `from_item`): deeper than 32 levels is a
//!   [`DecodeErrorKind::TooDeep`] error naming the attribute, and no decoder
//!   runs at all. The measure itself stops at level 33, so its own recursion
//!   is bounded, and a refused item is dropped level by level
//!   ([`drop_flat`]), as its own drop would recurse.
//! - the derived decoder of a `#[derive(Attribute)]` struct, when called on
//!   its own, counts how many of them are active on this thread
//!   ([`DecodeDepth`]) and refuses the 33rd.
//! - the derived encoder counts likewise ([`EncodeDepth`]) and, past 32
//!   levels, writes a value that the write validation refuses, naming the
//!   attribute, so a deep Rust value is never sent and never overflows.

use super::{DecodeError, DecodeErrorKind, Item};
use aws_sdk_dynamodb::types::AttributeValue;
use std::cell::Cell;

/// DynamoDB's deepest nesting of lists and maps.
pub const MAX_DEPTH: usize = 32;

/// Checks that no list or map of `item` sits deeper than [`MAX_DEPTH`]
/// levels (a top-level attribute is level 1). A refused item is emptied and
/// dropped level by level, since its own drop would recurse as deep as it
/// nests.
pub fn check_item_depth(item: &mut Item) -> Result<(), DecodeError> {
    let mut refused = None;
    for (name, value) in item.iter() {
        // Scalars, most attributes, cannot nest: skipped without a call.
        if !matches!(value, AttributeValue::L(_) | AttributeValue::M(_)) {
            continue;
        }
        if let Err(e) = check_depth_at(value, 1) {
            refused = Some(e.in_attribute(name));
            break;
        }
    }
    match refused {
        None => Ok(()),
        Some(e) => {
            drop_flat(std::mem::take(item).into_values());
            Err(e)
        }
    }
}

/// Checks that no list or map inside `value` (level 1) sits deeper than
/// [`MAX_DEPTH`] levels; a refused value is dropped level by level.
pub fn check_value_depth(value: AttributeValue) -> Result<AttributeValue, DecodeError> {
    match check_depth_at(&value, 1) {
        Ok(()) => Ok(value),
        Err(e) => {
            drop_flat([value]);
            Err(e)
        }
    }
}

/// Drops values without recursion: each list and map is emptied onto a
/// stack before it is dropped.
pub fn drop_flat(values: impl IntoIterator<Item = AttributeValue>) {
    let mut stack: Vec<AttributeValue> = values.into_iter().collect();
    while let Some(value) = stack.pop() {
        match value {
            AttributeValue::L(items) => stack.extend(items),
            AttributeValue::M(entries) => stack.extend(entries.into_values()),
            _ => {}
        }
    }
}

/// Recurses at most `MAX_DEPTH + 1` levels: it stops at the first list or
/// map past the limit.
fn check_depth_at(value: &AttributeValue, depth: usize) -> Result<(), DecodeError> {
    match value {
        AttributeValue::L(_) | AttributeValue::M(_) if depth > MAX_DEPTH => Err(too_deep()),
        AttributeValue::L(items) => {
            for (i, item) in items.iter().enumerate() {
                if matches!(item, AttributeValue::L(_) | AttributeValue::M(_)) {
                    check_depth_at(item, depth + 1).map_err(|e| e.at_index(i))?;
                }
            }
            Ok(())
        }
        AttributeValue::M(entries) => {
            for (key, item) in entries {
                if matches!(item, AttributeValue::L(_) | AttributeValue::M(_)) {
                    check_depth_at(item, depth + 1).map_err(|e| e.in_attribute(key))?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn too_deep() -> DecodeError {
    DecodeError::new(DecodeErrorKind::TooDeep { limit: MAX_DEPTH })
}

thread_local! {
    static DECODING: Cell<usize> = const { Cell::new(0) };
    static ENCODING: Cell<usize> = const { Cell::new(0) };
}

/// One level of derived decoding active on this thread; dropping it leaves
/// the level (also when a decoder panics).
pub struct DecodeDepth(());

impl DecodeDepth {
    /// Enters one more level, or refuses past [`MAX_DEPTH`].
    pub fn enter() -> Result<Self, DecodeError> {
        DECODING.with(|d| {
            if d.get() >= MAX_DEPTH {
                Err(too_deep())
            } else {
                d.set(d.get() + 1);
                Ok(DecodeDepth(()))
            }
        })
    }
}

impl Drop for DecodeDepth {
    fn drop(&mut self) {
        DECODING.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// One level of derived encoding active on this thread; dropping it leaves
/// the level.
pub struct EncodeDepth(());

impl EncodeDepth {
    /// Enters one more level, or `None` past [`MAX_DEPTH`].
    pub fn enter() -> Option<Self> {
        ENCODING.with(|d| {
            if d.get() >= MAX_DEPTH {
                None
            } else {
                d.set(d.get() + 1);
                Some(EncodeDepth(()))
            }
        })
    }
}

impl Drop for EncodeDepth {
    fn drop(&mut self) {
        ENCODING.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn nested(levels: usize) -> AttributeValue {
        let mut value = AttributeValue::S("leaf".into());
        for _ in 0..levels {
            value = AttributeValue::L(vec![AttributeValue::Null(true), value]);
        }
        value
    }

    #[test]
    fn thirty_two_levels_pass_and_thirty_three_name_the_attribute() {
        let mut item: Item = HashMap::from([("a".to_string(), nested(32))]);
        check_item_depth(&mut item).expect("32 levels");
        assert_eq!(item.len(), 1);
        let mut item: Item = HashMap::from([("a".to_string(), nested(33))]);
        let err = check_item_depth(&mut item).expect_err("33 levels");
        assert!(item.is_empty(), "a refused item is dropped");
        assert_eq!(err.path(), format!("a{}", "[1]".repeat(32)));
        assert_eq!(err.kind(), &DecodeErrorKind::TooDeep { limit: MAX_DEPTH });
    }

    #[test]
    fn the_guards_refuse_the_thirty_third_level_and_leave_on_drop() {
        let guards: Vec<_> = (0..MAX_DEPTH)
            .map(|_| DecodeDepth::enter().expect("within"))
            .collect();
        assert!(DecodeDepth::enter().is_err());
        drop(guards);
        assert!(DecodeDepth::enter().is_ok());
        let guards: Vec<_> = (0..MAX_DEPTH)
            .map(|_| EncodeDepth::enter().expect("within"))
            .collect();
        assert!(EncodeDepth::enter().is_none());
        drop(guards);
        assert!(EncodeDepth::enter().is_some());
    }
}
