//! `#[dynamo(schema_version = N)]` in the generated `Entity` impl: the
//! schema's version, the upgrades `from_item` runs first, and the version
//! `to_item` writes.

use crate::ast::Container;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

pub(super) struct Evolution {
    /// The `schema_version` of `TableSchema`.
    pub schema: TokenStream,
    /// Rebinds `item` to the upgraded item, in `from_item`.
    pub read: TokenStream,
    /// Writes the current version into `item`, in `to_item`.
    pub write: TokenStream,
    /// The version attribute, which `#[dynamo(extra)]` never holds.
    pub attribute: Option<String>,
}

pub(super) fn evolution(cont: &Container) -> Evolution {
    let attr = &cont.attrs.schema_version;
    let Some((current, _)) = attr.current else {
        return Evolution {
            schema: quote!(::core::option::Option::None),
            read: quote!(),
            write: quote!(),
            attribute: None,
        };
    };
    let name = attr.attribute_name();
    let oldest = attr.oldest_version();
    // Each function is checked against the signature at its own name.
    let steps = attr.chain().into_iter().map(|path| {
        quote_spanned!(path.span()=> {
            let step: __dr::Upgrade = #path;
            step
        })
    });
    Evolution {
        schema: quote!(::core::option::Option::Some(__dr::SchemaVersion {
            attribute: #name,
            current: #current,
            oldest: #oldest,
        })),
        read: quote!(let mut item = __dr::upgrade_item::<Self>(item, &[#(#steps),*])?;),
        write: quote!(__dr::stamp_schema_version(&mut item, &<Self as __dr::Entity>::SCHEMA);),
        attribute: Some(name),
    }
}
