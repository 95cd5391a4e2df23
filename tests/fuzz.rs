//! Fuzzing the decoders: arbitrary `AttributeValue` trees, and valid items
//! with attributes replaced, removed or added, decoded into entities with
//! nested structs, enums, options, sets, maps, chrono / time / uuid, `with`,
//! `serde` and `ttl` fields, a recursive type, a single-table collection and
//! a projection. Every decode must return `Ok` or a decode error, never
//! panic or abort (a stack overflow aborts the whole binary); whatever
//! decodes must encode, validate and decode to itself again.
//!
//! Pure unit test, no DynamoDB. The generator is a seeded SplitMix64, so a
//! failing case is reported with the seed that reproduces it:
//!
//! ```text
//! cargo test -p dynamo-repo-tests --test fuzz                   # 100,000 cases
//! FUZZ_CASES=2000000 FUZZ_SEED=7 cargo test -p dynamo-repo-tests --release --test fuzz -- --ignored
//! ```

use dynamo_repo::sdk::primitives::Blob;
use dynamo_repo::sdk::types::AttributeValue;
use dynamo_repo::{Attribute, Collection, Entity, Error, Item, Projection};
use dynamo_repo_tests::models::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

// ---- the entities ----------------------------------------------------------

/// A recursive type: children in a list and in a map.
#[derive(Attribute, Debug, Clone, PartialEq)]
struct Node {
    label: String,
    weight: Option<f32>,
    children: Vec<Node>,
    named: BTreeMap<String, Node>,
    next: Option<Box<Node>>,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "trees")]
struct Tree {
    #[dynamo(partition_key)]
    id: String,
    #[dynamo(sort_key)]
    at: i64,
    root: Node,
    #[dynamo(version)]
    version: u64,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "app", entity = "org", pk = "ORG#{org_id}", sk = "ORG")]
struct Org {
    org_id: String,
    name: String,
    plan: Plan,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "app",
    entity = "member",
    pk = "ORG#{org_id}",
    sk = "MEMBER#{member_id}"
)]
struct Member {
    org_id: String,
    member_id: u32,
    joined: time::OffsetDateTime,
    #[dynamo(serde)]
    preferences: Option<Preferences>,
}

#[derive(Collection, Debug, Clone, PartialEq)]
enum OrgItem {
    Org(Org),
    Member(Member),
}

#[derive(Projection, Debug, Clone, PartialEq)]
#[dynamo(entity = Everything)]
struct EverythingSummary {
    id: String,
    f32_: f32,
    address: Address,
    when: chrono::DateTime<chrono::Utc>,
    uuid: uuid::Uuid,
    #[dynamo(default)]
    added_later: u32,
}

fn everything() -> Everything {
    Everything {
        id: "e-1".into(),
        version: 7,
        text: "héllo".into(),
        empty_text: String::new(),
        letter: 'ß',
        i8_: i8::MIN,
        i16_: i16::MIN,
        i32_: i32::MIN,
        i64_: i64::MIN,
        i128_: -99_999_999_999_999_999_999_999_999_999_999_999_999,
        isize_: isize::MAX,
        u8_: u8::MAX,
        u16_: u16::MAX,
        u32_: u32::MAX,
        u64_: u64::MAX,
        u128_: 10u128.pow(37) * 9,
        usize_: usize::MAX,
        f32_: 0.1,
        f64_: -1.25e-100,
        flag: true,
        bytes: bytes::Bytes::from_static(&[0, 1, 255]),
        raw: vec![9, 8, 0],
        small_numbers: vec![1, 2, 3],
        maybe: Some(String::new()),
        maybe_not: None,
        list: vec!["a".into(), String::new()],
        deque: VecDeque::from([3, -2]),
        nested_lists: vec![vec![Some(1), None], vec![]],
        string_set: ["x", "y"].into_iter().map(String::from).collect(),
        number_set: HashSet::from([i64::MIN, 0]),
        binary_set: BTreeSet::from([bytes::Bytes::from_static(b"\x00")]),
        empty_set: BTreeSet::new(),
        map: HashMap::from([("a".into(), 1)]),
        ordered_map: BTreeMap::from([("k".into(), vec!["v".into()])]),
        empty_map: BTreeMap::new(),
        address: Address {
            street_line: "1 Main St".into(),
            city: "Zürich".into(),
            zip: "8000".into(),
            geo: Some(Geo {
                lat: 47.5,
                lon: 8.5,
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
        when: chrono::DateTime::from_timestamp(1_800_000_000, 5_000_000).expect("date"),
        day: chrono::NaiveDate::from_ymd_opt(2026, 2, 28).expect("date"),
        time_when: time::macros::datetime!(2026-11-28 10:11:12.5 +02:00),
        uuid: uuid::Uuid::from_u128(0x1234),
        expires_at: Some(chrono::DateTime::from_timestamp(1_900_000_000, 0).expect("date")),
    }
}

fn node(label: &str, next: Option<Node>) -> Node {
    Node {
        label: label.into(),
        weight: Some(1.5),
        children: vec![Node {
            label: "leaf".into(),
            weight: None,
            children: vec![],
            named: BTreeMap::new(),
            next: None,
        }],
        named: BTreeMap::new(),
        next: next.map(Box::new),
    }
}

fn seeds() -> Vec<Item> {
    vec![
        everything().to_item(),
        Tree {
            id: "t".into(),
            at: -5,
            root: node("a", Some(node("b", None))),
            version: 3,
        }
        .to_item(),
        Org {
            org_id: "acme".into(),
            name: "Acme".into(),
            plan: Plan::Enterprise,
        }
        .to_item(),
        Member {
            org_id: "acme".into(),
            member_id: 7,
            joined: time::macros::datetime!(2026-01-02 03:04:05 UTC),
            preferences: Some(Preferences {
                theme: "light".into(),
                font_size: 9,
            }),
        }
        .to_item(),
    ]
}

// ---- the generator ---------------------------------------------------------

/// SplitMix64: small, fast, and the same sequence for the same seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[self.below(from.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Attribute and map-key names the decoders look for, and some they do not.
#[rustfmt::skip]
const NAMES: &[&str] = &[
    "id", "version", "text", "empty_text", "letter", "i8_", "i16_", "i32_", "i64_", "i128_",
    "isize_", "u8_", "u16_", "u32_", "u64_", "u128_", "usize_", "f32_", "f64_", "flag", "bytes",
    "raw", "small_numbers", "maybe", "maybe_not", "list", "deque", "nested_lists", "string_set",
    "number_set", "binary_set", "empty_set", "map", "ordered_map", "empty_map", "address", "plan",
    "plans", "preferences", "maybe_preferences", "yes", "added_later", "when", "day", "time_when",
    "uuid", "expires_at", "streetLine", "city", "zip", "geo", "lat", "lon", "grid", "cell",
    "label", "theme", "font_size", "at", "root", "weight", "children", "named", "next", "PK",
    "SK", "_type", "org_id", "name", "member_id", "joined", "", "é", "a.b", "#x",
];

/// Number texts at and past every edge: DynamoDB's, Rust's and the types'.
#[rustfmt::skip]
const NUMBERS: &[&str] = &[
    "0", "-0", "1", "-1", "7", "255", "256", "-129", "65536", "4294967296",
    "18446744073709551615", "18446744073709551616", "-9223372036854775809",
    "170141183460469231731687303715884105728", "99999999999999999999999999999999999999",
    "1.5", "-2.25", "0.1", "1e39", "-1e39", "3.4e38", "1e-130", "-1e-130", "1e-46", "1e308",
    "1e309", "1e-400", "9.9999999999999999999999999999999999999E+125", "1E126", "NaN", "nan",
    "inf", "-inf", "+infinity", "Infinity", "", ".", "-", "+", "1e", "e5", "0x10", " 1", "1 ",
    "1_000", "１", "1e99999999999999999999", "00000000000000000000000000000000000000000001",
    "1800000000", "-62135596801", "253402300800", "9223372036854775807",
    "11e9223372036854775807", "0.001e-9223372036854775808", "1e-9223372036854775809",
];

/// Strings that are almost what a field wants: dates, ids, enum names,
/// key-template text, and plain junk.
#[rustfmt::skip]
const STRINGS: &[&str] = &[
    "", "x", "ß", "Y", "N", "y", "free", "pro_monthly", "ENTERPRISE", "Enterprise",
    "2026-11-28T10:11:12.345Z", "2026-11-28T10:11:12+25:00", "9999-12-31T23:59:59Z",
    "+10000-01-01T00:00:00Z", "2026-02-29", "2026-02-28", "0000-01-01", "2026-13-01",
    "00000000-0000-0000-0000-000000001234", "urn:uuid:00000000-0000-0000-0000-000000001234",
    "00000000000000000000000000001234", "{00000000-0000-0000-0000-000000001234}", "not-a-uuid",
    "ORG#acme", "ORG", "MEMBER#7", "MEMBER#", "MEMBER#-1", "MEMBER#4294967296", "ORG#", "#",
    "org", "member", "user", "\u{0}", "日本語🚀", "dark",
];

fn string(rng: &mut Rng) -> String {
    if rng.chance(80) {
        (*rng.pick(STRINGS)).to_owned()
    } else {
        let len = rng.below(12);
        (0..len)
            .map(|_| char::from_u32(rng.below(0x800) as u32).unwrap_or('?'))
            .collect()
    }
}

fn name(rng: &mut Rng) -> String {
    if rng.chance(90) {
        (*rng.pick(NAMES)).to_owned()
    } else {
        string(rng)
    }
}

fn number(rng: &mut Rng) -> String {
    if rng.chance(85) {
        (*rng.pick(NUMBERS)).to_owned()
    } else {
        let digits = 1 + rng.below(45);
        let mut text: String = (0..digits)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect();
        if rng.chance(30) {
            text.insert(rng.below(text.len() + 1), '.');
        }
        if rng.chance(30) {
            text.push_str(&format!("e{}", rng.below(600) as i64 - 300));
        }
        if rng.chance(40) {
            text.insert(0, '-');
        }
        text
    }
}

/// An arbitrary value; lists and maps nest up to `depth` more levels.
fn value(rng: &mut Rng, depth: usize) -> AttributeValue {
    let kinds = if depth == 0 { 8 } else { 10 };
    match rng.below(kinds) {
        0 => AttributeValue::S(string(rng)),
        1 => AttributeValue::N(number(rng)),
        2 => AttributeValue::Bool(rng.chance(50)),
        3 => AttributeValue::Null(rng.chance(90)),
        4 => AttributeValue::B(Blob::new(
            (0..rng.below(5))
                .map(|_| rng.next() as u8)
                .collect::<Vec<u8>>(),
        )),
        5 => AttributeValue::Ss((0..rng.below(4)).map(|_| string(rng)).collect()),
        6 => AttributeValue::Ns((0..rng.below(4)).map(|_| number(rng)).collect()),
        7 => AttributeValue::Bs(
            (0..rng.below(3))
                .map(|_| Blob::new(vec![rng.next() as u8]))
                .collect(),
        ),
        8 => AttributeValue::L((0..rng.below(4)).map(|_| value(rng, depth - 1)).collect()),
        _ => AttributeValue::M(
            (0..rng.below(5))
                .map(|_| (name(rng), value(rng, depth - 1)))
                .collect(),
        ),
    }
}

/// A chain of `levels` maps under `key`: deeper than DynamoDB allows when
/// `levels` is over 32, for the depth bound.
fn deep(rng: &mut Rng, levels: usize) -> AttributeValue {
    let key = *rng.pick(&["next", "named", "children", "geo", "x"]);
    let mut v = value(rng, 1);
    for _ in 0..levels {
        v = if rng.chance(50) {
            AttributeValue::M(HashMap::from([
                (key.to_owned(), v),
                ("label".to_owned(), AttributeValue::S("n".into())),
            ]))
        } else {
            AttributeValue::L(vec![v])
        };
    }
    v
}

/// One case: a valid item with a few attributes changed, or a random item.
fn item(rng: &mut Rng, seeds: &[Item]) -> Item {
    let mut item = if rng.chance(70) {
        rng.pick(seeds).clone()
    } else {
        HashMap::new()
    };
    let changes = 1 + rng.below(if item.is_empty() { 12 } else { 3 });
    for _ in 0..changes {
        match rng.below(10) {
            0 => {
                let key = name(rng);
                item.remove(&key);
            }
            1 => {
                // Mostly around DynamoDB's 32 levels; now and then far past
                // them, as a hand-built or hostile value could be.
                let levels = if rng.chance(3) {
                    100 + rng.below(900)
                } else {
                    20 + rng.below(30)
                };
                item.insert(name(rng), deep(rng, levels));
            }
            _ => {
                let depth = rng.below(5);
                item.insert(name(rng), value(rng, depth));
            }
        }
    }
    item
}

// ---- the properties ----------------------------------------------------------

/// Decodes `item` as `T`; whatever decodes must decode to itself from its
/// own encoding, and when the input is an item DynamoDB would store, its
/// encoding must be one too (a float read as infinity would not be).
fn check_entity<T: Entity + PartialEq + std::fmt::Debug>(item: Item) -> Result<bool, String> {
    let storable = dynamo_repo::__private::check_item(&T::SCHEMA, &item).is_ok();
    match T::from_item(item) {
        Ok(value) => {
            let again = value.to_item();
            if let (true, Err(e)) = (
                storable,
                dynamo_repo::__private::check_item(&T::SCHEMA, &again),
            ) {
                // One known edge, refused on write rather than silently wrong:
                // DynamoDB's largest number, 9.99...9E+125 (38 nines), reads
                // into an f64 as 1E+126, just past DynamoDB's range.
                let rounded_past_the_top = e.kind == dynamo_repo::ValidationErrorKind::InvalidNumber
                    && e.message.contains("outside DynamoDB's number range")
                    && again
                        .get(e.attribute.as_deref().unwrap_or(""))
                        .is_some_and(|v| matches!(v, AttributeValue::N(n) if n.parse::<f64>().is_ok_and(|f| f.abs() == 1e126)));
                if rounded_past_the_top {
                    return Ok(true);
                }
                return Err(format!(
                    "a storable item decoded to a value that is not: {e}"
                ));
            }
            match T::from_item(again) {
                Ok(back) if back == value => Ok(true),
                Ok(back) => Err(format!("{back:?} != {value:?}")),
                Err(e) => Err(format!("re-decoding failed: {e:?}")),
            }
        }
        Err(Error::Decode(_)) => Ok(false),
        Err(other) => Err(format!("not a decode error: {other:?}")),
    }
}

fn only_decode_errors<T>(result: Result<T, Error>) -> Result<bool, String> {
    match result {
        Ok(_) => Ok(true),
        Err(Error::Decode(_)) => Ok(false),
        Err(other) => Err(format!("not a decode error: {other:?}")),
    }
}

/// Decodes one item with every decoder; says which ones accepted it.
fn one_case(item: Item) -> Result<[bool; 6], String> {
    Ok([
        check_entity::<Everything>(item.clone())?,
        check_entity::<Tree>(item.clone())?,
        check_entity::<Org>(item.clone())?,
        check_entity::<Member>(item.clone())?,
        only_decode_errors(<OrgItem as dynamo_repo::Collection>::from_item(
            item.clone(),
        ))?,
        only_decode_errors(<EverythingSummary as dynamo_repo::Projection>::from_item(
            item,
        ))?,
    ])
}

/// An item dropped level by level: a 1,000-deep value's own drop recurses.
struct Flat(Item);

impl Drop for Flat {
    fn drop(&mut self) {
        let mut stack: Vec<AttributeValue> = std::mem::take(&mut self.0).into_values().collect();
        while let Some(v) = stack.pop() {
            match v {
                AttributeValue::M(map) => stack.extend(map.into_values()),
                AttributeValue::L(list) => stack.extend(list),
                _ => {}
            }
        }
    }
}

fn run(cases: usize, seed: u64) {
    let seeds = seeds();
    let started = Instant::now();
    let mut rng = Rng(seed);
    let mut decoded = [0usize; 6];
    for case in 0..cases {
        let case_seed = rng.next();
        let item = item(&mut Rng(case_seed), &seeds);
        let outcome = catch_unwind(AssertUnwindSafe(|| one_case(item.clone())));
        let item = Flat(item);
        match outcome {
            Ok(Ok(accepted)) => {
                for (count, ok) in decoded.iter_mut().zip(accepted) {
                    *count += usize::from(ok);
                }
            }
            Ok(Err(message)) => panic!(
                "case {case} (case seed {case_seed:#x}): {message}\nitem: {:?}",
                item.0
            ),
            Err(_) => panic!(
                "case {case} (case seed {case_seed:#x}) panicked\nitem: {:?}",
                item.0
            ),
        }
    }
    println!(
        "fuzz: {cases} cases (seed {seed}), 6 decoders each, in {:.1?}; \
         decoded as Everything / Tree / Org / Member / OrgItem / EverythingSummary: {decoded:?}",
        started.elapsed()
    );
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn arbitrary_items_never_panic_or_abort() {
    run(env_or("FUZZ_CASES", 100_000), env_or("FUZZ_SEED", 11));
}

#[test]
#[ignore = "long run: FUZZ_CASES (default 2,000,000) with --release"]
fn arbitrary_items_never_panic_or_abort_long() {
    run(env_or("FUZZ_CASES", 2_000_000), env_or("FUZZ_SEED", 12));
}
