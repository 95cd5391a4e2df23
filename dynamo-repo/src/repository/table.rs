//! Creating and deleting the entity's table.

use super::Repository;
use crate::entity::{Entity, KeyAttribute};
use crate::error::{from_sdk, Error, Result};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType as SdkKeyType, TableStatus,
    TimeToLiveSpecification,
};
use std::time::Duration;
use tracing::Instrument;

/// How long table creation or deletion is awaited before giving up.
pub(super) const TABLE_WAIT: Duration = Duration::from_secs(300);
pub(super) const POLL: Duration = Duration::from_millis(250);

fn key_element(k: &KeyAttribute, key_type: SdkKeyType) -> Result<KeySchemaElement> {
    KeySchemaElement::builder()
        .attribute_name(k.name)
        .key_type(key_type)
        .build()
        .map_err(|e| sdk_build_error("CreateTable", e))
}

pub(super) fn sdk_build_error(
    operation: &'static str,
    e: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    Error::Service {
        operation,
        table: String::new(),
        code: None,
        message: Some(e.to_string()),
        source: Box::new(e),
    }
}

/// The SDK's stream specification of a declared stream: enabled, with its view type.
pub(super) fn stream_specification(
    view: crate::entity::StreamView,
) -> Result<aws_sdk_dynamodb::types::StreamSpecification> {
    aws_sdk_dynamodb::types::StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(view.to_sdk())
        .build()
        .map_err(|e| sdk_build_error("CreateTable", e))
}

type IndexDefinitions = (
    Vec<aws_sdk_dynamodb::types::GlobalSecondaryIndex>,
    Vec<aws_sdk_dynamodb::types::LocalSecondaryIndex>,
);

/// The SDK definitions of the entity's secondary indexes.
pub(super) fn index_definitions(schema: &crate::entity::TableSchema) -> Result<IndexDefinitions> {
    use crate::entity::{IndexKind, IndexProjection};
    use aws_sdk_dynamodb::types::{
        GlobalSecondaryIndex, LocalSecondaryIndex, Projection, ProjectionType,
    };
    let (mut global, mut local) = (Vec::new(), Vec::new());
    for index in schema.indexes {
        // A multi-attribute key lists its attributes in order, HASH then RANGE.
        let mut keys = Vec::with_capacity(2);
        for k in index.partition_keys() {
            keys.push(key_element(k, SdkKeyType::Hash)?);
        }
        for k in index.sort_keys() {
            keys.push(key_element(k, SdkKeyType::Range)?);
        }
        let projection = match index.projection {
            IndexProjection::All => Projection::builder().projection_type(ProjectionType::All),
            IndexProjection::KeysOnly => {
                Projection::builder().projection_type(ProjectionType::KeysOnly)
            }
            // An entity with an entity type projects it into every INCLUDE
            // index, so projections read from the index can be type-checked.
            IndexProjection::Include(attributes) => Projection::builder()
                .projection_type(ProjectionType::Include)
                .set_non_key_attributes(Some(
                    attributes
                        .iter()
                        .copied()
                        .chain(
                            schema
                                .single_table
                                .map(|s| s.type_attribute)
                                .filter(|t| !attributes.contains(t)),
                        )
                        .map(str::to_owned)
                        .collect(),
                )),
        }
        .build();
        match index.kind {
            IndexKind::Global => global.push(
                GlobalSecondaryIndex::builder()
                    .index_name(index.name)
                    .set_key_schema(Some(keys))
                    .projection(projection)
                    .build()
                    .map_err(|e| sdk_build_error("CreateTable", e))?,
            ),
            IndexKind::Local => local.push(
                LocalSecondaryIndex::builder()
                    .index_name(index.name)
                    .set_key_schema(Some(keys))
                    .projection(projection)
                    .build()
                    .map_err(|e| sdk_build_error("CreateTable", e))?,
            ),
        }
    }
    Ok((global, local))
}

impl<T: Entity> Repository<T> {
    /// Creates the table from `T`'s schema (on-demand billing, with the
    /// declared `#[dynamo(stream = "...")]` if any), waits until it is
    /// ACTIVE and enables TTL when the entity has a `#[dynamo(ttl)]` field. Fails when the table exists; see [`Repository::ensure_table`].
    pub async fn create_table(&self) -> Result<()> {
        let span = self.span("CreateTable");
        async move {
            let schema = &T::SCHEMA;
            let mut definitions = Vec::new();
            let mut key_schema = vec![key_element(&schema.partition_key, SdkKeyType::Hash)?];
            if let Some(sort) = &schema.sort_key {
                key_schema.push(key_element(sort, SdkKeyType::Range)?);
            }
            let index_keys = schema.indexes.iter().flat_map(|i| i.key_attributes());
            let mut defined: Vec<&str> = Vec::new();
            for k in schema.key_attributes().chain(index_keys) {
                if defined.contains(&k.name) {
                    continue;
                }
                defined.push(k.name);
                definitions.push(
                    AttributeDefinition::builder()
                        .attribute_name(k.name)
                        .attribute_type(k.key_type.to_sdk())
                        .build()
                        .map_err(|e| sdk_build_error("CreateTable", e))?,
                );
            }
            let (global, local) = index_definitions(schema)?;
            self.client
                .sdk()
                .create_table()
                .table_name(&*self.table)
                .set_attribute_definitions(Some(definitions))
                .set_key_schema(Some(key_schema))
                .set_global_secondary_indexes((!global.is_empty()).then_some(global))
                .set_local_secondary_indexes((!local.is_empty()).then_some(local))
                .set_stream_specification(schema.stream.map(stream_specification).transpose()?)
                .billing_mode(BillingMode::PayPerRequest)
                .send()
                .await
                .map_err(|e| from_sdk(e, "CreateTable", &self.table))?;
            self.wait_until_active().await?;
            self.enable_ttl().await
        }
        .instrument(span)
        .await
    }

    /// Deletes the table and waits until it is gone.
    pub async fn delete_table(&self) -> Result<()> {
        let span = self.span("DeleteTable");
        async move {
            self.client
                .sdk()
                .delete_table()
                .table_name(&*self.table)
                .send()
                .await
                .map_err(|e| from_sdk(e, "DeleteTable", &self.table))?;
            let deadline = tokio::time::Instant::now() + TABLE_WAIT;
            loop {
                match self.describe().await {
                    Err(e) if e.is_resource_not_found() => return Ok(()),
                    Err(e) => return Err(e),
                    Ok(_) if tokio::time::Instant::now() > deadline => {
                        return Err(self.timeout("deleted"))
                    }
                    Ok(_) => tokio::time::sleep(POLL).await,
                }
            }
        }
        .instrument(span)
        .await
    }

    pub(super) async fn describe(&self) -> Result<aws_sdk_dynamodb::types::TableDescription> {
        let output = self
            .client
            .sdk()
            .describe_table()
            .table_name(&*self.table)
            .send()
            .await
            .map_err(|e| from_sdk(e, "DescribeTable", &self.table))?;
        Ok(output
            .table
            .unwrap_or_else(|| aws_sdk_dynamodb::types::TableDescription::builder().build()))
    }

    pub(super) fn timeout(&self, what: &str) -> Error {
        Error::Service {
            operation: "DescribeTable",
            table: self.table.to_string(),
            code: None,
            message: Some(format!("the table was not {what} within {TABLE_WAIT:?}")),
            source: format!("table not {what} in time").into(),
        }
    }

    pub(super) async fn wait_until_active(&self) -> Result<()> {
        let deadline = tokio::time::Instant::now() + TABLE_WAIT;
        loop {
            let table = self.describe().await?;
            if table.table_status() == Some(&TableStatus::Active) {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                return Err(self.timeout("active"));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The table's TTL attribute and whether TTL is on (or turning on).
    pub(super) async fn ttl_state(&self) -> Result<Option<(String, bool)>> {
        let current = self
            .client
            .sdk()
            .describe_time_to_live()
            .table_name(&*self.table)
            .send()
            .await
            .map_err(|e| from_sdk(e, "DescribeTimeToLive", &self.table))?;
        Ok(current.time_to_live_description().and_then(|d| {
            let on = matches!(
                d.time_to_live_status(),
                Some(
                    aws_sdk_dynamodb::types::TimeToLiveStatus::Enabled
                        | aws_sdk_dynamodb::types::TimeToLiveStatus::Enabling
                )
            );
            d.attribute_name().map(|n| (n.to_owned(), on))
        }))
    }

    pub(super) async fn enable_ttl(&self) -> Result<()> {
        let Some(attribute) = T::SCHEMA.ttl_attribute else {
            return Ok(());
        };
        if self.ttl_state().await? == Some((attribute.to_owned(), true)) {
            return Ok(());
        }
        let spec = TimeToLiveSpecification::builder()
            .attribute_name(attribute)
            .enabled(true)
            .build()
            .map_err(|e| sdk_build_error("UpdateTimeToLive", e))?;
        self.client
            .sdk()
            .update_time_to_live()
            .table_name(&*self.table)
            .time_to_live_specification(spec)
            .send()
            .await
            .map_err(|e| from_sdk(e, "UpdateTimeToLive", &self.table))?;
        Ok(())
    }
}
