//! Living with a schema that changes (issue 15), against a real server:
//! unknown attributes kept through a read-modify-write (`#[dynamo(extra)]`)
//! per-environment table names and versioned items upgraded on read.

mod extra;
mod schema_version;
mod table_names;
mod table_names_writes;
