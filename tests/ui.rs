#[test]
fn placeholder_ui() {}
