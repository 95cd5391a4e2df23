//! The repository's `put` / `save` / `delete` of an entity with unique
//! fields: read the stored values, then one transaction, retried when a
//! concurrent writer changed them in between.

use super::actions::{delete_in_unit, put_in_unit, values_of, MarkerRole, Stored};
use super::value_text;
use crate::capacity::{self, Capacity};
use crate::entity::{Entity, Key};
use crate::error::{from_sdk, Error, Result};
use crate::expr::Condition;
use crate::managed::{self, ExpectedVersion};
use crate::repository::{existence, Repository};
use crate::unit_of_work::{CancellationCode, TransactionCanceled, UnitOfWork};
use crate::value::Item;

/// How many times a write reads again after a concurrent change.
const MAX_ATTEMPTS: usize = 8;

fn unit<T: Entity>(repo: &Repository<T>, capacity: bool) -> UnitOfWork {
    let mut uow = repo.client().unit_of_work();
    uow.with_repository(repo);
    if capacity {
        uow.return_consumed_capacity();
    }
    uow
}

/// A strongly consistent read of the stored item: whole, or only its
/// unique attributes.
async fn read<T: Entity>(
    repo: &Repository<T>,
    key: &Item,
    whole: bool,
    capacity: bool,
    total: &mut Option<Capacity>,
) -> Result<Option<Item>> {
    let mut request = repo
        .client()
        .sdk()
        .get_item()
        .table_name(repo.table_name())
        .set_key(Some(key.clone()))
        .consistent_read(true)
        .set_return_consumed_capacity(capacity::request(capacity));
    if !whole {
        let mut names = Vec::new();
        for (i, u) in T::UNIQUE.iter().enumerate() {
            request = request.expression_attribute_names(format!("#u{i}"), u.attribute);
            names.push(format!("#u{i}"));
        }
        request = request.projection_expression(names.join(", "));
    }
    let output = request
        .send()
        .await
        .map_err(|e| from_sdk(e, "GetItem", repo.table_name()))?;
    capacity::add(total, capacity::record_one(output.consumed_capacity()));
    Ok(output.item.filter(|i| !i.is_empty()))
}

/// What to do after a cancelled transaction.
enum Next {
    /// Read again and retry (with these releases left out).
    Retry(Vec<usize>),
    Fail(Error),
}

/// Reads a cancellation of a unique write laid out as the entity's action,
/// then `roles`: a stale read is retried, the entity's own conditions fail
/// as they would alone, a taken value is `UniqueTaken`, a marker of another
/// owner is left out of the next attempt.
fn explain<T: Entity>(
    error: Error,
    read: &[Option<aws_sdk_dynamodb::types::AttributeValue>],
    roles: &[MarkerRole],
    operation: &'static str,
    table: &str,
    key: &Item,
    expected: Option<ExpectedVersion>,
) -> Next {
    let canceled: &TransactionCanceled = match &error {
        Error::TransactionCanceled(c) => c,
        Error::UniqueTaken(u) => &u.canceled,
        _ => return Next::Fail(error),
    };
    let Some(entity) = canceled.actions.first() else {
        return Next::Fail(error);
    };
    if matches!(
        entity.reason,
        CancellationCode::ConditionalCheckFailed
            | CancellationCode::VersionConflict { .. }
            | CancellationCode::WrongEntityType { .. }
    ) {
        let now = values_of::<T>(entity.item.as_ref().unwrap_or(&Item::new()));
        let same = now
            .iter()
            .zip(read)
            .all(|(a, b)| value_text(a.as_ref()) == value_text(b.as_ref()));
        if !same {
            return Next::Retry(Vec::new());
        }
        return Next::Fail(crate::type_guard::condition_error::<T>(
            operation,
            table,
            key,
            expected,
            entity.item.clone(),
        ));
    }
    if matches!(error, Error::UniqueTaken(_)) {
        return Next::Fail(error);
    }
    let mut kept = Vec::new();
    for (outcome, role) in canceled.actions.iter().skip(1).zip(roles) {
        if let (MarkerRole::Release(field), CancellationCode::ConditionalCheckFailed) =
            (role, &outcome.reason)
        {
            if let Some(i) = T::UNIQUE.iter().position(|u| u == *field) {
                kept.push(i);
            }
        }
    }
    if kept.is_empty() {
        Next::Fail(error)
    } else {
        Next::Retry(kept)
    }
}

/// `put` / `save` of an entity with unique fields; for `save`
/// (`read_back`), the item as stored afterwards.
pub(crate) async fn put<T: Entity>(
    repo: &Repository<T>,
    item: &T,
    if_absent: bool,
    condition: Option<Condition<T>>,
    capacity: bool,
    read_back: bool,
) -> Result<(Option<Item>, Option<Capacity>)> {
    let encoded = item.to_item();
    let key = item.primary_key().into_item();
    let expected = managed::expectation(&T::SCHEMA, &encoded);
    // Everything that can be refused is refused before the first read.
    let mut check = unit(repo, capacity);
    put_in_unit(
        &mut check,
        item,
        if_absent,
        condition.clone(),
        &Stored::Unknown,
    );
    check.validate()?;
    let mut total = None;
    let mut keep = vec![false; T::UNIQUE.len()];
    for _ in 0..MAX_ATTEMPTS {
        let stored = read(repo, &key, false, capacity, &mut total).await?;
        let values = values_of::<T>(stored.as_ref().unwrap_or(&Item::new()));
        let stored = Stored::Known {
            values: values.clone(),
            keep: keep.clone(),
        };
        let mut uow = unit(repo, capacity);
        let roles = put_in_unit(&mut uow, item, if_absent, condition.clone(), &stored);
        match uow.commit().await {
            Ok(committed) => {
                capacity::add(&mut total, committed.capacity);
                let stored = match read_back {
                    true => read(repo, &key, true, capacity, &mut total).await?,
                    false => None,
                };
                return Ok((stored, total));
            }
            Err(e) => match explain::<T>(
                e,
                &values,
                &roles,
                "PutItem",
                repo.table_name(),
                &key,
                expected,
            ) {
                Next::Fail(e) => return Err(e),
                Next::Retry(kept) => {
                    for i in kept {
                        keep[i] = true;
                    }
                }
            },
        }
    }
    Err(gave_up::<T>("PutItem", repo.table_name()))
}

/// `delete` / `delete_item` of an entity with unique fields; the deleted
/// item as read, for `return_old`.
pub(crate) async fn delete<T: Entity>(
    repo: &Repository<T>,
    key: &Key<T>,
    if_exists: bool,
    condition: Option<Condition<T>>,
    expected: Option<ExpectedVersion>,
    capacity: bool,
    return_old: bool,
) -> Result<(Option<T>, Option<Capacity>)> {
    let condition = match (if_exists, condition) {
        (true, Some(c)) => Some(existence::<T>(true).and(c)),
        (true, None) => Some(existence::<T>(true)),
        (false, c) => c,
    };
    let mut check = unit(repo, capacity);
    delete_in_unit(
        &mut check,
        key.clone(),
        expected,
        condition.clone(),
        &Stored::Unknown,
    );
    check.validate()?;
    let mut total = None;
    let mut keep = vec![false; T::UNIQUE.len()];
    for _ in 0..MAX_ATTEMPTS {
        let stored = read(repo, key.as_item(), return_old, capacity, &mut total).await?;
        let values = values_of::<T>(stored.as_ref().unwrap_or(&Item::new()));
        let known = Stored::Known {
            values: values.clone(),
            keep: keep.clone(),
        };
        let mut uow = unit(repo, capacity);
        let roles = delete_in_unit(&mut uow, key.clone(), expected, condition.clone(), &known);
        match uow.commit().await {
            Ok(committed) => {
                capacity::add(&mut total, committed.capacity);
                let old = match return_old {
                    true => stored.map(T::from_item).transpose()?,
                    false => None,
                };
                return Ok((old, total));
            }
            Err(e) => match explain::<T>(
                e,
                &values,
                &roles,
                "DeleteItem",
                repo.table_name(),
                key.as_item(),
                expected,
            ) {
                Next::Fail(e) => return Err(e),
                Next::Retry(kept) => {
                    for i in kept {
                        keep[i] = true;
                    }
                }
            },
        }
    }
    Err(gave_up::<T>("DeleteItem", repo.table_name()))
}

/// The error when concurrent writers kept changing the item.
fn gave_up<T: Entity>(operation: &'static str, table: &str) -> Error {
    Error::Service {
        operation,
        table: table.to_owned(),
        code: Some("UniqueRetriesExhausted".to_owned()),
        message: Some(format!(
            "the stored {} kept changing between the read of its unique values and the transaction ({MAX_ATTEMPTS} attempts); nothing was written",
            T::SCHEMA.entity
        )),
        source: "unique constraint retries exhausted".into(),
    }
}
