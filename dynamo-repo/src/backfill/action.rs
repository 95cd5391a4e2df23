//! What a backfill's function asks for an item: an update, a replacement,
//! a delete, or nothing, each written under a condition.

use crate::entity::Entity;
use crate::expr::{Condition, Update};
use crate::value::Item;

/// What to do with one item, returned by a backfill's function.
///
/// Every write is sent with a condition: the run's
/// [`write_condition`](crate::backfill::Backfill::write_condition) (by
/// default its [`only`](crate::backfill::Backfill::only) filter, so a write
/// applies only while the item still needs migrating, or, without a filter,
/// "the item still holds every value that was read"), always with "the item
/// still exists". [`Action::condition`] replaces the run's condition for
/// this one write (the existence check stays).
#[must_use = "an action does nothing unless the function returns it"]
pub struct Action<T> {
    pub(crate) kind: ActionKind<T>,
    pub(crate) condition: Option<Condition<T>>,
}

pub(crate) enum ActionKind<T> {
    Skip,
    Update(Update<T>),
    Put(Item),
    Delete,
}

impl<T: Entity> Action<T> {
    /// Leave the item as it is (counted as skipped).
    pub fn skip() -> Self {
        Action {
            kind: ActionKind::Skip,
            condition: None,
        }
    }

    /// Apply `update` to the item (an `UpdateItem`): only the attributes it
    /// names change. An empty update is a skip.
    pub fn update(update: Update<T>) -> Self {
        if update.is_empty() {
            return Self::skip();
        }
        Action {
            kind: ActionKind::Update(update),
            condition: None,
        }
    }

    /// Replace the item with `item` (a `PutItem`), which must hold the same
    /// key; for a migration that rewrites an item whole.
    pub fn put(item: Item) -> Self {
        Action {
            kind: ActionKind::Put(item),
            condition: None,
        }
    }

    /// Replace the item with `entity` as the current code stores it.
    pub fn put_entity(entity: &T) -> Self {
        Self::put(entity.to_item())
    }

    /// Delete the item.
    pub fn delete() -> Self {
        Action {
            kind: ActionKind::Delete,
            condition: None,
        }
    }

    /// Writes this action only while `condition` holds, instead of the run's
    /// write condition (the item must still exist in any case).
    pub fn condition(mut self, condition: Condition<T>) -> Self {
        self.condition = Some(condition);
        self
    }

    /// Whether this action writes nothing.
    pub fn is_skip(&self) -> bool {
        matches!(self.kind, ActionKind::Skip)
    }

    /// The operation it sends, for errors and logs.
    pub(crate) fn operation(&self) -> &'static str {
        match self.kind {
            ActionKind::Skip => "none",
            ActionKind::Update(_) => "UpdateItem",
            ActionKind::Put(_) => "PutItem",
            ActionKind::Delete => "DeleteItem",
        }
    }
}

impl<T> std::fmt::Debug for Action<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.kind {
            ActionKind::Skip => "Skip",
            ActionKind::Update(_) => "Update",
            ActionKind::Put(_) => "Put",
            ActionKind::Delete => "Delete",
        };
        f.debug_struct("Action")
            .field("kind", &kind)
            .field("own_condition", &self.condition.is_some())
            .finish()
    }
}
