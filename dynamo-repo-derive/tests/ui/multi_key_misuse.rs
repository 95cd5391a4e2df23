use dynamo_repo::{Client, Entity};

#[derive(Entity)]
#[dynamo(
    table = "orders",
    gsi(name = "by_region_status", partition_key = [region, status], sort_key = [created, id]),
    gsi(name = "by_status", partition_key = status, sort_key = created)
)]
struct Order {
    #[dynamo(partition_key)]
    id: String,
    region: String,
    status: String,
    created: u64,
}

fn main() {
    let repo = Client::local("http://localhost:8000").repository::<Order>();
    let index = Order::indexes().by_region_status;
    // A multi-attribute partition key queried with one value.
    let _ = repo.query_index(index, "eu");
    // A partition attribute left out.
    let _ = repo.query_index_keys(index, ("eu",));
    // A partition value of the wrong type.
    let _ = repo.query_index_keys(index, ("eu", 5u32));
    // A single-attribute sort condition on a multi-attribute sort key.
    let _ = repo.query_index_keys(index, ("eu", "open")).sort_key(|k| k.gt(1u64));
    // A range before an equality: a range ends the condition.
    let _ = repo
        .query_index_keys(index, ("eu", "open"))
        .sort_keys(|k| k.gt(1u64).eq("o-1"));
    // The first sort attribute skipped: its value has the second's type.
    let _ = repo
        .query_index_keys(index, ("eu", "open"))
        .sort_keys(|k| k.eq("o-1"));
    // begins_with on a number attribute.
    let _ = repo
        .query_index_keys(index, ("eu", "open"))
        .sort_keys(|k| k.begins_with(1u64));
    // A single-attribute index queried with a tuple.
    let _ = repo.query_index_keys(Order::indexes().by_status, ("a", "b"));
}
