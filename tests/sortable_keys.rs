//! Sort-safe key placeholders (`{n:sortable}`, `{n:06}`, `{at:sortable}`,
//! `{x:sortable}` on floats):
//! 1,000 random values of each type under one partition come back from a
//! query in value order, ascending and descending; `between` and `gt` on the
//! typed values return exactly the values in range; a value too wide for its
//! placeholder is refused before anything is sent.
//!
//! The generator is a seeded SplitMix64 (as in `fuzz.rs`), so every run
//! writes the same values.

use chrono::{DateTime, TimeZone, Utc};
use dynamo_repo::error::ValidationErrorKind;
use dynamo_repo::{Entity, Error, Repository};
use dynamo_repo_tests::fresh_repository;
use std::collections::BTreeSet;
use std::fmt::Debug;
use time::OffsetDateTime;

const N: usize = 1_000;

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "sortable",
    entity = "unsigned",
    pk = "P#{part}",
    sk = "U#{n:sortable}"
)]
struct Unsigned {
    part: String,
    n: u64,
}

/// `n` lives only in the key: every read decodes the encoding back.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "sortable",
    entity = "signed",
    pk = "P#{part}",
    sk = "I#{n:sortable}"
)]
struct Signed {
    part: String,
    #[dynamo(key_only)]
    n: i64,
}

/// `x` lives only in the key (any `f64` but NaN, beyond what a DynamoDB
/// number holds).
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "sortable",
    entity = "float",
    pk = "P#{part}",
    sk = "F#{x:sortable}"
)]
struct Float {
    part: String,
    #[dynamo(key_only)]
    x: f64,
}

/// An `f64` ordered numerically (no NaN here), for the order checks.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Num(f64);
impl Eq for Num {}
impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Num {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "sortable",
    entity = "stamp",
    pk = "P#{part}",
    sk = "AT#{at:sortable}"
)]
struct Stamp {
    part: String,
    at: DateTime<Utc>,
}

/// `time` date-times with random offsets sort by their instant.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "sortable",
    entity = "moment",
    pk = "P#{part}",
    sk = "T#{at:sortable}"
)]
struct Moment {
    part: String,
    #[dynamo(key_only)]
    at: OffsetDateTime,
}

/// An explicit width, a signed type, and a second placeholder after it.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "sortable",
    entity = "narrow",
    pk = "P#{part}",
    sk = "W#{n:06}#{tag}"
)]
struct Narrow {
    part: String,
    #[dynamo(key_only)]
    n: i32,
    tag: String,
}

/// An index key rebuilt by an update reads `seq` back from the table key,
/// inverting its encoding (negative values included).
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "sortable",
    entity = "job",
    pk = "Q#{queue}",
    sk = "J#{seq:sortable}",
    gsi1(
        name = "by_due",
        pk = "DUE#{queue}",
        sk = "AT#{due:sortable}#{seq:sortable}"
    ),
    gsi2(
        name = "by_priority",
        pk = "PRIORITY#{priority:01}",
        sk = "J#{seq:sortable}"
    )
)]
struct Job {
    queue: String,
    seq: i64,
    due: DateTime<Utc>,
    priority: u16,
}

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value of a random bit length, so every number of digits occurs
    /// (uniform `u64`s nearly all have 19 or 20).
    fn varied(&mut self) -> u64 {
        let bits = self.next() % 65;
        if bits == 0 {
            0
        } else {
            self.next() >> (64 - bits)
        }
    }

    fn signed(&mut self) -> i64 {
        let v = self.varied() as i64;
        if self.next().is_multiple_of(2) {
            v
        } else {
            v.wrapping_neg()
        }
    }
}

/// `N` distinct values from `gen`, plus `edges`.
fn distinct<T: Ord + Clone>(edges: &[T], mut gen: impl FnMut() -> T) -> Vec<T> {
    let mut set: BTreeSet<T> = edges.iter().cloned().collect();
    while set.len() < N {
        set.insert(gen());
    }
    set.into_iter().collect()
}

/// Writes one entity per value under one partition, then checks the order
/// of a full query both ways and the ranges `between` and `gt` return.
async fn check_order<E, V>(
    repo: &Repository<E>,
    pk: String,
    values: &[V],
    make: impl Fn(&V) -> E,
    value_of: impl Fn(&E) -> V,
    sk: impl Fn(&V) -> String,
    ranges: &[(V, V)],
) where
    E: Entity<PartitionKey = String, SortKey = String> + Debug + Send + Sync + 'static,
    V: Ord + Clone + Debug,
{
    let items: Vec<E> = values.iter().map(&make).collect();
    repo.batch_put(&items)
        .skip_entity_type_check()
        .await
        .expect("batch put");
    let mut sorted: Vec<V> = values.to_vec();
    sorted.sort();

    let ascending: Vec<V> = repo
        .query(pk.clone())
        .all()
        .await
        .unwrap()
        .iter()
        .map(&value_of)
        .collect();
    assert_eq!(ascending.len(), N);
    assert_eq!(ascending, sorted, "ascending key order is value order");

    let descending: Vec<V> = repo
        .query(pk.clone())
        .descending()
        .all()
        .await
        .unwrap()
        .iter()
        .map(&value_of)
        .collect();
    let mut reversed = sorted.clone();
    reversed.reverse();
    assert_eq!(descending, reversed, "descending key order is value order");

    for (low, high) in ranges {
        let expected: Vec<V> = sorted
            .iter()
            .filter(|v| low <= *v && *v <= high)
            .cloned()
            .collect();
        let found: Vec<V> = repo
            .query(pk.clone())
            .sort_key(|k| k.between(sk(low), sk(high)))
            .all()
            .await
            .unwrap()
            .iter()
            .map(&value_of)
            .collect();
        assert_eq!(found, expected, "between {low:?} and {high:?}");

        let above: Vec<V> = sorted.iter().filter(|v| *v > low).cloned().collect();
        let found: Vec<V> = repo
            .query(pk.clone())
            .sort_key(|k| k.gt(sk(low)))
            .all()
            .await
            .unwrap()
            .iter()
            .map(&value_of)
            .collect();
        assert_eq!(found, above, "greater than {low:?}");
    }
}

/// Bounds: some random, some at the extremes, some between stored values.
fn ranges<V: Clone + Ord>(sorted: &[V], extra: &[(V, V)], rng: &mut Rng) -> Vec<(V, V)> {
    let mut out: Vec<(V, V)> = extra.to_vec();
    for _ in 0..6 {
        let a = sorted[(rng.next() % sorted.len() as u64) as usize].clone();
        let b = sorted[(rng.next() % sorted.len() as u64) as usize].clone();
        out.push(if a <= b { (a, b) } else { (b, a) });
    }
    out
}

#[tokio::test]
async fn unsigned_keys_sort_by_value() {
    let repo = fresh_repository::<Unsigned>().await;
    let mut rng = Rng(0x5eed_0001);
    let values = distinct(&[0, 1, 9, 10, 99, 100, u64::MAX], || rng.varied());
    let ranges = ranges(
        &values,
        &[
            (0, 9),
            (9, 10),
            (5, 5_000),
            (1 << 40, u64::MAX),
            (0, u64::MAX),
        ],
        &mut rng,
    );
    check_order(
        &repo,
        Unsigned::pk("u"),
        &values,
        |&n| Unsigned {
            part: "u".into(),
            n,
        },
        |e| e.n,
        |&n| Unsigned::sk(n),
        &ranges,
    )
    .await;
    assert_eq!(Unsigned::sk(42), "U#00000000000000000042");
}

#[tokio::test]
async fn signed_keys_sort_by_value_and_read_back_from_the_key() {
    let repo = fresh_repository::<Signed>().await;
    let mut rng = Rng(0x5eed_0002);
    let values = distinct(&[i64::MIN, -10, -9, -1, 0, 1, 9, 10, i64::MAX], || {
        rng.signed()
    });
    let ranges = ranges(
        &values,
        &[
            (-10, 10),
            (-1, 0),
            (i64::MIN, -1),
            (0, i64::MAX),
            (-5_000, -5),
        ],
        &mut rng,
    );
    check_order(
        &repo,
        Signed::pk("s"),
        &values,
        |&n| Signed {
            part: "s".into(),
            n,
        },
        |e| e.n,
        |&n| Signed::sk(n),
        &ranges,
    )
    .await;
    assert_eq!(Signed::sk(-1), "I#-9999999999999999999");
    assert_eq!(
        repo.get(Signed::key("s", i64::MIN)).await.unwrap(),
        Some(Signed {
            part: "s".into(),
            n: i64::MIN
        })
    );
}

#[tokio::test]
async fn float_keys_sort_by_value_and_read_back_from_the_key() {
    let repo = fresh_repository::<Float>().await;
    let mut rng = Rng(0x5eed_0005);
    let edges: Vec<Num> = [
        f64::NEG_INFINITY,
        f64::MIN,
        -1e300,
        -1.0,
        -5e-324,
        0.0,
        5e-324,
        0.1,
        1.0,
        1e300,
        f64::MAX,
        f64::INFINITY,
    ]
    .into_iter()
    .map(Num)
    .collect();
    // Half of every magnitude (random bits), half small decimals.
    let values = distinct(&edges, || {
        let bits = rng.next();
        if bits.is_multiple_of(2) {
            Some(f64::from_bits(rng.next()))
                .filter(|v| !v.is_nan() && *v != 0.0)
                .map_or(Num(1.25), Num)
        } else {
            Num((rng.next() % 20_001) as f64 / 100.0 - 100.0)
        }
    });
    let ranges = ranges(
        &values,
        &[
            (Num(-1.0), Num(1.0)),
            (Num(0.0), Num(0.1)),
            (Num(f64::NEG_INFINITY), Num(-1.0)),
            (Num(-0.5), Num(f64::INFINITY)),
        ],
        &mut rng,
    );
    check_order(
        &repo,
        Float::pk("f"),
        &values,
        |v| Float {
            part: "f".into(),
            x: v.0,
        },
        |e| Num(e.x),
        |v| Float::sk(v.0),
        &ranges,
    )
    .await;
    assert_eq!(Float::sk(1.5), "F#bff8000000000000");
    assert_eq!(Float::sk(-0.0), Float::sk(0.0));
    assert_eq!(
        repo.get(Float::key("f", f64::MIN)).await.unwrap(),
        Some(Float {
            part: "f".into(),
            x: f64::MIN
        })
    );
    // NaN has no place in the order: refused before sending.
    let err = repo
        .put(&Float {
            part: "f".into(),
            x: f64::NAN,
        })
        .await
        .unwrap_err();
    assert_too_wide(&err, "Float", "SK", "x", "NaN");
}

#[tokio::test]
async fn chrono_date_times_sort_by_instant() {
    let repo = fresh_repository::<Stamp>().await;
    let mut rng = Rng(0x5eed_0003);
    // Whole seconds beside fractions: plain RFC 3339 sorts `…:00Z` after `…:00.5Z`.
    let base = Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap();
    let earliest = Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap();
    let latest = DateTime::from_timestamp(253_402_300_799, 999_999_999).unwrap();
    let edges = [
        earliest,
        latest,
        base,
        base + chrono::Duration::nanoseconds(1),
        base + chrono::Duration::milliseconds(500),
    ];
    let values = distinct(&edges, || {
        let seconds = (rng.next() % 253_402_300_800) as i64 - 62_167_219_200;
        let nanos = match rng.next() % 3 {
            0 => 0,
            1 => (rng.next() % 1_000) as u32 * 1_000_000,
            _ => (rng.next() % 1_000_000_000) as u32,
        };
        DateTime::from_timestamp(seconds, nanos).unwrap()
    });
    let ranges = ranges(
        &values,
        &[
            (base, base + chrono::Duration::seconds(1)),
            (earliest, latest),
        ],
        &mut rng,
    );
    check_order(
        &repo,
        Stamp::pk("t"),
        &values,
        |&at| Stamp {
            part: "t".into(),
            at,
        },
        |e| e.at,
        |&at| Stamp::sk(at),
        &ranges,
    )
    .await;
    assert_eq!(Stamp::sk(base), "AT#2026-12-03T10:00:00.000000000Z");
}

#[tokio::test]
async fn time_date_times_sort_by_instant_whatever_their_offset() {
    let repo = fresh_repository::<Moment>().await;
    let mut rng = Rng(0x5eed_0004);
    // Instants of years 0001 to 9998, so every offset keeps the UTC year in range.
    let values = distinct(&[], || {
        let seconds = (rng.next() % 315_400_000_000) as i64 - 62_135_596_800 + 86_400;
        let nanos = (rng.next() % 1_000_000_000) as u32;
        let offset =
            time::UtcOffset::from_whole_seconds((rng.next() % 100_000) as i32 - 50_000).unwrap();
        OffsetDateTime::from_unix_timestamp_nanos(
            i128::from(seconds) * 1_000_000_000 + i128::from(nanos),
        )
        .unwrap()
        .to_offset(offset)
    });
    let ranges = ranges(&values, &[], &mut rng);
    check_order(
        &repo,
        Moment::pk("m"),
        &values,
        |&at| Moment {
            part: "m".into(),
            at,
        },
        |e| e.at,
        |&at| Moment::sk(at),
        &ranges,
    )
    .await;
}

#[tokio::test]
async fn an_explicit_width_sorts_and_refuses_what_does_not_fit() {
    let repo = fresh_repository::<Narrow>().await;
    let mut rng = Rng(0x5eed_0005);
    let values = distinct(&[-1_000_000, -1, 0, 999_999], || {
        (rng.next() % 2_000_000) as i32 - 1_000_000
    });
    let ranges = ranges(&values, &[(-10, 10), (-1_000_000, 999_999)], &mut rng);
    // The sort key is `W#<n>#<tag>`: a range over `n` spans every tag of
    // its bounds, the low bound from the empty tag, the high one from `~`.
    check_order(
        &repo,
        Narrow::pk("w"),
        &values,
        |&n| Narrow {
            part: "w".into(),
            n,
            tag: format!("t{}", n.rem_euclid(7)),
        },
        |e| e.n,
        |&n| Narrow::sk_prefix_n(n),
        &[],
    )
    .await;
    for (low, high) in &ranges {
        let expected: Vec<i32> = values
            .iter()
            .filter(|v| low <= *v && *v <= high)
            .copied()
            .collect();
        let found: Vec<i32> = repo
            .query(Narrow::pk("w"))
            .sort_key(|k| k.between(Narrow::sk_prefix_n(*low), Narrow::sk(*high, "~")))
            .all()
            .await
            .unwrap()
            .iter()
            .map(|e| e.n)
            .collect();
        assert_eq!(found, expected, "between {low} and {high}");
    }
    assert_eq!(Narrow::sk(-1, "a"), "W#-999999#a");
    assert_eq!(Narrow::sk(42, "a"), "W#000042#a");

    // Too wide: refused before sending, naming entity, attribute and field.
    for n in [1_000_000, -1_000_001, i32::MAX, i32::MIN] {
        let too_wide = Narrow {
            part: "w".into(),
            n,
            tag: "x".into(),
        };
        let err = repo.put(&too_wide).await.unwrap_err();
        assert_too_wide(&err, "Narrow", "SK", "n", &n.to_string());
        let err = repo.get(Narrow::key("w", n, "x")).await.unwrap_err();
        assert_too_wide(&err, "Narrow", "SK", "n", &n.to_string());
        let err = repo
            .query(Narrow::pk("w"))
            .sort_key(|k| k.between(Narrow::sk_prefix_n(0), Narrow::sk(n, "x")))
            .all()
            .await
            .unwrap_err();
        assert_too_wide(&err, "Narrow", "SK", "n", &n.to_string());
    }
    let err = repo
        .batch_put(&[Narrow {
            part: "w".into(),
            n: 1_000_000,
            tag: "x".into(),
        }])
        .skip_entity_type_check()
        .await
        .unwrap_err();
    assert_too_wide(&err, "Narrow", "SK", "n", "1000000");
    assert_eq!(
        repo.query(Narrow::pk("w")).count().await.unwrap(),
        N as u64,
        "nothing too wide was written"
    );
}

#[tokio::test]
async fn a_date_time_outside_years_0000_to_9999_is_refused() {
    let repo = fresh_repository::<Stamp>().await;
    let at = Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap();
    let err = repo
        .put(&Stamp {
            part: "t".into(),
            at,
        })
        .await
        .unwrap_err();
    assert_too_wide(&err, "Stamp", "SK", "at", "10000");
    let before = Utc.with_ymd_and_hms(-1, 12, 31, 0, 0, 0).unwrap();
    let err = repo.get(Stamp::key("t", before)).await.unwrap_err();
    assert_too_wide(&err, "Stamp", "SK", "at", "-0001");
    assert_eq!(repo.query(Stamp::pk("t")).count().await.unwrap(), 0);
}

#[tokio::test]
async fn an_update_rebuilds_a_sortable_index_key_from_the_decoded_table_key() {
    let jobs = fresh_repository::<Job>().await;
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut rng = Rng(0x5eed_0006);
    let seqs = distinct(&[i64::MIN, -1, 0, i64::MAX], || rng.signed());
    let seqs = &seqs[..40];
    for &seq in seqs {
        jobs.put(&Job {
            queue: "q".into(),
            seq,
            due: start,
            priority: 1,
        })
        .await
        .unwrap();
    }
    // New due times in an order unrelated to `seq`, some with fractions.
    let f = Job::fields();
    let mut expected: Vec<(DateTime<Utc>, i64)> = Vec::new();
    for &seq in seqs {
        let due = start + chrono::Duration::milliseconds((rng.next() % 100_000) as i64 * 500);
        jobs.update(Job::key("q", seq))
            .set(&f.due, due)
            .await
            .unwrap();
        expected.push((due, seq));
    }
    expected.sort();
    let by_due: Vec<(DateTime<Utc>, i64)> = jobs
        .query_index(Job::indexes().by_due, Job::by_due_pk("q"))
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|j| (j.due, j.seq))
        .collect();
    assert_eq!(by_due, expected, "the rebuilt index keys sort by due time");

    // An update whose rebuilt index key does not fit is refused whole.
    let err = jobs
        .update(Job::key("q", seqs[0]))
        .set(&f.priority, 10u16)
        .await
        .unwrap_err();
    assert_too_wide(&err, "Job", "GSI2PK", "priority", "10");
    let job = jobs.get(Job::key("q", seqs[0])).await.unwrap().unwrap();
    assert_eq!(job.priority, 1, "nothing was written");
    let by_priority = jobs
        .query_index(Job::indexes().by_priority, Job::by_priority_pk(1))
        .all()
        .await
        .unwrap();
    let mut sorted = seqs.to_vec();
    sorted.sort();
    assert_eq!(
        by_priority.iter().map(|j| j.seq).collect::<Vec<_>>(),
        sorted
    );
}

fn assert_too_wide(err: &Error, entity: &str, attribute: &str, field: &str, value: &str) {
    let v = err
        .as_validation()
        .unwrap_or_else(|| panic!("not a validation error: {err:?}"));
    assert_eq!(v.kind, ValidationErrorKind::KeyPartTooWide, "{v:?}");
    assert_eq!(v.entity, Some(entity));
    assert_eq!(v.attribute.as_deref(), Some(attribute));
    assert!(v.message.contains(&format!("field `{field}`")), "{v:?}");
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains(value), "the value is not shown: {shown}");
        assert!(!shown.contains('\u{0}'), "no marker text: {shown}");
    }
}
