//! Units of work against DynamoDB Local: one TransactWriteItems per commit,
//! validation, idempotent retries, typed cancellations, optimistic locking
//! and timestamps.

use dynamo_repo::unit_of_work::CancellationCode;
use dynamo_repo::{Client, Entity, Error, Repository, RetryPolicy, ValidationErrorKind};
use dynamo_repo_testkit::{FaultInjector, RequestRecorder};
use dynamo_repo_tests::{client, fresh_repository, unique_table};
use std::time::Duration;

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "accounts")]
pub struct Account {
    #[dynamo(partition_key)]
    pub id: String,
    pub balance: i64,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "ledger")]
pub struct Entry {
    #[dynamo(partition_key)]
    pub account: String,
    #[dynamo(sort_key)]
    pub seq: u64,
    pub amount: i64,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "counters")]
pub struct Counter {
    #[dynamo(partition_key)]
    pub id: String,
    #[dynamo(version)]
    pub version: u64,
    pub value: u64,
    #[dynamo(created_at)]
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
    #[dynamo(updated_at)]
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn account(id: &str, balance: i64) -> Account {
    Account {
        id: id.into(),
        balance,
    }
}

/// Accounts table on a client with transaction fault injection.
async fn accounts_with(
    faults: &FaultInjector,
    sdk_retry: RetryPolicy,
) -> (Client, Repository<Account>) {
    let client = faults.client_with_sdk_retry(sdk_retry).unwrap();
    let repo = client
        .repository::<Account>()
        .with_table_name(unique_table("accounts"));
    repo.create_table().await.unwrap();
    (client, repo)
}

#[tokio::test]
async fn a_commit_sends_exactly_one_request_and_an_empty_unit_none() {
    let recorder = RequestRecorder::new();
    let client = recorder.client().unwrap();
    let accounts = client
        .repository::<Account>()
        .with_table_name(unique_table("accounts"));
    accounts.create_table().await.unwrap();
    let ledger = client
        .repository::<Entry>()
        .with_table_name(unique_table("ledger"));
    ledger.create_table().await.unwrap();
    recorder.take();

    let mut empty = client.unit_of_work();
    let committed = empty.commit().await.unwrap();
    assert_eq!(committed.attempts, 0);
    assert!(
        recorder.requests().is_empty(),
        "an empty unit sends nothing"
    );

    let f = Account::fields();
    let mut uow = client.unit_of_work();
    uow.with_repository(&accounts).with_repository(&ledger);
    uow.put(&account("a", 100))
        .put(&account("b", 0))
        .put(&Entry {
            account: "a".into(),
            seq: 1,
            amount: -10,
        })
        .update(Account::key("c"), |u| u.set(&f.balance, 5));
    let committed = uow.commit().await.unwrap();
    assert_eq!(committed.attempts, 1);
    let sent = recorder.take();
    assert_eq!(sent.len(), 1, "exactly one request: {sent:?}");
    assert_eq!(
        (sent[0].operation.as_str(), sent[0].items),
        ("TransactWriteItems", 4)
    );
    assert_eq!(
        accounts.get(Account::key("c")).await.unwrap(),
        Some(account("c", 5))
    );
    assert_eq!(ledger.query("a").count().await.unwrap(), 1);
}

#[tokio::test]
async fn concurrent_bank_transfers_keep_the_total_and_never_go_negative() {
    let accounts = fresh_repository::<Account>().await;
    let ids: Vec<String> = (0..10).map(|i| format!("acct-{i}")).collect();
    for id in &ids {
        accounts.put(&account(id, 1_000)).await.unwrap();
    }
    let mut tasks = Vec::new();
    for task in 0..8u64 {
        let accounts = accounts.clone();
        let ids = ids.clone();
        tasks.push(tokio::spawn(async move {
            let f = Account::fields();
            let mut x = task * 7919 + 1;
            let mut next = move |n: u64| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % n
            };
            let (mut done, mut refused) = (0, 0);
            for _ in 0..100 {
                let from = next(10) as usize;
                let to = (from + 1 + next(9) as usize) % 10;
                let amount = 1 + next(400) as i64;
                let mut uow = accounts.client().unit_of_work();
                uow.with_repository(&accounts)
                    .update_if(Account::key(&ids[from]), f.balance.ge(amount), |u| {
                        u.decrement(&f.balance, amount)
                    })
                    .update(Account::key(&ids[to]), |u| u.increment(&f.balance, amount));
                match uow.commit().await {
                    Ok(_) => done += 1,
                    Err(Error::TransactionCanceled(c)) => {
                        let failed: Vec<_> = c.failed().collect();
                        assert_eq!(failed.len(), 1);
                        assert_eq!(failed[0].position, 0, "only the debit has a condition");
                        assert_eq!(failed[0].reason, CancellationCode::ConditionalCheckFailed);
                        let stored: Account = failed[0].existing().unwrap().unwrap();
                        assert!(
                            stored.balance < amount,
                            "refused only when funds were short"
                        );
                        refused += 1;
                    }
                    Err(e) => panic!("unexpected error: {e:?}"),
                }
            }
            (done, refused)
        }));
    }
    let mut done = 0;
    for t in tasks {
        let (d, r) = t.await.unwrap();
        assert_eq!(d + r, 100);
        done += d;
    }
    assert!(done > 0);
    let all = accounts.scan().all().await.unwrap();
    assert_eq!(all.len(), 10);
    assert_eq!(
        all.iter().map(|a| a.balance).sum::<i64>(),
        10_000,
        "money is neither created nor lost"
    );
    assert!(all.iter().all(|a| a.balance >= 0), "{all:?}");
}

#[tokio::test]
async fn cancellation_reasons_map_to_actions_in_order_with_the_stored_item() {
    let accounts = fresh_repository::<Account>().await;
    accounts.put(&account("a", 10)).await.unwrap();
    accounts.put(&account("b", 3)).await.unwrap();
    let f = Account::fields();
    let mut uow = accounts.client().unit_of_work();
    uow.with_repository(&accounts)
        .update_if(Account::key("a"), f.balance.ge(5), |u| {
            u.decrement(&f.balance, 5)
        })
        .update_if(Account::key("b"), f.balance.ge(5), |u| {
            u.decrement(&f.balance, 5)
        });
    let err = uow.commit().await.unwrap_err();
    let cancelled = err.as_transaction_canceled().expect("a typed cancellation");
    assert_eq!(cancelled.actions.len(), 2);
    assert_eq!(cancelled.actions[0].reason, CancellationCode::None);
    let second = &cancelled.actions[1];
    assert_eq!(second.position, 1);
    assert_eq!(second.reason, CancellationCode::ConditionalCheckFailed);
    assert_eq!(second.entity, "Account");
    assert_eq!(second.operation, "Update");
    assert_eq!(second.table, accounts.table_name());
    assert_eq!(&second.key, Account::key("b").as_item());
    assert_eq!(
        second.existing::<Account>().unwrap().unwrap(),
        account("b", 3)
    );
    // A sentence, with the key's names, types and sizes (values are not revealed).
    assert_eq!(
        err.to_string(),
        format!(
            "transaction cancelled, nothing applied: action 1 (Update of Account \
             {{id: S(1 bytes)}} in table `{}`) failed its condition",
            accounts.table_name()
        )
    );
    // Nothing was applied.
    assert_eq!(
        accounts
            .get(Account::key("a"))
            .await
            .unwrap()
            .unwrap()
            .balance,
        10
    );
}

#[tokio::test]
async fn condition_checks_guard_items_that_are_not_written() {
    let accounts = fresh_repository::<Account>().await;
    accounts.put(&account("frozen", 0)).await.unwrap();
    let f = Account::fields();
    let mut uow = accounts.client().unit_of_work();
    uow.with_repository(&accounts)
        .check(Account::key("frozen"), f.balance.gt(0))
        .put(&account("new", 1));
    let err = uow.commit().await.unwrap_err();
    let c = err.as_transaction_canceled().unwrap();
    assert_eq!(c.actions[0].operation, "ConditionCheck");
    assert_eq!(
        c.actions[0].reason,
        CancellationCode::ConditionalCheckFailed
    );
    assert_eq!(accounts.get(Account::key("new")).await.unwrap(), None);
}

#[tokio::test]
async fn replaying_a_token_applies_once_and_a_changed_payload_is_refused() {
    let accounts = fresh_repository::<Account>().await;
    accounts.put(&account("a", 0)).await.unwrap();
    let f = Account::fields();
    // A token of this run only: servers keep a token bound for 10 minutes, so a
    // fixed one would collide with an earlier run on a server kept running.
    let token = format!("r-{}", uuid::Uuid::new_v4().simple());
    let mut uow = accounts.client().unit_of_work();
    uow.with_repository(&accounts)
        .client_request_token(token.clone())
        .update(Account::key("a"), |u| u.increment(&f.balance, 10));
    for _ in 0..3 {
        let committed = uow.commit().await.unwrap();
        assert_eq!(committed.token.as_deref(), Some(token.as_str()));
    }
    assert_eq!(
        accounts
            .get(Account::key("a"))
            .await
            .unwrap()
            .unwrap()
            .balance,
        10,
        "applied once"
    );
    let mut other = accounts.client().unit_of_work();
    other
        .with_repository(&accounts)
        .client_request_token(token.clone())
        .update(Account::key("a"), |u| u.increment(&f.balance, 99));
    let err = other.commit().await.unwrap_err();
    assert!(
        matches!(&err, Error::Service { code: Some(c), .. } if c == "IdempotentParameterMismatchException"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_transaction_conflict_is_retried_with_the_same_token_and_applied_once() {
    let faults = FaultInjector::new(1).first_transactions_conflict(2);
    let (client, accounts) = accounts_with(&faults, RetryPolicy::none()).await;
    accounts.put(&account("a", 0)).await.unwrap();
    let f = Account::fields();
    let mut uow = client.unit_of_work();
    uow.with_repository(&accounts)
        .retry_policy(RetryPolicy::default().with_base_delay(Duration::from_millis(5)))
        .update(Account::key("a"), |u| u.increment(&f.balance, 7));
    let committed = uow.commit().await.unwrap();
    assert_eq!(committed.attempts, 3);
    let tokens = faults.transaction_tokens();
    assert_eq!(tokens.len(), 3);
    assert!(
        tokens.iter().all(|t| Some(t) == committed.token.as_ref()),
        "{tokens:?}"
    );
    assert_eq!(
        accounts
            .get(Account::key("a"))
            .await
            .unwrap()
            .unwrap()
            .balance,
        7
    );
}

#[tokio::test]
async fn conflicts_past_the_retry_budget_are_a_typed_error() {
    let faults = FaultInjector::new(2).first_transactions_conflict(10);
    let (client, accounts) = accounts_with(&faults, RetryPolicy::none()).await;
    let mut uow = client.unit_of_work();
    uow.with_repository(&accounts)
        .retry_policy(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_base_delay(Duration::from_millis(1)),
        )
        .put(&account("a", 1));
    let err = uow.commit().await.unwrap_err();
    let c = err.as_transaction_canceled().unwrap();
    assert_eq!(c.actions[0].reason, CancellationCode::TransactionConflict);
    assert_eq!(faults.transaction_tokens().len(), 3, "bounded attempts");
    assert_eq!(accounts.get(Account::key("a")).await.unwrap(), None);
}

#[tokio::test]
async fn a_response_lost_after_the_write_is_retried_and_applied_once() {
    let faults = FaultInjector::new(3).first_responses_lost(2);
    // The SDK's own retries resend the same serialized request, token included.
    let (client, accounts) = accounts_with(
        &faults,
        RetryPolicy::default().with_base_delay(Duration::from_millis(5)),
    )
    .await;
    // Set up through a plain client, so only the commit meets the lost responses.
    dynamo_repo_tests::client()
        .repository::<Account>()
        .with_table_name(accounts.table_name())
        .put(&account("a", 0))
        .await
        .unwrap();
    let f = Account::fields();
    let mut uow = client.unit_of_work();
    uow.with_repository(&accounts)
        .update(Account::key("a"), |u| u.increment(&f.balance, 10));
    let committed = uow.commit().await.unwrap();
    let tokens = faults.transaction_tokens();
    assert_eq!(tokens.len(), 3, "two lost responses, then success");
    assert!(tokens.iter().all(|t| Some(t) == committed.token.as_ref()));
    assert_eq!(
        accounts
            .get(Account::key("a"))
            .await
            .unwrap()
            .unwrap()
            .balance,
        10,
        "applied exactly once"
    );
}

fn validation(err: Error) -> dynamo_repo::ValidationError {
    match err {
        Error::Validation(v) => v,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn every_validation_error_names_the_action_and_sends_nothing() {
    let recorder = RequestRecorder::new();
    let client = recorder.client().unwrap();
    let f = Account::fields();

    let mut too_many = client.unit_of_work();
    for i in 0..101 {
        too_many.put(&account(&format!("a{i}"), 0));
    }
    let v = validation(too_many.commit().await.unwrap_err());
    assert_eq!(v.kind, ValidationErrorKind::TooManyActions);
    assert!(
        v.message
            .contains("action 100 (Put of Account {id: S(4 bytes)}"),
        "{}",
        v.message
    );

    let mut duplicate = client.unit_of_work();
    duplicate
        .put(&account("a", 1))
        .update(Account::key("b"), |u| u.set(&f.balance, 1))
        .delete(Account::key("a"));
    let v = validation(duplicate.commit().await.unwrap_err());
    assert_eq!(v.kind, ValidationErrorKind::DuplicateItem);
    assert_eq!(v.action, Some(2));
    assert!(
        v.message
            .contains("action 0 (Put of Account {id: S(1 bytes)}")
            && v.message.contains("action 2 (Delete"),
        "{}",
        v.message
    );

    // validate() runs the same checks, without building or sending a request.
    assert_eq!(
        validation(duplicate.validate().unwrap_err()).kind,
        ValidationErrorKind::DuplicateItem
    );
    assert_eq!(
        validation(too_many.validate().unwrap_err()).kind,
        ValidationErrorKind::TooManyActions
    );
    let mut fine = client.unit_of_work();
    fine.put(&account("a", 1))
        .update(Account::key("b"), |u| u.set(&f.balance, 1));
    fine.validate().unwrap();

    let mut empty_key = client.unit_of_work();
    empty_key
        .put(&account("ok", 1))
        .update(Account::key(""), |u| u.set(&f.balance, 1));
    let v = validation(empty_key.commit().await.unwrap_err());
    assert_eq!((v.kind, v.action), (ValidationErrorKind::EmptyKey, Some(1)));

    let mut oversize = client.unit_of_work();
    let big = Entry {
        account: "a".into(),
        seq: 1,
        amount: 0,
    };
    oversize.put(&big);
    #[derive(Entity)]
    #[dynamo(table = "blobs")]
    struct Blob {
        #[dynamo(partition_key)]
        id: String,
        data: String,
    }
    oversize.put(&Blob {
        id: "big".into(),
        data: "x".repeat(401 * 1024),
    });
    let v = validation(oversize.commit().await.unwrap_err());
    assert_eq!(
        (v.kind, v.action, v.entity),
        (ValidationErrorKind::ItemTooLarge, Some(1), Some("Blob"))
    );

    let mut four_mb = client.unit_of_work();
    for i in 0..11 {
        four_mb.put(&Blob {
            id: format!("b{i}"),
            data: "x".repeat(390 * 1024),
        });
    }
    let v = validation(four_mb.commit().await.unwrap_err());
    assert_eq!(v.kind, ValidationErrorKind::ItemTooLarge);
    assert!(v.message.contains("4 MB"), "{}", v.message);

    let mut token = client.unit_of_work();
    token
        .client_request_token("x".repeat(37))
        .put(&account("a", 1));
    assert!(validation(token.commit().await.unwrap_err())
        .message
        .contains("1 to 36"));

    let mut key_update = client.unit_of_work();
    key_update.update(Account::key("a"), |u| u.set(&f.id, "b"));
    assert_eq!(
        validation(key_update.commit().await.unwrap_err()).kind,
        ValidationErrorKind::KeyUpdate
    );

    assert!(
        recorder.requests().is_empty(),
        "no invalid unit reached DynamoDB: {:?}",
        recorder.requests()
    );
}

#[tokio::test]
async fn transact_get_reads_typed_items_across_entities() {
    let client = client();
    let accounts = fresh_repository::<Account>().await;
    let ledger = fresh_repository::<Entry>().await;
    accounts.put(&account("a", 5)).await.unwrap();
    ledger
        .put(&Entry {
            account: "a".into(),
            seq: 1,
            amount: 5,
        })
        .await
        .unwrap();
    let mut tx = client.transact_get();
    tx.with_repository(&accounts).with_repository(&ledger);
    let a = tx.get(Account::key("a"));
    let missing = tx.get(Account::key("nobody"));
    let e = tx.get(Entry::key("a", 1));
    let mut results = tx.send().await.unwrap();
    assert_eq!(results.take(a).unwrap(), Some(account("a", 5)));
    assert_eq!(results.take(missing).unwrap(), None);
    assert_eq!(results.take(e).unwrap().unwrap().amount, 5);
    let mut dup = client.transact_get();
    dup.get(Account::key("a"));
    dup.get(Account::key("a"));
    assert!(dup.send().await.unwrap_err().is_validation());
}

#[tokio::test]
async fn versions_are_checked_and_bumped_on_every_write_path() {
    let counters = fresh_repository::<Counter>().await;
    let mut c = Counter {
        id: "c".into(),
        version: 0,
        value: 0,
        created_at: None,
        updated_at: None,
    };
    counters.save(&mut c).await.unwrap();
    assert_eq!(c.version, 1);
    let created = c.created_at.expect("created_at is set on creation");
    let updated = c.updated_at.expect("updated_at is set on every write");
    assert!(updated >= created && updated - created < chrono::Duration::seconds(1));

    // A second "new" put of the same key is a version conflict.
    let fresh = Counter {
        id: "c".into(),
        version: 0,
        value: 9,
        created_at: None,
        updated_at: None,
    };
    let err = counters.put(&fresh).await.unwrap_err();
    let conflict = err.as_version_conflict().expect("version conflict");
    assert_eq!((conflict.expected, conflict.stored), (None, Some(1)));

    tokio::time::sleep(Duration::from_millis(20)).await;
    c.value = 1;
    counters.save(&mut c).await.unwrap();
    assert_eq!(c.version, 2);
    assert_eq!(
        c.created_at,
        Some(created),
        "created_at is never overwritten by a put"
    );
    assert!(c.updated_at.unwrap() > created, "updated_at moves");

    // A stale copy is refused on put, update and delete.
    let stale = Counter {
        version: 1,
        ..c.clone()
    };
    for err in [
        counters.put(&stale).await.unwrap_err(),
        counters
            .update_item(&stale)
            .set(&Counter::fields().value, 5)
            .await
            .unwrap_err(),
        counters.delete_item(&stale).await.unwrap_err(),
    ] {
        let conflict = err
            .as_version_conflict()
            .unwrap_or_else(|| panic!("{err:?}"));
        assert_eq!((conflict.expected, conflict.stored), (Some(1), Some(2)));
    }

    // update_item with the current version bumps it; key-only update bumps without checking.
    let after = counters
        .update_item(&c)
        .set(&Counter::fields().value, 3)
        .return_new()
        .await
        .unwrap();
    assert_eq!(
        (after.version, after.value, after.created_at),
        (3, 3, Some(created))
    );
    let after = counters
        .update(Counter::key("c"))
        .set(&Counter::fields().value, 4)
        .return_new()
        .await
        .unwrap();
    assert_eq!(after.version, 4);

    // In a unit of work too, with the stored version reported.
    let mut uow = counters.client().unit_of_work();
    uow.with_repository(&counters).put(&stale);
    let err = uow.commit().await.unwrap_err();
    let reason = &err.as_transaction_canceled().unwrap().actions[0].reason;
    assert_eq!(
        reason,
        &CancellationCode::VersionConflict {
            expected: Some(1),
            stored: Some(4)
        }
    );
    counters.delete_item(&after).await.unwrap();
    assert_eq!(counters.get(Counter::key("c")).await.unwrap(), None);
}

#[tokio::test]
async fn concurrent_versioned_increments_lose_nothing() {
    let counters = fresh_repository::<Counter>().await;
    let mut first = Counter {
        id: "hot".into(),
        version: 0,
        value: 0,
        created_at: None,
        updated_at: None,
    };
    counters.save(&mut first).await.unwrap();
    let mut tasks = Vec::new();
    for task in 0..8 {
        let counters = counters.clone();
        tasks.push(tokio::spawn(async move {
            let (mut commits, mut conflicts) = (0u64, 0u64);
            for i in 0..50 {
                loop {
                    let mut c = counters.get(Counter::key("hot")).await.unwrap().unwrap();
                    c.value += 1;
                    // Half through units of work, half through the repository.
                    let result = if (task + i) % 2 == 0 {
                        let mut uow = counters.client().unit_of_work();
                        uow.with_repository(&counters).put(&c);
                        uow.commit().await.map(|_| ())
                    } else {
                        counters.put(&c).await
                    };
                    match result {
                        Ok(()) => {
                            commits += 1;
                            break;
                        }
                        Err(e) if e.is_version_conflict() => conflicts += 1,
                        Err(Error::TransactionCanceled(t))
                            if matches!(
                                t.actions[0].reason,
                                CancellationCode::VersionConflict { .. }
                            ) =>
                        {
                            conflicts += 1
                        }
                        Err(e) => panic!("{e:?}"),
                    }
                }
            }
            (commits, conflicts)
        }));
    }
    let mut commits = 0;
    for t in tasks {
        commits += t.await.unwrap().0;
    }
    assert_eq!(commits, 400);
    let last = counters.get(Counter::key("hot")).await.unwrap().unwrap();
    assert_eq!(last.value, 400, "no increment lost");
    assert_eq!(
        last.version,
        1 + commits,
        "one version per successful write"
    );
}
