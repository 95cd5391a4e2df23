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
    let tables = TestTables::with_client(recorder.client().unwrap(), endpoint().unwrap());
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
