//! `#[derive(Attribute)]` on an enum with data: stored as a map holding a tag
//! attribute (the variant's name) and the variant's data, either beside the
//! tag (internally tagged, the default) or under a content attribute
//! (adjacently tagged, `#[dynamo(tag = "t", content = "c")]`).

use super::fields::read_value;
use crate::ast::{Container, Field, Variant};
use crate::check_enum::DEFAULT_TAG;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

pub(super) fn expand_data_enum(cont: &Container, variants: &[Variant]) -> TokenStream {
    let ident = cont.ident;
    let tag = cont
        .attrs
        .tag
        .get()
        .map_or_else(|| DEFAULT_TAG.to_owned(), |l| l.value());
    let content = cont.attrs.content.get().map(|l| l.value());
    let enum_name = ident.to_string();
    let names: Vec<&String> = variants.iter().map(|v| &v.name).collect();
    let unit_arms = variants
        .iter()
        .filter(|v| matches!(v.original.fields, syn::Fields::Unit))
        .map(|v| {
            let vid = v.ident;
            let name = &v.name;
            quote!(#name => ::core::result::Result::Ok(#ident::#vid),)
        });
    let encode_arms = variants
        .iter()
        .map(|v| encode_arm(ident, v, content.as_deref()));
    let decode_arms = variants
        .iter()
        .map(|v| decode_arm(ident, v, content.as_deref()));
    let paths = super::enum_path::expand_enum_path(cont, variants, &tag, content.as_deref());
    quote! {
        const _: () = {
            use ::dynamo_repo::__private as __dr;
            const __TAG: &str = #tag;

            #[automatically_derived]
            impl __dr::ToAttribute for #ident {
                fn to_attribute(&self) -> ::core::option::Option<__dr::AttributeValue> {
                    __dr::encode_map(|| {
                        let mut __item: __dr::Item;
                        match self { #(#encode_arms)* }
                        __item
                    })
                }
            }

            #[automatically_derived]
            impl __dr::FromAttribute for #ident {
                fn from_attribute(value: __dr::AttributeValue) -> ::core::result::Result<Self, __dr::DecodeError> {
                    // A unit variant stored as a bare string still reads: the
                    // form of an enum before it had a variant with data.
                    if let __dr::AttributeValue::S(s) = &value {
                        return match s.as_str() {
                            #(#unit_arms)*
                            _ => ::core::result::Result::Err(__dr::DecodeError::wrong_type("M", &value)),
                        };
                    }
                    __dr::decode_map(value, |item| {
                        let tag = __dr::take_tag(item, #tag, #enum_name)?;
                        match tag.as_str() {
                            #(#decode_arms)*
                            _ => ::core::result::Result::Err(__dr::unknown_tag(tag, #tag, #enum_name, &[#(#names),*])),
                        }
                    })
                }
            }
        };

        #paths
    }
}

/// `Self::V { a, b } => { item = ...; }`: the map of one variant.
fn encode_arm(ident: &syn::Ident, v: &Variant, content: Option<&str>) -> TokenStream {
    let vid = v.ident;
    let name = &v.name;
    let tag_put = quote!(__item.insert(__TAG.to_owned(), __dr::AttributeValue::S(#name.to_owned()));
    );
    match &v.original.fields {
        syn::Fields::Unit => quote! {
            #ident::#vid => {
                __item = __dr::HashMap::with_capacity(1);
                #tag_put
            }
        },
        syn::Fields::Named(_) => {
            let stored: Vec<&Field> = v.fields.iter().filter(|f| f.stored()).collect();
            let binds = v.fields.iter().map(|f| {
                let fid = f.ident;
                if f.stored() {
                    quote!(#fid,)
                } else {
                    quote!(#fid: _,)
                }
            });
            let puts = stored.iter().map(|f| field_put(f, &quote!(__map)));
            let n = stored.len();
            match content {
                None => quote! {
                    #ident::#vid { #(#binds)* } => {
                        __item = __dr::HashMap::with_capacity(#n + 1);
                        let __map = &mut __item;
                        #(#puts)*
                        #tag_put
                    }
                },
                Some(content) => quote! {
                    #ident::#vid { #(#binds)* } => {
                        __item = __dr::HashMap::with_capacity(2);
                        let mut __content: __dr::Item = __dr::HashMap::with_capacity(#n);
                        let __map = &mut __content;
                        #(#puts)*
                        #tag_put
                        __item.insert(#content.to_owned(), __dr::AttributeValue::M(__content));
                    }
                },
            }
        }
        syn::Fields::Unnamed(u) => {
            // Only with adjacent tagging (checked).
            let content = content.unwrap_or_default();
            let binds: Vec<_> = (0..u.unnamed.len())
                .map(|i| format_ident!("f{i}"))
                .collect();
            if u.unnamed.len() == 1 {
                let ty = &u.unnamed[0].ty;
                let put = quote_spanned!(ty.span()=> __dr::put(&mut __item, #content, f0););
                quote! {
                    #ident::#vid(f0) => {
                        __item = __dr::HashMap::with_capacity(2);
                        #tag_put
                        #put
                    }
                }
            } else {
                let n = binds.len();
                quote! {
                    #ident::#vid(#(#binds),*) => {
                        __item = __dr::HashMap::with_capacity(2);
                        #tag_put
                        let mut __list = ::std::vec::Vec::with_capacity(#n);
                        #(__list.push(__dr::ToAttribute::to_attribute(#binds).unwrap_or(__dr::AttributeValue::Null(true)));)*
                        __item.insert(#content.to_owned(), __dr::AttributeValue::L(__list));
                    }
                }
            }
        }
    }
}

/// Writes one field of a struct variant (bound by reference) into `map`.
fn field_put(f: &Field, map: &TokenStream) -> TokenStream {
    let fid = f.ident;
    let name = &f.name;
    let a = &f.attrs;
    if let Some(with) = a.with.get() {
        quote!(__dr::put_encoded(#map, #name, #with::to_attribute(#fid));)
    } else if a.binary.is_set() {
        quote!(__dr::put_encoded(#map, #name, __dr::binary_to_attribute(#fid));)
    } else if a.serde.is_set() {
        quote!(__dr::put_encoded(#map, #name, __dr::serde_to_attribute(#fid));)
    } else {
        quote_spanned!(f.ty.span()=> __dr::put(#map, #name, #fid);)
    }
}

/// `"V" => Ok(Self::V { .. })`, reading the rest of `item` (the tag taken).
fn decode_arm(ident: &syn::Ident, v: &Variant, content: Option<&str>) -> TokenStream {
    let vid = v.ident;
    let name = &v.name;
    let variant = v.ident.to_string();
    let enum_name = ident.to_string();
    let body = match &v.original.fields {
        syn::Fields::Unit => quote!(::core::result::Result::Ok(#ident::#vid)),
        syn::Fields::Named(_) => {
            let reads = v.fields.iter().map(|f| {
                let fid = f.ident;
                let value = read_value(f);
                quote!(#fid: #value,)
            });
            match content {
                None => quote!(::core::result::Result::Ok(#ident::#vid { #(#reads)* })),
                Some(content) => quote! {
                    __dr::take_content(item, #content, |item| {
                        ::core::result::Result::Ok(#ident::#vid { #(#reads)* })
                    })
                },
            }
        }
        syn::Fields::Unnamed(u) => {
            let content = content.unwrap_or_default();
            if u.unnamed.len() == 1 {
                let ty = &u.unnamed[0].ty;
                let take = quote_spanned!(ty.span()=> __dr::take::<#ty>(item, #content)?);
                quote!(::core::result::Result::Ok(#ident::#vid(#take)))
            } else {
                let n = u.unnamed.len();
                let reads = u.unnamed.iter().map(|f| {
                    let ty = &f.ty;
                    quote_spanned!(ty.span()=> __dr::next_element::<#ty>(&mut elements)?)
                });
                quote! {{
                    let mut elements = __dr::take_tuple(item, #content, #n)?;
                    ::core::result::Result::Ok(#ident::#vid(#(#reads),*))
                }}
            }
        }
    };
    quote! {
        #name => (|| #body)().map_err(|e: __dr::DecodeError| e.in_variant(#enum_name, #variant)),
    }
}
