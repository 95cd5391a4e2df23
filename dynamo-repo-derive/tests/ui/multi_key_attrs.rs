use dynamo_repo::Entity;

// Five attributes on one side: DynamoDB allows four.
#[derive(Entity)]
#[dynamo(table = "things", gsi(name = "wide", partition_key = [a, b, c, d, e]))]
struct Wide {
    #[dynamo(partition_key)]
    id: String,
    a: String,
    b: String,
    c: String,
    d: String,
    e: String,
}

// An empty list.
#[derive(Entity)]
#[dynamo(table = "things", gsi(name = "empty", partition_key = a, sort_key = []))]
struct Empty {
    #[dynamo(partition_key)]
    id: String,
    a: String,
}

// One field twice in an index, on one side or across both.
#[derive(Entity)]
#[dynamo(
    table = "things",
    gsi(name = "twice", partition_key = [a, b, a]),
    gsi(name = "across", partition_key = [a, b], sort_key = [c, b])
)]
struct Twice {
    #[dynamo(partition_key)]
    id: String,
    a: String,
    b: String,
    c: String,
}

// Multi-attribute keys are for global indexes only.
#[derive(Entity)]
#[dynamo(table = "things", lsi(name = "local", sort_key = [a, b]))]
struct Local {
    #[dynamo(partition_key)]
    id: String,
    #[dynamo(sort_key)]
    sk: String,
    a: String,
    b: String,
}

// A field that is not stored.
#[derive(Entity)]
#[dynamo(table = "things", gsi(name = "missing", partition_key = [a, nope]))]
struct Missing {
    #[dynamo(partition_key)]
    id: String,
    a: String,
    #[dynamo(skip)]
    nope: String,
}

// Types that cannot be key attributes, in either position.
#[derive(Entity)]
#[dynamo(table = "things", gsi(name = "typed", partition_key = [a, score], sort_key = [b, done]))]
struct Typed {
    #[dynamo(partition_key)]
    id: String,
    a: String,
    b: Option<u64>,
    score: f64,
    done: bool,
}

fn main() {}
