use super::PathElement;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use std::fmt::Write;

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

fn placeholder(sigil: char, prefix: &str, n: usize) -> String {
    let mut out = String::with_capacity(prefix.len() + 4);
    out.push(sigil);
    out.push_str(prefix);
    let _ = write!(out, "{n}");
    out
}

impl Placeholders {
    /// Empty substitutions.
    pub fn new() -> Self {
        Self::default()
    }

    /// The placeholder for an attribute name (the same name gets the same placeholder).
    pub fn name(&mut self, prefix: &str, attribute: &str) -> String {
        if let Some((existing, _)) = self.names.iter().find(|(_, a)| a == attribute) {
            return existing.clone();
        }
        let placeholder = placeholder('#', prefix, self.names.len());
        self.names.push((placeholder.clone(), attribute.to_owned()));
        placeholder
    }

    /// The placeholder for a value.
    pub fn value(&mut self, prefix: &str, value: AttributeValue) -> String {
        let placeholder = placeholder(':', prefix, self.values.len());
        self.values.push((placeholder.clone(), value));
        placeholder
    }

    /// A whole path: `#u0.#u1[2]`.
    pub fn path(&mut self, prefix: &str, elements: &[PathElement]) -> String {
        let mut out = String::new();
        for element in elements {
            match element {
                PathElement::Attribute(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(&self.name(prefix, name));
                }
                PathElement::Index(i) => {
                    let _ = write!(out, "[{i}]");
                }
            }
        }
        out
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
