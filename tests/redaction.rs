//! No stored value in the `Display` or `Debug` of any error the library
//! returns, unless the application opts in with
//! `dynamo_repo::reveal_values_in_errors(true)` (issue 11, part 5).
//!
//! Every string, binary, map key and key value stored here holds `MARKER`, and
//! every number is `NUMBER`. Each error the library can return is provoked
//! against DynamoDB Local, with the switch off (the marker must be absent)
//! and on (it must be back). The switch is process-wide, so this is one test
//! in its own binary: nothing races it.

use chrono::{DateTime, Utc};
use dynamo_repo::error::ValidationErrorKind;
use dynamo_repo::sdk::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};
use dynamo_repo::unit_of_work::CancellationCode;
use dynamo_repo::value::DecodeErrorKind;
use dynamo_repo::{Attribute, Entity, Error, Item, Key, Repository, RetryPolicy};
use dynamo_repo_tests::faults::FaultInjector;
use dynamo_repo_tests::fresh_repository;
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

const MARKER: &str = "SECRET-MARKER-7f3a";
/// Numbers cannot hold text: this one is the numbers' marker.
const NUMBER: &str = "73579135791";

#[derive(Attribute, Debug, Clone, Copy, PartialEq)]
enum Triage {
    Green,
    Red,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "patients")]
struct Patient {
    #[dynamo(partition_key)]
    id: String,
    #[dynamo(sort_key)]
    visit: String,
    name: String,
    age: u64,
    #[dynamo(binary)]
    scan: Vec<u8>,
    notes: HashMap<String, String>,
    readings: HashMap<String, f64>,
    tags: BTreeSet<String>,
}

fn patient(n: u32) -> Patient {
    let m = |what: &str| format!("{what} {MARKER} #{n}");
    Patient {
        id: m("patient John Doe SSN 123-45-6789"),
        visit: m("visit"),
        name: m("name"),
        age: NUMBER.parse().unwrap(),
        scan: m("scan").into_bytes(),
        notes: HashMap::from([(m("diagnosis"), m("HIV+"))]),
        readings: HashMap::from([(m("pressure"), NUMBER.parse().unwrap())]),
        tags: BTreeSet::from([m("tag")]),
    }
}

// The same table read through stricter types: each stored value becomes one
// kind of decode error.
macro_rules! strict_patient {
    ($name:ident { $($(#[$attr:meta])* $field:ident: $ty:ty),* }) => {
        #[derive(Entity, Debug)]
        #[dynamo(table = "patients")]
        #[allow(dead_code)]
        struct $name {
            #[dynamo(partition_key)]
            id: String,
            #[dynamo(sort_key)]
            visit: String,
            $($(#[$attr])* $field: $ty),*
        }
    };
}
strict_patient!(NameAsUuid { name: uuid::Uuid });
strict_patient!(NameAsChrono { name: DateTime<Utc> });
strict_patient!(NameAsTime {
    name: time::OffsetDateTime
});
strict_patient!(NameAsEnum { name: Triage });
strict_patient!(NameAsChar { name: char });
strict_patient!(NameAsSerde {
    #[dynamo(serde)]
    name: u32
});
strict_patient!(AgeAsU8 { age: u8 });
strict_patient!(NotesAsNumbers { notes: HashMap<String, u32> });

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "charts")]
struct Chart {
    #[dynamo(partition_key)]
    id: String,
    #[dynamo(version)]
    version: u64,
    diagnosis: String,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "app", entity = "ward", pk = "WARD#{ward_id}", sk = "WARD")]
struct Ward {
    ward_id: String,
    name: String,
}

/// The three renderings of an error, and the `Display` of its sources.
fn renderings(e: &Error) -> Vec<String> {
    let mut out = vec![format!("{e}"), format!("{e:?}"), format!("{e:#?}")];
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push(s.to_string());
        source = s.source();
    }
    out
}

fn assert_hidden(what: &str, e: &Error) {
    for text in renderings(e) {
        assert!(
            !text.contains(MARKER) && !text.contains(NUMBER),
            "{what}: a stored value in `{text}`"
        );
    }
}

fn assert_revealed(what: &str, e: &Error) {
    let texts = renderings(e);
    assert!(
        texts[..3]
            .iter()
            .any(|t| t.contains(MARKER) || t.contains(NUMBER)),
        "{what}: values revealed, yet none in {texts:#?}"
    );
}

fn quick() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(3)
        .with_base_delay(Duration::from_millis(1))
}

fn through<T: Entity>(faults: &FaultInjector, repo: &Repository<T>) -> Repository<T> {
    faults
        .client()
        .expect("a test DynamoDB")
        .repository::<T>()
        .with_table_name(repo.table_name())
}

fn strict<T: Entity>(repo: &Repository<Patient>) -> Repository<T> {
    repo.client()
        .repository::<T>()
        .with_table_name(repo.table_name())
}

async fn decode_error<T: Entity + std::fmt::Debug>(
    repo: &Repository<Patient>,
    p: &Patient,
) -> Error {
    let key = Key::<T>::from_item(Patient::key(p.id.clone(), p.visit.clone()).into_item());
    strict::<T>(repo)
        .get(key)
        .await
        .expect_err("a decode error")
}

/// Every error the library returns on items full of markers, named. Checks
/// along the way that the typed accessors return the full data.
async fn provoke() -> Vec<(&'static str, Error)> {
    let mut errors = Vec::new();
    let repo = fresh_repository::<Patient>().await;
    let stored = patient(1);
    repo.put(&stored).await.unwrap();

    // A condition failure returns the stored item (ALL_OLD).
    let e = repo.put(&stored).if_not_exists().await.unwrap_err();
    let failed = e.as_condition_failed().expect("ConditionFailed");
    assert_eq!(failed.existing::<Patient>().unwrap().unwrap(), stored);
    assert_eq!(
        &failed.key,
        Patient::key(stored.id.clone(), stored.visit.clone()).as_item()
    );
    errors.push(("condition failed", e));

    // A version conflict, alone and inside a transaction.
    let charts = fresh_repository::<Chart>().await;
    let mut chart = Chart {
        id: format!("chart {MARKER}"),
        version: 0,
        diagnosis: MARKER.into(),
    };
    charts.save(&mut chart).await.unwrap();
    let mut stale = chart.clone();
    stale.version = 7;
    let e = charts.save(&mut stale).await.unwrap_err();
    let conflict = e.as_version_conflict().expect("VersionConflict");
    assert_eq!(&conflict.key, Chart::key(chart.id.clone()).as_item());
    assert_eq!((conflict.expected, conflict.stored), (Some(7), Some(1)));
    errors.push(("version conflict", e));

    // A cancelled transaction: a put-if-absent on the stored item, a stale chart.
    let client = repo.client().clone();
    let mut uow = client.unit_of_work();
    uow.with_repository(&repo).with_repository(&charts);
    uow.put_if_absent(&stored).put(&stale);
    let e = uow.commit().await.unwrap_err();
    let cancelled = e.as_transaction_canceled().expect("TransactionCanceled");
    assert_eq!(
        cancelled.actions[0].reason,
        CancellationCode::ConditionalCheckFailed
    );
    assert_eq!(
        cancelled.actions[0].existing::<Patient>().unwrap().unwrap(),
        stored
    );
    assert!(matches!(
        cancelled.actions[1].reason,
        CancellationCode::VersionConflict { .. }
    ));
    errors.push(("transaction cancelled", e));

    // Decode errors of every kind a stored value can cause.
    let e = decode_error::<NameAsUuid>(&repo, &stored).await;
    assert!(
        matches!(e.as_decode().unwrap().kind(), DecodeErrorKind::Invalid { found: Some(f), .. } if *f == stored.name),
        "{e:?}"
    );
    errors.push(("UUID", e));
    errors.push(("chrono", decode_error::<NameAsChrono>(&repo, &stored).await));
    errors.push(("time", decode_error::<NameAsTime>(&repo, &stored).await));
    errors.push(("char", decode_error::<NameAsChar>(&repo, &stored).await));
    errors.push(("serde", decode_error::<NameAsSerde>(&repo, &stored).await));
    let e = decode_error::<NameAsEnum>(&repo, &stored).await;
    assert!(
        matches!(e.as_decode().unwrap().kind(), DecodeErrorKind::UnknownVariant { found, .. } if *found == stored.name),
        "{e:?}"
    );
    errors.push(("enum variant", e));
    let e = decode_error::<AgeAsU8>(&repo, &stored).await;
    assert!(
        matches!(e.as_decode().unwrap().kind(), DecodeErrorKind::InvalidNumber { text, .. } if text == NUMBER),
        "{e:?}"
    );
    errors.push(("number", e));
    let e = decode_error::<NotesAsNumbers>(&repo, &stored).await;
    let key = stored.notes.keys().next().unwrap();
    assert_eq!(e.as_decode().unwrap().path(), format!("notes.{key}"));
    errors.push(("map key in the path", e));

    // An item of another entity type (its type attribute holds the marker).
    let wards = fresh_repository::<Ward>().await;
    let ward = Ward {
        ward_id: MARKER.into(),
        name: MARKER.into(),
    };
    let mut raw = ward.to_item();
    raw.insert("_type".into(), AttributeValue::S(format!("nurse {MARKER}")));
    client
        .sdk()
        .put_item()
        .table_name(wards.table_name())
        .set_item(Some(raw))
        .send()
        .await
        .unwrap();
    let e = wards.get(Ward::key(MARKER)).await.unwrap_err();
    assert!(
        matches!(e.as_decode().unwrap().kind(), DecodeErrorKind::WrongEntityType { found: Some(f), .. } if f.contains(MARKER)),
        "{e:?}"
    );
    errors.push(("wrong entity type", e));

    // Batches left incomplete: writes, deletes and reads, with items read.
    let batch = fresh_repository::<Patient>().await;
    let patients: Vec<Patient> = (1..=4).map(patient).collect();
    batch.batch_put(&patients).await.unwrap();
    let doomed = patients[0].id.clone();
    let faults = FaultInjector::new(11).never_process(
        move |item| matches!(item.get("id"), Some(AttributeValue::S(id)) if *id == doomed),
    );
    let faulty = through(&faults, &batch);
    let e = faulty
        .batch_put(&patients)
        .retry_policy(quick())
        .await
        .unwrap_err();
    let rest = e.as_batch_incomplete().expect("BatchIncomplete");
    assert_eq!(
        rest.unprocessed_items::<Patient>().unwrap(),
        vec![patients[0].clone()]
    );
    errors.push(("batch put incomplete", e));
    let keys: Vec<Key<Patient>> = patients
        .iter()
        .map(|p| Patient::key(p.id.clone(), p.visit.clone()))
        .collect();
    let e = faulty
        .batch_get(keys.clone())
        .retry_policy(quick())
        .await
        .unwrap_err();
    let rest = e.as_batch_incomplete().expect("BatchIncomplete");
    assert_eq!(rest.retrieved_items::<Patient>().unwrap().len(), 3);
    errors.push(("batch get incomplete", e));
    let e = faulty
        .batch_delete(keys)
        .retry_policy(quick())
        .await
        .unwrap_err();
    errors.push(("batch delete incomplete", e));

    // Throttled until the retries ran out.
    let faults = FaultInjector::new(12).throttling(1.0).all_operations();
    let throttled = faults
        .client_with_sdk_retry(quick())
        .expect("a test DynamoDB")
        .repository::<Patient>()
        .with_table_name(repo.table_name());
    let e = throttled
        .get(Patient::key(stored.id.clone(), stored.visit.clone()))
        .await
        .unwrap_err();
    assert!(e.is_throttled(), "{e:?}");
    errors.push(("throttled", e));

    // Service errors: a missing table, and a number DynamoDB refuses (sent raw).
    let e = client
        .repository::<Patient>()
        .with_table_name(format!("{}-missing", repo.table_name()))
        .get(Patient::key(stored.id.clone(), stored.visit.clone()))
        .await
        .unwrap_err();
    assert!(e.is_resource_not_found(), "{e:?}");
    // Debug is concise: no raw HTTP response; the SDK's error is the source.
    let debug = format!("{e:?}");
    assert!(debug.contains("ResourceNotFoundException"), "{debug}");
    assert!(
        !debug.contains("headers") && !debug.contains("raw"),
        "{debug}"
    );
    let source = std::error::Error::source(&e).expect("the SDK error as source");
    assert!(format!("{source:?}").contains("raw"), "{source:?}");
    errors.push(("service: missing table", e));
    let mut bad = stored.to_item();
    bad.insert("age".into(), AttributeValue::N(format!("1e{MARKER}")));
    let put = |item: Item| {
        WriteRequest::builder()
            .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
            .build()
    };
    let e = client
        .batch_write_raw([(repo.table_name(), put(bad))])
        .retry_policy(quick())
        .await
        .unwrap_err();
    errors.push(("raw write DynamoDB refuses", e));

    // Validation errors that could echo the input.
    let e = repo
        .batch_put([stored.clone(), stored.clone()])
        .await
        .unwrap_err();
    assert_eq!(
        e.as_validation().unwrap().kind,
        ValidationErrorKind::DuplicateKey
    );
    errors.push(("duplicate key in a batch", e));
    let delete = || {
        WriteRequest::builder()
            .delete_request(
                DeleteRequest::builder()
                    .set_key(Some(
                        Patient::key(stored.id.clone(), stored.visit.clone()).into_item(),
                    ))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let e = client
        .batch_write_raw([(repo.table_name(), delete()), (repo.table_name(), delete())])
        .await
        .unwrap_err();
    assert_eq!(
        e.as_validation().unwrap().kind,
        ValidationErrorKind::DuplicateKey
    );
    errors.push(("duplicate raw delete", e));
    let mut uow = client.unit_of_work();
    uow.with_repository(&repo);
    uow.put(&stored).put(&stored);
    let e = uow.commit().await.unwrap_err();
    assert_eq!(
        e.as_validation().unwrap().kind,
        ValidationErrorKind::DuplicateItem
    );
    errors.push(("duplicate item in a unit of work", e));
    let mut big = stored.clone();
    big.name = MARKER.repeat(400 * 1024 / MARKER.len() + 1);
    let e = repo.batch_put([big.clone()]).await.unwrap_err();
    assert_eq!(
        e.as_validation().unwrap().kind,
        ValidationErrorKind::ItemTooLarge
    );
    errors.push(("item too large in a batch", e));
    errors.push(("item too large", repo.put(&big).await.unwrap_err()));
    let mut long = stored.clone();
    long.id = MARKER.repeat(2048 / MARKER.len() + 1);
    let e = repo.put(&long).await.unwrap_err();
    assert_eq!(
        e.as_validation().unwrap().kind,
        ValidationErrorKind::KeyTooLong
    );
    errors.push(("key too long", e));
    let mut nan = stored.clone();
    nan.readings = HashMap::from([(format!("pressure {MARKER}"), f64::NAN)]);
    let e = repo.put(&nan).await.unwrap_err();
    assert_eq!(
        e.as_validation().unwrap().kind,
        ValidationErrorKind::InvalidNumber
    );
    errors.push(("NaN under a map key", e));
    errors
}

#[tokio::test]
async fn stored_values_stay_out_of_errors_unless_revealed() {
    assert!(!dynamo_repo::values_revealed(), "off by default");
    let errors = provoke().await;
    for (what, e) in &errors {
        assert_hidden(what, e);
    }

    // Values are shown once the application opts in: errors made before are
    // formatted with the switch as it is now; validation messages, composed
    // when the error is made, show them when made after.
    dynamo_repo::reveal_values_in_errors(true);
    let format_time = [
        "condition failed",
        "transaction cancelled",
        "UUID",
        "map key in the path",
    ];
    for (what, e) in errors.iter().filter(|(w, _)| format_time.contains(w)) {
        assert_revealed(what, e);
    }
    let revealed = provoke().await;
    assert_eq!(errors.len(), revealed.len());
    // These errors hold no stored value at all.
    let valueless = [
        "throttled",
        "service: missing table",
        "raw write DynamoDB refuses",
        "item too large",
        "key too long",
        "serde", // serde_dynamo's message ("Expected num") quotes nothing
    ];
    for (what, e) in revealed.iter().filter(|(w, _)| !valueless.contains(w)) {
        assert_revealed(what, e);
    }

    // Turned off again, the errors formatted at format time hide the values again.
    dynamo_repo::reveal_values_in_errors(false);
    for (what, e) in revealed.iter().filter(|(w, _)| format_time.contains(w)) {
        assert_hidden(what, e);
    }
}
