//! An AWS Lambda function that keeps a projection table in sync with an
//! orders table's stream: each inserted or modified order writes its total to
//! `order_totals`, each removed order deletes it, and records that fail
//! (an image that does not decode, a write that fails) are reported as
//! batch item failures, so Lambda retries only them.
//!
//! Deployed, it runs under `lambda_runtime` (the runtime sets
//! `AWS_LAMBDA_RUNTIME_API`). Run here, it starts an embedded DynamoDB,
//! feeds the recorded event in `tests/fixtures/streams/orders_new_and_old.json`
//! through the same handler, and prints the projection and the failures:
//!
//! ```sh
//! cargo run -p dynamo-repo-examples --example lambda_projection
//! ```

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use dynamo_repo::stream::{lambda, Change};
use dynamo_repo::{Client, Entity, Repository};

/// The source table's entity, as the stream delivers it.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "stream_orders")]
pub struct Order {
    #[dynamo(partition_key)]
    id: String,
    total: i64,
    note: Option<String>,
}

/// The projection: one row per live order.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "order_totals")]
pub struct OrderTotal {
    #[dynamo(partition_key)]
    id: String,
    total: i64,
}

/// The handler: applies each change to the projection, in the event's order.
pub async fn sync_projection(
    event: Event,
    totals: &Repository<OrderTotal>,
) -> DynamoDbEventResponse {
    let outcome =
        lambda::handle_changes::<Order, _, _, dynamo_repo::Error>(event, |change| async move {
            match change {
                Change::Insert { new: Some(o), .. } | Change::Modify { new: Some(o), .. } => {
                    totals
                        .put(&OrderTotal {
                            id: o.id,
                            total: o.total,
                        })
                        .await
                }
                Change::Remove { old: Some(o), .. } => totals.delete(OrderTotal::key(o.id)).await,
                // Images the stream's view type leaves out: nothing to project.
                _ => Ok(()),
            }
        })
        .await;
    for failure in &outcome.failures {
        let sequence = failure.sequence_number.as_deref().unwrap_or("(none)");
        eprintln!("record {sequence} failed: {}", failure.error);
    }
    outcome.response()
}

mod backend;

/// The recorded event of the demo and the test (in the shape AWS documents).
fn recorded_event() -> Result<Event, serde_json::Error> {
    serde_json::from_str(include_str!(
        "../tests/fixtures/streams/orders_new_and_old.json"
    ))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        let client = Client::from_env().await;
        let totals = client.repository::<OrderTotal>();
        let totals = &totals;
        return lambda_runtime::run(lambda_runtime::service_fn(
            move |event: lambda_runtime::LambdaEvent<Event>| async move {
                Ok::<_, lambda_runtime::Error>(sync_projection(event.payload, totals).await)
            },
        ))
        .await
        .map_err(|e| -> Box<dyn std::error::Error> { e });
    }
    let client = backend::client().await?;
    let totals = client.repository::<OrderTotal>();
    totals.create_table().await?;
    let event = recorded_event()?;
    println!("feeding {} recorded stream records", event.records.len());
    let response = sync_projection(event, &totals).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .filter_map(|f| f.item_identifier.clone())
        .collect();
    println!("batch item failures (sequence numbers): {failed:?}");
    let rows = totals.scan().all().await?;
    println!("projection after the event: {rows:?}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dynamo_repo_testkit::TestTables;

    #[tokio::test]
    async fn the_handler_keeps_the_projection_in_sync_and_reports_the_failed_records() {
        let tables = TestTables::new().expect("a test server");
        let totals = tables
            .create::<OrderTotal>()
            .await
            .expect("the projection table");

        // The first two records: o-1 inserted with 10, then modified to 25.
        let mut first = recorded_event().expect("the fixture parses");
        first.records.truncate(2);
        let response = sync_projection(first, &totals).await;
        assert!(response.batch_item_failures.is_empty());
        let rows = totals.scan().all().await.expect("a scan");
        assert_eq!(
            rows,
            [OrderTotal {
                id: "o-1".into(),
                total: 25
            }]
        );

        // The whole event: o-1 expires (TTL), o-3 is inserted and deleted,
        // o-2's first image does not decode, so it and o-2's later record
        // are reported, and nothing of o-2 is projected.
        let response = sync_projection(recorded_event().unwrap(), &totals).await;
        let failed: Vec<_> = response
            .batch_item_failures
            .iter()
            .filter_map(|f| f.item_identifier.clone())
            .collect();
        assert_eq!(
            failed,
            [
                "4421584500000000017450439093",
                "4421584500000000017450439094"
            ]
        );
        let rows = totals.scan().all().await.expect("a scan");
        assert!(rows.is_empty(), "{rows:?}");
    }
}
