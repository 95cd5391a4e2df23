//! Unit tests of the sort-safe encodings.

use super::*;

#[test]
fn float_text_order_is_numeric_order_and_decodes_back() {
    let mut x: u64 = 0x5eed_f10a;
    let mut values: Vec<f64> = vec![
        f64::NEG_INFINITY,
        f64::MIN,
        -1.0,
        -f64::MIN_POSITIVE,
        -5e-324,
        0.0,
        5e-324,
        f64::MIN_POSITIVE,
        1.0,
        1.5,
        f64::MAX,
        f64::INFINITY,
    ];
    while values.len() < 2_000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let v = f64::from_bits(x);
        if !v.is_nan() {
            values.push(v);
        }
    }
    let text = |v: f64| {
        let mut out = String::new();
        assert!(v.write_sortable(&mut out));
        out
    };
    for v in &values {
        let t = text(*v);
        assert_eq!(t.len(), 16);
        assert_eq!(
            f64::read_sortable(&t).map(f64::to_bits),
            Some((*v + 0.0).to_bits())
        );
    }
    values.sort_by(f64::total_cmp);
    let texts: Vec<String> = values.iter().map(|v| text(*v)).collect();
    assert!(
        texts.windows(2).all(|w| w[0] <= w[1]),
        "text order is numeric order"
    );
    assert_eq!(text(-0.0), text(0.0));
    assert_eq!(text(1.5), "bff8000000000000");
    assert!(!f64::NAN.write_sortable(&mut String::new()));
    assert_eq!(f64::read_sortable("BFF8000000000000"), None);
    assert_eq!(f64::read_sortable("bff800000000000"), None);
    let mut out = String::new();
    assert!((-2.5f32).write_sortable(&mut out) && out.len() == 8);
    assert_eq!(f32::read_sortable(&out), Some(-2.5));
}

/// A small deterministic generator (no extra dev-dependency).
fn values(seed: u64, n: usize) -> Vec<i128> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as i64 as i128
        })
        .collect()
}

fn signed(v: i128, width: usize) -> String {
    let mut s = String::new();
    encode_signed(v, width, &mut s).unwrap();
    s
}

#[test]
fn widths_of_the_integer_types() {
    assert_eq!(max_digits(8), 3);
    assert_eq!(max_digits(16), 5);
    assert_eq!(max_digits(32), 10);
    assert_eq!(max_digits(64), 20);
    assert_eq!(max_digits(128), 39);
}

#[test]
fn signed_text_order_is_value_order_and_decodes_back() {
    let mut vals = values(0x9e37_79b9_7f4a_7c15, 1_000);
    vals.extend([i64::MIN as i128, i64::MAX as i128, -1, 0, 1]);
    let width = max_digits(63);
    let mut by_text: Vec<(String, i128)> = vals.iter().map(|&v| (signed(v, width), v)).collect();
    by_text.sort();
    let mut by_value = vals.clone();
    by_value.sort();
    assert_eq!(
        by_text.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
        by_value
    );
    for (text, v) in &by_text {
        assert_eq!(decode_signed(text, width), Some(*v), "{text}");
    }
    assert_eq!(signed(-1, 5), "-99999");
    assert_eq!(signed(-100_000, 5), "-00000");
    assert_eq!(signed(i128::MIN, 39).len(), 40);
    assert_eq!(decode_signed(&signed(i128::MIN, 39), 39), Some(i128::MIN));
}

#[test]
fn unsigned_pads_and_refuses_what_does_not_fit() {
    let mut s = String::new();
    encode_unsigned(42, 8, &mut s).unwrap();
    assert_eq!(s, "00000042");
    assert_eq!(decode_unsigned("00000042", 8), Some(42));
    assert_eq!(encode_unsigned(123_456_789, 8, &mut s), Err(()));
    assert_eq!(s, "00000042", "nothing appended on overflow");
    assert_eq!(encode_signed(-100_001, 5, &mut s), Err(()));
    assert_eq!(decode_unsigned("42", 8), None, "wrong width");
    assert_eq!(decode_signed("-9x999", 5), None);
    let mut max = String::new();
    encode_unsigned(u128::MAX, max_digits(128), &mut max).unwrap();
    assert_eq!(decode_unsigned(&max, 39), Some(u128::MAX));
}

#[test]
fn a_value_too_wide_replaces_the_key_with_a_refusal_naming_the_field() {
    let mut key = String::from("W#");
    push_width_key_part(&mut key, &1_000u32, 3, "n", "{n:03}");
    key.push_str("#tail");
    let reason = refusal(&key).expect("refused");
    assert!(
        reason.contains("field `n`") && reason.contains("{n:03}"),
        "{reason}"
    );
    assert!(!reason.contains("1000"), "no value: {reason}");
    let mut ok = String::from("W#");
    push_width_key_part(&mut ok, &999u32, 3, "n", "{n:03}");
    assert_eq!((ok.as_str(), refusal(&ok)), ("W#999", None));
    let mut signed = String::new();
    push_sortable_key_part(&mut signed, &i8::MIN, "n", "{n:sortable}");
    assert_eq!(signed, "-872", "the complement of 127 at 3 digits");
    assert_eq!(i8::read_sortable("-872"), Some(i8::MIN));
    assert_eq!(i8::read_sortable("-871"), None, "-129 is not an i8");
    assert_eq!(u8::read_width("256", 3), None, "out of the type's range");
}

#[cfg(feature = "chrono")]
#[test]
fn chrono_date_times_have_a_fixed_width_utc_form() {
    use chrono::{TimeZone, Utc};
    let at = Utc.with_ymd_and_hms(2026, 12, 3, 10, 48, 11).unwrap();
    let mut s = String::new();
    assert!(at.write_sortable(&mut s));
    assert_eq!(s, "2026-12-03T10:48:11.000000000Z");
    assert_eq!(chrono::DateTime::<Utc>::read_sortable(&s), Some(at));
    assert_eq!(
        chrono::DateTime::<Utc>::read_sortable("2026-12-03T10:48:11Z"),
        None
    );
    let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
        .unwrap()
        .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
        .unwrap()
        .and_utc();
    let mut s = String::new();
    assert!(leap.write_sortable(&mut s));
    assert_eq!(s, "2016-12-31T23:59:60.500000000Z");
    assert_eq!(chrono::DateTime::<Utc>::read_sortable(&s), Some(leap));
    let far = Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap();
    let mut s = String::new();
    assert!(!far.write_sortable(&mut s));
    assert!(s.is_empty());
}

#[cfg(feature = "time")]
#[test]
fn time_date_times_are_written_in_utc() {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(1_764_758_891_123_456_789)
        .unwrap()
        .to_offset(time::UtcOffset::from_hms(-5, -30, 0).unwrap());
    let mut s = String::new();
    assert!(at.write_sortable(&mut s));
    assert_eq!(s, "2025-12-03T10:48:11.123456789Z");
    assert_eq!(time::OffsetDateTime::read_sortable(&s), Some(at));
}
