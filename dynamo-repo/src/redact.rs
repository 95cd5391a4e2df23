//! Stored values stay out of errors and logs unless the application opts in.
//!
//! Every `Display` and `Debug` of the library's errors (and of the types that
//! hold items) renders a stored value through the wrappers here: by default a
//! value shows only its DynamoDB type and size (`S(12 bytes)`, `N(3 chars)`,
//! `M(2 entries)`), an item shows its attribute names with those shapes, and a
//! map key inside a value is shown as `<key>`. After
//! [`reveal_values_in_errors(true)`](reveal_values_in_errors) the same wrappers
//! show the values themselves. The switch is read when the text is formatted,
//! so an error made before the switch was turned on shows values once it is.

use crate::value::Item;
use aws_sdk_dynamodb::types::AttributeValue;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

static REVEAL: AtomicBool = AtomicBool::new(false);

/// Lets errors and logs show stored values (process-wide; off by default).
///
/// By default the `Display` and `Debug` of every error the library returns,
/// and of every type of it that holds items, show attribute names, DynamoDB
/// types and sizes, never values: a key reads `{pk: S(12 bytes)}`, a decode
/// error ``attribute `notes.<key>`: a stored value (9 bytes) is not a UUID``.
/// Turn this on (for example in development or tests) to see the values:
/// `{pk: "ORG#acme"}`, `notes.diagnosis`, `` `abc` is not a UUID ``.
///
/// The switch is read when an error is formatted. Messages of
/// [`ValidationError`](crate::ValidationError) are composed when the error is
/// made, so they follow the switch as it was then. The typed accessors
/// (`ConditionFailed::item`, `DecodeError::kind`, `BatchIncomplete::unprocessed_items`,
/// ...) always return the full data, whatever the switch.
///
/// ```
/// dynamo_repo::reveal_values_in_errors(cfg!(debug_assertions));
/// ```
pub fn reveal_values_in_errors(reveal: bool) {
    REVEAL.store(reveal, Ordering::Relaxed);
}

/// Whether errors show stored values ([`reveal_values_in_errors`]).
pub fn values_revealed() -> bool {
    REVEAL.load(Ordering::Relaxed)
}

/// An item: its attribute names (sorted) with each value's shape, or with the
/// values when revealed. The same text for `Display` and `Debug`.
pub(crate) struct ShowItem<'a>(pub(crate) &'a Item);

impl fmt::Display for ShowItem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_item(f, self.0, values_revealed())
    }
}

fn write_item(f: &mut fmt::Formatter<'_>, item: &Item, reveal: bool) -> fmt::Result {
    let mut names: Vec<&String> = item.keys().collect();
    names.sort();
    f.write_str("{")?;
    for (i, name) in names.into_iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{name}: ")?;
        write_value(f, &item[name], reveal)?;
    }
    f.write_str("}")
}

impl fmt::Debug for ShowItem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Several items, as a list of [`ShowItem`]s (with their table when given).
pub(crate) struct ShowItems<'a, I>(pub(crate) &'a [I]);

impl fmt::Debug for ShowItems<'_, Item> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter().map(ShowItem)).finish()
    }
}

impl fmt::Debug for ShowItems<'_, Option<Item>> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|i| i.as_ref().map(ShowItem)))
            .finish()
    }
}

impl fmt::Debug for ShowItems<'_, (String, Item)> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(table, i)| (table, ShowItem(i))))
            .finish()
    }
}

/// One attribute value: its shape, or the value when revealed.
pub(crate) struct ShowValue<'a>(pub(crate) &'a AttributeValue);

impl fmt::Display for ShowValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_value(f, self.0, values_revealed())
    }
}

impl fmt::Debug for ShowValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A value's text quoted in a message: `` `text` `` when revealed, otherwise
/// `a <what> (<n> bytes)`.
pub(crate) struct ShowText<'a> {
    pub(crate) text: &'a str,
    /// What the text is, for the hidden form: `stored string`, `number`.
    pub(crate) what: &'static str,
}

impl fmt::Display for ShowText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if values_revealed() {
            write!(f, "`{}`", self.text)
        } else {
            write!(f, "a {} ({} bytes)", self.what, self.text.len())
        }
    }
}

fn write_value(f: &mut fmt::Formatter<'_>, value: &AttributeValue, reveal: bool) -> fmt::Result {
    if reveal {
        write_revealed(f, value)
    } else {
        write_shape(f, value)
    }
}

/// The DynamoDB type and size of a value, never its content.
fn write_shape(f: &mut fmt::Formatter<'_>, value: &AttributeValue) -> fmt::Result {
    match value {
        AttributeValue::S(s) => write!(f, "S({} bytes)", s.len()),
        AttributeValue::N(n) => write!(f, "N({} chars)", n.len()),
        AttributeValue::B(b) => write!(f, "B({} bytes)", b.as_ref().len()),
        AttributeValue::Bool(_) => f.write_str("BOOL"),
        AttributeValue::Null(_) => f.write_str("NULL"),
        AttributeValue::L(l) => write!(f, "L({} elements)", l.len()),
        AttributeValue::M(m) => write!(f, "M({} entries)", m.len()),
        AttributeValue::Ss(v) => write!(f, "SS({} strings)", v.len()),
        AttributeValue::Ns(v) => write!(f, "NS({} numbers)", v.len()),
        AttributeValue::Bs(v) => write!(f, "BS({} binaries)", v.len()),
        _ => f.write_str("unknown type"),
    }
}

/// The value itself, compactly: `"text"`, `42`, `b"bytes"`, `[..]`, `{k: ..}`.
fn write_revealed(f: &mut fmt::Formatter<'_>, value: &AttributeValue) -> fmt::Result {
    fn bytes(f: &mut fmt::Formatter<'_>, b: &[u8]) -> fmt::Result {
        write!(f, "b\"{}\"", b.escape_ascii())
    }
    fn list<T>(
        f: &mut fmt::Formatter<'_>,
        items: &[T],
        mut each: impl FnMut(&mut fmt::Formatter<'_>, &T) -> fmt::Result,
    ) -> fmt::Result {
        f.write_str("[")?;
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            each(f, item)?;
        }
        f.write_str("]")
    }
    match value {
        AttributeValue::S(s) => write!(f, "{s:?}"),
        AttributeValue::N(n) => f.write_str(n),
        AttributeValue::B(b) => bytes(f, b.as_ref()),
        AttributeValue::Bool(b) => write!(f, "{b}"),
        AttributeValue::Null(_) => f.write_str("null"),
        AttributeValue::L(l) => list(f, l, write_revealed),
        AttributeValue::M(m) => {
            let mut names: Vec<&String> = m.keys().collect();
            names.sort();
            f.write_str("{")?;
            for (i, name) in names.into_iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{name:?}: ")?;
                write_revealed(f, &m[name])?;
            }
            f.write_str("}")
        }
        AttributeValue::Ss(v) => list(f, v, |f, s| write!(f, "{s:?}")),
        AttributeValue::Ns(v) => list(f, v, |f, n| f.write_str(n)),
        AttributeValue::Bs(v) => list(f, v, |f, b| bytes(f, b.as_ref())),
        other => write!(f, "{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::primitives::Blob;
    use std::collections::HashMap;

    struct Render<'a>(&'a Item, bool);
    impl fmt::Display for Render<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_item(f, self.0, self.1)
        }
    }

    // The process-wide switch is left alone here: other unit tests format errors at the same time.
    #[test]
    fn items_show_shapes_unless_revealed() {
        let secret = "SECRET-7f3a";
        let nested = HashMap::from([(secret.to_owned(), AttributeValue::S(secret.into()))]);
        let item: Item = HashMap::from([
            ("name".to_owned(), AttributeValue::S(secret.into())),
            ("age".to_owned(), AttributeValue::N("42".into())),
            ("raw".to_owned(), AttributeValue::B(Blob::new(secret))),
            ("notes".to_owned(), AttributeValue::M(nested)),
            ("tags".to_owned(), AttributeValue::Ss(vec![secret.into()])),
        ]);
        assert_eq!(
            Render(&item, false).to_string(),
            "{age: N(2 chars), name: S(11 bytes), notes: M(1 entries), raw: B(11 bytes), \
             tags: SS(1 strings)}"
        );
        assert_eq!(
            Render(&item, true).to_string(),
            "{age: 42, name: \"SECRET-7f3a\", notes: {\"SECRET-7f3a\": \"SECRET-7f3a\"}, \
             raw: b\"SECRET-7f3a\", tags: [\"SECRET-7f3a\"]}"
        );
        assert!(!values_revealed(), "off by default");
    }
}
