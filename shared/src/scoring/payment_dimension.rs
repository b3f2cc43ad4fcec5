//! The payment dimension: HubSpot's deals, and, for a client linked to payer records, what the
//! payments platform shows (invoices paid on time, overdue money and its age, failed subscription
//! payments, refunds, disputes and chargebacks, the last payment). Each factor names its source.

use crate::domain::{Dimension, DimensionScore, Platform};
use crate::scoring::confidence::{money, money_in};
use crate::scoring::dimensions::{linear_down, weighted_dimension, Part};
use crate::scoring::payments::PaymentFeatures;
use crate::scoring::{ClientFeatures, TenantContext};

/// Last won deal: full points within this many days, none after `LAST_WON_ZERO_DAYS`.
pub const LAST_WON_FULL_DAYS: f64 = 120.0;
pub const LAST_WON_ZERO_DAYS: f64 = 730.0;

/// With a payments platform linked, HubSpot's deal figures keep this share of the dimension: what a
/// client actually pays says more about payment health than the deals a salesperson closed.
pub const CRM_SHARE_WITH_PAYMENTS: f64 = 0.4;
/// The oldest overdue invoice costs nothing at 0 days past due and every point at this many.
pub const OVERDUE_ZERO_DAYS: f64 = 90.0;
/// The last payment: full points within this many days (a monthly cycle and its grace), none at
/// `LAST_PAYMENT_ZERO_DAYS`.
pub const LAST_PAYMENT_FULL_DAYS: f64 = 45.0;
pub const LAST_PAYMENT_ZERO_DAYS: f64 = 180.0;
/// Points each failed subscription payment costs; a suspended subscription costs them all, a
/// cancelled one leaves at most `CANCELLED_SUBSCRIPTION_POINTS`.
pub const FAILED_PAYMENT_PENALTY: f64 = 34.0;
pub const CANCELLED_SUBSCRIPTION_POINTS: f64 = 25.0;
/// Points a refund, a dispute and a chargeback in W cost.
pub const REFUND_PENALTY: f64 = 15.0;
pub const DISPUTE_PENALTY: f64 = 40.0;
pub const CHARGEBACK_PENALTY: f64 = 60.0;

/// HubSpot's parts of the payment dimension: revenue value, recency of the last won deal, won vs lost
/// deals in 12 months. Alone they make the dimension (shares 0.5, 0.25, 0.25); beside a payments
/// platform they keep those proportions within `CRM_SHARE_WITH_PAYMENTS`.
fn crm_parts(f: &ClientFeatures, ctx: &TenantContext, scale: f64) -> Vec<Part> {
    let revenue = f.revenue.amount();
    let last_won_days = f
        .deals
        .last_won_at
        .map(|at| (f.at - at).num_seconds() as f64 / 86_400.0);
    let decided = f.deals.won_last_12_months + f.deals.lost_last_12_months;
    // Laplace smoothing: one lost deal out of one is bad news, not proof of a 0% win rate.
    let win_rate = (decided > 0)
        .then(|| (f64::from(f.deals.won_last_12_months) + 1.0) / (f64::from(decided) + 2.0));
    vec![
        Part {
            source: Platform::Hubspot,
            name: "revenue_value",
            share: 0.5 * scale,
            value: revenue,
            sub_score: revenue.map(|r| ctx.revenue_value(r)),
            explanation: match revenue {
                // One money format everywhere (`money`): "$8,828.50", as the client page shows it.
                Some(r) => format!(
                    "revenue {}, log-scaled against the tenant's clients",
                    money(r)
                ),
                None => "no revenue known".to_owned(),
            },
        },
        Part {
            source: Platform::Hubspot,
            name: "last_won_deal_recency",
            share: 0.25 * scale,
            value: last_won_days,
            sub_score: last_won_days
                .map(|d| linear_down(d, LAST_WON_FULL_DAYS, LAST_WON_ZERO_DAYS)),
            explanation: match last_won_days {
                Some(d) => format!("last deal won {} days ago", d.floor()),
                None => "no won deal with a close date".to_owned(),
            },
        },
        Part {
            source: Platform::Hubspot,
            name: "won_vs_lost_12_months",
            share: 0.25 * scale,
            value: win_rate,
            sub_score: win_rate.map(|r| 100.0 * r),
            explanation: format!(
                "{} won and {} lost deals in the last 12 months",
                f.deals.won_last_12_months, f.deals.lost_last_12_months
            ),
        },
    ]
}

/// The payments platform's parts; every one is left out (and the dimension is HubSpot's alone) when
/// the linked records hold nothing.
fn payment_parts(p: &PaymentFeatures, at: chrono::DateTime<chrono::Utc>) -> Vec<Part> {
    let has_data = p.payers.iter().any(|payer| payer.has_activity);
    let on_data = |sub: f64| has_data.then_some(sub);
    let part = |name, share, value, sub_score, explanation| Part {
        name,
        share,
        value,
        sub_score,
        explanation,
        source: Platform::Paypal,
    };
    let on_time = p.on_time_share();
    let settled: u32 = p.sum(|payer| payer.invoices_settled);
    let overdue: f64 = p.sum(|payer| payer.overdue_amount);
    let overdue_count: u32 = p.sum(|payer| payer.overdue_invoices);
    let paid: f64 = p.sum(|payer| payer.paid_last_12_months);
    let oldest = p.oldest_overdue_days();
    let failed: u32 = p.sum(|payer| payer.failed_subscription_payments);
    let subscriptions: u32 = p.sum(|payer| payer.subscriptions);
    let suspended: u32 = p.sum(|payer| payer.subscriptions_suspended);
    let cancelled: u32 = p.sum(|payer| payer.subscriptions_cancelled);
    let refunds: u32 = p.sum(|payer| payer.refunds);
    let disputes: u32 = p.sum(|payer| payer.disputes);
    let chargebacks: u32 = p.sum(|payer| payer.chargebacks);
    let since_payment = p.days_since_last_payment(at);

    let overdue_sub = if overdue_count == 0 || overdue <= 0.0 {
        100.0
    } else {
        100.0 * paid / (paid + overdue)
    };
    let subscription_sub = if suspended > 0 {
        0.0
    } else {
        let sub = (100.0 - FAILED_PAYMENT_PENALTY * f64::from(failed)).max(0.0);
        if cancelled > 0 {
            sub.min(CANCELLED_SUBSCRIPTION_POINTS)
        } else {
            sub
        }
    };
    let trouble_sub = (100.0
        - REFUND_PENALTY * f64::from(refunds)
        - DISPUTE_PENALTY * f64::from(disputes)
        - CHARGEBACK_PENALTY * f64::from(chargebacks))
    .max(0.0);
    vec![
        part(
            "invoices_paid_on_time",
            0.15,
            on_time,
            on_time.map(|share| 100.0 * share),
            format!(
                "{} of {settled} invoices settled in the last 12 months were paid by their due date",
                p.sum(|payer| payer.invoices_on_time)
            ),
        ),
        part(
            "overdue_amount",
            0.10,
            has_data.then_some(overdue),
            on_data(overdue_sub),
            format!(
                "{} overdue on {overdue_count} invoices, against {} paid in 12 months",
                money_in(overdue, p.overdue_currency()),
                money_in(paid, None)
            ),
        ),
        part(
            "oldest_overdue_invoice_days",
            0.10,
            has_data.then_some(oldest as f64),
            on_data(linear_down(oldest as f64, 0.0, OVERDUE_ZERO_DAYS)),
            if oldest > 0 {
                format!("the oldest overdue invoice is {oldest} days past due")
            } else {
                "no invoice past due".to_owned()
            },
        ),
        part(
            "failed_subscription_payments",
            0.10,
            (subscriptions > 0 || failed > 0).then_some(f64::from(failed)),
            (subscriptions > 0 || failed > 0).then_some(subscription_sub),
            format!(
                "{failed} failed subscription payments; {suspended} subscriptions suspended, \
                 {cancelled} cancelled recently, of {subscriptions}"
            ),
        ),
        part(
            "refunds_disputes_chargebacks",
            0.10,
            has_data.then_some(f64::from(refunds + disputes + chargebacks)),
            on_data(trouble_sub),
            format!(
                "{refunds} refunds, {disputes} disputes and {chargebacks} chargebacks in the window"
            ),
        ),
        part(
            "days_since_last_payment",
            0.05,
            since_payment,
            since_payment
                .map(|days| linear_down(days, LAST_PAYMENT_FULL_DAYS, LAST_PAYMENT_ZERO_DAYS)),
            match since_payment {
                Some(days) => format!("last payment received {} days ago", days.floor()),
                None => "no payment received on record".to_owned(),
            },
        ),
    ]
}

pub(crate) fn payment_dimension(f: &ClientFeatures, ctx: &TenantContext) -> DimensionScore {
    if f.payments.is_empty() {
        return weighted_dimension(Dimension::Payment, crm_parts(f, ctx, 1.0));
    }
    let mut parts = crm_parts(f, ctx, CRM_SHARE_WITH_PAYMENTS);
    parts.extend(payment_parts(&f.payments, f.at));
    weighted_dimension(Dimension::Payment, parts)
}
