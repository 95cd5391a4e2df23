//! Property tests: `from_item(to_item(x)) == x` for generated values, and
//! `from_item` on arbitrary items returns `Ok` or an error, never a panic.

use dynamo_repo::sdk::primitives::Blob;
use dynamo_repo::sdk::types::AttributeValue;
use dynamo_repo::{Attribute, Entity, Item};
use proptest::collection::{btree_map, btree_set, hash_map, vec};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Attribute, Debug, Clone, PartialEq)]
#[dynamo(rename_all = "camelCase")]
struct Inner {
    label_text: String,
    weight: f64,
    children: Vec<Leaf>,
}

#[derive(Attribute, Debug, Clone, PartialEq)]
struct Leaf {
    n: i32,
    tag: Option<String>,
}

#[derive(Attribute, Debug, Clone, Copy, PartialEq)]
enum Color {
    Red,
    #[dynamo(rename = "GREEN")]
    Green,
    Blue,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "props", rename_all = "camelCase")]
struct Rich {
    #[dynamo(partition_key)]
    id: String,
    #[dynamo(sort_key)]
    seq: i64,
    text: String,
    small: u8,
    big: u64,
    signed: i128,
    ratio: f64,
    single: f32,
    flag: bool,
    nickname: Option<String>,
    maybe_number: Option<u32>,
    tags: Vec<String>,
    holes: Vec<Option<u16>>,
    roles: BTreeSet<String>,
    numbers: BTreeSet<i64>,
    counters: HashMap<String, i64>,
    sorted: BTreeMap<String, Vec<bool>>,
    inner: Inner,
    color: Color,
    data: bytes::Bytes,
    #[dynamo(binary)]
    raw: Vec<u8>,
}

fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        -1e6..1e6f64,
        // Whole f64 range DynamoDB stores: sign * mantissa * 10^exp within 1e-130..1e125.
        (any::<bool>(), 1.0..10.0f64, -129..125i32).prop_map(|(neg, m, e)| {
            let v = m * 10f64.powi(e);
            if neg {
                -v
            } else {
                v
            }
        }),
    ]
    .prop_filter("finite and in DynamoDB's range", |v| {
        v.is_finite() && (*v == 0.0 || (v.abs() > 1e-129 && v.abs() < 9e125))
    })
}

prop_compose! {
    fn leaf()(n in any::<i32>(), tag in proptest::option::of(".{0,8}")) -> Leaf {
        Leaf { n, tag }
    }
}

prop_compose! {
    fn inner()(label_text in ".{0,16}", weight in finite_f64(), children in vec(leaf(), 0..4)) -> Inner {
        Inner { label_text, weight, children }
    }
}

fn color() -> impl Strategy<Value = Color> {
    prop_oneof![Just(Color::Red), Just(Color::Green), Just(Color::Blue)]
}

prop_compose! {
    fn rich()(
        id in ".{1,20}",
        seq in any::<i64>(),
        text in ".{0,40}",
        small in any::<u8>(),
        big in any::<u64>(),
        signed in -(10i128.pow(38) - 1)..10i128.pow(38),
        ratio in finite_f64(),
        single in -1e30f32..1e30f32,
        flag in any::<bool>(),
        nickname in proptest::option::of(".{0,10}"),
        maybe_number in proptest::option::of(any::<u32>()),
        tags in vec(".{0,6}", 0..5),
        holes in vec(proptest::option::of(any::<u16>()), 0..5),
        roles in btree_set(".{0,6}", 0..4),
        numbers in btree_set(any::<i64>(), 0..4),
        counters in hash_map(".{0,6}", any::<i64>(), 0..4),
        sorted in btree_map(".{0,6}", vec(any::<bool>(), 0..3), 0..3),
        inner in inner(),
        color in color(),
        data in vec(any::<u8>(), 0..16),
        raw in vec(any::<u8>(), 0..16),
    ) -> Rich {
        Rich {
            id, seq, text, small, big, signed, ratio, single, flag, nickname, maybe_number, tags, holes,
            roles, numbers, counters, sorted, inner, color, data: bytes::Bytes::from(data), raw,
        }
    }
}

fn attribute_value() -> impl Strategy<Value = AttributeValue> {
    let leaf = prop_oneof![
        ".{0,8}".prop_map(AttributeValue::S),
        prop_oneof![
            "-?[0-9]{1,40}(\\.[0-9]{1,5})?".boxed(),
            ".{0,6}".boxed(),
            Just("NaN".to_string()).boxed()
        ]
        .prop_map(AttributeValue::N),
        any::<bool>().prop_map(AttributeValue::Bool),
        Just(AttributeValue::Null(true)),
        vec(any::<u8>(), 0..6).prop_map(|b| AttributeValue::B(Blob::new(b))),
        vec(".{0,4}", 0..3).prop_map(AttributeValue::Ss),
        vec("-?[0-9]{1,25}", 0..3).prop_map(AttributeValue::Ns),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(AttributeValue::L),
            hash_map(
                prop_oneof![
                    Just("n".to_string()),
                    Just("tag".to_string()),
                    Just("labelText".to_string()),
                    Just("weight".to_string()),
                    Just("children".to_string()),
                    ".{0,5}".prop_map(|s| s)
                ],
                inner,
                0..5
            )
            .prop_map(AttributeValue::M),
        ]
    })
}

const NAMES: &[&str] = &[
    "id",
    "seq",
    "text",
    "small",
    "big",
    "signed",
    "ratio",
    "single",
    "flag",
    "nickname",
    "maybeNumber",
    "tags",
    "holes",
    "roles",
    "numbers",
    "counters",
    "sorted",
    "inner",
    "color",
    "data",
    "raw",
];

fn arbitrary_item() -> impl Strategy<Value = Item> {
    // Mostly the entity's own names, so decoding gets deep before failing.
    hash_map(
        prop_oneof![4 => proptest::sample::select(NAMES).prop_map(str::to_owned), 1 => ".{0,6}".prop_map(|s| s)],
        attribute_value(),
        0..24,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encoding_then_decoding_gives_back_the_value(value in rich()) {
        let item = value.to_item();
        let back = Rich::from_item(item).expect("a value's own item decodes");
        prop_assert_eq!(back, value);
    }

    #[test]
    fn decoding_arbitrary_items_never_panics(item in arbitrary_item()) {
        match Rich::from_item(item) {
            Ok(value) => {
                // Whatever decodes must encode and decode to itself again.
                let again = Rich::from_item(value.to_item()).expect("re-decoding");
                prop_assert_eq!(again, value);
            }
            Err(e) => prop_assert!(e.is_decode(), "only decode errors: {e:?}"),
        }
    }

    #[test]
    fn a_complete_item_with_one_attribute_corrupted_names_that_attribute(value in rich(), victim in proptest::sample::select(NAMES), junk in attribute_value()) {
        let mut item = value.to_item();
        item.insert(victim.to_string(), junk);
        if let Err(e) = Rich::from_item(item) {
            let path = e.as_decode().expect("a decode error").path();
            prop_assert!(path.starts_with(victim), "error at `{}` for corrupted `{}`", path, victim);
        }
    }
}
