//! The interceptor of [`FaultInjector`](super::FaultInjector): draws each
//! call's and each attempt's fault, withholds writes and keys from batches,
//! and answers with the error, the delay or the lost response chosen.

use super::*;

impl FaultInjector {
    /// Throttling or a 500 for this attempt, at the configured rates
    /// (`skip`: this operation gets neither).
    fn draw_error(&self, skip: bool) -> AttemptFault {
        if skip || (self.inner.throttle_rate == 0.0 && self.inner.server_error_rate == 0.0) {
            return AttemptFault::None;
        }
        let r = self.random();
        if r < self.inner.throttle_rate {
            AttemptFault::Throttle
        } else if r < self.inner.throttle_rate + self.inner.server_error_rate {
            AttemptFault::ServerError
        } else {
            AttemptFault::None
        }
    }
}

/// The operation of the current call, stored for the per-attempt hooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    BatchWrite,
    BatchGet,
    /// With its number of actions.
    TransactWrite(usize),
    /// `PutItem`, `UpdateItem`, `DeleteItem`.
    SingleWrite,
    Other,
}

impl Storable for Op {
    type Storer = StoreReplace<Self>;
}

/// What this call took out of the request, to add to the response.
#[derive(Debug, Clone, Default)]
struct Withheld {
    writes: HashMap<String, Vec<WriteRequest>>,
    keys: HashMap<String, KeysAndAttributes>,
    count: u64,
    /// Write requests left in the request.
    kept: u64,
    /// Nothing could be processed: fail every attempt with throttling.
    nothing_left: bool,
}

impl Storable for Withheld {
    type Storer = StoreReplace<Self>;
}

/// The fault of the current attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AttemptFault {
    None,
    Throttle,
    ServerError,
    Conflict(usize),
    Lost,
}

impl Storable for AttemptFault {
    type Storer = StoreReplace<Self>;
}

impl Intercept for FaultInjector {
    fn name(&self) -> &'static str {
        "FaultInjector"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input_mut();
        let mut withheld = Withheld::default();
        let op = if let Some(write) = input.downcast_mut::<BatchWriteItemInput>() {
            let tables = write.request_items.take().unwrap_or_default();
            let flat: Vec<(String, WriteRequest)> = tables
                .into_iter()
                .flat_map(|(t, rs)| rs.into_iter().map(move |r| (t.clone(), r)))
                .collect();
            let never: Vec<bool> = flat
                .iter()
                .map(|(_, r)| match (r.put_request(), r.delete_request()) {
                    (Some(p), _) => self.never(p.item()),
                    (_, Some(d)) => self.never(d.key()),
                    _ => false,
                })
                .collect();
            let out = self.choose_withheld(flat.len(), &never);
            let mut kept: HashMap<String, Vec<WriteRequest>> = HashMap::new();
            if out.iter().all(|&w| w) {
                withheld.nothing_left = true;
                for (t, r) in flat {
                    kept.entry(t).or_default().push(r);
                }
            } else {
                for ((t, r), out) in flat.into_iter().zip(out) {
                    if out {
                        withheld.count += 1;
                        withheld.writes.entry(t).or_default().push(r);
                    } else {
                        kept.entry(t).or_default().push(r);
                    }
                }
            }
            withheld.kept = kept.values().map(|rs| rs.len() as u64).sum();
            write.request_items = Some(kept);
            Op::BatchWrite
        } else if let Some(get) = input.downcast_mut::<BatchGetItemInput>() {
            let tables = get.request_items.take().unwrap_or_default();
            let mut flat: Vec<(String, Item)> = Vec::new();
            let mut templates: HashMap<String, KeysAndAttributes> = HashMap::new();
            for (t, mut ka) in tables {
                for k in std::mem::take(&mut ka.keys) {
                    flat.push((t.clone(), k));
                }
                templates.insert(t, ka);
            }
            let never: Vec<bool> = flat.iter().map(|(_, k)| self.never(k)).collect();
            let out = self.choose_withheld(flat.len(), &never);
            let all_out = out.iter().all(|&w| w);
            withheld.nothing_left = all_out;
            let mut kept: HashMap<String, KeysAndAttributes> = HashMap::new();
            for ((t, k), out) in flat.into_iter().zip(out) {
                let target = if out && !all_out {
                    withheld.count += 1;
                    &mut withheld.keys
                } else {
                    &mut kept
                };
                target
                    .entry(t.clone())
                    .or_insert_with(|| templates[&t].clone())
                    .keys
                    .push(k);
            }
            get.request_items = Some(kept);
            Op::BatchGet
        } else if let Some(tx) = input.downcast_ref::<TransactWriteItemsInput>() {
            Op::TransactWrite(tx.transact_items().len())
        } else if input
            .downcast_ref::<dynamo_repo::sdk::operation::put_item::PutItemInput>()
            .is_some()
            || input
                .downcast_ref::<dynamo_repo::sdk::operation::update_item::UpdateItemInput>()
                .is_some()
            || input
                .downcast_ref::<dynamo_repo::sdk::operation::delete_item::DeleteItemInput>()
                .is_some()
        {
            Op::SingleWrite
        } else {
            Op::Other
        };
        cfg.interceptor_state().store_put(op);
        cfg.interceptor_state().store_put(withheld);
        Ok(())
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = cfg.load::<Op>().copied().unwrap_or(Op::Other);
        let nothing_left = cfg.load::<Withheld>().is_some_and(|w| w.nothing_left);
        let take = |first: &AtomicU64| {
            first
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        };
        let is_write = matches!(op, Op::BatchWrite | Op::TransactWrite(_) | Op::SingleWrite);
        let fault = if nothing_left {
            AttemptFault::Throttle
        } else if let Op::TransactWrite(actions) = op {
            if let Some(token) = context.request().body().bytes().and_then(token_in) {
                self.inner
                    .tokens
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(token);
            }
            if take(&self.inner.first_conflicts)
                || (self.inner.conflict_rate > 0.0 && self.random() < self.inner.conflict_rate)
            {
                AttemptFault::Conflict(actions)
            } else if take(&self.inner.first_lost)
                || (self.inner.lost_rate > 0.0 && self.random() < self.inner.lost_rate)
            {
                AttemptFault::Lost
            } else {
                self.draw_error(self.inner.only_batch)
            }
        } else if is_write
            && (take(&self.inner.first_lost)
                || (self.inner.lost_rate > 0.0 && self.random() < self.inner.lost_rate))
        {
            AttemptFault::Lost
        } else if op == Op::Other || op == Op::SingleWrite {
            self.draw_error(self.inner.only_batch)
        } else {
            self.draw_error(false)
        };
        if !matches!(fault, AttemptFault::None | AttemptFault::Lost) {
            // Send something harmless instead, so that nothing is written.
            let request = context.request_mut();
            request
                .headers_mut()
                .insert("x-amz-target", "DynamoDB_20120810.ListTables");
            request.headers_mut().insert("content-length", "2");
            *request.body_mut() = SdkBody::from("{}");
        }
        cfg.interceptor_state().store_put(fault);
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let c = &self.inner.counts;
        let counter = match cfg.load::<Op>().copied().unwrap_or(Op::Other) {
            Op::BatchWrite => &c.batch_write_requests,
            Op::BatchGet => &c.batch_get_requests,
            Op::TransactWrite(_) => &c.transact_write_requests,
            Op::SingleWrite | Op::Other => &c.other_requests,
        };
        counter.fetch_add(1, Ordering::SeqCst);
        let fault = cfg.load::<AttemptFault>().copied();
        if matches!(fault, Some(AttemptFault::None | AttemptFault::Lost)) {
            if let Some(w) = cfg.load::<Withheld>() {
                c.writes_delivered.fetch_add(w.kept, Ordering::SeqCst);
            }
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let fault = cfg
            .load::<AttemptFault>()
            .copied()
            .unwrap_or(AttemptFault::None);
        let c = &self.inner.counts;
        let (status, body) = match fault {
            AttemptFault::None => return Ok(()),
            AttemptFault::Throttle => (400, error_body("ProvisionedThroughputExceededException")),
            AttemptFault::ServerError | AttemptFault::Lost => {
                (500, error_body("InternalServerError"))
            }
            AttemptFault::Conflict(actions) => {
                let reasons: Vec<&str> = (0..actions.max(1))
                    .map(|i| {
                        if i == 0 {
                            r#"{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"}"#
                        } else {
                            r#"{"Code":"None"}"#
                        }
                    })
                    .collect();
                (
                    400,
                    format!(
                        r#"{{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]","CancellationReasons":[{}]}}"#,
                        reasons.join(",")
                    ),
                )
            }
        };
        let counter = match fault {
            AttemptFault::Throttle => &c.throttled,
            AttemptFault::ServerError => &c.server_errors,
            AttemptFault::Lost => &c.lost_responses,
            _ => &c.conflicts,
        };
        counter.fetch_add(1, Ordering::SeqCst);
        let mut response = Response::new(StatusCode::try_from(status)?, SdkBody::from(body));
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
        let Some(withheld) = cfg.load::<Withheld>().cloned() else {
            return Ok(());
        };
        if withheld.count == 0 {
            return Ok(());
        }
        let Some(Ok(output)) = context.output_or_error_mut() else {
            // The call failed as a whole: the engine resends all of it.
            return Ok(());
        };
        if let Some(out) = output.downcast_mut::<BatchWriteItemOutput>() {
            let unprocessed = out.unprocessed_items.get_or_insert_with(HashMap::new);
            for (t, rs) in withheld.writes {
                unprocessed.entry(t).or_default().extend(rs);
            }
        } else if let Some(out) = output.downcast_mut::<BatchGetItemOutput>() {
            let unprocessed = out.unprocessed_keys.get_or_insert_with(HashMap::new);
            for (t, ka) in withheld.keys {
                match unprocessed.get_mut(&t) {
                    Some(existing) => existing.keys.extend(ka.keys),
                    None => {
                        unprocessed.insert(t, ka);
                    }
                }
            }
        } else {
            return Ok(());
        }
        self.inner
            .counts
            .partial_responses
            .fetch_add(1, Ordering::SeqCst);
        self.inner
            .counts
            .withheld
            .fetch_add(withheld.count, Ordering::SeqCst);
        Ok(())
    }
}
