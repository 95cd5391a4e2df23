//! `#[derive(Collection)]`: an enum of entities routed by their type attribute.

use crate::ast::{Container, Variant};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

pub(super) fn expand_collection(cont: &Container, variants: &[Variant]) -> TokenStream {
    let ident = cont.ident;
    let name = ident.to_string();
    let entries: Vec<(&syn::Ident, &syn::Type)> = variants
        .iter()
        .filter_map(|v| match &v.original.fields {
            syn::Fields::Unnamed(u) => u.unnamed.first().map(|f| (v.ident, &f.ty)),
            _ => None,
        })
        .collect();
    let types = entries
        .iter()
        .map(|(_, ty)| quote_spanned!(ty.span()=> <#ty as __dr::TypedEntity>::ENTITY_TYPE));
    let arms = entries.iter().map(|(vid, ty)| {
        quote! {
            if __dr::entity_type_of(&item, <#ty as __dr::TypedEntity>::TYPE_ATTRIBUTE)
                == ::core::option::Option::Some(<#ty as __dr::TypedEntity>::ENTITY_TYPE)
            {
                return <#ty as __dr::Entity>::from_item(item).map(#ident::#vid);
            }
        }
    });
    // Two variants of one entity type would make routing ambiguous.
    let mut distinct = Vec::new();
    for (i, (va, a)) in entries.iter().enumerate() {
        for (vb, b) in &entries[..i] {
            let message =
                format!("variants `{vb}` and `{va}` of `{name}` have the same entity type");
            distinct.push(quote_spanned!(a.span()=> const _: () = ::core::assert!(
                !__dr::str_eq(<#a as __dr::TypedEntity>::ENTITY_TYPE, <#b as __dr::TypedEntity>::ENTITY_TYPE)
                    || !__dr::str_eq(<#a as __dr::TypedEntity>::TYPE_ATTRIBUTE, <#b as __dr::TypedEntity>::TYPE_ATTRIBUTE),
                #message
            );));
        }
    }
    let first = entries
        .first()
        .map(|(_, ty)| quote!(<#ty as __dr::TypedEntity>::TYPE_ATTRIBUTE));
    quote! {
        const _: () = {
            use ::dynamo_repo::__private as __dr;
            #(#distinct)*

            #[automatically_derived]
            impl __dr::Collection for #ident {
                const ENTITY_TYPES: &'static [&'static str] = &[#(#types),*];

                fn from_item(item: __dr::Item) -> ::core::result::Result<Self, __dr::Error> {
                    #(#arms)*
                    ::core::result::Result::Err(__dr::Error::Decode(
                        __dr::unknown_entity_type(&item, #first, <Self as __dr::Collection>::ENTITY_TYPES)
                            .in_entity(#name),
                    ))
                }
            }
        };
    }
}
