//! Index schemas and the typed index handles of an entity.

use super::keys::*;
use crate::ast::{Container, Field};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The index schemas, the `XIndexes` struct (with the module of index name
/// markers its keys-only and include handles name) and the `indexes()` function.
pub(super) fn expand_indexes(
    cont: &Container,
    fields: &[Field],
    (table_pk_attr, table_pk_ty): (&TokenStream, &TokenStream),
) -> (Vec<TokenStream>, TokenStream, TokenStream) {
    use crate::attr::{IndexKind, ProjectionAttr};
    let ident = cont.ident;
    let find = |name: &syn::Ident| fields.iter().find(|f| f.ident == name);
    let mut schemas = Vec::new();
    let mut decls = Vec::new();
    let mut inits = Vec::new();
    // One marker type per keys-only or include index, `User_by_email`, so a
    // compile error about reading it as whole items names the index (rustc
    // prints a type unique in the crate graph without its path).
    let vis = &cont.original.vis;
    let mut markers = Vec::new();
    let mut marker_for = |method: &syn::Ident, projection: &ProjectionAttr| -> TokenStream {
        let wrapper = match projection {
            ProjectionAttr::All => return quote!(::dynamo_repo::AllAttributes),
            ProjectionAttr::KeysOnly => quote!(::dynamo_repo::KeysOnly),
            ProjectionAttr::Include(_) => quote!(::dynamo_repo::Include),
        };
        let marker = format_ident!("{}_{}", ident, method.to_string().trim_start_matches("r#"));
        let doc = format!("Names the index `{method}` of [`{ident}`] in compile errors.");
        markers.push(quote! {
            #[doc = #doc]
            #[doc(hidden)]
            #[allow(non_camel_case_types, dead_code)]
            #vis enum #marker {}
        });
        quote!(#wrapper<#marker>)
    };
    for (i, index) in cont.attrs.indexes.iter().enumerate() {
        let (Some(name), Some(sort_or_pk)) = (
            &index.name,
            index.partition_key.as_ref().or(index.sort_key.as_ref()),
        ) else {
            continue;
        };
        let _ = sort_or_pk;
        let (pk_attr, pk_ty) = match index.kind {
            IndexKind::Global => {
                let Some(f) = index.partition_key.as_ref().and_then(&find) else {
                    continue;
                };
                let ty = f.ty;
                (key_attribute(f), quote!(#ty))
            }
            IndexKind::Local => (table_pk_attr.clone(), table_pk_ty.clone()),
        };
        let index_sk = index.sort_key.as_ref().and_then(&find);
        let sk_attr = match index_sk {
            Some(f) => {
                let a = key_attribute(f);
                quote!(::core::option::Option::Some(#a))
            }
            None => quote!(::core::option::Option::None),
        };
        let kind = match index.kind {
            IndexKind::Global => quote!(__dr::IndexKind::Global),
            IndexKind::Local => quote!(__dr::IndexKind::Local),
        };
        let projection = match &index.projection {
            ProjectionAttr::All => quote!(__dr::IndexProjection::All),
            ProjectionAttr::KeysOnly => quote!(__dr::IndexProjection::KeysOnly),
            ProjectionAttr::Include(included) => {
                let names = included.iter().filter_map(&find).map(|f| &f.name);
                quote!(__dr::IndexProjection::Include(&[#(#names),*]))
            }
        };
        schemas.push(quote!(__dr::IndexSchema {
            name: #name,
            kind: #kind,
            partition_key: #pk_attr,
            sort_key: #sk_attr,
            projection: #projection,
        }));
        let method = index_method_name(&name.value(), name.span());
        let sk_ty = match index_sk {
            Some(f) => {
                let ty = f.ty;
                quote!(#ty)
            }
            None => quote!(::dynamo_repo::NoSortKey),
        };
        let doc = format!("The index `{}`.", name.value());
        let proj = marker_for(&method, &index.projection);
        decls.push(
            quote!(#[doc = #doc] pub #method: ::dynamo_repo::Index<#ident, #pk_ty, #sk_ty, #proj>,),
        );
        inits.push(
            quote!(#method: __dr::Index::new(&<#ident as __dr::Entity>::SCHEMA.indexes[#i]),),
        );
    }
    let field_indexes = cont.attrs.indexes.len();
    for (i, index) in cont.template_indexes.iter().enumerate() {
        let i = field_indexes + i;
        let name = &index.name;
        let string_key = |attr: &str| quote!(__dr::KeyAttribute { name: #attr, field: "", key_type: __dr::KeyType::String });
        let pk_attr = string_key(&index.pk_attribute);
        let (sk_attr, sk_ty) = match &index.sk {
            Some(_) => {
                let a = string_key(&index.sk_attribute);
                (
                    quote!(::core::option::Option::Some(#a)),
                    quote!(::std::string::String),
                )
            }
            None => (
                quote!(::core::option::Option::None),
                quote!(::dynamo_repo::NoSortKey),
            ),
        };
        let declared = &cont.attrs.template_indexes[index.position].projection;
        let projection = match declared {
            ProjectionAttr::KeysOnly => quote!(__dr::IndexProjection::KeysOnly),
            _ => quote!(__dr::IndexProjection::All),
        };
        schemas.push(quote!(__dr::IndexSchema {
            name: #name,
            kind: __dr::IndexKind::Global,
            partition_key: #pk_attr,
            sort_key: #sk_attr,
            projection: #projection,
        }));
        let method = index_method_name(&name.value(), name.span());
        let doc = format!("The index `{}`.", name.value());
        let proj = match declared {
            ProjectionAttr::KeysOnly => marker_for(&method, declared),
            _ => marker_for(&method, &ProjectionAttr::All),
        };
        decls.push(quote!(#[doc = #doc] pub #method: ::dynamo_repo::Index<#ident, ::std::string::String, #sk_ty, #proj>,));
        inits.push(
            quote!(#method: __dr::Index::new(&<#ident as __dr::Entity>::SCHEMA.indexes[#i]),),
        );
    }
    let struct_ident = format_ident!("{}Indexes", ident);
    let doc = format!("The secondary indexes of [`{ident}`], from `{ident}::indexes()`.");
    let index_struct = quote! {
        #(#markers)*

        #[doc = #doc]
        #[allow(dead_code)]
        #[derive(Clone, Copy, Debug)]
        #vis struct #struct_ident { #(#decls)* }
    };
    let index_fn = quote! {
        /// Typed handles on this entity's secondary indexes, for queries.
        pub fn indexes() -> #struct_ident {
            #struct_ident { #(#inits)* }
        }
    };
    (schemas, index_struct, index_fn)
}

/// `"by-email"` → `by_email`: a Rust name for an index.
pub(super) fn index_method_name(name: &str, span: proc_macro2::Span) -> syn::Ident {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "index_");
    }
    syn::parse_str::<syn::Ident>(&out)
        .unwrap_or_else(|_| syn::Ident::new(&format!("r#{out}"), span))
}
