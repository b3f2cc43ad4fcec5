//! The account as the sandbox holds it: payers, transaction rows, invoices, disputes and subscriptions.
//! Amounts are integer cents; instants are milliseconds since the epoch on the sandbox's clock.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// How a payer lines up with a CRM company: the realistic cases a matcher meets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Alignment {
    /// The payer's email is on the company's domain; the business name is the company's name.
    SameDomain,
    /// The company was renamed: the payer shows another business name, on the company's domain.
    Renamed,
    /// The owner pays from a free-mail address (gmail.com...) under the company's name.
    FreeMail,
    /// The merchant put the CRM company id in `custom_id` / `custom_field` / the invoice reference.
    CustomId,
    /// Free mail, and the business name is shared by two CRM companies: the name alone cannot decide.
    SharedName,
    /// Not a CRM company, though its business name equals one's (a namesake elsewhere).
    Namesake,
    /// Not a CRM company, and nothing in it looks like one.
    Unmatched,
}

/// What happens in a payer's account history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaymentStory {
    /// Monthly invoices, paid within terms.
    OnTime,
    /// Pays late; several invoices overdue now, one partly paid.
    LatePayer,
    /// A monthly subscription paid without trouble.
    HealthySubscription,
    /// Subscription payments failed three times in a row, then the subscription was suspended.
    FailedSubscription,
    /// A payment disputed, escalated to a chargeback and lost.
    DisputeChargeback,
    /// Paid invoices, two of them refunded (one fully, one partly).
    Refunds,
}

#[derive(Clone, Debug)]
pub(crate) struct Payer {
    pub account_id: String,
    pub given_name: String,
    pub surname: String,
    pub email: String,
    pub business_name: Option<String>,
    pub country_code: &'static str,
    /// E.164 country calling code and national number.
    pub phone_country: &'static str,
    pub phone: String,
    /// What the merchant put in `custom_id` / `custom_field` / the invoice reference.
    pub custom_id: Option<String>,
    pub hubspot_company_id: Option<String>,
    pub alignment: Alignment,
    pub story: PaymentStory,
}

impl Payer {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_name, self.surname)
    }
}

/// One Transaction Search row. `transaction_id` is not unique: a balance-affecting and a
/// non-balance-affecting row may share it.
#[derive(Clone, Debug)]
pub(crate) struct TxnRow {
    pub transaction_id: String,
    pub event_code: &'static str,
    pub initiation_ms: i64,
    pub updated_ms: i64,
    /// When Transaction Search starts to show the row (PayPal's reporting lag).
    pub visible_ms: i64,
    pub amount_cents: i64,
    pub fee_cents: i64,
    /// `D`, `P`, `S` or `V`.
    pub status: char,
    pub payer: usize,
    /// (`paypal_reference_id`, `paypal_reference_id_type`): the original transaction or subscription.
    pub reference: Option<(String, &'static str)>,
    pub invoice_number: Option<String>,
    pub paypal_invoice_id: Option<String>,
    pub custom_field: Option<String>,
    pub subject: Option<String>,
    pub balance_affecting: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct InvoicePayment {
    pub transaction_id: String,
    pub date: NaiveDate,
    pub cents: i64,
}

#[derive(Clone, Debug)]
pub(crate) struct InvoiceRec {
    pub id: String,
    pub number: String,
    pub payer: usize,
    pub status: &'static str,
    pub invoice_date: NaiveDate,
    pub term_type: &'static str,
    pub due_date: Option<NaiveDate>,
    pub amount_cents: i64,
    pub payments: Vec<InvoicePayment>,
    pub refunds: Vec<InvoicePayment>,
    /// The business name written on the invoice (may differ from the payer's profile).
    pub business_name: Option<String>,
    pub reference: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl InvoiceRec {
    pub fn paid_cents(&self) -> i64 {
        self.payments.iter().map(|p| p.cents).sum()
    }

    pub fn due_cents(&self) -> i64 {
        match self.status {
            "CANCELLED" | "DRAFT" | "MARKED_AS_PAID" | "REFUNDED" | "PARTIALLY_REFUNDED" => 0,
            _ => (self.amount_cents - self.paid_cents()).max(0),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct DisputeRec {
    pub id: String,
    pub payer: usize,
    pub transaction_id: String,
    pub invoice_number: Option<String>,
    pub reason: &'static str,
    pub status: &'static str,
    pub state: &'static str,
    pub stage: &'static str,
    pub outcome: Option<&'static str>,
    pub amount_cents: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Clone, Debug)]
pub(crate) struct SubscriptionRec {
    pub id: String,
    pub plan_id: String,
    pub payer: usize,
    pub status: &'static str,
    pub custom_id: Option<String>,
    pub amount_cents: i64,
    pub start_ms: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub status_update_ms: i64,
    pub cycles_completed: u32,
    pub failed_payments_count: u32,
    /// (cents, when, reason code).
    pub last_failed: Option<(i64, i64, &'static str)>,
    /// (cents, when).
    pub last_payment: Option<(i64, i64)>,
    pub next_billing_ms: Option<i64>,
    pub outstanding_cents: i64,
}

/// The whole generated account.
#[derive(Clone, Debug, Default)]
pub(crate) struct World {
    pub payers: Vec<Payer>,
    pub transactions: Vec<TxnRow>,
    pub invoices: Vec<InvoiceRec>,
    pub disputes: Vec<DisputeRec>,
    pub subscriptions: Vec<SubscriptionRec>,
    /// The instant generated dates are relative to.
    pub anchor_ms: i64,
    pub next_invoice_number: u64,
}

pub(crate) const CURRENCY: &str = "USD";
pub(crate) const DAY_MS: i64 = 86_400_000;

/// `1234` cents as `"12.34"` (`"-12.34"` for negatives), PayPal's decimal string.
pub(crate) fn money_value(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

pub(crate) fn money(cents: i64) -> serde_json::Value {
    serde_json::json!({ "currency_code": CURRENCY, "value": money_value(cents) })
}

pub(crate) fn datetime(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// RFC 3339 with seconds and a `+0000`-free `Z`, as PayPal writes instants.
pub(crate) fn rfc3339(ms: i64) -> String {
    datetime(ms).to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(crate) fn date_of(ms: i64) -> NaiveDate {
    datetime(ms).date_naive()
}
