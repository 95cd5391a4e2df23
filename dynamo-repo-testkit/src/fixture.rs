//! Isolated tables: created under unique names, deleted when the fixture drops.

use dynamo_repo::{Client, Entity, Repository};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// A table name no other test, test binary or run uses: `{prefix}-{pid}-{n}-{nanos}`.
pub fn unique_table_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos % 1_000_000_000
    )
}

/// Tables for one test: [`TestTables::create`] makes a uniquely named table
/// for an entity and hands back a repository bound to it; every table is
/// deleted when the fixture drops, also when the test panics, through the
/// same client configuration that created it.
///
/// Only a DynamoDB on this machine is used unless allowed (see
/// [`is_loopback`](crate::is_loopback)): a fixture never creates or deletes
/// tables on a real account by accident.
///
/// ```no_run
/// # use dynamo_repo::Entity;
/// # #[derive(Entity)] #[dynamo(table = "users")] struct User { #[dynamo(partition_key)] id: String }
/// # async fn t() -> dynamo_repo::Result<()> {
/// let tables = dynamo_repo_testkit::TestTables::new().unwrap();
/// let users = tables.create::<User>().await?;   // table "users-<pid>-<n>-<nanos>"
/// users.put(&User { id: "u-1".into() }).await?;
/// # Ok(()) }
/// ```
pub struct TestTables {
    client: Client,
    created: Mutex<Vec<String>>,
}

impl TestTables {
    /// A fixture on the shared test DynamoDB (see [`endpoint`](crate::endpoint)).
    pub fn new() -> Result<Self, crate::ServerError> {
        let endpoint = crate::endpoint()?;
        Ok(Self::unchecked(Client::local(endpoint)))
    }

    /// A fixture whose repositories use `client` (for example one with a
    /// [`FaultInjector`](crate::FaultInjector) or a
    /// [`RequestRecorder`](crate::RequestRecorder), or your own credentials),
    /// and which deletes its tables through that client's configuration too:
    /// its credentials, region, endpoint and interceptors (a recorder sees
    /// the `DeleteTable`s).
    ///
    /// Every request of the fixture's client to an endpoint that is not on
    /// this machine fails before it is sent, with
    /// [`ServerError::RemoteEndpoint`](crate::ServerError::RemoteEndpoint)'s
    /// message, unless `DYNAMO_REPO_TESTKIT_ALLOW_REMOTE=1`; use
    /// [`TestTables::with_remote_client`] to mean it.
    pub fn with_client(client: Client) -> Self {
        if crate::loopback::remote_allowed() {
            return Self::unchecked(client);
        }
        let config = client
            .sdk()
            .config()
            .to_builder()
            .interceptor(crate::loopback::LoopbackGuard)
            .build();
        // The client's own settings (table names, cursor key) are kept.
        Self::unchecked(client.with_sdk(dynamo_repo::sdk::Client::from_conf(config)))
    }

    /// Like [`TestTables::with_client`], for a `client` that may talk to any
    /// endpoint, a real AWS account included: the tables are created and
    /// deleted there, with its credentials. (Also call
    /// [`TestTables::delete_all`] at the end of the test, to see a failed
    /// deletion.)
    pub fn with_remote_client(client: Client) -> Self {
        Self::unchecked(client)
    }

    fn unchecked(client: Client) -> Self {
        TestTables {
            client,
            created: Mutex::new(Vec::new()),
        }
    }

    /// The client the repositories use.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Creates a uniquely named table for `T` (with its indexes and TTL) and
    /// returns a repository bound to it. The name starts with the table the
    /// client uses for `T` (its table-name resolver applied:
    /// [`Client::table_name_of`]).
    pub async fn create<T: Entity>(&self) -> dynamo_repo::Result<Repository<T>> {
        let repo = self
            .client
            .repository::<T>()
            .with_table_name(unique_table_name(&self.client.table_name_of::<T>()));
        self.created
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(repo.table_name().to_owned());
        repo.create_table().await?;
        Ok(repo)
    }

    /// Deletes `table` with the others when the fixture drops: for a table
    /// the code under test creates itself (say with `ensure_table`).
    pub fn track(&self, table: impl Into<String>) {
        self.created
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(table.into());
    }

    /// The names of the tables created so far.
    pub fn table_names(&self) -> Vec<String> {
        self.created
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Deletes the tables created so far, now, through the fixture's client
    /// on the caller's runtime, and returns the first failure (a table that
    /// is already gone counts as deleted). Dropping the fixture does the same
    /// but can only log a failure.
    pub async fn delete_all(&self) -> Result<(), dynamo_repo::sdk::Error> {
        let tables = std::mem::take(&mut *self.created.lock().unwrap_or_else(|p| p.into_inner()));
        delete(self.client.sdk(), tables).await
    }
}

/// Deletes `tables`, all of them even after a failure, and returns the first
/// failure.
async fn delete(
    sdk: &dynamo_repo::sdk::Client,
    tables: Vec<String>,
) -> Result<(), dynamo_repo::sdk::Error> {
    let mut first = None;
    for table in tables {
        match sdk.delete_table().table_name(&table).send().await {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) => {}
            Err(e) => {
                tracing::warn!(%table, error = %e, "could not delete test table");
                first.get_or_insert(dynamo_repo::sdk::Error::from(e));
            }
        }
    }
    first.map_or(Ok(()), Err)
}

impl Drop for TestTables {
    fn drop(&mut self) {
        let tables = std::mem::take(&mut *self.created.lock().unwrap_or_else(|p| p.into_inner()));
        if tables.is_empty() {
            return;
        }
        // Drop cannot await, and the test's runtime may be unwinding: delete
        // on a thread of our own with its own runtime. The client there has
        // the fixture client's configuration (credentials, region, endpoint,
        // interceptors) and fresh connections: pooled ones belong to the
        // test's runtime, which is blocked here.
        let mut config = self.client.sdk().config().to_builder();
        config.set_http_client(None);
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            let sdk = dynamo_repo::sdk::Client::from_conf(config.build());
            let _ = runtime.block_on(delete(&sdk, tables));
        });
        let _ = cleanup.join();
    }
}
