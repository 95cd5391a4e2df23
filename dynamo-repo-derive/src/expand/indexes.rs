//! Index schemas and the typed index handles of an entity.

use super::fields::read_value;
use super::keys::*;
use crate::ast::{Container, Field, TemplateIndex};
use crate::template::Template;
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
        let more_pk: Vec<&Field> = index.more_partition_keys.iter().filter_map(&find).collect();
        let more_sk: Vec<&Field> = index.more_sort_keys.iter().filter_map(&find).collect();
        if more_pk.len() != index.more_partition_keys.len()
            || more_sk.len() != index.more_sort_keys.len()
        {
            continue;
        }
        let (pk_attr, pk_ty) = match index.kind {
            IndexKind::Global => {
                let Some(f) = index.partition_key.as_ref().and_then(&find) else {
                    continue;
                };
                (index_key_attribute(f), key_tuple_type(f, &more_pk))
            }
            IndexKind::Local => (table_pk_attr.clone(), table_pk_ty.clone()),
        };
        let index_sk = index.sort_key.as_ref().and_then(&find);
        let sk_attr = match index_sk {
            Some(f) => {
                let a = index_key_attribute(f);
                quote!(::core::option::Option::Some(#a))
            }
            None => quote!(::core::option::Option::None),
        };
        let more_pk_attrs = more_pk.iter().map(|f| index_key_attribute(f));
        let more_sk_attrs = more_sk.iter().map(|f| index_key_attribute(f));
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
            more_partition_keys: &[#(#more_pk_attrs),*],
            more_sort_keys: &[#(#more_sk_attrs),*],
        }));
        let method = index_method_name(&name.value(), name.span());
        let sk_ty = match index_sk {
            Some(f) => key_tuple_type(f, &more_sk),
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
            more_partition_keys: &[],
            more_sort_keys: &[],
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

/// The Rust type a query takes for one side of an index key: the field's
/// type without its `Option`, or for a multi-attribute key the tuple of
/// every field's.
fn key_tuple_type(first: &Field, more: &[&Field]) -> TokenStream {
    let ty = |f: &Field| {
        let ty = f.option_inner().unwrap_or(f.ty);
        quote!(#ty)
    };
    if more.is_empty() {
        return ty(first);
    }
    let all = std::iter::once(first).chain(more.iter().copied()).map(ty);
    quote!((#(#all),*))
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

/// The statements writing a template index's key attributes into `item`;
/// `value` gives the expression of a placeholder's field (a reference).
/// When a placeholder's field is an `Option`, the keys are written only
/// when every such field is `Some` (a sparse index).
pub(super) fn template_index_puts(
    index: &TemplateIndex,
    fields: &[Field],
    value: &dyn Fn(&syn::Ident) -> TokenStream,
) -> TokenStream {
    let templates: Vec<&Template> = std::iter::once(&index.pk)
        .chain(index.sk.as_ref())
        .collect();
    let mut names: Vec<&str> = Vec::new();
    for t in &templates {
        for name in t.fields() {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    let optional: Vec<&Field> = fields_named(fields, &names)
        .into_iter()
        .filter(|f| f.option_inner().is_some())
        .collect();
    let bound = |f: &Field| format_ident!("__present_{}", f.ident);
    let value_of = |ident: &syn::Ident| match optional.iter().find(|f| f.ident == ident) {
        Some(f) => {
            let b = bound(f);
            quote!(#b)
        }
        None => value(ident),
    };
    let mut puts = Vec::new();
    for (template, attribute) in std::iter::once((&index.pk, &index.pk_attribute))
        .chain(index.sk.as_ref().map(|sk| (sk, &index.sk_attribute)))
    {
        let key = render_segments(template, &template.segments, &value_of, fields);
        puts.push(quote!(__dr::put_key(&mut item, #attribute, #key);));
    }
    if optional.is_empty() {
        return quote!(#(#puts)*);
    }
    let patterns = optional.iter().map(|f| {
        let b = bound(f);
        quote!(::core::option::Option::Some(#b))
    });
    let values = optional.iter().map(|f| value(f.ident));
    quote! {
        if let (#(#patterns,)*) = (#(#values,)*) {
            #(#puts)*
        }
    }
}

/// The `TemplateIndexKeys` of a template index: its key attributes, the
/// fields an update may change that it is built from, and how to build it
/// from an update's values and the item's table key.
pub(super) fn template_index_keys(
    cont: &Container,
    index: &TemplateIndex,
    fields: &[Field],
) -> TokenStream {
    let name = &index.name;
    let mut attributes = vec![&index.pk_attribute];
    if index.sk.is_some() {
        attributes.push(&index.sk_attribute);
    }
    let mut names: Vec<&str> = index.pk.fields();
    for f in index.sk.iter().flat_map(|sk| sk.fields()) {
        if !names.contains(&f) {
            names.push(f);
        }
    }
    let in_table_template = |f: &Field| {
        let n = f.ident.to_string();
        cont.keys.as_ref().is_some_and(|k| {
            k.pk.fields().contains(&n.as_str())
                || k.sk
                    .as_ref()
                    .is_some_and(|sk| sk.fields().contains(&n.as_str()))
        })
    };
    let is_key_field = |f: &Field| f.attrs.partition_key.is_set() || f.attrs.sort_key.is_set();
    let placeholder_fields = fields_named(fields, &names);
    // The table's key fields are read from the item's key; updates cannot change them.
    let sources = placeholder_fields
        .iter()
        .filter(|f| !in_table_template(f) && !is_key_field(f))
        .map(|f| {
            let attribute = &f.name;
            let field = f.ident.to_string();
            quote!((#attribute, #field))
        });
    let reads = placeholder_fields.iter().map(|f| {
        let local = format_ident!("__field_{}", f.ident);
        let ty = f.ty;
        let value = match (&cont.keys, in_table_template(f)) {
            (Some(keys), true) => key_only_read(f, keys),
            _ => read_value(f),
        };
        quote!(let #local: #ty = #value;)
    });
    let by_local = |ident: &syn::Ident| {
        let local = format_ident!("__field_{}", ident);
        quote!(&#local)
    };
    let puts = template_index_puts(index, fields, &by_local);
    quote!(__dr::TemplateIndexKeys {
        index: #name,
        attributes: &[#(#attributes),*],
        sources: &[#(#sources),*],
        render: {
            fn render(
                values: &__dr::Item,
            ) -> ::core::result::Result<__dr::Item, __dr::DecodeError> {
                let mut values = values.clone();
                let item = &mut values;
                #(#reads)*
                let mut item: __dr::Item = __dr::HashMap::with_capacity(2);
                #puts
                ::core::result::Result::Ok(item)
            }
            render
        },
    })
}
