//! The archive bucket: where tenant exports are written and fetched from through short-lived links.
//! S3 on AWS (encrypted, no public access, objects expire by lifecycle); in memory locally and in
//! tests. Every key starts with the tenant's id (`<tenant>/...`), so a tenant's objects can be listed
//! and erased together.

use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("object {0} not found")]
    NotFound(String),
    #[error("invalid object request: {0}")]
    InvalidInput(String),
    #[error("object store unavailable: {0}")]
    Unavailable(String),
}

impl ObjectError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, ObjectError::Unavailable(_))
    }
}

/// A link that fetches one object until it expires, without credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadLink {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

#[async_trait::async_trait]
pub trait ObjectStore: Send + Sync {
    /// Writes (or replaces) the object at `key`.
    async fn put_object(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<(), ObjectError>;
    async fn get_object(&self, key: &str) -> Result<Vec<u8>, ObjectError>;
    /// Keys under `prefix`, in key order.
    async fn list_objects(&self, prefix: &str) -> Result<Vec<String>, ObjectError>;
    /// Deletes every object under `prefix` (none is not an error); returns how many went.
    async fn delete_prefix(&self, prefix: &str) -> Result<u64, ObjectError>;
    /// A link that downloads `key` until `expires_at` (at most 7 days ahead on S3).
    async fn download_link(
        &self,
        key: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<DownloadLink, ObjectError>;
}
