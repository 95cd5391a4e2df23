//! A small model of the input: the container and its fields or variants,
//! with their parsed options kept beside the original `syn` nodes.

use crate::attr;
use crate::case::RenameRule;
use crate::ctxt::Ctxt;
use crate::template::Template;
use syn::{Data as SynData, DeriveInput, Fields, Ident, Type};

/// Which derive is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Derive {
    Entity,
    Attribute,
    Projection,
    Collection,
}

pub struct Container<'a> {
    pub ident: &'a Ident,
    pub attrs: attr::Container,
    /// The parsed key templates, when the entity declares `pk = "..."`.
    pub keys: Option<TemplateKeys>,
    /// The parsed `gsiN(...)` templates, in declaration order.
    pub template_indexes: Vec<TemplateIndex>,
    pub data: Data<'a>,
    pub original: &'a DeriveInput,
}

/// The key templates of a single-table entity and where they are stored.
pub struct TemplateKeys {
    pub pk: Template,
    pub sk: Option<Template>,
    pub pk_attribute: String,
    pub sk_attribute: String,
}

/// One `gsiN(...)` index with its parsed templates.
pub struct TemplateIndex {
    /// Position in `attrs.template_indexes`.
    pub position: usize,
    pub name: syn::LitStr,
    pub pk: Template,
    pub sk: Option<Template>,
    pub pk_attribute: String,
    pub sk_attribute: String,
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
    /// The named fields of a struct variant (empty otherwise).
    pub fields: Vec<Field<'a>>,
    /// Where a `rename_all` on the variant itself was written, if one was.
    pub rename_all_span: Option<proc_macro2::Span>,
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
                            Derive::Collection => "#[derive(Collection)] needs an enum with one variant per entity type: `enum OrgItem { User(User), Project(Project) }`",
                            Derive::Entity => "#[derive(Entity)] needs a struct with named fields; tuple and unit structs have no attribute names",
                            Derive::Attribute => "#[derive(Attribute)] needs a struct with named fields, or an enum",
                            Derive::Projection => "#[derive(Projection)] needs a struct with named fields",
                        },
                    );
                    return None;
                }
            },
            SynData::Enum(e) => {
                if derive != Derive::Attribute && derive != Derive::Collection {
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
                                fields: variant_fields(
                                    cx,
                                    v,
                                    variant_attrs.rename_all.get().copied(),
                                ),
                                rename_all_span: variant_attrs.rename_all.span(),
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
        let keys = attrs.pk.get().map(|pk| TemplateKeys {
            pk: Template::parse(cx, pk).unwrap_or_else(|| placeholder_template(pk)),
            sk: attrs
                .sk
                .get()
                .map(|sk| Template::parse(cx, sk).unwrap_or_else(|| placeholder_template(sk))),
            pk_attribute: attrs
                .pk_attribute
                .get()
                .map_or_else(|| "PK".to_owned(), |l| l.value()),
            sk_attribute: attrs
                .sk_attribute
                .get()
                .map_or_else(|| "SK".to_owned(), |l| l.value()),
        });
        let template_indexes = attrs
            .template_indexes
            .iter()
            .enumerate()
            .filter_map(|(position, index)| {
                let pk = Template::parse(cx, index.pk.as_ref()?)?;
                let sk = match &index.sk {
                    Some(sk) => Some(Template::parse(cx, sk)?),
                    None => None,
                };
                let n = index.number;
                Some(TemplateIndex {
                    position,
                    name: index.name.clone().unwrap_or_else(|| {
                        syn::LitStr::new(&format!("gsi{n}"), index.keyword.span())
                    }),
                    pk,
                    sk,
                    pk_attribute: index
                        .pk_attribute
                        .as_ref()
                        .map_or_else(|| format!("GSI{n}PK"), |l| l.value()),
                    sk_attribute: index
                        .sk_attribute
                        .as_ref()
                        .map_or_else(|| format!("GSI{n}SK"), |l| l.value()),
                })
            })
            .collect();
        Some(Container {
            ident: &input.ident,
            attrs,
            keys,
            template_indexes,
            data,
            original: input,
        })
    }
}

/// Stands in for a template that failed to parse (its errors are recorded),
/// so checks of the rest can still run.
fn placeholder_template(lit: &syn::LitStr) -> Template {
    Template {
        lit: lit.clone(),
        segments: vec![crate::template::Segment::Literal(lit.value())],
        formats: vec![crate::template::Format::Plain],
        ok: false,
    }
}

impl Field<'_> {
    /// Whether the field is stored at all (as an attribute or in a key).
    pub fn stored(&self) -> bool {
        !self.attrs.skip.is_set()
    }

    /// Whether the field is stored as an attribute of its own.
    pub fn own_attribute(&self) -> bool {
        self.stored() && !self.attrs.key_only.is_set() && !self.is_extra()
    }

    /// Whether the field is `#[dynamo(extra)]`: the attributes the entity
    /// does not declare.
    pub fn is_extra(&self) -> bool {
        self.attrs.extra.is_set()
    }

    /// The `T` of a field written `Option<T>`: such a field can be a
    /// placeholder of an index key template, making the index sparse.
    pub fn option_inner(&self) -> Option<&Type> {
        option_inner(self.ty)
    }
}

fn is_string(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "String" && s.arguments.is_empty()))
}

/// The `T` of `Option<T>` (also `std::option::Option<T>`), by its spelling.
pub fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) if args.args.len() == 1 => match &args.args[0] {
            syn::GenericArgument::Type(inner) => Some(inner),
            _ => None,
        },
        _ => None,
    }
}

impl Field<'_> {
    /// Whether the value a key parameter takes (the type without its
    /// `Option`) is a `String`.
    pub fn key_is_string(&self) -> bool {
        is_string(self.option_inner().unwrap_or(self.ty))
    }
}

/// The named fields of a struct variant, named as stored (`rename`, then the
/// variant's own `rename_all`).
fn variant_fields<'a>(
    cx: &Ctxt,
    v: &'a syn::Variant,
    rename_all: Option<RenameRule>,
) -> Vec<Field<'a>> {
    let Fields::Named(named) = &v.fields else {
        return Vec::new();
    };
    named
        .named
        .iter()
        .map(|f| {
            let attrs = attr::Field::from_ast(cx, &f.attrs);
            let ident = f.ident.as_ref().expect("named field");
            let raw = ident.to_string();
            let bare = raw.strip_prefix("r#").unwrap_or(&raw);
            let name = match (attrs.rename.get(), rename_all) {
                (Some(lit), _) => lit.value(),
                (None, Some(rule)) => rule.apply_to_field(bare),
                (None, None) => bare.to_owned(),
            };
            Field {
                ident,
                ty: &f.ty,
                attrs,
                name,
                original: f,
            }
        })
        .collect()
}
