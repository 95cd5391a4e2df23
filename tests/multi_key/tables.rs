//! `ensure_table` / `plan_table` with a multi-attribute index: added to a
//! table that lacks it, and another order or number of key attributes
//! refused as a mismatch, changing nothing.

use dynamo_repo::repository::TableDifference;
use dynamo_repo::Entity;
use dynamo_repo_tests::{client, unique_table};

mod v1 {
    use super::*;
    /// Before the index.
    #[derive(Entity, Debug, Clone, PartialEq)]
    #[dynamo(table = "tasks")]
    pub struct Task {
        #[dynamo(partition_key)]
        pub id: String,
        pub team: String,
        pub state: String,
        pub due: u64,
    }
}

mod v2 {
    use super::*;
    /// With a multi-attribute index.
    #[derive(Entity, Debug, Clone, PartialEq)]
    #[dynamo(
        table = "tasks",
        gsi(name = "by_team_state", partition_key = [team, state], sort_key = [due, id])
    )]
    pub struct Task {
        #[dynamo(partition_key)]
        pub id: String,
        pub team: String,
        pub state: String,
        pub due: u64,
    }
}

mod reordered {
    use super::*;
    /// The same attributes in another order.
    #[derive(Entity, Debug, Clone, PartialEq)]
    #[dynamo(
        table = "tasks",
        gsi(name = "by_team_state", partition_key = [state, team], sort_key = [due, id])
    )]
    pub struct Task {
        #[dynamo(partition_key)]
        pub id: String,
        pub team: String,
        pub state: String,
        pub due: u64,
    }
}

mod fewer {
    use super::*;
    /// One attribute fewer on each side.
    #[derive(Entity, Debug, Clone, PartialEq)]
    #[dynamo(
        table = "tasks",
        gsi(name = "by_team_state", partition_key = team, sort_key = due)
    )]
    pub struct Task {
        #[dynamo(partition_key)]
        pub id: String,
        pub team: String,
        pub state: String,
        pub due: u64,
    }
}

#[tokio::test]
async fn ensure_table_adds_a_multi_attribute_index_and_refuses_another_key() {
    let name = unique_table("tasks");
    let first = client().repository::<v1::Task>().with_table_name(&name);
    assert!(first.ensure_table().await.unwrap().create_table);
    for (id, state, due) in [("t1", "todo", 3), ("t2", "todo", 1), ("t3", "done", 2)] {
        first
            .put(&v1::Task {
                id: id.into(),
                team: "core".into(),
                state: state.into(),
                due,
            })
            .await
            .unwrap();
    }
    let second = client().repository::<v2::Task>().with_table_name(&name);
    let plan = second.plan_table().await.unwrap();
    assert_eq!(plan.add_indexes, vec!["by_team_state"]);
    let done = second.ensure_table().await.unwrap();
    assert_eq!(done.add_indexes, vec!["by_team_state"]);
    assert!(second.plan_table().await.unwrap().is_empty());
    let todo = second
        .query_index_keys(v2::Task::indexes().by_team_state, ("core", "todo"))
        .all()
        .await
        .unwrap();
    let todo: Vec<&str> = todo.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(todo, ["t2", "t1"], "the added index serves earlier items");

    for (label, err) in [
        (
            "reordered",
            client()
                .repository::<reordered::Task>()
                .with_table_name(&name)
                .ensure_table()
                .await
                .unwrap_err(),
        ),
        (
            "fewer",
            client()
                .repository::<fewer::Task>()
                .with_table_name(&name)
                .plan_table()
                .await
                .unwrap_err(),
        ),
    ] {
        let mismatch = err.as_table_mismatch().expect("a typed mismatch");
        let keys = mismatch
            .differences
            .iter()
            .find_map(|d| match d {
                TableDifference::IndexKeys {
                    index: "by_team_state",
                    expected,
                    found,
                } => Some((expected.clone(), found.clone())),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{label}: {:?}", mismatch.differences));
        assert_eq!(
            keys.1, "[team (HASH), state (HASH), due (RANGE), id (RANGE)]",
            "{label}"
        );
        assert_ne!(keys.0, keys.1, "{label}");
    }
    // Nothing was changed.
    assert!(second.plan_table().await.unwrap().is_empty());
}
