use super::{Path, Placeholders, UntypedPath, ValueFor};
use crate::entity::Entity;
use crate::error::{ValidationError, ValidationErrorKind};
use aws_sdk_dynamodb::types::AttributeValue;
use std::marker::PhantomData;

/// One action of an update expression.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum UpdateAction {
    /// `SET path = value`
    Set(UntypedPath, AttributeValue),
    /// `REMOVE path`
    Remove(UntypedPath),
}

/// The changes of one `UpdateItem`, over typed paths of entity `E`.
///
/// ```
/// # use dynamo_repo::{Entity, expr::{Update, Placeholders}};
/// #[derive(Entity)]
/// #[dynamo(table = "users")]
/// struct User { #[dynamo(partition_key)] id: String, age: u32, nickname: Option<String> }
///
/// let update = Update::<User>::new()
///     .set(User::fields().age, 31)
///     .remove(User::fields().nickname);
/// let mut placeholders = Placeholders::new();
/// assert_eq!(update.render(&mut placeholders).unwrap(), "SET #u0 = :u0 REMOVE #u1");
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

impl<E: Entity> Update<E> {
    /// An update with no actions yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the attribute at `path` to `value`; a value that encodes to
    /// nothing (`None`, an empty set) removes the attribute instead.
    pub fn set<V>(mut self, path: Path<E, V>, value: impl ValueFor<V>) -> Self {
        self.actions.push(match value.encode() {
            Some(v) => UpdateAction::Set(path.untyped(), v),
            None => UpdateAction::Remove(path.untyped()),
        });
        self
    }

    /// Removes the attribute at `path`.
    pub fn remove<V>(mut self, path: Path<E, V>) -> Self {
        self.actions.push(UpdateAction::Remove(path.untyped()));
        self
    }

    /// Adds one prepared action.
    pub fn push(mut self, action: UpdateAction) -> Self {
        self.actions.push(action);
        self
    }

    /// The actions so far.
    pub fn actions(&self) -> &[UpdateAction] {
        &self.actions
    }

    /// Renders the update expression, putting names and values into
    /// `placeholders` (prefix `u`). Refuses an empty update and any change to
    /// a key attribute.
    pub fn render(&self, placeholders: &mut Placeholders) -> Result<String, ValidationError> {
        let schema = &E::SCHEMA;
        if self.actions.is_empty() {
            return Err(ValidationError::new(
                ValidationErrorKind::EmptyUpdate,
                "an update needs at least one action",
            )
            .entity(schema.entity));
        }
        let mut sets = Vec::new();
        let mut removes = Vec::new();
        for action in &self.actions {
            let path = match action {
                UpdateAction::Set(p, _) | UpdateAction::Remove(p) => p,
            };
            if let Some(super::PathElement::Attribute(root)) = path.0.first() {
                if schema.is_key_attribute(root) {
                    return Err(ValidationError::new(
                        ValidationErrorKind::KeyUpdate,
                        "key attributes cannot be updated; write a new item and delete the old one",
                    )
                    .entity(schema.entity)
                    .attribute(path.to_string()));
                }
            }
            let rendered = placeholders.path("u", &path.0);
            match action {
                UpdateAction::Set(_, value) => {
                    let value = placeholders.value("u", value.clone());
                    sets.push(format!("{rendered} = {value}"));
                }
                UpdateAction::Remove(_) => removes.push(rendered),
            }
        }
        let mut out = String::new();
        if !sets.is_empty() {
            out.push_str("SET ");
            out.push_str(&sets.join(", "));
        }
        if !removes.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str("REMOVE ");
            out.push_str(&removes.join(", "));
        }
        Ok(out)
    }
}
