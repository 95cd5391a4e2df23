use super::condition::{check_limits, MAX_EXPRESSION_BYTES};
use super::{IntoPath, PathElement, Placeholders, UntypedPath, ValueFor};
use crate::entity::Entity;
use crate::error::{ValidationError, ValidationErrorKind};
use aws_sdk_dynamodb::types::AttributeValue;
use std::cmp::Ordering;
use std::marker::PhantomData;

/// The right-hand side of a `SET` action.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SetValue {
    /// `= :v`
    Value(AttributeValue),
    /// `= #other`: copy another attribute.
    Attribute(UntypedPath),
    /// `= if_not_exists(#path, :v)`
    IfNotExists(AttributeValue),
    /// `= if_not_exists(#path, 0) + :v`
    Increment(AttributeValue),
    /// `= if_not_exists(#path, 0) - :v`
    Decrement(AttributeValue),
    /// `= list_append(if_not_exists(#path, []), :v)`
    Append(AttributeValue),
    /// `= list_append(:v, if_not_exists(#path, []))`
    Prepend(AttributeValue),
}

/// One action of an update expression.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum UpdateAction {
    /// `SET path = ...`
    Set(UntypedPath, SetValue),
    /// `REMOVE path`
    Remove(UntypedPath),
    /// `ADD path :v`: adds to a number, or elements to a set.
    Add(UntypedPath, AttributeValue),
    /// `DELETE path :v`: removes elements from a set.
    Delete(UntypedPath, AttributeValue),
}

impl UpdateAction {
    /// The attribute the action changes.
    pub fn path(&self) -> &UntypedPath {
        match self {
            UpdateAction::Set(p, _)
            | UpdateAction::Remove(p)
            | UpdateAction::Add(p, _)
            | UpdateAction::Delete(p, _) => p,
        }
    }

    /// Whether the item holds the action's whole value afterwards, whatever
    /// it held before (a plain `SET`, an append or a prepend).
    pub(crate) fn writes_value_whole(&self) -> bool {
        matches!(
            self,
            UpdateAction::Set(
                _,
                SetValue::Value(_) | SetValue::Append(_) | SetValue::Prepend(_)
            )
        )
    }

    /// The value the action writes, if any.
    pub fn value(&self) -> Option<&AttributeValue> {
        match self {
            UpdateAction::Set(_, SetValue::Attribute(_)) | UpdateAction::Remove(_) => None,
            UpdateAction::Set(
                _,
                SetValue::Value(v)
                | SetValue::IfNotExists(v)
                | SetValue::Increment(v)
                | SetValue::Decrement(v)
                | SetValue::Append(v)
                | SetValue::Prepend(v),
            )
            | UpdateAction::Add(_, v)
            | UpdateAction::Delete(_, v) => Some(v),
        }
    }
}

/// Types `ADD` works on: numbers (added) and sets (elements added).
pub trait Addable {}
/// Number types, for `increment` / `decrement`.
pub trait Numeric {}
/// Set types, for `ADD` and `DELETE` of elements.
pub trait SetType {}

macro_rules! numeric {
    ($($ty:ty),*) => {$(
        impl Numeric for $ty {}
        impl Numeric for Option<$ty> {}
        impl Addable for $ty {}
        impl Addable for Option<$ty> {}
    )*};
}
numeric!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64);
impl<T, S> SetType for std::collections::HashSet<T, S> {}
impl<T> SetType for std::collections::BTreeSet<T> {}
impl<T, S> Addable for std::collections::HashSet<T, S> {}
impl<T> Addable for std::collections::BTreeSet<T> {}

/// The changes of one `UpdateItem`, over typed paths of entity `E`.
///
/// ```
/// # use dynamo_repo::{Entity, expr::{Update, Placeholders}};
/// # use std::collections::BTreeSet;
/// #[derive(Entity)]
/// #[dynamo(table = "users")]
/// struct User {
///     #[dynamo(partition_key)] id: String,
///     age: u32,
///     logins: u64,
///     nickname: Option<String>,
///     tags: Vec<String>,
///     roles: BTreeSet<String>,
/// }
///
/// let f = User::fields();
/// let update = Update::<User>::new()
///     .set(f.age, 31)
///     .increment(f.logins, 1)
///     .append(f.tags, ["new".to_string()])
///     .add(f.roles, BTreeSet::from(["admin".to_string()]))
///     .remove(f.nickname);
/// let mut p = Placeholders::new();
/// assert_eq!(
///     update.render(&mut p).unwrap(),
///     "SET #u0 = :u0, #u1 = if_not_exists(#u1, :u1) + :u2, \
///      #u2 = list_append(if_not_exists(#u2, :u3), :u4) REMOVE #u4 ADD #u3 :u5"
/// );
/// ```
#[must_use]
pub struct Update<E> {
    actions: Vec<UpdateAction>,
    _entity: PhantomData<fn() -> E>,
}

impl<E> Default for Update<E> {
    fn default() -> Self {
        Update {
            actions: Vec::new(),
            _entity: PhantomData,
        }
    }
}

impl<E> Clone for Update<E> {
    fn clone(&self) -> Self {
        Update {
            actions: self.actions.clone(),
            _entity: PhantomData,
        }
    }
}

impl<E> std::fmt::Debug for Update<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Update")
            .field("actions", &self.actions)
            .finish()
    }
}

fn encode<V>(value: impl ValueFor<V>) -> Option<AttributeValue> {
    value.encode()
}

impl<E: Entity> Update<E> {
    /// Refuses an action on an attribute a key template is built from (or
    /// writes), since the item's stored keys would no longer match its
    /// fields. Checked on the updates users write, not on the ones
    /// dynamo-repo builds itself from whole items.
    pub(crate) fn check_key_sources(&self) -> Result<(), ValidationError> {
        let schema = &E::SCHEMA;
        for action in &self.actions {
            let path = action.path();
            if let Some(super::PathElement::Attribute(root)) = path.elements().first() {
                if schema.is_key_source(root) {
                    return Err(ValidationError::new(
                        ValidationErrorKind::KeyUpdate,
                        "this attribute is part of a key template; put the whole item (and delete the old key if it changes) instead of updating it",
                    )
                    .entity(schema.entity)
                    .attribute(path.to_string()));
                }
            }
        }
        Ok(())
    }

    /// An update with no actions yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one prepared action.
    pub fn push(mut self, action: UpdateAction) -> Self {
        self.actions.push(action);
        self
    }

    /// Sets the attribute at `path` to `value`; a value that encodes to
    /// nothing (`None`, an empty set) removes the attribute instead.
    pub fn set<V>(self, path: impl IntoPath<E, V>, value: impl ValueFor<V>) -> Self {
        let path = path.into_path().untyped();
        match encode(value) {
            Some(v) => self.push(UpdateAction::Set(path, SetValue::Value(v))),
            None => self.push(UpdateAction::Remove(path)),
        }
    }

    /// Sets the attribute only when it is absent (`if_not_exists`).
    pub fn set_if_not_exists<V>(self, path: impl IntoPath<E, V>, value: impl ValueFor<V>) -> Self {
        let path = path.into_path().untyped();
        match encode(value) {
            Some(v) => self.push(UpdateAction::Set(path, SetValue::IfNotExists(v))),
            None => self,
        }
    }

    /// Copies another attribute of the same type into `path`.
    pub fn set_from<V>(self, path: impl IntoPath<E, V>, from: impl IntoPath<E, V>) -> Self {
        let (path, from) = (path.into_path().untyped(), from.into_path().untyped());
        self.push(UpdateAction::Set(path, SetValue::Attribute(from)))
    }

    /// Removes the attribute at `path`.
    pub fn remove<V>(self, path: impl IntoPath<E, V>) -> Self {
        self.push(UpdateAction::Remove(path.into_path().untyped()))
    }

    /// Adds `by` to a number attribute, starting from 0 when it is absent.
    pub fn increment<V: Numeric>(self, path: impl IntoPath<E, V>, by: impl ValueFor<V>) -> Self {
        let path = path.into_path().untyped();
        match encode(by) {
            Some(v) => self.push(UpdateAction::Set(path, SetValue::Increment(v))),
            None => self,
        }
    }

    /// Subtracts `by` from a number attribute, starting from 0 when it is absent.
    pub fn decrement<V: Numeric>(self, path: impl IntoPath<E, V>, by: impl ValueFor<V>) -> Self {
        let path = path.into_path().untyped();
        match encode(by) {
            Some(v) => self.push(UpdateAction::Set(path, SetValue::Decrement(v))),
            None => self,
        }
    }

    /// `ADD`: adds to a number (from 0 when absent), or elements to a set.
    pub fn add<V: Addable>(self, path: impl IntoPath<E, V>, value: impl ValueFor<V>) -> Self {
        let path = path.into_path().untyped();
        match encode(value) {
            Some(v) => self.push(UpdateAction::Add(path, v)),
            None => self, // adding an empty set changes nothing
        }
    }

    /// `DELETE`: removes elements from a set.
    pub fn delete<V: SetType>(self, path: impl IntoPath<E, V>, elements: impl ValueFor<V>) -> Self {
        let path = path.into_path().untyped();
        match encode(elements) {
            Some(v) => self.push(UpdateAction::Delete(path, v)),
            None => self,
        }
    }

    /// Appends elements to a list (creating it when absent).
    pub fn append<T: crate::ToAttribute, L>(
        self,
        path: impl IntoPath<E, L>,
        items: impl IntoIterator<Item = T>,
    ) -> Self
    where
        L: AsListOf<T>,
    {
        let list = list_value(items);
        self.push(UpdateAction::Set(
            path.into_path().untyped(),
            SetValue::Append(list),
        ))
    }

    /// Prepends elements to a list (creating it when absent).
    pub fn prepend<T: crate::ToAttribute, L>(
        self,
        path: impl IntoPath<E, L>,
        items: impl IntoIterator<Item = T>,
    ) -> Self
    where
        L: AsListOf<T>,
    {
        let list = list_value(items);
        self.push(UpdateAction::Set(
            path.into_path().untyped(),
            SetValue::Prepend(list),
        ))
    }

    /// The actions so far.
    pub fn actions(&self) -> &[UpdateAction] {
        &self.actions
    }

    /// Whether no action was added.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Renders the update expression, putting names and values into
    /// `placeholders` (prefix `u`). Refuses an empty update, any change to a
    /// key attribute, and expressions over DynamoDB's limits.
    pub fn render(&self, placeholders: &mut Placeholders) -> Result<String, ValidationError> {
        let schema = &E::SCHEMA;
        if self.actions.is_empty() {
            return Err(ValidationError::new(
                ValidationErrorKind::EmptyUpdate,
                "an update needs at least one action",
            )
            .entity(schema.entity));
        }
        // The limits first: they bound the work of everything after them.
        check_size_before_rendering(&self.actions).map_err(|e| e.entity(schema.entity))?;
        // DynamoDB refuses two actions on the same path or on a path and one inside it.
        if let Some((a, b)) = overlapping_paths(&self.actions) {
            return Err(ValidationError::new(
                ValidationErrorKind::OverlappingPaths,
                format!(
                    "two actions of one update touch overlapping paths `{}` and `{}`; DynamoDB refuses that",
                    a.path(),
                    b.path()
                ),
            )
            .entity(schema.entity)
            .attribute(a.path().to_string()));
        }
        // One clause list per keyword, written in place.
        let mut clauses: [String; 4] = Default::default();
        const SET: usize = 0;
        const REMOVE: usize = 1;
        const ADD: usize = 2;
        const DELETE: usize = 3;
        for action in &self.actions {
            let path = action.path();
            if let Some(super::PathElement::Attribute(root)) = path.elements().first() {
                if schema.is_key_attribute(root) && path.elements().len() == 1 {
                    return Err(ValidationError::new(
                        ValidationErrorKind::KeyUpdate,
                        "key attributes cannot be updated; write a new item and delete the old one",
                    )
                    .entity(schema.entity)
                    .attribute(path.to_string()));
                }
            }
            let kind = match action {
                UpdateAction::Set(..) => SET,
                UpdateAction::Remove(_) => REMOVE,
                UpdateAction::Add(..) => ADD,
                UpdateAction::Delete(..) => DELETE,
            };
            let out = &mut clauses[kind];
            if out.is_empty() {
                out.reserve(64);
            } else {
                out.push_str(", ");
            }
            let name_at = out.len();
            placeholders.push_path(out, "u", path.elements());
            let name_end = out.len();
            // The placeholder text of the path, to repeat it (`if_not_exists(#u0, ...)`).
            let name = |out: &String| out[name_at..name_end].to_owned();
            match action {
                UpdateAction::Set(_, value) => {
                    out.push_str(" = ");
                    match value {
                        SetValue::Value(v) => placeholders.push_value(out, "u", v.clone()),
                        SetValue::Attribute(from) => {
                            placeholders.push_path(out, "u", from.elements())
                        }
                        SetValue::IfNotExists(v) => {
                            let name = name(out);
                            out.push_str("if_not_exists(");
                            out.push_str(&name);
                            out.push_str(", ");
                            placeholders.push_value(out, "u", v.clone());
                            out.push(')');
                        }
                        SetValue::Increment(v) | SetValue::Decrement(v) => {
                            let name = name(out);
                            out.push_str("if_not_exists(");
                            out.push_str(&name);
                            out.push_str(", ");
                            placeholders.push_value(out, "u", AttributeValue::N("0".into()));
                            out.push_str(if matches!(value, SetValue::Increment(_)) {
                                ") + "
                            } else {
                                ") - "
                            });
                            placeholders.push_value(out, "u", v.clone());
                        }
                        SetValue::Append(v) | SetValue::Prepend(v) => {
                            let mut existing = String::from("if_not_exists(");
                            existing.push_str(&name(out));
                            existing.push_str(", ");
                            placeholders.push_value(
                                &mut existing,
                                "u",
                                AttributeValue::L(Vec::new()),
                            );
                            existing.push(')');
                            out.push_str("list_append(");
                            if matches!(value, SetValue::Append(_)) {
                                out.push_str(&existing);
                                out.push_str(", ");
                                placeholders.push_value(out, "u", v.clone());
                            } else {
                                placeholders.push_value(out, "u", v.clone());
                                out.push_str(", ");
                                out.push_str(&existing);
                            }
                            out.push(')');
                        }
                    }
                }
                UpdateAction::Remove(_) => {}
                UpdateAction::Add(_, v) | UpdateAction::Delete(_, v) => {
                    out.push(' ');
                    placeholders.push_value(out, "u", v.clone());
                }
            }
        }
        let mut out = String::with_capacity(clauses.iter().map(|c| c.len() + 8).sum());
        for (keyword, clause) in ["SET", "REMOVE", "ADD", "DELETE"].into_iter().zip(&clauses) {
            if clause.is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(keyword);
            out.push(' ');
            out.push_str(clause);
        }
        check_limits(&out, self.actions.len()).map_err(|e| e.entity(schema.entity))?;
        Ok(out)
    }
}

/// Refuses, before anything is rendered, an update that cannot be within
/// DynamoDB's limits: more actions than operators allowed, or paths whose
/// placeholders alone (at least three bytes per element: `#u0`, `[0]`) are
/// over the expression size limit. The rendered text is checked again after.
fn check_size_before_rendering(actions: &[UpdateAction]) -> Result<(), ValidationError> {
    check_limits("", actions.len())?;
    let mut at_least = 0usize;
    for action in actions {
        at_least += 3 * action.path().elements().len();
        if let UpdateAction::Set(_, SetValue::Attribute(from)) = action {
            at_least += 3 * from.elements().len();
        }
        if at_least > MAX_EXPRESSION_BYTES {
            return Err(ValidationError::new(
                ValidationErrorKind::ExpressionTooLarge,
                format!(
                    "the update's paths alone need more than {MAX_EXPRESSION_BYTES} bytes, DynamoDB's expression limit"
                ),
            ));
        }
    }
    Ok(())
}

/// Orders path elements: names before indexes, then by name or index.
fn compare_elements(a: &PathElement, b: &PathElement) -> Ordering {
    match (a, b) {
        (PathElement::Attribute(a), PathElement::Attribute(b)) => a.cmp(b),
        (PathElement::Index(a), PathElement::Index(b)) => a.cmp(b),
        (PathElement::Attribute(_), PathElement::Index(_)) => Ordering::Less,
        (PathElement::Index(_), PathElement::Attribute(_)) => Ordering::Greater,
    }
}

/// Two actions whose paths are equal or one inside the other, in the order
/// they were added, if any.
///
/// Sorted by their elements, a path that is a prefix of another sorts before
/// it, and every path between the two shares that prefix; so comparing
/// neighbours finds an overlap when there is one: O(n log n) comparisons
/// rather than one per pair.
fn overlapping_paths(actions: &[UpdateAction]) -> Option<(&UpdateAction, &UpdateAction)> {
    let mut order: Vec<usize> = (0..actions.len()).collect();
    let elements = |i: usize| actions[i].path().elements();
    order.sort_by(|&a, &b| {
        let (pa, pb) = (elements(a), elements(b));
        pa.iter()
            .zip(pb)
            .map(|(x, y)| compare_elements(x, y))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| pa.len().cmp(&pb.len()))
            .then(a.cmp(&b))
    });
    order.windows(2).find_map(|pair| {
        let (a, b) = (pair[0].min(pair[1]), pair[0].max(pair[1]));
        let (pa, pb) = (elements(a), elements(b));
        let shorter = pa.len().min(pb.len());
        (pa[..shorter] == pb[..shorter]).then(|| (&actions[a], &actions[b]))
    })
}

fn list_value<T: crate::ToAttribute>(items: impl IntoIterator<Item = T>) -> AttributeValue {
    AttributeValue::L(
        items
            .into_iter()
            .map(|i| i.to_attribute().unwrap_or(AttributeValue::Null(true)))
            .collect(),
    )
}

/// List types whose elements are `T`, for `append` / `prepend`.
pub trait AsListOf<T> {}
impl<T> AsListOf<T> for Vec<T> {}
impl<T> AsListOf<T> for std::collections::VecDeque<T> {}
impl<T> AsListOf<T> for Option<Vec<T>> {}
