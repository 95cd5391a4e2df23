//! Tests of the backend choice: embedded by default with nothing but Rust,
//! DynamoDB Local by name, a clear error for an unknown name.
//!
//! The environment is per process, so each case runs as a child process of
//! this test binary (the `child_*` tests, ignored when run directly).

use dynamo_repo::Entity;
use dynamo_repo_testkit::{backend, endpoint, Backend, ServerError, TestTables, BACKEND_VARIABLE};
use std::process::{Command, Output};

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "backend-users")]
struct User {
    #[dynamo(partition_key)]
    id: String,
    name: String,
}

/// Runs the ignored test `name` of this binary in a child process with
/// neither `DYNAMODB_ENDPOINT` nor a backend set, a `PATH` holding nothing
/// (no java, no npm), and `backend` as DYNAMO_REPO_TEST_BACKEND if given.
fn run_child(name: &str, backend: Option<&str>) -> Output {
    let empty_path =
        std::env::temp_dir().join(format!("dynamo-repo-empty-path-{}", std::process::id()));
    std::fs::create_dir_all(&empty_path).unwrap();
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_remove("DYNAMODB_ENDPOINT")
        .env_remove(BACKEND_VARIABLE)
        .env("PATH", &empty_path);
    if let Some(b) = backend {
        command.env(BACKEND_VARIABLE, b);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "child {name} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[tokio::test]
#[ignore = "run by the_default_backend_is_embedded_and_needs_no_java_or_npm"]
async fn child_uses_the_default_backend() {
    assert_eq!(backend(), Backend::Embedded);
    assert!(!backend().is_reference());
    let tables = TestTables::new().unwrap();
    let users = tables.create::<User>().await.unwrap();
    let ada = User {
        id: "u-1".into(),
        name: "Ada".into(),
    };
    users.put(&ada).await.unwrap();
    assert_eq!(users.get(User::key("u-1")).await.unwrap(), Some(ada));
    println!("CHILD_ENDPOINT={}", endpoint().unwrap());
}

#[test]
fn the_default_backend_is_embedded_and_needs_no_java_or_npm() {
    let out = run_child("child_uses_the_default_backend", None);
    let text = String::from_utf8_lossy(&out.stdout);
    let endpoint = text
        .lines()
        .find_map(|l| l.split("CHILD_ENDPOINT=").nth(1))
        .unwrap_or_else(|| panic!("the child ran no server test:\n{text}"));
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
}

#[test]
#[ignore = "run by dynamodb_local_is_chosen_by_name"]
fn child_asks_for_dynamodb_local_without_java() {
    assert_eq!(backend(), Backend::DynamoDbLocal);
    assert!(backend().is_reference());
    let err = endpoint().unwrap_err();
    assert!(matches!(err, ServerError::JavaMissing), "{err:?}");
}

#[test]
fn dynamodb_local_is_chosen_by_name() {
    run_child(
        "child_asks_for_dynamodb_local_without_java",
        Some("dynamodb-local"),
    );
}

#[test]
#[ignore = "run by an_unknown_backend_is_an_error_naming_the_variable"]
fn child_asks_for_an_unknown_backend() {
    let err = endpoint().unwrap_err().to_string();
    assert!(err.contains(BACKEND_VARIABLE), "{err}");
    assert!(err.contains("\"dynamo-local\""), "{err}");
    assert!(
        err.contains("`embedded`") && err.contains("`dynamodb-local`"),
        "{err}"
    );
    let panic = std::panic::catch_unwind(backend).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains(BACKEND_VARIABLE), "{message}");
}

#[test]
fn an_unknown_backend_is_an_error_naming_the_variable() {
    run_child("child_asks_for_an_unknown_backend", Some("dynamo-local"));
}

/// Each `#[tokio::test]` has its own runtime, dropped when the test ends: the
/// server of the binary (the embedded one runs on a runtime of its own) serves
/// the tests that come after.
#[test]
fn the_server_outlives_each_test_runtime() {
    for round in 0..2 {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let tables = TestTables::new().unwrap();
            let users = tables.create::<User>().await.unwrap();
            let user = User {
                id: format!("u-{round}"),
                name: "n".into(),
            };
            users.put(&user).await.unwrap();
            assert_eq!(
                users.get(User::key(user.id.clone())).await.unwrap(),
                Some(user)
            );
        });
        drop(runtime);
    }
}
