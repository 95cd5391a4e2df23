//! Fault injection for transactions: DynamoDB Local never reports a
//! `TransactionConflict`, and never loses a response. [`TxFaults`] fakes both:
//!
//! - a **conflict**: the attempt is rewritten into a harmless `ListTables`
//!   before signing (so nothing is written), and its response replaced by a
//!   `TransactionCanceledException` whose first reason is `TransactionConflict`;
//! - a **lost response**: the attempt reaches DynamoDB Local and is applied,
//!   then its response is replaced by a 500, as if the connection dropped.
//!
//! It also records the `ClientRequestToken` of every `TransactWriteItems` attempt.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use dynamo_repo::sdk::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextMut,
};
use dynamo_repo::sdk::config::{ConfigBag, Intercept, RuntimeComponents};
use dynamo_repo::{Client, RetryPolicy};
use std::sync::{Arc, Mutex};

/// An interceptor that injects transaction conflicts and lost responses
/// into the first `TransactWriteItems` attempts. Clones share state.
#[derive(Clone, Default, Debug)]
pub struct TxFaults {
    inner: Arc<Mutex<State>>,
}

#[derive(Default, Debug)]
struct State {
    conflicts_left: u32,
    lost_left: u32,
    tokens: Vec<String>,
    requests: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Conflict,
    Lost,
}

impl Storable for Fault {
    type Storer = StoreReplace<Self>;
}

impl TxFaults {
    /// Injects nothing yet; records every request.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next `n` `TransactWriteItems` attempts fail with a `TransactionConflict`, unapplied.
    pub fn conflicts(self, n: u32) -> Self {
        self.inner.lock().unwrap().conflicts_left = n;
        self
    }

    /// The next `n` `TransactWriteItems` attempts are applied, then their response is lost.
    pub fn lose_responses(self, n: u32) -> Self {
        self.inner.lock().unwrap().lost_left = n;
        self
    }

    /// A client of the test DynamoDB with this interceptor and the given SDK retry policy.
    pub fn client(&self, sdk_retry: RetryPolicy) -> Client {
        let config = Client::local_config(crate::endpoint())
            .retry_config(sdk_retry.to_sdk())
            .interceptor(self.clone())
            .build();
        Client::from_sdk(dynamo_repo::sdk::Client::from_conf(config))
    }

    /// The `ClientRequestToken` of each `TransactWriteItems` attempt, in order.
    pub fn tokens(&self) -> Vec<String> {
        self.inner.lock().unwrap().tokens.clone()
    }

    /// The operation (`X-Amz-Target` without its prefix) of every HTTP request sent.
    pub fn requests(&self) -> Vec<String> {
        self.inner.lock().unwrap().requests.clone()
    }
}

fn token_in(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("\"ClientRequestToken\":\"")? + "\"ClientRequestToken\":\"".len();
    let end = text[start..].find('"')? + start;
    Some(text[start..end].to_owned())
}

impl Intercept for TxFaults {
    fn name(&self) -> &'static str {
        "TxFaults"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let target = request
            .headers()
            .get("x-amz-target")
            .unwrap_or_default()
            .trim_start_matches("DynamoDB_20120810.")
            .to_owned();
        let mut state = self.inner.lock().unwrap();
        state.requests.push(target.clone());
        if target != "TransactWriteItems" {
            return Ok(());
        }
        if let Some(token) = request.body().bytes().and_then(token_in) {
            state.tokens.push(token);
        }
        if state.conflicts_left > 0 {
            state.conflicts_left -= 1;
            request
                .headers_mut()
                .insert("x-amz-target", "DynamoDB_20120810.ListTables");
            request.headers_mut().insert("content-length", "2");
            *request.body_mut() = SdkBody::from("{}");
            cfg.interceptor_state().store_put(Fault::Conflict);
        } else if state.lost_left > 0 {
            state.lost_left -= 1;
            cfg.interceptor_state().store_put(Fault::Lost);
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (status, body) = match cfg.load::<Fault>().copied() {
            Some(Fault::Conflict) => (
                400,
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]","CancellationReasons":[{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"}]}"#,
            ),
            Some(Fault::Lost) => (
                500,
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"injected: response lost"}"#,
            ),
            None => return Ok(()),
        };
        cfg.interceptor_state().unset::<Fault>();
        let mut response = Response::new(StatusCode::try_from(status)?, SdkBody::from(body));
        response
            .headers_mut()
            .insert("content-type", "application/x-amz-json-1.0");
        *context.response_mut() = response;
        Ok(())
    }
}
