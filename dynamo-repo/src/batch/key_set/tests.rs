use super::*;
use crate::batch::keys::canonical;
use std::hash::BuildHasherDefault;

/// A set of keys with the attributes `names` (one or two).
fn key_set(names: &[&'static str], exact: bool) -> KeySet {
    KeySet::with_hasher(
        (names[0], names.get(1).copied()),
        4,
        Default::default(),
        exact,
    )
}

fn key(pairs: &[(&str, AttributeValue)]) -> Item {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), v.clone()))
        .collect()
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.into())
}

fn b(v: &[u8]) -> AttributeValue {
    AttributeValue::B(Blob::new(v))
}

/// Every key hashes to 0: all lookups go through the comparison.
#[derive(Default)]
struct Colliding;

impl Hasher for Colliding {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, _: &[u8]) {}
}

#[test]
fn numbers_equal_by_value_are_one_key() {
    let mut set = key_set(&["pk", "sk"], false);
    assert_eq!(set.insert(&key(&[("pk", s("a")), ("sk", n("1"))])), Ok(0));
    for same in ["1.0", "10e-1", "+01", "0.1E1", "1.000"] {
        assert_eq!(
            set.insert(&key(&[("pk", s("a")), ("sk", n(same))])),
            Err(0),
            "{same}"
        );
        assert_eq!(set.find(&key(&[("pk", s("a")), ("sk", n(same))])), Some(0));
    }
    assert_eq!(set.insert(&key(&[("pk", s("a")), ("sk", n("-1"))])), Ok(1));
    assert_eq!(set.insert(&key(&[("pk", s("a")), ("sk", n("10"))])), Ok(2));
    assert_eq!(
        set.insert(&key(&[("pk", s("a")), ("sk", n("1e1"))])),
        Err(2)
    );
    assert_eq!(set.insert(&key(&[("pk", s("a")), ("sk", n("0"))])), Ok(3));
    assert_eq!(
        set.insert(&key(&[("pk", s("a")), ("sk", n("-0.0"))])),
        Err(3)
    );
    assert_eq!(set.len(), 4);
    // The key is made again with the text it was given.
    assert_eq!(set.key(0), Some(key(&[("pk", s("a")), ("sk", n("1"))])));
    assert_eq!(set.key(3), Some(key(&[("pk", s("a")), ("sk", n("0"))])));
    assert_eq!(set.key(4), None);
}

#[test]
fn binary_keys_compare_by_bytes() {
    let mut set = key_set(&["id"], false);
    assert_eq!(set.insert(&key(&[("id", b(&[0, 1, 255]))])), Ok(0));
    assert_eq!(set.insert(&key(&[("id", b(&[0, 1]))])), Ok(1));
    assert_eq!(set.insert(&key(&[("id", b(&[0, 1, 255]))])), Err(0));
    assert_eq!(set.find(&key(&[("id", b(&[0, 1]))])), Some(1));
    assert_eq!(set.find(&key(&[("id", b(&[1]))])), None);
    // A string with the same bytes is another key.
    assert_eq!(set.find(&key(&[("id", s("\u{0}\u{1}"))])), None);
    assert_eq!(set.key(0), Some(key(&[("id", b(&[0, 1, 255]))])));
    assert_eq!(set.key(1), Some(key(&[("id", b(&[0, 1]))])));
}

#[test]
fn types_and_attributes_tell_keys_apart() {
    let mut set = key_set(&["pk", "sk"], false);
    assert_eq!(set.insert(&key(&[("pk", s("1")), ("sk", s("1"))])), Ok(0));
    assert_eq!(set.insert(&key(&[("pk", s("1")), ("sk", n("1"))])), Ok(1));
    assert_eq!(set.insert(&key(&[("pk", s("1"))])), Ok(2));
    assert_eq!(set.insert(&key(&[("pk", s("1")), ("sk", s("1.0"))])), Ok(3));
    // Attributes other than the key's are not compared.
    let item = key(&[("pk", s("1")), ("sk", n("1.00")), ("data", s("x"))]);
    assert_eq!(set.find(&item), Some(1));
    assert_eq!(set.key(2), Some(key(&[("pk", s("1"))])));
}

#[test]
fn a_key_with_more_attributes_is_made_again_whole() {
    let mut set = key_set(&["pk"], true);
    let given = key(&[("pk", s("a")), ("extra", n("7"))]);
    assert_eq!(set.insert(&given), Ok(0));
    assert_eq!(set.insert(&key(&[("pk", s("a"))])), Err(0));
    assert_eq!(set.key(0).as_ref(), Some(&given));
    let odd = key(&[("pk", AttributeValue::Bool(true))]);
    assert_eq!(set.insert(&odd), Ok(1));
    assert_eq!(set.insert(&odd), Err(1));
    assert_eq!(set.find(&key(&[("pk", AttributeValue::Bool(false))])), None);
    assert_eq!(set.key(1).as_ref(), Some(&odd));
    // Without `exact`, only the key attributes are kept (a value of another
    // type cannot be made again, and is left out).
    let mut keys_only = key_set(&["pk"], false);
    assert_eq!(keys_only.insert(&given), Ok(0));
    assert_eq!(keys_only.key(0), Some(key(&[("pk", s("a"))])));
    assert_eq!(keys_only.insert(&odd), Ok(1));
    assert_eq!(keys_only.insert(&odd), Err(1));
    assert_eq!(keys_only.key(1), Some(Item::new()));
}

#[test]
fn colliding_hashes_still_compare_every_attribute() {
    let mut set = KeySet::with_hasher(
        ("pk", Some("sk")),
        0,
        BuildHasherDefault::<Colliding>::default(),
        true,
    );
    let keys: Vec<Item> = (0..50)
        .map(|i| {
            key(&[
                ("pk", s(&format!("p{}", i % 5))),
                ("sk", n(&(i / 5).to_string())),
            ])
        })
        .collect();
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(set.insert(k), Ok(i));
    }
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(set.insert(k), Err(i));
        let same_value = key(&[
            ("pk", s(&format!("p{}", i % 5))),
            ("sk", n(&format!("{}.0", i / 5))),
        ]);
        assert_eq!(set.find(&same_value), Some(i));
        assert_eq!(set.key(i).as_ref(), Some(k));
    }
    assert_eq!(set.find(&key(&[("pk", s("p9")), ("sk", n("0"))])), None);
    assert_eq!(set.len(), 50);
}

#[test]
fn duplicates_are_those_of_the_canonical_text() {
    let values = [
        s("1"),
        s("1.0"),
        s(""),
        n("1"),
        n("1.0"),
        n("10e-1"),
        n("-1"),
        n("100"),
        n("1e2"),
        n("0.5"),
        n("5E-1"),
        b(&[1]),
        b(&[49]),
        b(&[]),
    ];
    let mut keys = Vec::new();
    for pk in &values {
        for sk in values.iter().take(8) {
            keys.push(key(&[("pk", pk.clone()), ("sk", sk.clone())]));
        }
    }
    let mut set = key_set(&["pk", "sk"], false);
    let mut first_of: HashMap<String, usize> = HashMap::new();
    for k in &keys {
        let text = canonical(["pk", "sk"], k);
        let next = first_of.len();
        let expected = match first_of.get(&text) {
            Some(&first) => Err(first),
            None => {
                first_of.insert(text, next);
                Ok(next)
            }
        };
        assert_eq!(set.insert(k), expected, "{k:?}");
    }
    assert!(first_of.len() < keys.len(), "some keys are equal by value");
}
