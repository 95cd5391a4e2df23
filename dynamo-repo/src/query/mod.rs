//! Query and scan builders: typed key conditions, filters, projections,
//! indexes, pages with opaque cursors, and streams.

mod cursor;

use crate::entity::{Entity, Index, IndexProjection, IndexSchema, KeyType, KeyValue};
use crate::error::{from_sdk, Error, Result, ValidationError, ValidationErrorKind};
use crate::expr::{Condition, KeyCondition, Placeholders, SortKey, UntypedPath, ValueFor};
use crate::repository::{record_capacity, Repository};
use crate::single_table::Collection;
use crate::validate;
use crate::value::Item;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity, Select};
use cursor::CursorScope;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use std::borrow::Cow;
use std::marker::PhantomData;
use std::sync::Arc;
use tracing::Instrument;

/// A struct holding some of an entity's fields, derived with
/// `#[derive(Projection)] #[dynamo(entity = User)]`: each field must exist on
/// the entity with the same type (checked at compile time).
pub trait Projection: Sized + Send + 'static {
    /// The entity projected from.
    type Entity: Entity;
    /// The Rust names of the projected fields.
    const FIELDS: &'static [&'static str];
    /// Decodes a projected item; missing attributes are errors, never invented.
    fn from_item(item: Item) -> Result<Self>;
}

/// How the rows of a query or scan are decoded.
pub trait Decoder: Send + Sync + 'static {
    /// The row type.
    type Output: Send + 'static;
    /// Decodes one item.
    fn decode(item: Item) -> Result<Self::Output>;
    /// The attribute names to ask for, or `None` for whole items.
    fn projection(&self) -> Option<Vec<String>>;
}

/// Rows decoded as the entity itself.
pub struct AsEntity<T>(PhantomData<fn() -> T>);

impl<T: Entity> Decoder for AsEntity<T> {
    type Output = T;
    fn decode(item: Item) -> Result<T> {
        T::from_item(item)
    }
    fn projection(&self) -> Option<Vec<String>> {
        None
    }
}

/// Rows decoded as a [`Projection`].
pub struct AsProjection<P>(PhantomData<fn() -> P>);

impl<P: Projection> Decoder for AsProjection<P> {
    type Output = P;
    fn decode(item: Item) -> Result<P> {
        P::from_item(item)
    }
    fn projection(&self) -> Option<Vec<String>> {
        let schema = &<P::Entity as Entity>::SCHEMA;
        Some(
            P::FIELDS
                .iter()
                .map(|f| schema.attribute_of(f).unwrap_or(f).to_owned())
                .collect(),
        )
    }
}

/// Rows decoded as a [`Collection`]: each item routed to the variant of its
/// entity type.
pub struct AsCollection<C>(PhantomData<fn() -> C>);

impl<C: Collection> Decoder for AsCollection<C> {
    type Output = C;
    fn decode(item: Item) -> Result<C> {
        C::from_item(item)
    }
    fn projection(&self) -> Option<Vec<String>> {
        None
    }
}

/// Rows as raw attribute maps, holding the listed attributes.
pub struct Raw(Vec<String>);

impl Decoder for Raw {
    type Output = Item;
    fn decode(item: Item) -> Result<Item> {
        Ok(item)
    }
    fn projection(&self) -> Option<Vec<String>> {
        Some(self.0.clone())
    }
}

/// One page of results, with a cursor to the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows of this page (possibly none, even when more may follow).
    pub items: Vec<T>,
    /// Where the next page starts: `None` when DynamoDB said there is no more.
    /// A cursor means more rows *may* exist (DynamoDB also returns one when
    /// the results end exactly at the page's limit).
    pub cursor: Option<String>,
}

impl<T> Page<T> {
    /// Whether more rows may follow (a cursor is present).
    pub fn has_more(&self) -> bool {
        self.cursor.is_some()
    }
}

/// Everything a request needs, rendered once.
#[derive(Clone)]
struct Spec {
    client: aws_sdk_dynamodb::Client,
    table: Arc<str>,
    entity: &'static str,
    index: Option<&'static IndexSchema>,
    rendered: Rendered,
    page_size: Option<i32>,
    descending: bool,
    consistent: bool,
    segment: Option<(i32, i32)>,
    /// Key attributes of a `LastEvaluatedKey` here: table keys, then index keys.
    cursor_keys: KeyAttributes,
}

/// At most four key attributes (table and index keys), kept inline: no
/// allocation for every query built.
#[derive(Clone, Copy)]
struct KeyAttributes {
    items: [(&'static str, KeyType); 4],
    len: usize,
}

impl KeyAttributes {
    fn new() -> Self {
        KeyAttributes {
            items: [("", KeyType::String); 4],
            len: 0,
        }
    }

    /// Adds `name` unless it is already there.
    fn add(&mut self, name: &'static str, key_type: KeyType) {
        if !self.iter().any(|(n, _)| *n == name) && self.len < self.items.len() {
            self.items[self.len] = (name, key_type);
            self.len += 1;
        }
    }

    fn as_slice(&self) -> &[(&'static str, KeyType)] {
        &self.items[..self.len]
    }

    fn iter(&self) -> std::slice::Iter<'_, (&'static str, KeyType)> {
        self.as_slice().iter()
    }
}

/// The expressions and placeholder maps of a request: cloned into each
/// page's request, or handed over whole by `to_request`.
#[derive(Clone, Default)]
struct Rendered {
    key_condition: Option<String>,
    filter: Option<String>,
    projection: Option<String>,
    names: Option<crate::expr::NameMap>,
    values: Option<crate::expr::ValueMap>,
}

struct RawPage {
    items: Vec<Item>,
    last_key: Option<Item>,
    count: u64,
}

impl Spec {
    fn scope(&self) -> CursorScope<'_> {
        CursorScope {
            table: &self.table,
            index: self.index.map(|i| i.name).unwrap_or(""),
            entity: self.entity,
            key_attributes: self.cursor_keys.as_slice(),
        }
    }

    fn operation(&self) -> &'static str {
        if self.rendered.key_condition.is_some() {
            "Query"
        } else {
            "Scan"
        }
    }

    fn cursor_for(&self, key: &Item) -> Option<String> {
        cursor::encode(&self.scope(), key)
    }

    /// The key of `item` as a `LastEvaluatedKey` would hold it.
    fn key_of(&self, item: &Item) -> Item {
        self.cursor_keys
            .iter()
            .filter_map(|(name, _)| item.get(*name).map(|v| ((*name).to_owned(), v.clone())))
            .collect()
    }

    fn query_request(
        &self,
        rendered: Rendered,
        start: Option<Item>,
        limit: Option<i32>,
        count: bool,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        // Only the fields that differ from DynamoDB's defaults: each setter
        // moves the whole (large) SDK builder.
        let mut request = self
            .client
            .query()
            .table_name(&*self.table)
            .set_key_condition_expression(rendered.key_condition)
            .set_expression_attribute_names(rendered.names)
            .set_expression_attribute_values(rendered.values)
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        if let Some(index) = self.index {
            request = request.index_name(index.name);
        }
        if rendered.filter.is_some() {
            request = request.set_filter_expression(rendered.filter);
        }
        if !count && rendered.projection.is_some() {
            request = request.set_projection_expression(rendered.projection);
        }
        if let Some(limit) = limit.or(self.page_size) {
            request = request.limit(limit);
        }
        if self.descending {
            request = request.scan_index_forward(false);
        }
        if self.consistent {
            request = request.consistent_read(true);
        }
        if start.is_some() {
            request = request.set_exclusive_start_key(start);
        }
        if count {
            request = request.select(Select::Count);
        }
        request
    }

    fn scan_request(
        &self,
        rendered: Rendered,
        start: Option<Item>,
        limit: Option<i32>,
        count: bool,
    ) -> aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder {
        self.client
            .scan()
            .table_name(&*self.table)
            .set_index_name(self.index.map(|i| i.name.to_owned()))
            .set_filter_expression(rendered.filter)
            .set_projection_expression(if count { None } else { rendered.projection })
            .set_expression_attribute_names(rendered.names)
            .set_expression_attribute_values(rendered.values)
            .set_limit(limit.or(self.page_size))
            .consistent_read(self.consistent)
            .set_exclusive_start_key(start)
            .set_segment(self.segment.map(|s| s.0))
            .set_total_segments(self.segment.map(|s| s.1))
            .set_select(count.then_some(Select::Count))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
    }

    async fn fetch(&self, start: Option<Item>, limit: Option<i32>, count: bool) -> Result<RawPage> {
        let span = tracing::info_span!(
            "dynamodb",
            db.system = "dynamodb",
            db.operation = self.operation(),
            db.table = %self.table,
            db.index = self.index.map(|i| i.name).unwrap_or(""),
            entity = self.entity,
            db.consumed_capacity = tracing::field::Empty,
        );
        async move {
            if self.rendered.key_condition.is_some() {
                let out = self
                    .query_request(self.rendered.clone(), start, limit, count)
                    .send()
                    .await
                    .map_err(|e| from_sdk(e, "Query", &self.table))?;
                record_capacity(out.consumed_capacity());
                Ok(RawPage {
                    count: out.count as u64,
                    items: out.items.unwrap_or_default(),
                    last_key: out.last_evaluated_key.filter(|k| !k.is_empty()),
                })
            } else {
                let out = self
                    .scan_request(self.rendered.clone(), start, limit, count)
                    .send()
                    .await
                    .map_err(|e| from_sdk(e, "Scan", &self.table))?;
                record_capacity(out.consumed_capacity());
                Ok(RawPage {
                    count: out.count as u64,
                    items: out.items.unwrap_or_default(),
                    last_key: out.last_evaluated_key.filter(|k| !k.is_empty()),
                })
            }
        }
        .instrument(span)
        .await
    }
}

/// What query and scan builders share: filter, projection, paging options.
struct Common<T, D> {
    filter: Option<Condition<T>>,
    decoder: D,
    limit: Option<usize>,
    page_size: Option<u32>,
    consistent: bool,
    cursor: Option<String>,
    index: Option<&'static IndexSchema>,
}

fn index_error<T: Entity>(index: &IndexSchema, message: String) -> Error {
    ValidationError::new(ValidationErrorKind::InvalidIndex, message)
        .entity(T::SCHEMA.entity)
        .attribute(index.name)
        .into()
}

impl<T: Entity, D: Decoder> Common<T, D> {
    fn new(decoder: D) -> Self {
        Common {
            filter: None,
            decoder,
            limit: None,
            page_size: None,
            consistent: false,
            cursor: None,
            index: None,
        }
    }

    fn with_decoder<D2: Decoder>(self, decoder: D2) -> Common<T, D2> {
        Common {
            filter: self.filter,
            decoder,
            limit: self.limit,
            page_size: self.page_size,
            consistent: self.consistent,
            cursor: self.cursor,
            index: self.index,
        }
    }

    fn add_filter(&mut self, condition: Condition<T>) {
        self.filter = Some(match self.filter.take() {
            Some(existing) => existing.and(condition),
            None => condition,
        });
    }

    /// Renders filter and projection, checks the index can serve the rows,
    /// and builds the spec.
    fn spec(
        &self,
        repo: &Repository<T>,
        mut placeholders: Placeholders,
        key_condition: Option<String>,
    ) -> Result<Spec> {
        let schema = &T::SCHEMA;
        let filter = match &self.filter {
            Some(f) => f
                .render(&mut placeholders, "f")
                .map_err(|e| e.entity(schema.entity))?,
            None => None,
        };
        let mut cursor_keys = KeyAttributes::new();
        for k in schema.key_attributes() {
            cursor_keys.add(k.name, k.key_type);
        }
        if let Some(index) = self.index {
            for k in index.key_attributes() {
                cursor_keys.add(k.name, k.key_type);
            }
        }
        let wanted = self.decoder.projection();
        if let Some(index) = self.index {
            if self.consistent && index.kind == crate::entity::IndexKind::Global {
                return Err(index_error::<T>(
                    index,
                    "global secondary indexes do not support consistent reads".into(),
                ));
            }
            match (&index.projection, &wanted) {
                (IndexProjection::All, _) => {}
                (_, None) => {
                    return Err(index_error::<T>(
                        index,
                        format!(
                            "index `{}` does not hold whole items; read it into a #[derive(Projection)] type or raw maps",
                            index.name
                        ),
                    ))
                }
                (projection, Some(attributes)) => {
                    let included: &[&str] = match projection {
                        IndexProjection::Include(list) => list,
                        _ => &[],
                    };
                    if let Some(missing) = attributes
                        .iter()
                        .find(|a| !cursor_keys.iter().any(|(k, _)| k == a) && !included.contains(&a.as_str()))
                    {
                        return Err(index_error::<T>(index, format!("index `{}` does not hold the attribute `{missing}`", index.name)));
                    }
                }
            }
        }
        // Projections always include the keys, so a page can end at any item with a cursor.
        let projection = wanted.map(|attributes| {
            let mut all: Vec<String> = cursor_keys.iter().map(|(k, _)| (*k).to_owned()).collect();
            for a in attributes {
                if !all.contains(&a) {
                    all.push(a);
                }
            }
            all.iter()
                .map(|a| placeholders.name("p", a))
                .collect::<Vec<_>>()
                .join(", ")
        });
        let (names, values) = placeholders.into_maps();
        Ok(Spec {
            client: repo.client().sdk().clone(),
            table: repo.table_arc(),
            entity: schema.entity,
            index: self.index,
            rendered: Rendered {
                key_condition,
                filter,
                projection,
                names,
                values,
            },
            page_size: self.page_size.map(|n| n.min(i32::MAX as u32) as i32),
            descending: false,
            consistent: self.consistent,
            segment: None,
            cursor_keys,
        })
    }

    /// Every row of `spec` from the cursor on, at most `limit`, in one vector.
    async fn all_rows(&self, spec: &Spec) -> Result<Vec<D::Output>> {
        let start = self.start_key(spec)?;
        collect_rows::<D>(spec, start, self.limit, self.filter.is_some()).await
    }

    fn start_key(&self, spec: &Spec) -> Result<Option<Item>> {
        match &self.cursor {
            Some(c) => Ok(Some(
                cursor::decode(&spec.scope(), c).map_err(|e| e.entity(T::SCHEMA.entity))?,
            )),
            None => Ok(None),
        }
    }
}

/// Follows `LastEvaluatedKey` through the pages of `spec` from `start`,
/// stopping after `limit` rows: what [`rows`] and [`collect_rows`] share.
struct Pager<'s> {
    spec: Cow<'s, Spec>,
    next: Option<Item>,
    first: bool,
    remaining: Option<usize>,
    filtered: bool,
}

impl<'s> Pager<'s> {
    fn new(spec: Cow<'s, Spec>, start: Option<Item>, limit: Option<usize>, filtered: bool) -> Self {
        Pager {
            spec,
            next: start,
            first: true,
            remaining: limit,
            filtered,
        }
    }

    /// The items of the next page (possibly none, when a filter removed
    /// them all), or `None` after the last page or the limit.
    async fn next_page(&mut self) -> Result<Option<Vec<Item>>> {
        if (!self.first && self.next.is_none()) || self.remaining == Some(0) {
            return Ok(None);
        }
        self.first = false;
        // Without a filter, asking for no more than we still need saves reads.
        let limit = match (self.remaining, self.filtered, self.spec.page_size) {
            (Some(r), false, None) => Some(r.min(i32::MAX as usize) as i32),
            _ => None,
        };
        let page = self.spec.fetch(self.next.take(), limit, false).await?;
        self.next = page.last_key;
        let mut items = page.items;
        if let Some(r) = self.remaining.as_mut() {
            items.truncate(*r);
            *r -= items.len();
        }
        Ok(Some(items))
    }
}

/// Pages through `spec` from `start`, yielding rows lazily, at most `limit`.
fn rows<D: Decoder>(
    spec: Spec,
    start: Option<Item>,
    limit: Option<usize>,
    filtered: bool,
) -> BoxStream<'static, Result<D::Output>> {
    let pager = Pager::new(Cow::Owned(spec), start, limit, filtered);
    let pages = stream::try_unfold(pager, |mut pager| async move {
        let page = pager.next_page().await?;
        Ok::<_, Error>(page.map(|items| (stream::iter(items.into_iter().map(D::decode)), pager)))
    });
    pages.try_flatten().boxed()
}

/// Every row of `spec` from `start`, at most `limit`: what [`rows`] yields,
/// collected page by page into one vector without a stream per row.
async fn collect_rows<D: Decoder>(
    spec: &Spec,
    start: Option<Item>,
    limit: Option<usize>,
    filtered: bool,
) -> Result<Vec<D::Output>> {
    let mut pager = Pager::new(Cow::Borrowed(spec), start, limit, filtered);
    let mut out = Vec::new();
    while let Some(items) = pager.next_page().await? {
        out.reserve(items.len());
        for item in items {
            out.push(D::decode(item)?);
        }
    }
    Ok(out)
}

/// Collects up to `n` rows across as many pages as needed; the cursor points
/// just after the last row returned.
async fn fill<D: Decoder>(spec: &Spec, start: Option<Item>, n: usize) -> Result<Page<D::Output>> {
    let mut items = Vec::with_capacity(n.min(1024));
    let mut next = start;
    let mut first = true;
    while first || next.is_some() {
        first = false;
        let page = spec.fetch(next.take(), None, false).await?;
        let total = page.items.len();
        for (i, item) in page.items.into_iter().enumerate() {
            if items.len() == n {
                break;
            }
            let key = (items.len() + 1 == n && (i + 1 < total || page.last_key.is_some()))
                .then(|| spec.key_of(&item));
            items.push(D::decode(item)?);
            if let Some(key) = key {
                return Ok(Page {
                    items,
                    cursor: spec.cursor_for(&key),
                });
            }
        }
        next = page.last_key;
        if items.len() == n {
            break;
        }
    }
    let cursor = next.as_ref().and_then(|k| spec.cursor_for(k));
    Ok(Page { items, cursor })
}

async fn one_page<D: Decoder>(
    spec: &Spec,
    start: Option<Item>,
    limit: Option<usize>,
) -> Result<Page<D::Output>> {
    let page = spec
        .fetch(start, limit.map(|n| n.min(i32::MAX as usize) as i32), false)
        .await?;
    let cursor = page.last_key.as_ref().and_then(|k| spec.cursor_for(k));
    let items = page
        .items
        .into_iter()
        .map(D::decode)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page { items, cursor })
}

async fn count_all(spec: &Spec, start: Option<Item>) -> Result<u64> {
    let mut total = 0;
    let mut next = start;
    let mut first = true;
    while first || next.is_some() {
        first = false;
        let page = spec.fetch(next.take(), None, true).await?;
        total += page.count;
        next = page.last_key;
    }
    Ok(total)
}

macro_rules! shared_builder_methods {
    () => {
        /// Keeps only rows matching `condition` (applied by DynamoDB after
        /// reading: a page can come back short or empty). Repeated calls add
        /// conditions that must all hold.
        pub fn filter(mut self, condition: Condition<T>) -> Self {
            self.common.add_filter(condition);
            self
        }

        /// Returns at most `n` rows in all (`all`, `stream`), or per `page`.
        pub fn limit(mut self, n: usize) -> Self {
            self.common.limit = Some(n);
            self
        }

        /// Reads at most `n` items per request (DynamoDB's `Limit`, counted
        /// before the filter).
        pub fn page_size(mut self, n: u32) -> Self {
            self.common.page_size = Some(n);
            self
        }

        /// Strongly consistent reads (not available on global indexes).
        pub fn consistent_read(mut self, consistent: bool) -> Self {
            self.common.consistent = consistent;
            self
        }

        /// Starts after the position a previous [`Page::cursor`] points at.
        pub fn start_from(mut self, cursor: impl Into<String>) -> Self {
            self.common.cursor = Some(cursor.into());
            self
        }

        /// The first matching row, if any (pages on through empty filtered pages).
        pub async fn first(self) -> Result<Option<D::Output>> {
            let mut rows = self.stream();
            rows.try_next().await
        }
    };
}

/// A `Query` being built: `repo.query(pk)` or `repo.query_index(index, pk)`.
#[must_use = "a query does nothing until it is run"]
pub struct Query<'r, T, S, D = AsEntity<T>> {
    repo: &'r Repository<T>,
    common: Common<T, D>,
    partition: (&'static str, AttributeValue),
    sort_key: Option<(&'static str, KeyCondition)>,
    sort_key_name: Option<&'static str>,
    descending: bool,
    _sort: PhantomData<fn() -> S>,
}

impl<T: Entity> Repository<T> {
    /// A query over the items whose partition key is `pk`.
    pub fn query(&self, pk: impl ValueFor<T::PartitionKey>) -> Query<'_, T, T::SortKey> {
        let value = pk.encode().unwrap_or(AttributeValue::Null(true));
        Query {
            repo: self,
            common: Common::new(AsEntity(PhantomData)),
            partition: (T::SCHEMA.partition_key.name, value),
            sort_key: None,
            sort_key_name: T::SCHEMA.sort_key.map(|k| k.name),
            descending: false,
            _sort: PhantomData,
        }
    }

    /// A query over a secondary index declared on the entity
    /// (`T::indexes().by_email`), for the index partition key `pk`.
    pub fn query_index<P, S>(
        &self,
        index: Index<T, P, S>,
        pk: impl ValueFor<P>,
    ) -> Query<'_, T, S> {
        let value = pk.encode().unwrap_or(AttributeValue::Null(true));
        let schema = index.schema();
        let mut common = Common::new(AsEntity(PhantomData));
        common.index = Some(schema);
        Query {
            repo: self,
            common,
            partition: (schema.partition_key.name, value),
            sort_key: None,
            sort_key_name: schema.sort_key.map(|k| k.name),
            descending: false,
            _sort: PhantomData,
        }
    }

    /// A scan of the whole table.
    pub fn scan(&self) -> Scan<'_, T> {
        Scan {
            repo: self,
            common: Common::new(AsEntity(PhantomData)),
            segments: 1,
        }
    }

    /// A scan of a secondary index.
    pub fn scan_index<P, S>(&self, index: Index<T, P, S>) -> Scan<'_, T> {
        let mut scan = self.scan();
        scan.common.index = Some(index.schema());
        scan
    }
}

impl<'r, T: Entity, S, D: Decoder> Query<'r, T, S, D> {
    shared_builder_methods!();

    /// A condition on the sort key: `.sort_key(|k| k.begins_with("2026-"))`.
    pub fn sort_key(mut self, condition: impl FnOnce(SortKey<S>) -> KeyCondition) -> Self
    where
        S: KeyValue,
    {
        let name = self.sort_key_name.unwrap_or("");
        self.sort_key = Some((name, condition(SortKey::new())));
        self
    }

    /// Newest first: descending sort-key order.
    pub fn descending(mut self) -> Self {
        self.descending = true;
        self
    }

    /// Reads only the fields of projection `P`, decoded as `P`.
    pub fn project<P: Projection<Entity = T>>(self) -> Query<'r, T, S, AsProjection<P>> {
        Query {
            repo: self.repo,
            common: self.common.with_decoder(AsProjection(PhantomData)),
            partition: self.partition,
            sort_key: self.sort_key,
            sort_key_name: self.sort_key_name,
            descending: self.descending,
            _sort: PhantomData,
        }
    }

    /// Reads the items as collection `C`: every item of the partition (or
    /// of the sort-key range) decoded into the variant of its entity type,
    /// with the same pages, cursors and streams. An item of a type `C` does
    /// not list is a decode error, never skipped.
    pub fn collection<C: Collection>(self) -> Query<'r, T, S, AsCollection<C>> {
        Query {
            repo: self.repo,
            common: self.common.with_decoder(AsCollection(PhantomData)),
            partition: self.partition,
            sort_key: self.sort_key,
            sort_key_name: self.sort_key_name,
            descending: self.descending,
            _sort: PhantomData,
        }
    }

    /// Reads only the given attributes (plus the keys), as raw maps.
    pub fn project_raw<I: IntoIterator<Item = UntypedPath>>(
        self,
        paths: I,
    ) -> Query<'r, T, S, Raw> {
        let attributes = paths.into_iter().map(|p| p.to_string()).collect();
        Query {
            repo: self.repo,
            common: self.common.with_decoder(Raw(attributes)),
            partition: self.partition,
            sort_key: self.sort_key,
            sort_key_name: self.sort_key_name,
            descending: self.descending,
            _sort: PhantomData,
        }
    }

    fn build(&self) -> Result<Spec> {
        let schema = &T::SCHEMA;
        let (pk_name, pk_value) = &self.partition;
        let key_type = match self.common.index {
            Some(i) => i.partition_key,
            None => schema.partition_key,
        };
        validate::check_key_value(
            schema.entity,
            &key_type,
            validate::MAX_PARTITION_KEY_BYTES,
            Some(pk_value),
        )?;
        if let Some(filter) = &self.common.filter {
            let keys = [Some(*pk_name), self.sort_key_name];
            if let Some(key) = filter.find_attribute(|a| keys.contains(&Some(a))) {
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
        placeholders.push_name(&mut key_condition, "k", pk_name);
        key_condition.push_str(" = ");
        placeholders.push_value(&mut key_condition, "k", pk_value.clone());
        if let Some((sk_name, condition)) = &self.sort_key {
            key_condition.push_str(" AND ");
            condition.render_into(&mut key_condition, &mut placeholders, "k", sk_name);
        }
        let mut spec = self
            .common
            .spec(self.repo, placeholders, Some(key_condition))?;
        spec.descending = self.descending;
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
    pub async fn all(self) -> Result<Vec<D::Output>> {
        self.common.all_rows(&self.build()?).await
    }

    /// One page: at most `page_size` (or `limit`) items read, with a cursor
    /// when more may follow.
    pub async fn page(self) -> Result<Page<D::Output>> {
        let spec = self.build()?;
        let start = self.common.start_key(&spec)?;
        one_page::<D>(&spec, start, self.common.limit).await
    }

    /// Up to `n` *matching* rows, reading as many pages as needed (a filter
    /// is applied after `Limit`, so one request can return few or none); the
    /// cursor points just after the last row returned.
    pub async fn fill_page(self, n: usize) -> Result<Page<D::Output>> {
        let spec = self.build()?;
        let start = self.common.start_key(&spec)?;
        fill::<D>(&spec, start, n).await
    }

    /// A lazy stream of rows that follows the pages, holding one page at a time.
    pub fn stream(self) -> BoxStream<'static, Result<D::Output>> {
        let prepared = self.build().and_then(|spec| {
            let start = self.common.start_key(&spec)?;
            Ok((spec, start))
        });
        match prepared {
            Ok((spec, start)) => {
                rows::<D>(spec, start, self.common.limit, self.common.filter.is_some())
            }
            Err(e) => stream::once(async move { Err(e) }).boxed(),
        }
    }

    /// The number of matching items (`Select=COUNT`), over every page.
    pub async fn count(self) -> Result<u64> {
        let spec = self.build()?;
        let start = self.common.start_key(&spec)?;
        count_all(&spec, start).await
    }
}

/// A `Scan` being built: `repo.scan()`.
#[must_use = "a scan does nothing until it is run"]
pub struct Scan<'r, T, D = AsEntity<T>> {
    repo: &'r Repository<T>,
    common: Common<T, D>,
    segments: u32,
}

impl<'r, T: Entity, D: Decoder> Scan<'r, T, D> {
    shared_builder_methods!();

    /// Scans in `n` parallel segments merged into one stream (each item
    /// exactly once). Cursors and pages are per segment, so `page`,
    /// `fill_page` and `start_from` refuse more than one segment.
    pub fn segments(mut self, n: u32) -> Self {
        self.segments = n.max(1);
        self
    }

    /// Reads only the fields of projection `P`, decoded as `P`.
    pub fn project<P: Projection<Entity = T>>(self) -> Scan<'r, T, AsProjection<P>> {
        Scan {
            repo: self.repo,
            common: self.common.with_decoder(AsProjection(PhantomData)),
            segments: self.segments,
        }
    }

    /// Reads the items as collection `C`, each routed by its entity type.
    pub fn collection<C: Collection>(self) -> Scan<'r, T, AsCollection<C>> {
        Scan {
            repo: self.repo,
            common: self.common.with_decoder(AsCollection(PhantomData)),
            segments: self.segments,
        }
    }

    /// Reads only the given attributes (plus the keys), as raw maps.
    pub fn project_raw<I: IntoIterator<Item = UntypedPath>>(self, paths: I) -> Scan<'r, T, Raw> {
        let attributes = paths.into_iter().map(|p| p.to_string()).collect();
        Scan {
            repo: self.repo,
            common: self.common.with_decoder(Raw(attributes)),
            segments: self.segments,
        }
    }

    fn build(&self) -> Result<Spec> {
        self.common.spec(self.repo, Placeholders::new(), None)
    }

    fn single_segment(&self) -> Result<()> {
        if self.segments > 1 {
            return Err(ValidationError::new(
                ValidationErrorKind::Other,
                "pages and cursors of a parallel scan are per segment; use stream() or all()",
            )
            .entity(T::SCHEMA.entity)
            .into());
        }
        Ok(())
    }

    /// The SDK request this would send first (segment 0), without sending it.
    pub fn to_request(
        &self,
    ) -> Result<aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder> {
        let mut spec = self.build()?;
        if self.segments > 1 {
            spec.segment = Some((0, self.segments as i32));
        }
        let start = self.common.start_key(&spec)?;
        let rendered = std::mem::take(&mut spec.rendered);
        Ok(spec.scan_request(rendered, start, self.common.limit.map(|n| n as i32), false))
    }

    /// Every matching row, following every page (with [`Scan::segments`],
    /// the segments are read in parallel; memory grows with the result).
    pub async fn all(self) -> Result<Vec<D::Output>> {
        if self.segments > 1 {
            return self.stream().try_collect().await;
        }
        self.common.all_rows(&self.build()?).await
    }

    /// One page, with a cursor when more may follow.
    pub async fn page(self) -> Result<Page<D::Output>> {
        self.single_segment()?;
        let spec = self.build()?;
        let start = self.common.start_key(&spec)?;
        one_page::<D>(&spec, start, self.common.limit).await
    }

    /// Up to `n` matching rows across as many pages as needed.
    pub async fn fill_page(self, n: usize) -> Result<Page<D::Output>> {
        self.single_segment()?;
        let spec = self.build()?;
        let start = self.common.start_key(&spec)?;
        fill::<D>(&spec, start, n).await
    }

    /// A lazy stream of rows; with [`Scan::segments`], the segments are read
    /// in parallel and merged.
    pub fn stream(self) -> BoxStream<'static, Result<D::Output>> {
        let filtered = self.common.filter.is_some();
        let prepared = self.build().and_then(|spec| {
            if self.segments > 1 && self.common.cursor.is_some() {
                self.single_segment()?;
            }
            let start = self.common.start_key(&spec)?;
            Ok((spec, start))
        });
        let (spec, start) = match prepared {
            Ok(p) => p,
            Err(e) => return stream::once(async move { Err(e) }).boxed(),
        };
        if self.segments == 1 {
            return rows::<D>(spec, start, self.common.limit, filtered);
        }
        let total = self.segments as i32;
        let streams = (0..total).map(|segment| {
            let mut spec = spec.clone();
            spec.segment = Some((segment, total));
            rows::<D>(spec, None, None, filtered)
        });
        let merged = stream::select_all(streams);
        match self.common.limit {
            Some(n) => merged.take(n).boxed(),
            None => merged.boxed(),
        }
    }

    /// The number of matching items (`Select=COUNT`), over every page.
    pub async fn count(self) -> Result<u64> {
        self.single_segment()?;
        let spec = self.build()?;
        let start = self.common.start_key(&spec)?;
        count_all(&spec, start).await
    }
}
