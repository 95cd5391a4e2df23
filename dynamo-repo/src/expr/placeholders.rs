use super::PathElement;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

/// `ExpressionAttributeNames`: placeholder to attribute name.
pub type NameMap = HashMap<String, String>;
/// `ExpressionAttributeValues`: placeholder to value.
pub type ValueMap = HashMap<String, AttributeValue>;

/// The `#name` and `:value` substitutions of one request.
///
/// Every attribute name and value in an expression goes through here, so no
/// user-supplied text ever becomes part of the expression itself, and
/// reserved words (`name`, `status`, ...) are always safe. Each expression
/// kind uses its own prefix, so the parts of one request never collide.
#[derive(Debug, Default, Clone)]
pub struct Placeholders {
    // Vectors, not maps: an expression has few names, a linear search beats
    // hashing, and the maps the SDK wants are built once at the end.
    names: Vec<(String, String)>,
    values: Vec<(String, AttributeValue)>,
}

/// Room for a typical request's names or values at the first one, so filling
/// them does not regrow the vector (and a request with none allocates nothing).
fn reserve_on_first_use<T>(entries: &mut Vec<T>) {
    if entries.capacity() == 0 {
        entries.reserve_exact(8);
    }
}

/// `sigil prefix n`, e.g. `#f3`, written without the formatting machinery.
fn placeholder(sigil: char, prefix: &str, n: usize) -> String {
    let mut out = String::with_capacity(prefix.len() + 4);
    out.push(sigil);
    out.push_str(prefix);
    push_decimal(&mut out, n);
    out
}

/// Appends `n` in decimal.
pub(crate) fn push_decimal(out: &mut String, mut n: usize) {
    if n < 10 {
        out.push((b'0' + n as u8) as char);
        return;
    }
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    while n > 0 {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.push_str(std::str::from_utf8(&digits[at..]).unwrap_or_default());
}

impl Placeholders {
    /// Empty substitutions.
    pub fn new() -> Self {
        Self::default()
    }

    /// The placeholder for an attribute name (the same name gets the same placeholder).
    pub fn name(&mut self, prefix: &str, attribute: &str) -> String {
        let mut out = String::new();
        self.push_name(&mut out, prefix, attribute);
        out
    }

    /// The placeholder for a value.
    pub fn value(&mut self, prefix: &str, value: AttributeValue) -> String {
        let mut out = String::new();
        self.push_value(&mut out, prefix, value);
        out
    }

    /// A whole path: `#u0.#u1[2]`.
    pub fn path(&mut self, prefix: &str, elements: &[PathElement]) -> String {
        let mut out = String::new();
        self.push_path(&mut out, prefix, elements);
        out
    }

    /// Appends the placeholder for an attribute name to `out`.
    pub(crate) fn push_name(&mut self, out: &mut String, prefix: &str, attribute: &str) {
        if let Some((existing, _)) = self.names.iter().find(|(_, a)| a == attribute) {
            out.push_str(existing);
            return;
        }
        let placeholder = placeholder('#', prefix, self.names.len());
        out.push_str(&placeholder);
        reserve_on_first_use(&mut self.names);
        self.names.push((placeholder, attribute.to_owned()));
    }

    /// Appends the placeholder for a value to `out`.
    pub(crate) fn push_value(&mut self, out: &mut String, prefix: &str, value: AttributeValue) {
        let placeholder = placeholder(':', prefix, self.values.len());
        out.push_str(&placeholder);
        reserve_on_first_use(&mut self.values);
        self.values.push((placeholder, value));
    }

    /// Appends a whole path to `out`.
    pub(crate) fn push_path(&mut self, out: &mut String, prefix: &str, elements: &[PathElement]) {
        for (i, element) in elements.iter().enumerate() {
            match element {
                PathElement::Attribute(name) => {
                    if i > 0 {
                        out.push('.');
                    }
                    self.push_name(out, prefix, name);
                }
                PathElement::Index(index) => {
                    out.push('[');
                    push_decimal(out, *index);
                    out.push(']');
                }
            }
        }
    }

    /// The `ExpressionAttributeNames` map, or `None` when empty.
    pub fn names(&self) -> Option<NameMap> {
        (!self.names.is_empty()).then(|| self.names.iter().cloned().collect())
    }

    /// The `ExpressionAttributeValues` map, or `None` when empty.
    pub fn values(&self) -> Option<ValueMap> {
        (!self.values.is_empty()).then(|| self.values.iter().cloned().collect())
    }

    /// Both maps, by value.
    pub fn into_maps(self) -> (Option<NameMap>, Option<ValueMap>) {
        (
            (!self.names.is_empty()).then(|| self.names.into_iter().collect()),
            (!self.values.is_empty()).then(|| self.values.into_iter().collect()),
        )
    }
}
