//! Single-table checks: entity types on every read, updates and key sizes
//! refused before sending, key-only fields, units of work and batches of
//! template-keyed entities.

use super::*;

#[tokio::test]
async fn reading_an_item_as_another_entity_type_is_a_typed_error() {
    let r = seeded().await;
    // The org's own key, read through the user repository.
    let org_key: Key<User> = Key::from_item(Org::key("acme").into_item());
    let err = r.users.get(org_key).await.unwrap_err();
    let Error::Decode(decode) = &err else {
        panic!("expected a decode error, got {err:?}")
    };
    assert_eq!(
        decode.kind(),
        &DecodeErrorKind::WrongEntityType {
            expected: "user",
            found: Some("org".into())
        }
    );
    assert_eq!(decode.entity(), Some("User"));
    assert_eq!(decode.path(), "_type");
    assert_eq!(
        err.to_string(),
        "cannot decode User attribute `_type`: the item holds another entity type (3 bytes), not a `user`; read it as its own entity type"
    );

    // A whole partition read as users fails on the first non-user, rather
    // than decoding an org or a project as a user.
    let err = r.users.query(User::pk("acme")).all().await.unwrap_err();
    assert!(
        matches!(err.as_decode().map(|d| d.kind()), Some(DecodeErrorKind::WrongEntityType { expected: "user", found: Some(f) }) if f == "org"),
        "{err:?}"
    );

    // An item written without the type attribute (by another tool).
    let mut foreign = user("acme", "u7").to_item();
    foreign.remove("_type");
    let err = User::from_item(foreign).unwrap_err();
    assert!(
        matches!(
            err.as_decode().map(|d| d.kind()),
            Some(DecodeErrorKind::WrongEntityType { found: None, .. })
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_collection_reports_entity_types_it_does_not_know() {
    let r = seeded().await;
    let err = r
        .orgs
        .query(Org::pk("acme"))
        .collection::<PeopleOnly>()
        .all()
        .await
        .unwrap_err();
    let decode = err.as_decode().expect("a decode error");
    assert_eq!(
        decode.kind(),
        &DecodeErrorKind::UnknownEntityType {
            found: Some("project".into()),
            expected: &["org", "user"],
        }
    );
    assert_eq!(decode.entity(), Some("PeopleOnly"));
    // Reading only the types it knows works.
    let people = r
        .orgs
        .query(Org::pk("globex"))
        .collection::<PeopleOnly>()
        .all()
        .await
        .unwrap();
    assert_eq!(
        people,
        vec![
            PeopleOnly::Org(org("globex", "Globex")),
            PeopleOnly::User(user("globex", "u9"))
        ]
    );
}

#[tokio::test]
async fn units_of_work_take_template_keyed_entities() {
    let r = repos().await;
    let client = r.users.client().clone();
    let mut uow = client.unit_of_work();
    uow.with_repository(&r.orgs)
        .with_repository(&r.users)
        .with_repository(&r.projects);
    uow.put_if_absent(&org("initech", "Initech"))
        .put(&user("initech", "peter"))
        .put(&project("initech", "tps", "r1", "peter"));
    uow.commit().await.unwrap();
    let items = r
        .orgs
        .query(Org::pk("initech"))
        .collection::<OrgItem>()
        .all()
        .await
        .unwrap();
    assert_eq!(items.len(), 3, "{items:?}");

    let mut uow = client.unit_of_work();
    uow.with_repository(&r.users).with_repository(&r.projects);
    uow.update(User::key("initech", "peter"), |u| {
        u.set(User::fields().name, "Peter Gibbons")
    })
    .delete(Project::key("initech", "tps", "r1"));
    uow.commit().await.unwrap();
    let peter = r
        .users
        .get(User::key("initech", "peter"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(peter.name, "Peter Gibbons");
    assert_eq!(
        r.projects
            .get(Project::key("initech", "tps", "r1"))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn updates_refuse_fields_that_table_keys_are_built_from() {
    let r = seeded().await;
    let err = r
        .users
        .update(User::key("acme", "u1"))
        .set(User::fields().org_id, "initech")
        .send()
        .await
        .unwrap_err();
    let validation = err.as_validation().expect("a validation error");
    assert_eq!(validation.kind, ValidationErrorKind::KeyUpdate);
    // A field only an index key is built from updates, and the index key with it.
    let old_email = r
        .users
        .get(User::key("acme", "u1"))
        .await
        .unwrap()
        .unwrap()
        .email;
    r.users
        .update(User::key("acme", "u1"))
        .set(User::fields().email, "new@acme.example")
        .send()
        .await
        .unwrap();
    let found = |email: String| {
        let users = r.users.clone();
        async move {
            users
                .query_index(User::indexes().gsi2, User::gsi2_pk(email))
                .all()
                .await
                .unwrap()
        }
    };
    assert_eq!(found("new@acme.example".into()).await.len(), 1);
    assert!(found(old_email).await.is_empty(), "not under the old key");
    // Fields outside every template update as usual.
    r.users
        .update(User::key("acme", "u1"))
        .set(User::fields().name, "Renamed")
        .send()
        .await
        .unwrap();
    let u1 = r.users.get(User::key("acme", "u1")).await.unwrap().unwrap();
    assert_eq!(u1.name, "Renamed");
}

#[tokio::test]
async fn a_key_over_dynamodbs_limit_is_refused_before_sending() {
    let r = repos().await;
    let long = user("acme", &"x".repeat(1100));
    let err = r.users.put(&long).await.unwrap_err();
    let validation = err.as_validation().expect("a validation error");
    assert_eq!(validation.kind, ValidationErrorKind::KeyTooLong);
}

#[tokio::test]
async fn key_only_fields_live_in_the_key_and_read_back_whole() {
    let r = repos().await;
    let invoices = r
        .users
        .client()
        .repository::<Invoice>()
        .with_table_name(r.users.table_name());
    let crafted = Invoice {
        org_id: "acme#x".into(),
        status: InvoiceStatus::Paid,
        year: 2026,
        number: "7#%23".into(),
        total: 990,
    };
    let open = Invoice {
        org_id: "acme#x".into(),
        status: InvoiceStatus::Open,
        year: 2025,
        number: "1".into(),
        total: 10,
    };
    invoices.put(&crafted).await.unwrap();
    invoices.put(&open).await.unwrap();
    let item = raw_item(&invoices, crafted.primary_key()).await;
    assert_eq!(s(&item, "PK"), "ORG#acme%23x");
    assert_eq!(s(&item, "SK"), "INVOICE#paid#2026#7%23%2523");
    for name in ["org_id", "status", "year", "number"] {
        assert!(
            !item.contains_key(name),
            "{name} is only in the key: {item:?}"
        );
    }
    assert_eq!(
        invoices
            .get(Invoice::key("acme#x", InvoiceStatus::Paid, 2026, "7#%23"))
            .await
            .unwrap(),
        Some(crafted.clone())
    );
    let paid = invoices
        .query(Invoice::pk("acme#x"))
        .sort_key(|k| k.begins_with(Invoice::sk_prefix_status(InvoiceStatus::Paid)))
        .all()
        .await
        .unwrap();
    assert_eq!(paid, vec![crafted]);
    assert_eq!(
        Invoice::sk_prefix_year(InvoiceStatus::Open, 2025),
        "INVOICE#open#2025#"
    );

    // A key that does not follow the template is a decode error naming it.
    let mut broken = open.to_item();
    broken.insert(
        "SK".into(),
        dynamo_repo::sdk::types::AttributeValue::S("INVOICE#open".into()),
    );
    let err = Invoice::from_item(broken).unwrap_err();
    assert_eq!(err.as_decode().unwrap().path(), "SK", "{err}");
}

#[test]
fn an_entity_with_key_fields_can_declare_an_entity_type() {
    let audit = Audit {
        id: "a-1".into(),
        what: "login".into(),
    };
    let item = audit.to_item();
    assert_eq!(s(&item, "kind"), "audit");
    assert_eq!(s(&item, "id"), "a-1");
    assert_eq!(Audit::from_item(item).unwrap(), audit);
    let err = Audit::from_item(user("acme", "u1").to_item()).unwrap_err();
    assert!(
        matches!(
            err.as_decode().map(|d| d.kind()),
            Some(DecodeErrorKind::WrongEntityType {
                expected: "audit",
                found: None
            })
        ),
        "{err:?}"
    );
    assert_eq!(<Audit as dynamo_repo::TypedEntity>::TYPE_ATTRIBUTE, "kind");
}

#[tokio::test]
async fn batch_helpers_take_template_keyed_entities_with_the_type_check_skipped() {
    let r = repos().await;
    let users: Vec<User> = (0..60)
        .map(|i| user("batchco", &format!("u{i:02}")))
        .collect();
    // BatchWriteItem cannot check entity types; every type of this table
    // starts its sort key with its own prefix (ORG, USER#, PROJECT#).
    let stats = r
        .users
        .batch_put(&users)
        .skip_entity_type_check()
        .await
        .unwrap();
    assert_eq!(stats.requests, 3, "60 items in requests of 25");
    let keys: Vec<_> = users
        .iter()
        .map(|u| User::key(u.org_id.clone(), u.user_id.clone()))
        .collect();
    let read = r
        .users
        .batch_get(keys.clone())
        .in_input_order()
        .await
        .unwrap();
    assert_eq!(read.items, users);
    r.users
        .batch_delete(keys)
        .skip_entity_type_check()
        .await
        .unwrap();
    assert_eq!(r.users.query(User::pk("batchco")).count().await.unwrap(), 0);
}
