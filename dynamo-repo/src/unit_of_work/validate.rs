//! Validation of a whole unit and the request it becomes.

use super::{UnitOfWork, MAX_ACTIONS, MAX_TRANSACTION_BYTES};
use crate::error::{Result, ValidationError, ValidationErrorKind};
use aws_sdk_dynamodb::types::TransactWriteItem;
use std::collections::HashMap;

impl UnitOfWork {
    pub(super) fn describe(&self, position: usize) -> String {
        let a = &self.actions[position];
        format!(
            "action {position} ({} of {} {} in `{}`)",
            a.operation,
            a.entity,
            (a.key_text)(&a.key),
            a.table
        )
    }

    /// Checks the whole unit as DynamoDB would, without building or sending
    /// a request: at most 100 actions, every action valid, no two on the same
    /// item, at most 4 MB in all. `commit` and `to_request` run the same checks.
    pub fn validate(&self) -> Result<()> {
        if self.actions.len() > MAX_ACTIONS {
            return Err(ValidationError::new(
                ValidationErrorKind::TooManyActions,
                format!(
                    "a transaction holds at most {MAX_ACTIONS} actions; this unit has {} ({} is the first one over)",
                    self.actions.len(),
                    self.describe(MAX_ACTIONS)
                ),
            )
            .into());
        }
        let mut seen: HashMap<(&str, Vec<u8>), usize> = HashMap::with_capacity(self.actions.len());
        let mut total = 0;
        for (position, action) in self.actions.iter().enumerate() {
            match &action.request {
                Err(e) => {
                    let mut e = e.clone();
                    e.message = format!("{}: {}", self.describe(position), e.message);
                    e.action = Some(position);
                    return Err(e.into());
                }
                Ok((_, size)) => total += size,
            }
            if let Some(first) = seen.insert(
                (
                    action.table.as_str(),
                    crate::validate::key_identity(&action.key),
                ),
                position,
            ) {
                let mut e = ValidationError::new(
                    ValidationErrorKind::DuplicateItem,
                    format!(
                        "{} and {} touch the same item; DynamoDB refuses two actions on one item in a transaction",
                        self.describe(first),
                        self.describe(position)
                    ),
                )
                .entity(action.entity);
                e.action = Some(position);
                return Err(e.into());
            }
        }
        if total > MAX_TRANSACTION_BYTES {
            return Err(ValidationError::new(
                ValidationErrorKind::ItemTooLarge,
                format!("the transaction is about {total} bytes; DynamoDB's limit is {MAX_TRANSACTION_BYTES} (4 MB)"),
            )
            .into());
        }
        Ok(())
    }

    /// A copy of the validated actions, for one request: the unit keeps its
    /// own, so a retry or a replayed commit sends the same items.
    pub(super) fn items(&self) -> Vec<TransactWriteItem> {
        self.actions
            .iter()
            .filter_map(|a| a.request.as_ref().ok().map(|(item, _)| (**item).clone()))
            .collect()
    }

    /// The SDK request a commit sends, after the same validation (`None` for
    /// an empty unit, which sends nothing).
    pub fn to_request(
        &mut self,
    ) -> Result<Option<aws_sdk_dynamodb::operation::transact_write_items::builders::TransactWriteItemsFluentBuilder>>{
        if self.actions.is_empty() {
            return Ok(None);
        }
        self.validate()?;
        let token = self.token();
        if token.is_empty() || token.len() > 36 {
            return Err(ValidationError::new(
                ValidationErrorKind::Other,
                format!(
                    "a ClientRequestToken has 1 to 36 characters; `{token}` has {}",
                    token.len()
                ),
            )
            .into());
        }
        Ok(Some(self.request_with(token)))
    }

    /// The request of the validated unit, with its token.
    pub(super) fn request_with(
        &self,
        token: String,
    ) -> aws_sdk_dynamodb::operation::transact_write_items::builders::TransactWriteItemsFluentBuilder
    {
        self.client
            .sdk()
            .transact_write_items()
            .set_transact_items(Some(self.items()))
            .client_request_token(token)
            .set_return_consumed_capacity(crate::capacity::request(self.capacity))
    }
}
