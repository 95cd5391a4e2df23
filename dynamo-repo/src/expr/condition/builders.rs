//! Conditions built from typed paths: comparisons, `between`, `in`,
//! existence, types, sizes, prefixes and set membership.

use super::*;

pub(super) fn encode<V>(value: impl ValueFor<V>) -> AttributeValue {
    value.encode().unwrap_or(AttributeValue::Null(true))
}

impl<E, V> Path<E, V> {
    fn compare(&self, op: CmpOp, value: AttributeValue) -> Condition<E> {
        Condition::from_node(Node::Compare(self.untyped(), op, Operand::Value(value)))
    }

    /// `path = value`
    pub fn eq(&self, value: impl ValueFor<V>) -> Condition<E> {
        self.compare(CmpOp::Eq, encode(value))
    }
    /// `path <> value`
    pub fn ne(&self, value: impl ValueFor<V>) -> Condition<E> {
        self.compare(CmpOp::Ne, encode(value))
    }
    /// `path < value`
    pub fn lt(&self, value: impl ValueFor<V>) -> Condition<E> {
        self.compare(CmpOp::Lt, encode(value))
    }
    /// `path <= value`
    pub fn le(&self, value: impl ValueFor<V>) -> Condition<E> {
        self.compare(CmpOp::Le, encode(value))
    }
    /// `path > value`
    pub fn gt(&self, value: impl ValueFor<V>) -> Condition<E> {
        self.compare(CmpOp::Gt, encode(value))
    }
    /// `path >= value`
    pub fn ge(&self, value: impl ValueFor<V>) -> Condition<E> {
        self.compare(CmpOp::Ge, encode(value))
    }
    /// `path BETWEEN low AND high` (both ends included).
    pub fn between(&self, low: impl ValueFor<V>, high: impl ValueFor<V>) -> Condition<E> {
        Condition::from_node(Node::Between(self.untyped(), encode(low), encode(high)))
    }
    /// `path IN (v1, v2, ...)`: 1 to 100 values, checked when rendered.
    pub fn is_in<I: IntoIterator>(&self, values: I) -> Condition<E>
    where
        I::Item: ValueFor<V>,
    {
        Condition::from_node(Node::In(
            self.untyped(),
            values.into_iter().map(encode).collect(),
        ))
    }
    /// `path = other`: compares with another attribute of the same type.
    pub fn eq_attribute(&self, other: &Path<E, V>) -> Condition<E> {
        Condition::from_node(Node::Compare(
            self.untyped(),
            CmpOp::Eq,
            Operand::Path(other.untyped()),
        ))
    }
    /// `path < other`, with another attribute of the same type.
    pub fn lt_attribute(&self, other: &Path<E, V>) -> Condition<E> {
        Condition::from_node(Node::Compare(
            self.untyped(),
            CmpOp::Lt,
            Operand::Path(other.untyped()),
        ))
    }
    /// `path > other`, with another attribute of the same type.
    pub fn gt_attribute(&self, other: &Path<E, V>) -> Condition<E> {
        Condition::from_node(Node::Compare(
            self.untyped(),
            CmpOp::Gt,
            Operand::Path(other.untyped()),
        ))
    }
    /// `attribute_exists(path)`
    pub fn exists(&self) -> Condition<E> {
        Condition::from_node(Node::Exists(self.untyped()))
    }
    /// `attribute_not_exists(path)`
    pub fn not_exists(&self) -> Condition<E> {
        Condition::from_node(Node::NotExists(self.untyped()))
    }
    /// `attribute_type(path, type)`
    pub fn has_type(&self, ty: AttributeType) -> Condition<E> {
        Condition::from_node(Node::HasType(self.untyped(), ty))
    }
    /// `size(path)`, to compare: the length of a string, binary, list, map or set.
    pub fn size(&self) -> SizeOf<E> {
        SizeOf {
            path: self.untyped(),
            _entity: PhantomData,
        }
    }
}

/// `size(path)` of an attribute, compared with a number.
pub struct SizeOf<E> {
    path: UntypedPath,
    _entity: PhantomData<fn() -> E>,
}

impl<E> SizeOf<E> {
    fn compare(self, op: CmpOp, n: u64) -> Condition<E> {
        Condition::from_node(Node::Size(self.path, op, AttributeValue::N(n.to_string())))
    }
    /// `size(path) = n`
    pub fn eq(self, n: u64) -> Condition<E> {
        self.compare(CmpOp::Eq, n)
    }
    /// `size(path) <> n`
    pub fn ne(self, n: u64) -> Condition<E> {
        self.compare(CmpOp::Ne, n)
    }
    /// `size(path) < n`
    pub fn lt(self, n: u64) -> Condition<E> {
        self.compare(CmpOp::Lt, n)
    }
    /// `size(path) <= n`
    pub fn le(self, n: u64) -> Condition<E> {
        self.compare(CmpOp::Le, n)
    }
    /// `size(path) > n`
    pub fn gt(self, n: u64) -> Condition<E> {
        self.compare(CmpOp::Gt, n)
    }
    /// `size(path) >= n`
    pub fn ge(self, n: u64) -> Condition<E> {
        self.compare(CmpOp::Ge, n)
    }
}

/// Types whose attributes support `begins_with`: strings and binary.
pub trait Prefixable {}
impl Prefixable for String {}
impl Prefixable for Option<String> {}
impl Prefixable for bytes::Bytes {}
impl Prefixable for Option<bytes::Bytes> {}

impl<E, V: Prefixable> Path<E, V> {
    /// `begins_with(path, prefix)`
    pub fn begins_with(&self, prefix: impl ValueFor<V>) -> Condition<E> {
        Condition::from_node(Node::BeginsWith(self.untyped(), encode(prefix)))
    }
}

impl<E> Path<E, String> {
    /// `contains(path, substring)`
    pub fn contains(&self, substring: impl Into<String>) -> Condition<E> {
        Condition::from_node(Node::Contains(
            self.untyped(),
            AttributeValue::S(substring.into()),
        ))
    }
}

impl<E> Path<E, Option<String>> {
    /// `contains(path, substring)`
    pub fn contains(&self, substring: impl Into<String>) -> Condition<E> {
        Condition::from_node(Node::Contains(
            self.untyped(),
            AttributeValue::S(substring.into()),
        ))
    }
}

macro_rules! contains_element {
    ($($collection:ident),*) => {$(
        impl<E, T> Path<E, $collection<T>> {
            /// `contains(path, element)`: whether the list or set holds the element.
            pub fn contains(&self, element: impl ValueFor<T>) -> Condition<E> {
                Condition::from_node(Node::Contains(self.untyped(), encode(element)))
            }
        }
    )*};
}
use std::collections::{BTreeSet, VecDeque};
contains_element!(Vec, VecDeque, BTreeSet);

impl<E, T, S> Path<E, std::collections::HashSet<T, S>> {
    /// `contains(path, element)`: whether the set holds the element.
    pub fn contains(&self, element: impl ValueFor<T>) -> Condition<E> {
        Condition::from_node(Node::Contains(self.untyped(), encode(element)))
    }
}
