//! Webhook deliveries: the documented envelope and `PAYPAL-*` headers, signed with a key only the
//! sandbox holds, so only its own verify-webhook-signature endpoint can vouch for a delivery.

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub(crate) const AUTH_ALGO: &str = "SHA256withRSA";

/// The envelope PayPal posts: `id`, `event_version`, `create_time`, `resource_type`, `event_type`,
/// `summary`, `resource`, `links`.
pub(crate) fn envelope(
    event_id: &str,
    event_type: &str,
    resource: Value,
    now: &str,
    base_url: &str,
) -> Value {
    json!({
        "id": event_id,
        "event_version": "1.0",
        "create_time": now,
        "resource_type": resource_type(event_type),
        "resource_version": "2.0",
        "event_type": event_type,
        "summary": summary(event_type),
        "resource": resource,
        "links": [
            {
                "href": format!("{base_url}/v1/notifications/webhooks-events/{event_id}"),
                "rel": "self",
                "method": "GET",
            },
            {
                "href": format!("{base_url}/v1/notifications/webhooks-events/{event_id}/resend"),
                "rel": "resend",
                "method": "POST",
            },
        ],
    })
}

fn resource_type(event_type: &str) -> &'static str {
    match event_type.split('.').take(2).collect::<Vec<_>>().as_slice() {
        ["INVOICING", _] => "invoices",
        ["BILLING", "SUBSCRIPTION"] => "subscription",
        ["CUSTOMER", "DISPUTE"] => "dispute",
        ["PAYMENT", "SALE"] => "sale",
        ["PAYMENT", "CAPTURE"] => "capture",
        _ => "resource",
    }
}

fn summary(event_type: &str) -> String {
    match event_type {
        "INVOICING.INVOICE.PAID" => "An invoice was paid".to_owned(),
        "INVOICING.INVOICE.CREATED" => "An invoice was created".to_owned(),
        "INVOICING.INVOICE.CANCELLED" => "An invoice was cancelled".to_owned(),
        "INVOICING.INVOICE.REFUNDED" => "An invoice was refunded".to_owned(),
        "BILLING.SUBSCRIPTION.SUSPENDED" => "Subscription suspended".to_owned(),
        "BILLING.SUBSCRIPTION.PAYMENT.FAILED" => "Subscription payment failed".to_owned(),
        "CUSTOMER.DISPUTE.CREATED" => "A new dispute opened".to_owned(),
        "PAYMENT.SALE.COMPLETED" => "Payment completed".to_owned(),
        "PAYMENT.SALE.REFUNDED" => "A sale was refunded".to_owned(),
        other => format!("{other} occurred"),
    }
}

/// The signature over `transmission_id|transmission_time|webhook_id|sha256(body)`.
pub(crate) fn sign(
    secret: &[u8],
    transmission_id: &str,
    transmission_time: &str,
    webhook_id: &str,
    body: &[u8],
) -> String {
    let digest = Sha256::digest(body);
    let digest_hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let message = format!("{transmission_id}|{transmission_time}|{webhook_id}|{digest_hex}");
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(message.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

pub(crate) fn cert_url(base_url: &str) -> String {
    format!("{base_url}/v1/notifications/certs/CERT-360caa42-fca2a594-sandbox")
}
