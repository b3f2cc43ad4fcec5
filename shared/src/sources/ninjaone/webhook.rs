//! NinjaOne webhooks: registration (`PUT /v2/webhook`, with our secret as a custom header: NinjaOne
//! signs nothing) and verification of a delivery (the header compared in constant time with the
//! connection's secret), reading the organisation(s) the activity is about.

use crate::ports::source::VerifiedWebhook;
use crate::sources::ninjaone::settings::WEBHOOK_SECRET_HEADER;
use crate::sources::ninjaone::wire;
use serde_json::Value;
use std::collections::BTreeMap;
use subtle::ConstantTimeEq;

/// Activities the webhook asks for: conditions triggering and resetting (alerts opening and
/// closing) and devices added or removed, by the spec's activity type and status codes. Which
/// filter shape NinjaOne expects (`activities` is a map of lists) is unconfirmed.
pub fn activity_filter() -> BTreeMap<String, Vec<String>> {
    BTreeMap::from([
        (
            "CONDITION".to_owned(),
            vec!["TRIGGERED".to_owned(), "RESET".to_owned()],
        ),
        (
            "SYSTEM".to_owned(),
            vec!["NODE_CREATED".to_owned(), "NODE_DELETED".to_owned()],
        ),
    ])
}

/// The configuration registered for a connection: deliveries to `url` carrying `secret` in
/// [`WEBHOOK_SECRET_HEADER`], devices expanded so an activity names its organisation.
pub fn configuration(url: &str, secret: &str) -> wire::WebhookConfiguration {
    wire::WebhookConfiguration {
        url: url.to_owned(),
        activities: activity_filter(),
        expand: vec!["device".to_owned()],
        headers: vec![wire::HttpHeader {
            name: WEBHOOK_SECRET_HEADER.to_owned(),
            value: secret.to_owned(),
        }],
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the delivery does not carry the connection's webhook secret")]
    NotAuthentic,
    #[error("the connection has no webhook secret")]
    NoSecret,
    #[error("the delivery is no NinjaOne activity: {0}")]
    InvalidActivity(String),
}

/// Whether `headers` carry `secret` in [`WEBHOOK_SECRET_HEADER`] (constant-time comparison).
pub fn carries_secret(headers: &http::HeaderMap, secret: &str) -> bool {
    let Some(given) = headers.get(WEBHOOK_SECRET_HEADER) else {
        return false;
    };
    !secret.is_empty() && bool::from(given.as_bytes().ct_eq(secret.as_bytes()))
}

/// Checks the secret, then reads the activity: its id (the event id; redeliveries repeat it), its
/// type and status, and the organisation(s) it names (`organizationId`, `device.organizationId`,
/// `organization.id`); an activity naming none yields no account ids.
pub fn verify(
    headers: &http::HeaderMap,
    body: &[u8],
    secret: Option<&str>,
) -> Result<VerifiedWebhook, WebhookError> {
    let secret = secret
        .filter(|s| !s.is_empty())
        .ok_or(WebhookError::NoSecret)?;
    if !carries_secret(headers, secret) {
        return Err(WebhookError::NotAuthentic);
    }
    let activity: wire::Activity = serde_json::from_slice(body)
        .map_err(|_| WebhookError::InvalidActivity("not a JSON activity".into()))?;
    let event_id = match &activity.id {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        _ => {
            return Err(WebhookError::InvalidActivity(
                "the activity has no id".into(),
            ))
        }
    };
    let mut account_ids: Vec<String> = Vec::new();
    let named = [
        activity.organization_id,
        activity
            .device
            .get("organizationId")
            .and_then(Value::as_u64),
        activity.organization.get("id").and_then(Value::as_u64),
    ];
    for id in named.into_iter().flatten() {
        let id = id.to_string();
        if !account_ids.contains(&id) {
            account_ids.push(id);
        }
    }
    let event_type = [activity.activity_type, activity.status_code]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(".");
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

    fn headers(secret: &str) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            WEBHOOK_SECRET_HEADER,
            http::HeaderValue::from_str(secret).expect("header"),
        );
        headers
    }

    #[test]
    fn a_delivery_with_the_secret_names_its_organisation() {
        let body = br#"{"id":901,"activityType":"CONDITION","statusCode":"TRIGGERED","device":{"id":5,"organizationId":7}}"#;
        let verified = verify(&headers("s3cret"), body, Some("s3cret")).expect("verified");
        assert_eq!(verified.event_id, "901");
        assert_eq!(verified.event_type, "CONDITION.TRIGGERED");
        assert_eq!(verified.account_ids, ["7"]);
    }

    #[test]
    fn wrong_or_missing_secrets_and_bad_bodies_are_refused() {
        let body = br#"{"id":1}"#;
        assert_eq!(
            verify(&headers("nope"), body, Some("s3cret")),
            Err(WebhookError::NotAuthentic)
        );
        assert_eq!(
            verify(&http::HeaderMap::new(), body, Some("s3cret")),
            Err(WebhookError::NotAuthentic)
        );
        assert_eq!(
            verify(&headers("s3cret"), body, None),
            Err(WebhookError::NoSecret)
        );
        assert!(matches!(
            verify(&headers("s3cret"), b"{}", Some("s3cret")),
            Err(WebhookError::InvalidActivity(_))
        ));
        let no_org = verify(&headers("s3cret"), body, Some("s3cret")).expect("verified");
        assert!(no_org.account_ids.is_empty());
    }

    #[test]
    fn the_registration_carries_the_secret_header_but_debug_does_not_show_it() {
        let config = configuration("https://example.test/hook", "s3cret");
        assert_eq!(config.headers[0].name, WEBHOOK_SECRET_HEADER);
        assert_eq!(config.headers[0].value, "s3cret");
        assert!(!format!("{config:?}").contains("s3cret"));
        assert!(config.activities.contains_key("CONDITION"));
    }
}
