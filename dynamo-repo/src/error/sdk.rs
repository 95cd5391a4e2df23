//! SDK errors turned into [`Error`](super::Error): throttling, timeouts and
//! service errors, with the SDK's error kept as the source and never printed.

use super::{BoxError, Error};
use std::fmt;

/// Turns an SDK error into [`Error::Throttled`] or [`Error::Service`].
pub(crate) fn from_sdk<E, R>(
    err: aws_sdk_dynamodb::error::SdkError<E, R>,
    operation: &'static str,
    table: &str,
) -> Error
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
    let timed_out = match &err {
        SdkError::TimeoutError(_) => true,
        SdkError::DispatchFailure(d) => d.is_timeout(),
        _ => false,
    };
    if timed_out {
        return Error::Timeout {
            operation,
            table: table.to_owned(),
            source: Box::new(err),
        };
    }
    let code = err.code().map(str::to_owned);
    let message = err.message().map(str::to_owned);
    let table = table.to_owned();
    match code.as_deref() {
        Some(
            "ProvisionedThroughputExceededException"
            | "ThrottlingException"
            | "RequestLimitExceeded",
        ) => Error::Throttled {
            operation,
            table,
            source: Box::new(err),
        },
        _ => {
            let source: BoxError = if quotes_values(code.as_deref()) {
                Box::new(SdkSource {
                    code: code.clone(),
                    inner: Box::new(err),
                })
            } else {
                Box::new(err)
            };
            Error::Service {
                operation,
                table,
                code,
                message,
                source,
            }
        }
    }
}

/// Whether DynamoDB's message for this code can quote the request's values.
fn quotes_values(code: Option<&str>) -> bool {
    matches!(code, Some("ValidationException" | "SerializationException"))
}

/// The SDK's error behind a `ValidationException`: shown as the SDK shows it
/// when values are revealed; otherwise as its code alone, and the chain
/// stops here, since the server's message can quote the request's values.
struct SdkSource {
    code: Option<String>,
    inner: BoxError,
}

impl fmt::Display for SdkSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if crate::redact::values_revealed() {
            fmt::Display::fmt(&self.inner, f)
        } else {
            write!(
                f,
                "{} (the SDK's error is hidden, as its message may quote values)",
                self.code.as_deref().unwrap_or("service error")
            )
        }
    }
}

impl fmt::Debug for SdkSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if crate::redact::values_revealed() {
            fmt::Debug::fmt(&self.inner, f)
        } else {
            f.debug_struct("SdkError")
                .field("code", &self.code)
                .finish_non_exhaustive()
        }
    }
}

impl std::error::Error for SdkSource {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        if crate::redact::values_revealed() {
            Some(self.inner.as_ref())
        } else {
            None
        }
    }
}

/// DynamoDB's message after `: `, or nothing; a `ValidationException`'s is
/// hidden unless values are revealed, since it can quote the request's values.
pub(super) struct ServiceMessage<'a>(pub(super) Option<&'a str>, pub(super) Option<&'a str>);

impl fmt::Display for ServiceMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0, self.1) {
            (_, None) => Ok(()),
            (code, Some(_)) if quotes_values(code) && !crate::redact::values_revealed() =>
            {
                f.write_str(": DynamoDB's message is hidden, as it may quote values (reveal_values_in_errors shows it)")
            }
            (_, Some(message)) => write!(f, ": {message}"),
        }
    }
}
