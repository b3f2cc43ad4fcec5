//! Pax8's webhook deliveries: no signature is documented, only the `Authorization` header value
//! chosen when the webhook was created (the connection's `webhook_secret`), compared in constant
//! time; and the body (the spec's `WebhookPayload`) read for the companies it names.

use crate::ports::source::VerifiedWebhook;
use http::HeaderMap;
use serde_json::Value;
use subtle::ConstantTimeEq;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebhookError {
    #[error("the Pax8 delivery lacks the Authorization header")]
    MissingAuthorization,
    #[error("the Pax8 delivery's Authorization header is not the connection's webhook secret")]
    WrongAuthorization,
    #[error("the connection has no webhook secret")]
    NoSecret,
    #[error("the Pax8 delivery is not an event: {0}")]
    InvalidEvent(String),
}

/// Whether `headers` carry `secret` as their `Authorization` value (constant time).
pub fn check_authorization(headers: &HeaderMap, secret: &str) -> Result<(), WebhookError> {
    if secret.is_empty() {
        return Err(WebhookError::NoSecret);
    }
    let sent = headers
        .get(http::header::AUTHORIZATION)
        .ok_or(WebhookError::MissingAuthorization)?;
    if bool::from(sent.as_bytes().ct_eq(secret.as_bytes())) {
        Ok(())
    } else {
        Err(WebhookError::WrongAuthorization)
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The event of a delivery: its id (the line item's `payloadData.id`, else a top-level `id`, else
/// the webhook id and send time, which a redelivery repeats), its topic and action, and the
/// companies it names (`companyId` of the payload data, or `companyIds`).
pub fn parse_event(body: &[u8]) -> Result<VerifiedWebhook, WebhookError> {
    let event: Value =
        serde_json::from_slice(body).map_err(|e| WebhookError::InvalidEvent(e.to_string()))?;
    if !event.is_object() {
        return Err(WebhookError::InvalidEvent("not a JSON object".into()));
    }
    let data = event.get("payloadData").filter(|d| d.is_object());
    let event_id = text(data.and_then(|d| d.get("id")))
        .or_else(|| text(event.get("id")))
        .or_else(|| {
            let webhook = text(event.get("webhookId"))?;
            let sent = text(event.get("sentAt"))?;
            Some(format!("{webhook}:{sent}"))
        })
        .ok_or_else(|| WebhookError::InvalidEvent("the event has no id".into()))?;
    let topic = text(event.get("webhookTopic").and_then(|t| t.get("topic")))
        .or_else(|| text(event.get("topic")))
        .unwrap_or_else(|| "UNKNOWN".into());
    let action =
        text(data.and_then(|d| d.get("action"))).or_else(|| text(data.and_then(|d| d.get("type"))));
    let event_type = match action {
        Some(action) => format!("{topic}/{action}"),
        None => topic,
    };
    let mut account_ids: Vec<String> = Vec::new();
    for source in [data, Some(&event)].into_iter().flatten() {
        let single = text(source.get("companyId"));
        let many = source
            .get("companyIds")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| text(Some(v)));
        for id in single.into_iter().chain(many) {
            if !account_ids.contains(&id) {
                account_ids.push(id);
            }
        }
    }
    Ok(VerifiedWebhook {
        event_id,
        event_type,
        refs: Vec::new(),
        account_ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorization_must_be_the_secret_exactly() {
        let mut headers = HeaderMap::new();
        assert_eq!(
            check_authorization(&headers, "s3cret"),
            Err(WebhookError::MissingAuthorization)
        );
        headers.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_static("s3cre"),
        );
        assert_eq!(
            check_authorization(&headers, "s3cret"),
            Err(WebhookError::WrongAuthorization)
        );
        headers.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_static("s3cret"),
        );
        assert_eq!(check_authorization(&headers, "s3cret"), Ok(()));
        assert_eq!(
            check_authorization(&headers, ""),
            Err(WebhookError::NoSecret)
        );
    }

    #[test]
    fn reads_the_companies_and_falls_back_for_the_event_id() {
        let body = br#"{"webhookId":"w-1","sentAt":"2026-11-30T10:00:00Z","webhookTopic":{"topic":"SUBSCRIPTION"},"payloadData":{"type":"Change","companyId":"c-1","companyIds":["c-2","c-1"]}}"#;
        let event = parse_event(body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(event.event_id, "w-1:2026-11-30T10:00:00Z");
        assert_eq!(event.event_type, "SUBSCRIPTION/Change");
        assert_eq!(event.account_ids, ["c-1", "c-2"]);
        assert!(matches!(
            parse_event(b"[1]"),
            Err(WebhookError::InvalidEvent(_))
        ));
        assert!(matches!(
            parse_event(b"{}"),
            Err(WebhookError::InvalidEvent(_))
        ));
    }
}
