//! Content digests: what both adapters compare to skip writing an item that did not change.

use crate::domain::{HealthScore, Insight};
use crate::ports::StoreError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::DateTime;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A short digest of `value`'s JSON (128 bits of SHA-256, base64url).
pub fn digest<T: Serialize + ?Sized>(value: &T) -> Result<String, StoreError> {
    let json = serde_json::to_vec(value)
        .map_err(|e| StoreError::InvalidInput(format!("value does not serialise: {e}")))?;
    let hash = Sha256::digest(&json);
    Ok(URL_SAFE_NO_PAD.encode(&hash[..16]))
}

/// A score's digest ignores when it was computed (see [`HealthScore::same_content_as`]).
pub fn score_digest(score: &HealthScore) -> Result<String, StoreError> {
    let mut content = score.clone();
    content.scored_at = DateTime::UNIX_EPOCH;
    digest(&content)
}

/// An insight's digest ignores its version, which the store itself moves on every write.
pub fn insight_digest(insight: &Insight) -> Result<String, StoreError> {
    let mut content = insight.clone();
    content.version = 0;
    digest(&content)
}
