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
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
    name_by_attribute: HashMap<String, String>,
}

impl Placeholders {
    /// Empty substitutions.
    pub fn new() -> Self {
        Self::default()
    }

    /// The placeholder for an attribute name (the same name gets the same placeholder).
    pub fn name(&mut self, prefix: &str, attribute: &str) -> String {
        if let Some(existing) = self.name_by_attribute.get(attribute) {
            return existing.clone();
        }
        let placeholder = format!("#{prefix}{}", self.names.len());
        self.names.insert(placeholder.clone(), attribute.to_owned());
        self.name_by_attribute
            .insert(attribute.to_owned(), placeholder.clone());
        placeholder
    }

    /// The placeholder for a value.
    pub fn value(&mut self, prefix: &str, value: AttributeValue) -> String {
        let placeholder = format!(":{prefix}{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
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
    pub fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    /// The `ExpressionAttributeValues` map, or `None` when empty.
    pub fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }

    /// Both maps, by value.
    pub fn into_maps(self) -> (Option<NameMap>, Option<ValueMap>) {
        (
            (!self.names.is_empty()).then_some(self.names),
            (!self.values.is_empty()).then_some(self.values),
        )
    }
}
