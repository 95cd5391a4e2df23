//! Typed key conditions on a multi-attribute index key (a GSI declared with
//! `partition_key = [a, b]` or `sort_key = [c, d]`): the values of every
//! partition attribute, and a sort condition that goes left to right. The
//! queries that take them are in [`crate::query::multi_key`].

use super::condition::{KeyCondition, Prefixable, SortKey};
use super::ValueFor;
use crate::entity::KeyValue;
use aws_sdk_dynamodb::types::AttributeValue;
use std::marker::PhantomData;

mod sealed {
    pub trait Sealed {}
    impl<A> Sealed for (A,) {}
    impl<A, B> Sealed for (A, B) {}
    impl<A, B, C> Sealed for (A, B, C) {}
    impl<A, B, C, D> Sealed for (A, B, C, D) {}
    /// Implemented by no type.
    pub trait Nothing {}
}

/// The Rust types of a key of several attributes: a tuple of two to four
/// key types, in the order the index declares them
/// (`partition_key = [region, status]` gives `(String, Status)`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not the type of a multi-attribute index key",
    label = "this index key has a single attribute",
    note = "query an index whose partition key is one attribute with `query_index(index, value)`, and condition a single sort key with `.sort_key(|k| ...)`"
)]
pub trait KeyTuple: SortTuple {
    /// How many attributes the key has (2 to 4).
    const LEN: usize;
}

impl<A: KeyValue, B: KeyValue> KeyTuple for (A, B) {
    const LEN: usize = 2;
}
impl<A: KeyValue, B: KeyValue, C: KeyValue> KeyTuple for (A, B, C) {
    const LEN: usize = 3;
}
impl<A: KeyValue, B: KeyValue, C: KeyValue, D: KeyValue> KeyTuple for (A, B, C, D) {
    const LEN: usize = 4;
}

/// The sort attributes of a multi-attribute key still open to a condition:
/// the first one, and those after it. Implemented for tuples of one to four
/// types.
pub trait SortTuple: sealed::Sealed {
    /// The type of the next attribute.
    type First;
    /// The attributes after it (`()` after the last).
    type Rest;
}

impl<A> SortTuple for (A,) {
    type First = A;
    type Rest = ();
}
impl<A, B> SortTuple for (A, B) {
    type First = A;
    type Rest = (B,);
}
impl<A, B, C> SortTuple for (A, B, C) {
    type First = A;
    type Rest = (B, C);
}
impl<A, B, C, D> SortTuple for (A, B, C, D) {
    type First = A;
    type Rest = (B, C, D);
}

/// One value for every attribute of the multi-attribute key `K`, in order:
/// a tuple as long as `K`, each element a value for its attribute (`&str`
/// for a `String`, as everywhere). DynamoDB matches every partition
/// attribute by equality, so none may be left out.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not give one value for each attribute of the index key `{K}`",
    label = "expected a tuple of one value per key attribute, in the index's order",
    note = "a query on a multi-attribute partition key matches every one of its attributes by equality"
)]
pub trait KeyTupleValues<K> {
    /// The encoded values, in order (`None`: a value that encodes to nothing).
    fn encode_values(self) -> Vec<Option<AttributeValue>>;
}

impl<A, B, VA: ValueFor<A>, VB: ValueFor<B>> KeyTupleValues<(A, B)> for (VA, VB) {
    fn encode_values(self) -> Vec<Option<AttributeValue>> {
        vec![self.0.encode(), self.1.encode()]
    }
}
impl<A, B, C, VA: ValueFor<A>, VB: ValueFor<B>, VC: ValueFor<C>> KeyTupleValues<(A, B, C)>
    for (VA, VB, VC)
{
    fn encode_values(self) -> Vec<Option<AttributeValue>> {
        vec![self.0.encode(), self.1.encode(), self.2.encode()]
    }
}
impl<A, B, C, D, VA: ValueFor<A>, VB: ValueFor<B>, VC: ValueFor<C>, VD: ValueFor<D>>
    KeyTupleValues<(A, B, C, D)> for (VA, VB, VC, VD)
{
    fn encode_values(self) -> Vec<Option<AttributeValue>> {
        vec![
            self.0.encode(),
            self.1.encode(),
            self.2.encode(),
            self.3.encode(),
        ]
    }
}

/// A multi-attribute sort key, typed by the attributes still open (`R`, a
/// tuple): what the `.sort_keys(|k| ...)` closure gets. Conditions go left
/// to right, as DynamoDB requires: `eq` on an attribute moves on to the
/// next one; any other comparison (`lt`, `le`, `gt`, `ge`, `between`,
/// `begins_with`) ends the condition. Stopping after some `eq`s (or before
/// any) is allowed, so `k.eq(created)` alone matches every `id`.
#[must_use]
pub struct SortKeys<R> {
    conditions: Vec<KeyCondition>,
    _rest: PhantomData<fn() -> R>,
}

/// A finished condition on a multi-attribute sort key: equality on the
/// first attributes, then at most one other comparison, in the index's order.
/// (Not `PartialEq`: `.eq(..)` after a range must not compile as a comparison.)
#[derive(Debug, Clone)]
#[must_use]
pub struct SortKeysCondition {
    pub(crate) conditions: Vec<KeyCondition>,
}

impl<R> From<SortKeys<R>> for SortKeysCondition {
    fn from(keys: SortKeys<R>) -> Self {
        SortKeysCondition {
            conditions: keys.conditions,
        }
    }
}

impl<R> SortKeys<R> {
    pub(crate) fn new() -> Self {
        SortKeys {
            conditions: Vec::new(),
            _rest: PhantomData,
        }
    }
}

impl<R: SortTuple> SortKeys<R> {
    fn last(mut self, condition: KeyCondition) -> SortKeysCondition {
        self.conditions.push(condition);
        SortKeysCondition {
            conditions: self.conditions,
        }
    }

    /// `attribute = value` on the next sort attribute; a condition may
    /// follow on the one after it.
    pub fn eq(mut self, value: impl ValueFor<R::First>) -> SortKeys<R::Rest> {
        self.conditions.push(SortKey::<R::First>::new().eq(value));
        SortKeys {
            conditions: self.conditions,
            _rest: PhantomData,
        }
    }
    /// `attribute < value` on the next sort attribute (the last condition).
    pub fn lt(self, value: impl ValueFor<R::First>) -> SortKeysCondition {
        self.last(SortKey::<R::First>::new().lt(value))
    }
    /// `attribute <= value` on the next sort attribute (the last condition).
    pub fn le(self, value: impl ValueFor<R::First>) -> SortKeysCondition {
        self.last(SortKey::<R::First>::new().le(value))
    }
    /// `attribute > value` on the next sort attribute (the last condition).
    pub fn gt(self, value: impl ValueFor<R::First>) -> SortKeysCondition {
        self.last(SortKey::<R::First>::new().gt(value))
    }
    /// `attribute >= value` on the next sort attribute (the last condition).
    pub fn ge(self, value: impl ValueFor<R::First>) -> SortKeysCondition {
        self.last(SortKey::<R::First>::new().ge(value))
    }
    /// `attribute BETWEEN low AND high` on the next sort attribute (the
    /// last condition).
    pub fn between(
        self,
        low: impl ValueFor<R::First>,
        high: impl ValueFor<R::First>,
    ) -> SortKeysCondition {
        self.last(SortKey::<R::First>::new().between(low, high))
    }
}

impl<R: SortTuple> SortKeys<R>
where
    R::First: Prefixable,
{
    /// `begins_with(attribute, prefix)` on the next sort attribute, a
    /// string or binary one (the last condition).
    pub fn begins_with(self, prefix: impl ValueFor<R::First>) -> SortKeysCondition {
        self.last(SortKey::<R::First>::new().begins_with(prefix))
    }
}

/// Implemented by nothing (sealed): the error of a condition after a range
/// on a multi-attribute sort key.
#[diagnostic::on_unimplemented(
    message = "a range condition (lt, le, gt, ge, between, begins_with) ends a multi-attribute sort key condition",
    label = "nothing can follow it",
    note = "give the `eq` conditions first, left to right: `k.eq(created).gt(id)`"
)]
pub trait ConditionAfterRange: sealed::Nothing {}

impl SortKeysCondition {
    /// Does not compile: a range condition is the last one. (Without it,
    /// `.eq(..)` would name `PartialEq` or `Iterator` in the error.)
    #[doc(hidden)]
    pub fn eq<V: ConditionAfterRange>(self, _value: V) -> Self {
        self
    }
}
