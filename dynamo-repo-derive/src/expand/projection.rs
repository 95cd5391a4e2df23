//! `#[derive(Projection)]`: some fields of an entity, read from a projected query.

use crate::ast::{Container, Field};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

pub(super) fn expand_projection(cont: &Container, fields: &[Field]) -> TokenStream {
    let ident = cont.ident;
    let entity = cont.attrs.entity.get().expect("checked");
    let entity_name = ident.to_string();
    // Each field must exist on the entity with the same type: checked by the compiler, at the field.
    let checks = fields.iter().map(|f| {
        let fid = f.ident;
        let ty = f.ty;
        quote_spanned!(f.original.span()=> let _: &#ty = &entity.#fid;)
    });
    let field_names = fields.iter().map(|f| f.ident.to_string());
    let reads = fields.iter().map(|f| {
        let fid = f.ident;
        let field = fid.to_string();
        let value = if f.attrs.default.is_set() {
            quote!(__dr::take_or_default(item, __dr::projected_attribute::<#entity>(#field))?)
        } else {
            quote!(__dr::take(item, __dr::projected_attribute::<#entity>(#field))?)
        };
        quote!(#fid: #value,)
    });
    quote! {
        const _: () = {
            use ::dynamo_repo::__private as __dr;

            #[allow(dead_code, unused_variables)]
            fn __check_fields(entity: &#entity) {
                #(#checks)*
            }

            #[automatically_derived]
            impl __dr::Projection for #ident {
                type Entity = #entity;
                const FIELDS: &'static [&'static str] = &[#(#field_names),*];

                fn from_item(mut item: __dr::Item) -> ::core::result::Result<Self, __dr::Error> {
                    let read = |item: &mut __dr::Item| -> ::core::result::Result<Self, __dr::DecodeError> {
                        __dr::check_item_depth(item)?;
                        ::core::result::Result::Ok(Self { #(#reads)* })
                    };
                    read(&mut item).map_err(|e| __dr::Error::Decode(e.in_entity(#entity_name)))
                }
            }
        };
    }
}
