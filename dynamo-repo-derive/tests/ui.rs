//! Compile-fail tests of the derives: every message and span is pinned by
//! the `.stderr` snapshot beside each case (regenerate with `TRYBUILD=overwrite`).

use std::io::IsTerminal;

#[test]
fn derive_errors() {
    // trybuild colours its report whenever TERM is set, terminal or not;
    // keep logs plain.
    if !std::io::stderr().is_terminal() {
        std::env::set_var("NO_COLOR", "1");
    }
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
