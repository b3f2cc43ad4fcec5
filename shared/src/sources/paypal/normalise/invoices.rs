//! Invoicing v2 invoices. An invoice names its recipient by email and business name, never by
//! PayPal account, so its payer is `email:<hash>` (or `invoice:<id>` without an email).

use super::{
    add_reference, money, parse_date, parse_time, person_name, touch, PayerBook, PayerIdentity,
};
use crate::domain::{ConnectionId, Invoice, InvoiceStatus, Money, PayerRecord};
use crate::sources::paypal::normalise::EmailHasher;
use crate::sources::paypal::wire::WireInvoice;
use chrono::{DateTime, Utc};

/// The domain invoice; `None` (logged) when it has no id or a status this code does not know.
pub fn to_invoice(wire: &WireInvoice) -> Option<Invoice> {
    let id = super::non_empty(wire.id.as_deref())?.to_owned();
    let status_text = wire.status.as_deref().unwrap_or("").trim();
    let Ok(status) =
        serde_json::from_value::<InvoiceStatus>(serde_json::Value::String(status_text.to_owned()))
    else {
        tracing::warn!(invoice = %id, status = %status_text, "PayPal invoice with an unknown status left out");
        return None;
    };
    let detail = wire.detail.as_ref();
    let currency = detail
        .and_then(|d| d.currency_code.clone())
        .unwrap_or_else(|| "XXX".into())
        .to_uppercase();
    let amount = money(wire.amount.as_ref()).unwrap_or(Money {
        value: 0.0,
        currency: currency.clone(),
    });
    // Without `due_amount`, what is owed follows from the status.
    let due_amount = money(wire.due_amount.as_ref()).unwrap_or_else(|| Money {
        value: if status.is_open() { amount.value } else { 0.0 },
        currency: amount.currency.clone(),
    });
    let payments = wire.payments.as_ref();
    let paid_at = payments
        .into_iter()
        .flat_map(|p| p.transactions.iter())
        .filter_map(|t| parse_date(t.payment_date.as_deref()))
        .max()
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc());
    let term = detail.and_then(|d| d.payment_term.as_ref());
    Some(Invoice {
        id,
        status,
        invoice_date: parse_date(detail.and_then(|d| d.invoice_date.as_deref())),
        due_date: parse_date(term.and_then(|t| t.due_date.as_deref())),
        amount,
        due_amount,
        paid_at,
    })
}

/// Groups invoices by recipient.
pub fn invoice_payers(
    connection_id: &ConnectionId,
    hasher: &EmailHasher,
    invoices: &[WireInvoice],
    now: DateTime<Utc>,
) -> Vec<PayerRecord> {
    let mut book = PayerBook::new(connection_id, hasher, now);
    for wire in invoices {
        let Some(invoice) = to_invoice(wire) else {
            continue;
        };
        let billing = wire
            .primary_recipients
            .iter()
            .find_map(|r| r.billing_info.as_ref());
        let identity = PayerIdentity {
            account_id: None,
            email: billing.and_then(|b| b.email_address.as_deref()),
            name: person_name(billing.and_then(|b| b.name.as_ref())),
            business_name: billing.and_then(|b| b.business_name.clone()),
        };
        let external_id = book
            .external_id(&identity)
            .unwrap_or_else(|| format!("invoice:{}", invoice.id));
        let Some(record) = book.payer_with_id(external_id, &identity) else {
            continue;
        };
        let metadata = wire.detail.as_ref().and_then(|d| d.metadata.as_ref());
        let changed = parse_time(metadata.and_then(|m| m.last_update_time.as_deref()))
            .or_else(|| parse_time(metadata.and_then(|m| m.create_time.as_deref())))
            .or(invoice.paid_at);
        add_reference(
            record,
            wire.detail.as_ref().and_then(|d| d.reference.as_deref()),
        );
        touch(record, changed);
        super::upsert(&mut record.invoices, invoice, |i| i.id.as_str());
    }
    book.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::paypal::wire::InvoicePage;
    use chrono::NaiveDate;

    fn page() -> Vec<WireInvoice> {
        let body = r##"{"total_items": 3, "total_pages": 1, "items": [
          {"id": "INV2-Z56S-5LLA-Q52L-CPZ5", "status": "PAID",
           "detail": {"invoice_number": "#123", "reference": "deal-refernce-value", "currency_code": "USD",
             "invoice_date": "2026-08-01", "payment_term": {"term_type": "NET_10", "due_date": "2026-08-11"},
             "metadata": {"create_time": "2026-08-01T10:00:00Z", "last_update_time": "2026-08-09T12:00:00Z"}},
           "primary_recipients": [{"billing_info": {"name": {"given_name": "Stephanie", "surname": "Meyers"},
             "business_name": "Acme Ltd", "email_address": "bill-me@acme.example.com"}}],
           "amount": {"currency_code": "USD", "value": "74.21"},
           "due_amount": {"currency_code": "USD", "value": "0.00"},
           "payments": {"paid_amount": {"currency_code": "USD", "value": "74.21"},
             "transactions": [{"payment_id": "1XY", "payment_date": "2026-08-09", "amount": {"currency_code": "USD", "value": "74.21"}}]}},
          {"id": "INV2-OPEN", "status": "SENT",
           "detail": {"currency_code": "USD", "payment_term": {"due_date": "2026-09-01"}},
           "primary_recipients": [{"billing_info": {"email_address": "BILL-ME@acme.example.com"}}],
           "amount": {"currency_code": "USD", "value": "100.00"}},
          {"id": "INV2-NOBODY", "status": "DRAFT", "amount": {"currency_code": "EUR", "value": "5"}},
          {"id": "INV2-ODD", "status": "OVERDUE"}
        ]}"##;
        serde_json::from_str::<InvoicePage>(body)
            .map(|p| p.items)
            .unwrap_or_default()
    }

    #[test]
    fn invoices_join_their_recipient_by_hashed_email_with_paid_and_due_dates() {
        let connection = ConnectionId::parse("paypal-1").expect("id");
        let hasher = EmailHasher::new(b"k");
        let payers = invoice_payers(&connection, &hasher, &page(), Utc::now());
        assert_eq!(payers.len(), 2, "{payers:#?}");
        let acme = payers
            .iter()
            .find(|p| p.external_id == format!("email:{}", hasher.hash("bill-me@acme.example.com")))
            .expect("acme");
        assert_eq!(acme.business_name.as_deref(), Some("Acme Ltd"));
        assert_eq!(acme.email_domain.as_deref(), Some("acme.example.com"));
        assert_eq!(acme.reference_ids, vec!["deal-refernce-value".to_string()]);
        assert_eq!(acme.invoices.len(), 2);
        let paid = &acme.invoices[0];
        assert_eq!(paid.status, InvoiceStatus::Paid);
        assert_eq!(paid.due_date, NaiveDate::from_ymd_opt(2026, 8, 11));
        assert_eq!(paid.paid_on_time(), Some(true));
        let open = &acme.invoices[1];
        assert_eq!(
            open.due_amount.value, 100.0,
            "owed in full without due_amount"
        );
        let today = NaiveDate::from_ymd_opt(2026, 9, 10).expect("date");
        assert_eq!(open.days_overdue(today), 9);
        assert!(payers
            .iter()
            .any(|p| p.external_id == "invoice:INV2-NOBODY"));
    }
}
