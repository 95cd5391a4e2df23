//! Index keys that never go stale: an update that changes a field a
//! template index key is built from (`gsi1(sk = "STATUS#{status}#{date}")`)
//! writes that key again in the same request, or is refused before sending
//! when it cannot (see [`crate::single_table`], *Index keys*).

use super::{PathElement, SetValue, UntypedPath, Update, UpdateAction};
use crate::entity::Entity;
use crate::error::{ValidationError, ValidationErrorKind};
use crate::single_table::TemplateIndexKeys;
use crate::value::Item;
use std::borrow::Cow;

impl<E: Entity> Update<E> {
    /// Checks the user's actions against the key templates and adds the
    /// actions that keep every template index key in step with them: a `SET`
    /// of the recomputed key attributes, or their `REMOVE` when an optional
    /// field the key needs is cleared (the item leaves the sparse index).
    ///
    /// Refused with [`ValidationErrorKind::KeyUpdate`]: a change to a field of
    /// the table's key templates, or to a key or type attribute itself; with
    /// [`ValidationErrorKind::IndexKeyIncomplete`]: a change to an index
    /// key's field that cannot be recomputed from the update alone.
    /// `key` is the item's table key, from which the fields of the table's
    /// key templates are read when an index key is built from them too.
    pub(crate) fn with_index_keys(self, key: &Item) -> Result<Self, ValidationError> {
        self.check_key_sources()?;
        let Some(single_table) = E::SCHEMA.single_table else {
            return Ok(self);
        };
        let mut derived = Vec::new();
        for index in single_table.index_keys {
            derived.extend(index_actions::<E>(index, self.actions(), key)?);
        }
        Ok(derived.into_iter().fold(self, Update::push))
    }
}

/// What one update does to the key of `index`.
fn index_actions<E: Entity>(
    index: &TemplateIndexKeys,
    actions: &[UpdateAction],
    key: &Item,
) -> Result<Vec<UpdateAction>, ValidationError> {
    let entity = E::SCHEMA.entity;
    // The update's values of the index's fields, beside the table key.
    let mut values = key.clone();
    let mut touched: Vec<&str> = Vec::new();
    let mut cleared = false;
    for action in actions {
        let elements = action.path().elements();
        let Some(PathElement::Attribute(root)) = elements.first() else {
            continue;
        };
        let Some((attribute, field)) = index.sources.iter().find(|(a, _)| *a == root) else {
            continue;
        };
        touched.push(field);
        let refuse = |how: &str| {
            Err(ValidationError::new(
                ValidationErrorKind::IndexKeyIncomplete,
                format!(
                    "`{field}` is part of the key of index `{}`, which must be recomputed in the same request; {how}",
                    index.index
                ),
            )
            .entity(entity)
            .attribute(action.path().to_string()))
        };
        if elements.len() > 1 {
            return refuse("set the whole field, not a path inside it");
        }
        match action {
            UpdateAction::Set(_, SetValue::Value(v)) => {
                values.insert((*attribute).to_owned(), v.clone());
            }
            UpdateAction::Remove(_) => cleared = true,
            _ => return refuse(
                "change it with a plain `set` (or `remove`), whose value is known before sending",
            ),
        }
    }
    if touched.is_empty() {
        return Ok(Vec::new());
    }
    let remove_all = || {
        index
            .attributes
            .iter()
            .map(|a| UpdateAction::Remove(attribute_path(a)))
            .collect()
    };
    if cleared {
        // A field the key needs is absent afterwards: the item leaves the index.
        return Ok(remove_all());
    }
    let missing: Vec<&str> = index
        .sources
        .iter()
        .filter(|(a, _)| !values.contains_key(*a))
        .map(|(_, f)| *f)
        .collect();
    if !missing.is_empty() {
        let list = |names: &[&str]| {
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(ValidationError::new(
            ValidationErrorKind::IndexKeyIncomplete,
            format!(
                "changing {} changes the key of index `{}`, which is also built from {}; set {} in the same update (to the current value if it does not change), so the key can be recomputed",
                list(&touched),
                index.index,
                list(&missing),
                if missing.len() == 1 { "it" } else { "them" },
            ),
        )
        .entity(entity)
        .attribute(missing[0].to_owned()));
    }
    let keys = (index.render)(&values).map_err(|e| {
        ValidationError::new(
            ValidationErrorKind::IndexKeyIncomplete,
            format!(
                "the key of index `{}` cannot be built from the update's values: {e}",
                index.index,
            ),
        )
        .entity(entity)
    })?;
    if keys.is_empty() {
        return Ok(remove_all());
    }
    Ok(index
        .attributes
        .iter()
        .map(|a| match keys.get(*a) {
            Some(v) => UpdateAction::Set(attribute_path(a), SetValue::Value(v.clone())),
            None => UpdateAction::Remove(attribute_path(a)),
        })
        .collect())
}

fn attribute_path(name: &'static str) -> UntypedPath {
    UntypedPath::from(vec![PathElement::Attribute(Cow::Borrowed(name))])
}
