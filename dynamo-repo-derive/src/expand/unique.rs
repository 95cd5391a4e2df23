//! `#[dynamo(unique)]`: the entity's `UNIQUE` list and its compile-time checks.

use crate::ast::Field;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

/// The `const UNIQUE` item of the `Entity` impl (nothing when no field is
/// unique), and the assertions placed beside the impl.
pub(super) fn unique(ident: &syn::Ident, fields: &[Field]) -> (TokenStream, TokenStream) {
    let unique: Vec<&Field> = fields
        .iter()
        .filter(|f| f.attrs.unique.is_set() && f.own_attribute())
        .collect();
    if unique.is_empty() {
        return (quote!(), quote!());
    }
    let entries = unique.iter().map(|f| {
        let field = f.ident.to_string();
        let attribute = &f.name;
        quote!(__dr::UniqueField { field: #field, attribute: #attribute })
    });
    let value_asserts = unique.iter().map(|f| {
        let ty = f.ty;
        quote_spanned!(ty.span()=> const _: () = __dr::assert_unique_value::<#ty>();)
    });
    let span = unique[0]
        .attrs
        .unique
        .span()
        .unwrap_or_else(proc_macro2::Span::call_site);
    let table_assert = quote_spanned!(span=> const _: () = __dr::assert_unique_table(
        <#ident as __dr::Entity>::SCHEMA.partition_key.key_type
    ););
    (
        quote!(const UNIQUE: &'static [__dr::UniqueField] = &[#(#entries),*];),
        quote!(#(#value_asserts)* #table_assert),
    )
}
