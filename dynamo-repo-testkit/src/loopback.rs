//! The testkit creates and deletes tables, so by default it only talks to a
//! DynamoDB on this machine: an endpoint whose host is `localhost`,
//! `*.localhost`, an address in `127.0.0.0/8` or `[::1]`. Anything else (a
//! real AWS account, a shared staging server, `http://10.1.2.3:8000`, a
//! Docker service name) must be allowed explicitly: set
//! `DYNAMO_REPO_TESTKIT_ALLOW_REMOTE=1`, or build the fixture with
//! [`TestTables::with_remote_client`](crate::TestTables::with_remote_client).
//!
//! The host is judged by its text, not by resolving it: a name that resolves
//! to a loopback address but is not `localhost` still needs the allowance.

use crate::ServerError;
use aws_smithy_runtime_api::box_error::BoxError;
use dynamo_repo::sdk::config::interceptors::BeforeTransmitInterceptorContextRef;
use dynamo_repo::sdk::config::{ConfigBag, Intercept, RuntimeComponents};
use std::net::IpAddr;

/// The environment variable that lets the testkit use a non-loopback
/// endpoint (`1`, `true` or `yes`).
pub const ALLOW_REMOTE_ENV: &str = "DYNAMO_REPO_TESTKIT_ALLOW_REMOTE";

/// Whether [`ALLOW_REMOTE_ENV`] allows a non-loopback endpoint.
pub fn remote_allowed() -> bool {
    std::env::var(ALLOW_REMOTE_ENV).is_ok_and(|v| {
        let v = v.trim();
        v == "1" || v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("yes")
    })
}

/// The host of an endpoint URL (`http://host:port/path`), without brackets
/// around an IPv6 address; `None` when there is none.
fn host_of(endpoint: &str) -> Option<&str> {
    let rest = endpoint.trim().split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split_once(']')?.0
    } else {
        authority.split(':').next()?
    };
    (!host.is_empty()).then_some(host)
}

/// Whether `endpoint` (a URL) names this machine: `localhost`,
/// `*.localhost`, `127.0.0.0/8` or `::1`.
///
/// ```
/// use dynamo_repo_testkit::is_loopback;
/// assert!(is_loopback("http://127.0.0.1:8000"));
/// assert!(is_loopback("http://localhost:8000"));
/// assert!(is_loopback("http://[::1]:8000"));
/// assert!(!is_loopback("http://10.1.2.3:8000"));
/// assert!(!is_loopback("https://dynamodb.us-east-1.amazonaws.com"));
/// assert!(!is_loopback("http://localhost.example.com:8000"));
/// ```
pub fn is_loopback(endpoint: &str) -> bool {
    let Some(host) = host_of(endpoint) else {
        return false;
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Refuses a non-loopback `endpoint` unless `allowed`.
pub(crate) fn check(endpoint: &str, allowed: bool) -> Result<(), ServerError> {
    if allowed || is_loopback(endpoint) {
        Ok(())
    } else {
        Err(ServerError::RemoteEndpoint(endpoint.to_owned()))
    }
}

/// An SDK interceptor refusing, before anything is sent, every request to a
/// host that is not this machine. Added to clients given to
/// [`TestTables::with_client`](crate::TestTables::with_client), whose
/// endpoint the SDK does not expose before a request is made.
#[derive(Debug, Clone)]
pub(crate) struct LoopbackGuard;

impl Intercept for LoopbackGuard {
    fn name(&self) -> &'static str {
        "LoopbackGuard"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let uri = context.request().uri();
        check(uri, false).map_err(|e| e.to_string().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_is_loopback() {
        for yes in [
            "http://localhost:8000",
            "http://LOCALHOST",
            "http://127.0.0.1:8000/",
            "http://127.1.2.3:9",
            "http://[::1]:8000",
            "https://user:pw@localhost:443/x",
            "http://dynamodb.localhost:8000",
        ] {
            assert!(is_loopback(yes), "{yes}");
        }
        for no in [
            "http://10.1.2.3:8000",
            "http://0.0.0.0:8000",
            "http://192.168.1.5",
            "https://dynamodb.us-east-1.amazonaws.com",
            "http://dynamodb-local:8000",
            "http://localhost.evil.com:8000",
            "http://127.0.0.1.nip.io",
            "http://[::2]:8000",
            "localhost:8000",
            "",
        ] {
            assert!(!is_loopback(no), "{no}");
        }
    }

    #[test]
    fn a_remote_endpoint_is_refused_unless_allowed() {
        let err = check("http://10.1.2.3:8000", false).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("http://10.1.2.3:8000"), "{text}");
        assert!(text.contains(ALLOW_REMOTE_ENV), "{text}");
        assert!(check("http://10.1.2.3:8000", true).is_ok());
        assert!(check("http://127.0.0.1:8000", false).is_ok());
    }
}
