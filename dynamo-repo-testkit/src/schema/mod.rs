//! Schema snapshots: a test that fails when a change to an entity would make
//! the items already stored undecodable or change a key format.
//!
//! A table outlives every version of the code that writes it, and nothing in
//! `cargo build` knows what the items in it look like. A snapshot is a file
//! in your repository recording an entity's stored shape (each attribute's
//! name, Rust type, encoding and whether it may be missing; the key schema
//! and key templates; the indexes; the entity type; `schema_version`; the
//! `extra` field), as pretty JSON, so it is reviewed like code:
//!
//! ```rust,no_run
//! // tests/schema.rs of your crate
//! # use dynamo_repo::Entity;
//! # #[derive(Entity)] #[dynamo(table = "users")] struct User { #[dynamo(partition_key)] id: String }
//! // #[test]
//! fn stored_shapes_are_compatible() {
//!     // Compares with tests/snapshots/User.json (written the first time).
//!     dynamo_repo_testkit::schema::assert_snapshot::<User>("tests/snapshots");
//! }
//! ```
//!
//! Relative paths are resolved from the directory the test runs in, which
//! `cargo test` sets to the package's root. No DynamoDB is needed: the check
//! reads only `T::SCHEMA`.
//!
//! # What fails
//!
//! [`Snapshot::compare`] judges every difference between the snapshot (the
//! shape the items are stored in) and the entity now. The test fails on an
//! **incompatible** one, with a diff naming each by attribute (`-` removed,
//! `+` added, `~` changed; there are no stored values in a shape):
//!
//! - an attribute's stored name changed (a field renamed, or `rename_all`
//!   changed, without `#[dynamo(rename = "old")]`);
//! - an attribute's type or encoding changed (`serde`, `binary`, `with`),
//!   or an optional attribute became required;
//! - a required attribute removed (the version in the snapshot, still
//!   running beside the new one or rolled back to, cannot read items written
//!   now) or added without `Option` / `#[dynamo(default)]` (items stored
//!   before lack it);
//! - the table, the key schema, a key template (`pk = "USER#{id}"`) or an
//!   index's keys changed, or the entity type of a single-table entity;
//! - the type of a `#[dynamo(key_only)]` field changed (the templates format
//!   it into the keys, perhaps differently);
//! - `schema_version` lowered or its attribute renamed, or
//!   `oldest_schema_version` raised (items older than it are refused: record
//!   that once a backfill has rewritten them).
//!
//! **Compatible**, the test passes: an optional or defaulted attribute
//! added, a required one made optional, a Rust field renamed keeping its
//! stored name, an index added or removed (or its projection changed), an
//! `extra` field added, and a raised `schema_version` whose upgrades still
//! start at the snapshot's version: then the attribute changes above count
//! as covered by the upgrades (which your tests check), while key, template
//! and index changes stay incompatible, since an upgrade on read does not
//! move an item. Types are compared as written, outside `Option<...>`: a
//! respelled type (`String` as `std::string::String`) or a widening
//! (`u32` to `u64`) is reported, and recorded as below once you have
//! checked it. Nested `#[derive(Attribute)]` types are compared by name
//! only: a change inside one is not seen.
//!
//! # Recording a change
//!
//! | Situation | Default | `CI` set | `DYNAMO_REPO_UPDATE_SNAPSHOTS=1` |
//! |---|---|---|---|
//! | no snapshot yet | written, passes | fails ([`SnapshotError::Missing`]) | written, passes |
//! | same shape | passes | passes | passes (file rewritten if its text differs) |
//! | compatible change | passes, file kept (a note on stderr) | passes, file kept | written, passes |
//! | incompatible change | fails ([`SnapshotError::Incompatible`]) | fails | written, passes (listed on stderr) |
//!
//! So the one command to record a change, compatible or deliberately not,
//! is `DYNAMO_REPO_UPDATE_SNAPSHOTS=1 cargo test`, then commit the changed
//! files. `CI` is judged set when it is non-empty and not `0` or `false`
//! (as most CI services set it), so a snapshot never committed fails there
//! rather than being written into a throwaway checkout. Record compatible
//! changes too: a snapshot left behind the code judges the next change
//! against an older shape.
//!
//! [`check_file`] runs the same check in an explicit [`Mode`] and returns
//! the [`Outcome`] instead of panicking; [`Snapshot::of`] and
//! [`Snapshot::compare`] are the pure parts.

mod compare;
mod snapshot;
#[cfg(test)]
mod tests;

pub use compare::{Change, ChangeKind, Comparison, Subject};
pub use snapshot::{
    AttributeSnapshot, EntityTypeSnapshot, IndexSnapshot, KeyOnlySnapshot, KeySnapshot,
    ProjectionSnapshot, Snapshot, TemplateSnapshot, VersionSnapshot, FORMAT,
};

use dynamo_repo::Entity;
use std::path::{Path, PathBuf};

/// The environment variable that records snapshots (`1`).
pub const UPDATE_ENV: &str = "DYNAMO_REPO_UPDATE_SNAPSHOTS";

/// How [`check_file`] treats a missing or changed snapshot (see the table
/// in the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write a missing snapshot; fail on an incompatible change.
    Check,
    /// Fail on a missing snapshot or an incompatible change.
    Ci,
    /// Write the entity's shape whatever changed.
    Update,
}

impl Mode {
    /// [`Mode::Update`] when `DYNAMO_REPO_UPDATE_SNAPSHOTS` is set (not `0`
    /// or `false`), else [`Mode::Ci`] when `CI` is, else [`Mode::Check`].
    pub fn from_env() -> Mode {
        let set = |name: &str| {
            std::env::var(name).is_ok_and(|v| {
                let v = v.trim();
                !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false")
            })
        };
        if set(UPDATE_ENV) {
            Mode::Update
        } else if set("CI") {
            Mode::Ci
        } else {
            Mode::Check
        }
    }
}

/// What a passing check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The entity has the snapshot's shape.
    Unchanged,
    /// There was no snapshot; it was written.
    Created,
    /// Only compatible changes; the snapshot was left as it was.
    Compatible(Comparison),
    /// The snapshot was rewritten with these changes ([`Mode::Update`]).
    Updated(Comparison),
}

/// Why a check failed.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The entity changed in a way stored items do not survive.
    #[error(
        "schema of `{entity}` is incompatible with its snapshot {}:\n{comparison}If the change is deliberate (no stored item needs the old shape, or a backfill has rewritten them all), record it: run the tests with DYNAMO_REPO_UPDATE_SNAPSHOTS=1 and commit the snapshot.",
        path.display()
    )]
    Incompatible {
        /// The entity's Rust name.
        entity: String,
        /// The snapshot file.
        path: PathBuf,
        /// Every difference, compatible ones too.
        comparison: Comparison,
    },
    /// No snapshot, and [`Mode::Ci`] does not write one.
    #[error(
        "no schema snapshot of `{entity}` at {} (CI is set, so it is not written): run the tests once without CI, or with DYNAMO_REPO_UPDATE_SNAPSHOTS=1, and commit the file",
        path.display()
    )]
    Missing {
        /// The entity's Rust name.
        entity: String,
        /// The snapshot file.
        path: PathBuf,
    },
    /// The snapshot could not be read or written.
    #[error("schema snapshot {}: {source}", path.display())]
    Io {
        /// The snapshot file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The snapshot file is not a snapshot.
    #[error("schema snapshot {} is not valid: {source}", path.display())]
    Invalid {
        /// The snapshot file.
        path: PathBuf,
        /// Where the JSON is wrong.
        source: serde_json::Error,
    },
}

/// The snapshot file of `T` in `dir`: `dir/<Entity>.json`.
pub fn snapshot_path<T: Entity>(dir: impl AsRef<Path>) -> PathBuf {
    dir.as_ref().join(format!("{}.json", T::SCHEMA.entity))
}

/// Checks `T` against its snapshot `dir/<Entity>.json` in the mode the
/// environment says ([`Mode::from_env`]); panics with the diff when it
/// fails. Notes what it wrote or left behind on stderr.
#[track_caller]
pub fn assert_snapshot<T: Entity>(dir: impl AsRef<Path>) {
    assert_snapshot_file::<T>(snapshot_path::<T>(dir));
}

/// [`assert_snapshot`] with the snapshot file named.
#[track_caller]
pub fn assert_snapshot_file<T: Entity>(path: impl AsRef<Path>) {
    let path = path.as_ref();
    let entity = T::SCHEMA.entity;
    match check_file::<T>(path, Mode::from_env()) {
        Ok(Outcome::Unchanged) => {}
        Ok(Outcome::Created) => {
            eprintln!("schema snapshot of `{entity}` written to {}: commit it", path.display());
        }
        Ok(Outcome::Compatible(comparison)) => eprintln!(
            "schema of `{entity}` changed compatibly from its snapshot {}:\n{comparison}record it with DYNAMO_REPO_UPDATE_SNAPSHOTS=1",
            path.display()
        ),
        Ok(Outcome::Updated(comparison)) => eprintln!(
            "schema snapshot of `{entity}` at {} recorded:\n{comparison}",
            path.display()
        ),
        Err(e) => panic!("{e}"),
    }
}

/// Checks `T` against the snapshot at `path` in `mode`, writing it when the
/// mode says so.
pub fn check_file<T: Entity>(path: impl AsRef<Path>, mode: Mode) -> Result<Outcome, SnapshotError> {
    check_snapshot(&Snapshot::of::<T>(), path.as_ref(), mode)
}

/// [`check_file`] of a snapshot already built.
pub fn check_snapshot(now: &Snapshot, path: &Path, mode: Mode) -> Result<Outcome, SnapshotError> {
    let io = |source| SnapshotError::Io {
        path: path.to_owned(),
        source,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if mode == Mode::Ci {
                return Err(SnapshotError::Missing {
                    entity: now.entity.clone(),
                    path: path.to_owned(),
                });
            }
            write(now, path).map_err(io)?;
            return Ok(Outcome::Created);
        }
        Err(e) => return Err(io(e)),
    };
    let stored = Snapshot::from_json(&text).map_err(|source| SnapshotError::Invalid {
        path: path.to_owned(),
        source,
    })?;
    let comparison = stored.compare(now);
    if mode == Mode::Update {
        if text != now.to_json() {
            write(now, path).map_err(io)?;
        }
        return Ok(if comparison.is_empty() {
            Outcome::Unchanged
        } else {
            Outcome::Updated(comparison)
        });
    }
    if !comparison.is_compatible() {
        return Err(SnapshotError::Incompatible {
            entity: now.entity.clone(),
            path: path.to_owned(),
            comparison,
        });
    }
    Ok(if comparison.is_empty() {
        Outcome::Unchanged
    } else {
        Outcome::Compatible(comparison)
    })
}

/// Writes the snapshot through a temporary file renamed over it, so a test
/// reading it meanwhile sees the old text or the new, never a part.
fn write(snapshot: &Snapshot, path: &Path) -> std::io::Result<()> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut temp = path.as_os_str().to_owned();
    temp.push(format!(
        ".{}-{}.tmp",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let temp = PathBuf::from(temp);
    std::fs::write(&temp, snapshot.to_json())?;
    std::fs::rename(&temp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}
