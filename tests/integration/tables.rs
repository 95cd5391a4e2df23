//! Tables that follow the code: `ensure_table` adds what an entity gained
//! (a global index, TTL), refuses what cannot change in place, and
//! `plan_table` says what it would do without doing it.

use dynamo_repo::repository::TableDifference;
use dynamo_repo::Entity;
use dynamo_repo_tests::{client, unique_table};
use std::time::SystemTime;

mod v1 {
    use super::*;
    /// The first version of the service.
    #[derive(Entity, Debug, Clone, PartialEq)]
    #[dynamo(table = "bookmarks")]
    pub struct Bookmark {
        #[dynamo(partition_key)]
        pub user: String,
        #[dynamo(sort_key)]
        pub id: String,
        pub title: String,
    }
}

mod v2 {
    use super::*;
    /// The next version: an index on titles and an expiry.
    #[derive(Entity, Debug, Clone, PartialEq)]
    #[dynamo(table = "bookmarks", gsi(name = "by_title", partition_key = title, sort_key = id))]
    pub struct Bookmark {
        #[dynamo(partition_key)]
        pub user: String,
        #[dynamo(sort_key)]
        pub id: String,
        pub title: String,
        #[dynamo(ttl)]
        pub expires: Option<SystemTime>,
    }
}

mod incompatible {
    use super::*;
    /// `by_title` with another sort key and projection, and a new local index.
    #[derive(Entity, Debug, Clone, PartialEq)]
    #[dynamo(
        table = "bookmarks",
        gsi(name = "by_title", partition_key = title, projection = "keys_only"),
        lsi(name = "by_title_local", sort_key = title)
    )]
    pub struct Bookmark {
        #[dynamo(partition_key)]
        pub user: String,
        #[dynamo(sort_key)]
        pub id: String,
        pub title: String,
    }
}

mod streamed {
    use super::*;
    /// v1 with a stream of old and new images.
    #[derive(Entity, Debug, Clone, PartialEq)]
    #[dynamo(table = "bookmarks", stream = "new_and_old_images")]
    pub struct Bookmark {
        #[dynamo(partition_key)]
        pub user: String,
        #[dynamo(sort_key)]
        pub id: String,
        pub title: String,
    }
}

mod keys_streamed {
    use super::*;
    /// v1 with a stream of keys only: another view type.
    #[derive(Entity, Debug, Clone, PartialEq)]
    #[dynamo(table = "bookmarks", stream = "keys_only")]
    pub struct Bookmark {
        #[dynamo(partition_key)]
        pub user: String,
        #[dynamo(sort_key)]
        pub id: String,
        pub title: String,
    }
}

/// The table's stream as DescribeTable shows it: enabled, and its view type.
async fn stream_of(table: &str) -> Option<(bool, String)> {
    let described = client()
        .sdk()
        .describe_table()
        .table_name(table)
        .send()
        .await
        .unwrap();
    described
        .table()
        .and_then(|t| t.stream_specification())
        .map(|s| {
            (
                s.stream_enabled(),
                s.stream_view_type()
                    .map(|v| v.as_str().to_owned())
                    .unwrap_or_default(),
            )
        })
}

#[tokio::test]
async fn ensure_table_enables_a_declared_stream_and_refuses_another_view_type() {
    let name = unique_table("bookmarks");
    let first = client().repository::<v1::Bookmark>().with_table_name(&name);
    first.ensure_table().await.unwrap();
    assert!(!stream_of(&name).await.is_some_and(|(on, _)| on));

    // v2 declares a stream: planned, then enabled.
    let second = client()
        .repository::<streamed::Bookmark>()
        .with_table_name(&name);
    let plan = second.plan_table().await.unwrap();
    assert_eq!(
        plan.enable_stream,
        Some(dynamo_repo::StreamView::NewAndOldImages)
    );
    assert!(!plan.is_empty());
    assert!(
        !stream_of(&name).await.is_some_and(|(on, _)| on),
        "the dry run changed nothing"
    );
    let done = second.ensure_table().await.unwrap();
    assert_eq!(
        done.enable_stream,
        Some(dynamo_repo::StreamView::NewAndOldImages)
    );
    assert_eq!(
        stream_of(&name).await,
        Some((true, "NEW_AND_OLD_IMAGES".to_owned()))
    );
    assert!(second.plan_table().await.unwrap().is_empty());
    // v1 (no stream declared) leaves it on: never disabled.
    assert!(first.ensure_table().await.unwrap().is_empty());
    assert_eq!(
        stream_of(&name).await,
        Some((true, "NEW_AND_OLD_IMAGES".to_owned()))
    );

    // Another view type cannot be changed in place: refused, naming the stream.
    let third = client()
        .repository::<keys_streamed::Bookmark>()
        .with_table_name(&name);
    let err = third.ensure_table().await.unwrap_err();
    let mismatch = err.as_table_mismatch().expect("a typed mismatch");
    assert_eq!(
        mismatch.differences,
        vec![TableDifference::StreamViewType {
            expected: "KEYS_ONLY",
            found: "NEW_AND_OLD_IMAGES".to_owned(),
        }]
    );
    assert!(err.to_string().contains("stream"), "{err}");
    assert_eq!(
        stream_of(&name).await,
        Some((true, "NEW_AND_OLD_IMAGES".to_owned())),
        "nothing changed"
    );

    // create_table creates a declared stream with the table.
    let fresh = unique_table("bookmarks");
    let created = client()
        .repository::<keys_streamed::Bookmark>()
        .with_table_name(&fresh);
    assert!(created.ensure_table().await.unwrap().create_table);
    assert_eq!(
        stream_of(&fresh).await,
        Some((true, "KEYS_ONLY".to_owned()))
    );
    assert!(created.plan_table().await.unwrap().is_empty());
}

#[tokio::test]
async fn ensure_table_adds_a_new_index_and_ttl_and_refuses_what_cannot_change() {
    let name = unique_table("bookmarks");
    let first = client().repository::<v1::Bookmark>().with_table_name(&name);
    assert!(first.plan_table().await.unwrap().create_table);
    let created = first.ensure_table().await.unwrap();
    assert!(created.create_table);
    first
        .put(&v1::Bookmark {
            user: "u1".into(),
            id: "b1".into(),
            title: "rust".into(),
        })
        .await
        .unwrap();

    // The observed failure: v2 declares an index the live table lacks.
    let second = client().repository::<v2::Bookmark>().with_table_name(&name);
    let plan = second.plan_table().await.unwrap();
    assert_eq!(plan.add_indexes, vec!["by_title"]);
    assert_eq!(plan.enable_ttl, Some("expires"));
    assert!(plan.extra_indexes.is_empty());
    assert!(!plan.create_table);
    // The dry run changed nothing.
    assert_eq!(second.plan_table().await.unwrap(), plan);

    let done = second.ensure_table().await.unwrap();
    assert_eq!(done.add_indexes, vec!["by_title"]);
    assert_eq!(done.enable_ttl, Some("expires"));
    assert!(second.plan_table().await.unwrap().is_empty());
    second
        .put(&v2::Bookmark {
            user: "u2".into(),
            id: "b2".into(),
            title: "rust".into(),
            expires: None,
        })
        .await
        .unwrap();
    let found = second
        .query_index(v2::Bookmark::indexes().by_title, "rust")
        .all()
        .await
        .unwrap();
    let ids: Vec<&str> = found.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, ["b1", "b2"], "the new index serves old and new items");
    let ttl = client()
        .sdk()
        .describe_time_to_live()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ttl.time_to_live_description()
            .and_then(|d| d.attribute_name()),
        Some("expires")
    );

    // v1 again: the extra index is reported, never dropped.
    let again = first.ensure_table().await.unwrap();
    assert_eq!(again.extra_indexes, vec!["by_title".to_string()]);
    assert!(again.is_empty());
    assert!(second.plan_table().await.unwrap().is_empty());

    // An incompatible change is refused, naming each index, changing nothing.
    let third = client()
        .repository::<incompatible::Bookmark>()
        .with_table_name(&name);
    let err = third.ensure_table().await.unwrap_err();
    let mismatch = err.as_table_mismatch().expect("a typed mismatch");
    assert!(mismatch.differences.iter().any(|d| matches!(
        d,
        TableDifference::IndexKeys {
            index: "by_title",
            ..
        }
    )));
    assert!(mismatch.differences.iter().any(|d| matches!(
        d,
        TableDifference::IndexProjection {
            index: "by_title",
            ..
        }
    )));
    assert!(mismatch.differences.iter().any(|d| matches!(
        d,
        TableDifference::MissingLocalIndex {
            index: "by_title_local"
        }
    )));
    let text = err.to_string();
    assert!(
        text.contains("`by_title`") && text.contains("`by_title_local`"),
        "{text}"
    );
    assert!(
        second.plan_table().await.unwrap().is_empty(),
        "nothing changed"
    );
}
