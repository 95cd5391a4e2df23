//! Round trips of every mapped type through DynamoDB Local, and decode errors.

use dynamo_repo::sdk::types::AttributeValue;
use dynamo_repo::value::DecodeErrorKind;
use dynamo_repo::{Entity, Error};
use dynamo_repo_tests::fresh_repository;
use dynamo_repo_tests::models::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

pub fn everything(id: &str) -> Everything {
    Everything {
        id: id.into(),
        version: 7,
        text: "héllo wörld — 日本語 🚀".into(),
        empty_text: String::new(),
        letter: 'ß',
        i8_: i8::MIN,
        i16_: i16::MIN,
        i32_: i32::MIN,
        i64_: i64::MIN,
        // 38 significant digits: DynamoDB's limit (i128::MAX has 39 and is refused on write).
        i128_: -99_999_999_999_999_999_999_999_999_999_999_999_999,
        isize_: isize::MAX,
        u8_: u8::MAX,
        u16_: u16::MAX,
        u32_: u32::MAX,
        u64_: u64::MAX,
        u128_: 10u128.pow(37) * 9,
        usize_: usize::MAX,
        f32_: 0.1,
        f64_: -1.234_567_890_123_456_7e-100,
        flag: true,
        bytes: bytes::Bytes::from_static(&[0, 1, 2, 255]),
        raw: vec![9, 8, 7, 0],
        small_numbers: vec![1, 2, 3],
        maybe: Some(String::new()),
        maybe_not: None,
        list: vec!["a".into(), String::new(), "c".into()],
        deque: VecDeque::from([3, -2, 1]),
        nested_lists: vec![vec![Some(1), None, Some(3)], vec![]],
        string_set: ["x", "y"].into_iter().map(String::from).collect(),
        number_set: HashSet::from([i64::MIN, 0, i64::MAX]),
        binary_set: BTreeSet::from([
            bytes::Bytes::from_static(b"\x00"),
            bytes::Bytes::from_static(b"\xff\xfe"),
        ]),
        empty_set: BTreeSet::new(),
        map: HashMap::from([("a".into(), 1), ("négatif".into(), -1)]),
        ordered_map: BTreeMap::from([("k".into(), vec!["v".into()]), ("empty".into(), vec![])]),
        empty_map: BTreeMap::new(),
        address: Address {
            street_line: "1 Main St".into(),
            city: "Zürich".into(),
            zip: "8000".into(),
            geo: Some(Geo {
                lat: 47.3769,
                lon: 8.5417,
                grid: Grid {
                    cell: 42,
                    label: "three deep".into(),
                },
            }),
        },
        plan: Plan::ProMonthly,
        plans: vec![Plan::Free, Plan::Enterprise],
        preferences: Preferences {
            theme: "dark".into(),
            font_size: 14,
        },
        maybe_preferences: None,
        yes: true,
        added_later: 3,
        cached: None,
        when: chrono::DateTime::parse_from_rfc3339("2026-11-28T10:11:12.345Z")
            .unwrap()
            .into(),
        day: chrono::NaiveDate::from_ymd_opt(2026, 2, 28).unwrap(),
        time_when: time::macros::datetime!(2026-11-28 10:11:12.5 +02:00),
        uuid: uuid::Uuid::new_v4(),
        expires_at: Some(chrono::DateTime::from_timestamp(1_900_000_000, 0).unwrap()),
    }
}

pub fn user(id: &str) -> User {
    User {
        id: id.into(),
        email: "ada@example.com".into(),
        age: 36,
        score: 99.5,
        active: true,
        nickname: None,
        tags: vec!["admin".into()],
        roles: ["owner".to_string()].into_iter().collect(),
        address: Address::default(),
        counters: HashMap::from([("logins".into(), 3)]),
        cache: None,
    }
}

#[tokio::test]
async fn every_mapped_type_round_trips_through_dynamodb() {
    let repo = fresh_repository::<Everything>().await;
    let original = everything("all");
    repo.put(&original).await.unwrap();
    let read = repo
        .get(Everything::key("all", 7))
        .consistent_read(true)
        .await
        .unwrap()
        .expect("the item exists");
    assert_eq!(read, original);
}

#[tokio::test]
async fn stored_attributes_have_the_documented_dynamodb_types() {
    let repo = fresh_repository::<Everything>().await;
    let original = everything("types");
    repo.put(&original).await.unwrap();
    let raw = repo
        .client()
        .sdk()
        .get_item()
        .table_name(repo.table_name())
        .set_key(Some(Everything::key("types", 7).into_item()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let kind = |name: &str| {
        raw.get(name).map(|v| match v {
            AttributeValue::S(_) => "S",
            AttributeValue::N(_) => "N",
            AttributeValue::B(_) => "B",
            AttributeValue::Bool(_) => "BOOL",
            AttributeValue::L(_) => "L",
            AttributeValue::M(_) => "M",
            AttributeValue::Ss(_) => "SS",
            AttributeValue::Ns(_) => "NS",
            AttributeValue::Bs(_) => "BS",
            AttributeValue::Null(_) => "NULL",
            _ => "?",
        })
    };
    assert_eq!(kind("text"), Some("S"));
    assert_eq!(kind("u64_"), Some("N"));
    assert_eq!(
        raw["u64_"],
        AttributeValue::N("18446744073709551615".into())
    );
    assert_eq!(
        raw["i64_"],
        AttributeValue::N("-9223372036854775808".into())
    );
    assert_eq!(kind("flag"), Some("BOOL"));
    assert_eq!(kind("bytes"), Some("B"));
    assert_eq!(kind("raw"), Some("B"));
    assert_eq!(kind("small_numbers"), Some("L"));
    assert_eq!(kind("maybe_not"), None, "None is not written");
    assert_eq!(kind("maybe"), Some("S"), "Some(empty string) is written");
    assert_eq!(kind("string_set"), Some("SS"));
    assert_eq!(kind("number_set"), Some("NS"));
    assert_eq!(kind("binary_set"), Some("BS"));
    assert_eq!(kind("empty_set"), None, "an empty set is not written");
    assert_eq!(kind("map"), Some("M"));
    assert_eq!(kind("empty_map"), Some("M"));
    assert_eq!(kind("address"), Some("M"));
    assert_eq!(raw["plan"], AttributeValue::S("pro_monthly".into()));
    assert_eq!(
        raw["plans"],
        AttributeValue::L(vec![
            AttributeValue::S("free".into()),
            AttributeValue::S("ENTERPRISE".into())
        ])
    );
    assert_eq!(raw["yes"], AttributeValue::S("Y".into()));
    assert_eq!(
        raw["when"],
        AttributeValue::S("2026-11-28T10:11:12.345Z".into())
    );
    assert_eq!(raw["day"], AttributeValue::S("2026-02-28".into()));
    assert_eq!(raw["expires_at"], AttributeValue::N("1900000000".into()));
    assert_eq!(raw["uuid"], AttributeValue::S(original.uuid.to_string()));
    assert!(
        !raw.contains_key("cached"),
        "skipped fields are not written"
    );
    let AttributeValue::M(address) = &raw["address"] else {
        panic!("address is a map")
    };
    assert!(
        address.contains_key("streetLine"),
        "rename_all applies to nested structs"
    );
}

#[tokio::test]
async fn user_from_the_issue_round_trips_with_renames() {
    let repo = fresh_repository::<User>().await;
    let mut u = user("u-1");
    u.cache = Some("not stored".into());
    repo.put(&u).await.unwrap();
    let item = u.to_item();
    assert!(item.contains_key("mail"), "rename wins over rename_all");
    assert!(item.contains_key("nickname") || u.nickname.is_none());
    let read = repo.get(User::key("u-1")).await.unwrap().unwrap();
    assert_eq!(read.cache, None, "skipped fields read as Default");
    u.cache = None;
    assert_eq!(read, u);
}

#[test]
fn absent_optional_collections_and_defaults_read_back() {
    let mut item = everything("x").to_item();
    for name in [
        "maybe",
        "string_set",
        "added_later",
        "maybe_preferences",
        "expires_at",
    ] {
        item.remove(name);
    }
    let read = Everything::from_item(item).unwrap();
    assert_eq!(read.maybe, None);
    assert!(read.string_set.is_empty());
    assert_eq!(read.added_later, 0);
    assert_eq!(read.maybe_preferences, None);
    assert_eq!(read.expires_at, None);
}

#[test]
fn null_reads_as_none() {
    let mut item = everything("x").to_item();
    item.insert("maybe".into(), AttributeValue::Null(true));
    assert_eq!(Everything::from_item(item).unwrap().maybe, None);
}

fn decode_error(item: dynamo_repo::Item) -> dynamo_repo::DecodeError {
    match Everything::from_item(item) {
        Err(Error::Decode(e)) => e,
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[test]
fn a_missing_required_attribute_is_named() {
    let mut item = everything("x").to_item();
    item.remove("text");
    let err = decode_error(item);
    assert_eq!(err.path(), "text");
    assert_eq!(err.entity(), Some("Everything"));
    assert_eq!(err.kind(), &DecodeErrorKind::Missing);
    assert_eq!(
        err.to_string(),
        "cannot decode Everything {id: S(1 bytes), version: N(1 chars)} attribute `text`: required attribute is missing"
    );
    // The key is the item's, as read (redacted unless values are revealed).
    assert_eq!(
        err.key().and_then(|k| k.get("id")),
        Some(&AttributeValue::S("x".into()))
    );
}

#[test]
fn a_wrong_type_names_the_nested_path() {
    let mut item = everything("x").to_item();
    let AttributeValue::M(mut address) = item.remove("address").unwrap() else {
        unreachable!()
    };
    address.insert("zip".into(), AttributeValue::N("8000".into()));
    item.insert("address".into(), AttributeValue::M(address));
    let err = decode_error(item);
    assert_eq!(err.path(), "address.zip");
    assert_eq!(
        err.kind(),
        &DecodeErrorKind::WrongType {
            expected: "S",
            found: "N"
        }
    );
}

#[test]
fn a_bad_list_element_names_its_index() {
    let mut item = everything("x").to_item();
    item.insert(
        "list".into(),
        AttributeValue::L(vec![
            AttributeValue::S("a".into()),
            AttributeValue::S("b".into()),
            AttributeValue::S("c".into()),
            AttributeValue::Bool(true),
        ]),
    );
    let err = decode_error(item);
    assert_eq!(err.path(), "list[3]");
    assert!(err.to_string().contains("expected S, found BOOL"), "{err}");
}

#[test]
fn three_deep_paths_are_named() {
    let mut item = everything("x").to_item();
    let AttributeValue::M(mut address) = item.remove("address").unwrap() else {
        unreachable!()
    };
    let AttributeValue::M(mut geo) = address.remove("geo").unwrap() else {
        unreachable!()
    };
    geo.insert(
        "grid".into(),
        AttributeValue::M(
            [("cell".to_string(), AttributeValue::N("1".into()))]
                .into_iter()
                .collect(),
        ),
    );
    address.insert("geo".into(), AttributeValue::M(geo));
    item.insert("address".into(), AttributeValue::M(address));
    let err = decode_error(item);
    assert_eq!(err.path(), "address.geo.grid.label");
    assert_eq!(err.kind(), &DecodeErrorKind::Missing);
}

#[test]
fn unparseable_and_out_of_range_numbers_are_decode_errors() {
    for (attribute, text) in [
        ("u8_", "256"),
        ("u32_", "-1"),
        ("i64_", "9223372036854775808"),
        ("u64_", "1.5"),
        ("f64_", "abc"),
    ] {
        let mut item = everything("x").to_item();
        item.insert(attribute.into(), AttributeValue::N(text.into()));
        let err = decode_error(item);
        assert_eq!(err.path(), attribute);
        assert!(
            matches!(err.kind(), DecodeErrorKind::InvalidNumber { text: t, .. } if t == text),
            "{attribute}: {err}"
        );
    }
}

#[test]
fn null_where_a_value_is_required_is_a_decode_error() {
    let mut item = everything("x").to_item();
    item.insert("u32_".into(), AttributeValue::Null(true));
    let err = decode_error(item);
    assert_eq!(
        err.kind(),
        &DecodeErrorKind::WrongType {
            expected: "N",
            found: "NULL"
        }
    );
    assert!(
        err.to_string().contains("NULL where a value is required"),
        "{err}"
    );
}

#[test]
fn an_unknown_enum_variant_is_a_decode_error() {
    let mut item = everything("x").to_item();
    item.insert("plan".into(), AttributeValue::S("gold".into()));
    let err = decode_error(item);
    assert_eq!(err.path(), "plan");
    assert!(
        matches!(err.kind(), DecodeErrorKind::UnknownVariant { found, .. } if found == "gold"),
        "{err:?}"
    );
    // The stored string is not quoted (values are not revealed).
    assert!(
        err.to_string()
            .contains("a stored string (4 bytes) is not one of"),
        "{err}"
    );
}

#[test]
fn custom_with_module_errors_carry_the_path() {
    let mut item = everything("x").to_item();
    item.insert("yes".into(), AttributeValue::S("maybe".into()));
    let err = decode_error(item);
    assert_eq!(err.path(), "yes");
    assert!(err.to_string().contains("is not \"Y\" or \"N\""), "{err}");
    assert!(!err.to_string().contains("maybe"), "{err}");
}
