//! The Streams API reader against a hand-written read of the same records:
//! GetRecords page by page, each NewImage decoded field by field.
//!
//! `cargo bench -p dynamo-repo-benches --bench streams` (the testkit's
//! backend: embedded unless `DYNAMO_REPO_TEST_BACKEND` / `DYNAMODB_ENDPOINT`
//! say otherwise). Interleaved rounds; the figure is the median of the
//! per-round ratios reader / hand-written.

use aws_sdk_dynamodbstreams::types::{AttributeValue as SAv, ShardIteratorType};
use dynamo_repo::sdk::types::{StreamSpecification, StreamViewType};
use dynamo_repo::stream::{local_streams_client, StreamReader};
use dynamo_repo::Entity;
use futures::StreamExt;
use std::time::{Duration, Instant};

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "bench_stream_orders")]
struct Order {
    #[dynamo(partition_key)]
    id: String,
    total: i64,
    note: Option<String>,
    tags: Vec<String>,
}

const N: usize = 2_000;
const ROUNDS: usize = 7;

/// The hand-written baseline's decode: no error paths beyond `None`.
fn hand_decode(image: &std::collections::HashMap<String, SAv>) -> Option<Order> {
    Some(Order {
        id: image.get("id")?.as_s().ok()?.clone(),
        total: image.get("total")?.as_n().ok()?.parse().ok()?,
        note: match image.get("note") {
            Some(v) => Some(v.as_s().ok()?.clone()),
            None => None,
        },
        tags: image
            .get("tags")?
            .as_l()
            .ok()?
            .iter()
            .map(|t| t.as_s().ok().cloned())
            .collect::<Option<_>>()?,
    })
}

async fn hand_read(streams: &aws_sdk_dynamodbstreams::Client, arn: &str) -> Vec<Order> {
    let shards = streams
        .describe_stream()
        .stream_arn(arn)
        .send()
        .await
        .unwrap()
        .stream_description
        .unwrap()
        .shards
        .unwrap_or_default();
    let mut out = Vec::with_capacity(N);
    for shard in shards {
        let mut iterator = streams
            .get_shard_iterator()
            .stream_arn(arn)
            .shard_id(shard.shard_id.unwrap())
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator;
        while let Some(it) = iterator.take() {
            let page = streams
                .get_records()
                .shard_iterator(it)
                .send()
                .await
                .unwrap();
            let records = page.records.unwrap_or_default();
            let empty = records.is_empty();
            for r in records {
                let image = r.dynamodb.unwrap().new_image.unwrap();
                out.push(hand_decode(&image).unwrap());
            }
            if out.len() >= N || empty {
                break;
            }
            iterator = page.next_shard_iterator;
        }
    }
    out
}

/// The reader of the same stream (its ARN known, like the baseline's).
async fn reader_read(streams: aws_sdk_dynamodbstreams::Client, arn: &str) -> Vec<Order> {
    let changes = StreamReader::new(streams, arn)
        .idle_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .changes::<Order>();
    changes
        .take(N)
        .map(|c| c.unwrap().new_image().cloned().unwrap())
        .collect()
        .await
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let tables = dynamo_repo_testkit::TestTables::new().unwrap();
        let orders = tables.create::<Order>().await.unwrap();
        let table = orders.table_name().to_owned();
        tables
            .client()
            .sdk()
            .update_table()
            .table_name(&table)
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewImage)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let rows: Vec<Order> = (0..N)
            .map(|i| Order {
                id: format!("o{i:05}"),
                total: i as i64 * 3,
                note: (i % 2 == 0).then(|| format!("note {i}")),
                tags: vec!["a".into(), format!("t{}", i % 10)],
            })
            .collect();
        orders.batch_put(&rows).await.unwrap();
        let arn = StreamReader::for_table(
            tables.client(),
            local_streams_client(dynamo_repo_testkit::endpoint().unwrap()),
            &table,
        )
        .await
        .unwrap()
        .stream_arn()
        .to_owned();
        let streams = local_streams_client(dynamo_repo_testkit::endpoint().unwrap());
        println!("backend: {:?}; {N} INSERT records, {ROUNDS} interleaved rounds", dynamo_repo_testkit::backend());
        let mut ratios = Vec::new();
        for round in 0..ROUNDS {
            let mut hand = Duration::ZERO;
            let mut ours = Duration::ZERO;
            for side in [round % 2, 1 - round % 2] {
                let start = Instant::now();
                let mut got = if side == 0 {
                    hand_read(&streams, &arn).await
                } else {
                    reader_read(streams.clone(), &arn).await
                };
                let took = start.elapsed();
                // Both decoded every row (batch writes land in any order).
                got.sort_by(|a, b| a.id.cmp(&b.id));
                assert!(got == rows, "both sides read the {N} rows written");
                if side == 0 { hand = took } else { ours = took }
            }
            let ratio = ours.as_secs_f64() / hand.as_secs_f64();
            println!(
                "round {round}: hand-written {:>8.0} changes/s, reader {:>8.0} changes/s, reader / hand {ratio:.3}",
                N as f64 / hand.as_secs_f64(),
                N as f64 / ours.as_secs_f64()
            );
            ratios.push(ratio);
        }
        ratios.sort_by(|a, b| a.total_cmp(b));
        println!("median reader / hand-written time: {:.3}x", ratios[ratios.len() / 2]);
    });
}
