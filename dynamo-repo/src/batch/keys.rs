//! Canonical text of a key, to find duplicates and to match read items back
//! to the keys that asked for them.

use crate::value::Item;
use aws_sdk_dynamodb::types::AttributeValue;
use std::fmt::Write;

/// The canonical text of the attributes `names` of `item`: equal for two keys
/// DynamoDB considers the same (numbers compare by value: `1` = `1.0`).
pub(crate) fn canonical<'a>(names: impl IntoIterator<Item = &'a str>, item: &Item) -> String {
    let mut out = String::with_capacity(64);
    canonical_into(&mut out, names, item);
    out
}

/// [`canonical`] written into `out` (cleared first), so that a lookup can
/// reuse one buffer instead of allocating a string per item.
pub(crate) fn canonical_into<'a>(
    out: &mut String,
    names: impl IntoIterator<Item = &'a str>,
    item: &Item,
) {
    out.clear();
    for name in names {
        out.push_str(name);
        out.push('\u{1}');
        match item.get(name) {
            Some(AttributeValue::S(s)) => {
                out.push_str("S:");
                out.push_str(s);
            }
            Some(AttributeValue::N(n)) => {
                out.push_str("N:");
                push_normalized(out, n);
            }
            Some(AttributeValue::B(b)) => {
                out.push_str("B:");
                for byte in b.as_ref() {
                    let _ = write!(out, "{byte:02x}");
                }
            }
            Some(other) => {
                let _ = write!(out, "?:{other:?}");
            }
            None => out.push('-'),
        }
        out.push('\u{2}');
    }
}

/// The sorted attribute names of a raw key map.
pub(crate) fn sorted_names(key: &Item) -> Vec<String> {
    let mut names: Vec<String> = key.keys().cloned().collect();
    names.sort();
    names
}

/// A raw key map shown as `{id: S(3 bytes)}` (names sorted; values only when revealed), for errors.
pub(crate) fn display_raw(key: &Item) -> String {
    crate::redact::ShowItem(key).to_string()
}

/// About DynamoDB's size of a value in bytes (numbers counted by their text),
/// for raw requests that have no schema to validate against.
pub(crate) fn approx_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.len(),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(String::len).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(v) => 3 + v.iter().map(|x| 1 + approx_size(x)).sum::<usize>(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, x)| 1 + k.len() + approx_size(x))
                .sum::<usize>()
        }
        _ => 1,
    }
}

/// Appends [`normalize_number`] of `text` to `out`; a plain integer (the
/// common key: digits, maybe a minus sign) without building strings.
fn push_normalized(out: &mut String, text: &str) {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        out.push_str(&normalize_number(text));
        return;
    }
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        out.push('0');
        return;
    }
    let significant = digits.trim_end_matches('0');
    if negative {
        out.push('-');
    }
    out.push_str(significant);
    out.push('e');
    out.push_str(itoa::Buffer::new().format(digits.len() - significant.len()));
}

/// A number's value as DynamoDB compares it: sign, significant digits (no
/// leading or trailing zeros; empty for zero, which has no sign) and the
/// power of ten of the last digit, so that `1`, `1.0`, `10e-1` and `+01`
/// are equal. [`normalize_number`] is its text.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Normal<'a> {
    pub(crate) negative: bool,
    pub(crate) digits: std::borrow::Cow<'a, str>,
    pub(crate) exponent: i64,
}

/// The [`Normal`] form of a number's text: a plain integer (the common
/// key: digits, maybe a minus sign) borrows its digits; any other text is
/// read by [`normalize_number`]'s rules.
pub(crate) fn normal(text: &str) -> Normal<'_> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let bytes = digits.as_bytes();
    if !bytes.is_empty() && bytes.iter().all(u8::is_ascii_digit) {
        // Over bytes (the digits are ASCII, so the cuts are char boundaries).
        let leading = bytes.iter().take_while(|&&b| b == b'0').count();
        let digits = &digits[leading..];
        let trailing = digits.bytes().rev().take_while(|&b| b == b'0').count();
        let significant = &digits[..digits.len() - trailing];
        return Normal {
            negative: negative && !digits.is_empty(),
            digits: significant.into(),
            exponent: (digits.len() - significant.len()) as i64,
        };
    }
    let text = text.trim();
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().unwrap_or(0)),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{int}{frac}");
    let trimmed = all.trim_start_matches('0');
    let significant = trimmed.trim_end_matches('0');
    if significant.is_empty() {
        return Normal {
            negative: false,
            digits: "".into(),
            exponent: 0,
        };
    }
    Normal {
        negative,
        digits: significant.to_owned().into(),
        exponent: exponent - frac.len() as i64 + (trimmed.len() - significant.len()) as i64,
    }
}

/// `digits e exponent` with no leading or trailing zeros, so that `1`, `1.0`,
/// `10e-1` and `+01` all read the same.
fn normalize_number(text: &str) -> String {
    let text = text.trim();
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().unwrap_or(0)),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = format!("{int}{frac}");
    let mut exponent = exponent - frac.len() as i64;
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() {
        return "0".into();
    }
    digits = trimmed.to_owned();
    while digits.ends_with('0') {
        digits.pop();
        exponent += 1;
    }
    format!("{}{digits}e{exponent}", if negative { "-" } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_that_dynamodb_treats_as_equal_have_one_canonical_form() {
        for same in ["1", "1.0", "10e-1", "+01", "0.1E1"] {
            assert_eq!(normalize_number(same), "1e0", "{same}");
        }
        assert_eq!(normalize_number("-0.0"), "0");
        assert_eq!(normalize_number("0"), "0");
        assert_eq!(normalize_number("120"), "12e1");
        assert_ne!(normalize_number("-5"), normalize_number("5"));
    }

    #[test]
    fn the_integer_fast_path_agrees_with_the_general_form() {
        for text in [
            "0",
            "-0",
            "000",
            "7",
            "-7",
            "10",
            "1200",
            "-1200",
            "0012",
            "1764000000123",
            "18446744073709551615",
            "-9223372036854775808",
            "1.5",
            "-",
            "",
            "1e3",
            "+4",
        ] {
            let mut fast = String::new();
            push_normalized(&mut fast, text);
            assert_eq!(fast, normalize_number(text), "{text:?}");
        }
    }

    #[test]
    fn the_normal_form_reads_as_the_canonical_text() {
        for text in [
            "0",
            "-0",
            "000",
            "7",
            "-7",
            "10",
            "1200",
            "-1200",
            "0012",
            "1764000000123",
            "18446744073709551615",
            "1.5",
            "1.50",
            "-0.0",
            "+01",
            "0.1E1",
            "10e-1",
            "1e3",
            "120",
            "-12.340e2",
            "0.000",
            "5E+2",
            "",
            "-",
            "1e",
            "1.0e0",
        ] {
            let n = normal(text);
            let shown = if n.digits.is_empty() {
                "0".to_owned()
            } else {
                format!(
                    "{}{}e{}",
                    if n.negative { "-" } else { "" },
                    n.digits,
                    n.exponent
                )
            };
            assert_eq!(shown, normalize_number(text), "{text:?}");
        }
        assert_eq!(normal("1"), normal("1.0"));
        assert_eq!(normal("100"), normal("1e2"));
        assert_ne!(normal("-5"), normal("5"));
    }

    #[test]
    fn canonical_keys_follow_the_given_attributes() {
        let a: Item = [
            ("pk".to_string(), AttributeValue::S("x".into())),
            ("sk".to_string(), AttributeValue::N("1.50".into())),
            ("data".to_string(), AttributeValue::S("ignored".into())),
        ]
        .into_iter()
        .collect();
        let b: Item = [
            ("pk".to_string(), AttributeValue::S("x".into())),
            ("sk".to_string(), AttributeValue::N("1.5".into())),
        ]
        .into_iter()
        .collect();
        assert_eq!(canonical(["pk", "sk"], &a), canonical(["pk", "sk"], &b));
        // Values are not revealed in unit tests: names, types and sizes only.
        assert_eq!(display_raw(&b), "{pk: S(1 bytes), sk: N(3 chars)}");
    }
}
