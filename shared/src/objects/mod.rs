//! Adapters of the [`ObjectStore`](crate::ports::ObjectStore) port (the export bucket): Amazon S3,
//! and an in-memory store for the local runner and tests. `shared/tests/object_store_conformance.rs`
//! runs one suite against both (S3 on moto's server).

mod memory;
mod s3;

pub use memory::{MemoryObjectStore, MEMORY_LINK_SCHEME};
pub use s3::{s3_client, S3ObjectStore, IAM_ACTIONS as S3_IAM_ACTIONS};

use crate::ports::ObjectError;

/// The longest key S3 accepts (bytes of UTF-8).
const MAX_KEY_BYTES: usize = 1024;

/// A key both adapters accept: not empty, at most 1,024 bytes, no leading `/`, no `..` segment and
/// no control characters (one rule, so the memory store refuses what S3 would).
pub(crate) fn check_key(key: &str) -> Result<(), ObjectError> {
    let refuse = |why: &str| Err(ObjectError::InvalidInput(format!("key {key:?} {why}")));
    if key.is_empty() {
        return refuse("is empty");
    }
    if key.len() > MAX_KEY_BYTES {
        return refuse("is longer than 1024 bytes");
    }
    if key.starts_with('/') || key.split('/').any(|segment| segment == "..") {
        return refuse("must be relative, without `..`");
    }
    if key.chars().any(char::is_control) {
        return refuse("holds a control character");
    }
    Ok(())
}

/// A prefix `list_objects` and `delete_prefix` accept: never empty, so no call can reach every
/// tenant's objects at once.
pub(crate) fn check_prefix(prefix: &str) -> Result<(), ObjectError> {
    if prefix.is_empty() {
        return Err(ObjectError::InvalidInput(
            "an empty prefix would name every tenant's objects".to_string(),
        ));
    }
    check_key(prefix)
}

/// S3 presigns GET links for at most 7 days; both adapters hold links to that limit.
pub(crate) const MAX_LINK_SECONDS: i64 = 7 * 24 * 3600;

/// The link's lifetime in seconds, refused when it is not in the future or longer than 7 days.
pub(crate) fn link_lifetime(
    now: chrono::DateTime<chrono::Utc>,
    expires_at: chrono::DateTime<chrono::Utc>,
) -> Result<i64, ObjectError> {
    let seconds = (expires_at - now).num_seconds();
    if !(1..=MAX_LINK_SECONDS).contains(&seconds) {
        return Err(ObjectError::InvalidInput(format!(
            "a download link lives 1 s to 7 days, not {seconds} s"
        )));
    }
    Ok(seconds)
}
