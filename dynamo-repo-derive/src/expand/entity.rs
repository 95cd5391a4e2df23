//! `#[derive(Entity)]`: the `Entity` impl, its key type, paths and helpers.

use super::fields::*;
use super::indexes::*;
use super::keys::*;
use super::{evolution::evolution, shape::shape, unique::unique};
use crate::ast::{Container, Field};
use crate::template::Template;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

pub(super) fn expand_entity(cont: &Container, fields: &[Field]) -> TokenStream {
    let ident = cont.ident;
    let entity_name = ident.to_string();
    let table = cont.attrs.table.get().expect("checked");
    let key_parts = match &cont.keys {
        Some(keys) => template_key_parts(keys, fields),
        None => field_key_parts(fields),
    };
    let KeyParts {
        pk_attr,
        sk_attr,
        pk_ty,
        sk_ty,
        params: key_params,
        puts: key_puts,
        self_puts: self_key_puts,
        count: key_count,
        doc_fields,
    } = key_parts;
    let ttl = match fields.iter().find(|f| f.attrs.ttl.is_set()) {
        Some(f) => {
            let name = &f.name;
            quote!(::core::option::Option::Some(#name))
        }
        None => quote!(::core::option::Option::None),
    };
    let managed = |pick: fn(&Field) -> bool, assert: TokenStream| match fields
        .iter()
        .find(|f| pick(f))
    {
        Some(f) => {
            let name = &f.name;
            let ty = f.ty;
            let check = quote_spanned!(ty.span()=> #assert::<#ty>);
            quote!(::core::option::Option::Some(__dr::ManagedAttribute { name: #name, now: #check }))
        }
        None => quote!(::core::option::Option::None),
    };
    let version = managed(|f| f.attrs.version.is_set(), quote!(__dr::version_one));
    let created_at = managed(|f| f.attrs.created_at.is_set(), quote!(__dr::timestamp_now));
    let updated_at = managed(|f| f.attrs.updated_at.is_set(), quote!(__dr::timestamp_now));
    let attribute_list = fields.iter().filter(|f| f.own_attribute()).map(|f| {
        let name = &f.name;
        let field = f.ident.to_string();
        quote!((#name, #field))
    });
    let ttl_asserts = fields.iter().filter(|f| f.attrs.ttl.is_set()).map(|f| {
        let ty = f.ty;
        quote_spanned!(ty.span()=> const _: () = __dr::assert_epoch_seconds::<#ty>();)
    });

    // Single-table parts: the entity type, template-built keys and helpers.
    let typed = cont.keys.is_some() || cont.attrs.entity_type.is_set();
    let entity_type = cont
        .attrs
        .entity_type
        .get()
        .map_or_else(|| entity_name.clone(), |l| l.value());
    let type_attribute = cont
        .attrs
        .type_attribute
        .get()
        .map_or_else(|| DEFAULT_TYPE_ATTRIBUTE.to_owned(), |l| l.value());
    let by_self = |ident: &syn::Ident| quote!(&self.#ident);
    let mut templates: Vec<&Template> = Vec::new();
    let mut template_writes = Vec::new();
    let mut template_helpers = Vec::new();
    let mut index_keys = Vec::new();
    if let Some(keys) = &cont.keys {
        templates.push(&keys.pk);
        template_writes.extend(key_puts_from_self(keys, fields));
        template_helpers.push(template_fns(&keys.pk, "pk", "partition key", false, fields));
        if let Some(sk) = &keys.sk {
            templates.push(sk);
            template_helpers.push(template_fns(sk, "sk", "sort key", true, fields));
        }
    }
    for index in &cont.template_indexes {
        let method = index_method_name(&index.name.value(), index.name.span()).to_string();
        let method = method.strip_prefix("r#").unwrap_or(&method).to_owned();
        template_writes.push(template_index_puts(index, fields, &by_self));
        index_keys.push(template_index_keys(cont, index, fields));
        template_helpers.push(template_fns(
            &index.pk,
            &format!("{method}_pk"),
            &format!("partition key of index `{}`", index.name.value()),
            false,
            fields,
        ));
        if let Some(sk) = &index.sk {
            template_helpers.push(template_fns(
                sk,
                &format!("{method}_sk"),
                &format!("sort key of index `{}`", index.name.value()),
                true,
                fields,
            ));
        }
    }
    let mut key_sources: Vec<&str> = Vec::new();
    for t in &templates {
        for name in t.fields() {
            if let Some(f) = fields.iter().find(|f| f.ident == name) {
                if !key_sources.contains(&f.name.as_str()) {
                    key_sources.push(&f.name);
                }
            }
        }
    }
    let (single_table, type_write, type_check, typed_impl) = if typed {
        (
            quote!(::core::option::Option::Some(__dr::SingleTableSchema {
                type_attribute: #type_attribute,
                entity_type: #entity_type,
                key_sources: &[#(#key_sources),*],
                index_keys: &[#(#index_keys),*],
            })),
            quote!(__dr::put_key(&mut item, #type_attribute, ::std::string::String::from(#entity_type));),
            quote!(__dr::check_entity_type(&item, #type_attribute, #entity_type)
                .map_err(|e| __dr::Error::Decode(e.in_entity(#entity_name)))?;),
            quote! {
                #[automatically_derived]
                impl __dr::TypedEntity for #ident {
                    const ENTITY_TYPE: &'static str = #entity_type;
                    const TYPE_ATTRIBUTE: &'static str = #type_attribute;
                }
            },
        )
    } else {
        (
            quote!(::core::option::Option::None),
            quote!(),
            quote!(),
            quote!(),
        )
    };

    let evolution = evolution(cont);
    let shape = shape(cont, fields);
    let (unique_const, unique_asserts) = unique(ident, fields);

    // `#[dynamo(extra)]`: the attributes the entity writes itself are never
    // taken into it nor written back from it.
    let (extra_decls, extra_write) = match fields.iter().find(|f| f.is_extra()) {
        Some(f) => {
            let ident = f.ident;
            let ty = f.ty;
            let mut reserved: Vec<&str> = fields
                .iter()
                .filter(|f| f.own_attribute())
                .map(|f| f.name.as_str())
                .collect();
            if let Some(keys) = &cont.keys {
                reserved.push(&keys.pk_attribute);
                if keys.sk.is_some() {
                    reserved.push(&keys.sk_attribute);
                }
            }
            for index in &cont.template_indexes {
                reserved.push(&index.pk_attribute);
                if index.sk.is_some() {
                    reserved.push(&index.sk_attribute);
                }
            }
            if typed {
                reserved.push(&type_attribute);
            }
            reserved.extend(evolution.attribute.as_deref());
            let put = quote_spanned!(ty.span()=> __dr::put_extra::<#ty>);
            let assert = quote_spanned!(ty.span()=> const _: () = __dr::assert_extra::<#ty>(););
            (
                quote! {
                    #assert
                    /// What `#[dynamo(extra)]` never holds: the attributes the entity writes itself.
                    const EXTRA_RESERVED: &[&str] = &[#(#reserved),*];
                },
                quote!(#put(&mut item, &self.#ident, EXTRA_RESERVED);),
            )
        }
        None => (quote!(), quote!()),
    };
    let (evolution_schema, evolution_read, evolution_write) =
        (&evolution.schema, &evolution.read, &evolution.write);
    let write = write_fields(fields);
    let read = read_fields(fields, cont.keys.as_ref());

    let key_doc = format!(
        "The primary key of a [`{entity_name}`]: {}.",
        doc_fields
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    let vis = &cont.original.vis;
    let fields_ident = format_ident!("{}Fields", ident);
    let fields_doc = format!(
        "Typed paths to the attributes of [`{entity_name}`], from `{entity_name}::fields()`."
    );
    let stream = match cont.attrs.stream.get() {
        Some(view) => {
            let variant = match view {
                crate::attr::StreamView::KeysOnly => quote!(KeysOnly),
                crate::attr::StreamView::NewImage => quote!(NewImage),
                crate::attr::StreamView::OldImage => quote!(OldImage),
                crate::attr::StreamView::NewAndOldImages => quote!(NewAndOldImages),
            };
            quote!(::core::option::Option::Some(__dr::StreamView::#variant))
        }
        None => quote!(::core::option::Option::None),
    };
    let stored: Vec<&Field> = fields.iter().filter(|f| f.own_attribute()).collect();
    let path_decls = stored.iter().map(|f| path_decl(f, &quote!(#ident)));
    let path_inits = stored
        .iter()
        .map(|f| path_init(f, &quote!(#ident), &quote!(&[])));
    let (index_schemas, index_struct, index_fn) = expand_indexes(cont, fields, (&pk_attr, &pk_ty));

    quote! {
        #[doc = #fields_doc]
        #[allow(dead_code)]
        #vis struct #fields_ident {
            #(#path_decls)*
        }

        const _: () = {
            use ::dynamo_repo::__private as __dr;
            #(#ttl_asserts)*
            #unique_asserts
            #extra_decls

            #[automatically_derived]
            impl __dr::Entity for #ident {
                const SCHEMA: __dr::TableSchema = __dr::TableSchema {
                    entity: #entity_name,
                    table: #table,
                    partition_key: #pk_attr,
                    sort_key: #sk_attr,
                    ttl_attribute: #ttl,
                    stream: #stream,
                    attributes: &[#(#attribute_list),*],
                    indexes: &[#(#index_schemas),*],
                    version: #version,
                    created_at: #created_at,
                    updated_at: #updated_at,
                    single_table: #single_table,
                    schema_version: #evolution_schema,
                    shape: #shape,
                };
                type PartitionKey = #pk_ty;
                type SortKey = #sk_ty;
                #unique_const

                fn to_item(&self) -> __dr::Item {
                    #write
                    #(#template_writes)*
                    #type_write
                    #evolution_write
                    #extra_write
                    item
                }

                fn from_item(mut item: __dr::Item) -> ::core::result::Result<Self, __dr::Error> {
                    #type_check
                    #evolution_read
                    let read = |item: &mut __dr::Item| -> ::core::result::Result<Self, __dr::DecodeError> {
                        // Bounds the recursion of every decoder below.
                        __dr::check_item_depth(item)?;
                        ::core::result::Result::Ok(#read)
                    };
                    read(&mut item).map_err(|e| {
                        __dr::Error::Decode(__dr::with_item_key(
                            e.in_entity(#entity_name),
                            &item,
                            &<Self as ::dynamo_repo::Entity>::SCHEMA,
                        ))
                    })
                }

                fn primary_key(&self) -> __dr::Key<Self> {
                    let mut item: __dr::Item = __dr::HashMap::with_capacity(#key_count);
                    #(#self_key_puts)*
                    __dr::Key::from_item(item)
                }
            }

            #typed_impl

            #[automatically_derived]
            #[allow(dead_code)]
            impl #ident {
                #[doc = #key_doc]
                pub fn key(#(#key_params),*) -> __dr::Key<Self> {
                    let mut item: __dr::Item = __dr::HashMap::with_capacity(#key_count);
                    #(#key_puts)*
                    __dr::Key::from_item(item)
                }

                /// Typed paths to this entity's attributes, for updates and conditions.
                pub fn fields() -> #fields_ident {
                    #fields_ident { #(#path_inits)* }
                }

                #index_fn

                #(#template_helpers)*
            }
        };

        #index_struct
    }
}
