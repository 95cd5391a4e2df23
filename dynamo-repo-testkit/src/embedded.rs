//! The embedded backend: [dynoxide](https://docs.rs/dynoxide-rs), a
//! DynamoDB-compatible engine on SQLite, serving DynamoDB's HTTP API from
//! inside the test binary. Nothing but Rust is needed: no Java, no npm, no
//! Docker, no child process.
//!
//! The server runs in memory on a free loopback port, on a thread of its own
//! with its own Tokio runtime, so it outlives the runtime of every
//! `#[tokio::test]` (each test has its own, dropped when the test ends). It
//! lives as long as the test binary; its data goes with it.

use crate::ServerError;
use std::sync::mpsc;

/// Starts the embedded server and returns its endpoint, once it accepts
/// connections.
pub(crate) fn start() -> Result<String, ServerError> {
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        ServerError::Failed(format!("embedded DynamoDB (dynoxide): {what}: {e}"))
    };
    // Bound here, so the port is ours before any request is sent to it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| failed("binding a loopback port", &e))?;
    let address = listener
        .local_addr()
        .map_err(|e| failed("reading the bound address", &e))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| failed("configuring the listener", &e))?;
    let database =
        dynoxide::Database::memory().map_err(|e| failed("opening an in-memory database", &e))?;

    let (ready, started) = mpsc::channel::<Result<(), ServerError>>();
    std::thread::Builder::new()
        .name("dynamo-repo-testkit-embedded".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("dynamo-repo-testkit-embedded")
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = ready.send(Err(failed("starting its runtime", &e)));
                    return;
                }
            };
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => listener,
                    Err(e) => {
                        let _ = ready.send(Err(failed("registering the listener", &e)));
                        return;
                    }
                };
                let _ = ready.send(Ok(()));
                // Serves until the test binary exits.
                let served = dynoxide::server::serve_with_shutdown(
                    listener,
                    database,
                    std::future::pending::<()>(),
                )
                .await;
                if let Err(e) = served {
                    tracing::error!(error = %e, "the embedded DynamoDB stopped");
                }
            });
        })
        .map_err(|e| failed("starting its thread", &e))?;
    match started.recv() {
        Ok(Ok(())) => Ok(format!("http://{address}")),
        Ok(Err(e)) => Err(e),
        Err(e) => Err(failed("its thread ended while starting", &e)),
    }
}
