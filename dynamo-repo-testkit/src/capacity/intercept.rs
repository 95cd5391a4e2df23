//! The SDK interceptor: decides each call before it is serialised, answers
//! throttled attempts, and charges reads and puts back what a batch withheld
//! once the response is in.

use super::accounts::record;
use super::split::*;
use super::*;

impl Intercept for CapacitySimulator {
    fn name(&self) -> &'static str {
        "CapacitySimulator"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.state().stats.requests += 1;
        let input = context.input_mut();
        let call = if let Some(write) = input.downcast_mut::<BatchWriteItemInput>() {
            self.split_batch_write(write)
        } else if let Some(get) = input.downcast_mut::<BatchGetItemInput>() {
            self.split_batch_get(get)
        } else if let Some(put) = input.downcast_ref::<PutItemInput>() {
            let table = put.table_name().unwrap_or_default();
            let item = put.item.clone().unwrap_or_default();
            Call::Writes(vec![self.write_charge(
                table,
                &item,
                write_units(item_size(&item)),
            )])
        } else if let Some(update) = input.downcast_ref::<UpdateItemInput>() {
            let table = update.table_name().unwrap_or_default();
            let key = update.key.clone().unwrap_or_default();
            Call::Writes(vec![self.write_charge(
                table,
                &key,
                write_units(update_size(update)),
            )])
        } else if let Some(delete) = input.downcast_ref::<DeleteItemInput>() {
            let table = delete.table_name().unwrap_or_default();
            let key = delete.key.clone().unwrap_or_default();
            Call::Writes(vec![self.write_charge(
                table,
                &key,
                write_units(item_size(&key)),
            )])
        } else if let Some(tx) = input.downcast_ref::<TransactWriteItemsInput>() {
            let mut charges = Vec::new();
            for action in tx.transact_items() {
                let (table, item, bytes) = if let Some(p) = action.put() {
                    (p.table_name(), p.item(), item_size(p.item()))
                } else if let Some(u) = action.update() {
                    let values = u
                        .expression_attribute_values
                        .as_ref()
                        .map_or(0, |v| v.values().map(charge::value_size).sum());
                    (u.table_name(), u.key(), item_size(u.key()) + values)
                } else if let Some(d) = action.delete() {
                    (d.table_name(), d.key(), item_size(d.key()))
                } else if let Some(c) = action.condition_check() {
                    (c.table_name(), c.key(), item_size(c.key()))
                } else {
                    continue;
                };
                charges.push(self.write_charge(table, item, transactional_write_units(bytes)));
            }
            Call::Writes(charges)
        } else if let Some(get) = input.downcast_ref::<GetItemInput>() {
            Call::Reads {
                tables: vec![get.table_name().unwrap_or_default().to_owned()],
                kind: ReadKind::consistent(get.consistent_read),
            }
        } else if let Some(query) = input.downcast_ref::<QueryInput>() {
            Call::Reads {
                tables: vec![query.table_name().unwrap_or_default().to_owned()],
                kind: ReadKind::consistent(query.consistent_read),
            }
        } else if let Some(scan) = input.downcast_ref::<ScanInput>() {
            Call::Reads {
                tables: vec![scan.table_name().unwrap_or_default().to_owned()],
                kind: ReadKind::consistent(scan.consistent_read),
            }
        } else if let Some(tx) = input.downcast_ref::<TransactGetItemsInput>() {
            Call::Reads {
                tables: tx
                    .transact_items()
                    .iter()
                    .filter_map(|t| t.get().map(|g| g.table_name().to_owned()))
                    .collect(),
                kind: ReadKind::Transactional,
            }
        } else {
            Call::Free
        };
        cfg.interceptor_state().store_put(call);
        Ok(())
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let admitted = match cfg.load::<Call>() {
            None | Some(Call::Free | Call::BatchWrite { .. }) => true,
            Some(Call::Writes(charges)) => self.try_take_all(charges),
            Some(Call::WholeBatchWrite(charges)) => {
                let admitted = self.try_take_all(charges);
                if admitted {
                    // The bucket refilled between the split and this attempt:
                    // every write of the call goes through.
                    self.state().stats.batch_writes_applied += charges.len() as u64;
                }
                admitted
            }
            Some(Call::Reads { tables, kind }) => tables.iter().all(|t| {
                let keys = self.keys_for(t, None, false);
                self.has(&keys, kind.minimum())
            }),
            Some(Call::BatchGet { whole, .. }) if whole.is_empty() => true,
            Some(Call::BatchGet { whole, .. }) => {
                let charges: Vec<Charge> = whole
                    .iter()
                    .map(|(t, n, kind)| Charge {
                        table: t.clone(),
                        buckets: self.keys_for(t, None, false),
                        units: *n as f64 * kind.minimum(),
                        write: false,
                    })
                    .collect();
                let admitted = self.try_take_all(&charges);
                if admitted {
                    // Reserved now; the completion charges the rest.
                    let reserved: HashMap<String, (u64, f64)> = whole
                        .iter()
                        .map(|(t, n, kind)| (t.clone(), (*n, *n as f64 * kind.minimum())))
                        .collect();
                    let mut call = cfg.load::<Call>().cloned().unwrap_or_default();
                    if let Call::BatchGet {
                        reserved: r,
                        whole: w,
                        ..
                    } = &mut call
                    {
                        // Recorded by try_take_all: do not count it twice.
                        let mut state = self.state();
                        for (t, (_, units)) in &reserved {
                            record(&mut state, t, -units, false);
                        }
                        *r = reserved;
                        w.clear();
                    }
                    cfg.interceptor_state().store_put(call);
                }
                admitted
            }
        };
        if !admitted {
            self.state().stats.throttled += 1;
            let request = context.request_mut();
            request
                .headers_mut()
                .insert("x-amz-target", "DynamoDB_20120810.ListTables");
            request.headers_mut().insert("content-length", "2");
            *request.body_mut() = SdkBody::from("{}");
            cfg.interceptor_state().store_put(Throttled);
        } else {
            cfg.interceptor_state().unset::<Throttled>();
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if cfg.load::<Throttled>().is_none() {
            return Ok(());
        }
        let mut response = Response::new(StatusCode::try_from(400)?, SdkBody::from(THROTTLE_BODY));
        response
            .headers_mut()
            .insert("content-type", "application/x-amz-json-1.0");
        *context.response_mut() = response;
        Ok(())
    }

    fn modify_before_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(call) = cfg.load::<Call>().cloned() else {
            return Ok(());
        };
        let Some(Ok(output)) = context.output_or_error_mut() else {
            return Ok(());
        };
        match call {
            Call::Free | Call::Writes(_) | Call::WholeBatchWrite(_) => {}
            Call::BatchWrite { withheld, count } => {
                if count == 0 {
                    return Ok(());
                }
                if let Some(out) = output.downcast_mut::<BatchWriteItemOutput>() {
                    let unprocessed = out.unprocessed_items.get_or_insert_with(HashMap::new);
                    for (t, rs) in withheld {
                        unprocessed.entry(t).or_default().extend(rs);
                    }
                    let mut state = self.state();
                    state.stats.partial += 1;
                    state.stats.unprocessed += count;
                }
            }
            Call::BatchGet {
                withheld,
                count,
                kinds,
                reserved,
                ..
            } => {
                if let Some(out) = output.downcast_mut::<BatchGetItemOutput>() {
                    for (table, (admitted, units)) in &reserved {
                        let kind = kinds.get(table).copied().unwrap_or(ReadKind::Eventual);
                        let items = out
                            .responses
                            .as_ref()
                            .and_then(|r| r.get(table))
                            .map_or(&[][..], Vec::as_slice);
                        let found: f64 = items.iter().map(|i| read_units(item_size(i), kind)).sum();
                        let missing = admitted.saturating_sub(items.len() as u64) as f64;
                        let actual = found + missing * kind.minimum();
                        // The reserved minimum was taken already.
                        self.charge_read(table, actual - units);
                        record(&mut self.state(), table, *units, false);
                    }
                    if count > 0 {
                        let unprocessed = out.unprocessed_keys.get_or_insert_with(HashMap::new);
                        for (t, ka) in withheld {
                            match unprocessed.get_mut(&t) {
                                Some(existing) => existing.keys.extend(ka.keys),
                                None => {
                                    unprocessed.insert(t, ka);
                                }
                            }
                        }
                        let mut state = self.state();
                        state.stats.partial += 1;
                        state.stats.unprocessed += count;
                    }
                }
            }
            Call::Reads { tables, kind } => {
                if let Some(out) = output.downcast_ref::<GetItemOutput>() {
                    let bytes = out.item.as_ref().map_or(0, item_size);
                    self.charge_read(&tables[0], read_units(bytes, kind));
                } else if let Some(out) = output.downcast_ref::<QueryOutput>() {
                    let units = page_units(out.items(), out.count, out.scanned_count, kind);
                    self.charge_read(&tables[0], units);
                } else if let Some(out) = output.downcast_ref::<ScanOutput>() {
                    let units = page_units(out.items(), out.count, out.scanned_count, kind);
                    self.charge_read(&tables[0], units);
                } else if let Some(out) = output.downcast_ref::<TransactGetItemsOutput>() {
                    for (table, response) in tables.iter().zip(out.responses()) {
                        let bytes = response.item.as_ref().map_or(0, item_size);
                        self.charge_read(table, read_units(bytes, kind));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The charge of a query or scan page: its total size read, counting the
/// items a filter dropped at the average size of those returned.
pub(super) fn page_units(items: &[Item], count: i32, scanned: i32, kind: ReadKind) -> f64 {
    let returned: usize = items.iter().map(item_size).sum();
    let dropped = scanned.saturating_sub(count).max(0) as usize;
    let average = if items.is_empty() {
        0
    } else {
        returned / items.len()
    };
    read_units(returned + dropped * average, kind)
}
