//! PayPal's webhooks: verification through PayPal's own verify-webhook-signature call (with the
//! five `PAYPAL-*` headers, the connection's webhook id and the event exactly as received), and the
//! event's type and resource turned into the references a targeted sync fetches.

use crate::ports::source::PaymentRef;
use crate::sources::paypal::api;
use crate::sources::paypal::client::PaypalClient;
use crate::sources::paypal::error::PaypalError;
use crate::sources::paypal::wire::{VerifySignatureFields, VerifySignatureResponse, WebhookEvent};
use http::HeaderMap;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("the PayPal delivery lacks the {0} header")]
    MissingHeader(&'static str),
    #[error("the PayPal delivery is not an event: {0}")]
    InvalidEvent(String),
    #[error("no PayPal webhook is registered for this connection")]
    NoWebhookId,
    #[error("PayPal did not verify the delivery's signature")]
    NotVerified,
    #[error(transparent)]
    Paypal(#[from] PaypalError),
    /// The connection's client could not be built (its credentials could not be read).
    #[error(transparent)]
    Source(#[from] crate::ports::source::SourceError),
}

/// The five transmission headers PayPal signs a delivery with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransmissionHeaders {
    pub auth_algo: String,
    pub cert_url: String,
    pub transmission_id: String,
    pub transmission_sig: String,
    pub transmission_time: String,
}

impl TransmissionHeaders {
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, WebhookError> {
        let get = |name: &'static str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .ok_or(WebhookError::MissingHeader(name))
        };
        Ok(TransmissionHeaders {
            auth_algo: get("paypal-auth-algo")?,
            cert_url: get("paypal-cert-url")?,
            transmission_id: get("paypal-transmission-id")?,
            transmission_sig: get("paypal-transmission-sig")?,
            transmission_time: get("paypal-transmission-time")?,
        })
    }
}

/// The verify-webhook-signature body: the headers and webhook id as fields, and `webhook_event`
/// spliced in byte for byte as delivered (re-serialising could reorder or drop fields, and PayPal
/// checks the signature over the original).
pub fn verify_body(
    headers: &TransmissionHeaders,
    webhook_id: &str,
    raw_event: &[u8],
) -> Result<Vec<u8>, WebhookError> {
    let event: serde_json::Value =
        serde_json::from_slice(raw_event).map_err(|e| WebhookError::InvalidEvent(e.to_string()))?;
    if !event.is_object() {
        return Err(WebhookError::InvalidEvent("not a JSON object".into()));
    }
    let fields = VerifySignatureFields {
        auth_algo: &headers.auth_algo,
        cert_url: &headers.cert_url,
        transmission_id: &headers.transmission_id,
        transmission_sig: &headers.transmission_sig,
        transmission_time: &headers.transmission_time,
        webhook_id,
    };
    let mut body =
        serde_json::to_vec(&fields).map_err(|e| WebhookError::InvalidEvent(e.to_string()))?;
    // `fields` serialises to an object: replace its closing brace with the event.
    body.pop();
    body.extend_from_slice(b",\"webhook_event\":");
    body.extend_from_slice(raw_event);
    body.push(b'}');
    Ok(body)
}

/// Asks PayPal whether the delivery is genuine: `Ok(())` on `SUCCESS`, `NotVerified` otherwise.
pub async fn verify(
    client: &PaypalClient,
    headers: &TransmissionHeaders,
    webhook_id: &str,
    raw_event: &[u8],
) -> Result<(), WebhookError> {
    let body = verify_body(headers, webhook_id, raw_event)?;
    let answer: VerifySignatureResponse = client
        .post_bytes(api::VERIFY_WEBHOOK_SIGNATURE, &[], body)
        .await?;
    match answer.verification_status.as_deref() {
        Some("SUCCESS") => Ok(()),
        other => {
            tracing::warn!(status = ?other, transmission_id = %headers.transmission_id,
                "PayPal refused a webhook delivery's signature");
            Err(WebhookError::NotVerified)
        }
    }
}

/// A delivered event, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedEvent {
    /// PayPal's event id (for de-duplication).
    pub id: Option<String>,
    pub event_type: String,
    /// What a targeted sync fetches; empty for event types we do not sync.
    pub refs: Vec<PaymentRef>,
    /// Whether the event type is one we sync. Others are acknowledged and ignored.
    pub recognised: bool,
}

/// Reads an event's type and resource into references. Unknown types are not errors.
pub fn parse_event(raw_event: &[u8]) -> Result<ParsedEvent, WebhookError> {
    let event: WebhookEvent =
        serde_json::from_slice(raw_event).map_err(|e| WebhookError::InvalidEvent(e.to_string()))?;
    let event_type = event
        .event_type
        .clone()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| WebhookError::InvalidEvent("no event_type".into()))?;
    let resource = event.resource.unwrap_or(serde_json::Value::Null);
    let text = |value: &serde_json::Value, name: &str| {
        value
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let mut refs = Vec::new();
    let recognised = if event_type.starts_with("INVOICING.INVOICE.") {
        // Invoicing v2 wraps the invoice (`resource.invoice`); older events carry it directly.
        let invoice = resource.get("invoice").unwrap_or(&resource);
        refs.extend(text(invoice, "id").map(PaymentRef::Invoice));
        true
    } else if event_type.starts_with("BILLING.SUBSCRIPTION.") {
        refs.extend(text(&resource, "id").map(PaymentRef::Subscription));
        true
    } else if event_type.starts_with("PAYMENT.SALE.") || event_type.starts_with("PAYMENT.CAPTURE.")
    {
        refs.extend(text(&resource, "id").map(PaymentRef::Transaction));
        // A sale of a subscription names it: its status and failed payments change too.
        refs.extend(text(&resource, "billing_agreement_id").map(PaymentRef::Subscription));
        true
    } else if event_type.starts_with("CUSTOMER.DISPUTE.") {
        refs.extend(
            text(&resource, "dispute_id")
                .or_else(|| text(&resource, "id"))
                .map(PaymentRef::Dispute),
        );
        true
    } else {
        false
    };
    Ok(ParsedEvent {
        id: event.id.filter(|id| !id.trim().is_empty()),
        event_type,
        refs,
        recognised,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("PAYPAL-AUTH-ALGO", "SHA256withRSA"),
            ("PAYPAL-CERT-URL", "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42"),
            ("PAYPAL-TRANSMISSION-ID", "69cd13f0-d67a-11e5-baa3-778b53f4ae55"),
            ("PAYPAL-TRANSMISSION-SIG", "lmI95Jx3Y9nhR5SJWlHVIWpg4AgFk7n9bCHSRxbrd8A9zrhdu2rMyFrmz+Zjh3s3boXB07VXCXUZy/UFzUlnGJn0wDugt7FlSvdKeIJenLRemUxYCPVoEZzg9VFNqOa48gMkvF+XTpxBeUx/kWy6B5cp7GkT2+pOowfRK7OaynuxUoKW3JcMWw272VKjLTtTAShncla7tGF+55rxyt2KNZIIqxNMJ48RDZheGU5w1npu9dZHnPgTXB9iomeVRoD8O/jhRpnKsGrDschyNdkeh81BJJMH4Ctc6lnCCquoP/GzCzz33MMsNdid7vL/NIWaCsekQpW26FpWPi/tfj8nLA=="),
            ("PAYPAL-TRANSMISSION-TIME", "2016-02-18T20:01:35Z"),
        ] {
            headers.insert(name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn the_verify_body_carries_the_five_headers_the_webhook_id_and_the_event_byte_for_byte() {
        let transmission = TransmissionHeaders::from_headers(&headers()).expect("five headers");
        let raw = br#"{"id":"8PT597110X687430LKGECATA","event_type":"PAYMENT.SALE.COMPLETED", "resource":{"id":"2DC87612EK520411B","amount":{"total":"7.47"}},"zz":1,"aa":2}"#;
        let body = verify_body(&transmission, "1JE4291016473214C", raw).expect("a body");
        let text = String::from_utf8(body.clone()).expect("utf-8");
        assert!(
            text.contains(std::str::from_utf8(raw).expect("utf-8")),
            "{text}"
        );
        let parsed: serde_json::Value = serde_json::from_slice(&body).expect("valid JSON");
        assert_eq!(parsed["webhook_id"], "1JE4291016473214C");
        assert_eq!(parsed["auth_algo"], "SHA256withRSA");
        assert_eq!(
            parsed["transmission_id"],
            "69cd13f0-d67a-11e5-baa3-778b53f4ae55"
        );
        assert_eq!(parsed["transmission_time"], "2016-02-18T20:01:35Z");
        assert_eq!(parsed["webhook_event"]["zz"], 1);
        assert!(matches!(
            verify_body(&transmission, "W", b"[1,2]"),
            Err(WebhookError::InvalidEvent(_))
        ));
        let mut missing = headers();
        missing.remove("PAYPAL-TRANSMISSION-SIG");
        assert!(matches!(
            TransmissionHeaders::from_headers(&missing),
            Err(WebhookError::MissingHeader("paypal-transmission-sig"))
        ));
    }

    fn refs(raw: &str) -> ParsedEvent {
        parse_event(raw.as_bytes()).expect("an event")
    }

    #[test]
    fn event_types_become_references_and_unknown_ones_are_ignored() {
        let invoice = refs(
            r#"{"id":"WH-1","event_type":"INVOICING.INVOICE.PAID","resource":{"invoice":{"id":"INV2-ABCD"}}}"#,
        );
        assert_eq!(invoice.refs, vec![PaymentRef::Invoice("INV2-ABCD".into())]);
        assert_eq!(invoice.id.as_deref(), Some("WH-1"));
        let subscription = refs(
            r#"{"event_type":"BILLING.SUBSCRIPTION.SUSPENDED","resource":{"id":"I-BW452GLLEP1G"}}"#,
        );
        assert_eq!(
            subscription.refs,
            vec![PaymentRef::Subscription("I-BW452GLLEP1G".into())]
        );
        let sale = refs(
            r#"{"event_type":"PAYMENT.SALE.COMPLETED","resource":{"id":"80021663DE681814L","billing_agreement_id":"I-1"}}"#,
        );
        assert_eq!(
            sale.refs,
            vec![
                PaymentRef::Transaction("80021663DE681814L".into()),
                PaymentRef::Subscription("I-1".into())
            ]
        );
        let capture = refs(
            r#"{"event_type":"PAYMENT.CAPTURE.REFUNDED","resource":{"id":"7TK53561YB803214S"}}"#,
        );
        assert_eq!(
            capture.refs,
            vec![PaymentRef::Transaction("7TK53561YB803214S".into())]
        );
        let dispute = refs(
            r#"{"event_type":"CUSTOMER.DISPUTE.CREATED","resource":{"dispute_id":"PP-D-4012"}}"#,
        );
        assert_eq!(dispute.refs, vec![PaymentRef::Dispute("PP-D-4012".into())]);
        let unknown = refs(
            r#"{"event_type":"CHECKOUT.ORDER.APPROVED","resource":{"id":"5O190127TN364715T"}}"#,
        );
        assert!(!unknown.recognised && unknown.refs.is_empty());
        assert!(matches!(
            parse_event(b"{}"),
            Err(WebhookError::InvalidEvent(_))
        ));
        assert!(matches!(
            parse_event(b"not json"),
            Err(WebhookError::InvalidEvent(_))
        ));
    }
}
