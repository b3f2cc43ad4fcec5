//! Disputes. Merchants do not see the buyer's email, so a dispute joins its payer through the
//! disputed transaction (`seller_transaction_id`), whose Transaction Search row names the payer.

use super::{add_reference, money, parse_time, PayerBook, PayerIdentity};
use crate::domain::{ConnectionId, Dispute, DisputeStage, Money, PayerRecord};
use crate::sources::paypal::normalise::EmailHasher;
use crate::sources::paypal::wire::{TransactionDetail, WireDispute};
use chrono::{DateTime, Utc};

/// The domain dispute; `None` without an id or any date.
pub fn to_dispute(wire: &WireDispute) -> Option<Dispute> {
    let id = super::non_empty(wire.dispute_id.as_deref())?.to_owned();
    let opened_at = parse_time(wire.create_time.as_deref())
        .or_else(|| parse_time(wire.update_time.as_deref()))?;
    let stage = match wire.dispute_life_cycle_stage.as_deref().map(str::trim) {
        Some("CHARGEBACK") => DisputeStage::Chargeback,
        Some("PRE_ARBITRATION") => DisputeStage::PreArbitration,
        Some("ARBITRATION") => DisputeStage::Arbitration,
        _ => DisputeStage::Inquiry,
    };
    Some(Dispute {
        id,
        stage,
        status: super::non_empty(wire.status.as_deref())
            .unwrap_or("OPEN")
            .trim()
            .to_owned(),
        reason: wire.reason.clone(),
        amount: money(wire.dispute_amount.as_ref()).unwrap_or(Money {
            value: 0.0,
            currency: "XXX".into(),
        }),
        opened_at,
        updated_at: parse_time(wire.update_time.as_deref()),
        transaction_id: seller_transaction_id(wire).map(str::to_owned),
    })
}

pub fn seller_transaction_id(wire: &WireDispute) -> Option<&str> {
    wire.disputed_transactions
        .iter()
        .find_map(|t| super::non_empty(t.seller_transaction_id.as_deref()))
}

/// Who a dispute's payer is, as far as we found out.
#[derive(Debug, Clone)]
pub enum DisputePayer<'a> {
    /// A payer already known by its external id (from a transaction seen in this walk).
    Known(String),
    /// The disputed transaction's row, fetched by its id.
    Transaction(&'a TransactionDetail),
    /// The transaction could not be found: the dispute stands alone as `dispute:<id>`, carrying
    /// its references so an explicit id can still match it.
    Unknown,
}

/// The payer record holding one dispute.
pub fn dispute_payer(
    connection_id: &ConnectionId,
    hasher: &EmailHasher,
    wire: &WireDispute,
    payer: DisputePayer<'_>,
    now: DateTime<Utc>,
) -> Option<PayerRecord> {
    let dispute = to_dispute(wire)?;
    let mut book = PayerBook::new(connection_id, hasher, now);
    let buyer_name = wire
        .disputed_transactions
        .iter()
        .find_map(|t| t.buyer.as_ref().and_then(|b| b.name.clone()));
    let record = match payer {
        DisputePayer::Known(external_id) => {
            book.payer_with_id(external_id, &PayerIdentity::default())
        }
        DisputePayer::Transaction(row) => {
            let info = row.payer_info.as_ref();
            let identity = PayerIdentity {
                account_id: info.and_then(|p| p.account_id.as_deref()),
                email: info.and_then(|p| p.email_address.as_deref()),
                name: super::person_name(info.and_then(|p| p.payer_name.as_ref())),
                business_name: None,
            };
            let external_id = book
                .external_id(&identity)
                .unwrap_or_else(|| format!("dispute:{}", dispute.id));
            book.payer_with_id(external_id, &identity)
        }
        DisputePayer::Unknown => {
            let identity = PayerIdentity {
                name: buyer_name,
                ..PayerIdentity::default()
            };
            book.payer_with_id(format!("dispute:{}", dispute.id), &identity)
        }
    }?;
    for transaction in &wire.disputed_transactions {
        add_reference(record, transaction.custom.as_deref());
        add_reference(record, transaction.invoice_number.as_deref());
    }
    record.updated_at = dispute.updated_at.unwrap_or(dispute.opened_at);
    record.disputes.push(dispute);
    book.finish().into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details() -> WireDispute {
        let body = r#"{"dispute_id": "PP-D-27803", "create_time": "2026-04-11T18:53:06.000Z",
          "update_time": "2026-04-12T10:00:00.000Z",
          "disputed_transactions": [{"seller_transaction_id": "3BC38643YC807283D", "create_time": "2026-04-11T18:42:05.000Z",
            "transaction_status": "COMPLETED", "gross_amount": {"currency_code": "USD", "value": "192.00"},
            "invoice_number": "INV-77", "custom": "hubspot-company:99", "buyer": {"name": "Jane Doe"},
            "seller": {"merchant_id": "RD465XN5VS364", "name": "Test Store"}}],
          "reason": "MERCHANDISE_OR_SERVICE_NOT_RECEIVED", "status": "UNDER_REVIEW",
          "dispute_amount": {"currency_code": "USD", "value": "96.00"},
          "dispute_life_cycle_stage": "CHARGEBACK", "dispute_channel": "INTERNAL"}"#;
        serde_json::from_str(body).unwrap_or_default()
    }

    #[test]
    fn a_dispute_joins_its_payer_through_the_disputed_transaction() {
        let connection = ConnectionId::parse("paypal-1").expect("id");
        let hasher = EmailHasher::new(b"k");
        let row: TransactionDetail = serde_json::from_str(
            r#"{"transaction_info": {"transaction_id": "3BC38643YC807283D"},
                "payer_info": {"account_id": "ZXCV1234ASDF", "email_address": "jane@doe.example"}}"#,
        )
        .unwrap_or_default();
        let record = dispute_payer(
            &connection,
            &hasher,
            &details(),
            DisputePayer::Transaction(&row),
            Utc::now(),
        )
        .expect("a payer");
        assert_eq!(record.external_id, "ZXCV1234ASDF");
        assert_eq!(record.email_domain.as_deref(), Some("doe.example"));
        let dispute = &record.disputes[0];
        assert_eq!(dispute.stage, DisputeStage::Chargeback);
        assert_eq!(dispute.amount.value, 96.0);
        assert_eq!(dispute.transaction_id.as_deref(), Some("3BC38643YC807283D"));
        assert!(dispute.is_open());
        assert_eq!(
            record.reference_ids,
            vec!["hubspot-company:99".to_string(), "INV-77".to_string()]
        );
        let known = dispute_payer(
            &connection,
            &hasher,
            &details(),
            DisputePayer::Known("KNOWN1".into()),
            Utc::now(),
        )
        .expect("a payer");
        assert_eq!(known.external_id, "KNOWN1");
        let alone = dispute_payer(
            &connection,
            &hasher,
            &details(),
            DisputePayer::Unknown,
            Utc::now(),
        )
        .expect("a payer");
        assert_eq!(alone.external_id, "dispute:PP-D-27803");
        assert_eq!(alone.name.as_deref(), Some("Jane Doe"));
    }
}
