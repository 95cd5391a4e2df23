//! Tables that follow the code: [`Repository::ensure_table`] compares what
//! the entity declares with the live table and changes what DynamoDB lets
//! change in place; [`Repository::plan_table`] says what it would do.
//!
//! What can be changed in place is changed, one step at a time: a missing
//! global secondary index is created with `UpdateTable` and awaited until
//! `ACTIVE` (progress is logged with `tracing`), TTL is enabled on the
//! entity's `#[dynamo(ttl)]` attribute, and the declared
//! `#[dynamo(stream = "...")]` is enabled on a table that has no stream. What cannot is refused with
//! [`Error::TableMismatch`](crate::Error::TableMismatch), naming every
//! difference: another key schema, a missing local secondary index (those
//! exist only from table creation), an index with other keys or another
//! projection, TTL on another attribute, a stream of another view type.
//! Indexes the table has and the entity does not declare are reported in
//! the plan and never dropped; a stream the entity does not declare is left
//! as it is, never disabled.

use super::table::{index_definitions, sdk_build_error, stream_specification, POLL, TABLE_WAIT};
use super::Repository;
use crate::entity::{Entity, IndexKind, IndexProjection, IndexSchema, StreamView};
use crate::error::{from_sdk, Error, Result};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate, IndexStatus,
    KeySchemaElement, KeyType as SdkKeyType, Projection, ProjectionType, TableDescription,
};
use std::fmt;
use tracing::Instrument;

/// What [`Repository::ensure_table`] does (or, from
/// [`Repository::plan_table`], would do) to make the table fit the entity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TablePlan {
    /// The table does not exist and is created.
    pub create_table: bool,
    /// Global secondary indexes the entity declares and the table lacks,
    /// created one at a time.
    pub add_indexes: Vec<&'static str>,
    /// The TTL attribute to enable, when the entity has one and the table
    /// has TTL off.
    pub enable_ttl: Option<&'static str>,
    /// The stream to enable, when the entity declares one and the table has
    /// no stream enabled.
    pub enable_stream: Option<StreamView>,
    /// Indexes the table has and the entity does not declare: reported,
    /// never dropped.
    pub extra_indexes: Vec<String>,
}

impl TablePlan {
    /// Whether the table already fits: nothing to create or enable.
    pub fn is_empty(&self) -> bool {
        !self.create_table
            && self.add_indexes.is_empty()
            && self.enable_ttl.is_none()
            && self.enable_stream.is_none()
    }
}

/// One way the live table differs from the entity that DynamoDB cannot
/// change in place.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TableDifference {
    /// The table's key schema is not the entity's.
    KeySchema {
        /// The entity's key, as `name (HASH|RANGE)`.
        expected: String,
        /// The table's key.
        found: String,
    },
    /// A local secondary index the table lacks (LSIs exist only from creation).
    MissingLocalIndex {
        /// The index.
        index: &'static str,
    },
    /// An index with other key attributes than declared.
    IndexKeys {
        /// The index.
        index: &'static str,
        /// The declared key.
        expected: String,
        /// The table's.
        found: String,
    },
    /// An index with another projection than declared.
    IndexProjection {
        /// The index.
        index: &'static str,
        /// The declared projection.
        expected: String,
        /// The table's.
        found: String,
    },
    /// A global index declared as local or the other way round.
    IndexKind {
        /// The index.
        index: &'static str,
    },
    /// TTL is on for another attribute.
    TtlAttribute {
        /// The entity's TTL attribute.
        expected: &'static str,
        /// The table's.
        found: String,
    },
    /// The table's stream records another view type than declared
    /// (DynamoDB changes it only by disabling the stream, which loses its
    /// records; dynamo-repo never does that).
    StreamViewType {
        /// The declared view type, as DynamoDB names it (`NEW_AND_OLD_IMAGES`).
        expected: &'static str,
        /// The table's.
        found: String,
    },
}

impl fmt::Display for TableDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableDifference::KeySchema { expected, found } => {
                write!(f, "the key schema is {found}, the entity needs {expected}")
            }
            TableDifference::MissingLocalIndex { index } => write!(
                f,
                "local index `{index}` is missing (local indexes can only be created with the table)"
            ),
            TableDifference::IndexKeys { index, expected, found } => {
                write!(f, "index `{index}` has key {found}, the entity declares {expected}")
            }
            TableDifference::IndexProjection { index, expected, found } => write!(
                f,
                "index `{index}` projects {found}, the entity declares {expected}"
            ),
            TableDifference::IndexKind { index } => write!(
                f,
                "index `{index}` is global on one side and local on the other"
            ),
            TableDifference::TtlAttribute { expected, found } => write!(
                f,
                "TTL is enabled on `{found}`, the entity's TTL attribute is `{expected}`"
            ),
            TableDifference::StreamViewType { expected, found } => write!(
                f,
                "the table's stream records {found}, the entity declares stream {expected} (a stream's view type changes only by disabling it, which dynamo-repo never does)"
            ),
        }
    }
}

/// A live table that differs from its entity in ways DynamoDB cannot change
/// in place; nothing was changed.
#[derive(Debug, Clone)]
pub struct TableMismatch {
    /// The entity type.
    pub entity: &'static str,
    /// The table.
    pub table: String,
    /// Every difference found.
    pub differences: Vec<TableDifference>,
}

impl fmt::Display for TableMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "table `{}` does not fit entity {} and cannot be changed in place: ",
            self.table, self.entity
        )?;
        for (i, d) in self.differences.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TableMismatch {}

fn keys_text(keys: &[KeySchemaElement]) -> String {
    let parts: Vec<String> = keys
        .iter()
        .map(|k| format!("{} ({})", k.attribute_name(), k.key_type().as_str()))
        .collect();
    format!("[{}]", parts.join(", "))
}

fn declared_keys(partition: &str, sort: Option<&str>) -> Vec<KeySchemaElement> {
    let element = |name: &str, t: SdkKeyType| {
        // Both required fields are set, so building cannot fail.
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(t)
            .build()
            .ok()
    };
    std::iter::once(element(partition, SdkKeyType::Hash))
        .chain(sort.map(|s| element(s, SdkKeyType::Range)))
        .flatten()
        .collect()
}

/// Every key attribute of an index, HASH then RANGE, in declared order.
fn declared_index_keys(index: &IndexSchema) -> Vec<KeySchemaElement> {
    let element = |name: &str, t: SdkKeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(t)
            .build()
            .ok()
    };
    index
        .partition_keys()
        .map(|k| element(k.name, SdkKeyType::Hash))
        .chain(
            index
                .sort_keys()
                .map(|k| element(k.name, SdkKeyType::Range)),
        )
        .flatten()
        .collect()
}

/// The same HASH attributes in the same order, and the same RANGE
/// attributes in the same order (the order of a multi-attribute key's
/// attributes is part of the key: it is how the sort key sorts).
fn same_keys(a: &[KeySchemaElement], b: &[KeySchemaElement]) -> bool {
    let of = |keys: &[KeySchemaElement], t: &SdkKeyType| -> Vec<String> {
        keys.iter()
            .filter(|k| k.key_type() == t)
            .map(|k| k.attribute_name().to_owned())
            .collect()
    };
    a.len() == b.len()
        && [SdkKeyType::Hash, SdkKeyType::Range]
            .iter()
            .all(|t| of(a, t) == of(b, t))
}

fn projection_text(p: Option<&Projection>) -> String {
    let Some(p) = p else {
        return "nothing".into();
    };
    match p.projection_type() {
        Some(ProjectionType::Include) => {
            let mut names: Vec<&str> = p.non_key_attributes().iter().map(String::as_str).collect();
            names.sort_unstable();
            format!("INCLUDE [{}]", names.join(", "))
        }
        Some(t) => t.as_str().to_owned(),
        None => "ALL".into(),
    }
}

fn declared_projection(index: &IndexSchema) -> String {
    match index.projection {
        IndexProjection::All => "ALL".into(),
        IndexProjection::KeysOnly => "KEYS_ONLY".into(),
        IndexProjection::Include(names) => {
            let mut names = names.to_vec();
            names.sort_unstable();
            format!("INCLUDE [{}]", names.join(", "))
        }
    }
}

/// The plan, or every difference that cannot be fixed in place.
fn compare<T: Entity>(
    table: &TableDescription,
    ttl: Option<(&str, bool)>,
) -> std::result::Result<TablePlan, Vec<TableDifference>> {
    let schema = &T::SCHEMA;
    let mut plan = TablePlan::default();
    let mut differences = Vec::new();
    let expected = declared_keys(
        schema.partition_key.name,
        schema.sort_key.as_ref().map(|k| k.name),
    );
    if !same_keys(&expected, table.key_schema()) {
        differences.push(TableDifference::KeySchema {
            expected: keys_text(&expected),
            found: keys_text(table.key_schema()),
        });
    }
    let global: Vec<(&str, &[KeySchemaElement], Option<&Projection>)> = table
        .global_secondary_indexes()
        .iter()
        .map(|g| (g.index_name().unwrap_or(""), g.key_schema(), g.projection()))
        .collect();
    let local: Vec<(&str, &[KeySchemaElement], Option<&Projection>)> = table
        .local_secondary_indexes()
        .iter()
        .map(|l| (l.index_name().unwrap_or(""), l.key_schema(), l.projection()))
        .collect();
    for index in schema.indexes {
        let (same_kind, other_kind) = match index.kind {
            IndexKind::Global => (&global, &local),
            IndexKind::Local => (&local, &global),
        };
        let Some((_, keys, projection)) = same_kind.iter().find(|(n, ..)| *n == index.name) else {
            if other_kind.iter().any(|(n, ..)| *n == index.name) {
                differences.push(TableDifference::IndexKind { index: index.name });
            } else if index.kind == IndexKind::Global {
                plan.add_indexes.push(index.name);
            } else {
                differences.push(TableDifference::MissingLocalIndex { index: index.name });
            }
            continue;
        };
        let declared = declared_index_keys(index);
        if !same_keys(&declared, keys) {
            differences.push(TableDifference::IndexKeys {
                index: index.name,
                expected: keys_text(&declared),
                found: keys_text(keys),
            });
        }
        let (want, have) = (declared_projection(index), projection_text(*projection));
        if want != have {
            differences.push(TableDifference::IndexProjection {
                index: index.name,
                expected: want,
                found: have,
            });
        }
    }
    plan.extra_indexes = global
        .iter()
        .chain(&local)
        .map(|(n, ..)| *n)
        .filter(|n| !schema.indexes.iter().any(|i| i.name == *n))
        .map(str::to_owned)
        .collect();
    if let Some(attribute) = schema.ttl_attribute {
        match ttl {
            Some((on, true)) if on == attribute => {}
            Some((other, true)) => differences.push(TableDifference::TtlAttribute {
                expected: attribute,
                found: other.to_owned(),
            }),
            _ => plan.enable_ttl = Some(attribute),
        }
    }
    if let Some(view) = schema.stream {
        let enabled = table
            .stream_specification()
            .filter(|s| s.stream_enabled())
            .map(|s| {
                s.stream_view_type()
                    .map(|v| v.as_str())
                    .unwrap_or("no view type")
            });
        match enabled {
            None => plan.enable_stream = Some(view),
            Some(found) if found == view.code() => {}
            Some(found) => differences.push(TableDifference::StreamViewType {
                expected: view.code(),
                found: found.to_owned(),
            }),
        }
    }
    if differences.is_empty() {
        Ok(plan)
    } else {
        Err(differences)
    }
}

impl<T: Entity> Repository<T> {
    /// What [`Repository::ensure_table`] would do, changing nothing: create
    /// the table, add global indexes, enable TTL and the stream; with the indexes the table
    /// has beyond the entity's. Fails with
    /// [`Error::TableMismatch`] when the table
    /// differs in ways that cannot be changed in place.
    pub async fn plan_table(&self) -> Result<TablePlan> {
        let table = match self.describe().await {
            Ok(table) => table,
            Err(e) if e.is_resource_not_found() => {
                return Ok(TablePlan {
                    create_table: true,
                    ..TablePlan::default()
                })
            }
            Err(e) => return Err(e),
        };
        let ttl = self.ttl_state().await?;
        let ttl = ttl.as_ref().map(|(name, on)| (name.as_str(), *on));
        compare::<T>(&table, ttl).map_err(|differences| {
            Error::TableMismatch(Box::new(TableMismatch {
                entity: T::SCHEMA.entity,
                table: self.table.to_string(),
                differences,
            }))
        })
    }

    /// Makes the table follow the entity, and says what it did: creates the
    /// table if it does not exist; otherwise adds the global secondary
    /// indexes it lacks (one `UpdateTable` at a time, each awaited until
    /// `ACTIVE`), enables TTL where declared and the declared stream on a
    /// table without one. Refuses, changing nothing,
    /// when the table differs in ways that cannot be changed in place
    /// ([`Error::TableMismatch`] names each
    /// one). Indexes the entity does not declare are reported in
    /// [`TablePlan::extra_indexes`], never dropped. Safe to call at every
    /// start-up and from concurrent tasks.
    pub async fn ensure_table(&self) -> Result<TablePlan> {
        let plan = match self.create_table().await {
            Ok(()) => {
                return Ok(TablePlan {
                    create_table: true,
                    ..TablePlan::default()
                })
            }
            Err(Error::Service {
                code: Some(code), ..
            }) if code == "ResourceInUseException" => {
                self.wait_until_active().await?;
                self.plan_table().await?
            }
            Err(e) => return Err(e),
        };
        for index in &plan.add_indexes {
            self.add_global_index(index).await?;
        }
        if plan.enable_ttl.is_some() {
            self.enable_ttl().await?;
        }
        if let Some(view) = plan.enable_stream {
            self.enable_stream(view).await?;
        }
        Ok(plan)
    }

    /// Enables the declared stream on a table that has none, and waits until
    /// the table is `ACTIVE` again.
    async fn enable_stream(&self, view: StreamView) -> Result<()> {
        let span = self.span("UpdateTable");
        async move {
            tracing::info!(table = %self.table, view = view.code(), "enabling the table's stream");
            self.client
                .sdk()
                .update_table()
                .table_name(&*self.table)
                .stream_specification(stream_specification(view)?)
                .send()
                .await
                .map_err(|e| from_sdk(e, "UpdateTable", &self.table))?;
            self.wait_until_active().await
        }
        .instrument(span)
        .await
    }

    /// Creates one declared global index and waits until it is `ACTIVE`.
    async fn add_global_index(&self, name: &'static str) -> Result<()> {
        let span = self.span("UpdateTable");
        async move {
            let schema = &T::SCHEMA;
            let Some(index) = schema.indexes.iter().find(|i| i.name == name) else {
                return Ok(());
            };
            let (global, _) = index_definitions(schema)?;
            let Some(definition) = global.into_iter().find(|g| g.index_name() == name) else {
                return Ok(());
            };
            let definitions = index
                .key_attributes()
                .map(|k| {
                    AttributeDefinition::builder()
                        .attribute_name(k.name)
                        .attribute_type(k.key_type.to_sdk())
                        .build()
                        .map_err(|e| sdk_build_error("UpdateTable", e))
                })
                .collect::<Result<Vec<_>>>()?;
            let create = CreateGlobalSecondaryIndexAction::builder()
                .index_name(name)
                .set_key_schema(Some(definition.key_schema().to_vec()))
                .set_projection(definition.projection().cloned())
                .build()
                .map_err(|e| sdk_build_error("UpdateTable", e))?;
            tracing::info!(table = %self.table, index = name, "creating global secondary index");
            let sent = self
                .client
                .sdk()
                .update_table()
                .table_name(&*self.table)
                .set_attribute_definitions(Some(definitions))
                .global_secondary_index_updates(
                    GlobalSecondaryIndexUpdate::builder().create(create).build(),
                )
                .send()
                .await;
            if let Err(e) = sent {
                let err = from_sdk(e, "UpdateTable", &self.table);
                // Another process may be adding the same index: then wait for it.
                let exists = self.describe().await.is_ok_and(|t| {
                    t.global_secondary_indexes()
                        .iter()
                        .any(|g| g.index_name() == Some(name))
                });
                if !exists {
                    return Err(err);
                }
            }
            self.wait_until_index_active(name).await?;
            tracing::info!(table = %self.table, index = name, "global secondary index is ACTIVE");
            Ok(())
        }
        .instrument(span)
        .await
    }

    async fn wait_until_index_active(&self, name: &str) -> Result<()> {
        let deadline = tokio::time::Instant::now() + TABLE_WAIT;
        loop {
            let table = self.describe().await?;
            let status = table
                .global_secondary_indexes()
                .iter()
                .find(|g| g.index_name() == Some(name))
                .and_then(|g| g.index_status().cloned());
            let table_active =
                table.table_status() == Some(&aws_sdk_dynamodb::types::TableStatus::Active);
            if status == Some(IndexStatus::Active) && table_active {
                return Ok(());
            }
            tracing::info!(table = %self.table, index = name, status = ?status, "waiting for the index");
            if tokio::time::Instant::now() > deadline {
                return Err(self.timeout("given its index in time"));
            }
            tokio::time::sleep(POLL).await;
        }
    }
}
