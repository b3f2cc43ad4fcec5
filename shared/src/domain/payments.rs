//! What a payments platform (PayPal first) tells about one payer, normalised and independent of the
//! platform's wire format. A payer is matched to a client through a correlation; the scoring engine
//! reads the payer records linked to a client.

use crate::domain::{ConnectionId, Platform};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// One payer as a payments connection sees it: who they are (what matching needs) and what happened.
///
/// Personal data is minimised: the payer's email is kept as a keyed hash plus its domain, never in
/// clear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayerRecord {
    pub connection_id: ConnectionId,
    pub platform: Platform,
    /// The platform's stable id of the payer (PayPal `payer_info.account_id`), or `email:<hash>` when
    /// the platform gives none.
    pub external_id: String,
    /// The payer's own name, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A business name (an invoice's `billing_info.business_name`, a payer's business name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_name: Option<String>,
    /// Keyed hash (HMAC-SHA256, hex) of the lower-cased email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_hash: Option<String>,
    /// The lower-cased domain of the email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_domain: Option<String>,
    /// Merchant-set references that may hold a CRM id: PayPal `custom_id`, `custom_field`,
    /// `invoice_id`, distinct and in first-seen order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_ids: Vec<String>,
    #[serde(default)]
    pub payments: Vec<Payment>,
    #[serde(default)]
    pub invoices: Vec<Invoice>,
    #[serde(default)]
    pub disputes: Vec<Dispute>,
    #[serde(default)]
    pub subscriptions: Vec<Subscription>,
    /// When the platform last changed anything in this record.
    pub updated_at: DateTime<Utc>,
}

impl PayerRecord {
    /// The latest money received by `now`: a successful payment or subscription payment, a paid
    /// invoice, or a subscription's last payment. The one rule for "last payment" (scoring's factor
    /// and the client page's linked records).
    pub fn last_payment_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let payments = self
            .payments
            .iter()
            .filter(|p| {
                p.status == PaymentStatus::Success
                    && matches!(
                        p.kind,
                        PaymentKind::Payment | PaymentKind::SubscriptionPayment
                    )
            })
            .map(|p| p.at);
        let invoices = self.invoices.iter().filter_map(|i| i.paid_at);
        let subscriptions = self.subscriptions.iter().filter_map(|s| s.last_payment_at);
        payments
            .chain(invoices)
            .chain(subscriptions)
            .filter(|at| *at <= now)
            .max()
    }

    /// Folds a newer partial view of the same payer into this one: identity fields take the newer
    /// non-empty value, references are unioned, and payments, invoices, disputes and subscriptions are
    /// upserted by id (the newer row wins). Merging the same step twice changes nothing, so a step
    /// repeated after a crash is harmless.
    pub fn merge(&mut self, newer: PayerRecord) {
        fn newer_or<T>(old: &mut Option<T>, new: Option<T>) {
            if new.is_some() {
                *old = new;
            }
        }
        fn upsert<T, F: Fn(&T) -> &str>(old: &mut Vec<T>, new: Vec<T>, id: F) {
            for row in new {
                match old.iter().position(|o| id(o) == id(&row)) {
                    Some(at) => old[at] = row,
                    None => old.push(row),
                }
            }
        }
        newer_or(&mut self.name, newer.name);
        newer_or(&mut self.business_name, newer.business_name);
        newer_or(&mut self.email_hash, newer.email_hash);
        newer_or(&mut self.email_domain, newer.email_domain);
        for reference in newer.reference_ids {
            if !self.reference_ids.contains(&reference) {
                self.reference_ids.push(reference);
            }
        }
        upsert(&mut self.payments, newer.payments, |p| p.id.as_str());
        upsert(&mut self.invoices, newer.invoices, |i| i.id.as_str());
        upsert(&mut self.disputes, newer.disputes, |d| d.id.as_str());
        upsert(&mut self.subscriptions, newer.subscriptions, |s| {
            s.id.as_str()
        });
        self.updated_at = self.updated_at.max(newer.updated_at);
    }
}

/// An amount in one currency. Amounts are decimal strings on the wire; `f64` is precise enough for
/// scoring (cents of amounts below 2^53).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Money {
    pub value: f64,
    /// ISO 4217 code, upper case.
    pub currency: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    /// A one-off payment received.
    Payment,
    /// A recurring payment of a subscription (PayPal T0002).
    SubscriptionPayment,
    /// The merchant refunded the payer (T1107).
    Refund,
    /// PayPal reversed a payment (T1106).
    Reversal,
    /// A chargeback (T1201).
    Chargeback,
    /// Money held while a dispute is investigated (T1110), or released (T1111).
    DisputeHold,
    DisputeHoldReleased,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Success,
    Pending,
    Denied,
    /// Reversed or refunded.
    Reversed,
}

/// One transaction row. PayPal's `transaction_id` is not unique on its own: `id` is
/// `transaction_id:event_code:updated` so that rows sharing a transaction id stay apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    pub id: String,
    pub kind: PaymentKind,
    pub status: PaymentStatus,
    pub amount: Money,
    /// When the transaction was initiated.
    pub at: DateTime<Utc>,
}

/// PayPal Invoicing v2 statuses. There is no "overdue" status: see [`Invoice::is_overdue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InvoiceStatus {
    Draft,
    Sent,
    Scheduled,
    Paid,
    MarkedAsPaid,
    Cancelled,
    Refunded,
    PartiallyPaid,
    PartiallyRefunded,
    MarkedAsRefunded,
    Unpaid,
    PaymentPending,
}

impl InvoiceStatus {
    /// Sent to the payer and not settled: the invoice still expects money.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            InvoiceStatus::Sent
                | InvoiceStatus::Unpaid
                | InvoiceStatus::PartiallyPaid
                | InvoiceStatus::PaymentPending
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invoice {
    pub id: String,
    pub status: InvoiceStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_date: Option<NaiveDate>,
    /// `detail.payment_term.due_date`; `None` for NO_DUE_DATE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
    pub amount: Money,
    /// What is still owed.
    pub due_amount: Money,
    /// When the last payment was received, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<DateTime<Utc>>,
}

impl Invoice {
    /// Overdue: money still due, past its due date, and the invoice still open.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status.is_open()
            && self.due_amount.value > 0.0
            && self.due_date.is_some_and(|due| due < today)
    }

    /// Days past the due date at `today` (0 when not overdue).
    pub fn days_overdue(&self, today: NaiveDate) -> i64 {
        match self.due_date {
            Some(due) if self.is_overdue(today) => (today - due).num_days(),
            _ => 0,
        }
    }

    /// Whether a settled invoice was paid by its due date (`None` while unsettled or without dates).
    pub fn paid_on_time(&self) -> Option<bool> {
        let paid = self.paid_at?;
        let due = self.due_date?;
        Some(paid.date_naive() <= due)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DisputeStage {
    Inquiry,
    Chargeback,
    PreArbitration,
    Arbitration,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dispute {
    pub id: String,
    pub stage: DisputeStage,
    /// PayPal's `status` (`OPEN`, `WAITING_FOR_SELLER_RESPONSE`, `RESOLVED`, ...).
    pub status: String,
    /// PayPal's `reason` (`MERCHANDISE_OR_SERVICE_NOT_RECEIVED`, `UNAUTHORISED`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub amount: Money,
    pub opened_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// The seller's id of the disputed transaction (how a dispute is joined to its payer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
}

impl Dispute {
    pub fn is_open(&self) -> bool {
        !matches!(self.status.as_str(), "RESOLVED" | "CLOSED")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SubscriptionStatus {
    ApprovalPending,
    Approved,
    Active,
    Suspended,
    Cancelled,
    Expired,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub status: SubscriptionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_changed_at: Option<DateTime<Utc>>,
    /// `billing_info.failed_payments_count`.
    #[serde(default)]
    pub failed_payments_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failed_payment_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failed_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_payment_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_billing_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outstanding_balance: Option<Money>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(value: f64) -> Money {
        Money {
            value,
            currency: "USD".into(),
        }
    }

    fn invoice(status: InvoiceStatus, due: &str, due_amount: f64) -> Invoice {
        Invoice {
            id: "INV2-1".into(),
            status,
            invoice_date: None,
            due_date: NaiveDate::parse_from_str(due, "%Y-%m-%d").ok(),
            amount: usd(100.0),
            due_amount: usd(due_amount),
            paid_at: None,
        }
    }

    #[test]
    fn merging_a_step_twice_changes_nothing_and_newer_rows_win() {
        use chrono::TimeZone;
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let payment = |id: &str, status| Payment {
            id: id.into(),
            kind: PaymentKind::Payment,
            status,
            amount: usd(10.0),
            at,
        };
        let record = |payments: Vec<Payment>, domain: Option<&str>| PayerRecord {
            connection_id: ConnectionId::parse("paypal-1").unwrap(),
            platform: Platform::Paypal,
            external_id: "PAYER1".into(),
            name: None,
            business_name: None,
            email_hash: None,
            email_domain: domain.map(str::to_string),
            reference_ids: vec!["ref-1".into()],
            payments,
            invoices: vec![],
            disputes: vec![],
            subscriptions: vec![],
            updated_at: at,
        };
        let mut stored = record(vec![payment("a", PaymentStatus::Pending)], Some("acme.com"));
        let step = record(
            vec![
                payment("a", PaymentStatus::Success),
                payment("b", PaymentStatus::Success),
            ],
            None,
        );
        stored.merge(step.clone());
        let once = stored.clone();
        stored.merge(step);
        assert_eq!(stored, once);
        assert_eq!(stored.payments.len(), 2);
        assert_eq!(stored.payments[0].status, PaymentStatus::Success);
        assert_eq!(stored.email_domain.as_deref(), Some("acme.com"));
        assert_eq!(stored.reference_ids, vec!["ref-1".to_string()]);
    }

    #[test]
    fn an_invoice_is_overdue_only_when_open_owing_and_past_due() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        assert!(invoice(InvoiceStatus::Sent, "2026-03-01", 100.0).is_overdue(today));
        assert_eq!(
            invoice(InvoiceStatus::Unpaid, "2026-03-01", 50.0).days_overdue(today),
            9
        );
        assert!(!invoice(InvoiceStatus::Sent, "2026-03-10", 100.0).is_overdue(today));
        assert!(!invoice(InvoiceStatus::Paid, "2026-03-01", 0.0).is_overdue(today));
        assert!(!invoice(InvoiceStatus::Cancelled, "2026-03-01", 100.0).is_overdue(today));
        assert!(!invoice(InvoiceStatus::Sent, "2026-03-01", 0.0).is_overdue(today));
    }
}
