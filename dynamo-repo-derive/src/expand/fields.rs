//! Reading and writing an item's fields, and the typed attribute paths.

use super::keys::*;
use crate::ast::{Field, TemplateKeys};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

/// `put`s every stored field into `item`.
pub(super) fn write_fields(fields: &[Field]) -> TokenStream {
    let writes = fields.iter().filter(|f| f.own_attribute()).map(|f| {
        let ident = f.ident;
        let name = &f.name;
        let a = &f.attrs;
        if let Some(with) = a.with.get() {
            quote!(__dr::put_encoded(&mut item, #name, #with::to_attribute(&self.#ident));)
        } else if a.binary.is_set() {
            quote!(__dr::put_encoded(&mut item, #name, __dr::binary_to_attribute(&self.#ident));)
        } else if a.serde.is_set() {
            quote!(__dr::put_encoded(&mut item, #name, __dr::serde_to_attribute(&self.#ident));)
        } else if a.ttl.is_set() {
            quote!(__dr::put_ttl(&mut item, #name, &self.#ident);)
        } else {
            // Spanned at the field's type: a type that cannot be stored is
            // reported there, not at the derive.
            quote_spanned!(f.ty.span()=> __dr::put(&mut item, #name, &self.#ident);)
        }
    });
    let capacity = fields.iter().filter(|f| f.own_attribute()).count();
    quote! {
        let mut item: __dr::Item = __dr::HashMap::with_capacity(#capacity);
        #(#writes)*
    }
}

/// `Self { field: take(...)?, ... }` from `item: &mut Item`; `key_only`
/// fields are parsed out of the table key templates in `keys`.
pub(super) fn read_fields(fields: &[Field], keys: Option<&TemplateKeys>) -> TokenStream {
    // Key fields are read last (a struct literal may list fields in any
    // order, and evaluates them as listed): when another field fails, the
    // key attributes are still in the item, and the error can name the item.
    let is_key = |f: &&Field| {
        f.attrs.partition_key.is_set() || f.attrs.sort_key.is_set() || f.attrs.key_only.is_set()
    };
    // The `extra` field comes last of all: it takes what the others left.
    let ordered = fields
        .iter()
        .filter(|f| !is_key(f) && !f.is_extra())
        .chain(fields.iter().filter(|f| is_key(f)))
        .chain(fields.iter().filter(|f| f.is_extra()));
    let reads = ordered.map(|f| {
        if let (true, Some(keys)) = (f.attrs.key_only.is_set(), keys) {
            let ident = f.ident;
            let value = key_only_read(f, keys);
            return quote!(#ident: #value,);
        }
        let ident = f.ident;
        if f.is_extra() {
            let ty = f.ty;
            let take = quote_spanned!(ty.span()=> __dr::take_extra::<#ty>);
            return quote!(#ident: #take(item, EXTRA_RESERVED),);
        }
        let value = read_value(f);
        quote!(#ident: #value,)
    });
    quote!(Self { #(#reads)* })
}

/// The expression reading one stored field from `item: &mut Item`, as
/// `from_item` reads it.
pub(super) fn read_value(f: &Field) -> TokenStream {
    let name = &f.name;
    let ty = f.ty;
    let a = &f.attrs;
    let absent = if a.default.is_set() {
        quote!(|| ::core::option::Option::Some(<#ty as ::core::default::Default>::default()))
    } else if a.serde.is_set() {
        quote!(__dr::serde_absent::<#ty>)
    } else {
        quote!(|| ::core::option::Option::None)
    };
    if !f.stored() {
        quote!(::core::default::Default::default())
    } else if let Some(with) = a.with.get() {
        quote!(__dr::take_with(item, #name, #absent, #with::from_attribute)?)
    } else if a.binary.is_set() {
        quote!(__dr::take_with(item, #name, #absent, __dr::binary_from_attribute)?)
    } else if a.serde.is_set() {
        quote!(__dr::take_with(item, #name, #absent, __dr::serde_from_attribute)?)
    } else if a.ttl.is_set() {
        quote!(__dr::take_ttl(item, #name)?)
    } else if a.default.is_set() {
        quote_spanned!(ty.span()=> __dr::take_or_default(item, #name)?)
    } else {
        quote_spanned!(ty.span()=> __dr::take(item, #name)?)
    }
}

/// Whether a field's stored form follows its Rust type (so its path can be navigated).
pub(super) fn plain(f: &Field) -> bool {
    let a = &f.attrs;
    !(a.with.is_set() || a.serde.is_set() || a.binary.is_set() || a.ttl.is_set())
}

/// `pub name: <Ty as HasPath>::Path<Root>,` in a generated path struct.
pub(super) fn path_decl(f: &Field, root: &TokenStream) -> TokenStream {
    let fid = f.ident;
    let ty = f.ty;
    let doc = format!("The attribute `{}`.", f.name);
    if plain(f) {
        let path = quote_spanned!(ty.span()=> <#ty as ::dynamo_repo::expr::HasPath>::Path<#root>);
        quote!(#[doc = #doc] pub #fid: #path,)
    } else {
        quote!(#[doc = #doc] pub #fid: ::dynamo_repo::Path<#root, #ty>,)
    }
}

/// The initialiser of [`path_decl`], below the path `parent`.
pub(super) fn path_init(f: &Field, root: &TokenStream, parent: &TokenStream) -> TokenStream {
    let fid = f.ident;
    let ty = f.ty;
    let name = &f.name;
    if plain(f) {
        let path = quote_spanned!(ty.span()=> ::dynamo_repo::expr::field_path::<#ty, #root>);
        quote!(#fid: #path(#parent, #name),)
    } else {
        quote!(#fid: ::dynamo_repo::Path::from_elements({
            let mut elements: ::std::vec::Vec<::dynamo_repo::expr::PathElement> = (#parent).to_vec();
            elements.push(::dynamo_repo::expr::PathElement::Attribute(::std::borrow::Cow::Borrowed(#name)));
            elements
        }),)
    }
}
