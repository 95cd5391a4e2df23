//! `ToAttribute` / `FromAttribute` for the standard types.

use super::{DecodeError, DecodeErrorKind, FromAttribute, ToAttribute};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, Hash};

// ---- strings -------------------------------------------------------------

impl ToAttribute for String {
    #[inline]
    fn to_attribute(&self) -> Option<AttributeValue> {
        Some(AttributeValue::S(self.clone()))
    }
}

impl ToAttribute for str {
    #[inline]
    fn to_attribute(&self) -> Option<AttributeValue> {
        Some(AttributeValue::S(self.to_owned()))
    }
}

impl FromAttribute for String {
    #[inline]
    fn from_attribute(value: AttributeValue) -> Result<Self, DecodeError> {
        match value {
            AttributeValue::S(s) => Ok(s),
            other => Err(DecodeError::wrong_type("S", &other)),
        }
    }
}

impl ToAttribute for char {
    #[inline]
    fn to_attribute(&self) -> Option<AttributeValue> {
        Some(AttributeValue::S(self.to_string()))
    }
}

impl FromAttribute for char {
    #[inline]
    fn from_attribute(value: AttributeValue) -> Result<Self, DecodeError> {
        let s = String::from_attribute(value)?;
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Ok(c),
            _ => Err(DecodeError::invalid(s, "a single character")),
        }
    }
}

// ---- numbers -------------------------------------------------------------

macro_rules! number_impls {
    ($($ty:ty),*) => {$(
        impl ToAttribute for $ty {
            #[inline]
            fn to_attribute(&self) -> Option<AttributeValue> {
                Some(AttributeValue::N(self.to_string()))
            }
        }

        impl FromAttribute for $ty {
            #[inline]
            fn from_attribute(value: AttributeValue) -> Result<Self, DecodeError> {
                match value {
                    AttributeValue::N(text) => parse_number(text),
                    other => Err(DecodeError::wrong_type("N", &other)),
                }
            }
        }

        impl SetMember for $ty {
            fn encode_set<'a, I: Iterator<Item = &'a Self>>(members: I) -> Option<AttributeValue> {
                let v: Vec<String> = members.map(|m| m.to_string()).collect();
                (!v.is_empty()).then_some(AttributeValue::Ns(v))
            }
            #[inline]
            fn decode_set(value: AttributeValue) -> Result<Vec<Self>, DecodeError> {
                match value {
                    AttributeValue::Ns(v) => v
                        .into_iter()
                        .enumerate()
                        .map(|(i, text)| parse_number(text).map_err(|e| e.at_index(i)))
                        .collect(),
                    other => Err(DecodeError::wrong_type("NS", &other)),
                }
            }
        }
    )*};
}

number_impls!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64);

/// How a stored number's text becomes a Rust number.
trait ParseNumber: Sized {
    fn parse_number(text: String) -> Result<Self, DecodeError>;
}

macro_rules! parse_integers {
    ($($ty:ty),*) => {$(
        impl ParseNumber for $ty {
            #[inline]
            fn parse_number(text: String) -> Result<Self, DecodeError> {
                text.parse().map_err(|_| {
                    DecodeError::new(DecodeErrorKind::InvalidNumber {
                        text,
                        target: stringify!($ty),
                    })
                })
            }
        }
    )*};
}
parse_integers!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

macro_rules! parse_floats {
    ($($ty:ty),*) => {$(
        /// A float is read only when the value it gets is the stored one,
        /// rounded: NaN and infinities (which DynamoDB never stores, but
        /// Rust's parser accepts as text), numbers too large (which would
        /// read as infinity) and non-zero numbers too small (which would read
        /// as 0) are decode errors.
        impl ParseNumber for $ty {
            #[inline]
            fn parse_number(text: String) -> Result<Self, DecodeError> {
                let out_of_range = |reason| {
                    DecodeError::new(DecodeErrorKind::NumberOutOfRange {
                        target: stringify!($ty),
                        reason,
                    })
                };
                let value: $ty = match text.parse() {
                    Ok(value) => value,
                    Err(_) => {
                        return Err(DecodeError::new(DecodeErrorKind::InvalidNumber {
                            text,
                            target: stringify!($ty),
                        }))
                    }
                };
                if value.is_nan() || (value.is_infinite() && !is_decimal(&text)) {
                    Err(out_of_range("it is not a finite number"))
                } else if value.is_infinite() {
                    Err(out_of_range("it is larger than the type's largest value"))
                } else if value == 0.0 && has_non_zero_digit(&text) {
                    Err(out_of_range("it is non-zero but smaller than the type's smallest value"))
                } else {
                    Ok(value)
                }
            }
        }
    )*};
}
parse_floats!(f32, f64);

/// Whether the text is written with digits (`1e39`), not as a word (`inf`).
fn is_decimal(text: &str) -> bool {
    text.trim_start_matches(['-', '+'])
        .starts_with(|c: char| c.is_ascii_digit() || c == '.')
}

/// Whether the mantissa of a decimal text has a digit other than 0.
fn has_non_zero_digit(text: &str) -> bool {
    let mantissa = text.split(['e', 'E']).next().unwrap_or("");
    mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b))
}

/// Parses a stored number into `T`, with an error naming the type.
#[inline]
fn parse_number<T: ParseNumber>(text: String) -> Result<T, DecodeError> {
    T::parse_number(text)
}

// ---- bool, unit ----------------------------------------------------------

impl ToAttribute for bool {
    #[inline]
    fn to_attribute(&self) -> Option<AttributeValue> {
        Some(AttributeValue::Bool(*self))
    }
}

impl FromAttribute for bool {
    #[inline]
    fn from_attribute(value: AttributeValue) -> Result<Self, DecodeError> {
        match value {
            AttributeValue::Bool(b) => Ok(b),
            other => Err(DecodeError::wrong_type("BOOL", &other)),
        }
    }
}

// ---- binary --------------------------------------------------------------

impl ToAttribute for bytes::Bytes {
    #[inline]
    fn to_attribute(&self) -> Option<AttributeValue> {
        Some(AttributeValue::B(Blob::new(self.to_vec())))
    }
}

impl FromAttribute for bytes::Bytes {
    #[inline]
    fn from_attribute(value: AttributeValue) -> Result<Self, DecodeError> {
        match value {
            AttributeValue::B(blob) => Ok(bytes::Bytes::from(blob.into_inner())),
            other => Err(DecodeError::wrong_type("B", &other)),
        }
    }
}

impl ToAttribute for Blob {
    #[inline]
    fn to_attribute(&self) -> Option<AttributeValue> {
        Some(AttributeValue::B(self.clone()))
    }
}

impl FromAttribute for Blob {
    #[inline]
    fn from_attribute(value: AttributeValue) -> Result<Self, DecodeError> {
        match value {
            AttributeValue::B(blob) => Ok(blob),
            other => Err(DecodeError::wrong_type("B", &other)),
        }
    }
}

// ---- raw attribute values --------------------------------------------------

impl ToAttribute for AttributeValue {
    #[inline]
    fn to_attribute(&self) -> Option<AttributeValue> {
        Some(self.clone())
    }
}

impl FromAttribute for AttributeValue {
    #[inline]
    fn from_attribute(value: AttributeValue) -> Result<Self, DecodeError> {
        Ok(value)
    }
}

// ---- Option ----------------------------------------------------------------

impl<T: ToAttribute> ToAttribute for Option<T> {
    #[inline]
    fn to_attribute(&self) -> Option<AttributeValue> {
        self.as_ref().and_then(ToAttribute::to_attribute)
    }
}

impl<T: FromAttribute> FromAttribute for Option<T> {
    #[inline]
    fn from_attribute(value: AttributeValue) -> Result<Self, DecodeError> {
        match value {
            AttributeValue::Null(_) => Ok(None),
            other => T::from_attribute(other).map(Some),
        }
    }
    #[inline]
    fn when_absent() -> Option<Self> {
        Some(None)
    }
}

// ---- lists -----------------------------------------------------------------

#[inline]
fn encode_list<'a, T: ToAttribute + 'a>(items: impl Iterator<Item = &'a T>) -> AttributeValue {
    // A `None` inside a list has no "leave out" meaning: it is stored as NULL so positions hold.
    AttributeValue::L(
        items
            .map(|item| item.to_attribute().unwrap_or(AttributeValue::Null(true)))
            .collect(),
    )
}

#[inline]
fn decode_list<T: FromAttribute, C: FromIterator<T>>(
    value: AttributeValue,
) -> Result<C, DecodeError> {
    match value {
        AttributeValue::L(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| T::from_attribute(item).map_err(|e| e.at_index(i)))
            .collect(),
        other => Err(DecodeError::wrong_type("L", &other)),
    }
}

/// A list into a `Vec` sized up front (collecting through `Result` would
/// grow it from empty).
#[inline]
fn decode_vec<T: FromAttribute>(value: AttributeValue) -> Result<Vec<T>, DecodeError> {
    match value {
        AttributeValue::L(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                out.push(T::from_attribute(item).map_err(|e| e.at_index(i))?);
            }
            Ok(out)
        }
        other => Err(DecodeError::wrong_type("L", &other)),
    }
}

impl<T: ToAttribute> ToAttribute for Vec<T> {
    #[inline]
    fn to_attribute(&self) -> Option<AttributeValue> {
        Some(encode_list(self.iter()))
    }
}

impl<T: FromAttribute> FromAttribute for Vec<T> {
    #[inline]
    fn from_attribute(value: AttributeValue) -> Result<Self, DecodeError> {
        decode_vec(value)
    }
}

impl<T: ToAttribute> ToAttribute for [T] {
    #[inline]
    fn to_attribute(&self) -> Option<AttributeValue> {
        Some(encode_list(self.iter()))
    }
}

impl<T: ToAttribute> ToAttribute for VecDeque<T> {
    #[inline]
    fn to_attribute(&self) -> Option<AttributeValue> {
        Some(encode_list(self.iter()))
    }
}

impl<T: FromAttribute> FromAttribute for VecDeque<T> {
    #[inline]
    fn from_attribute(value: AttributeValue) -> Result<Self, DecodeError> {
        decode_list(value)
    }
}

// ---- sets ------------------------------------------------------------------

/// A type that can be a member of a DynamoDB set: strings (SS), numbers (NS)
/// and binary (BS).
pub trait SetMember: Sized {
    /// Encodes the members as one set, or `None` for an empty set (which
    /// DynamoDB forbids, so it is not written).
    fn encode_set<'a, I: Iterator<Item = &'a Self>>(members: I) -> Option<AttributeValue>
    where
        Self: 'a;
    /// Decodes the members of a set.
    fn decode_set(value: AttributeValue) -> Result<Vec<Self>, DecodeError>;
}

impl SetMember for String {
    fn encode_set<'a, I: Iterator<Item = &'a Self>>(members: I) -> Option<AttributeValue> {
        let v: Vec<String> = members.cloned().collect();
        (!v.is_empty()).then_some(AttributeValue::Ss(v))
    }
    #[inline]
    fn decode_set(value: AttributeValue) -> Result<Vec<Self>, DecodeError> {
        match value {
            AttributeValue::Ss(v) => Ok(v),
            other => Err(DecodeError::wrong_type("SS", &other)),
        }
    }
}

impl SetMember for bytes::Bytes {
    fn encode_set<'a, I: Iterator<Item = &'a Self>>(members: I) -> Option<AttributeValue> {
        let v: Vec<Blob> = members.map(|m| Blob::new(m.to_vec())).collect();
        (!v.is_empty()).then_some(AttributeValue::Bs(v))
    }
    #[inline]
    fn decode_set(value: AttributeValue) -> Result<Vec<Self>, DecodeError> {
        match value {
            AttributeValue::Bs(v) => Ok(v
                .into_iter()
                .map(|b| bytes::Bytes::from(b.into_inner()))
                .collect()),
            other => Err(DecodeError::wrong_type("BS", &other)),
        }
    }
}

impl<T: SetMember, S> ToAttribute for HashSet<T, S> {
    #[inline]
    fn to_attribute(&self) -> Option<AttributeValue> {
        T::encode_set(self.iter())
    }
}

impl<T: SetMember + Eq + Hash, S: BuildHasher + Default> FromAttribute for HashSet<T, S> {
    #[inline]
    fn from_attribute(value: AttributeValue) -> Result<Self, DecodeError> {
        Ok(T::decode_set(value)?.into_iter().collect())
    }
    #[inline]
    fn when_absent() -> Option<Self> {
        Some(Self::default())
    }
}

impl<T: SetMember> ToAttribute for BTreeSet<T> {
    #[inline]
    fn to_attribute(&self) -> Option<AttributeValue> {
        T::encode_set(self.iter())
    }
}

impl<T: SetMember + Ord> FromAttribute for BTreeSet<T> {
    #[inline]
    fn from_attribute(value: AttributeValue) -> Result<Self, DecodeError> {
        Ok(T::decode_set(value)?.into_iter().collect())
    }
    #[inline]
    fn when_absent() -> Option<Self> {
        Some(Self::new())
    }
}

// ---- maps ------------------------------------------------------------------

#[inline]
fn encode_map<'a, K: AsRef<str> + 'a, V: ToAttribute + 'a>(
    entries: impl ExactSizeIterator<Item = (&'a K, &'a V)>,
) -> AttributeValue {
    // Sized up front: collecting a filter_map would grow (and rehash) the map as it fills.
    let mut map = HashMap::with_capacity(entries.len());
    for (k, v) in entries {
        if let Some(v) = v.to_attribute() {
            map.insert(k.as_ref().to_owned(), v);
        }
    }
    AttributeValue::M(map)
}

#[inline]
fn decode_map<K: From<String>, V: FromAttribute, C: FromIterator<(K, V)>>(
    value: AttributeValue,
) -> Result<C, DecodeError> {
    match value {
        AttributeValue::M(entries) => entries
            .into_iter()
            .map(|(k, v)| match V::from_attribute(v) {
                Ok(v) => Ok((K::from(k), v)),
                Err(e) => Err(e.in_map_key(&k)),
            })
            .collect(),
        other => Err(DecodeError::wrong_type("M", &other)),
    }
}

impl<K: AsRef<str>, V: ToAttribute, S> ToAttribute for HashMap<K, V, S> {
    #[inline]
    fn to_attribute(&self) -> Option<AttributeValue> {
        Some(encode_map(self.iter()))
    }
}

impl<K, V, S> FromAttribute for HashMap<K, V, S>
where
    K: From<String> + Eq + Hash,
    V: FromAttribute,
    S: BuildHasher + Default,
{
    #[inline]
    fn from_attribute(value: AttributeValue) -> Result<Self, DecodeError> {
        // Sized up front: collecting through `Result` would grow (and
        // rehash) the map as it fills.
        match value {
            AttributeValue::M(entries) => {
                let mut out = HashMap::with_capacity_and_hasher(entries.len(), S::default());
                for (k, v) in entries {
                    match V::from_attribute(v) {
                        Ok(v) => {
                            out.insert(K::from(k), v);
                        }
                        Err(e) => return Err(e.in_map_key(&k)),
                    }
                }
                Ok(out)
            }
            other => Err(DecodeError::wrong_type("M", &other)),
        }
    }
}

impl<K: AsRef<str>, V: ToAttribute> ToAttribute for BTreeMap<K, V> {
    #[inline]
    fn to_attribute(&self) -> Option<AttributeValue> {
        Some(encode_map(self.iter()))
    }
}

impl<K: From<String> + Ord, V: FromAttribute> FromAttribute for BTreeMap<K, V> {
    #[inline]
    fn from_attribute(value: AttributeValue) -> Result<Self, DecodeError> {
        decode_map(value)
    }
}

// ---- dates and ids behind features -----------------------------------------

#[cfg(feature = "chrono")]
mod chrono_impls {
    use super::*;
    use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, Utc};

    impl ToAttribute for DateTime<Utc> {
        fn to_attribute(&self) -> Option<AttributeValue> {
            Some(AttributeValue::S(
                self.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            ))
        }
    }

    impl FromAttribute for DateTime<Utc> {
        fn from_attribute(value: AttributeValue) -> Result<Self, DecodeError> {
            let text = String::from_attribute(value)?;
            DateTime::parse_from_rfc3339(&text)
                .map(|d| d.with_timezone(&Utc))
                .map_err(|e| DecodeError::invalid(text, "an RFC 3339 date-time").with_detail(e))
        }
    }

    impl ToAttribute for DateTime<FixedOffset> {
        fn to_attribute(&self) -> Option<AttributeValue> {
            Some(AttributeValue::S(
                self.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            ))
        }
    }

    impl FromAttribute for DateTime<FixedOffset> {
        fn from_attribute(value: AttributeValue) -> Result<Self, DecodeError> {
            let text = String::from_attribute(value)?;
            DateTime::parse_from_rfc3339(&text)
                .map_err(|e| DecodeError::invalid(text, "an RFC 3339 date-time").with_detail(e))
        }
    }

    impl ToAttribute for NaiveDate {
        fn to_attribute(&self) -> Option<AttributeValue> {
            Some(AttributeValue::S(self.format("%Y-%m-%d").to_string()))
        }
    }

    impl FromAttribute for NaiveDate {
        fn from_attribute(value: AttributeValue) -> Result<Self, DecodeError> {
            let text = String::from_attribute(value)?;
            NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .map_err(|e| DecodeError::invalid(text, "an ISO 8601 date").with_detail(e))
        }
    }
}

#[cfg(feature = "time")]
mod time_impls {
    use super::*;
    use time::format_description::well_known::Rfc3339;
    use time::OffsetDateTime;

    impl ToAttribute for OffsetDateTime {
        fn to_attribute(&self) -> Option<AttributeValue> {
            // Years outside 0..=9999 have no RFC 3339 form; store them as text DynamoDB
            // accepts and the decoder will report, rather than dropping the value.
            Some(AttributeValue::S(
                self.format(&Rfc3339).unwrap_or_else(|_| self.to_string()),
            ))
        }
    }

    impl FromAttribute for OffsetDateTime {
        fn from_attribute(value: AttributeValue) -> Result<Self, DecodeError> {
            let text = String::from_attribute(value)?;
            OffsetDateTime::parse(&text, &Rfc3339)
                .map_err(|e| DecodeError::invalid(text, "an RFC 3339 date-time").with_detail(e))
        }
    }
}

#[cfg(feature = "uuid")]
mod uuid_impls {
    use super::*;

    impl ToAttribute for uuid::Uuid {
        fn to_attribute(&self) -> Option<AttributeValue> {
            Some(AttributeValue::S(self.hyphenated().to_string()))
        }
    }

    impl FromAttribute for uuid::Uuid {
        fn from_attribute(value: AttributeValue) -> Result<Self, DecodeError> {
            let text = String::from_attribute(value)?;
            uuid::Uuid::parse_str(&text)
                .map_err(|e| DecodeError::invalid(text, "a UUID").with_detail(e))
        }
    }

    impl SetMember for uuid::Uuid {
        fn encode_set<'a, I: Iterator<Item = &'a Self>>(members: I) -> Option<AttributeValue> {
            let v: Vec<String> = members.map(|m| m.hyphenated().to_string()).collect();
            (!v.is_empty()).then_some(AttributeValue::Ss(v))
        }
        fn decode_set(value: AttributeValue) -> Result<Vec<Self>, DecodeError> {
            String::decode_set(value)?
                .into_iter()
                .enumerate()
                .map(|(i, s)| Self::from_attribute(AttributeValue::S(s)).map_err(|e| e.at_index(i)))
                .collect()
        }
    }
}
