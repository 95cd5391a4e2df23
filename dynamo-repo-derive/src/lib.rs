//! Derive macros for [dynamo-repo](https://docs.rs/dynamo-repo). Use them
//! through `dynamo_repo::{Entity, Attribute}`; this crate is re-exported there.

#![forbid(unsafe_code)]

mod ast;
mod attr;
mod case;
mod check;
mod ctxt;
mod expand;
mod template;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// `#[derive(Entity)]`: a struct stored as one item of a DynamoDB table.
#[proc_macro_derive(Entity, attributes(dynamo))]
pub fn derive_entity(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::entity(&input).into()
}

/// `#[derive(Attribute)]`: a struct stored as a map, or an enum of unit
/// variants stored as a string.
#[proc_macro_derive(Attribute, attributes(dynamo))]
pub fn derive_attribute(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::attribute(&input).into()
}

/// `#[derive(Projection)]`: a struct holding some fields of an entity, for
/// projected queries and scans.
#[proc_macro_derive(Projection, attributes(dynamo))]
pub fn derive_projection(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::projection(&input).into()
}

/// `#[derive(Collection)]`: an enum of single-table entities read from one
/// query, each item routed to its variant by its entity-type attribute.
#[proc_macro_derive(Collection, attributes(dynamo))]
pub fn derive_collection(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::collection(&input).into()
}
