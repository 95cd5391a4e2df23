//! What a request is charged: writes and reads sized by DynamoDB's rules,
//! and batches split into what the buckets admit and what comes back
//! unprocessed.

use super::accounts::record;
use super::*;

/// Units to take from some buckets, charged to a table.
#[derive(Debug, Clone)]
pub(super) struct Charge {
    pub(super) table: String,
    pub(super) buckets: Vec<BucketKey>,
    pub(super) units: f64,
    pub(super) write: bool,
}

/// What the simulator decided for the current call.
#[derive(Debug, Clone, Default)]
pub(super) enum Call {
    /// Not limited by the simulator (other operations).
    #[default]
    Free,
    /// Writes to take in full per attempt, or throttle.
    Writes(Vec<Charge>),
    /// A `BatchWriteItem` none of whose writes fitted when it was split:
    /// taken in full per attempt (each write then counts as applied), or
    /// throttled.
    WholeBatchWrite(Vec<Charge>),
    /// A `BatchWriteItem` split into what is sent and what comes back.
    BatchWrite {
        withheld: HashMap<String, Vec<WriteRequest>>,
        count: u64,
    },
    /// Reads admitted while the tables have a minimal read, charged after.
    Reads { tables: Vec<String>, kind: ReadKind },
    /// A `BatchGetItem` split into admitted and withheld keys, with the
    /// minimal units already taken per table.
    BatchGet {
        withheld: HashMap<String, KeysAndAttributes>,
        count: u64,
        kinds: HashMap<String, ReadKind>,
        reserved: HashMap<String, (u64, f64)>,
        /// Nothing fitted: each attempt tries to admit every key.
        whole: Vec<(String, u64, ReadKind)>,
    },
}

impl Storable for Call {
    type Storer = StoreReplace<Self>;
}

/// The current attempt is answered with throttling.
#[derive(Debug, Clone, Copy)]
pub(super) struct Throttled;

impl Storable for Throttled {
    type Storer = StoreReplace<Self>;
}

pub(super) const THROTTLE_BODY: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."}"#;

impl CapacitySimulator {
    pub(super) fn write_charge(&self, table: &str, item: &Item, units: f64) -> Charge {
        Charge {
            table: table.to_owned(),
            buckets: self.keys_for(table, Some(item), true),
            units,
            write: true,
        }
    }

    pub(super) fn split_batch_write(&self, input: &mut BatchWriteItemInput) -> Call {
        let tables = input.request_items.take().unwrap_or_default();
        let now = Instant::now();
        let mut state = self.state();
        let mut kept: HashMap<String, Vec<WriteRequest>> = HashMap::new();
        let mut withheld: HashMap<String, Vec<WriteRequest>> = HashMap::new();
        let mut count = 0;
        let mut charged: Vec<(String, f64)> = Vec::new();
        // Request order within a table; tables in the map's order.
        for (table, requests) in tables {
            for request in requests {
                let item = match (request.put_request(), request.delete_request()) {
                    (Some(p), _) => p.item(),
                    (_, Some(d)) => d.key(),
                    _ => {
                        kept.entry(table.clone()).or_default().push(request);
                        continue;
                    }
                };
                let units = write_units(item_size(item));
                let keys = self.keys_for(&table, Some(item), true);
                if self.try_take(&mut state, &keys, units, now) {
                    charged.push((table.clone(), units));
                    kept.entry(table.clone()).or_default().push(request);
                } else {
                    count += 1;
                    withheld.entry(table.clone()).or_default().push(request);
                }
            }
        }
        if kept.is_empty() {
            // Nothing fits: the call fails whole; each attempt retries all.
            drop(state);
            let mut charges = Vec::new();
            for (table, requests) in &withheld {
                for r in requests {
                    let item = r
                        .put_request()
                        .map(|p| p.item())
                        .or(r.delete_request().map(|d| d.key()));
                    if let Some(item) = item {
                        charges.push(self.write_charge(table, item, write_units(item_size(item))));
                    }
                }
            }
            input.request_items = Some(withheld);
            return Call::WholeBatchWrite(charges);
        }
        for (table, units) in charged {
            record(&mut state, &table, units, true);
        }
        state.stats.batch_writes_applied += kept.values().map(|v| v.len() as u64).sum::<u64>();
        input.request_items = Some(kept);
        Call::BatchWrite { withheld, count }
    }

    pub(super) fn split_batch_get(&self, input: &mut BatchGetItemInput) -> Call {
        let tables = input.request_items.take().unwrap_or_default();
        let now = Instant::now();
        let mut state = self.state();
        let mut kept: HashMap<String, KeysAndAttributes> = HashMap::new();
        let mut withheld: HashMap<String, KeysAndAttributes> = HashMap::new();
        let mut kinds = HashMap::new();
        let mut reserved: HashMap<String, (u64, f64)> = HashMap::new();
        let mut count = 0;
        let mut whole = Vec::new();
        for (table, mut ka) in tables {
            let kind = ReadKind::consistent(ka.consistent_read);
            kinds.insert(table.clone(), kind);
            whole.push((table.clone(), ka.keys.len() as u64, kind));
            let keys = std::mem::take(&mut ka.keys);
            let mut template = ka.clone();
            template.keys = Vec::new();
            for key in keys {
                let buckets = self.keys_for(&table, Some(&key), false);
                let target = if self.try_take(&mut state, &buckets, kind.minimum(), now) {
                    let r = reserved.entry(table.clone()).or_default();
                    r.0 += 1;
                    r.1 += kind.minimum();
                    &mut kept
                } else {
                    count += 1;
                    &mut withheld
                };
                target
                    .entry(table.clone())
                    .or_insert_with(|| template.clone())
                    .keys
                    .push(key);
            }
        }
        if kept.is_empty() {
            input.request_items = Some(withheld);
            return Call::BatchGet {
                withheld: HashMap::new(),
                count: 0,
                kinds,
                reserved: HashMap::new(),
                whole,
            };
        }
        input.request_items = Some(kept);
        Call::BatchGet {
            withheld,
            count,
            kinds,
            reserved,
            whole: Vec::new(),
        }
    }
}

/// Key and values of an update: what the simulator can size of it.
pub(super) fn update_size(input: &UpdateItemInput) -> usize {
    let key = input.key.as_ref().map_or(0, item_size);
    let values = input
        .expression_attribute_values
        .as_ref()
        .map_or(0, |v| v.values().map(charge::value_size).sum());
    key + values
}
