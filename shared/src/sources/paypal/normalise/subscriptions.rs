//! Subscriptions (read by id: the API has no list).

use super::{add_reference, money, parse_time, person_name, touch, PayerBook, PayerIdentity};
use crate::domain::{ConnectionId, PayerRecord, Subscription, SubscriptionStatus};
use crate::sources::paypal::normalise::EmailHasher;
use crate::sources::paypal::wire::WireSubscription;
use chrono::{DateTime, Utc};

/// The domain subscription; `None` (logged) without an id or with an unknown status.
pub fn to_subscription(wire: &WireSubscription) -> Option<Subscription> {
    let id = super::non_empty(wire.id.as_deref())?.to_owned();
    let status_text = wire.status.as_deref().unwrap_or("").trim();
    let Ok(status) = serde_json::from_value::<SubscriptionStatus>(serde_json::Value::String(
        status_text.to_owned(),
    )) else {
        tracing::warn!(subscription = %id, status = %status_text, "PayPal subscription with an unknown status left out");
        return None;
    };
    let billing = wire.billing_info.as_ref();
    let failed = billing.and_then(|b| b.last_failed_payment.as_ref());
    Some(Subscription {
        id,
        status,
        status_changed_at: parse_time(wire.status_update_time.as_deref()),
        failed_payments_count: billing.and_then(|b| b.failed_payments_count).unwrap_or(0),
        last_failed_payment_at: parse_time(failed.and_then(|f| f.time.as_deref())),
        last_failed_reason: failed.and_then(|f| f.reason_code.clone()),
        last_payment_at: parse_time(
            billing
                .and_then(|b| b.last_payment.as_ref())
                .and_then(|p| p.time.as_deref()),
        ),
        next_billing_at: parse_time(billing.and_then(|b| b.next_billing_time.as_deref())),
        outstanding_balance: money(billing.and_then(|b| b.outstanding_balance.as_ref())),
    })
}

/// Groups subscriptions by subscriber (`payer_id`, else hashed email).
pub fn subscription_payers(
    connection_id: &ConnectionId,
    hasher: &EmailHasher,
    subscriptions: &[WireSubscription],
    now: DateTime<Utc>,
) -> Vec<PayerRecord> {
    let mut book = PayerBook::new(connection_id, hasher, now);
    for wire in subscriptions {
        let Some(subscription) = to_subscription(wire) else {
            continue;
        };
        let subscriber = wire.subscriber.as_ref();
        let identity = PayerIdentity {
            account_id: subscriber.and_then(|s| s.payer_id.as_deref()),
            email: subscriber.and_then(|s| s.email_address.as_deref()),
            name: person_name(subscriber.and_then(|s| s.name.as_ref())),
            business_name: None,
        };
        let external_id = book
            .external_id(&identity)
            .unwrap_or_else(|| format!("subscription:{}", subscription.id));
        let Some(record) = book.payer_with_id(external_id, &identity) else {
            continue;
        };
        add_reference(record, wire.custom_id.as_deref());
        touch(
            record,
            parse_time(wire.update_time.as_deref()).or(subscription.status_changed_at),
        );
        super::upsert(&mut record.subscriptions, subscription, |s| s.id.as_str());
    }
    book.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suspended_subscription_with_failed_payments_lands_on_its_subscriber() {
        let body = r#"{"id": "I-BW452GLLEP1G", "plan_id": "P-5ML4271244454362WXNWU5NQ", "status": "SUSPENDED",
          "status_update_time": "2026-05-10T10:00:00Z", "custom_id": "hubspot-company:42",
          "subscriber": {"name": {"given_name": "John", "surname": "Doe"}, "email_address": "customer@example.com",
            "payer_id": "2J6QB8YJQSJRJ"},
          "billing_info": {"outstanding_balance": {"currency_code": "USD", "value": "10.00"},
            "last_payment": {"amount": {"currency_code": "USD", "value": "10.00"}, "time": "2026-04-01T10:00:00Z"},
            "next_billing_time": "2026-06-01T10:00:00Z", "failed_payments_count": 2,
            "last_failed_payment": {"amount": {"currency_code": "USD", "value": "10.00"},
              "time": "2026-05-01T10:00:00Z", "reason_code": "PAYER_CANNOT_PAY"}},
          "update_time": "2026-05-10T10:00:00Z"}"#;
        let wire: WireSubscription = serde_json::from_str(body).unwrap_or_default();
        let connection = ConnectionId::parse("paypal-1").expect("id");
        let payers = subscription_payers(
            &connection,
            &EmailHasher::new(b"k"),
            &[wire, WireSubscription::default()],
            Utc::now(),
        );
        assert_eq!(payers.len(), 1);
        let payer = &payers[0];
        assert_eq!(payer.external_id, "2J6QB8YJQSJRJ");
        assert_eq!(payer.name.as_deref(), Some("John Doe"));
        assert_eq!(payer.reference_ids, vec!["hubspot-company:42".to_string()]);
        let subscription = &payer.subscriptions[0];
        assert_eq!(subscription.status, SubscriptionStatus::Suspended);
        assert_eq!(subscription.failed_payments_count, 2);
        assert_eq!(
            subscription.last_failed_reason.as_deref(),
            Some("PAYER_CANNOT_PAY")
        );
        assert_eq!(
            subscription.outstanding_balance.as_ref().map(|m| m.value),
            Some(10.0)
        );
    }
}
