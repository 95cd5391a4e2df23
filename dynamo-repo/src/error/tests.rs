//! Every variant of `Error` is documented in the module docs and the README.

/// The variants of `Error`, read from this file's source.
fn variants() -> Vec<&'static str> {
    let source = include_str!("mod.rs");
    let start = source.find("pub enum Error {").expect("the Error enum");
    let body = &source[start..];
    let body = &body[..body.find("\n}\n").expect("the end of the Error enum")];
    body.lines()
        .filter_map(|line| line.strip_prefix("    "))
        .filter(|line| line.starts_with(|c: char| c.is_ascii_uppercase()))
        .map(|line| line.split(['(', ' ', '{', ',']).next().unwrap_or(line))
        .collect()
}

#[test]
fn every_variant_is_in_the_readme_errors_section() {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("\n## Errors\n")
        .expect("a README section `## Errors`");
    let section = &readme[start + 1..];
    let section = &section[..section[3..]
        .find("\n## ")
        .map_or(section.len(), |end| end + 3)];
    let variants = variants();
    assert!(variants.len() >= 12, "found only {variants:?}");
    let missing: Vec<_> = variants
        .iter()
        .filter(|v| !section.contains(&format!("`{v}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "README's Errors section misses {missing:?}"
    );
}

#[test]
fn every_variant_is_in_the_module_guide() {
    let source = include_str!("mod.rs");
    let missing: Vec<_> = variants()
        .into_iter()
        .filter(|v| !source.contains(&format!("//! | [`{v}`](Error::{v})")))
        .collect();
    assert!(
        missing.is_empty(),
        "the error module's guide misses {missing:?}"
    );
}
