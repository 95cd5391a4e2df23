//! Code generation. Generated code names the runtime by absolute path and
//! calls only `dynamo_repo::__private`, inside `const _: () = { ... };`.

mod attribute;
mod collection;
mod entity;
mod enum_data;
mod enum_path;
mod evolution;
mod fields;
mod indexes;
mod keys;
mod projection;
mod shape;
mod unique;

use crate::ast::{Container, Data, Derive};
use crate::check;
use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;
use syn::DeriveInput;

use attribute::{expand_enum, expand_map_struct};
use collection::expand_collection;
use entity::expand_entity;
pub use keys::DEFAULT_TYPE_ATTRIBUTE;
use projection::expand_projection;

pub fn entity(input: &DeriveInput) -> TokenStream {
    run(input, Derive::Entity)
}

pub fn attribute(input: &DeriveInput) -> TokenStream {
    run(input, Derive::Attribute)
}

pub fn projection(input: &DeriveInput) -> TokenStream {
    run(input, Derive::Projection)
}

pub fn collection(input: &DeriveInput) -> TokenStream {
    run(input, Derive::Collection)
}

fn run(input: &DeriveInput, derive: Derive) -> TokenStream {
    let cx = Ctxt::default();
    let cont = Container::from_ast(&cx, input, derive);
    if let Some(cont) = &cont {
        check::check(&cx, cont, derive);
    }
    if let Err(err) = cx.check() {
        return err.to_compile_error();
    }
    let cont = cont.expect("no errors means a model");
    match (&cont.data, derive) {
        (Data::Struct(fields), Derive::Entity) => expand_entity(&cont, fields),
        (Data::Struct(fields), Derive::Attribute) => expand_map_struct(&cont, fields),
        (Data::Struct(fields), Derive::Projection) => expand_projection(&cont, fields),
        (Data::Enum(variants), Derive::Collection) => expand_collection(&cont, variants),
        (Data::Enum(variants), _) if crate::check_enum::is_data_enum(&cont, variants) => {
            enum_data::expand_data_enum(&cont, variants)
        }
        (Data::Enum(variants), _) => expand_enum(&cont, variants),
        (Data::Struct(_), Derive::Collection) => unreachable!("refused by the model"),
    }
}
