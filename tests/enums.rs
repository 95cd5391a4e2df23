//! Enums with data (`#[derive(Attribute)]`): a nested enum round trip through
//! DynamoDB (put then get), and the decode errors of bad tags.

use dynamo_repo::sdk::types::AttributeValue;
use dynamo_repo::value::DecodeErrorKind;
use dynamo_repo::{Attribute, Entity, Item};
use dynamo_repo_tests::fresh_repository;
use proptest::collection::vec;
use proptest::prelude::*;
use std::collections::HashMap;

/// Internally tagged (the default, tag `type`).
#[derive(Attribute, Debug, Clone, PartialEq)]
enum Payment {
    Cash,
    Card {
        last4: String,
        #[dynamo(rename = "exp")]
        expires: Option<u16>,
    },
    #[dynamo(rename = "bank")]
    Transfer {
        iban: String,
        detail: Detail,
    },
}

#[derive(Attribute, Debug, Clone, PartialEq)]
struct Detail {
    note: String,
    shape: Shape,
    shapes: Vec<Shape>,
}

/// Adjacently tagged, with newtype and tuple variants.
#[derive(Attribute, Debug, Clone, PartialEq)]
#[dynamo(tag = "t", content = "c", rename_all = "snake_case")]
enum Shape {
    Point,
    Circle(f64),
    Rect(u32, u32),
    Labelled {
        label: String,
        inner: Option<Box<Shape>>,
    },
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "enums")]
struct Order {
    #[dynamo(partition_key)]
    id: String,
    payment: Payment,
    history: Vec<Payment>,
    maybe: Option<Shape>,
}

fn shape() -> impl Strategy<Value = Shape> {
    let leaf = prop_oneof![
        Just(Shape::Point),
        (-1e6..1e6f64).prop_map(Shape::Circle),
        (any::<u32>(), any::<u32>()).prop_map(|(a, b)| Shape::Rect(a, b)),
    ];
    leaf.prop_recursive(3, 8, 1, |inner| {
        (".{0,8}", proptest::option::of(inner)).prop_map(|(label, inner)| Shape::Labelled {
            label,
            inner: inner.map(Box::new),
        })
    })
}

fn payment() -> impl Strategy<Value = Payment> {
    prop_oneof![
        Just(Payment::Cash),
        ("[0-9]{4}", proptest::option::of(any::<u16>()))
            .prop_map(|(last4, expires)| Payment::Card { last4, expires }),
        (".{0,12}", ".{0,8}", shape(), vec(shape(), 0..3)).prop_map(
            |(iban, note, shape, shapes)| {
                Payment::Transfer {
                    iban,
                    detail: Detail {
                        note,
                        shape,
                        shapes,
                    },
                }
            }
        ),
    ]
}

fn order() -> impl Strategy<Value = Order> {
    (
        payment(),
        vec(payment(), 0..4),
        proptest::option::of(shape()),
    )
        .prop_map(|(payment, history, maybe)| Order {
            id: String::new(),
            payment,
            history,
            maybe,
        })
}

#[test]
fn nested_enums_round_trip_through_dynamodb() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let repo = rt.block_on(fresh_repository::<Order>());
    let n = std::sync::atomic::AtomicU32::new(0);
    proptest!(ProptestConfig::with_cases(64), |(mut value in order())| {
        let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        value.id = format!("order-{i}");
        let back = rt.block_on(async {
            repo.put(&value).await.expect("put");
            repo.get(Order::key(&value.id)).await.expect("get")
        });
        prop_assert_eq!(back, Some(value));
    });
}

#[test]
fn the_stored_layouts_are_the_documented_ones() {
    let order = Order {
        id: "o1".into(),
        payment: Payment::Card {
            last4: "1234".into(),
            expires: None,
        },
        history: vec![Payment::Cash],
        maybe: Some(Shape::Rect(2, 3)),
    };
    let item = order.to_item();
    let s = |v: &str| AttributeValue::S(v.into());
    let n = |v: &str| AttributeValue::N(v.into());
    assert_eq!(
        item["payment"],
        AttributeValue::M(HashMap::from([
            ("type".into(), s("Card")),
            ("last4".into(), s("1234"))
        ]))
    );
    assert_eq!(
        item["history"],
        AttributeValue::L(vec![AttributeValue::M(HashMap::from([(
            "type".into(),
            s("Cash")
        )]))])
    );
    assert_eq!(
        item["maybe"],
        AttributeValue::M(HashMap::from([
            ("t".into(), s("rect")),
            ("c".into(), AttributeValue::L(vec![n("2"), n("3")])),
        ]))
    );
}

fn item_with_payment(payment: AttributeValue) -> Item {
    let mut item = Order {
        id: "o1".into(),
        payment: Payment::Cash,
        history: vec![],
        maybe: None,
    }
    .to_item();
    item.insert("payment".into(), payment);
    item
}

#[test]
fn an_unknown_tag_is_a_decode_error_naming_the_enum_and_tag_not_the_value() {
    let bad = AttributeValue::M(HashMap::from([(
        "type".into(),
        AttributeValue::S("Cheque-SECRET".into()),
    )]));
    let e = Order::from_item(item_with_payment(bad)).unwrap_err();
    let d = e.as_decode().expect("a decode error");
    assert_eq!(d.path(), "payment.type");
    assert_eq!(d.enum_variant(), Some(("Payment", None)));
    assert!(matches!(d.kind(), DecodeErrorKind::UnknownVariant { .. }));
    let text = e.to_string();
    assert!(text.contains("`payment.type` (enum `Payment`)"), "{text}");
    assert!(!text.contains("SECRET"), "{text}");
}

#[test]
fn a_missing_tag_is_a_decode_error() {
    let bad = AttributeValue::M(HashMap::from([(
        "last4".into(),
        AttributeValue::S("1234".into()),
    )]));
    let e = Order::from_item(item_with_payment(bad)).unwrap_err();
    let d = e.as_decode().expect("a decode error");
    assert_eq!(d.path(), "payment.type");
    assert_eq!(*d.kind(), DecodeErrorKind::Missing);
    assert_eq!(d.enum_variant(), Some(("Payment", None)));
}

#[test]
fn a_bad_field_names_the_variant_and_attribute_not_the_value() {
    let bad = AttributeValue::M(HashMap::from([
        ("type".into(), AttributeValue::S("Card".into())),
        ("last4".into(), AttributeValue::N("987654321".into())),
    ]));
    let e = Order::from_item(item_with_payment(bad)).unwrap_err();
    let d = e.as_decode().expect("a decode error");
    assert_eq!(d.path(), "payment.last4");
    assert_eq!(d.enum_variant(), Some(("Payment", Some("Card"))));
    let text = e.to_string();
    assert!(
        text.contains("`payment.last4` (variant `Payment::Card`)"),
        "{text}"
    );
    assert!(!text.contains("987654321"), "{text}");
}

#[test]
fn a_nested_error_names_the_innermost_variant() {
    let mut order = Order {
        id: "o1".into(),
        payment: Payment::Cash,
        history: vec![],
        maybe: Some(Shape::Rect(1, 2)),
    };
    let mut item = order.to_item();
    item.insert(
        "maybe".into(),
        AttributeValue::M(HashMap::from([
            ("t".into(), AttributeValue::S("rect".into())),
            (
                "c".into(),
                AttributeValue::L(vec![AttributeValue::N("1".into())]),
            ),
        ])),
    );
    let e = Order::from_item(item).unwrap_err();
    let d = e.as_decode().expect("a decode error");
    assert_eq!(d.path(), "maybe.c");
    assert_eq!(d.enum_variant(), Some(("Shape", Some("Rect"))));
    order.maybe = None;
}

#[test]
fn a_unit_variant_stored_as_a_string_still_reads() {
    let item = item_with_payment(AttributeValue::S("Cash".into()));
    assert_eq!(Order::from_item(item).unwrap().payment, Payment::Cash);
    let e = Order::from_item(item_with_payment(AttributeValue::S("Card".into()))).unwrap_err();
    assert!(matches!(
        e.as_decode().unwrap().kind(),
        DecodeErrorKind::WrongType {
            expected: "M",
            found: "S"
        }
    ));
}

/// Per-variant `rename_all` names the fields of that struct variant only.
#[derive(Attribute, Debug, Clone, PartialEq)]
enum Event {
    #[dynamo(rename_all = "camelCase")]
    Signed {
        signed_by: String,
        signed_at_ms: u64,
    },
    Voided {
        voided_by: String,
    },
}

/// An entity whose enums are navigated by typed paths: an internally tagged
/// one (`Payment`), an adjacently tagged one (`Shape`) and `Event`.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "enum_paths")]
struct Ledger {
    #[dynamo(partition_key)]
    id: String,
    payment: Payment,
    shape: Shape,
    event: Event,
}

fn ledger(id: &str, payment: Payment, shape: Shape, event: Event) -> Ledger {
    Ledger {
        id: id.into(),
        payment,
        shape,
        event,
    }
}

#[test]
fn a_variants_rename_all_names_its_fields_only() {
    let l = ledger(
        "l1",
        Payment::Cash,
        Shape::Point,
        Event::Signed {
            signed_by: "ann".into(),
            signed_at_ms: 7,
        },
    );
    let AttributeValue::M(event) = &l.to_item()["event"] else {
        panic!("event is a map")
    };
    let mut names: Vec<&str> = event.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["signedAtMs", "signedBy", "type"]);
    let f = Ledger::fields();
    assert_eq!(
        f.event.as_signed().signed_by.untyped().to_string(),
        "event.signedBy"
    );
    assert_eq!(
        f.event.as_voided().voided_by.untyped().to_string(),
        "event.voided_by"
    );
    assert_eq!(f.event.tag().untyped().to_string(), "event.type");
    assert_eq!(f.shape.tag().untyped().to_string(), "shape.t");
    assert_eq!(f.shape.as_circle().untyped().to_string(), "shape.c");
    assert_eq!(
        f.shape.as_labelled().label.untyped().to_string(),
        "shape.c.label"
    );
}

#[tokio::test]
async fn typed_paths_reach_the_tag_and_the_fields_of_a_variant() {
    let repo = fresh_repository::<Ledger>().await;
    let signed = |by: &str| Event::Signed {
        signed_by: by.into(),
        signed_at_ms: 1,
    };
    let rows = [
        ledger(
            "card",
            Payment::Card {
                last4: "1234".into(),
                expires: Some(12),
            },
            Shape::Circle(0.5),
            signed("ann"),
        ),
        ledger(
            "bank",
            Payment::Transfer {
                iban: "DE00".into(),
                detail: Detail {
                    note: "rent".into(),
                    shape: Shape::Point,
                    shapes: vec![],
                },
            },
            Shape::Circle(2.0),
            Event::Voided {
                voided_by: "bob".into(),
            },
        ),
        ledger(
            "cash",
            Payment::Cash,
            Shape::Labelled {
                label: "big".into(),
                inner: None,
            },
            signed("bob"),
        ),
    ];
    for row in &rows {
        repo.put(row).await.unwrap();
    }
    let f = Ledger::fields();
    let ids = |mut found: Vec<Ledger>| {
        found.sort_by(|a, b| a.id.cmp(&b.id));
        found.into_iter().map(|l| l.id).collect::<Vec<_>>()
    };

    // The tag, internally and adjacently tagged.
    let cards = repo
        .scan()
        .filter(f.payment.tag().eq("Card"))
        .all()
        .await
        .unwrap();
    assert_eq!(ids(cards), ["card"]);
    let circles = repo
        .scan()
        .filter(f.shape.tag().eq("circle"))
        .all()
        .await
        .unwrap();
    assert_eq!(ids(circles), ["bank", "card"]);
    // A field of a struct variant, nested, and a newtype variant's content.
    let rent = repo
        .scan()
        .filter(f.payment.as_transfer().detail.note.eq("rent"))
        .all()
        .await
        .unwrap();
    assert_eq!(ids(rent), ["bank"]);
    let big = repo
        .scan()
        .filter(f.shape.as_circle().gt(1.0))
        .all()
        .await
        .unwrap();
    assert_eq!(ids(big), ["bank"]);
    let labelled = repo
        .scan()
        .filter(f.shape.as_labelled().label.eq("big"))
        .all()
        .await
        .unwrap();
    assert_eq!(ids(labelled), ["cash"]);
    // A renamed field of a variant (its own rename_all).
    let by_bob = repo
        .scan()
        .filter(f.event.tag().eq("Signed") & f.event.as_signed().signed_by.eq("bob"))
        .all()
        .await
        .unwrap();
    assert_eq!(ids(by_bob), ["cash"]);

    // An update of one field of the variant, guarded by the tag.
    let updated = repo
        .update(Ledger::key("card"))
        .apply(|u| u.set(&f.payment.as_card().last4, "9999"))
        .condition(f.payment.tag().eq("Card"))
        .return_new()
        .await
        .unwrap();
    assert_eq!(
        updated.payment,
        Payment::Card {
            last4: "9999".into(),
            expires: Some(12)
        }
    );
    // The same guard on an item of another variant fails, and changes nothing.
    let refused = repo
        .update(Ledger::key("cash"))
        .apply(|u| u.set(&f.payment.as_card().last4, "0000"))
        .condition(f.payment.tag().eq("Card"))
        .await;
    assert!(refused.is_err(), "{refused:?}");
    let cash = repo.get(Ledger::key("cash")).await.unwrap().unwrap();
    assert_eq!(cash.payment, Payment::Cash);
}
