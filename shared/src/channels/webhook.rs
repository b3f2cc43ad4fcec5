//! Signed webhooks to any HTTPS endpoint, as the Standard Webhooks specification describes: a JSON
//! body `{type, timestamp, data}`, and the headers `webhook-id`, `webhook-timestamp` (Unix seconds)
//! and `webhook-signature` = `v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), where the
//! key is the bytes the channel's `whsec_<base64>` secret encodes. Any Standard Webhooks library
//! verifies them.

use crate::domain::{AlertChange, AlertItem, AlertMessage};
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const WEBHOOK_ID: &str = "webhook-id";
pub const WEBHOOK_TIMESTAMP: &str = "webhook-timestamp";
pub const WEBHOOK_SIGNATURE: &str = "webhook-signature";
/// A digest body carries at most this many items (`data.more` counts the rest).
pub const MAX_ITEMS: usize = 500;

/// The event type a receiver routes on.
pub fn event_type(message: &AlertMessage) -> &'static str {
    if message.test {
        return "alert.test";
    }
    match (message.digest, message.items.as_slice()) {
        (false, [item]) => match item.change {
            AlertChange::Health { .. } => "client.health_changed",
            AlertChange::InsightOpened { .. } => "insight.opened",
        },
        _ => "alert.digest",
    }
}

/// The JSON body; `now` is the moment the message is sent.
pub fn render(message: &AlertMessage, now: DateTime<Utc>) -> Value {
    let shown = message.items.len().min(MAX_ITEMS);
    let items: &[AlertItem] = &message.items[..shown];
    let mut data = json!({
        "tenant_id": message.tenant_id,
        "rule_id": message.rule_id,
        "rule_name": message.rule_name,
        "digest": message.digest,
        "test": message.test,
        "items": items,
        "more": message.items.len() - shown,
    });
    if let Some(dashboard) = &message.dashboard_url {
        data["dashboard_url"] = json!(dashboard);
    }
    json!({
        "type": event_type(message),
        "timestamp": now.to_rfc3339_opts(SecondsFormat::Secs, true),
        "data": data,
    })
}

/// The `webhook-id` of a message: the same for every attempt to send the same message to the same
/// channel (the specification's idempotency key), different for anything else.
pub fn message_id(channel_key: &str, message: &AlertMessage) -> String {
    let mut hasher = Sha256::new();
    hasher.update(channel_key.as_bytes());
    hasher.update([0]);
    hasher.update(serde_json::to_vec(message).unwrap_or_default());
    let digest = hasher.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("msg_{hex}")
}

/// The headers of a signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
}

/// Signs `body` for `key` as the specification says.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> SignedHeaders {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    SignedHeaders {
        id: id.to_string(),
        timestamp: timestamp.to_string(),
        signature: format!("v1,{signature}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example in the specification's repository: key `whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw`,
    /// id `msg_p5jXN8AQM9LWM0D4loKWxJek`, timestamp 1614265330, body `{"test": 2432232314}`.
    #[test]
    fn signs_the_specification_example() {
        let key = base64::engine::general_purpose::STANDARD
            .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .unwrap();
        let headers = sign(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(
            headers.signature,
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }
}
