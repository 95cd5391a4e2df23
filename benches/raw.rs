//! The raw-SDK arms of the batch benchmarks, written as a raw-SDK user
//! writes them (no option the user would not send), and the tables and
//! items they share with the library's arms.

use crate::{sample, Profile};
use dynamo_repo::sdk::types::{KeysAndAttributes, PutRequest, WriteRequest};
use dynamo_repo::{Client, Entity, Item, Repository};
use futures::stream::{self, StreamExt};

/// `n` profiles with distinct ids, each the benchmarks' sample otherwise.
pub fn profiles(n: usize) -> Vec<Profile> {
    let base = sample();
    (0..n)
        .map(|i| Profile {
            id: format!("user-{i:06}"),
            created: 1_764_000_000_000 + i as u64,
            ..base.clone()
        })
        .collect()
}

/// A new table of profiles, its name made unique from `name` and the clock.
pub async fn fresh(client: &Client, name: &str) -> Repository<Profile> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let repo = client
        .repository::<Profile>()
        .with_table_name(format!("bench-{name}-{}", nanos % 1_000_000_000));
    repo.create_table().await.expect("create table");
    repo
}

/// One raw `BatchWriteItem` of up to 25 items, resending unprocessed items
/// the way hand-written code does (DynamoDB Local returns none).
pub async fn raw_write(client: &Client, table: &str, items: Vec<Item>) {
    let mut requests: Vec<WriteRequest> = items
        .into_iter()
        .map(|item| {
            WriteRequest::builder()
                .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
                .build()
        })
        .collect();
    while !requests.is_empty() {
        let out = client
            .sdk()
            .batch_write_item()
            .request_items(table, requests)
            .send()
            .await
            .expect("BatchWriteItem");
        requests = out
            .unprocessed_items
            .and_then(|mut u| u.remove(table))
            .unwrap_or_default();
    }
}

/// What a raw batch read does with the items it reads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Read {
    /// Counts them, undecoded.
    Count,
    /// Decodes each response's items by hand and drops them there.
    DecodeAndDrop,
    /// Decodes them by hand and keeps them all, as `batch_get` returns
    /// them: the same output as the library's call.
    Keep,
}

/// One raw `BatchGetItem` of up to 100 keys, resending unprocessed keys;
/// the items are decoded by hand (`hand::from_item`: strings moved out,
/// numbers by `str::parse`) as a raw-SDK user who wants `Profile`s does,
/// unless `read` is [`Read::Count`]. Returns the number of items read and,
/// with [`Read::Keep`], the items.
pub async fn raw_get(
    client: &Client,
    table: &str,
    keys: Vec<Item>,
    read: Read,
) -> (usize, Vec<Profile>) {
    let mut found = 0;
    let mut kept = Vec::new();
    let mut keys = keys;
    while !keys.is_empty() {
        let out = client
            .sdk()
            .batch_get_item()
            .request_items(
                table,
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .expect("BatchGetItem");
        let items = out
            .responses
            .and_then(|mut r| r.remove(table))
            .unwrap_or_default();
        found += items.len();
        let decoded = items
            .into_iter()
            .map(|i| crate::hand::from_item(i).expect("a Profile"));
        match read {
            Read::Count => {}
            Read::DecodeAndDrop => {
                std::hint::black_box(decoded.collect::<Vec<Profile>>());
            }
            Read::Keep => kept.extend(decoded),
        }
        keys = out
            .unprocessed_keys
            .and_then(|mut u| u.remove(table))
            .map(|k| k.keys)
            .unwrap_or_default();
    }
    (found, kept)
}

/// The keys of `items` in chunks of 100, made from the entities (as the
/// library's arms' keys are, before the clock starts), moved into their
/// requests without a copy.
pub fn key_chunks(items: &[Profile]) -> Vec<Vec<Item>> {
    items
        .chunks(100)
        .map(|c| c.iter().map(|p| p.primary_key().into_item()).collect())
        .collect()
}

/// Deletes `repo`'s table (errors ignored: a benchmark's cleanup).
pub async fn drop_table(client: &Client, repo: &Repository<Profile>) {
    let _ = client
        .sdk()
        .delete_table()
        .table_name(repo.table_name())
        .send()
        .await;
}

/// Raw `BatchWriteItem`s of `items`, `in_flight` at a time, each chunk
/// encoded when it is sent (as the library encodes inside its timed call).
pub async fn raw_writes(client: &Client, table: &str, items: &[Profile], in_flight: usize) {
    stream::iter(items.chunks(25))
        .map(|chunk| {
            let chunk = chunk.iter().map(Entity::to_item).collect();
            raw_write(client, table, chunk)
        })
        .buffer_unordered(in_flight)
        .collect::<Vec<()>>()
        .await;
}

/// Raw `BatchWriteItem`s of items encoded before, 25 per request,
/// `in_flight` at a time.
pub async fn raw_writes_encoded(
    client: &Client,
    table: &str,
    chunks: Vec<Vec<Item>>,
    in_flight: usize,
) {
    stream::iter(chunks)
        .map(|chunk| raw_write(client, table, chunk))
        .buffer_unordered(in_flight)
        .collect::<Vec<()>>()
        .await;
}

/// The items of `items` encoded, in chunks of 25.
pub fn encoded_chunks(items: &[Profile]) -> Vec<Vec<Item>> {
    items
        .chunks(25)
        .map(|c| c.iter().map(Entity::to_item).collect())
        .collect()
}

/// Raw `BatchGetItem`s of `chunks`, `in_flight` at a time: the number of
/// items read and, with [`Read::Keep`], the items, gathered in one `Vec`
/// as each response is decoded.
pub async fn raw_gets(
    client: &Client,
    table: &str,
    chunks: Vec<Vec<Item>>,
    in_flight: usize,
    read: Read,
) -> (usize, Vec<Profile>) {
    let capacity = if read == Read::Keep {
        chunks.iter().map(Vec::len).sum()
    } else {
        0
    };
    let mut reads = stream::iter(chunks)
        .map(|chunk| raw_get(client, table, chunk, read))
        .buffer_unordered(in_flight);
    let (mut found, mut all) = (0, Vec::with_capacity(capacity));
    while let Some((n, items)) = reads.next().await {
        found += n;
        all.extend(items);
    }
    (found, all)
}
