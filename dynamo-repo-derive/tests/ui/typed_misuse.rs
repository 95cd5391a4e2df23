use dynamo_repo::{Client, Entity, Projection};

#[derive(Entity)]
#[dynamo(table = "orders", gsi(name = "by_status", partition_key = status))]
struct Order {
    #[dynamo(partition_key)]
    customer: String,
    #[dynamo(sort_key)]
    seq: u64,
    status: String,
    total: f64,
}

#[derive(Projection)]
#[dynamo(entity = Order)]
struct Summary {
    seq: String,
    missing: u32,
}

fn main() {
    let repo = Client::local("http://localhost:8000").repository::<Order>();
    let f = Order::fields();
    // A number field compared with a string.
    let _ = f.total.eq("12");
    // begins_with on a numeric sort key.
    let _ = repo.query("c-1").sort_key(|k| k.begins_with(5u64));
    // A partition key value of the wrong type.
    let _ = repo.query(42u32);
    // An index the entity does not declare.
    let _ = Order::indexes().by_total;
}
