//! `Query`: the items of one partition (of the table or an index), with
//! sort-key conditions, filters, projections, pages and streams.

use super::cursor::CursorKey;
use super::decode::{
    AsCollection, AsEntity, AsProjection, Decoder, PerRow, Projection, Raw, ReadsIndex,
};
use super::metered::CapacityStream;
use super::pager::{count_all, fill, one_page, rows, Page};
use super::spec::{Common, Spec};
use crate::capacity::{Capacity, WithCapacity};
use crate::entity::{AllAttributes, Entity, Index, KeyValue};
use crate::error::{Result, ValidationError, ValidationErrorKind};
use crate::expr::{Condition, KeyCondition, Placeholders, SortKey, UntypedPath, ValueFor};
use crate::repository::{BoxFuture, Repository};
use crate::single_table::Collection;
use crate::validate;
use aws_sdk_dynamodb::types::AttributeValue;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

/// A `Query` being built: `repo.query(pk)` or `repo.query_index(index, pk)`.
#[must_use = "a query does nothing until it is run"]
pub struct Query<'r, T, S, D = AsEntity<T>, I = AllAttributes> {
    pub(super) repo: &'r Repository<T>,
    pub(super) common: Common<T, D>,
    pub(super) keys: QueryKeys,
    descending: bool,
    _types: PhantomData<fn() -> (S, I)>,
}

/// The key condition of a query: its partition attributes (one, or up to
/// four for a multi-attribute index key), by equality, and the sort-key
/// conditions, left to right. The first of each is kept inline: no
/// allocation for a single-attribute key.
pub(super) struct QueryKeys {
    pub(super) partition: (&'static str, AttributeValue),
    pub(super) more_partition: Vec<(&'static str, AttributeValue)>,
    pub(super) sort_key: Option<(&'static str, KeyCondition)>,
    pub(super) more_sort: Vec<(&'static str, KeyCondition)>,
    pub(super) sort_key_name: Option<&'static str>,
}

impl QueryKeys {
    pub(super) fn single(
        partition: &'static str,
        value: AttributeValue,
        sort_key_name: Option<&'static str>,
    ) -> Self {
        QueryKeys {
            partition: (partition, value),
            more_partition: Vec::new(),
            sort_key: None,
            more_sort: Vec::new(),
            sort_key_name,
        }
    }

    fn partition_values(&self) -> impl Iterator<Item = &(&'static str, AttributeValue)> {
        std::iter::once(&self.partition).chain(&self.more_partition)
    }
}

impl<T: Entity> Repository<T> {
    /// A query over the items whose partition key is `pk`.
    pub fn query(&self, pk: impl ValueFor<T::PartitionKey>) -> Query<'_, T, T::SortKey> {
        let value = pk.encode().unwrap_or(AttributeValue::Null(true));
        Query::new(
            self,
            Common::new(AsEntity(PhantomData)),
            QueryKeys::single(
                T::SCHEMA.partition_key.name,
                value,
                T::SCHEMA.sort_key.map(|k| k.name),
            ),
        )
    }

    /// A query over a secondary index declared on the entity
    /// (`T::indexes().by_email`), for the index partition key `pk`.
    ///
    /// Rows decode as `T` only from an index that projects all attributes:
    /// read a keys-only or include index with `.project::<P>()`,
    /// `.project_raw(..)` or `.count()` (anything else does not compile).
    /// An index whose partition key has several attributes is queried with
    /// [`query_index_keys`](Repository::query_index_keys).
    pub fn query_index<P, S, I>(
        &self,
        index: Index<T, P, S, I>,
        pk: impl ValueFor<P>,
    ) -> Query<'_, T, S, AsEntity<T>, I> {
        let value = pk.encode().unwrap_or(AttributeValue::Null(true));
        let schema = index.schema();
        let mut common = Common::new(AsEntity(PhantomData));
        common.index = Some(schema);
        Query::new(
            self,
            common,
            QueryKeys::single(
                schema.partition_key.name,
                value,
                schema.sort_key.map(|k| k.name),
            ),
        )
    }
}

impl<'r, T, S, D, I> Query<'r, T, S, D, I> {
    pub(super) fn new(repo: &'r Repository<T>, common: Common<T, D>, keys: QueryKeys) -> Self {
        Query {
            repo,
            common,
            keys,
            descending: false,
            _types: PhantomData,
        }
    }
}

impl<'r, T: Entity, S, D: Decoder, I> Query<'r, T, S, D, I> {
    shared_builder_methods!();

    /// A condition on the sort key: `.sort_key(|k| k.begins_with("2026-"))`.
    pub fn sort_key(mut self, condition: impl FnOnce(SortKey<S>) -> KeyCondition) -> Self
    where
        S: KeyValue,
    {
        let name = self.keys.sort_key_name.unwrap_or("");
        self.keys.sort_key = Some((name, condition(SortKey::new())));
        self.keys.more_sort.clear();
        self
    }

    /// Newest first: descending sort-key order.
    pub fn descending(mut self) -> Self {
        self.descending = true;
        self
    }

    /// Yields every row as a `Result`: an item that does not decode (a
    /// field of the wrong type, a value the type refuses) becomes an `Err`
    /// naming the entity, attribute and item key, beside the good rows,
    /// instead of failing the whole `all()`, page or stream. Errors of the
    /// request itself still fail the call.
    ///
    /// ```no_run
    /// # use dynamo_repo::Entity;
    /// # #[derive(Entity)] #[dynamo(table = "users")]
    /// # struct User { #[dynamo(partition_key)] org: String, #[dynamo(sort_key)] id: String }
    /// # async fn demo(users: dynamo_repo::Repository<User>) -> dynamo_repo::Result<()> {
    /// let rows = users.query("acme").per_row_errors().all().await?;
    /// let (good, bad): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.is_ok());
    /// # Ok(()) }
    /// ```
    pub fn per_row_errors(self) -> Query<'r, T, S, PerRow<D>, I> {
        Query {
            repo: self.repo,
            common: self.common.map_decoder(PerRow),
            keys: self.keys,
            descending: self.descending,
            _types: PhantomData,
        }
    }

    /// Reads only the fields of projection `P`, decoded as `P`. For an
    /// entity with an entity type (single-table design) the type attribute
    /// is read too, and an item of another type is a
    /// [`DecodeErrorKind::WrongEntityType`](crate::value::DecodeErrorKind::WrongEntityType)
    /// error naming both types, never decoded as `P`.
    pub fn project<P: Projection<Entity = T>>(self) -> Query<'r, T, S, AsProjection<P>, I> {
        Query {
            repo: self.repo,
            common: self.common.with_decoder(AsProjection(PhantomData)),
            keys: self.keys,
            descending: self.descending,
            _types: PhantomData,
        }
    }

    /// Reads the items as collection `C`: every item of the partition (or
    /// of the sort-key range) decoded into the variant of its entity type,
    /// with the same pages, cursors and streams. An item of a type `C` does
    /// not list is a decode error, never skipped.
    pub fn collection<C: Collection>(self) -> Query<'r, T, S, AsCollection<C>, I> {
        Query {
            repo: self.repo,
            common: self.common.with_decoder(AsCollection(PhantomData)),
            keys: self.keys,
            descending: self.descending,
            _types: PhantomData,
        }
    }

    /// Reads only the given attributes (plus the keys), as raw maps.
    pub fn project_raw<Paths: IntoIterator<Item = UntypedPath>>(
        self,
        paths: Paths,
    ) -> Query<'r, T, S, Raw, I> {
        let attributes = paths.into_iter().map(|p| p.to_string()).collect();
        Query {
            repo: self.repo,
            common: self.common.with_decoder(Raw(attributes)),
            keys: self.keys,
            descending: self.descending,
            _types: PhantomData,
        }
    }

    pub(super) fn build(&self) -> Result<Spec> {
        let schema = &T::SCHEMA;
        let keys = &self.keys;
        match self.common.index {
            Some(index) => {
                let declared = 1 + index.more_partition_keys.len();
                let given = 1 + keys.more_partition.len();
                if declared != given {
                    return Err(super::multi_key::partition_arity_error(
                        schema.entity,
                        index,
                        given,
                    ));
                }
                for (k, (_, value)) in index.partition_keys().zip(keys.partition_values()) {
                    validate::check_key_value(
                        schema.entity,
                        k,
                        validate::MAX_PARTITION_KEY_BYTES,
                        Some(value),
                    )?;
                }
            }
            None => validate::check_key_value(
                schema.entity,
                &schema.partition_key,
                validate::MAX_PARTITION_KEY_BYTES,
                Some(&keys.partition.1),
            )?,
        }
        if keys
            .sort_key
            .iter()
            .chain(&keys.more_sort)
            .any(|(name, _)| name.is_empty())
        {
            return Err(super::multi_key::sort_arity_error(
                schema.entity,
                self.common.index,
            ));
        }
        for (sk_name, condition) in keys.sort_key.iter().chain(&keys.more_sort) {
            condition
                .check(sk_name)
                .map_err(|e| e.entity(schema.entity))?;
        }
        if let Some(filter) = &self.common.filter {
            let is_key = |a: &str| {
                keys.partition_values().any(|(n, _)| *n == a)
                    || keys.sort_key_name == Some(a)
                    || self.common.index.is_some_and(|i| {
                        i.is_multi_attribute() && i.key_attributes().any(|k| k.name == a)
                    })
            };
            if let Some(key) = filter.find_attribute(is_key) {
                return Err(ValidationError::new(
                    ValidationErrorKind::KeyInFilter,
                    "a query cannot filter on a key attribute; use .sort_key(...) for the sort key",
                )
                .entity(schema.entity)
                .attribute(key.to_owned())
                .into());
            }
        }
        let mut placeholders = Placeholders::new();
        let mut key_condition = String::with_capacity(64);
        for (i, (name, value)) in keys.partition_values().enumerate() {
            if i > 0 {
                key_condition.push_str(" AND ");
            }
            placeholders.push_name(&mut key_condition, "k", name);
            key_condition.push_str(" = ");
            placeholders.push_value(&mut key_condition, "k", value.clone());
        }
        for (sk_name, condition) in keys.sort_key.iter().chain(&keys.more_sort) {
            key_condition.push_str(" AND ");
            condition.render_into(&mut key_condition, &mut placeholders, "k", sk_name);
        }
        let mut spec = self
            .common
            .spec(self.repo, placeholders, Some(key_condition))?;
        spec.descending = self.descending;
        // Only a cursor is checked against the partition: no copy otherwise.
        if self.common.cursor.is_some() {
            spec.partition = keys.partition_values().cloned().collect();
        }
        Ok(spec)
    }

    /// The SDK request this would send first, without sending it.
    pub fn to_request(
        &self,
    ) -> Result<aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder> {
        let mut spec = self.build()?;
        let start = self.common.start_key(&spec)?;
        // Hand the expressions and maps over instead of cloning them.
        let rendered = std::mem::take(&mut spec.rendered);
        Ok(spec.query_request(rendered, start, self.common.limit.map(|n| n as i32), false))
    }

    /// Every matching row, following every page (memory grows with the
    /// result; see `stream` for a bounded alternative).
    pub fn all(self) -> BoxFuture<'r, Result<Vec<D::Output>>>
    where
        D: ReadsIndex<I>,
        S: 'r,
        I: 'r,
    {
        Box::pin(async move { Ok(self.common.all_rows(&self.build()?).await?.0) })
    }

    /// Like [`all`](Self::all), asking every request for the capacity it
    /// consumes: the rows and the capacity of every page, summed.
    pub async fn all_with_capacity(mut self) -> Result<WithCapacity<Vec<D::Output>>>
    where
        D: ReadsIndex<I>,
    {
        self.common.capacity = true;
        let (value, capacity) = self.common.all_rows(&self.build()?).await?;
        Ok(WithCapacity {
            value,
            capacity: capacity.unwrap_or_default(),
        })
    }

    /// One page: at most `page_size` (or `limit`) items read per request,
    /// with a cursor when more may follow. With a filter and a readable
    /// cursor (no [`CursorKey`], or one that only signs) a request the
    /// filter emptied is followed by the next, and the cursor resumes right
    /// after the last row returned; see the [guide](crate::query#page-cursors).
    pub fn page(self) -> BoxFuture<'r, Result<Page<D::Output>>>
    where
        D: ReadsIndex<I>,
        S: 'r,
        I: 'r,
    {
        Box::pin(async move {
            let spec = self.build()?;
            let start = self.common.start_key(&spec)?;
            one_page::<D>(&spec, start, self.common.limit, None).await
        })
    }

    /// Up to `n` *matching* rows, reading as many pages as needed (a filter
    /// is applied after `Limit`, so one request can return few or none); the
    /// cursor points just after the last row returned.
    pub fn fill_page(self, n: usize) -> BoxFuture<'r, Result<Page<D::Output>>>
    where
        D: ReadsIndex<I>,
        S: 'r,
        I: 'r,
    {
        Box::pin(async move {
            let spec = self.build()?;
            let start = self.common.start_key(&spec)?;
            fill::<D>(&spec, start, n, None).await
        })
    }

    /// A lazy stream of rows that follows the pages, holding one page at a time.
    pub fn stream(self) -> BoxStream<'static, Result<D::Output>>
    where
        D: ReadsIndex<I>,
    {
        self.stream_to(None)
    }

    /// Like [`stream`](Self::stream), asking every request for the capacity
    /// it consumes: [`CapacityStream::capacity`] is the running total of the
    /// pages read so far.
    pub fn stream_with_capacity(mut self) -> CapacityStream<D::Output>
    where
        D: ReadsIndex<I>,
    {
        self.common.capacity = true;
        let total = Arc::default();
        CapacityStream::new(self.stream_to(Some(Arc::clone(&total))), total)
    }

    fn stream_to(
        self,
        sink: Option<Arc<Mutex<Capacity>>>,
    ) -> BoxStream<'static, Result<D::Output>> {
        let prepared = self.build().and_then(|spec| {
            let start = self.common.start_key(&spec)?;
            Ok((spec, start))
        });
        match prepared {
            Ok((spec, start)) => rows::<D>(
                spec,
                start,
                self.common.limit,
                self.common.filter.is_some(),
                sink,
            ),
            Err(e) => stream::once(async move { Err(e) }).boxed(),
        }
    }

    /// The number of matching items (`Select=COUNT`), over every page.
    pub async fn count(mut self) -> Result<u64> {
        self.common.counting = true;
        let spec = self.build()?;
        let start = self.common.start_key(&spec)?;
        Ok(count_all(&spec, start, None).await?.count)
    }

    /// Like [`count`](Self::count), asking every request for the capacity
    /// it consumes: the count and the capacity of every page, summed.
    pub async fn count_with_capacity(mut self) -> Result<WithCapacity<u64>> {
        self.common.counting = true;
        self.common.capacity = true;
        let spec = self.build()?;
        let start = self.common.start_key(&spec)?;
        let counted = count_all(&spec, start, None).await?;
        Ok(WithCapacity {
            value: counted.count,
            capacity: counted.capacity.unwrap_or_default(),
        })
    }
}
