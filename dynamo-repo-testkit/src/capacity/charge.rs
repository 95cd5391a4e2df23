//! DynamoDB's capacity rules: the size of an item, and the read and write
//! capacity units a request of that size consumes.
//!
//! | Request | Charge |
//! |---|---|
//! | write (`PutItem`, `UpdateItem`, `DeleteItem`, each write of a `BatchWriteItem`) | 1 WCU per started KB (1,024 bytes) of the item, at least 1 |
//! | strongly consistent read (`GetItem`, each key of a `BatchGetItem`) | 1 RCU per started 4 KB, at least 1 |
//! | eventually consistent read | half of that: 0.5 RCU per started 4 KB |
//! | transactional write / read (`TransactWriteItems` / `TransactGetItems`) | twice the write / strongly consistent read |
//! | `Query` / `Scan` | the read rule applied once to the **total** size read, not per item |
//!
//! Sizes follow DynamoDB's item size rule: every attribute name's UTF-8
//! bytes plus its value's size (strings: UTF-8 bytes; binary: raw bytes;
//! numbers: one byte per two significant digits, plus one; booleans and
//! nulls: 1; lists and maps: 3 bytes plus 1 per element, plus the elements,
//! map keys counting as names; sets: the sum of their elements).

use dynamo_repo::sdk::types::AttributeValue;
use dynamo_repo::Item;

/// Bytes per write capacity unit.
pub const WRITE_UNIT_BYTES: usize = 1024;
/// Bytes per read capacity unit (strongly consistent).
pub const READ_UNIT_BYTES: usize = 4096;

/// How a read is served, which sets its price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadKind {
    /// Eventually consistent (DynamoDB's default): half price.
    Eventual,
    /// Strongly consistent (`ConsistentRead: true`).
    Strong,
    /// Part of `TransactGetItems`: twice a strongly consistent read.
    Transactional,
}

impl ReadKind {
    /// The kind for a `ConsistentRead` flag.
    pub fn consistent(flag: Option<bool>) -> Self {
        if flag == Some(true) {
            ReadKind::Strong
        } else {
            ReadKind::Eventual
        }
    }

    /// The smallest charge of one read of this kind (a read of nothing, or a
    /// key that is not there, still costs this).
    pub fn minimum(self) -> f64 {
        read_units(0, self)
    }
}

/// DynamoDB's size of an item in bytes: names plus values.
pub fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

/// DynamoDB's size of one attribute value in bytes.
pub fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| number_size(n)).sum(),
        AttributeValue::L(v) => 3 + v.len() + v.iter().map(value_size).sum::<usize>(),
        AttributeValue::M(m) => {
            3 + m.len()
                + m.iter()
                    .map(|(k, v)| k.len() + value_size(v))
                    .sum::<usize>()
        }
        _ => 0,
    }
}

/// A number's size: one byte per two significant digits (leading and
/// trailing zeros do not count), plus one.
pub fn number_size(text: &str) -> usize {
    let mantissa = text
        .trim_start_matches(['-', '+'])
        .split(['e', 'E'])
        .next()
        .unwrap_or("");
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits
        .trim_start_matches('0')
        .trim_end_matches('0')
        .len()
        .max(1);
    significant.div_ceil(2) + 1
}

/// Write capacity units of writing an item of `bytes` bytes: 1 per started
/// KB, at least 1.
pub fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(WRITE_UNIT_BYTES).max(1) as f64
}

/// Write capacity units of one action of a `TransactWriteItems` on an item
/// of `bytes` bytes: twice [`write_units`].
pub fn transactional_write_units(bytes: usize) -> f64 {
    2.0 * write_units(bytes)
}

/// Read capacity units of reading `bytes` bytes (one item, or the total of a
/// query or scan page): 1 per started 4 KB, at least 1, halved for an
/// eventually consistent read, doubled for a transactional one.
pub fn read_units(bytes: usize, kind: ReadKind) -> f64 {
    let strong = bytes.div_ceil(READ_UNIT_BYTES).max(1) as f64;
    match kind {
        ReadKind::Eventual => strong / 2.0,
        ReadKind::Strong => strong,
        ReadKind::Transactional => 2.0 * strong,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> AttributeValue {
        AttributeValue::S(text.to_owned())
    }

    #[test]
    fn writes_cost_one_unit_per_started_kilobyte() {
        assert_eq!(write_units(0), 1.0);
        assert_eq!(write_units(1), 1.0);
        assert_eq!(write_units(1024), 1.0);
        assert_eq!(write_units(1025), 2.0);
        assert_eq!(write_units(3 * 1024 + 500), 4.0);
        assert_eq!(write_units(400 * 1024), 400.0);
        assert_eq!(transactional_write_units(1025), 4.0);
        assert_eq!(transactional_write_units(10), 2.0);
    }

    #[test]
    fn reads_cost_one_unit_per_started_four_kilobytes_half_when_eventual() {
        assert_eq!(read_units(1, ReadKind::Strong), 1.0);
        assert_eq!(read_units(4096, ReadKind::Strong), 1.0);
        assert_eq!(read_units(4097, ReadKind::Strong), 2.0);
        assert_eq!(read_units(4097, ReadKind::Eventual), 1.0);
        assert_eq!(read_units(100, ReadKind::Eventual), 0.5);
        assert_eq!(read_units(10 * 1024, ReadKind::Eventual), 1.5);
        assert_eq!(read_units(10 * 1024, ReadKind::Transactional), 6.0);
        assert_eq!(ReadKind::Eventual.minimum(), 0.5);
        assert_eq!(ReadKind::Transactional.minimum(), 2.0);
        // A query is charged once on its total: 1,000 items of 100 bytes are
        // 100,000 bytes, 25 strongly consistent units, not 1,000.
        assert_eq!(read_units(1000 * 100, ReadKind::Strong), 25.0);
        assert_eq!(read_units(1000 * 100, ReadKind::Eventual), 12.5);
    }

    #[test]
    fn sizes_follow_the_item_size_rule() {
        let mut item = Item::new();
        item.insert("id".into(), s("abc")); // 2 + 3
        item.insert("n".into(), AttributeValue::N("12345".into())); // 1 + (3 + 1)
        item.insert("ok".into(), AttributeValue::Bool(true)); // 2 + 1
        item.insert(
            "l".into(),
            AttributeValue::L(vec![s("xy"), AttributeValue::Null(true)]), // 1 + 3 + 2 + 2 + 1
        );
        item.insert(
            "m".into(),
            AttributeValue::M([("k".to_string(), s("v"))].into_iter().collect()), // 1 + 3 + 1 + 1 + 1
        );
        assert_eq!(item_size(&item), 5 + 5 + 3 + 9 + 7);
        assert_eq!(number_size("0"), 2);
        assert_eq!(number_size("-1000"), 2); // trailing zeros do not count
        assert_eq!(number_size("0.00123"), 3);
        assert_eq!(number_size("12345678901234567890123456789012345678"), 20);
    }

    #[test]
    fn a_one_kilobyte_item_is_one_unit_and_one_byte_more_is_two() {
        let name_and_key = "id".len() + "k".len() + "body".len();
        let mut item = Item::new();
        item.insert("id".into(), s("k"));
        item.insert("body".into(), s(&"x".repeat(1024 - name_and_key)));
        assert_eq!(item_size(&item), 1024);
        assert_eq!(write_units(item_size(&item)), 1.0);
        item.insert("body".into(), s(&"x".repeat(1025 - name_and_key)));
        assert_eq!(write_units(item_size(&item)), 2.0);
    }
}
