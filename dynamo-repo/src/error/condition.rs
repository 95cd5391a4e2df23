//! [`ConditionFailed`]: a write whose condition DynamoDB found false.

use super::Result;
use crate::entity::Entity;
use crate::redact::ShowItem;
use crate::value::Item;
use std::fmt;

/// A write whose condition DynamoDB found false.
///
/// `Display` and `Debug` show the key and the stored item as attribute names
/// with types and sizes, unless values are revealed
/// ([`reveal_values_in_errors`](crate::reveal_values_in_errors)); the fields
/// hold them in full.
#[derive(Clone)]
pub struct ConditionFailed {
    /// The DynamoDB operation (`PutItem`, `UpdateItem`, `DeleteItem`).
    pub operation: &'static str,
    /// The entity type.
    pub entity: &'static str,
    /// The table.
    pub table: String,
    /// The item's key attributes (`Key::<T>::from_item(key)` types it).
    pub key: Item,
    /// The item as stored, when DynamoDB returned it (`ReturnValuesOnConditionCheckFailure=ALL_OLD`);
    /// `None` when no item exists.
    pub item: Option<Item>,
}

impl ConditionFailed {
    /// Decodes the stored item as `T`; `None` when there is no stored item.
    pub fn existing<T: Entity>(&self) -> Option<Result<T>> {
        self.item.clone().map(T::from_item)
    }
}

impl fmt::Display for ConditionFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "condition failed: {} of {} {} in table `{}`",
            self.operation,
            self.entity,
            ShowItem(&self.key),
            self.table
        )?;
        if self.item.is_some() {
            f.write_str(" (the item exists)")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ConditionFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConditionFailed")
            .field("operation", &self.operation)
            .field("entity", &self.entity)
            .field("table", &self.table)
            .field("key", &ShowItem(&self.key))
            .field("item", &self.item.as_ref().map(ShowItem))
            .finish()
    }
}

impl std::error::Error for ConditionFailed {}
