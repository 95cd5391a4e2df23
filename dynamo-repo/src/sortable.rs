//! Sort-safe text encodings of integers for key templates (groundwork of
//! issue 14, *Sort-safe key encoding*; not yet reachable from templates).
//!
//! DynamoDB orders string sort keys by their UTF-8 bytes, so plain decimal
//! integers sort wrongly (`10` before `9`). These encodings make text order
//! equal value order, at a fixed width of `width` digits:
//!
//! - **Unsigned**: the value zero-padded to `width` digits (`42` at 8 →
//!   `00000042`). A value with more digits does not fit.
//! - **Signed**: a value `>= 0` is zero-padded as above; a negative value is
//!   `-` followed by the nines' complement of `|value| - 1` at `width` digits
//!   (`-1` at 5 → `-99999`, `-100000` at 5 → `-00000`). `-` sorts before every
//!   digit, and within the negatives a larger value has a larger complement,
//!   so text order is value order. The range at width `w` is `-(10^w) ..
//!   10^w - 1`.
//!
//! Neither encoding contains `#` or `%`, so escaping leaves it unchanged and a
//! key splits back at `#` as before. `decode_*` inverts `encode_*` exactly and
//! refuses any other text (wrong width, stray characters).

/// The decimal digits of the largest value of each integer type: the width
/// at which every value fits.
pub(crate) const fn max_digits(bits: u32) -> usize {
    let mut max = if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    let mut digits = 1;
    while max >= 10 {
        max /= 10;
        digits += 1;
    }
    digits
}

/// Appends `value` zero-padded to `width` digits; `Err(())` when it has more
/// digits than that (nothing is appended then).
pub(crate) fn encode_unsigned(value: u128, width: usize, out: &mut String) -> Result<(), ()> {
    let text = value.to_string();
    if text.len() > width {
        return Err(());
    }
    out.extend(std::iter::repeat_n('0', width - text.len()));
    out.push_str(&text);
    Ok(())
}

/// Appends the order-preserving text of `value` at `width` digits (see the
/// module docs); `Err(())` when it does not fit.
pub(crate) fn encode_signed(value: i128, width: usize, out: &mut String) -> Result<(), ()> {
    if value >= 0 {
        return encode_unsigned(value as u128, width, out);
    }
    // |value| - 1, without overflow at i128::MIN.
    let magnitude = (-(value + 1)) as u128;
    let mut digits = String::with_capacity(width);
    encode_unsigned(magnitude, width, &mut digits)?;
    out.push('-');
    out.extend(digits.bytes().map(|d| char::from(b'9' - (d - b'0'))));
    Ok(())
}

/// The value of a text made by [`encode_unsigned`] at `width`.
pub(crate) fn decode_unsigned(text: &str, width: usize) -> Option<u128> {
    (text.len() == width && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// The value of a text made by [`encode_signed`] at `width`.
pub(crate) fn decode_signed(text: &str, width: usize) -> Option<i128> {
    match text.strip_prefix('-') {
        None => decode_unsigned(text, width).and_then(|v| i128::try_from(v).ok()),
        Some(complement) => {
            if complement.len() != width || !complement.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let digits: String = complement
                .bytes()
                .map(|d| char::from(b'9' - (d - b'0')))
                .collect();
            let magnitude = i128::try_from(digits.parse::<u128>().ok()?).ok()?;
            Some(-magnitude - 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut by_text: Vec<(String, i128)> =
            vals.iter().map(|&v| (signed(v, width), v)).collect();
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
}
