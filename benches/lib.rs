//! Criterion benchmarks of dynamo-repo live in this package (see `mapping.rs`).
