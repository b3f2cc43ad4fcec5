//! The export bucket in memory: the local runner and tests. Its download links are
//! `memory://<key>?expires=<unix seconds>&signature=<hex>`: [`MemoryObjectStore::open_link`] checks
//! the signature (a key made at start, never shown) and the expiry, and gives the object, which is
//! how the local runner serves them (`GET /local/objects?link=...`), so a link cannot be forged or
//! used after it expired, as an S3 presigned link.

use super::{check_key, check_prefix, link_lifetime};
use crate::ports::{DownloadLink, ObjectError, ObjectStore};
use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// The scheme of the in-memory store's links.
pub const MEMORY_LINK_SCHEME: &str = "memory://";

#[derive(Debug, Clone)]
struct StoredObject {
    body: Vec<u8>,
    content_type: String,
}

/// Objects in a map, shared by clones.
#[derive(Clone)]
pub struct MemoryObjectStore {
    objects: Arc<Mutex<BTreeMap<String, StoredObject>>>,
    link_key: Arc<[u8; 32]>,
}

impl std::fmt::Debug for MemoryObjectStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The link key stays out of debug output.
        f.debug_struct("MemoryObjectStore").finish_non_exhaustive()
    }
}

impl Default for MemoryObjectStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryObjectStore {
    pub fn new() -> Self {
        Self {
            objects: Arc::default(),
            link_key: Arc::new(rand::random()),
        }
    }

    fn objects(&self) -> MutexGuard<'_, BTreeMap<String, StoredObject>> {
        // A panic while holding the lock leaves the map whole (every change is one insert or
        // remove), so a poisoned lock is still safe to use.
        self.objects.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn signature(&self, key: &str, expires: i64) -> String {
        let mut mac = match Hmac::<Sha256>::new_from_slice(self.link_key.as_ref()) {
            Ok(mac) => mac,
            // HMAC takes a key of any length; this arm cannot run.
            Err(_) => return String::new(),
        };
        mac.update(key.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    /// The object a link of this store names, with its content type, if the link is this store's,
    /// unaltered and not expired at `now`.
    pub fn open_link(
        &self,
        link: &str,
        now: DateTime<Utc>,
    ) -> Result<(Vec<u8>, String), ObjectError> {
        let invalid = || ObjectError::InvalidInput("not a valid download link".to_string());
        let rest = link.strip_prefix(MEMORY_LINK_SCHEME).ok_or_else(invalid)?;
        let (encoded_key, query) = rest.split_once('?').ok_or_else(invalid)?;
        let key = url::form_urlencoded::parse(format!("k={encoded_key}").as_bytes())
            .next()
            .map(|(_, k)| k.into_owned())
            .ok_or_else(invalid)?;
        let params: BTreeMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let expires: i64 = params
            .get("expires")
            .and_then(|e| e.parse().ok())
            .ok_or_else(invalid)?;
        let given = params.get("signature").ok_or_else(invalid)?;
        let expected = self.signature(&key, expires);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            given.as_bytes(),
            expected.as_bytes(),
        )) {
            return Err(invalid());
        }
        if now.timestamp() >= expires {
            return Err(ObjectError::InvalidInput(
                "the download link has expired".to_string(),
            ));
        }
        let found = self
            .objects()
            .get(&key)
            .cloned()
            .ok_or_else(|| ObjectError::NotFound(key.clone()))?;
        Ok((found.body, found.content_type))
    }

    /// The content type an object was written with (tests).
    pub fn content_type(&self, key: &str) -> Option<String> {
        self.objects().get(key).map(|o| o.content_type.clone())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[async_trait::async_trait]
impl ObjectStore for MemoryObjectStore {
    async fn put_object(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<(), ObjectError> {
        check_key(key)?;
        self.objects().insert(
            key.to_string(),
            StoredObject {
                body,
                content_type: content_type.to_string(),
            },
        );
        Ok(())
    }

    async fn get_object(&self, key: &str) -> Result<Vec<u8>, ObjectError> {
        check_key(key)?;
        self.objects()
            .get(key)
            .map(|o| o.body.clone())
            .ok_or_else(|| ObjectError::NotFound(key.to_string()))
    }

    async fn list_objects(&self, prefix: &str) -> Result<Vec<String>, ObjectError> {
        check_prefix(prefix)?;
        Ok(self
            .objects()
            .range(prefix.to_string()..)
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|(key, _)| key.clone())
            .collect())
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<u64, ObjectError> {
        check_prefix(prefix)?;
        let mut objects = self.objects();
        let before = objects.len();
        objects.retain(|key, _| !key.starts_with(prefix));
        Ok((before - objects.len()) as u64)
    }

    async fn download_link(
        &self,
        key: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<DownloadLink, ObjectError> {
        check_key(key)?;
        link_lifetime(now, expires_at)?;
        if !self.objects().contains_key(key) {
            return Err(ObjectError::NotFound(key.to_string()));
        }
        let expires = expires_at.timestamp();
        let encoded_key: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
        let url = format!(
            "{MEMORY_LINK_SCHEME}{encoded_key}?expires={expires}&signature={}",
            self.signature(key, expires)
        );
        Ok(DownloadLink {
            url,
            // Whole seconds, as the link carries them.
            expires_at: Utc.timestamp_opt(expires, 0).single().unwrap_or(expires_at),
        })
    }
}
