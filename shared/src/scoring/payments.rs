//! Folding a client's linked payer records into the payment figures the rules read, at a given `now`
//! and window. One `PayerFeatures` per linked record, so every finding can name the records (and
//! matches) it relies on.

use crate::domain::{
    DisputeStage, PayerRecord, PaymentKind, PaymentStatus, ScoringSettings, SubscriptionStatus,
};
use crate::scoring::features::YEAR_DAYS;
use crate::scoring::linked::{LinkedRecords, RecordMatch};
use chrono::{DateTime, Duration, Utc};

/// An invoice counts for the overdue-invoices insight (and as a payment risk) once it is this many
/// days past due: a payment made on the due date can take a day or two to show, and an insight on
/// every invoice one day late would be noise.
pub const OVERDUE_GRACE_DAYS: i64 = 7;
/// Failed subscription payments at or over this count make the insight's impact high.
pub const MANY_FAILED_PAYMENTS: u32 = 3;

const SECONDS_PER_DAY: f64 = 86_400.0;

/// What one linked payer record says, at `at`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PayerFeatures {
    pub link: Option<RecordMatch>,
    /// Settled invoices with a due date, paid in the last 12 months, and how many by their due date.
    pub invoices_settled: u32,
    pub invoices_on_time: u32,
    /// Open invoices past their due date with money owed; those at least the grace period late.
    pub overdue_invoices: u32,
    pub overdue_past_grace: u32,
    pub overdue_amount: f64,
    /// Days past due of the oldest overdue invoice (0 without one).
    pub oldest_overdue_days: i64,
    /// The currency of the overdue amount when all overdue invoices share one.
    pub overdue_currency: Option<String>,
    /// Money received in the last 12 months (successful payments and paid invoices' amounts are
    /// both transactions, so only transactions are summed).
    pub paid_last_12_months: f64,
    /// Failed subscription payments still outstanding (PayPal's consecutive-failure count, or
    /// denied subscription payments in W when larger).
    pub failed_subscription_payments: u32,
    pub subscriptions: u32,
    pub subscriptions_suspended: u32,
    /// Subscriptions cancelled inside W (or at an unknown time).
    pub subscriptions_cancelled: u32,
    /// Refunds in W, and their total.
    pub refunds: u32,
    pub refund_amount: f64,
    /// Disputes opened in W or still open, and among them chargebacks (or later stages), plus
    /// chargeback and reversal transactions in W.
    pub disputes: u32,
    pub chargebacks: u32,
    pub disputed_amount: f64,
    /// The latest successful payment, paid invoice or subscription payment.
    pub last_payment_at: Option<DateTime<Utc>>,
    /// Whether the record holds any payment, invoice, dispute or subscription at all.
    pub has_activity: bool,
}

impl PayerFeatures {
    /// Share of settled invoices paid by their due date.
    pub fn on_time_share(&self) -> Option<f64> {
        (self.invoices_settled > 0)
            .then(|| f64::from(self.invoices_on_time) / f64::from(self.invoices_settled))
    }

    pub fn has_overdue_invoices(&self) -> bool {
        self.overdue_past_grace > 0
    }

    pub fn has_dispute(&self) -> bool {
        self.disputes > 0 || self.chargebacks > 0
    }

    pub fn has_failing_subscription(&self) -> bool {
        self.failed_subscription_payments > 0 || self.subscriptions_suspended > 0
    }

    /// Money trouble: what the "multiple risk factors" rule counts as one payment risk. A cancelled
    /// subscription counts too: the client stopped paying for something.
    pub fn is_payment_risk(&self) -> bool {
        self.has_overdue_invoices()
            || self.has_dispute()
            || self.has_failing_subscription()
            || self.subscriptions_cancelled > 0
    }
}

/// Every linked payer's figures; empty for a client without linked payers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PaymentFeatures {
    pub payers: Vec<PayerFeatures>,
}

impl PaymentFeatures {
    pub fn is_empty(&self) -> bool {
        self.payers.is_empty()
    }

    /// Sum of a figure over every linked payer.
    pub fn sum<T: std::iter::Sum<T>>(&self, figure: impl Fn(&PayerFeatures) -> T) -> T {
        self.payers.iter().map(figure).sum()
    }

    /// The matches of the payers for which `holds` is true, best first.
    pub fn backing(&self, holds: impl Fn(&PayerFeatures) -> bool) -> Vec<RecordMatch> {
        let mut links: Vec<RecordMatch> = self
            .payers
            .iter()
            .filter(|p| holds(p))
            .filter_map(|p| p.link)
            .collect();
        links.sort_by(|a, b| b.weight().total_cmp(&a.weight()));
        links
    }

    pub fn on_time_share(&self) -> Option<f64> {
        let settled: u32 = self.sum(|p| p.invoices_settled);
        (settled > 0).then(|| f64::from(self.sum(|p| p.invoices_on_time)) / f64::from(settled))
    }

    pub fn oldest_overdue_days(&self) -> i64 {
        self.payers
            .iter()
            .map(|p| p.oldest_overdue_days)
            .max()
            .unwrap_or(0)
    }

    pub fn last_payment_at(&self) -> Option<DateTime<Utc>> {
        self.payers.iter().filter_map(|p| p.last_payment_at).max()
    }

    pub fn days_since_last_payment(&self, now: DateTime<Utc>) -> Option<f64> {
        self.last_payment_at()
            .map(|at| (now - at).num_milliseconds() as f64 / 1000.0 / SECONDS_PER_DAY)
    }

    pub fn is_payment_risk(&self) -> bool {
        self.payers.iter().any(PayerFeatures::is_payment_risk)
    }

    /// The currency shared by every overdue invoice, if there is one.
    pub fn overdue_currency(&self) -> Option<&str> {
        let mut currencies = self
            .payers
            .iter()
            .filter(|p| p.overdue_invoices > 0)
            .map(|p| p.overdue_currency.as_deref());
        let first = currencies.next()??;
        currencies.all(|c| c == Some(first)).then_some(first)
    }
}

fn fold_payer(
    payer: &PayerRecord,
    link: RecordMatch,
    settings: &ScoringSettings,
    now: DateTime<Utc>,
) -> PayerFeatures {
    let window_start = now - Duration::days(i64::from(settings.window_days));
    let year_start = now - Duration::days(YEAR_DAYS);
    let in_window = |at: DateTime<Utc>| at >= window_start && at <= now;
    let today = now.date_naive();
    let mut f = PayerFeatures {
        link: Some(link),
        last_payment_at: payer.last_payment_at(now),
        has_activity: !(payer.payments.is_empty()
            && payer.invoices.is_empty()
            && payer.disputes.is_empty()
            && payer.subscriptions.is_empty()),
        ..PayerFeatures::default()
    };
    let mut currencies: Vec<&str> = Vec::new();
    let mut denied_subscription_payments = 0u32;
    // A chargeback shows both as a dispute at the chargeback stage and as transactions (T1201,
    // T1106): the larger of the two counts, not their sum.
    let mut chargeback_transactions = 0u32;
    let mut chargeback_disputes = 0u32;

    for invoice in &payer.invoices {
        if invoice.is_overdue(today) {
            let days = invoice.days_overdue(today);
            f.overdue_invoices += 1;
            if days >= OVERDUE_GRACE_DAYS {
                f.overdue_past_grace += 1;
            }
            if invoice.due_amount.value.is_finite() {
                f.overdue_amount += invoice.due_amount.value;
            }
            f.oldest_overdue_days = f.oldest_overdue_days.max(days);
            currencies.push(invoice.due_amount.currency.as_str());
        }
        if let Some(paid) = invoice.paid_at.filter(|at| *at <= now) {
            if paid >= year_start {
                if let Some(on_time) = invoice.paid_on_time() {
                    f.invoices_settled += 1;
                    f.invoices_on_time += u32::from(on_time);
                }
            }
        }
    }
    currencies.sort_unstable();
    currencies.dedup();
    if let [only] = currencies.as_slice() {
        f.overdue_currency = Some((*only).to_owned());
    }

    for payment in payer.payments.iter().filter(|p| p.at <= now) {
        let amount = if payment.amount.value.is_finite() {
            payment.amount.value.abs()
        } else {
            0.0
        };
        match (payment.kind, payment.status) {
            (PaymentKind::Payment | PaymentKind::SubscriptionPayment, PaymentStatus::Success)
                if payment.at >= year_start =>
            {
                f.paid_last_12_months += amount;
            }
            // Older money received counts only towards the last payment (`PayerRecord`).
            (PaymentKind::Payment | PaymentKind::SubscriptionPayment, PaymentStatus::Success) => {}
            (PaymentKind::SubscriptionPayment, PaymentStatus::Denied) if in_window(payment.at) => {
                denied_subscription_payments += 1;
            }
            (PaymentKind::Refund, status)
                if status != PaymentStatus::Denied && in_window(payment.at) =>
            {
                f.refunds += 1;
                f.refund_amount += amount;
            }
            (PaymentKind::Chargeback | PaymentKind::Reversal, status)
                if status != PaymentStatus::Denied && in_window(payment.at) =>
            {
                chargeback_transactions += 1;
            }
            _ => {}
        }
    }

    for dispute in &payer.disputes {
        let counts = dispute.is_open() || in_window(dispute.opened_at);
        if !counts || dispute.opened_at > now {
            continue;
        }
        f.disputes += 1;
        if dispute.amount.value.is_finite() {
            f.disputed_amount += dispute.amount.value.abs();
        }
        if dispute.stage != DisputeStage::Inquiry {
            chargeback_disputes += 1;
        }
    }
    f.chargebacks = chargeback_transactions.max(chargeback_disputes);

    let mut failed_count = 0u32;
    for subscription in &payer.subscriptions {
        f.subscriptions += 1;
        match subscription.status {
            SubscriptionStatus::Suspended => f.subscriptions_suspended += 1,
            SubscriptionStatus::Cancelled
                if subscription.status_changed_at.is_none_or(in_window) =>
            {
                f.subscriptions_cancelled += 1;
            }
            _ => {}
        }
        // PayPal's count is of consecutive failures since the last success: it still matters while
        // the subscription runs or is suspended, not once it expired or was cancelled long ago.
        let live = matches!(
            subscription.status,
            SubscriptionStatus::Active | SubscriptionStatus::Suspended
        );
        if live {
            failed_count = failed_count.saturating_add(subscription.failed_payments_count);
        }
    }
    f.failed_subscription_payments = failed_count.max(denied_subscription_payments);
    f
}

/// Folds a client's linked payer records. Pure: the same records, settings and `now` give the same
/// figures.
pub fn derive_payment_features(
    linked: &LinkedRecords,
    settings: &ScoringSettings,
    now: DateTime<Utc>,
) -> PaymentFeatures {
    PaymentFeatures {
        payers: linked
            .payers
            .iter()
            .map(|l| fold_payer(&l.payer, l.link, settings, now))
            .collect(),
    }
}
