//! Typed paths into an enum with data (`#[derive(Attribute)]`): the path of
//! the whole map, `.tag()` (the tag attribute), and for each struct variant
//! `.as_<variant>()` with a path per stored field (for a newtype variant under
//! adjacent tagging, the path of its content).

use super::fields::{path_decl, path_init};
use crate::ast::{Container, Variant};
use crate::case::RenameRule;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

pub(super) fn expand_enum_path(
    cont: &Container,
    variants: &[Variant],
    tag: &str,
    content: Option<&str>,
) -> TokenStream {
    let ident = cont.ident;
    let vis = &cont.original.vis;
    let path_ident = format_ident!("{}Path", ident);
    let root = quote!(E);
    // The elements below which a variant's data is stored.
    let data_elements = match content {
        None => quote!(self.__whole.elements().to_vec()),
        Some(content) => quote! {{
            let mut elements = self.__whole.elements().to_vec();
            elements.push(::dynamo_repo::expr::PathElement::Attribute(::std::borrow::Cow::Borrowed(#content)));
            elements
        }},
    };
    let mut variant_structs = Vec::new();
    let mut accessors = Vec::new();
    for v in variants {
        let method = format_ident!(
            "as_{}",
            RenameRule::Snake.apply_to_variant(&v.ident.to_string())
        );
        let vid = v.ident;
        match &v.original.fields {
            syn::Fields::Named(_) => {
                let struct_ident = format_ident!("{}{}Path", ident, v.ident);
                let stored: Vec<_> = v.fields.iter().filter(|f| f.stored()).collect();
                let decls = stored.iter().map(|f| path_decl(f, &root));
                let inits = stored
                    .iter()
                    .map(|f| path_init(f, &root, &quote!(&elements)));
                let doc = format!(
                    "Typed paths to the fields of variant [`{ident}::{vid}`] stored inside entity `E`."
                );
                variant_structs.push(quote! {
                    #[doc = #doc]
                    #[allow(dead_code)]
                    #vis struct #struct_ident<E> {
                        #(#decls)*
                        __entity: ::core::marker::PhantomData<fn() -> E>,
                    }
                });
                let doc = format!(
                    "The fields of variant `{vid}` (tagged \"{}\"). A condition on them holds only for items of that variant; pair it with `.tag()` to say so.",
                    v.name
                );
                accessors.push(quote! {
                    #[doc = #doc]
                    pub fn #method(&self) -> #struct_ident<E> {
                        let elements: ::std::vec::Vec<::dynamo_repo::expr::PathElement> = #data_elements;
                        #struct_ident {
                            #(#inits)*
                            __entity: ::core::marker::PhantomData,
                        }
                    }
                });
            }
            syn::Fields::Unnamed(u) if u.unnamed.len() == 1 && content.is_some() => {
                let ty = &u.unnamed[0].ty;
                let content = content.unwrap_or_default();
                let doc = format!(
                    "The content of variant `{vid}` (tagged \"{}\"), stored under \"{content}\".",
                    v.name
                );
                let path =
                    quote_spanned!(ty.span()=> <#ty as ::dynamo_repo::expr::HasPath>::Path<E>);
                let make = quote_spanned!(ty.span()=> ::dynamo_repo::expr::field_path::<#ty, E>);
                accessors.push(quote! {
                    #[doc = #doc]
                    pub fn #method(&self) -> #path {
                        #make(self.__whole.elements(), #content)
                    }
                });
            }
            _ => {}
        }
    }
    let doc = format!(
        "Typed paths into a [`{ident}`] stored inside entity `E`: `.tag()` and the fields of each struct variant; dereferences to the path of the whole map."
    );
    let whole_impls = super::attribute::whole_path_impls(ident, &path_ident);
    let tag_doc = format!("The tag attribute \"{tag}\": the stored name of the variant.");
    quote! {
        #[doc = #doc]
        #vis struct #path_ident<E> {
            __whole: ::dynamo_repo::Path<E, #ident>,
        }

        #(#variant_structs)*

        impl<E> #path_ident<E> {
            #[doc = #tag_doc]
            pub fn tag(&self) -> ::dynamo_repo::Path<E, ::std::string::String> {
                let mut elements = self.__whole.elements().to_vec();
                elements.push(::dynamo_repo::expr::PathElement::Attribute(::std::borrow::Cow::Borrowed(#tag)));
                ::dynamo_repo::Path::from_elements(elements)
            }

            #(#accessors)*
        }

        #whole_impls

        impl ::dynamo_repo::expr::HasPath for #ident {
            type Path<E> = #path_ident<E>;
            fn path_at<E>(elements: ::std::vec::Vec<::dynamo_repo::expr::PathElement>) -> Self::Path<E> {
                #path_ident {
                    __whole: ::dynamo_repo::Path::from_elements(elements),
                }
            }
        }
    }
}
