//! Typed attribute paths and the expressions built from them, rendered with
//! placeholders for every name and value.
//!
//! `T::fields()` gives a typed [`Path`] per attribute, including nested ones
//! (`f.address.city`), list elements (`f.tags.at(2)`) and map entries
//! (`f.counters.key("logins")`). A value of the wrong type does not compile.
//! Paths build [`Condition`]s (`eq`, `lt`, `between`, `begins_with`,
//! `contains`, `exists`, ... joined with `&`, `|` and `!`, or from parts known
//! at run time with [`Condition::all`] / [`Condition::any`]) and [`Update`]s
//! (`set`, `remove`, `increment`, `decrement`, `add`, `append`, ...).
//!
//! Every name and value is sent as a placeholder (`#f0`, `:f0`; prefixed per
//! expression kind: `k` key condition, `f` filter, `c` write condition, `u`
//! update, `p` projection), so reserved words (`name`, `status`, `size`, `data`)
//! and user input can never change an expression's shape. DynamoDB's limits (4 KB
//! per expression, 300 operators, 100 `IN` operands), overlapping update paths,
//! key attributes in an update or in a query filter are refused before sending.
//!
//! ```rust,no_run
//! # use dynamo_repo::{Condition, Entity};
//! #[derive(Entity, Debug)]
//! #[dynamo(table = "events")]
//! struct Event {
//!     #[dynamo(partition_key)] stream: String,
//!     #[dynamo(sort_key)] seq: u64,
//!     status: String,
//!     size: u64,
//!     tags: Vec<String>,
//! }
//!
//! # async fn demo(repo: dynamo_repo::Repository<Event>) -> dynamo_repo::Result<()> {
//! let f = Event::fields();
//!
//! // Conditional writes: a typed error carrying the stored item when they fail.
//! repo.update(Event::key("s", 7))
//!     .apply(|u| u.set(&f.status, "done").increment(&f.size, 1).append(&f.tags, ["late".to_string()]))
//!     .condition(f.status.ne("done") & f.size.lt(100))
//!     .await?;
//!
//! // A condition assembled from optional parts.
//! let wanted: Option<Condition<Event>> = Some(f.tags.contains("late"));
//! let filter = Condition::all([wanted, Some(f.size.gt(3))]);
//! # Ok(()) }
//! ```
//!
//! Queries and scans take these conditions as filters: see [`crate::query`].

mod condition;
mod index_keys;
mod multi_key;
mod path;
mod placeholders;
mod update;

pub use condition::{AttributeType, Condition, KeyCondition, Operand, Prefixable, SizeOf, SortKey};
pub use multi_key::{KeyTuple, KeyTupleValues, SortKeys, SortKeysCondition, SortTuple};
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
