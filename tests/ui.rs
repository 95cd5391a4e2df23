//! Compile-fail tests of the derives: every message and span is pinned by
//! the `.stderr` snapshot beside each case (regenerate with `TRYBUILD=overwrite`).

#[test]
fn derive_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
}
