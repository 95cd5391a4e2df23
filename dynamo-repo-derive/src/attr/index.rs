//! The index options of a container: `gsi(...)` and `lsi(...)` with their
//! keys and projection, and the template-keyed `gsiN(...)`.

use super::*;

/// `gsi1(name = "gsi1", pk = "EMAIL#{email}", sk = "USER")` on the container.
pub struct TemplateIndexAttr {
    pub keyword: syn::Ident,
    /// The `1` of `gsi1`: default attribute names are `GSI1PK` / `GSI1SK`.
    pub number: u32,
    pub name: Option<LitStr>,
    pub pk: Option<LitStr>,
    pub sk: Option<LitStr>,
    pub pk_attribute: Option<LitStr>,
    pub sk_attribute: Option<LitStr>,
    pub projection: ProjectionAttr,
}

/// The number of a `gsiN` option, if `ident` is one.
pub(super) fn gsi_number(ident: &syn::Ident) -> Option<u32> {
    let text = ident.to_string();
    let digits = text.strip_prefix(GSI)?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

pub(super) fn parse_template_index(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    keyword: &syn::Ident,
    number: u32,
) -> syn::Result<TemplateIndexAttr> {
    let mut index = TemplateIndexAttr {
        keyword: keyword.clone(),
        number,
        name: None,
        pk: None,
        sk: None,
        pk_attribute: None,
        sk_attribute: None,
        projection: ProjectionAttr::All,
    };
    let mut projection_set = false;
    meta.parse_nested_meta(|inner| {
        let set = |slot: &mut Option<LitStr>, lit: LitStr| {
            if slot.is_some() {
                cx.error_spanned_by(&inner.path, "this index option is given twice");
            }
            *slot = Some(lit);
        };
        if inner.path.is_ident(NAME) {
            // gsi1(name = "gsi1", ...)
            set(&mut index.name, inner.value()?.parse()?);
        } else if inner.path.is_ident(PK) {
            // gsi1(pk = "EMAIL#{email}", ...)
            set(&mut index.pk, inner.value()?.parse()?);
        } else if inner.path.is_ident(SK) {
            // gsi1(sk = "USER", ...)
            set(&mut index.sk, inner.value()?.parse()?);
        } else if inner.path.is_ident(PK_ATTRIBUTE) {
            // gsi1(pk_attribute = "GSI1PK", ...)
            set(
                &mut index.pk_attribute,
                non_empty(cx, inner.value()?.parse()?),
            );
        } else if inner.path.is_ident(SK_ATTRIBUTE) {
            // gsi1(sk_attribute = "GSI1SK", ...)
            set(
                &mut index.sk_attribute,
                non_empty(cx, inner.value()?.parse()?),
            );
        } else if inner.path.is_ident(PROJECTION) {
            // gsi1(projection = "keys_only", ...) or "all"
            if projection_set {
                cx.error_spanned_by(&inner.path, "this index option is given twice");
            }
            projection_set = true;
            index.projection = parse_projection(cx, &inner)?;
        } else {
            unknown(
                cx,
                &inner,
                &[NAME, PK, SK, PK_ATTRIBUTE, SK_ATTRIBUTE, PROJECTION],
            );
        }
        Ok(())
    })?;
    if index.pk.is_none() {
        cx.error_spanned_by(
            keyword,
            "a template index needs a partition key template: pk = \"...\"",
        );
    }
    Ok(index)
}

pub(super) fn parse_projection(cx: &Ctxt, inner: &ParseNestedMeta) -> syn::Result<ProjectionAttr> {
    let lit: LitStr = inner.value()?.parse()?;
    Ok(match lit.value().as_str() {
        "all" => ProjectionAttr::All,
        "keys_only" => ProjectionAttr::KeysOnly,
        _ => {
            cx.error_spanned_by(&lit, "projection is \"all\" or \"keys_only\"; for chosen attributes use include(field, ...)");
            ProjectionAttr::All
        }
    })
}

/// Global or local secondary index.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    Global,
    Local,
}

/// What an index holds.
pub enum ProjectionAttr {
    All,
    KeysOnly,
    Include(Vec<syn::Ident>),
}

/// `gsi(...)` or `lsi(...)` on the container.
pub struct IndexAttr {
    pub kind: IndexKind,
    pub keyword: syn::Path,
    pub name: Option<LitStr>,
    pub partition_key: Option<syn::Ident>,
    pub sort_key: Option<syn::Ident>,
    pub projection: ProjectionAttr,
    /// The other fields of a multi-attribute key, `partition_key = [a, b]`
    /// (see `index_keys`).
    pub more_partition_keys: Vec<syn::Ident>,
    pub more_sort_keys: Vec<syn::Ident>,
    pub sort_key_list: Option<proc_macro2::Span>,
}

pub(super) fn parse_index(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    kind: IndexKind,
) -> syn::Result<IndexAttr> {
    let mut index = IndexAttr {
        kind,
        keyword: meta.path.clone(),
        name: None,
        partition_key: None,
        sort_key: None,
        projection: ProjectionAttr::All,
        more_partition_keys: Vec::new(),
        more_sort_keys: Vec::new(),
        sort_key_list: None,
    };
    let mut projection_set = false;
    meta.parse_nested_meta(|inner| {
        let once = |set: bool| {
            if set {
                cx.error_spanned_by(&inner.path, "this index option is given twice");
            }
        };
        if inner.path.is_ident(NAME) {
            // gsi(name = "by_email", ...)
            once(index.name.is_some());
            index.name = Some(inner.value()?.parse()?);
        } else if inner.path.is_ident(PARTITION_KEY) {
            // gsi(partition_key = email, ...)
            once(index.partition_key.is_some());
            if kind == IndexKind::Local {
                cx.error_spanned_by(
                    &inner.path,
                    "a local index shares the table's partition key; give only its sort_key",
                );
            }
            let keys = crate::index_keys::parse_key_fields(cx, &inner, parse_ident_value)?;
            (index.partition_key, index.more_partition_keys) = (keys.first, keys.more);
        } else if inner.path.is_ident(SORT_KEY) {
            // gsi(sort_key = created, ...)
            once(index.sort_key.is_some());
            let keys = crate::index_keys::parse_key_fields(cx, &inner, parse_ident_value)?;
            (index.sort_key, index.more_sort_keys) = (keys.first, keys.more);
            index.sort_key_list = keys.list;
        } else if inner.path.is_ident(PROJECTION) {
            // gsi(projection = "keys_only", ...) or "all"
            once(projection_set);
            projection_set = true;
            index.projection = parse_projection(cx, &inner)?;
        } else if inner.path.is_ident(INCLUDE) {
            // gsi(include(name, total), ...)
            once(projection_set);
            projection_set = true;
            let mut fields = Vec::new();
            inner.parse_nested_meta(|field| {
                match field.path.get_ident() {
                    Some(ident) => fields.push(ident.clone()),
                    None => cx.error_spanned_by(&field.path, "expected a field name"),
                }
                Ok(())
            })?;
            index.projection = ProjectionAttr::Include(fields);
        } else {
            unknown(
                cx,
                &inner,
                &[NAME, PARTITION_KEY, SORT_KEY, PROJECTION, INCLUDE],
            );
        }
        Ok(())
    })?;
    if index.name.is_none() {
        cx.error_spanned_by(&meta.path, "an index needs a name: name = \"...\"");
    }
    if kind == IndexKind::Global && index.partition_key.is_none() {
        cx.error_spanned_by(&meta.path, "a global index needs a partition_key = field");
    }
    if kind == IndexKind::Local && index.sort_key.is_none() {
        cx.error_spanned_by(&meta.path, "a local index needs a sort_key = field");
    }
    Ok(index)
}
