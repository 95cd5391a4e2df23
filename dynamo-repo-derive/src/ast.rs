//! A small model of the input: the container and its fields or variants,
//! with their parsed options kept beside the original `syn` nodes.

use crate::attr;
use crate::ctxt::Ctxt;
use syn::{Data as SynData, DeriveInput, Fields, Ident, Type};

/// Which derive is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Derive {
    Entity,
    Attribute,
    Projection,
}

pub struct Container<'a> {
    pub ident: &'a Ident,
    pub attrs: attr::Container,
    pub data: Data<'a>,
    pub original: &'a DeriveInput,
}

pub enum Data<'a> {
    Struct(Vec<Field<'a>>),
    Enum(Vec<Variant<'a>>),
}

pub struct Field<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub attrs: attr::Field,
    /// The attribute name in DynamoDB, after `rename` / `rename_all`.
    pub name: String,
    pub original: &'a syn::Field,
}

pub struct Variant<'a> {
    pub ident: &'a Ident,
    /// The stored string, after `rename` / `rename_all`.
    pub name: String,
    pub original: &'a syn::Variant,
}

impl<'a> Container<'a> {
    /// Builds the model, or records why the input cannot be derived at all.
    pub fn from_ast(cx: &Ctxt, input: &'a DeriveInput, derive: Derive) -> Option<Self> {
        let attrs = attr::Container::from_ast(cx, &input.attrs);
        if !input.generics.params.is_empty() {
            cx.error_spanned_by(
                &input.generics,
                "dynamo-repo derives do not support generic types",
            );
        }
        let rename_all = attrs.rename_all.get().copied();
        let data = match &input.data {
            SynData::Struct(s) => match &s.fields {
                Fields::Named(named) => Data::Struct(
                    named
                        .named
                        .iter()
                        .map(|f| {
                            let field_attrs = attr::Field::from_ast(cx, &f.attrs);
                            let ident = f.ident.as_ref().expect("named field");
                            let raw = ident.to_string();
                            let raw = raw.strip_prefix("r#").unwrap_or(&raw).to_owned();
                            let name = match (field_attrs.rename.get(), rename_all) {
                                (Some(lit), _) => lit.value(),
                                (None, Some(rule)) => rule.apply_to_field(&raw),
                                (None, None) => raw,
                            };
                            Field {
                                ident,
                                ty: &f.ty,
                                attrs: field_attrs,
                                name,
                                original: f,
                            }
                        })
                        .collect(),
                ),
                Fields::Unnamed(_) | Fields::Unit => {
                    cx.error_spanned_by(
                        &input.ident,
                        match derive {
                            Derive::Entity => "#[derive(Entity)] needs a struct with named fields; tuple and unit structs have no attribute names",
                            Derive::Attribute => "#[derive(Attribute)] needs a struct with named fields or an enum of unit variants",
                            Derive::Projection => "#[derive(Projection)] needs a struct with named fields",
                        },
                    );
                    return None;
                }
            },
            SynData::Enum(e) => {
                if derive != Derive::Attribute {
                    cx.error_spanned_by(
                        &input.ident,
                        "#[derive(Entity)] needs a struct with named fields; for an enum stored as a string, use #[derive(Attribute)]",
                    );
                    return None;
                }
                Data::Enum(
                    e.variants
                        .iter()
                        .map(|v| {
                            let variant_attrs = attr::Variant::from_ast(cx, &v.attrs);
                            let name = match (variant_attrs.rename.get(), rename_all) {
                                (Some(lit), _) => lit.value(),
                                (None, Some(rule)) => rule.apply_to_variant(&v.ident.to_string()),
                                (None, None) => v.ident.to_string(),
                            };
                            Variant {
                                ident: &v.ident,
                                name,
                                original: v,
                            }
                        })
                        .collect(),
                )
            }
            SynData::Union(_) => {
                cx.error_spanned_by(&input.ident, "dynamo-repo derives do not support unions");
                return None;
            }
        };
        Some(Container {
            ident: &input.ident,
            attrs,
            data,
            original: input,
        })
    }
}

impl Field<'_> {
    /// Whether the field is stored at all.
    pub fn stored(&self) -> bool {
        !self.attrs.skip.is_set()
    }

    /// Whether the field's type is `String` (its key parameter takes `impl Into<String>`).
    pub fn is_string(&self) -> bool {
        matches!(self.ty, Type::Path(p) if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "String" && s.arguments.is_empty()))
    }
}
