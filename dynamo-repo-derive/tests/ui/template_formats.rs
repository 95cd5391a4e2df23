use dynamo_repo::Entity;

// Placeholder formats that do not parse: each is a compile error at the
// template saying what is accepted.
#[derive(Entity)]
#[dynamo(table = "app", pk = "A#{id}", sk = "N#{n:00}")]
struct ZeroWidth {
    id: String,
    n: u32,
}

#[derive(Entity)]
#[dynamo(table = "app", pk = "A#{id}", sk = "N#{n:8}")]
struct NoLeadingZero {
    id: String,
    n: u32,
}

#[derive(Entity)]
#[dynamo(table = "app", pk = "A#{id}", sk = "N#{n:fast}")]
struct UnknownFormat {
    id: String,
    n: u32,
}

#[derive(Entity)]
#[dynamo(table = "app", pk = "A#{id}", sk = "N#{n:040}")]
struct TooWide {
    id: String,
    n: u128,
}

fn main() {}
