use dynamo_repo::Entity;

// Observed: `Label::key("acme", "ORG")` was `Org::key("acme")`. A template
// must start with literal text.
#[derive(Entity)]
#[dynamo(table = "app", entity = "label", pk = "ORG#{org_id}", sk = "{label}")]
struct Label {
    org_id: String,
    label: String,
}

// Observed: `key("x", "yz") == key("xy", "z")`. Placeholders need `#` between them.
#[derive(Entity)]
#[dynamo(table = "app", pk = "P#{a}{b}")]
struct Pair {
    a: String,
    b: String,
}

// `-` is not escaped in values: kind "a-b" with id "c" and kind "a" with id
// "b-c" would share a key.
#[derive(Entity)]
#[dynamo(table = "app", pk = "{org_id}", sk = "DOC#{kind}-{id}", gsi1(pk = "{email}"))]
struct Doc {
    org_id: String,
    kind: String,
    id: String,
    email: String,
}

// Unambiguous templates compile: literal first, `#` after each placeholder
// that does not end the template, and placeholder-free sort keys.
#[derive(Entity)]
#[dynamo(table = "app", pk = "ORG#{org_id}", sk = "ORG{label}#X", gsi1(pk = "E#{email}", sk = "USER"))]
struct Fine {
    org_id: String,
    label: String,
    email: String,
}

fn main() {}
