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
/// deleted when the fixture drops, also when the test panics.
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
    endpoint: String,
    created: Mutex<Vec<String>>,
}

impl TestTables {
    /// A fixture on the shared test DynamoDB (see [`endpoint`](crate::endpoint)).
    pub fn new() -> Result<Self, crate::ServerError> {
        let endpoint = crate::endpoint()?;
        Ok(TestTables {
            client: Client::local(&endpoint),
            endpoint,
            created: Mutex::new(Vec::new()),
        })
    }

    /// A fixture whose repositories use `client` (for example one with a
    /// [`FaultInjector`](crate::FaultInjector) or a
    /// [`RequestRecorder`](crate::RequestRecorder)); tables are deleted
    /// through a plain client of `endpoint`.
    pub fn with_client(client: Client, endpoint: impl Into<String>) -> Self {
        TestTables {
            client,
            endpoint: endpoint.into(),
            created: Mutex::new(Vec::new()),
        }
    }

    /// The client the repositories use.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Creates a uniquely named table for `T` (with its indexes and TTL) and
    /// returns a repository bound to it.
    pub async fn create<T: Entity>(&self) -> dynamo_repo::Result<Repository<T>> {
        let repo = self
            .client
            .repository::<T>()
            .with_table_name(unique_table_name(T::SCHEMA.table));
        self.created
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(repo.table_name().to_owned());
        repo.create_table().await?;
        Ok(repo)
    }

    /// The names of the tables created so far.
    pub fn table_names(&self) -> Vec<String> {
        self.created
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Drop for TestTables {
    fn drop(&mut self) {
        let tables = std::mem::take(&mut *self.created.lock().unwrap_or_else(|p| p.into_inner()));
        if tables.is_empty() {
            return;
        }
        let endpoint = self.endpoint.clone();
        // Drop cannot await, and the test's runtime may be unwinding: delete on
        // a thread of our own with its own runtime and client, and wait for it.
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let client = Client::local(endpoint);
                for table in tables {
                    match client.sdk().delete_table().table_name(&table).send().await {
                        Ok(_) => {}
                        Err(e) => tracing::warn!(%table, error = %e, "could not delete test table"),
                    }
                }
            });
        });
        let _ = cleanup.join();
    }
}
