//! Keys of different entity types never collide on a write, against
//! DynamoDB Local (issue 11, section 4): every put, update, delete and
//! unit-of-work action of a typed entity checks the type of the item it lands
//! on, and typed batch writes need an explicit opt-out. The compile-time half
//! (ambiguous templates) is `ui/template_ambiguous.rs`.

use dynamo_repo::error::ValidationErrorKind;
use dynamo_repo::unit_of_work::CancellationCode;
use dynamo_repo::{Entity, Error, Key, Repository, WriteOp};
use dynamo_repo_tests::fresh_repository;

/// One row per org: `PK = ORG#<org_id>`, `SK = ORG`.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "app", entity = "org", pk = "ORG#{org_id}", sk = "ORG")]
pub struct Org {
    pub org_id: String,
    pub name: String,
    pub plan: String,
}

/// Labels in their org's partition. Its template is unambiguous on its own
/// (it starts with literal text and the placeholder ends it), yet label `RG`
/// renders the org's own key `ORG#acme / ORG`: a derive cannot see the other
/// entities of the table, so only the write-time type check keeps a label off
/// the org. (The observed `sk = "{label}"` no longer compiles.)
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "app", entity = "label", pk = "ORG#{org_id}", sk = "O{label}")]
pub struct Label {
    pub org_id: String,
    pub label: String,
    pub color: String,
}

/// A versioned typed entity with the same collision (`topic = "RG"`).
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "app", entity = "note", pk = "ORG#{org_id}", sk = "O{topic}")]
pub struct Note {
    pub org_id: String,
    pub topic: String,
    pub text: String,
    #[dynamo(version)]
    pub version: u64,
}

struct Repos {
    orgs: Repository<Org>,
    labels: Repository<Label>,
    notes: Repository<Note>,
}

/// A fresh table holding the org `acme`.
async fn seeded() -> Repos {
    let orgs = fresh_repository::<Org>().await;
    let table = orgs.table_name().to_owned();
    let client = orgs.client().clone();
    orgs.put(&acme()).await.unwrap();
    Repos {
        labels: client.repository::<Label>().with_table_name(&table),
        notes: client.repository::<Note>().with_table_name(&table),
        orgs,
    }
}

fn acme() -> Org {
    Org {
        org_id: "acme".into(),
        name: "Acme".into(),
        plan: "pro".into(),
    }
}

fn label(org: &str, label: &str, color: &str) -> Label {
    Label {
        org_id: org.into(),
        label: label.into(),
        color: color.into(),
    }
}

/// The org's item exactly as stored.
async fn stored_org(r: &Repos) -> Option<dynamo_repo::Item> {
    r.orgs
        .client()
        .sdk()
        .get_item()
        .table_name(r.orgs.table_name())
        .set_key(Some(Org::key("acme").into_item()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

/// The label-at-the-org's-key key.
fn colliding() -> Key<Label> {
    Label::key("acme", "RG")
}

/// Asserts `err` is the typed mismatch of a `Label` write on the org, and
/// that it names both types but no stored value or key.
fn assert_label_refused(err: &Error, operation: &str) {
    let wrong = err
        .as_wrong_entity_type()
        .unwrap_or_else(|| panic!("expected WrongEntityType, got {err:?}"));
    assert_eq!(wrong.operation, operation);
    assert_eq!(wrong.entity, "Label");
    assert_eq!(wrong.expected, "label");
    assert_eq!(wrong.found.as_deref(), Some("org"));
    assert_eq!(wrong.attribute, "_type");
    let shown = format!("{err} {err:?}");
    assert!(
        shown.contains("`org`") && shown.contains("`label`"),
        "{shown}"
    );
    for value in ["acme", "Acme", "pro", "ORG#"] {
        assert!(!shown.contains(value), "{value:?} leaked into {shown}");
    }
}

#[tokio::test]
async fn a_label_put_update_or_delete_on_an_orgs_key_is_refused_and_the_org_is_unchanged() {
    let r = seeded().await;
    // The collision the compile-time rule cannot see.
    assert_eq!(colliding().as_item(), Org::key("acme").as_item());
    let before = stored_org(&r).await.expect("the org is stored");

    // Observed: the label put replaced the org item.
    let err = r.labels.put(&label("acme", "RG", "red")).await.unwrap_err();
    assert_label_refused(&err, "PutItem");
    assert_eq!(stored_org(&r).await.as_ref(), Some(&before));

    // With the caller's own condition too: the type is what is reported.
    let err = r
        .labels
        .put(&label("acme", "RG", "red"))
        .if_not_exists()
        .await
        .unwrap_err();
    assert_label_refused(&err, "PutItem");
    let mut l = label("acme", "RG", "red");
    let err = r.labels.save(&mut l).await.unwrap_err();
    assert_label_refused(&err, "PutItem");

    // Observed: an update wrote into the org (still tagged as an org).
    let err = r
        .labels
        .update(colliding())
        .set(Label::fields().color, "red")
        .await
        .unwrap_err();
    assert_label_refused(&err, "UpdateItem");
    let err = r
        .labels
        .update(colliding())
        .set(Label::fields().color, "red")
        .return_new()
        .await
        .unwrap_err();
    assert_label_refused(&err, "UpdateItem");
    assert_eq!(stored_org(&r).await.as_ref(), Some(&before));

    // A delete through the label repository would remove the org.
    let err = r.labels.delete(colliding()).await.unwrap_err();
    assert_label_refused(&err, "DeleteItem");
    let err = r.labels.delete(colliding()).return_old().await.unwrap_err();
    assert_label_refused(&err, "DeleteItem");
    assert_eq!(stored_org(&r).await.as_ref(), Some(&before));
    assert_eq!(r.orgs.get(Org::key("acme")).await.unwrap(), Some(acme()));
}

#[tokio::test]
async fn the_type_check_composes_with_existence_version_and_caller_conditions() {
    let r = seeded().await;
    let f = Label::fields();
    // Labels at their own keys are written as before, with their conditions.
    r.labels
        .put(&label("acme", "-vip", "red"))
        .if_not_exists()
        .await
        .unwrap();
    let err = r
        .labels
        .put(&label("acme", "-vip", "blue"))
        .if_not_exists()
        .await
        .unwrap_err();
    assert!(err.is_condition_failed(), "{err:?}");
    let err = r
        .labels
        .put(&label("acme", "-vip", "blue"))
        .condition(f.color.eq("green"))
        .await
        .unwrap_err();
    assert!(err.is_condition_failed(), "{err:?}");
    r.labels
        .put(&label("acme", "-vip", "blue"))
        .condition(f.color.eq("red"))
        .await
        .unwrap();
    let err = r
        .labels
        .update(Label::key("acme", "-none"))
        .set(&f.color, "red")
        .if_exists()
        .await
        .unwrap_err();
    assert!(err.is_condition_failed(), "{err:?}");
    r.labels
        .update(Label::key("acme", "-vip"))
        .set(&f.color, "gold")
        .condition(f.color.eq("blue"))
        .await
        .unwrap();
    let err = r
        .labels
        .delete(Label::key("acme", "-vip"))
        .condition(f.color.eq("red"))
        .await
        .unwrap_err();
    assert!(err.is_condition_failed(), "{err:?}");
    r.labels
        .delete(Label::key("acme", "-vip"))
        .if_exists()
        .await
        .unwrap();

    // Versioned: a stale save is a version conflict, a save onto the org is
    // the type mismatch (its put-if-absent version check fails with it).
    let mut note = Note {
        org_id: "acme".into(),
        topic: "-plans".into(),
        text: "v1".into(),
        version: 0,
    };
    r.notes.save(&mut note).await.unwrap();
    let stale = note.clone();
    note.text = "v2".into();
    r.notes.save(&mut note).await.unwrap();
    let err = r.notes.put(&stale).await.unwrap_err();
    assert!(err.is_version_conflict(), "{err:?}");
    let mut onto_org = Note {
        topic: "RG".into(),
        ..stale.clone()
    };
    onto_org.version = 0;
    let err = r.notes.save(&mut onto_org).await.unwrap_err();
    let wrong = err.as_wrong_entity_type().expect("a type mismatch");
    assert_eq!(
        (wrong.expected, wrong.found.as_deref()),
        ("note", Some("org"))
    );
    let err = r.notes.delete_item(&onto_org).await.unwrap_err();
    assert!(err.is_wrong_entity_type(), "{err:?}");
    assert_eq!(r.orgs.get(Org::key("acme")).await.unwrap(), Some(acme()));
}

/// The reason DynamoDB's cancellation gives for each action, in order.
fn reasons(err: &Error) -> Vec<CancellationCode> {
    err.as_transaction_canceled()
        .unwrap_or_else(|| panic!("expected a cancelled transaction, got {err:?}"))
        .actions
        .iter()
        .map(|a| a.reason.clone())
        .collect()
}

#[tokio::test]
async fn unit_of_work_actions_on_an_orgs_key_are_cancelled_with_both_types() {
    let r = seeded().await;
    let client = r.orgs.client().clone();
    let before = stored_org(&r).await.expect("the org is stored");
    let wrong = CancellationCode::WrongEntityType {
        expected: "label",
        found: Some("org".into()),
    };
    let uow = || {
        let mut uow = client.unit_of_work();
        uow.with_repository(&r.labels);
        uow
    };
    let harmless = label("acme", "-ok", "green");

    let mut put = uow();
    put.put(&label("acme", "RG", "red")).put(&harmless);
    let err = put.commit().await.unwrap_err();
    assert_eq!(reasons(&err), [wrong.clone(), CancellationCode::None]);
    let shown = format!("{err} {err:?}");
    assert!(
        shown.contains("\"org\"") && shown.contains("\"label\""),
        "{shown}"
    );

    let mut update = uow();
    update
        .update(colliding(), |u| u.set(Label::fields().color, "red"))
        .put(&harmless);
    let err = update.commit().await.unwrap_err();
    assert_eq!(reasons(&err), [wrong.clone(), CancellationCode::None]);

    let mut delete = uow();
    delete.delete(colliding()).put(&harmless);
    let err = delete.commit().await.unwrap_err();
    assert_eq!(reasons(&err), [wrong.clone(), CancellationCode::None]);

    let mut check = uow();
    check
        .check(colliding(), Label::fields().color.not_exists())
        .put(&harmless);
    let err = check.commit().await.unwrap_err();
    assert_eq!(reasons(&err), [wrong.clone(), CancellationCode::None]);

    // Nothing of those units was applied.
    assert_eq!(stored_org(&r).await.as_ref(), Some(&before));
    assert_eq!(r.labels.get(Label::key("acme", "-ok")).await.unwrap(), None);

    // A caller's own condition failing on a label is still told apart.
    r.labels.put(&harmless).await.unwrap();
    let mut own = uow();
    own.put_if(&harmless, Label::fields().color.eq("red"));
    let err = own.commit().await.unwrap_err();
    assert_eq!(reasons(&err), [CancellationCode::ConditionalCheckFailed]);
    // And units on labels' own keys commit.
    let mut fine = uow();
    fine.update(Label::key("acme", "-ok"), |u| {
        u.set(Label::fields().color, "teal")
    })
    .put_if_absent(&label("acme", "-new", "red"));
    fine.commit().await.unwrap();
    assert_eq!(
        r.labels.get(Label::key("acme", "-ok")).await.unwrap(),
        Some(label("acme", "-ok", "teal"))
    );
}

#[tokio::test]
async fn batch_writes_of_typed_entities_are_refused_unless_the_type_check_is_skipped() {
    let r = seeded().await;
    let labels: Vec<Label> = (0..30)
        .map(|i| label("acme", &format!("-l{i:02}"), "red"))
        .collect();
    let count = || async {
        r.labels
            .query(Label::pk("acme"))
            .sort_key(|k| k.begins_with("O-"))
            .count()
            .await
            .unwrap()
    };

    // BatchWriteItem cannot carry the type condition: refused before sending.
    let refused = |err: Error| {
        let v = err
            .as_validation()
            .unwrap_or_else(|| panic!("expected a validation error, got {err:?}"));
        assert_eq!(v.kind, ValidationErrorKind::EntityTypeUnchecked);
        assert_eq!(v.entity, Some("Label"));
        assert!(v.message.contains("skip_entity_type_check"), "{v}");
    };
    refused(r.labels.batch_put(&labels).await.unwrap_err());
    refused(
        r.labels
            .batch_put(vec![label("acme", "RG", "red")])
            .await
            .unwrap_err(),
    );
    refused(r.labels.batch_delete([colliding()]).await.unwrap_err());
    refused(
        r.labels
            .batch_write([WriteOp::Put(labels[0].clone())])
            .await
            .unwrap_err(),
    );
    refused(
        r.labels
            .batch_put_stream(futures::stream::iter(labels.clone()))
            .await
            .unwrap_err(),
    );
    assert_eq!(count().await, 0);
    assert_eq!(r.orgs.get(Org::key("acme")).await.unwrap(), Some(acme()));

    // The explicit opt-out writes, unconditionally.
    let stats = r
        .labels
        .batch_put(&labels)
        .skip_entity_type_check()
        .await
        .unwrap();
    assert_eq!(stats.processed, 30);
    assert_eq!(count().await, 30);
    r.labels
        .batch_delete(
            labels[..10]
                .iter()
                .map(|l| Label::key("acme", l.label.clone())),
        )
        .skip_entity_type_check()
        .await
        .unwrap();
    r.labels
        .batch_put_stream(futures::stream::iter(labels[..5].to_vec()))
        .skip_entity_type_check()
        .await
        .unwrap();
    assert_eq!(count().await, 25);
    // Untyped entities batch as before (tests/batch.rs); the org is intact.
    assert_eq!(r.orgs.get(Org::key("acme")).await.unwrap(), Some(acme()));
}

#[tokio::test]
async fn an_update_that_creates_an_item_tags_it_so_other_types_stay_off_it() {
    let orgs = fresh_repository::<Org>().await;
    let labels = orgs
        .client()
        .repository::<Label>()
        .with_table_name(orgs.table_name());
    // An update creates the label's item at the org's key (no org yet)...
    labels
        .update(colliding())
        .set(Label::fields().color, "red")
        .await
        .unwrap();
    // ...tagged as a label, so the org's put does not replace it.
    let err = orgs.put(&acme()).await.unwrap_err();
    let wrong = err.as_wrong_entity_type().expect("a type mismatch");
    assert_eq!(wrong.entity, "Org");
    assert_eq!(
        (wrong.expected, wrong.found.as_deref()),
        ("org", Some("label"))
    );
    let stored = orgs
        .client()
        .sdk()
        .get_item()
        .table_name(orgs.table_name())
        .set_key(Some(Org::key("acme").into_item()))
        .send()
        .await
        .unwrap()
        .item
        .expect("the label's item");
    assert_eq!(
        stored
            .get("_type")
            .and_then(|t| t.as_s().ok())
            .map(String::as_str),
        Some("label")
    );
    assert!(
        !stored.contains_key("name"),
        "the org was not written into it"
    );
}
