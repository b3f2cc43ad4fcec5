//! Transaction Search rows: payments, refunds, reversals, chargebacks and dispute holds.

use super::{add_reference, money, parse_time, person_name, touch, PayerBook, PayerIdentity};
use crate::domain::{ConnectionId, PayerRecord, Payment, PaymentKind, PaymentStatus};
use crate::sources::paypal::normalise::EmailHasher;
use crate::sources::paypal::wire::TransactionDetail;
use chrono::{DateTime, Utc};

/// PayPal's T-codes (transaction event codes) as kinds of payment.
pub fn payment_kind(event_code: &str) -> PaymentKind {
    match event_code {
        "T0002" => PaymentKind::SubscriptionPayment,
        "T1106" => PaymentKind::Reversal,
        "T1107" => PaymentKind::Refund,
        "T1110" => PaymentKind::DisputeHold,
        "T1111" => PaymentKind::DisputeHoldReleased,
        "T1201" => PaymentKind::Chargeback,
        // T00xx: PayPal account-to-account payments (T0000-T0099).
        code if code.starts_with("T00") => PaymentKind::Payment,
        _ => PaymentKind::Other,
    }
}

/// Transaction Search's status letters. An unknown letter is taken as not settled.
pub fn payment_status(letter: &str) -> PaymentStatus {
    match letter.trim() {
        "S" => PaymentStatus::Success,
        "D" => PaymentStatus::Denied,
        "V" => PaymentStatus::Reversed,
        _ => PaymentStatus::Pending,
    }
}

/// What one page of transactions gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TransactionBatch {
    pub payers: Vec<PayerRecord>,
    /// Subscription ids referenced by subscription payments (T0002 `paypal_reference_id`).
    pub subscription_ids: Vec<String>,
    /// Each transaction id with the external id of its payer (to join disputes).
    pub payer_of_transaction: Vec<(String, String)>,
    /// Rows left out: no transaction id, no date, or no payer (the merchant's own movements).
    pub skipped: usize,
}

/// Groups rows by payer. A payment's id is `transaction_id:event_code:updated`, because PayPal's
/// transaction id alone is not unique.
pub fn transaction_payers(
    connection_id: &ConnectionId,
    hasher: &EmailHasher,
    rows: &[TransactionDetail],
    now: DateTime<Utc>,
) -> TransactionBatch {
    let mut book = PayerBook::new(connection_id, hasher, now);
    let mut batch = TransactionBatch::default();
    for row in rows {
        let Some(info) = row.transaction_info.as_ref() else {
            batch.skipped += 1;
            continue;
        };
        let Some(transaction_id) = super::non_empty(info.transaction_id.as_deref()) else {
            batch.skipped += 1;
            continue;
        };
        let code = info.transaction_event_code.as_deref().unwrap_or("").trim();
        let kind = payment_kind(code);
        if kind == PaymentKind::SubscriptionPayment {
            let reference = super::non_empty(info.paypal_reference_id.as_deref());
            let is_subscription = info.paypal_reference_id_type.as_deref() == Some("SUB")
                || reference.is_some_and(|r| r.starts_with("I-"));
            if let Some(reference) = reference.filter(|_| is_subscription) {
                if !batch.subscription_ids.iter().any(|s| s == reference) {
                    batch.subscription_ids.push(reference.to_owned());
                }
            }
        }
        let initiated = parse_time(info.transaction_initiation_date.as_deref());
        let updated = parse_time(info.transaction_updated_date.as_deref());
        let Some(at) = initiated.or(updated) else {
            batch.skipped += 1;
            continue;
        };
        let payer = row.payer_info.as_ref();
        let identity = PayerIdentity {
            account_id: payer.and_then(|p| p.account_id.as_deref()),
            email: payer.and_then(|p| p.email_address.as_deref()),
            name: person_name(payer.and_then(|p| p.payer_name.as_ref())),
            business_name: None,
        };
        let Some(record) = book.payer(&identity) else {
            batch.skipped += 1;
            continue;
        };
        let amount = money(info.transaction_amount.as_ref()).unwrap_or(crate::domain::Money {
            value: 0.0,
            currency: "XXX".into(),
        });
        let stamp = updated.unwrap_or(at).to_rfc3339();
        let payment = Payment {
            id: format!("{transaction_id}:{code}:{stamp}"),
            kind,
            status: payment_status(info.transaction_status.as_deref().unwrap_or("")),
            amount,
            at,
        };
        super::upsert(&mut record.payments, payment, |p| p.id.as_str());
        add_reference(record, info.custom_field.as_deref());
        add_reference(record, info.invoice_id.as_deref());
        touch(record, Some(updated.unwrap_or(at)));
        batch
            .payer_of_transaction
            .push((transaction_id.to_owned(), record.external_id.clone()));
    }
    batch.payers = book.finish();
    batch
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::paypal::wire::TransactionSearch;

    fn rows() -> Vec<TransactionDetail> {
        let body = r#"{"transaction_details": [
          {"transaction_info": {"transaction_id": "5TY05013RG002845M", "transaction_event_code": "T0006",
             "transaction_initiation_date": "2026-07-11T04:03:52+0000", "transaction_updated_date": "2026-07-11T04:03:52+0000",
             "transaction_amount": {"currency_code": "USD", "value": "465.00"}, "transaction_status": "S",
             "invoice_id": "Invoice-005", "custom_field": "hubspot-company:1234"},
           "payer_info": {"account_id": "6STWC2LSUYYYE", "email_address": "Consumer@Example.com",
             "payer_name": {"given_name": "test", "surname": "consumer", "alternate_full_name": "test consumer"}}},
          {"transaction_info": {"transaction_id": "8JM12345AB123456C", "transaction_event_code": "T0002",
             "paypal_reference_id": "I-BW452GLLEP1G", "paypal_reference_id_type": "SUB",
             "transaction_initiation_date": "2026-07-12T10:00:00+0000", "transaction_updated_date": "2026-07-12T10:00:00+0000",
             "transaction_amount": {"currency_code": "USD", "value": "20.00"}, "transaction_status": "D"},
           "payer_info": {"account_id": "6STWC2LSUYYYE"}},
          {"transaction_info": {"transaction_id": "9XY", "transaction_event_code": "T1107",
             "transaction_initiation_date": "2026-07-13T10:00:00Z",
             "transaction_amount": {"currency_code": "USD", "value": "-465.00"}, "transaction_status": "S"},
           "payer_info": {"email_address": "someone@gmail.com"}},
          {"transaction_info": {"transaction_id": "FEE1", "transaction_event_code": "T0400",
             "transaction_initiation_date": "2026-07-13T10:00:00Z", "transaction_status": "S"}},
          {"transaction_info": {"transaction_event_code": "T0006"}}
        ]}"#;
        serde_json::from_str::<TransactionSearch>(body)
            .map(|page| page.transaction_details)
            .unwrap_or_default()
    }

    #[test]
    fn rows_group_by_payer_account_else_by_hashed_email() {
        let connection = ConnectionId::parse("paypal-1").expect("id");
        let hasher = EmailHasher::new(b"k");
        let batch = transaction_payers(&connection, &hasher, &rows(), Utc::now());
        assert_eq!(batch.payers.len(), 2);
        assert_eq!(
            batch.skipped, 2,
            "the fee row has no payer; one row has no id"
        );
        let account = batch
            .payers
            .iter()
            .find(|p| p.external_id == "6STWC2LSUYYYE")
            .expect("grouped by account id");
        assert_eq!(account.payments.len(), 2);
        assert_eq!(account.name.as_deref(), Some("test consumer"));
        assert_eq!(account.email_domain.as_deref(), Some("example.com"));
        assert_eq!(
            account.email_hash.as_deref(),
            Some(hasher.hash("consumer@example.com").as_str())
        );
        assert_eq!(
            account.reference_ids,
            vec![
                "hubspot-company:1234".to_string(),
                "Invoice-005".to_string()
            ]
        );
        let sub = &account.payments[1];
        assert_eq!(
            (sub.kind, sub.status),
            (PaymentKind::SubscriptionPayment, PaymentStatus::Denied)
        );
        assert!(sub.id.starts_with("8JM12345AB123456C:T0002:"));
        let by_email = format!("email:{}", hasher.hash("someone@gmail.com"));
        let refund = batch
            .payers
            .iter()
            .find(|p| p.external_id == by_email)
            .expect("grouped by hashed email");
        assert_eq!(refund.payments[0].kind, PaymentKind::Refund);
        assert_eq!(refund.payments[0].amount.value, -465.0);
        assert_eq!(batch.subscription_ids, vec!["I-BW452GLLEP1G".to_string()]);
        assert!(batch
            .payer_of_transaction
            .contains(&("9XY".to_string(), by_email)));
        let text = serde_json::to_string(&batch.payers).unwrap_or_default();
        assert!(!text.to_lowercase().contains("consumer@example.com"));
    }

    #[test]
    fn t_codes_and_status_letters() {
        assert_eq!(payment_kind("T0006"), PaymentKind::Payment);
        assert_eq!(payment_kind("T1201"), PaymentKind::Chargeback);
        assert_eq!(payment_kind("T1106"), PaymentKind::Reversal);
        assert_eq!(payment_kind("T1110"), PaymentKind::DisputeHold);
        assert_eq!(payment_kind("T1111"), PaymentKind::DisputeHoldReleased);
        assert_eq!(payment_kind("T0400"), PaymentKind::Other);
        assert_eq!(payment_status("V"), PaymentStatus::Reversed);
        assert_eq!(payment_status("P"), PaymentStatus::Pending);
        assert_eq!(payment_status("?"), PaymentStatus::Pending);
    }
}
