use dynamo_repo::Attribute;

/// Internally tagged (the default): a newtype and a tuple variant have no
/// field names to store beside the tag.
#[derive(Attribute)]
enum Internal {
    Newtype(String),
    Tuple(u32, u32),
    Empty(),
}

/// A field stored under the tag's name, two variants with one tag.
#[derive(Attribute)]
enum Clashes {
    Card { r#type: String },
    #[dynamo(rename = "Card")]
    Other { last4: String },
}

/// `content` without `tag`; `content` equal to `tag`.
#[derive(Attribute)]
#[dynamo(content = "value")]
enum ContentAlone {
    A { x: u32 },
}

#[derive(Attribute)]
#[dynamo(tag = "t", content = "t")]
enum ContentIsTag {
    A(u32),
}

/// Options a variant's fields and variants cannot take.
#[derive(Attribute)]
#[dynamo(tag = "t", content = "c")]
enum BadOptions {
    Keyed {
        #[dynamo(partition_key)]
        id: String,
    },
    Tuple(#[dynamo(rename = "x")] u32),
    #[dynamo(rename_all = "camelCase")]
    UnitRenamed,
    #[dynamo(rename_all = "Sentence case")]
    UnknownRule { a_b: u32 },
}

/// `rename_all` on a variant of an enum stored as a string.
#[derive(Attribute)]
enum Plain {
    #[dynamo(rename_all = "camelCase")]
    A,
}

fn main() {}
