//! Reading a keys-only or include index as whole entities does not compile;
//! projections, raw maps and counts of it do, and an index projecting all
//! attributes reads whole entities.
use dynamo_repo::{Client, Entity, Projection};

#[derive(Entity)]
#[dynamo(
    table = "orders",
    gsi(name = "by_status", partition_key = status, projection = "keys_only"),
    gsi(name = "by_total", partition_key = status, sort_key = total, include(note)),
    gsi(name = "by_note", partition_key = note),
)]
struct Order {
    #[dynamo(partition_key)]
    customer: String,
    #[dynamo(sort_key)]
    seq: u64,
    status: String,
    total: u64,
    note: String,
}

#[derive(Projection)]
#[dynamo(entity = Order)]
struct OrderKey {
    customer: String,
    seq: u64,
}

async fn reads(repo: dynamo_repo::Repository<Order>) -> dynamo_repo::Result<()> {
    let indexes = Order::indexes();
    // These compile: a projection, raw maps, a count, and whole items of an "all" index.
    let _: Vec<OrderKey> = repo.query_index(indexes.by_status, "open").project::<OrderKey>().all().await?;
    let _ = repo.scan_index(indexes.by_total).project_raw([Order::fields().note.untyped()]).first().await?;
    let _: u64 = repo.query_index(indexes.by_status, "open").count().await?;
    let _: Vec<Order> = repo.query_index(indexes.by_note, "n").all().await?;

    // These do not: whole entities from a keys-only or an include index.
    let _ = repo.query_index(indexes.by_status, "open").stream();
    let _ = repo.scan_index(indexes.by_total).per_row_errors().stream();
    // An async reader, once, at the call.
    let _: Vec<Order> = repo.scan_index(indexes.by_status).all().await?;
    Ok(())
}

fn main() {
    let repo = Client::local("http://localhost:8000").repository::<Order>();
    let _ = reads(repo);
}
