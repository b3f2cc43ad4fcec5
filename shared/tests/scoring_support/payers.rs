//! Builders for payer records and correlations, dated in days before the scoring tests' `now`.

use super::{days_ago, now, tenant};
use chrono::{Duration, NaiveDate};
use shared::domain::{
    ClientId, ConnectionId, Correlation, CorrelationStatus, Dispute, DisputeStage, Invoice,
    InvoiceStatus, MatchMethod, Money, PayerRecord, Payment, PaymentKind, PaymentStatus, Platform,
    Subscription, SubscriptionStatus,
};
use shared::scoring::{LinkedRecords, RecordMatch};

pub fn connection() -> ConnectionId {
    ConnectionId::parse("paypal-1").unwrap()
}

pub fn usd(value: f64) -> Money {
    Money {
        value,
        currency: "USD".to_owned(),
    }
}

fn date_ago(days: i64) -> NaiveDate {
    (now() - Duration::days(days)).date_naive()
}

pub struct PayerBuilder {
    record: PayerRecord,
    next_id: u32,
}

pub fn payer(external_id: &str) -> PayerBuilder {
    PayerBuilder {
        record: PayerRecord {
            connection_id: connection(),
            platform: Platform::Paypal,
            external_id: external_id.to_owned(),
            name: None,
            business_name: None,
            email_hash: None,
            email_domain: Some("client.example".to_owned()),
            reference_ids: Vec::new(),
            payments: Vec::new(),
            invoices: Vec::new(),
            disputes: Vec::new(),
            subscriptions: Vec::new(),
            updated_at: now(),
        },
        next_id: 0,
    }
}

impl PayerBuilder {
    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }

    pub fn transaction(
        mut self,
        kind: PaymentKind,
        status: PaymentStatus,
        amount: f64,
        days: f64,
    ) -> Self {
        let id = self.id("tx");
        self.record.payments.push(Payment {
            id,
            kind,
            status,
            amount: usd(amount),
            at: days_ago(days),
        });
        self
    }

    /// A successful one-off payment.
    pub fn paid(self, amount: f64, days: f64) -> Self {
        self.transaction(PaymentKind::Payment, PaymentStatus::Success, amount, days)
    }

    pub fn refund(self, amount: f64, days: f64) -> Self {
        self.transaction(PaymentKind::Refund, PaymentStatus::Success, amount, days)
    }

    pub fn chargeback(self, amount: f64, days: f64) -> Self {
        self.transaction(
            PaymentKind::Chargeback,
            PaymentStatus::Success,
            amount,
            days,
        )
    }

    /// An invoice due `due_days` ago, still owing `owed` of `amount` (status SENT), or paid `paid_days`
    /// ago (status PAID).
    pub fn invoice(mut self, amount: f64, due_days: i64, paid_days: Option<i64>) -> Self {
        let id = self.id("INV2-");
        let paid_at = paid_days.map(|d| now() - Duration::days(d));
        self.record.invoices.push(Invoice {
            id,
            status: if paid_at.is_some() {
                InvoiceStatus::Paid
            } else {
                InvoiceStatus::Sent
            },
            invoice_date: Some(date_ago(due_days + 30)),
            due_date: Some(date_ago(due_days)),
            amount: usd(amount),
            due_amount: usd(if paid_at.is_some() { 0.0 } else { amount }),
            paid_at,
        });
        self
    }

    pub fn dispute(mut self, stage: DisputeStage, status: &str, opened_days: f64) -> Self {
        let id = self.id("PP-D-");
        self.record.disputes.push(Dispute {
            id,
            stage,
            status: status.to_owned(),
            reason: Some("MERCHANDISE_OR_SERVICE_NOT_RECEIVED".to_owned()),
            amount: usd(250.0),
            opened_at: days_ago(opened_days),
            updated_at: None,
            transaction_id: None,
        });
        self
    }

    pub fn subscription(
        mut self,
        status: SubscriptionStatus,
        failed: u32,
        changed_days: Option<f64>,
    ) -> Self {
        let id = self.id("I-SUB");
        self.record.subscriptions.push(Subscription {
            id,
            status,
            status_changed_at: changed_days.map(days_ago),
            failed_payments_count: failed,
            last_failed_payment_at: (failed > 0).then(|| days_ago(3.0)),
            last_failed_reason: (failed > 0).then(|| "PAYMENT_DENIED".to_owned()),
            last_payment_at: None,
            next_billing_at: None,
            outstanding_balance: None,
        });
        self
    }

    pub fn build(self) -> PayerRecord {
        self.record
    }
}

pub fn link(method: MatchMethod, confidence: f64) -> RecordMatch {
    RecordMatch {
        platform: Platform::Paypal,
        method,
        confidence,
    }
}

/// One payer linked to `client` at `confidence`, matched by email domain.
pub fn linked(client: &str, record: PayerRecord, confidence: f64) -> (ClientId, LinkedRecords) {
    let mut records = LinkedRecords::default();
    records.push(link(MatchMethod::EmailDomain, confidence), record);
    (ClientId::parse(client).unwrap(), records)
}

pub fn correlation(
    client: &str,
    external_id: &str,
    status: CorrelationStatus,
    confidence: f64,
) -> Correlation {
    Correlation {
        tenant_id: tenant(),
        client_id: ClientId::parse(client).unwrap(),
        platform: Platform::Paypal,
        connection_id: connection(),
        external_id: external_id.to_owned(),
        method: MatchMethod::EmailDomain,
        evidence: Vec::new(),
        confidence,
        status,
        decided_by: None,
        decided_at: None,
        created_at: days_ago(10.0),
        updated_at: days_ago(10.0),
    }
}
