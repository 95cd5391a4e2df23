//! Rendering a builder into a [`Spec`]: expressions, placeholders, the
//! index checks, and the SDK requests of each page.

use super::binding::Binding;
use super::cursor::{self, CursorKey, CursorScope};
use super::decode::Decoder;
use super::pager::collect_rows;
use crate::capacity::{self, Capacity};
use crate::entity::{Entity, IndexProjection, IndexSchema, KeyType};
use crate::error::{from_sdk, Error, Result, ValidationError, ValidationErrorKind};
use crate::expr::{Condition, Placeholders};
use crate::repository::Repository;
use crate::value::Item;
use aws_sdk_dynamodb::types::{AttributeValue, Select};
use std::sync::Arc;
use tracing::Instrument;

/// Everything a request needs, rendered once.
#[derive(Clone)]
pub(super) struct Spec {
    pub(super) client: aws_sdk_dynamodb::Client,
    pub(super) table: Arc<str>,
    pub(super) entity: &'static str,
    pub(super) index: Option<&'static IndexSchema>,
    pub(super) rendered: Rendered,
    pub(super) page_size: Option<i32>,
    pub(super) descending: bool,
    pub(super) consistent: bool,
    /// Whether each request asks for the capacity it consumes.
    pub(super) capacity: bool,
    pub(super) segment: Option<(i32, i32)>,
    /// Key attributes of a `LastEvaluatedKey` here: table keys, then index keys.
    pub(super) cursor_keys: KeyAttributes,
    /// The key that signs (or encrypts) this query's cursors, if any.
    pub(super) cursor_key: Option<CursorKey>,
    /// A query's partition key attributes and values (several for a
    /// multi-attribute index key), set when the builder has a cursor: the
    /// cursor must hold them.
    pub(super) partition: Vec<(&'static str, AttributeValue)>,
}

/// At most ten key attributes (table keys, and up to four partition and
/// four sort attributes of an index), kept inline: no allocation for every
/// query built.
#[derive(Clone, Copy)]
pub(super) struct KeyAttributes {
    pub(super) items: [(&'static str, KeyType); 10],
    pub(super) len: usize,
}

impl KeyAttributes {
    pub(super) fn new() -> Self {
        KeyAttributes {
            items: [("", KeyType::String); 10],
            len: 0,
        }
    }

    /// Adds `name` unless it is already there.
    pub(super) fn add(&mut self, name: &'static str, key_type: KeyType) {
        if !self.iter().any(|(n, _)| *n == name) && self.len < self.items.len() {
            self.items[self.len] = (name, key_type);
            self.len += 1;
        }
    }

    pub(super) fn as_slice(&self) -> &[(&'static str, KeyType)] {
        &self.items[..self.len]
    }

    pub(super) fn iter(&self) -> std::slice::Iter<'_, (&'static str, KeyType)> {
        self.as_slice().iter()
    }
}

/// The expressions and placeholder maps of a request: cloned into each
/// page's request, or handed over whole by `to_request`.
#[derive(Clone, Default)]
pub(super) struct Rendered {
    pub(super) key_condition: Option<String>,
    pub(super) filter: Option<String>,
    pub(super) projection: Option<String>,
    pub(super) names: Option<crate::expr::NameMap>,
    pub(super) values: Option<crate::expr::ValueMap>,
}

pub(super) struct RawPage {
    pub(super) items: Vec<Item>,
    pub(super) last_key: Option<Item>,
    pub(super) count: u64,
    /// Items evaluated (`ScannedCount`, before the filter).
    pub(super) scanned: u64,
    /// What the request consumed, when it asked.
    pub(super) capacity: Option<Capacity>,
}

impl Spec {
    /// The items of a page without the marker items of unique constraints,
    /// which are never rows (see [`crate::unique`]).
    fn without_markers(&self, mut items: Vec<Item>) -> Vec<Item> {
        if let Some((pk, _)) = self.cursor_keys.iter().next() {
            items.retain(|item| !crate::unique::is_marker(item, pk));
        }
        items
    }

    /// Where this query's cursors belong: the scope (table, index, entity,
    /// operation) always, the whole query when they are signed.
    pub(super) fn scope(&self) -> CursorScope<'_> {
        let mut scope = Binding::new("dynamo-repo cursor scope");
        scope.text(&self.table);
        scope.optional(self.index.map(|i| i.name));
        scope.text(self.entity);
        scope.text(self.operation());
        let scope = scope.finish();
        let query = self.cursor_key.as_ref().map(|_| {
            let rendered = &self.rendered;
            let mut query = Binding::new("dynamo-repo cursor query");
            query.digest(&scope);
            query.optional(rendered.key_condition.as_deref());
            query.optional(rendered.filter.as_deref());
            query.optional(rendered.projection.as_deref());
            query.names(rendered.names.iter().flatten());
            query.values(rendered.values.iter().flatten());
            query.flag(self.descending);
            query.finish()
        });
        CursorScope {
            scope,
            query,
            key_attributes: self.cursor_keys.as_slice(),
            key: self.cursor_key.as_ref(),
        }
    }

    /// Whether the rows are filtered (a page may then end on a row the
    /// caller does not receive).
    pub(super) fn filtered(&self) -> bool {
        self.rendered.filter.is_some()
    }

    /// Whether cursors are encrypted, so they may hold any key DynamoDB
    /// read without showing it.
    pub(super) fn opaque_cursors(&self) -> bool {
        self.cursor_key.as_ref().is_some_and(CursorKey::encrypts)
    }

    pub(super) fn operation(&self) -> &'static str {
        if self.rendered.key_condition.is_some() {
            "Query"
        } else {
            "Scan"
        }
    }

    pub(super) fn cursor_for(&self, key: &Item) -> Result<String> {
        cursor::encode(&self.scope(), key).map_err(|e| match e {
            Error::Validation(v) => v.entity(self.entity).into(),
            other => other,
        })
    }

    /// The cursor where a read stopped by its budget resumes: after the
    /// last key DynamoDB evaluated. When the caller may not have received
    /// that item (`unreceived`: a filter removed it, or a count returns no
    /// rows), a keyed cursor is encrypted even under a signing key.
    pub(super) fn budget_cursor(&self, key: &Item, unreceived: bool) -> Result<String> {
        if !unreceived {
            return self.cursor_for(key);
        }
        cursor::encode_sealed(&self.scope(), key).map_err(|e| match e {
            Error::Validation(v) => v.entity(self.entity).into(),
            other => other,
        })
    }

    /// The key of `item` as a `LastEvaluatedKey` would hold it.
    pub(super) fn key_of(&self, item: &Item) -> Item {
        self.cursor_keys
            .iter()
            .filter_map(|(name, _)| item.get(*name).map(|v| ((*name).to_owned(), v.clone())))
            .collect()
    }

    pub(super) fn query_request(
        &self,
        rendered: Rendered,
        start: Option<Item>,
        limit: Option<i32>,
        count: bool,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        // Only the fields that differ from DynamoDB's defaults (each setter
        // moves the whole, large, SDK builder): no `ConsistentRead=false`, no
        // `Select` but for a count, no `ReturnConsumedCapacity` unless asked.
        let mut request = self
            .client
            .query()
            .table_name(&*self.table)
            .set_key_condition_expression(rendered.key_condition)
            .set_expression_attribute_names(rendered.names)
            .set_expression_attribute_values(rendered.values);
        if self.capacity {
            request = request.set_return_consumed_capacity(capacity::request(true));
        }
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

    pub(super) fn scan_request(
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
            // DynamoDB's defaults are not sent: eventually consistent reads,
            // every attribute, no consumed capacity.
            .set_consistent_read(self.consistent.then_some(true))
            .set_exclusive_start_key(start)
            .set_segment(self.segment.map(|s| s.0))
            .set_total_segments(self.segment.map(|s| s.1))
            .set_select(count.then_some(Select::Count))
            .set_return_consumed_capacity(capacity::request(self.capacity))
    }

    pub(super) async fn fetch(
        &self,
        start: Option<Item>,
        limit: Option<i32>,
        count: bool,
    ) -> Result<RawPage> {
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
                Ok(RawPage {
                    capacity: capacity::record_one(out.consumed_capacity()),
                    count: out.count as u64,
                    scanned: out.scanned_count as u64,
                    items: self.without_markers(out.items.unwrap_or_default()),
                    last_key: out.last_evaluated_key.filter(|k| !k.is_empty()),
                })
            } else {
                let out = self
                    .scan_request(self.rendered.clone(), start, limit, count)
                    .send()
                    .await
                    .map_err(|e| from_sdk(e, "Scan", &self.table))?;
                Ok(RawPage {
                    capacity: capacity::record_one(out.consumed_capacity()),
                    count: out.count as u64,
                    scanned: out.scanned_count as u64,
                    items: self.without_markers(out.items.unwrap_or_default()),
                    last_key: out.last_evaluated_key.filter(|k| !k.is_empty()),
                })
            }
        }
        .instrument(span)
        .await
    }
}

/// What query and scan builders share: filter, projection, paging options.
pub(super) struct Common<T, D> {
    pub(super) filter: Option<Condition<T>>,
    pub(super) decoder: D,
    pub(super) limit: Option<usize>,
    pub(super) page_size: Option<u32>,
    pub(super) consistent: bool,
    /// `.return_consumed_capacity()` (the client's setting applies too).
    pub(super) capacity: bool,
    pub(super) cursor: Option<String>,
    /// A cursor key for this builder only, over the client's.
    pub(super) cursor_key: Option<CursorKey>,
    pub(super) index: Option<&'static IndexSchema>,
    /// Set by `count()`: no attributes are read, so any index can serve it.
    pub(super) counting: bool,
}

fn index_error<T: Entity>(index: &IndexSchema, message: String) -> Error {
    ValidationError::new(ValidationErrorKind::InvalidIndex, message)
        .entity(T::SCHEMA.entity)
        .attribute(index.name)
        .into()
}

impl<T: Entity, D: Decoder> Common<T, D> {
    pub(super) fn new(decoder: D) -> Self {
        Common {
            filter: None,
            decoder,
            limit: None,
            page_size: None,
            consistent: false,
            capacity: false,
            cursor: None,
            cursor_key: None,
            index: None,
            counting: false,
        }
    }

    pub(super) fn with_decoder<D2: Decoder>(self, decoder: D2) -> Common<T, D2> {
        self.map_decoder(|_| decoder)
    }

    /// The same query with its decoder wrapped or replaced.
    pub(super) fn map_decoder<D2: Decoder>(self, f: impl FnOnce(D) -> D2) -> Common<T, D2> {
        Common {
            filter: self.filter,
            decoder: f(self.decoder),
            limit: self.limit,
            page_size: self.page_size,
            consistent: self.consistent,
            capacity: self.capacity,
            cursor: self.cursor,
            cursor_key: self.cursor_key,
            index: self.index,
            counting: self.counting,
        }
    }

    pub(super) fn add_filter(&mut self, condition: Condition<T>) {
        self.filter = Some(match self.filter.take() {
            Some(existing) => existing.and(condition),
            None => condition,
        });
    }

    /// Renders filter and projection, checks the index can serve the rows,
    /// and builds the spec.
    pub(super) fn spec(
        &self,
        repo: &Repository<T>,
        mut placeholders: Placeholders,
        key_condition: Option<String>,
    ) -> Result<Spec> {
        let schema = &T::SCHEMA;
        if self.page_size == Some(0) {
            return Err(ValidationError::new(
                ValidationErrorKind::OutOfRange,
                "page_size(0): DynamoDB reads at least one item per request",
            )
            .entity(schema.entity)
            .into());
        }
        if self.limit == Some(0) {
            return Err(ValidationError::new(
                ValidationErrorKind::OutOfRange,
                "limit(0) asks for no rows; leave the call out to get none, or give at least 1",
            )
            .entity(schema.entity)
            .into());
        }
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
                (_, None) if self.counting => {}
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
                    // create_table projects a typed entity's type attribute into its INCLUDE indexes.
                    let type_attribute = schema.single_table.map(|s| s.type_attribute);
                    let holds = |a: &str| {
                        cursor_keys.iter().any(|(k, _)| *k == a)
                            || included.contains(&a)
                            || (matches!(projection, IndexProjection::Include(_)) && type_attribute == Some(a))
                    };
                    if let Some(missing) = attributes.iter().find(|a| !holds(a))
                    {
                        let why = if schema.single_table.is_some_and(|s| s.type_attribute == missing) {
                            ", which tells the entity types of its items apart; project it into the index (include(...)) or read raw maps"
                        } else {
                            ""
                        };
                        return Err(index_error::<T>(index, format!("index `{}` does not hold the attribute `{missing}`{why}", index.name)));
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
            capacity: self.capacity || repo.client().consumed_capacity(),
            segment: None,
            cursor_keys,
            cursor_key: self
                .cursor_key
                .clone()
                .or_else(|| repo.client().cursor_key().cloned()),
            partition: Vec::new(),
        })
    }

    /// Every row of `spec` from the cursor on, at most `limit`, in one
    /// vector, with the capacity consumed when it was asked for.
    pub(super) async fn all_rows(&self, spec: &Spec) -> Result<(Vec<D::Output>, Option<Capacity>)> {
        let start = self.start_key(spec)?;
        collect_rows::<D>(spec, start, self.limit, self.filter.is_some()).await
    }

    /// The `ExclusiveStartKey` of the builder's cursor: refused unless
    /// this query made it (with its key, if any), and unless it holds the
    /// query's partition, before anything is sent.
    pub(super) fn start_key(&self, spec: &Spec) -> Result<Option<Item>> {
        let Some(c) = &self.cursor else {
            return Ok(None);
        };
        let entity = T::SCHEMA.entity;
        let key = cursor::decode(&spec.scope(), c).map_err(|e| e.entity(entity))?;
        for (name, value) in &spec.partition {
            if key.get(*name) != Some(value) {
                return Err(ValidationError::new(
                    ValidationErrorKind::InvalidCursor,
                    "the cursor starts in another partition than this query's",
                )
                .entity(entity)
                .attribute(*name)
                .into());
            }
        }
        Ok(Some(key))
    }
}
