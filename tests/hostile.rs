//! Hostile and extreme input (issue 11, part 6): each test reproduces one
//! observation: a panic, an overflow, a silently wrong value, an abort or a
//! stall, and checks that the library now answers with a typed error.
//! Pure unit tests: no DynamoDB needed.

use dynamo_repo::error::ValidationErrorKind;
use dynamo_repo::expr::{PathElement, Placeholders, SetValue, UntypedPath, UpdateAction};
use dynamo_repo::sdk::types::AttributeValue;
use dynamo_repo::value::DecodeErrorKind;
use dynamo_repo::{Attribute, Entity, FromAttribute, Item, Update};
use std::borrow::Cow;
use std::collections::HashMap;

// ---- version at u64::MAX ------------------------------------------------

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "docs")]
struct Doc {
    #[dynamo(partition_key)]
    id: String,
    body: String,
    #[dynamo(version)]
    version: u64,
}

#[test]
fn a_put_of_an_item_whose_version_is_u64_max_is_a_typed_error_not_a_wrap() {
    let doc = Doc {
        id: "d-1".into(),
        body: "text".into(),
        version: u64::MAX,
    };
    // Before: `attempt to add with overflow` in debug, version 0 in release.
    let mut uow = unsent_client().unit_of_work();
    uow.put(&doc);
    let err = match uow.to_request() {
        Ok(request) => panic!("a version that cannot be incremented was accepted: {request:?}"),
        Err(dynamo_repo::Error::Validation(e)) => e,
        Err(other) => panic!("{other:?}"),
    };
    assert_eq!(err.kind, ValidationErrorKind::VersionOverflow);
    assert_eq!(err.entity, Some("Doc"));
    assert_eq!(err.attribute.as_deref(), Some("version"));
    // The stored version is not repeated in the message.
    assert!(!err.to_string().contains(&u64::MAX.to_string()), "{err}");
}

#[test]
fn the_version_below_u64_max_is_still_incremented() {
    let doc = Doc {
        id: "d-1".into(),
        body: "text".into(),
        version: u64::MAX - 1,
    };
    let mut uow = unsent_client().unit_of_work();
    uow.put(&doc);
    let request = uow.to_request().expect("bumpable").expect("one action");
    let items = request.get_transact_items().clone().unwrap_or_default();
    let put = items[0].put().expect("a put");
    assert_eq!(
        put.item().get("version"),
        Some(&AttributeValue::N(u64::MAX.to_string()))
    );
}

/// A client whose requests could only fail to connect (nothing listens on
/// port 9 of loopback): a validation error from it proves nothing was sent.
fn unsent_client() -> dynamo_repo::Client {
    dynamo_repo::Client::local("http://127.0.0.1:9")
}

fn refused<T: std::fmt::Debug>(
    result: Result<T, dynamo_repo::Error>,
) -> dynamo_repo::ValidationError {
    match result {
        Err(dynamo_repo::Error::Validation(v)) => v,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn save_put_update_and_unit_of_work_refuse_a_version_at_u64_max_before_sending() {
    let client = unsent_client();
    let repo = client.repository::<Doc>();
    let mut doc = Doc {
        id: "d-1".into(),
        body: "text".into(),
        version: u64::MAX,
    };
    // Before: `save` panicked (debug) or stored version 0 (release).
    let err = refused(repo.save(&mut doc).await);
    assert_eq!(err.kind, ValidationErrorKind::VersionOverflow);
    assert_eq!(doc.version, u64::MAX, "the item in hand is unchanged");
    let err = refused(repo.put(&doc).await);
    assert_eq!(err.kind, ValidationErrorKind::VersionOverflow);
    // DynamoDB would store 2^64, which no u64 field reads back.
    let err = refused(
        repo.update_item(&doc)
            .set(Doc::fields().body, "new".to_string())
            .await,
    );
    assert_eq!(err.kind, ValidationErrorKind::VersionOverflow);
    let err = refused(client.unit_of_work().put(&doc).commit().await);
    assert_eq!(err.kind, ValidationErrorKind::VersionOverflow);
    let err = refused(
        client
            .unit_of_work()
            .update_item(&doc, |u| u.set(Doc::fields().body, "new".to_string()))
            .commit()
            .await,
    );
    assert_eq!(err.kind, ValidationErrorKind::VersionOverflow);
}

// ---- update limits before the overlap check -----------------------------

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "wide")]
struct Wide {
    #[dynamo(partition_key)]
    id: String,
    #[dynamo(default)]
    attrs: HashMap<String, String>,
}

fn top(name: String) -> UntypedPath {
    UntypedPath::from(vec![PathElement::Attribute(Cow::Owned(name))])
}

fn remove_many(n: usize) -> Update<Wide> {
    (0..n).fold(Update::new(), |u, i| {
        u.push(UpdateAction::Remove(top(format!("a{i}"))))
    })
}

#[test]
fn an_update_of_16k_actions_is_refused_by_the_operator_limit_before_the_overlap_check() {
    // 16,384 actions, the last two on the same path. Before: the quadratic
    // overlap check ran first (32 s) and reported the overlap; the limits,
    // checked last, never got a say.
    let mut update = remove_many(16_383);
    update = update.push(UpdateAction::Remove(top("a0".into())));
    let err = update
        .render(&mut Placeholders::new())
        .expect_err("over the operator limit");
    assert_eq!(err.kind, ValidationErrorKind::ExpressionTooLarge, "{err}");
    assert_eq!(err.entity, Some("Wide"));
}

#[test]
fn an_update_whose_paths_cannot_fit_the_expression_limit_is_refused_before_rendering() {
    // Few actions, but paths so long that the expression cannot be under
    // 4 KB: refused from the paths' length alone.
    let long: Vec<PathElement> = (0..5_000)
        .map(|i| PathElement::Attribute(Cow::Owned(format!("k{i}"))))
        .collect();
    let update = Update::<Wide>::new()
        .push(UpdateAction::Remove(UntypedPath::from(long.clone())))
        .push(UpdateAction::Remove(UntypedPath::from(long)));
    let err = update
        .render(&mut Placeholders::new())
        .expect_err("too long");
    assert_eq!(err.kind, ValidationErrorKind::ExpressionTooLarge, "{err}");
}

#[test]
fn a_large_but_legal_update_renders() {
    // 300 actions: DynamoDB's operator limit, within 4 KB.
    let update = remove_many(300);
    let text = update.render(&mut Placeholders::new()).expect("legal");
    assert!(text.starts_with("REMOVE "));
    assert_eq!(text.matches(", ").count(), 299);
    assert!(text.len() <= 4096);
}

#[test]
fn overlapping_paths_are_still_found_among_many_actions() {
    let nested = UntypedPath::from(vec![
        PathElement::Attribute(Cow::Borrowed("a7")),
        PathElement::Attribute(Cow::Borrowed("inner")),
    ]);
    for (first, second) in [
        (top("a7".into()), nested.clone()),
        (nested.clone(), top("a7".into())),
        (nested.clone(), nested.clone()),
    ] {
        let update = (0..100)
            .filter(|i| *i != 7)
            .fold(Update::<Wide>::new(), |u, i| {
                u.push(UpdateAction::Remove(top(format!("a{i}"))))
            })
            .push(UpdateAction::Set(
                first,
                SetValue::Value(AttributeValue::S("x".into())),
            ))
            .push(UpdateAction::Remove(top("b".into())))
            .push(UpdateAction::Remove(second));
        let err = update
            .render(&mut Placeholders::new())
            .expect_err("overlap");
        assert_eq!(err.kind, ValidationErrorKind::OverlappingPaths, "{err}");
        assert!(err.to_string().contains("`a7"), "{err}");
    }
    // Same prefix text is not an overlap: `a1` and `a10` are distinct.
    let update = Update::<Wide>::new()
        .push(UpdateAction::Remove(top("a1".into())))
        .push(UpdateAction::Remove(top("a10".into())));
    update.render(&mut Placeholders::new()).expect("distinct");
}

// ---- floats -------------------------------------------------------------

fn decode_number<T: FromAttribute>(text: &str) -> Result<T, dynamo_repo::DecodeError> {
    T::from_attribute(AttributeValue::N(text.into()))
}

#[test]
fn a_number_too_large_for_f32_is_a_decode_error_not_infinity() {
    let err = decode_number::<f32>("1e39").expect_err("1e39 does not fit in f32");
    assert!(
        matches!(
            err.kind(),
            DecodeErrorKind::NumberOutOfRange { target: "f32", .. }
        ),
        "{err:?}"
    );
    assert!(!err.to_string().contains("1e39"), "no stored value: {err}");
    assert_eq!(decode_number::<f32>("3.4e38").unwrap(), 3.4e38f32);
    assert_eq!(decode_number::<f64>("1e39").unwrap(), 1e39);
    decode_number::<f64>("1e309").expect_err("does not fit in f64");
}

#[test]
fn a_non_zero_number_too_small_for_the_float_is_a_decode_error_not_zero() {
    let err = decode_number::<f32>("1e-130").expect_err("underflows f32");
    assert!(
        matches!(
            err.kind(),
            DecodeErrorKind::NumberOutOfRange { target: "f32", .. }
        ),
        "{err:?}"
    );
    decode_number::<f32>("-1e-50").expect_err("underflows f32");
    decode_number::<f64>("1e-400").expect_err("underflows f64");
    assert_eq!(decode_number::<f64>("1e-130").unwrap(), 1e-130);
    // Zero itself, in any spelling, is zero.
    for zero in ["0", "-0", "0.000", "0e10", "0E-200"] {
        assert_eq!(decode_number::<f32>(zero).unwrap(), 0.0, "{zero}");
        assert_eq!(decode_number::<f64>(zero).unwrap(), 0.0, "{zero}");
    }
}

#[test]
fn nan_and_infinity_text_are_decode_errors() {
    for text in ["NaN", "nan", "inf", "-inf", "+infinity", "Infinity"] {
        let err = decode_number::<f64>(text).expect_err(text);
        assert!(
            matches!(err.kind(), DecodeErrorKind::NumberOutOfRange { .. }),
            "{text}: {err:?}"
        );
        assert!(!err.to_string().contains(text), "no stored value: {err}");
        decode_number::<f32>(text).expect_err(text);
    }
    // Inside a list, with the element's index in the path.
    let err = <Vec<f64>>::from_attribute(AttributeValue::L(vec![
        AttributeValue::N("1".into()),
        AttributeValue::N("NaN".into()),
    ]))
    .expect_err("NaN in a list");
    assert_eq!(err.path(), "[1]");
}

// ---- depth --------------------------------------------------------------

#[derive(Attribute, Debug, Clone, PartialEq)]
struct Node {
    label: u32,
    child: Option<Box<Node>>,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "trees")]
struct Tree {
    #[dynamo(partition_key)]
    id: String,
    root: Node,
}

/// A node map nested `depth` levels deep, built without recursion.
fn deep_node_value(depth: usize) -> AttributeValue {
    let mut value = AttributeValue::M(HashMap::from([(
        "label".to_string(),
        AttributeValue::N("0".into()),
    )]));
    for i in 1..depth {
        value = AttributeValue::M(HashMap::from([
            ("label".to_string(), AttributeValue::N(i.to_string())),
            ("child".to_string(), value),
        ]));
    }
    value
}

/// A Rust tree nested `depth` levels deep.
fn deep_node(depth: usize) -> Node {
    let mut node = Node {
        label: 0,
        child: None,
    };
    for i in 1..depth {
        node = Node {
            label: i as u32,
            child: Some(Box::new(node)),
        };
    }
    node
}

/// Drops a deep tree level by level (its own drop recurses).
fn drop_node(mut node: Node) {
    while let Some(child) = node.child.take() {
        node = *child;
    }
}

#[test]
fn an_item_nested_1000_deep_is_a_typed_decode_error_not_a_stack_overflow() {
    // On a thread with half a tokio worker's stack (debug builds use about
    // 8 KB per level to decode, so 1,000 levels overflowed it).
    std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(|| {
            // (Values are built twice, not cloned: a clone recurses too.)
            let mut item: Item = HashMap::new();
            item.insert("id".into(), AttributeValue::S("t-1".into()));
            item.insert("root".into(), deep_node_value(1_000));
            let err = Tree::from_item(item).expect_err("too deep");
            let decode = err.as_decode().expect("a decode error");
            assert!(
                matches!(decode.kind(), DecodeErrorKind::TooDeep { limit: 32 }),
                "{decode:?}"
            );
            assert!(decode.path().starts_with("root.child.child"), "{decode}");
            assert_eq!(decode.entity(), Some("Tree"));
            // Directly through the derived decoder as well.
            let err = Node::from_attribute(deep_node_value(1_000)).expect_err("too deep");
            assert!(
                matches!(err.kind(), DecodeErrorKind::TooDeep { .. }),
                "{err:?}"
            );
        })
        .expect("thread")
        .join()
        .expect("no panic");
}

#[test]
fn an_item_at_dynamodbs_depth_limit_still_decodes() {
    // The root map is level 1; 32 levels is what DynamoDB stores.
    let mut item: Item = HashMap::new();
    item.insert("id".into(), AttributeValue::S("t-1".into()));
    item.insert("root".into(), deep_node_value(32));
    let tree = Tree::from_item(item.clone()).expect("32 levels decode");
    assert_eq!(tree.root.label, 31);
    item.insert("root".into(), deep_node_value(33));
    let err = Tree::from_item(item).expect_err("33 levels do not");
    assert!(
        matches!(
            err.as_decode().map(|d| d.kind()),
            Some(DecodeErrorKind::TooDeep { .. })
        ),
        "{err:?}"
    );
}

#[test]
fn a_rust_value_nested_1000_deep_encodes_without_overflow_and_is_refused_by_validation() {
    // Debug builds use about 16 KB per level to encode.
    std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(|| {
            let tree = Tree {
                id: "t-1".into(),
                root: deep_node(1_000),
            };
            let mut uow = unsent_client().unit_of_work();
            uow.put(&tree);
            let err = match uow.validate() {
                Err(dynamo_repo::Error::Validation(e)) => e,
                other => panic!("deeper than DynamoDB allows, yet {other:?}"),
            };
            assert!(
                matches!(
                    err.kind,
                    ValidationErrorKind::TooDeep | ValidationErrorKind::Unencodable
                ),
                "{err}"
            );
            assert!(
                err.attribute.as_deref().unwrap_or("").starts_with("root"),
                "{err}"
            );
            drop(uow); // holds the encoded item, bounded by the depth marker
            drop_node(tree.root);
        })
        .expect("thread")
        .join()
        .expect("no panic");
}

// ---- no unsafe code -------------------------------------------------------

#[test]
fn the_runtime_derive_and_testkit_crates_forbid_unsafe_code() {
    for lib in [
        "../dynamo-repo/src/lib.rs",
        "../dynamo-repo-derive/src/lib.rs",
        "../dynamo-repo-testkit/src/lib.rs",
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(lib);
        let source = std::fs::read_to_string(&path).expect("crate root");
        assert!(
            source
                .lines()
                .any(|l| l.trim() == "#![forbid(unsafe_code)]"),
            "{} does not forbid unsafe code",
            path.display()
        );
    }
}

/// Render times of a refused 16,384-action update (distinct paths, so the
/// overlap check has to look at all of them) and of a legal 300-action one.
/// Prints figures for the report; asserts only the outcomes, not the times.
#[test]
#[ignore = "timing figures: cargo test -p dynamo-repo-tests --test hostile -- --ignored --nocapture"]
fn update_render_timings() {
    let time = |update: &Update<Wide>, runs: u32| {
        let started = std::time::Instant::now();
        let mut last = None;
        for _ in 0..runs {
            last = Some(update.render(&mut Placeholders::new()));
        }
        (started.elapsed() / runs, last.expect("ran"))
    };
    let huge = remove_many(16_384);
    let (took, result) = time(&huge, 1);
    assert!(result.is_err());
    println!("16,384 actions: refused in {took:?}");
    let legal = remove_many(300);
    let (took, result) = time(&legal, 100);
    assert!(result.is_ok());
    println!("300 actions: rendered in {took:?} (mean of 100)");
}

// ---- number text with extreme exponents -------------------------------------

#[test]
fn numbers_with_exponents_at_the_edge_of_i64_are_refused_not_overflowed() {
    // Found while reading number.rs: the magnitude of `11e9223372036854775807`
    // is one past i64::MAX, which overflowed (a panic in debug) in the check
    // every write runs.
    for text in [
        "11e9223372036854775807",
        "0.001e-9223372036854775808",
        "1e-9223372036854775808",
        "123456e9223372036854775800",
    ] {
        let mut item: Item = HashMap::new();
        item.insert("id".into(), AttributeValue::S("w".into()));
        item.insert("n".into(), AttributeValue::N(text.into()));
        let err = dynamo_repo::__private::check_item(&Wide::SCHEMA, &item)
            .expect_err("outside DynamoDB's range");
        assert_eq!(
            err.kind,
            ValidationErrorKind::InvalidNumber,
            "{text}: {err}"
        );
        assert_eq!(err.attribute.as_deref(), Some("n"));
        decode_number::<f64>(text).expect_err(text);
        decode_number::<i64>(text).expect_err(text);
    }
}

// ---- conditions stop rendering at the operator limit ----------------------

/// `a0 = 0 AND (a1 = 1 OR (a2 = 2 AND (...)))`, `depth` levels deep.
fn nested_condition(depth: usize) -> dynamo_repo::Condition<Wide> {
    let f = Wide::fields();
    let mut cond = f.id.eq("leaf".to_string());
    for i in 0..depth {
        let leaf = f.id.eq(format!("v{i}"));
        cond = if i % 2 == 0 { leaf & cond } else { leaf | cond };
    }
    cond
}

#[test]
fn a_condition_nested_thousands_deep_is_refused_at_the_operator_limit_without_overflow() {
    // Before: rendering recursed through every level (one frame each) and
    // only then counted operators; 5,000 levels overflowed this stack.
    std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(|| {
            let cond = nested_condition(5_000);
            let err = cond
                .render(&mut Placeholders::new(), "f")
                .expect_err("over 300 operators");
            assert_eq!(err.kind, ValidationErrorKind::ExpressionTooLarge, "{err}");
            // The condition's own drop recurses as deep as it nests: not the
            // library's doing, so leave it to the process.
            std::mem::forget(cond);
        })
        .expect("thread")
        .join()
        .expect("no panic");
    // Within the limits, nesting still renders.
    let text = nested_condition(50)
        .render(&mut Placeholders::new(), "f")
        .expect("legal")
        .expect("a condition");
    assert!(text.contains(" AND (") && text.contains(" OR ("), "{text}");
}
