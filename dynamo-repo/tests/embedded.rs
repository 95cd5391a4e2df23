//! `Client::embedded` (feature `embedded`): a working store in memory, and a
//! file store that keeps its tables across runs.

use dynamo_repo::embedded::EmbeddedStore;
use dynamo_repo::{Client, Entity};

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "embedded-notes")]
struct Note {
    #[dynamo(partition_key)]
    id: String,
    text: String,
}

fn note(id: &str, text: &str) -> Note {
    Note {
        id: id.into(),
        text: text.into(),
    }
}

#[tokio::test]
async fn an_in_memory_store_serves_a_repository() {
    let client = Client::embedded(EmbeddedStore::Memory).await.unwrap();
    let notes = client.repository::<Note>();
    notes.create_table().await.unwrap();
    notes.put(&note("n-1", "hello")).await.unwrap();
    assert_eq!(
        notes.get(Note::key("n-1")).await.unwrap(),
        Some(note("n-1", "hello"))
    );
    let refused = notes.put(&note("n-1", "again")).if_not_exists().await;
    assert!(refused.unwrap_err().is_condition_failed());
}

#[tokio::test]
async fn two_in_memory_stores_are_separate() {
    let a = Client::embedded(EmbeddedStore::Memory).await.unwrap();
    let b = Client::embedded(EmbeddedStore::Memory).await.unwrap();
    a.repository::<Note>().create_table().await.unwrap();
    let tables = b.sdk().list_tables().send().await.unwrap();
    assert!(tables.table_names().is_empty(), "{tables:?}");
}

#[test]
fn a_file_store_keeps_its_tables_after_the_runtime_that_served_it_ends() {
    let dir = std::env::temp_dir().join(format!(
        "dynamo-repo-embedded-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("store.db");
    let run = |check: bool| {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let client = Client::embedded(EmbeddedStore::File(path.clone()))
                .await
                .unwrap();
            let notes = client.repository::<Note>();
            if check {
                assert_eq!(
                    notes.get(Note::key("n-1")).await.unwrap(),
                    Some(note("n-1", "kept"))
                );
            } else {
                notes.create_table().await.unwrap();
                notes.put(&note("n-1", "kept")).await.unwrap();
            }
        });
        // Dropping the runtime stops the server and closes the file.
        drop(runtime);
    };
    run(false);
    run(true);
    let _ = std::fs::remove_dir_all(&dir);
}
