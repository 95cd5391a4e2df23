//! Derive macros for [dynamo-repo](https://docs.rs/dynamo-repo). Use them
//! through `dynamo_repo::{Entity, Attribute}`; this crate is re-exported there.

#![forbid(unsafe_code)]

mod ast;
mod attr;
mod case;
mod check;
mod check_enum;
mod check_index;
mod check_unique;
mod ctxt;
mod expand;
mod index_keys;
mod schema_version;
mod template;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// `#[derive(Entity)]`: a struct stored as one item of a DynamoDB table.
///
#[doc = include_str!("../REFERENCE.md")]
#[proc_macro_derive(Entity, attributes(dynamo))]
pub fn derive_entity(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::entity(&input).into()
}

/// `#[derive(Attribute)]`: a struct stored as a map, an enum of unit
/// variants stored as a string, or an enum with data stored as a map with a
/// tag attribute. Its options are in the `#[dynamo(...)]` reference on
/// `#[derive(Entity)]`.
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

#[cfg(test)]
mod reference {
    /// The option names `attr/mod.rs` parses: every `const NAME: &str = "...";`.
    fn parsed_options() -> Vec<&'static str> {
        include_str!("attr/mod.rs")
            .lines()
            .filter_map(|line| {
                let line = line
                    .trim_start()
                    .strip_prefix("pub ")
                    .unwrap_or(line.trim_start());
                let rest = line.strip_prefix("const ")?;
                let (_, value) = rest.split_once(": &str = \"")?;
                value.strip_suffix("\";")
            })
            .collect()
    }

    /// The option names the reference's closing list gives.
    fn documented_options() -> Vec<&'static str> {
        let text = include_str!("../REFERENCE.md");
        let list = text
            .split("The option names the parser knows, for the drift check:")
            .nth(1)
            .expect("the reference ends with its list of option names");
        list.split('`').skip(1).step_by(2).collect()
    }

    #[test]
    fn the_reference_names_every_option_the_parser_knows_and_no_other() {
        let parsed = parsed_options();
        let documented = documented_options();
        assert!(parsed.len() > 20, "found {parsed:?}");
        for name in &parsed {
            assert!(
                documented.contains(name),
                "`{name}` is parsed but not in REFERENCE.md"
            );
        }
        for name in &documented {
            assert!(
                parsed.contains(name),
                "`{name}` is in REFERENCE.md but not parsed"
            );
        }
        // And each one is explained in a table or the text, not only listed.
        let body = include_str!("../REFERENCE.md")
            .split("The option names the parser knows")
            .next()
            .unwrap_or_default();
        for name in parsed.iter().filter(|n| !matches!(**n, "dynamo" | "gsiN")) {
            assert!(
                body.contains(&format!("`{name}")),
                "`{name}` is not explained in REFERENCE.md"
            );
        }
    }
}
