//! `#[derive(Attribute)]`: a struct stored as a map, an enum stored as a string.

use super::fields::*;
use crate::ast::{Container, Field, Variant};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub(super) fn expand_map_struct(cont: &Container, fields: &[Field]) -> TokenStream {
    let ident = cont.ident;
    let write = write_fields(fields);
    let read = read_fields(fields, None);
    let vis = &cont.original.vis;
    let path_ident = format_ident!("{}Path", ident);
    let root = quote!(E);
    let stored: Vec<&Field> = fields.iter().filter(|f| f.stored()).collect();
    let path_decls = stored.iter().map(|f| path_decl(f, &root));
    let path_inits = stored
        .iter()
        .map(|f| path_init(f, &root, &quote!(&elements)));
    let doc = format!("Typed paths into a [`{ident}`] stored inside entity `E`; dereferences to the path of the whole map.");
    let whole_impls = whole_path_impls(ident, &path_ident);
    quote! {
        #[doc = #doc]
        #[allow(dead_code)]
        #vis struct #path_ident<E> {
            #(#path_decls)*
            __whole: ::dynamo_repo::Path<E, #ident>,
        }

        #whole_impls

        impl ::dynamo_repo::expr::HasPath for #ident {
            type Path<E> = #path_ident<E>;
            fn path_at<E>(elements: ::std::vec::Vec<::dynamo_repo::expr::PathElement>) -> Self::Path<E> {
                #path_ident {
                    #(#path_inits)*
                    __whole: ::dynamo_repo::Path::from_elements(elements),
                }
            }
        }

        const _: () = {
            use ::dynamo_repo::__private as __dr;

            #[automatically_derived]
            impl __dr::ToAttribute for #ident {
                fn to_attribute(&self) -> ::core::option::Option<__dr::AttributeValue> {
                    __dr::encode_map(|| {
                        #write
                        item
                    })
                }
            }

            #[automatically_derived]
            impl __dr::FromAttribute for #ident {
                fn from_attribute(value: __dr::AttributeValue) -> ::core::result::Result<Self, __dr::DecodeError> {
                    __dr::decode_map(value, |item| ::core::result::Result::Ok(#read))
                }
            }
        };
    }
}

pub(super) fn expand_enum(cont: &Container, variants: &[Variant]) -> TokenStream {
    let ident = cont.ident;
    let to_arms = variants.iter().map(|v| {
        let vid = v.ident;
        let name = &v.name;
        quote!(#ident::#vid => #name,)
    });
    let from_arms = variants.iter().map(|v| {
        let vid = v.ident;
        let name = &v.name;
        quote!(#name => ::core::result::Result::Ok(#ident::#vid),)
    });
    let names = variants.iter().map(|v| &v.name);
    let key_part_arms = variants.iter().map(|v| {
        let vid = v.ident;
        let name = &v.name;
        quote!(#ident::#vid => #name,)
    });
    quote! {
        const _: () = {
            use ::dynamo_repo::__private as __dr;

            #[automatically_derived]
            impl __dr::ToAttribute for #ident {
                fn to_attribute(&self) -> ::core::option::Option<__dr::AttributeValue> {
                    let name: &str = match self { #(#to_arms)* };
                    ::core::option::Option::Some(__dr::AttributeValue::S(name.to_owned()))
                }
            }

            #[automatically_derived]
            impl __dr::FromAttribute for #ident {
                fn from_attribute(value: __dr::AttributeValue) -> ::core::result::Result<Self, __dr::DecodeError> {
                    match value {
                        __dr::AttributeValue::S(s) => match s.as_str() {
                            #(#from_arms)*
                            _ => ::core::result::Result::Err(__dr::DecodeError::new(
                                __dr::DecodeErrorKind::UnknownVariant { found: s, expected: &[#(#names),*] },
                            )),
                        },
                        other => ::core::result::Result::Err(__dr::DecodeError::wrong_type("S", &other)),
                    }
                }
            }

            #[automatically_derived]
            impl __dr::KeyValue for #ident {
                const KEY_TYPE: __dr::KeyType = __dr::KeyType::String;
            }

            #[automatically_derived]
            impl __dr::ViaString for #ident {}

            #[automatically_derived]
            impl __dr::KeyPart for #ident {
                fn write_key_part(&self, out: &mut ::std::string::String) {
                    out.push_str(match self { #(#key_part_arms)* });
                }
            }

            impl __dr::HasPath for #ident {
                type Path<E> = ::dynamo_repo::Path<E, #ident>;
                fn path_at<E>(elements: ::std::vec::Vec<__dr::PathElement>) -> Self::Path<E> {
                    ::dynamo_repo::Path::from_elements(elements)
                }
            }
        };
    }
}

/// A generated path struct holding `__whole`: dereferences to it and converts
/// into it, so it stands wherever the path of the whole value does.
pub(super) fn whole_path_impls(ident: &syn::Ident, path_ident: &syn::Ident) -> TokenStream {
    quote! {
        impl<E> ::core::ops::Deref for #path_ident<E> {
            type Target = ::dynamo_repo::Path<E, #ident>;
            fn deref(&self) -> &Self::Target {
                &self.__whole
            }
        }

        impl<E> ::dynamo_repo::expr::IntoPath<E, #ident> for #path_ident<E> {
            fn into_path(self) -> ::dynamo_repo::Path<E, #ident> {
                self.__whole
            }
        }

        impl<E> ::dynamo_repo::expr::IntoPath<E, #ident> for &#path_ident<E> {
            fn into_path(self) -> ::dynamo_repo::Path<E, #ident> {
                self.__whole.clone()
            }
        }
    }
}
