//! Tests of the testkit itself: servers, fixtures and the recorder.

use dynamo_repo::Entity;
use dynamo_repo_testkit::{client, endpoint, RequestRecorder, TestTables};
use std::process::Command;

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "kit-users")]
struct User {
    #[dynamo(partition_key)]
    id: String,
    name: String,
}

async fn table_exists(name: &str) -> bool {
    let tables = client().sdk().list_tables().send().await.unwrap();
    tables.table_names().iter().any(|t| t == name)
}

#[tokio::test]
async fn tables_are_created_unique_and_deleted_on_drop() {
    let names = {
        let tables = TestTables::new().unwrap();
        let a = tables.create::<User>().await.unwrap();
        let b = tables.create::<User>().await.unwrap();
        assert_ne!(a.table_name(), b.table_name());
        a.put(&User {
            id: "1".into(),
            name: "a".into(),
        })
        .await
        .unwrap();
        assert_eq!(
            b.get(User::key("1")).await.unwrap(),
            None,
            "tables are isolated"
        );
        assert!(table_exists(a.table_name()).await);
        tables.table_names()
    };
    for name in names {
        assert!(
            !table_exists(&name).await,
            "{name} is deleted when the fixture drops"
        );
    }
}

#[tokio::test]
async fn tables_are_deleted_after_a_panicking_test() {
    let created = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = created.clone();
    // A "test" that panics while holding the fixture, on its own runtime.
    let outcome = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let tables = TestTables::new().unwrap();
            let users = tables.create::<User>().await.unwrap();
            seen.lock().unwrap().push(users.table_name().to_owned());
            panic!("the test under the fixture fails");
        })
    })
    .join();
    assert!(outcome.is_err(), "the inner test panicked");
    let name = created.lock().unwrap()[0].clone();
    assert!(
        !table_exists(&name).await,
        "{name} was deleted during unwinding"
    );
}

#[tokio::test]
async fn the_recorder_sees_exactly_the_requests_sent() {
    let recorder = RequestRecorder::new();
    let tables = TestTables::with_client(recorder.client().unwrap());
    let users = tables.create::<User>().await.unwrap();
    recorder.take();
    let f = User::fields();
    users
        .put(&User {
            id: "1".into(),
            name: "a".into(),
        })
        .await
        .unwrap();
    let _ = users.query("1").filter(f.name.eq("a")).all().await.unwrap();
    let mut uow = tables.client().unit_of_work();
    uow.with_repository(&users)
        .put(&User {
            id: "2".into(),
            name: "b".into(),
        })
        .delete(User::key("1"));
    uow.commit().await.unwrap();
    let requests = recorder.take();
    let ops: Vec<&str> = requests.iter().map(|r| r.operation.as_str()).collect();
    assert_eq!(ops, ["PutItem", "Query", "TransactWriteItems"]);
    assert_eq!(requests[1].key_condition.as_deref(), Some("#k0 = :k0"));
    assert_eq!(requests[1].filter.as_deref(), Some("#f1 = :f1"));
    assert_eq!(requests[2].items, 2);
    assert_eq!(requests[2].tables, [users.table_name().to_owned()]);
    assert!(recorder.requests().is_empty(), "take() starts a new record");
}

/// Run only as a child process of the test below (hence ignored): starts its
/// own server (no DYNAMODB_ENDPOINT) and uses it.
#[tokio::test]
#[ignore = "run by two_test_binaries_in_parallel_each_get_a_working_server"]
async fn child_uses_its_own_server() {
    assert!(
        std::env::var("DYNAMODB_ENDPOINT").is_err(),
        "the child starts its own server"
    );
    let tables = TestTables::new().unwrap();
    let users = tables.create::<User>().await.unwrap();
    users
        .put(&User {
            id: "x".into(),
            name: "child".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        users.get(User::key("x")).await.unwrap().unwrap().name,
        "child"
    );
    println!("CHILD_ENDPOINT={}", endpoint().unwrap());
}

#[test]
fn two_test_binaries_in_parallel_each_get_a_working_server() {
    let exe = std::env::current_exe().unwrap();
    let spawn = || {
        Command::new(&exe)
            .args([
                "--exact",
                "child_uses_its_own_server",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env_remove("DYNAMODB_ENDPOINT")
            .output()
            .unwrap()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join().unwrap(), b.join().unwrap())
    });
    let endpoint_of = |out: &std::process::Output| {
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "child failed:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text.lines()
            .find_map(|l| l.split("CHILD_ENDPOINT=").nth(1))
            .map(|e| e.trim().to_owned())
            .unwrap_or_else(|| panic!("the child ran no server test:\n{text}"))
    };
    let (ea, eb) = (endpoint_of(&a), endpoint_of(&b));
    assert_ne!(ea, eb, "each binary started its own server");
    // Both servers stop when their binary exits.
    std::thread::sleep(std::time::Duration::from_secs(2));
    for e in [ea, eb] {
        let port: u16 = e.rsplit(':').next().unwrap().parse().unwrap();
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "the server of {e} is stopped after its binary exited"
        );
    }
}

// Observed: `TestTables::with_client` deleted with a plain client of the
// endpoint and dummy credentials, leaving tables behind on a real account.
#[tokio::test]
async fn a_fixture_deletes_its_tables_through_the_client_it_was_given() {
    let recorder = RequestRecorder::new();
    let names = {
        let tables = TestTables::with_client(recorder.client().unwrap());
        tables.create::<User>().await.unwrap();
        tables.create::<User>().await.unwrap();
        tables.table_names()
    };
    let deleted: Vec<_> = recorder
        .requests()
        .into_iter()
        .filter(|r| r.operation == "DeleteTable")
        .collect();
    assert_eq!(deleted.len(), 2, "{:?}", recorder.operations());
    for name in names {
        assert!(!table_exists(&name).await, "{name} is deleted");
    }

    // And now, on the caller's runtime, reporting failures.
    let tables = TestTables::with_client(recorder.client().unwrap());
    let users = tables.create::<User>().await.unwrap();
    recorder.take();
    tables.delete_all().await.unwrap();
    let ops: Vec<String> = recorder.take().into_iter().map(|r| r.operation).collect();
    assert_eq!(ops, ["DeleteTable"]);
    assert!(!table_exists(users.table_name()).await);
    drop(tables);
    assert!(recorder.take().is_empty(), "nothing left to delete on drop");
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

#[tokio::test]
async fn a_fixture_refuses_a_client_of_another_machine_before_sending() {
    for remote in [
        "http://10.1.2.3:8000",
        "http://dynamodb.example.invalid:8000",
    ] {
        let started = std::time::Instant::now();
        let recorder = RequestRecorder::new();
        let config = dynamo_repo::Client::local_config(remote)
            .interceptor(recorder.clone())
            .build();
        let client = dynamo_repo::Client::from_sdk(dynamo_repo::sdk::Client::from_conf(config));
        let tables = TestTables::with_client(client);
        let err = tables.create::<User>().await.unwrap_err();
        let text = error_chain(&err);
        assert!(
            text.contains(remote) && text.contains("DYNAMO_REPO_TESTKIT_ALLOW_REMOTE=1"),
            "{text}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "refused without waiting on the network"
        );
    }
    // The same server named `localhost` is this machine.
    let local = endpoint().unwrap().replace("127.0.0.1", "localhost");
    let tables = TestTables::with_client(dynamo_repo::Client::local(local));
    tables.create::<User>().await.unwrap();
}

/// Run only as a child process of the test below (hence ignored): prints
/// what `endpoint()` makes of this process's environment.
#[test]
#[ignore = "run by a_remote_endpoint_is_refused_unless_allowed"]
fn child_reports_its_endpoint() {
    println!("ENDPOINT_RESULT={:?}", endpoint());
}

#[test]
fn a_remote_endpoint_is_refused_unless_allowed() {
    let exe = std::env::current_exe().unwrap();
    let run = |allow: Option<&str>| {
        let mut child = Command::new(&exe);
        child
            .args([
                "--exact",
                "child_reports_its_endpoint",
                "--ignored",
                "--nocapture",
            ])
            .env("DYNAMODB_ENDPOINT", "http://10.1.2.3:8000")
            .env_remove("DYNAMO_REPO_TESTKIT_ALLOW_REMOTE");
        if let Some(allow) = allow {
            child.env("DYNAMO_REPO_TESTKIT_ALLOW_REMOTE", allow);
        }
        let out = child.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines()
            .find_map(|l| l.split("ENDPOINT_RESULT=").nth(1))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("the child printed no result:\n{text}"))
    };
    let refused = run(None);
    assert!(
        refused.starts_with("Err(RemoteEndpoint(\"http://10.1.2.3:8000\"))"),
        "{refused}"
    );
    let message =
        dynamo_repo_testkit::ServerError::RemoteEndpoint("http://10.1.2.3:8000".into()).to_string();
    assert!(
        message.contains("DYNAMO_REPO_TESTKIT_ALLOW_REMOTE=1"),
        "{message}"
    );
    assert_eq!(run(Some("0")), refused, "only 1, true or yes allow");
    assert_eq!(run(Some("1")), "Ok(\"http://10.1.2.3:8000\")");
}

// Observed: a `'` in DYNAMODB_LOCAL_JAR_DIR broke the shell command that
// starts the server.
#[test]
fn a_jar_dir_with_a_quote_in_its_path_starts_the_server() {
    let jar = dynamo_repo_testkit::jar_dir().unwrap();
    let quoted = std::env::temp_dir().join(format!(
        "dynamo-repo it's a $HOME \"jar\" {}",
        std::process::id()
    ));
    std::fs::create_dir_all(&quoted).unwrap();
    for entry in ["DynamoDBLocal.jar", "DynamoDBLocal_lib"] {
        let link = quoted.join(entry);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(jar.join(entry), &link).unwrap();
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_uses_its_own_server",
            "--ignored",
            "--nocapture",
        ])
        .env_remove("DYNAMODB_ENDPOINT")
        .env("DYNAMODB_LOCAL_JAR_DIR", &quoted)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&quoted);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("CHILD_ENDPOINT="),
        "the server did not start from {}:\n{text}\n{}",
        quoted.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}
