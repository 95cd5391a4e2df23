//! Shared models of the criterion benchmarks: a 12-field entity with the same
//! data mapped three ways (the derive, serde_dynamo, and by hand).

use dynamo_repo::sdk::types::AttributeValue;
use dynamo_repo::{Attribute, Entity, Item};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// A nested struct, stored as a map.
#[derive(Attribute, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Address {
    /// Street line.
    pub street: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub zip: String,
}

/// The benchmarked entity: strings, numbers, bool, option, list, string set,
/// nested struct, map of numbers (12 fields).
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[dynamo(table = "bench")]
pub struct Profile {
    /// Partition key.
    #[dynamo(partition_key)]
    pub id: String,
    /// Sort key.
    #[dynamo(sort_key)]
    pub created: u64,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Age.
    pub age: u32,
    /// Score.
    pub score: f64,
    /// Active.
    pub active: bool,
    /// Nickname.
    pub nickname: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Roles (a string set).
    pub roles: BTreeSet<String>,
    /// Address.
    pub address: Address,
    /// Counters.
    pub counters: HashMap<String, i64>,
}

/// A representative value.
pub fn sample() -> Profile {
    Profile {
        id: "user-0001-abcdef".into(),
        created: 1_764_000_000_123,
        name: "Ada Lovelace".into(),
        email: "ada@example.com".into(),
        age: 36,
        score: 1234.5678,
        active: true,
        nickname: Some("countess".into()),
        tags: vec![
            "admin".into(),
            "math".into(),
            "poetry".into(),
            "engines".into(),
        ],
        roles: ["owner", "reader", "writer"]
            .into_iter()
            .map(String::from)
            .collect(),
        address: Address {
            street: "12 St James's Square".into(),
            city: "London".into(),
            zip: "SW1Y 4JH".into(),
        },
        counters: [("logins", 42i64), ("posts", 7), ("likes", 1_000_000)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    }
}

/// The conversion a careful user would write by hand against the SDK.
pub mod raw;

pub mod hand {
    use super::*;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.to_owned())
    }

    /// Encodes by hand.
    pub fn to_item(p: &Profile) -> Item {
        let mut item = HashMap::with_capacity(12);
        item.insert("id".to_owned(), s(&p.id));
        item.insert(
            "created".to_owned(),
            AttributeValue::N(p.created.to_string()),
        );
        item.insert("name".to_owned(), s(&p.name));
        item.insert("email".to_owned(), s(&p.email));
        item.insert("age".to_owned(), AttributeValue::N(p.age.to_string()));
        item.insert("score".to_owned(), AttributeValue::N(p.score.to_string()));
        item.insert("active".to_owned(), AttributeValue::Bool(p.active));
        if let Some(n) = &p.nickname {
            item.insert("nickname".to_owned(), s(n));
        }
        item.insert(
            "tags".to_owned(),
            AttributeValue::L(p.tags.iter().map(|t| s(t)).collect()),
        );
        if !p.roles.is_empty() {
            item.insert(
                "roles".to_owned(),
                AttributeValue::Ss(p.roles.iter().cloned().collect()),
            );
        }
        let mut address = HashMap::with_capacity(3);
        address.insert("street".to_owned(), s(&p.address.street));
        address.insert("city".to_owned(), s(&p.address.city));
        address.insert("zip".to_owned(), s(&p.address.zip));
        item.insert("address".to_owned(), AttributeValue::M(address));
        item.insert(
            "counters".to_owned(),
            AttributeValue::M(
                p.counters
                    .iter()
                    .map(|(k, v)| (k.clone(), AttributeValue::N(v.to_string())))
                    .collect(),
            ),
        );
        item
    }

    fn take_s(item: &mut Item, name: &str) -> Option<String> {
        match item.remove(name)? {
            AttributeValue::S(s) => Some(s),
            _ => None,
        }
    }

    fn take_n<T: std::str::FromStr>(item: &mut Item, name: &str) -> Option<T> {
        match item.remove(name)? {
            AttributeValue::N(n) => n.parse().ok(),
            _ => None,
        }
    }

    /// Decodes by hand (`None` on any mismatch, without saying where): the
    /// fastest honest decoder a user would write. Strings and maps are moved
    /// out of the item with `remove`, numbers parsed with `str::parse`, lists
    /// and maps built with their capacity.
    pub fn from_item(mut item: Item) -> Option<Profile> {
        let AttributeValue::M(mut address) = item.remove("address")? else {
            return None;
        };
        Some(Profile {
            id: take_s(&mut item, "id")?,
            created: take_n(&mut item, "created")?,
            name: take_s(&mut item, "name")?,
            email: take_s(&mut item, "email")?,
            age: take_n(&mut item, "age")?,
            score: take_n(&mut item, "score")?,
            active: match item.remove("active")? {
                AttributeValue::Bool(b) => b,
                _ => return None,
            },
            nickname: take_s(&mut item, "nickname"),
            tags: match item.remove("tags")? {
                AttributeValue::L(l) => {
                    let mut tags = Vec::with_capacity(l.len());
                    for v in l {
                        let AttributeValue::S(s) = v else { return None };
                        tags.push(s);
                    }
                    tags
                }
                _ => return None,
            },
            roles: match item.remove("roles") {
                Some(AttributeValue::Ss(v)) => v.into_iter().collect(),
                None => BTreeSet::new(),
                _ => return None,
            },
            address: Address {
                street: take_s(&mut address, "street")?,
                city: take_s(&mut address, "city")?,
                zip: take_s(&mut address, "zip")?,
            },
            counters: match item.remove("counters")? {
                AttributeValue::M(m) => {
                    let mut counters = HashMap::with_capacity(m.len());
                    for (k, v) in m {
                        let AttributeValue::N(n) = v else { return None };
                        counters.insert(k, n.parse().ok()?);
                    }
                    counters
                }
                _ => return None,
            },
        })
    }
}

/// The request of the benchmarked query (key condition on `id` and a
/// `created` range, a 3-part filter), written by hand with the SDK from
/// ready-made expression strings and placeholder maps: the baseline of what
/// the SDK itself costs.
pub fn query_by_hand(
    sdk: &dynamo_repo::sdk::Client,
) -> dynamo_repo::sdk::operation::query::builders::QueryFluentBuilder {
    use std::hint::black_box;
    let names: HashMap<String, String> = [
        ("#k0", "id"),
        ("#k1", "created"),
        ("#f2", "age"),
        ("#f3", "name"),
        ("#f4", "roles"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let values: HashMap<String, AttributeValue> = [
        (":k0", AttributeValue::S(black_box("user-1").into())),
        (":k1", AttributeValue::N(1_000u64.to_string())),
        (":k2", AttributeValue::N(2_000u64.to_string())),
        (":f3", AttributeValue::N(18u32.to_string())),
        (":f4", AttributeValue::S("A".into())),
        (":f5", AttributeValue::S("admin".into())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    sdk.query()
        .table_name("bench")
        .key_condition_expression("#k0 = :k0 AND #k1 BETWEEN :k1 AND :k2")
        .filter_expression("#f2 >= :f3 AND begins_with(#f3, :f4) AND contains(#f4, :f5)")
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
}

/// The 2,000-item query of the benchmarks by hand: the SDK's paginator over
/// partition `bench` of `table`, then hand decoding (moving the strings out
/// with `remove`, numbers by `str::parse`); optionally asking for consumed
/// capacity, which neither a raw-SDK user nor the repository sends by default.
pub async fn raw_query(
    sdk: &dynamo_repo::sdk::Client,
    table: &str,
    consumed_capacity: bool,
) -> Vec<Profile> {
    let raw: Vec<Item> = sdk
        .query()
        .table_name(table)
        .set_return_consumed_capacity(
            consumed_capacity.then_some(dynamo_repo::sdk::types::ReturnConsumedCapacity::Total),
        )
        .key_condition_expression("#pk = :pk")
        .expression_attribute_names("#pk", "id")
        .expression_attribute_values(":pk", AttributeValue::S("bench".into()))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("the raw query");
    raw.into_iter()
        .map(|i| hand::from_item(i).expect("a Profile"))
        .collect()
}

/// The benchmarked unit of work: a put of each of `profiles` and, for each,
/// a conditional update (`increment` + `set`) of item `("other", i)`.
pub fn benchmark_unit(
    client: &dynamo_repo::Client,
    repo: &dynamo_repo::Repository<Profile>,
    profiles: &[Profile],
) -> dynamo_repo::UnitOfWork {
    let f = Profile::fields();
    let mut uow = client.unit_of_work();
    uow.with_repository(repo);
    for (i, p) in profiles.iter().enumerate() {
        uow.put(p);
        uow.update_if(Profile::key("other", i as u64), f.age.lt(1_000_000), |u| {
            u.increment(&f.age, 1).set(&f.name, "renamed")
        });
    }
    uow
}
