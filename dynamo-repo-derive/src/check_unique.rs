//! Checks of `#[dynamo(unique)]`: a stored, non-key field of an entity.
//! Its type is checked by the generated code (`UniqueValue`), the table's
//! partition key type by a `const` assertion.

use crate::ast::{Container, Derive, Field};
use crate::ctxt::Ctxt;

pub fn check(cx: &Ctxt, cont: &Container, fields: &[Field], derive: Derive) {
    for f in fields {
        let a = &f.attrs;
        let Some(span) = a.unique.span() else {
            continue;
        };
        let err = |message: &str| cx.syn_error(syn::Error::new(span, message));
        if derive != Derive::Entity {
            err("`unique` belongs on a field of a #[derive(Entity)] struct");
            continue;
        }
        if a.partition_key.is_set() || a.sort_key.is_set() {
            err("`unique` has no meaning on a key field: no two items share a key already");
        }
        let in_key = cont.keys.as_ref().is_some_and(|k| {
            std::iter::once(&k.pk)
                .chain(k.sk.as_ref())
                .any(|t| t.fields().iter().any(|name| f.ident == name))
        });
        if in_key || a.key_only.is_set() {
            err("`unique` has no meaning on a field the table's key template is built from: no two items share a key already");
        }
        for (set, option) in [
            (a.skip.is_set(), "skip"),
            (a.with.is_set(), "with"),
            (a.serde.is_set(), "serde"),
            (a.binary.is_set(), "binary"),
            (a.ttl.is_set(), "ttl"),
            (a.version.is_set(), "version"),
            (a.created_at.is_set(), "created_at"),
            (a.updated_at.is_set(), "updated_at"),
            (a.extra.is_set(), "extra"),
        ] {
            if set {
                err(&format!(
                    "`unique` cannot be combined with `{option}`: a unique value is kept by its stored text"
                ));
            }
        }
    }
}
