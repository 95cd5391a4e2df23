//! Living with a schema that changes (issue 15), against a real server:
//! unknown attributes kept through a read-modify-write (`#[dynamo(extra)]`)
//! and per-environment table names.

mod extra;
mod table_names;
