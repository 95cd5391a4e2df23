use dynamo_repo::Entity;

// A format on a type it does not fit: the error points at the template.
// Strings already sort as text; a date-time has no fixed width; floats (and
// decimals) have no key form.
#[derive(Entity)]
#[dynamo(table = "app", pk = "A#{id}", sk = "NAME#{name:sortable}")]
struct SortableString {
    id: String,
    name: String,
}

#[derive(Entity)]
#[dynamo(table = "app", pk = "A#{id}", sk = "AT#{at:08}")]
struct WidthDateTime {
    id: String,
    at: chrono::DateTime<chrono::Utc>,
}

#[derive(Entity)]
#[dynamo(table = "app", pk = "A#{id}", sk = "PRICE#{price:08}")]
struct WidthFloat {
    id: String,
    price: f64,
}

fn main() {}
