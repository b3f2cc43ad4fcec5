//! Signing webhook deliveries as HubSpot does.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// v3: base64 HMAC-SHA256, keyed by the client secret, over `method + uri + body + timestamp`.
pub fn signature_v3(client_secret: &str, method: &str, uri: &str, body: &[u8], timestamp_ms: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(client_secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(method.as_bytes());
    mac.update(uri.as_bytes());
    mac.update(body);
    mac.update(timestamp_ms.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// v1: hex SHA-256 of `client_secret + body`.
pub fn signature_v1(client_secret: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(client_secret.as_bytes());
    hasher.update(body);
    hex(&hasher.finalize())
}

/// v2: hex SHA-256 of `client_secret + method + uri + body`.
pub fn signature_v2(client_secret: &str, method: &str, uri: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(client_secret.as_bytes());
    hasher.update(method.as_bytes());
    hasher.update(uri.as_bytes());
    hasher.update(body);
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
