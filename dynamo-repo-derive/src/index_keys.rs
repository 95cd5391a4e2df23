//! The key fields of a `gsi(...)` / `lsi(...)`: one field
//! (`partition_key = region`) or a list of up to four, in key order
//! (`partition_key = [region, status]`, a multi-attribute key), and the
//! checks of what DynamoDB allows there.

use crate::attr::{IndexAttr, IndexKind};
use crate::ctxt::Ctxt;
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::{LitStr, Token};

/// DynamoDB's limit on the attributes of each side of a multi-attribute key.
pub const MAX_KEY_ATTRIBUTES: usize = 4;

/// One side of an index key as written: its first field, the others of a
/// list, and the list's brackets (for errors about the list as a whole).
pub struct KeyFields {
    pub first: Option<syn::Ident>,
    pub more: Vec<syn::Ident>,
    pub list: Option<proc_macro2::Span>,
}

/// Parses `= [field, "field", ...]`, or `= field` / `= "field"` with `one`.
pub fn parse_key_fields(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    one: fn(&ParseNestedMeta) -> syn::Result<syn::Ident>,
) -> syn::Result<KeyFields> {
    if !(meta.input.peek(Token![=]) && meta.input.peek2(syn::token::Bracket)) {
        return Ok(KeyFields {
            first: Some(one(meta)?),
            more: Vec::new(),
            list: None,
        });
    }
    let value = meta.value()?;
    let content;
    let brackets = syn::bracketed!(content in value);
    let items = Punctuated::<KeyField, Token![,]>::parse_terminated(&content)?;
    let mut fields = items.into_iter().map(|f| f.0);
    let span = brackets.span.join();
    let first = fields.next();
    let more: Vec<syn::Ident> = fields.collect();
    if first.is_none() {
        cx.syn_error(syn::Error::new(
            span,
            "an index key lists at least one field: `[region, status]`",
        ));
    }
    if 1 + more.len() > MAX_KEY_ATTRIBUTES {
        cx.syn_error(syn::Error::new(
            span,
            format!(
                "DynamoDB allows at most {MAX_KEY_ATTRIBUTES} attributes in each of a multi-attribute key's partition and sort key; this lists {}",
                1 + more.len()
            ),
        ));
    }
    Ok(KeyFields {
        first,
        more,
        list: Some(span),
    })
}

/// A field name in a key list, bare or as a string.
struct KeyField(syn::Ident);

impl syn::parse::Parse for KeyField {
    fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
        if input.peek(LitStr) {
            Ok(KeyField(input.parse::<LitStr>()?.parse()?))
        } else {
            Ok(KeyField(input.parse()?))
        }
    }
}

/// Every key field of an index, partition then sort, in order.
pub fn key_fields(index: &IndexAttr) -> impl Iterator<Item = &syn::Ident> {
    index
        .partition_key
        .iter()
        .chain(&index.more_partition_keys)
        .chain(index.sort_key.iter())
        .chain(&index.more_sort_keys)
}

/// What DynamoDB refuses in an index's keys: a field twice (one attribute
/// can be only one key element), and a multi-attribute key on a local index.
pub fn check_index_keys(cx: &Ctxt, index: &IndexAttr) {
    let mut seen: Vec<&syn::Ident> = Vec::new();
    for ident in key_fields(index) {
        if seen.contains(&ident) {
            cx.error_spanned_by(
                ident,
                format!("field `{ident}` is already a key attribute of this index; each attribute can be in an index key once"),
            );
        } else {
            seen.push(ident);
        }
    }
    if index.kind == IndexKind::Local {
        if let Some(span) = index.sort_key_list {
            if !index.more_sort_keys.is_empty() {
                cx.syn_error(syn::Error::new(
                    span,
                    "a local index has a sort key of one attribute; multi-attribute keys are for global indexes (gsi(...)) only",
                ));
            }
        }
    }
}
