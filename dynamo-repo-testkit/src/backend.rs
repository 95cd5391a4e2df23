//! Which DynamoDB the tests run against.
//!
//! | Environment | Endpoint | [`backend`] |
//! |---|---|---|
//! | nothing set (the default) | an embedded dynoxide server in the test binary | [`Backend::Embedded`] |
//! | `DYNAMO_REPO_TEST_BACKEND=dynamodb-local` | a DynamoDB Local (Java) started for the test binary | [`Backend::DynamoDbLocal`] |
//! | `DYNAMODB_ENDPOINT=http://…` | that server | [`Backend::Endpoint`], or what `DYNAMO_REPO_TEST_BACKEND` names |
//!
//! DynamoDB Local is the reference: a test of a behaviour the emulator does
//! not reproduce asserts it only where [`Backend::is_reference`] holds (and
//! says what the emulator does instead).

use crate::ServerError;

/// The environment variable choosing the backend: `embedded` (the default)
/// or `dynamodb-local`.
pub const BACKEND_VARIABLE: &str = "DYNAMO_REPO_TEST_BACKEND";

/// The kind of DynamoDB the tests of this binary talk to (see [`backend`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// dynoxide, an emulator in Rust on SQLite, served from inside the test
    /// binary: nothing but Rust needed. The default.
    Embedded,
    /// AWS's DynamoDB Local (Java), the reference.
    DynamoDbLocal,
    /// A server given by `DYNAMODB_ENDPOINT` without saying what it is; held
    /// to DynamoDB's behaviour, like the reference.
    Endpoint,
}

impl Backend {
    /// Whether the tests hold this backend to DynamoDB's own behaviour in
    /// every respect (true for all but [`Backend::Embedded`]).
    pub fn is_reference(self) -> bool {
        !matches!(self, Backend::Embedded)
    }

    /// The value of [`BACKEND_VARIABLE`] naming it (`endpoint` for
    /// [`Backend::Endpoint`]).
    pub fn name(self) -> &'static str {
        match self {
            Backend::Embedded => "embedded",
            Backend::DynamoDbLocal => "dynamodb-local",
            Backend::Endpoint => "endpoint",
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Embedded => "embedded dynoxide (in-process, in memory)",
            Backend::DynamoDbLocal => "DynamoDB Local",
            Backend::Endpoint => "the server at DYNAMODB_ENDPOINT",
        })
    }
}

/// The backend [`BACKEND_VARIABLE`] names, if it is set.
fn chosen() -> Result<Option<Backend>, ServerError> {
    match std::env::var(BACKEND_VARIABLE) {
        Err(_) => Ok(None),
        Ok(v) if v.is_empty() => Ok(None),
        Ok(v) => match v.as_str() {
            "embedded" => Ok(Some(Backend::Embedded)),
            "dynamodb-local" => Ok(Some(Backend::DynamoDbLocal)),
            other => Err(ServerError::Failed(format!(
                "{BACKEND_VARIABLE}={other:?} is not a backend: use `embedded` (the default) or `dynamodb-local`"
            ))),
        },
    }
}

fn endpoint_given() -> bool {
    std::env::var("DYNAMODB_ENDPOINT").is_ok_and(|e| !e.is_empty())
}

/// The kind of DynamoDB the tests of this binary talk to: what
/// [`BACKEND_VARIABLE`] names; else [`Backend::Endpoint`] when
/// `DYNAMODB_ENDPOINT` is set; else [`Backend::Embedded`].
///
/// # Panics
///
/// When [`BACKEND_VARIABLE`] holds an unknown value (failing the test rather
/// than running it against something else).
pub fn backend() -> Backend {
    match chosen() {
        Ok(Some(b)) => b,
        Ok(None) if endpoint_given() => Backend::Endpoint,
        Ok(None) => Backend::Embedded,
        Err(e) => panic!("{e}"),
    }
}

/// Starts the backend of this test binary when `DYNAMODB_ENDPOINT` is unset.
pub(crate) fn start() -> Result<String, ServerError> {
    match chosen()? {
        Some(Backend::DynamoDbLocal) => crate::server::start(),
        _ => crate::embedded::start(),
    }
}
