//! Sort-safe key encoding: key template placeholders whose text order is
//! value order.
//!
//! DynamoDB orders string sort keys by their UTF-8 bytes, so a plain `{seq}`
//! placeholder sorts `10` before `9`, and `-5` after `-40`. A placeholder with
//! a format is written so that text order equals value order, and a range of
//! values is a range of keys:
//!
//! | Placeholder | Field types | Text |
//! |---|---|---|
//! | `{seq:sortable}` | `u8` … `u128`, `usize` | zero-padded to the digits of the type's largest value (`u32`: 10, `u64`: 20) |
//! | `{seq:sortable}` | `i8` … `i128`, `isize` | the same width (`i64`: 19); a negative value is `-` and the nines' complement of `\|value\| - 1` |
//! | `{seq:08}` | any integer type | the same at an explicit width (here 8 digits), 1 to 39 |
//! | `{at:sortable}` | `chrono::DateTime<Utc>` (feature `chrono`), `time::OffsetDateTime` (feature `time`) | RFC 3339 in UTC with 9 fractional digits: `2026-12-03T10:48:11.000000000Z` |
//! | `{x:sortable}` | `f32`, `f64` | the IEEE 754 bits made order-preserving, in lowercase hex (8 / 16 digits): `1.5` is `bff8000000000000` |
//!
//! ```rust,no_run
//! use dynamo_repo::{Client, Entity};
//!
//! #[derive(Entity, Debug)]
//! #[dynamo(table = "app", entity = "event",
//!          pk = "STREAM#{stream}", sk = "SEQ#{seq:sortable}")]
//! struct Event { stream: String, seq: u64, body: String }
//!
//! #[derive(Entity, Debug)]
//! #[dynamo(table = "app", entity = "invoice",
//!          pk = "ORG#{org}", sk = "INV#{number:06}")]
//! struct Invoice { org: String, number: u32, total_cents: i64 }
//!
//! # async fn demo(client: Client) -> dynamo_repo::Result<()> {
//! let events = client.repository::<Event>();
//! // Event::sk(9) is "SEQ#00000000000000000009", before Event::sk(10).
//! let window = events
//!     .query(Event::pk("orders"))
//!     .sort_key(|k| k.between(Event::sk(100), Event::sk(199)))
//!     .all()
//!     .await?; // exactly seq 100..=199, in seq order
//! let newest = events.query(Event::pk("orders")).descending().first().await?;
//! // Invoice::sk(1_234_567) has 7 digits: writing it is refused before sending.
//! # Ok(()) }
//! ```
//!
//! - **Signed integers.** A value `>= 0` is zero-padded; a negative value is
//!   `-` followed by the nines' complement of `|value| - 1` at the same width
//!   (`-1` at 5 digits is `-99999`, `-100000` is `-00000`). `-` sorts before
//!   every digit and within the negatives a larger value has a larger
//!   complement, so text order is value order. At width `w` the range is
//!   `-(10^w) ..= 10^w - 1`.
//! - **Date-times** are converted to UTC first (a `time::OffsetDateTime`
//!   with another offset sorts by its instant) and always carry nine
//!   fractional digits, so `…:00Z` never sorts after `…:00.5Z` as the plain
//!   RFC 3339 text of a stored field does. Only years 0000 to 9999 have this
//!   form. A fixed width (`{at:08}`) on a date-time is a compile error.
//! - **Floats.** A positive number's bits with the sign bit set, a negative
//!   number's bits inverted: unsigned order of those bits is numeric order,
//!   from `-inf` to `inf`, and lowercase hex keeps it as text. `-0.0` is
//!   written as `0.0`; NaN is refused like a value that does not fit. The
//!   text is exact (every bit kept) but not meant to be read: keep the
//!   number in its own attribute too if people browse the table. Decimal
//!   types (`rust_decimal` and the like) have no mapping in this crate;
//!   store a fixed-point integer (cents) for an exact decimal order.
//! - **Too wide.** `{seq:sortable}` fits every integer of its type. A value
//!   with more digits than an explicit width (`1_000` in `{n:03}`), or a
//!   date-time outside years 0000 to 9999, is never written in the wrong
//!   order: the key helpers (`Invoice::sk(..)`, `Invoice::key(..)`) render a
//!   key that every write, read, query and condition refuses before
//!   sending, with [`ValidationErrorKind::KeyPartTooWide`](crate::ValidationErrorKind::KeyPartTooWide)
//!   naming the entity, the key attribute and the field (never the value).
//! - **Queries.** Query bounds are built by the same helpers, so
//!   `k.between(Event::sk(lo), Event::sk(hi))` returns exactly the events
//!   with `lo <= seq <= hi`, `k.gt(Event::sk(n))` those after `n`, and
//!   `k.begins_with(Event::sk_prefix_seq(n))` the keys under one value of a
//!   longer template (`SEQ#{seq:sortable}#{id}`). A range over a placeholder
//!   that is not the template's last needs the fields after it fixed.
//! - **Reading back.** A `#[dynamo(key_only)]` field, and a table key field
//!   an index key is rebuilt from, are decoded by inverting the encoding; a
//!   key whose text is not the encoding (another width, stray characters) is
//!   a decode error.
//! - **Not supported.** Formats on other types are compile errors: strings,
//!   chars and uuids already sort as their text (use `{name}`), `bool` and
//!   unit enums have no order a key could keep, and the crate has no decimal
//!   type (store cents in an integer); a fixed width (`{x:08}`) on a float
//!   is an error.
//!   Neither encoding contains `#` or `%`, so escaping leaves it unchanged
//!   and a key still splits back at `#`.

use std::fmt::Write;

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

/// A type with a sort-safe key form: `{field:sortable}` in a key template.
///
/// Implemented for the integer types and, with the features, for
/// `chrono::DateTime<Utc>` and `time::OffsetDateTime` (see the module docs).
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no sort-safe key encoding",
    label = "`{{field:sortable}}` is for integers, floats and UTC date-times (features `chrono` / `time`)",
    note = "strings, chars and uuids already sort as their text: write a plain `{{field}}`; decimals have no key form (store cents in an integer)"
)]
pub trait SortableKeyPart {
    /// What values fit, for the error refusing one that does not.
    const RANGE: &'static str;
    /// Appends the sort-safe text of the value; `false` (with nothing
    /// appended) when the value has none.
    fn write_sortable(&self, out: &mut String) -> bool;
    /// The value of a text made by [`write_sortable`](Self::write_sortable);
    /// `None` for any other text.
    fn read_sortable(text: &str) -> Option<Self>
    where
        Self: Sized;
}

/// An integer type: `{field:08}` in a key template, zero-padded (or, signed,
/// complemented) to an explicit width (see the module docs).
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no fixed-width key encoding",
    label = "a width such as `{{field:08}}` is for integer fields; a date-time or a float is written `{{field:sortable}}`"
)]
pub trait WidthKeyPart: SortableKeyPart {
    /// Appends the text of the value at `width` digits; `false` (with
    /// nothing appended) when it has more.
    fn write_width(&self, width: usize, out: &mut String) -> bool;
    /// The value of a text made by [`write_width`](Self::write_width) at
    /// `width`; `None` for any other text.
    fn read_width(text: &str, width: usize) -> Option<Self>
    where
        Self: Sized;
}

macro_rules! unsigned_key_parts {
    ($($ty:ty),*) => {$(
        impl SortableKeyPart for $ty {
            const RANGE: &'static str = "every value of the type";
            fn write_sortable(&self, out: &mut String) -> bool {
                self.write_width(max_digits(<$ty>::BITS), out)
            }
            fn read_sortable(text: &str) -> Option<Self> {
                Self::read_width(text, max_digits(<$ty>::BITS))
            }
        }
        impl WidthKeyPart for $ty {
            fn write_width(&self, width: usize, out: &mut String) -> bool {
                encode_unsigned(*self as u128, width, out).is_ok()
            }
            fn read_width(text: &str, width: usize) -> Option<Self> {
                decode_unsigned(text, width).and_then(|v| <$ty>::try_from(v).ok())
            }
        }
    )*};
}
unsigned_key_parts!(u8, u16, u32, u64, u128, usize);

macro_rules! signed_key_parts {
    ($($ty:ty),*) => {$(
        impl SortableKeyPart for $ty {
            const RANGE: &'static str = "every value of the type";
            fn write_sortable(&self, out: &mut String) -> bool {
                self.write_width(max_digits(<$ty>::BITS - 1), out)
            }
            fn read_sortable(text: &str) -> Option<Self> {
                Self::read_width(text, max_digits(<$ty>::BITS - 1))
            }
        }
        impl WidthKeyPart for $ty {
            fn write_width(&self, width: usize, out: &mut String) -> bool {
                encode_signed(*self as i128, width, out).is_ok()
            }
            fn read_width(text: &str, width: usize) -> Option<Self> {
                decode_signed(text, width).and_then(|v| <$ty>::try_from(v).ok())
            }
        }
    )*};
}
signed_key_parts!(i8, i16, i32, i64, i128, isize);

/// `f32` / `f64`: the IEEE 754 bits made order-preserving (a positive
/// number's sign bit set, a negative number's bits all inverted) in
/// lowercase hex at a fixed width (8 / 16 digits). `-0.0` is written as `0.0`
/// (they are equal); NaN has no place in an order and is refused.
macro_rules! float_key_parts {
    ($($ty:ty => $bits:ty, $digits:expr);*) => {$(
        impl SortableKeyPart for $ty {
            const RANGE: &'static str = "every float that is a number";
            fn write_sortable(&self, out: &mut String) -> bool {
                if self.is_nan() {
                    return false;
                }
                // Adding 0.0 turns -0.0 into 0.0 and changes nothing else.
                let bits = (*self + 0.0).to_bits();
                let sign = 1 << (<$bits>::BITS - 1);
                let ordered = if bits & sign == 0 { bits | sign } else { !bits };
                let _ = write!(out, "{ordered:0width$x}", width = $digits);
                true
            }
            fn read_sortable(text: &str) -> Option<Self> {
                if text.len() != $digits
                    || !text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                {
                    return None;
                }
                let ordered = <$bits>::from_str_radix(text, 16).ok()?;
                let sign = 1 << (<$bits>::BITS - 1);
                let bits = if ordered & sign != 0 { ordered & !sign } else { !ordered };
                Some(<$ty>::from_bits(bits)).filter(|v| !v.is_nan())
            }
        }
    )*};
}
float_key_parts!(f32 => u32, 8; f64 => u64, 16);

#[cfg(any(feature = "chrono", feature = "time"))]
/// The length of `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
const DATE_TIME_LEN: usize = 30;
#[cfg(any(feature = "chrono", feature = "time"))]
const DATE_TIME_RANGE: &str = "years 0000 to 9999";

#[cfg(any(feature = "chrono", feature = "time"))]
/// Appends a UTC date-time at nine fractional digits; `second` may be 60
/// (a leap second), `false` for a year outside 0..=9999.
#[allow(clippy::too_many_arguments)]
fn write_date_time(
    out: &mut String,
    year: i32,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    nanos: u32,
) -> bool {
    if !(0..=9999).contains(&year) {
        return false;
    }
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{nanos:09}Z"
    );
    true
}

#[cfg(any(feature = "chrono", feature = "time"))]
/// Whether `text` has the exact shape [`write_date_time`] makes.
fn is_date_time_text(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == DATE_TIME_LEN
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'.',
            29 => c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

#[cfg(feature = "chrono")]
impl SortableKeyPart for chrono::DateTime<chrono::Utc> {
    const RANGE: &'static str = DATE_TIME_RANGE;
    fn write_sortable(&self, out: &mut String) -> bool {
        use chrono::{Datelike, Timelike};
        // chrono holds a leap second as nanoseconds past 1e9 of second 59.
        let (second, nanos) = match self.nanosecond() {
            n if n >= 1_000_000_000 => (60, n - 1_000_000_000),
            n => (self.second() as u8, n),
        };
        write_date_time(
            out,
            self.year(),
            self.month() as u8,
            self.day() as u8,
            self.hour() as u8,
            self.minute() as u8,
            second,
            nanos,
        )
    }
    fn read_sortable(text: &str) -> Option<Self> {
        if !is_date_time_text(text) {
            return None;
        }
        chrono::DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|d| d.with_timezone(&chrono::Utc))
    }
}

#[cfg(feature = "time")]
impl SortableKeyPart for time::OffsetDateTime {
    const RANGE: &'static str = DATE_TIME_RANGE;
    fn write_sortable(&self, out: &mut String) -> bool {
        let Some(utc) = self.checked_to_offset(time::UtcOffset::UTC) else {
            return false;
        };
        write_date_time(
            out,
            utc.year(),
            utc.month() as u8,
            utc.day(),
            utc.hour(),
            utc.minute(),
            utc.second(),
            utc.nanosecond(),
        )
    }
    fn read_sortable(text: &str) -> Option<Self> {
        if !is_date_time_text(text) {
            return None;
        }
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
    }
}

/// Starts a key rendered with a value that does not fit its sort-safe
/// placeholder; the reason follows, up to the next NUL. Templates start with
/// literal text, so no key that fits starts with it.
const TOO_WIDE_MARKER: &str = "\u{0}key part does not fit: ";

/// Replaces the key being built with the marker and `reason`; whatever the
/// template appends after it is ignored.
fn refuse(out: &mut String, reason: std::fmt::Arguments<'_>) {
    out.clear();
    out.push_str(TOO_WIDE_MARKER);
    let _ = out.write_fmt(reason);
    out.push('\u{0}');
}

/// Why a rendered key was refused: `Some` for a key rendered with a value
/// that did not fit its placeholder.
pub(crate) fn refusal(key: &str) -> Option<&str> {
    let rest = key.strip_prefix(TOO_WIDE_MARKER)?;
    Some(rest.split('\u{0}').next().unwrap_or(rest))
}

/// Appends the sort-safe text of a `{field:sortable}` placeholder.
#[doc(hidden)]
pub fn push_sortable_key_part<V: SortableKeyPart + ?Sized>(
    out: &mut String,
    value: &V,
    field: &str,
    placeholder: &str,
) {
    if !value.write_sortable(out) {
        refuse(
            out,
            format_args!(
                "the value of field `{field}` does not fit its placeholder `{placeholder}` \
                 ({}), so it cannot be written in sort order",
                V::RANGE
            ),
        );
    }
}

/// Appends the text of a `{field:08}` placeholder at `width` digits.
#[doc(hidden)]
pub fn push_width_key_part<V: WidthKeyPart + ?Sized>(
    out: &mut String,
    value: &V,
    width: usize,
    field: &str,
    placeholder: &str,
) {
    if !value.write_width(width, out) {
        refuse(
            out,
            format_args!(
                "the value of field `{field}` has more digits than the {width} of its \
                 placeholder `{placeholder}`, so it cannot be written in sort order; widen the \
                 placeholder or use `{{{field}:sortable}}`"
            ),
        );
    }
}

#[cfg(test)]
mod tests;
