//! The writes of a run: each action rendered once into an `UpdateItem`,
//! `PutItem` or `DeleteItem` under its condition, sent within the write rate,
//! and retried while DynamoDB throttles or fails transiently.

use super::*;
use crate::batch::approx_size;

/// A write, rendered once and sent as often as it is retried.
pub(super) struct WriteRequest {
    pub(super) kind: WriteKind,
    pub(super) key: Item,
    pub(super) condition: String,
    pub(super) names: Option<crate::expr::NameMap>,
    pub(super) values: Option<crate::expr::ValueMap>,
    /// The write units it is expected to cost (DynamoDB charges 1 per KB of
    /// the larger of the item before and after).
    pub(super) estimate: f64,
}

pub(super) enum WriteKind {
    Update(String),
    Put(Item),
    Delete,
}

/// The write units of an item of this size (1 per started KB).
pub(super) fn item_units(item: &Item) -> f64 {
    let bytes: usize = item
        .iter()
        .map(|(name, value)| name.len() + approx_size(value))
        .sum();
    (bytes.max(1) as f64 / 1024.0).ceil()
}

impl<T: Entity> Shared<T> {
    pub(super) fn write_request(
        &self,
        key: &Item,
        snapshot: Option<&Item>,
        action: Action<T>,
        read_units: f64,
    ) -> Result<WriteRequest, Error> {
        let operation = action.operation();
        let condition = match action.condition.or_else(|| self.write_condition.clone()) {
            Some(c) => Some(c),
            None => snapshot.map(unchanged::<T>),
        };
        let mut placeholders = Placeholders::new();
        let mut estimate = read_units;
        let kind = match action.kind {
            ActionKind::Skip => return Err(invalid::<T>("a skip has nothing to write")),
            ActionKind::Update(update) => {
                let update = update.with_index_keys(key)?;
                for a in update.actions() {
                    if let Some(value) = a.value() {
                        crate::validate::check_value(&T::SCHEMA, &a.path(), value)?;
                    }
                }
                WriteKind::Update(update.render(&mut placeholders)?)
            }
            ActionKind::Put(item) => {
                let size = crate::validate::check_item(&T::SCHEMA, &item)?;
                if crate::repository::key_of::<T>(&item) != *key {
                    return Err(invalid::<T>(format!(
                        "a backfill's {operation} must keep the item's key; \
                         to move an item, put the new one and delete the old one in two runs"
                    )));
                }
                estimate = estimate.max((size.max(1) as f64 / 1024.0).ceil());
                WriteKind::Put(item)
            }
            ActionKind::Delete => WriteKind::Delete,
        };
        let condition = crate::repository::render_conditions::<T>(
            [Some(crate::repository::existence::<T>(true)), condition],
            &mut placeholders,
        )?
        .unwrap_or_default();
        let (names, values) = placeholders.into_maps();
        Ok(WriteRequest {
            kind,
            key: key.clone(),
            condition,
            names,
            values,
            estimate,
        })
    }

    pub(super) async fn send(
        &self,
        request: &WriteRequest,
    ) -> Result<(Answer<()>, Option<Capacity>), (Error, bool)> {
        let wants = capacity::request(self.capacity);
        let failed = |code: Option<&str>| code == Some("ConditionalCheckFailedException");
        match &request.kind {
            WriteKind::Update(expression) => {
                let sent = self
                    .sdk
                    .update_item()
                    .table_name(&*self.table)
                    .set_key(Some(request.key.clone()))
                    .update_expression(expression)
                    .condition_expression(&request.condition)
                    .set_expression_attribute_names(request.names.clone())
                    .set_expression_attribute_values(request.values.clone())
                    .set_return_consumed_capacity(wants)
                    .send()
                    .instrument(self.span("UpdateItem"))
                    .await;
                match sent {
                    Ok(out) => Ok((
                        Answer::Done(()),
                        capacity::record_one(out.consumed_capacity()),
                    )),
                    Err(e) if failed(e.code()) => Ok((Answer::ConditionFailed, None)),
                    Err(e) => Err(self.classify(e, "UpdateItem")),
                }
            }
            WriteKind::Put(item) => {
                let sent = self
                    .sdk
                    .put_item()
                    .table_name(&*self.table)
                    .set_item(Some(item.clone()))
                    .condition_expression(&request.condition)
                    .set_expression_attribute_names(request.names.clone())
                    .set_expression_attribute_values(request.values.clone())
                    .set_return_consumed_capacity(wants)
                    .send()
                    .instrument(self.span("PutItem"))
                    .await;
                match sent {
                    Ok(out) => Ok((
                        Answer::Done(()),
                        capacity::record_one(out.consumed_capacity()),
                    )),
                    Err(e) if failed(e.code()) => Ok((Answer::ConditionFailed, None)),
                    Err(e) => Err(self.classify(e, "PutItem")),
                }
            }
            WriteKind::Delete => {
                let sent = self
                    .sdk
                    .delete_item()
                    .table_name(&*self.table)
                    .set_key(Some(request.key.clone()))
                    .condition_expression(&request.condition)
                    .set_expression_attribute_names(request.names.clone())
                    .set_expression_attribute_values(request.values.clone())
                    .set_return_consumed_capacity(wants)
                    .send()
                    .instrument(self.span("DeleteItem"))
                    .await;
                match sent {
                    Ok(out) => Ok((
                        Answer::Done(()),
                        capacity::record_one(out.consumed_capacity()),
                    )),
                    Err(e) if failed(e.code()) => Ok((Answer::ConditionFailed, None)),
                    Err(e) => Err(self.classify(e, "DeleteItem")),
                }
            }
        }
    }
}

/// "Every attribute read still holds the value read": the default write
/// condition of a run with neither a filter nor a write condition.
pub(super) fn unchanged<T: Entity>(item: &Item) -> Condition<T> {
    let mut names: Vec<&String> = item
        .keys()
        .filter(|n| !T::SCHEMA.key_attributes().any(|k| k.name == n.as_str()))
        .collect();
    names.sort();
    let parts = names.into_iter().map(|name| {
        Path::<T, AttributeValue>::from_elements(vec![PathElement::Attribute(name.clone().into())])
            .eq(item[name].clone())
    });
    Condition::all(parts)
}
