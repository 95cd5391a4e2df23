#[test]
fn placeholder_props() {}
