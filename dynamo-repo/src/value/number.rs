//! DynamoDB's number rules: at most 38 significant digits, magnitude from
//! 1E-130 to 9.99...E+125, no NaN or infinity.

/// A checked view of a number's text, as DynamoDB would judge it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberText<'a>(&'a str);

/// The most significant digits DynamoDB keeps.
pub const MAX_SIGNIFICANT_DIGITS: usize = 38;
/// The exponent of the largest number DynamoDB stores (9.99...E+125).
pub const MAX_EXPONENT: i64 = 125;
/// The exponent of the smallest non-zero number DynamoDB stores (1E-130).
pub const MIN_EXPONENT: i64 = -130;

impl<'a> NumberText<'a> {
    /// Wraps a number's text.
    pub fn new(text: &'a str) -> Self {
        NumberText(text)
    }

    /// Checks the text against DynamoDB's rules; the error says which rule failed.
    pub fn check(self) -> Result<(), String> {
        self.significant_digits().map(|_| ())
    }

    /// Checks the text and returns its number of significant digits (0 for zero).
    pub fn significant_digits(self) -> Result<usize, String> {
        let text = self.0;
        let body = match text.as_bytes().first() {
            Some(b'-' | b'+') => &text[1..],
            _ => text,
        };
        // (digits before the point, all digits, leading zeros, trailing zeros, exponent)
        let (int_len, total, leading, trailing, exponent) = match plain_digits(body) {
            Some((int_len, total, leading, trailing)) => (int_len, total, leading, trailing, 0),
            None => general_digits(text, body)?,
        };
        if leading == total {
            return Ok(0); // zero
        }
        let significant = total - leading - trailing;
        if significant > MAX_SIGNIFICANT_DIGITS {
            return Err(format!(
                "{} has {significant} significant digits; DynamoDB keeps at most {MAX_SIGNIFICANT_DIGITS}",
                shown(text)
            ));
        }
        // Exponent of the most significant digit, in scientific notation.
        // Saturating: an exponent near i64's edges must not overflow (it is
        // out of range either way).
        let digits_before = int_len as i64 - 1 - leading as i64;
        let magnitude = digits_before.saturating_add(exponent);
        if !(MIN_EXPONENT..=MAX_EXPONENT).contains(&magnitude) {
            return Err(format!(
                "{} is outside DynamoDB's number range (1E-130 to 9.9999999999999999999999999999999999999E+125)",
                shown(text)
            ));
        }
        Ok(significant)
    }
}

/// The leading and trailing zeros of a plain number's digits (the common
/// number: digits with maybe one point, no exponent; read without chained
/// iterators), or `None` for any other text:
/// `(int_len, total, leading, trailing)`.
fn plain_digits(body: &str) -> Option<(usize, usize, usize, usize)> {
    let bytes = body.as_bytes();
    let mut dot = None;
    // The first and last non-zero digits, as byte positions.
    let mut first = None;
    let mut last = 0;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'1'..=b'9' => {
                if first.is_none() {
                    first = Some(i);
                }
                last = i;
            }
            b'0' => {}
            b'.' if dot.is_none() => dot = Some(i),
            _ => return None,
        }
    }
    let int_len = dot.unwrap_or(bytes.len());
    let total = bytes.len() - usize::from(dot.is_some());
    if total == 0 {
        return None;
    }
    let Some(first) = first else {
        return Some((int_len, total, total, 0));
    };
    // A point between counts for no digit.
    let leading = first - usize::from(dot.is_some_and(|d| d < first));
    let trailing = bytes.len() - 1 - last - usize::from(dot.is_some_and(|d| d > last));
    Some((int_len, total, leading, trailing))
}

/// [`plain_digits`] for any text (a fraction, an exponent), with the
/// digits before the point, all digits and the exponent:
/// `(int_len, total, leading, trailing, exponent)`.
fn general_digits(text: &str, body: &str) -> Result<(usize, usize, usize, usize, i64), String> {
    // Read over bytes, without allocating: this runs for every number of
    // every write (the markers are ASCII, so the cuts are char boundaries).
    let (mantissa, exponent) = match body.bytes().position(|b| b == b'e' || b == b'E') {
        Some(at) => {
            let exp: i64 = body[at + 1..]
                .parse()
                .map_err(|_| format!("{} is not a number", shown(text)))?;
            (&body[..at], exp)
        }
        None => (body, 0),
    };
    let (int_part, frac_part) = match mantissa.bytes().position(|b| b == b'.') {
        Some(at) => (&mantissa[..at], &mantissa[at + 1..]),
        None => (mantissa, ""),
    };
    let all_digits = int_part.bytes().chain(frac_part.bytes());
    if mantissa.is_empty()
        || (int_part.is_empty() && frac_part.is_empty())
        || !all_digits.clone().all(|c| c.is_ascii_digit())
    {
        return Err(format!(
            "{} is not a number DynamoDB can store (NaN and infinities are not allowed)",
            shown(text)
        ));
    }
    let total = int_part.len() + frac_part.len();
    let leading = all_digits.clone().take_while(|c| *c == b'0').count();
    let trailing = if leading == total {
        0
    } else {
        all_digits.rev().take_while(|c| *c == b'0').count()
    };
    Ok((int_part.len(), total, leading, trailing, exponent))
}

/// The number for a message: its text only when values are revealed.
fn shown(text: &str) -> crate::redact::ShowText<'_> {
    crate::redact::ShowText {
        text,
        what: "number",
    }
}

#[cfg(test)]
mod tests {
    use super::NumberText;

    fn ok(text: &str) -> bool {
        NumberText::new(text).check().is_ok()
    }

    #[test]
    fn accepts_the_extremes_dynamodb_stores() {
        assert!(ok("0"));
        assert!(ok("-0"));
        assert!(ok("18446744073709551615"));
        assert!(ok("-9223372036854775808"));
        assert!(ok("99999999999999999999999999999999999999")); // 38 digits
        assert!(ok("1E-130"));
        assert!(ok("9.9999999999999999999999999999999999999E+125"));
        assert!(ok("0.000123"));
        assert!(!ok("1e300"));
        assert!(ok("120000000000000000000000000000000000000000"));
    }

    #[test]
    fn the_plain_pass_agrees_with_the_general_reading() {
        for body in [
            "0",
            "000",
            "7",
            "10",
            "1200",
            "0012",
            "1764000000123",
            "18446744073709551615",
            "99999999999999999999999999999999999999",
            "170141183460469231731687303715884105727",
            "1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
            "1234.5678",
            "0.000123",
            "0.0",
            "00.00",
            "120.0500",
            "1.",
            ".5",
            "000.001000",
            "100.000",
        ] {
            let (int_len, total, leading, trailing) =
                super::plain_digits(body).expect("a plain number");
            let general = super::general_digits(body, body).expect("a number");
            assert_eq!((int_len, total, leading, trailing, 0), general, "{body}");
        }
        for other in ["", ".", "1e3", "-1", "+1", "12a", "1.2.3", "1..", "NaN"] {
            assert_eq!(super::plain_digits(other), None, "{other:?}");
        }
        assert_eq!(NumberText::new("-1200").significant_digits(), Ok(2));
        assert_eq!(NumberText::new("000").significant_digits(), Ok(0));
        assert_eq!(
            NumberText::new("1764000000123").significant_digits(),
            Ok(13)
        );
        assert_eq!(NumberText::new("-120.0500").significant_digits(), Ok(5));
    }

    #[test]
    fn rejects_what_dynamodb_rejects() {
        assert!(!ok("NaN"));
        assert!(!ok("inf"));
        assert!(!ok("-inf"));
        assert!(!ok(""));
        assert!(!ok("."));
        assert!(!ok("170141183460469231731687303715884105727")); // i128::MAX, 39 digits
        assert!(!ok("1E-131"));
        assert!(!ok("1E126"));
        assert!(!ok("12a"));
    }
}
