//! A request recorder: what a block of code sent, for assertions such as
//! "this sends exactly one TransactWriteItems" or "this query uses the index".

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use dynamo_repo::sdk::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextRef,
    BeforeTransmitInterceptorContextRef,
};
use dynamo_repo::sdk::config::{ConfigBag, Intercept, RuntimeComponents};
use dynamo_repo::sdk::operation;
use dynamo_repo::Client;
use std::sync::{Arc, Mutex};

/// One HTTP request (attempt) as sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordedRequest {
    /// The operation, such as `Query` or `TransactWriteItems`.
    pub operation: String,
    /// The tables it names, sorted.
    pub tables: Vec<String>,
    /// The index it reads, if any.
    pub index: Option<String>,
    /// `KeyConditionExpression`
    pub key_condition: Option<String>,
    /// `FilterExpression`
    pub filter: Option<String>,
    /// `ConditionExpression`
    pub condition: Option<String>,
    /// `UpdateExpression`
    pub update: Option<String>,
    /// `ProjectionExpression`
    pub projection: Option<String>,
    /// Actions of a `TransactWriteItems`, or requests/keys of a batch.
    pub items: usize,
    /// `ReturnConsumedCapacity`, as sent (`"TOTAL"`, `"INDEXES"`); `None`
    /// when the request does not ask.
    pub return_consumed_capacity: Option<String>,
    /// `ReturnValues` of a single-item write, as sent (`"ALL_NEW"`, ...).
    pub return_values: Option<String>,
    /// `ReturnValuesOnConditionCheckFailure` of a single-item write, as sent.
    pub return_values_on_condition_check_failure: Option<String>,
    /// `ConsistentRead`, as sent (for a batch get, that of any table that sets it).
    pub consistent_read: Option<bool>,
    /// The capacity units the response reported (summed over its tables);
    /// `None` when it reported none (the request did not ask, or failed).
    pub consumed_capacity: Option<f64>,
}

impl Storable for RecordedRequest {
    type Storer = StoreReplace<Self>;
}

/// Where the current attempt's record is, for its response.
#[derive(Debug, Clone, Copy)]
struct RecordIndex(usize);

impl Storable for RecordIndex {
    type Storer = StoreReplace<Self>;
}

/// The capacity units a response reports, summed over its tables.
fn reported_capacity(
    output: &aws_smithy_runtime_api::client::interceptors::context::Output,
) -> Option<f64> {
    use dynamo_repo::sdk::types::ConsumedCapacity;
    let sum = |entries: &[ConsumedCapacity]| -> Option<f64> {
        (!entries.is_empty()).then(|| entries.iter().filter_map(|c| c.capacity_units()).sum())
    };
    let one = |entry: Option<&ConsumedCapacity>| entry.and_then(|c| c.capacity_units());
    if let Some(o) = output.downcast_ref::<operation::query::QueryOutput>() {
        one(o.consumed_capacity())
    } else if let Some(o) = output.downcast_ref::<operation::scan::ScanOutput>() {
        one(o.consumed_capacity())
    } else if let Some(o) = output.downcast_ref::<operation::get_item::GetItemOutput>() {
        one(o.consumed_capacity())
    } else if let Some(o) = output.downcast_ref::<operation::put_item::PutItemOutput>() {
        one(o.consumed_capacity())
    } else if let Some(o) = output.downcast_ref::<operation::update_item::UpdateItemOutput>() {
        one(o.consumed_capacity())
    } else if let Some(o) = output.downcast_ref::<operation::delete_item::DeleteItemOutput>() {
        one(o.consumed_capacity())
    } else if let Some(o) =
        output.downcast_ref::<operation::batch_write_item::BatchWriteItemOutput>()
    {
        sum(o.consumed_capacity())
    } else if let Some(o) = output.downcast_ref::<operation::batch_get_item::BatchGetItemOutput>() {
        sum(o.consumed_capacity())
    } else if let Some(o) =
        output.downcast_ref::<operation::transact_write_items::TransactWriteItemsOutput>()
    {
        sum(o.consumed_capacity())
    } else if let Some(o) =
        output.downcast_ref::<operation::transact_get_items::TransactGetItemsOutput>()
    {
        sum(o.consumed_capacity())
    } else {
        None
    }
}

/// An SDK interceptor that records every request a client sends. Clones
/// share the record.
///
/// ```no_run
/// # async fn t() -> Result<(), Box<dyn std::error::Error>> {
/// let recorder = dynamo_repo_testkit::RequestRecorder::new();
/// let client = recorder.client()?;
/// // ... code under test ...
/// assert_eq!(recorder.operations(), ["TransactWriteItems"]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct RequestRecorder {
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
}

impl RequestRecorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// A client of the test DynamoDB that records through this recorder.
    pub fn client(&self) -> Result<Client, crate::ServerError> {
        crate::client_through(self.clone(), None)
    }

    /// Everything recorded so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The operations recorded so far, in order.
    pub fn operations(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.operation).collect()
    }

    /// Returns what was recorded and starts a new record.
    pub fn take(&self) -> Vec<RecordedRequest> {
        std::mem::take(&mut *self.requests.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

fn describe(
    input: &aws_smithy_runtime_api::client::interceptors::context::Input,
) -> RecordedRequest {
    let mut r = RecordedRequest::default();
    let name = |t: Option<&str>| t.map(str::to_owned).into_iter().collect::<Vec<_>>();
    if let Some(i) = input.downcast_ref::<operation::query::QueryInput>() {
        r.operation = "Query".into();
        r.return_consumed_capacity = i.return_consumed_capacity().map(|c| c.as_str().to_owned());
        r.consistent_read = i.consistent_read();
        r.tables = name(i.table_name());
        r.index = i.index_name().map(str::to_owned);
        r.key_condition = i.key_condition_expression().map(str::to_owned);
        r.filter = i.filter_expression().map(str::to_owned);
        r.projection = i.projection_expression().map(str::to_owned);
    } else if let Some(i) = input.downcast_ref::<operation::scan::ScanInput>() {
        r.operation = "Scan".into();
        r.return_consumed_capacity = i.return_consumed_capacity().map(|c| c.as_str().to_owned());
        r.consistent_read = i.consistent_read();
        r.tables = name(i.table_name());
        r.index = i.index_name().map(str::to_owned);
        r.filter = i.filter_expression().map(str::to_owned);
        r.projection = i.projection_expression().map(str::to_owned);
    } else if let Some(i) = input.downcast_ref::<operation::get_item::GetItemInput>() {
        r.operation = "GetItem".into();
        r.return_consumed_capacity = i.return_consumed_capacity().map(|c| c.as_str().to_owned());
        r.consistent_read = i.consistent_read();
        r.tables = name(i.table_name());
        r.projection = i.projection_expression().map(str::to_owned);
    } else if let Some(i) = input.downcast_ref::<operation::put_item::PutItemInput>() {
        r.operation = "PutItem".into();
        r.return_consumed_capacity = i.return_consumed_capacity().map(|c| c.as_str().to_owned());
        r.return_values = i.return_values().map(|c| c.as_str().to_owned());
        r.return_values_on_condition_check_failure = i
            .return_values_on_condition_check_failure()
            .map(|c| c.as_str().to_owned());
        r.tables = name(i.table_name());
        r.condition = i.condition_expression().map(str::to_owned);
    } else if let Some(i) = input.downcast_ref::<operation::update_item::UpdateItemInput>() {
        r.operation = "UpdateItem".into();
        r.return_consumed_capacity = i.return_consumed_capacity().map(|c| c.as_str().to_owned());
        r.return_values = i.return_values().map(|c| c.as_str().to_owned());
        r.return_values_on_condition_check_failure = i
            .return_values_on_condition_check_failure()
            .map(|c| c.as_str().to_owned());
        r.tables = name(i.table_name());
        r.condition = i.condition_expression().map(str::to_owned);
        r.update = i.update_expression().map(str::to_owned);
    } else if let Some(i) = input.downcast_ref::<operation::delete_item::DeleteItemInput>() {
        r.operation = "DeleteItem".into();
        r.return_consumed_capacity = i.return_consumed_capacity().map(|c| c.as_str().to_owned());
        r.return_values = i.return_values().map(|c| c.as_str().to_owned());
        r.return_values_on_condition_check_failure = i
            .return_values_on_condition_check_failure()
            .map(|c| c.as_str().to_owned());
        r.tables = name(i.table_name());
        r.condition = i.condition_expression().map(str::to_owned);
    } else if let Some(i) =
        input.downcast_ref::<operation::transact_write_items::TransactWriteItemsInput>()
    {
        r.operation = "TransactWriteItems".into();
        r.return_consumed_capacity = i.return_consumed_capacity().map(|c| c.as_str().to_owned());
        r.items = i.transact_items().len();
        let mut tables: Vec<String> = i
            .transact_items()
            .iter()
            .filter_map(|t| {
                t.put()
                    .map(|p| p.table_name())
                    .or(t.update().map(|u| u.table_name()))
                    .or(t.delete().map(|d| d.table_name()))
                    .or(t.condition_check().map(|c| c.table_name()))
                    .map(str::to_owned)
            })
            .collect();
        tables.sort();
        tables.dedup();
        r.tables = tables;
    } else if let Some(i) =
        input.downcast_ref::<operation::transact_get_items::TransactGetItemsInput>()
    {
        r.operation = "TransactGetItems".into();
        r.return_consumed_capacity = i.return_consumed_capacity().map(|c| c.as_str().to_owned());
        r.items = i.transact_items().len();
    } else if let Some(i) = input.downcast_ref::<operation::batch_write_item::BatchWriteItemInput>()
    {
        r.operation = "BatchWriteItem".into();
        r.return_consumed_capacity = i.return_consumed_capacity().map(|c| c.as_str().to_owned());
        let items = i.request_items().cloned().unwrap_or_default();
        r.items = items.values().map(Vec::len).sum();
        r.tables = items.into_keys().collect();
        r.tables.sort();
    } else if let Some(i) = input.downcast_ref::<operation::batch_get_item::BatchGetItemInput>() {
        r.operation = "BatchGetItem".into();
        r.return_consumed_capacity = i.return_consumed_capacity().map(|c| c.as_str().to_owned());
        r.consistent_read = i
            .request_items()
            .into_iter()
            .flat_map(|m| m.values())
            .filter_map(|k| k.consistent_read())
            .reduce(|a, b| a || b);
        let items = i.request_items().cloned().unwrap_or_default();
        r.items = items.values().map(|k| k.keys().len()).sum();
        r.tables = items.into_keys().collect();
        r.tables.sort();
    } else {
        r.operation = "Other".into();
    }
    r
}

impl Intercept for RequestRecorder {
    fn name(&self) -> &'static str {
        "RequestRecorder"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(describe(context.input()));
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Once per attempt, so retries show as repeated requests.
        let mut request = cfg.load::<RecordedRequest>().cloned().unwrap_or_default();
        if request.operation == "Other" {
            if let Some(target) = context.request().headers().get("x-amz-target") {
                request.operation = target.trim_start_matches("DynamoDB_20120810.").to_owned();
            }
        }
        let mut requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        cfg.interceptor_state()
            .store_put(RecordIndex(requests.len()));
        requests.push(request);
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let reported = match context.output_or_error() {
            Ok(output) => reported_capacity(output),
            _ => None,
        };
        if let (Some(units), Some(RecordIndex(i))) = (reported, cfg.load::<RecordIndex>().copied())
        {
            let mut requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
            // A `take()` since the request was sent leaves nothing to mark.
            if let Some(r) = requests.get_mut(i) {
                r.consumed_capacity = Some(units);
            }
        }
        Ok(())
    }
}
