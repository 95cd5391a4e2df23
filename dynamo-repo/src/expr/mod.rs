//! Typed attribute paths and the expressions built from them, rendered with
//! placeholders for every name and value.

mod condition;
mod path;
mod placeholders;
mod update;

pub use condition::{AttributeType, Condition, KeyCondition, Operand, Prefixable, SizeOf, SortKey};
pub use path::{field_path, HasPath, ListPath, MapPath, Path, PathElement, UntypedPath};
pub use placeholders::{NameMap, Placeholders, ValueMap};
pub use update::{Addable, AsListOf, Numeric, SetType, SetValue, Update, UpdateAction};

/// A value usable where a path of type `V` expects one: `V` itself, and a few
/// conveniences such as `&str` for `String` paths.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a value for an attribute of type `{V}`",
    label = "expected a `{V}` here",
    note = "typed paths only take values of their field's type (or `&str` for strings)"
)]
pub trait ValueFor<V> {
    /// Encodes the value (`None`: the value is absent, as `Option::None`).
    fn encode(self) -> Option<aws_sdk_dynamodb::types::AttributeValue>;
}

impl<V: crate::value::ToAttribute> ValueFor<V> for V {
    fn encode(self) -> Option<aws_sdk_dynamodb::types::AttributeValue> {
        self.to_attribute()
    }
}

impl ValueFor<String> for &str {
    fn encode(self) -> Option<aws_sdk_dynamodb::types::AttributeValue> {
        Some(aws_sdk_dynamodb::types::AttributeValue::S(self.to_owned()))
    }
}

impl ValueFor<Option<String>> for &str {
    fn encode(self) -> Option<aws_sdk_dynamodb::types::AttributeValue> {
        Some(aws_sdk_dynamodb::types::AttributeValue::S(self.to_owned()))
    }
}

impl<T: crate::value::ToAttribute> ValueFor<Option<T>> for T {
    fn encode(self) -> Option<aws_sdk_dynamodb::types::AttributeValue> {
        self.to_attribute()
    }
}

/// Anything that names a typed attribute path: a [`Path`], a list, map or
/// nested-struct path, or a reference to a path.
pub trait IntoPath<E, V> {
    /// The path.
    fn into_path(self) -> Path<E, V>;
}

impl<E, V> IntoPath<E, V> for Path<E, V> {
    fn into_path(self) -> Path<E, V> {
        self
    }
}

impl<E, V> IntoPath<E, V> for &Path<E, V> {
    fn into_path(self) -> Path<E, V> {
        self.clone()
    }
}

impl<E, L, T> IntoPath<E, L> for ListPath<E, L, T> {
    fn into_path(self) -> Path<E, L> {
        self.into()
    }
}

impl<E, M, V> IntoPath<E, M> for MapPath<E, M, V> {
    fn into_path(self) -> Path<E, M> {
        self.into()
    }
}

impl<E, L, T> IntoPath<E, L> for &ListPath<E, L, T> {
    fn into_path(self) -> Path<E, L> {
        (**self).clone()
    }
}

impl<E, M, V> IntoPath<E, M> for &MapPath<E, M, V> {
    fn into_path(self) -> Path<E, M> {
        (**self).clone()
    }
}
