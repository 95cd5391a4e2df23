use dynamo_repo::Entity;

#[derive(Entity)]
#[dynamo(table = "status")]
enum Status {
    Active,
    Closed,
}

#[derive(Entity)]
#[dynamo(table = "pairs")]
struct Pair(String, u32);

fn main() {}
