//! The engine's names in words, for people: each factor's label and unit, each evidence key's label,
//! values written with their unit ("37 days", "$8,828.50", "42%"), re-weighting explained in a
//! sentence, and whether an insight's amount is at stake or an upside. Pure. The client page's API
//! uses it; a test holds every factor and evidence key the engine writes to a label here, so a new
//! one cannot reach the page as snake_case.
//!
//! Money has one rule everywhere: [`money`] (`$12,345.67`, always two decimals), the formatter the
//! engine's own sentences already use; the dashboard's `money()` in `core.js` writes the same.

use crate::domain::{
    Dimension, DimensionScore, Direction, EngagementKind, Evidence, InsightType, TicketPriority,
    Weights,
};
use crate::scoring::confidence::money_in;
use crate::scoring::money;
use serde::{Deserialize, Serialize};

/// How a factor's raw value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Whole days, rounded down as the explanations do: "37 days".
    Days,
    /// "31.5 hours".
    Hours,
    /// "$8,828.50".
    Money,
    /// A share 0..=1: "42%".
    Share,
    /// A change as a share, signed: "+12%", "-8%".
    Change,
    /// A rate per 30 days: "4.2 per 30 days".
    PerMonth,
    /// "3", "1,250".
    Count,
    /// Points 0..=100 a stage is worth: "70 of 100".
    OutOf100,
    /// An answer on a 0..=10 scale, with one decimal: "7.5 of 10".
    OutOf10,
    /// The score a dimension starts from before its deductions; it has no raw value.
    StartingPoints,
}

/// Every factor the engine writes (`Factor::name`): its label and unit.
const FACTORS: &[(&str, &str, Unit)] = &[
    // CRM (HubSpot)
    ("lifecycle_stage", "Lifecycle stage", Unit::OutOf100),
    ("activity_recency", "Days since last activity", Unit::Days),
    ("activity_frequency", "CRM activity", Unit::PerMonth),
    // Usage (HubSpot)
    ("engagement_ratio", "Responses to outreach", Unit::Share),
    (
        "interaction_frequency",
        "Emails, calls and meetings",
        Unit::PerMonth,
    ),
    ("adoption", "Contacts who interacted", Unit::Share),
    // Usage (NinjaOne, Pax8, Microsoft 365)
    ("managed_devices", "Managed devices", Unit::Count),
    ("seat_trend_30d", "Seat change over 30 days", Unit::Change),
    ("seat_trend_90d", "Seat change over 90 days", Unit::Change),
    (
        "cancellations_and_downgrades_90d",
        "Subscriptions cancelled or reduced in 90 days",
        Unit::Count,
    ),
    ("products", "Products subscribed", Unit::Count),
    (
        "active_users_vs_licensed",
        "Active users per assigned licence",
        Unit::Share,
    ),
    ("licences_assigned", "Bought licences assigned", Unit::Share),
    (
        "mailbox_activity_trend",
        "Email activity change",
        Unit::Change,
    ),
    (
        "teams_activity_trend",
        "Teams activity change",
        Unit::Change,
    ),
    // Support (HubSpot)
    ("tickets", "Tickets on record", Unit::Count),
    ("baseline", "Support starting score", Unit::StartingPoints),
    (
        "open_tickets",
        "Open tickets of normal priority",
        Unit::Count,
    ),
    (
        "open_high_priority_tickets",
        "Open tickets of high or urgent priority",
        Unit::Count,
    ),
    (
        "median_hours_to_close",
        "Median time to close a ticket",
        Unit::Hours,
    ),
    ("ticket_volume", "New tickets", Unit::PerMonth),
    // Support's satisfaction (HubSpot, or a user's sentiment)
    ("csm_sentiment", "Account team sentiment", Unit::OutOf100),
    ("nps", "Mean NPS answer of contacts", Unit::OutOf10),
    // Any dimension a user overrode: the value is the score from the data.
    (
        "user_override",
        "Set by a user (score from the data)",
        Unit::OutOf100,
    ),
    // Support (NinjaOne)
    (
        "it_baseline",
        "IT support starting score",
        Unit::StartingPoints,
    ),
    (
        "devices_offline_long",
        "Devices offline over a week",
        Unit::Share,
    ),
    ("open_critical_alerts", "Open critical alerts", Unit::Count),
    ("open_major_alerts", "Open major alerts", Unit::Count),
    (
        "patch_failures",
        "Devices with failed OS patches",
        Unit::Count,
    ),
    (
        "antivirus_problems",
        "Devices with antivirus problems",
        Unit::Count,
    ),
    (
        "it_ticket_volume",
        "NinjaOne tickets in 30 days",
        Unit::Count,
    ),
    (
        "it_open_high_priority_tickets",
        "Open NinjaOne tickets of high or urgent priority",
        Unit::Count,
    ),
    (
        "it_oldest_open_ticket_days",
        "Oldest open NinjaOne ticket",
        Unit::Days,
    ),
    // Payment (HubSpot deals)
    ("revenue_value", "Revenue", Unit::Money),
    (
        "last_won_deal_recency",
        "Days since a deal was last won",
        Unit::Days,
    ),
    (
        "won_vs_lost_12_months",
        "Deals won against lost in 12 months",
        Unit::Share,
    ),
    // Payment (PayPal)
    (
        "invoices_paid_on_time",
        "Invoices paid on time",
        Unit::Share,
    ),
    ("overdue_amount", "Amount overdue", Unit::Money),
    (
        "oldest_overdue_invoice_days",
        "Oldest overdue invoice",
        Unit::Days,
    ),
    (
        "failed_subscription_payments",
        "Failed subscription payments",
        Unit::Count,
    ),
    (
        "refunds_disputes_chargebacks",
        "Refunds, disputes and chargebacks",
        Unit::Count,
    ),
    (
        "days_since_last_payment",
        "Days since the last payment",
        Unit::Days,
    ),
];

/// Every evidence key the engine writes (`Evidence::name`): its label. The value reads by the
/// evidence's own unit ([`evidence_value`]).
const EVIDENCE: &[(&str, &str)] = &[
    ("activities_recorded", "Activities recorded"),
    ("chargebacks", "Chargebacks"),
    ("churn_risk", "Churn risk"),
    ("crm_activities_recorded", "CRM activities recorded"),
    ("crm_interaction_fall", "Fall in CRM interactions"),
    (
        "crm_interactions_30d",
        "CRM interactions in the last 30 days",
    ),
    (
        "crm_interactions_prior_30d",
        "CRM interactions in the 30 days before",
    ),
    (
        "days_since_crm_activity",
        "Time since the last CRM activity",
    ),
    ("days_since_last_activity", "Time since the last activity"),
    ("devices", "Managed devices"),
    ("devices_offline_long", "Devices offline over a week"),
    ("devices_offline_share", "Share of devices offline"),
    ("disputed_amount", "Amount disputed"),
    ("disputes", "Disputes"),
    (
        "failed_subscription_payments",
        "Failed subscription payments",
    ),
    ("healthy_median_revenue", "Healthy clients' median revenue"),
    ("idle_seats", "Paid seats nobody uses"),
    ("interactions_in_window", "Interactions in the window"),
    ("invoices_paid_on_time", "Invoices paid on time"),
    (
        "it_alerts_and_tickets_30d",
        "IT alerts and tickets in the last 30 days",
    ),
    (
        "it_alerts_and_tickets_prior_30d",
        "IT alerts and tickets in the 30 days before",
    ),
    ("licences_consumed", "Licences assigned"),
    ("licences_enabled", "Licences bought"),
    ("licences_unassigned", "Licences nobody is assigned"),
    (
        "m365_active_users_30d",
        "Microsoft 365 users active in 30 days",
    ),
    ("m365_activity_fall", "Fall in Microsoft 365 activity"),
    ("oldest_overdue_days", "Oldest overdue invoice, past due by"),
    ("open_critical_alerts", "Open critical alerts"),
    ("open_deals", "Open deals"),
    (
        "open_high_priority_tickets",
        "Open tickets of high or urgent priority",
    ),
    ("open_major_alerts", "Open major alerts"),
    ("outreach", "Outreach (emails sent, outbound calls)"),
    ("overall", "Overall score"),
    ("overdue_amount", "Amount overdue"),
    ("overdue_invoices", "Overdue invoices"),
    ("pax8_seats", "Seats paid for in Pax8"),
    ("peak_overall_30d", "Highest overall score in 30 days"),
    ("peers", "Similar clients compared"),
    (
        "peers_holding_product",
        "Similar clients holding the product",
    ),
    ("products_missing", "Products missing"),
    ("response_ratio", "Responses to outreach"),
    ("responses", "Responses (emails received, inbound calls)"),
    ("revenue", "Revenue"),
    ("risk_factors", "Risk factors"),
    ("seat_growth_90d", "Seat growth in 90 days"),
    ("seats", "Seats"),
    ("seats_90d_ago", "Seats 90 days ago"),
    ("subscriptions", "Subscriptions"),
    ("subscriptions_cancelled", "Subscriptions cancelled"),
    (
        "subscriptions_cancelled_90d",
        "Subscriptions cancelled in 90 days",
    ),
    (
        "subscriptions_reduced_90d",
        "Subscriptions reduced in 90 days",
    ),
    ("subscriptions_suspended", "Subscriptions suspended"),
    (
        "threshold_high_value_min_interactions",
        "Interactions a high-value client should have (threshold)",
    ),
    (
        "threshold_high_value_revenue",
        "High-value revenue from (threshold)",
    ),
    ("threshold_idle_seat_share", "Idle seats from (threshold)"),
    ("threshold_inactive_days", "Inactive after (threshold)"),
    (
        "threshold_low_response_ratio",
        "Low response under (threshold)",
    ),
    (
        "threshold_many_offline_share",
        "Many devices offline from (threshold)",
    ),
    (
        "threshold_overdue_grace_days",
        "Grace after the due date (threshold)",
    ),
    ("threshold_seat_drop_share", "Seat drop from (threshold)"),
    (
        "threshold_seat_growth_share",
        "Seat growth from (threshold)",
    ),
    ("threshold_silent_days", "Silent after (threshold)"),
    (
        "threshold_unused_licence_share",
        "Unused licences from (threshold)",
    ),
    ("window_days", "Window"),
    ("won_deals_12_months", "Deals won in 12 months"),
    ("days_to_at_risk", "Days until at risk, at this pace"),
    ("threshold_at_risk_overall", "At risk under (threshold)"),
    ("forecast_days_used", "Days of scores behind the forecast"),
    ("overall_now", "Overall health now"),
    ("projected_high", "Projected overall, high end"),
    ("projected_low", "Projected overall, low end"),
    ("projected_overall", "Projected overall in 30 days"),
    ("trend_per_week", "Trend per week"),
];

/// The label and unit of a factor the engine knows; `None` for a name it never writes.
pub fn factor_wording(name: &str) -> Option<(&'static str, Unit)> {
    FACTORS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, label, unit)| (*label, *unit))
}

/// Every factor's name and label, for what names factors without a score at hand (the waterfall of
/// a score change).
pub fn factor_labels() -> impl Iterator<Item = (&'static str, &'static str)> {
    FACTORS.iter().map(|(name, label, _)| (*name, *label))
}

/// "Days since last activity". A name without wording (a score stored by a later engine) still
/// reads as words, never as snake_case.
pub fn factor_label(name: &str) -> String {
    factor_wording(name).map_or_else(|| humanise(name), |(label, _)| label.to_owned())
}

/// The factor's value with its unit: "37 days", "$8,828.50", "42%"; "no data" when missing.
pub fn factor_value(name: &str, value: Option<f64>) -> String {
    let unit = factor_wording(name).map_or(Unit::Count, |(_, unit)| unit);
    match (unit, value) {
        (Unit::StartingPoints, _) => "starts at 100".to_owned(),
        (_, None) => "no data".to_owned(),
        (unit, Some(v)) => in_unit(unit, v),
    }
}

fn in_unit(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Days => days(v),
        Unit::Hours => format!("{v:.1} hours"),
        Unit::Money => money(v),
        Unit::Share => percent(v),
        Unit::Change => {
            let rounded = (100.0 * v).round();
            if rounded > 0.0 {
                format!("+{rounded:.0}%")
            } else {
                // -0 reads as 0.
                format!("{:.0}%", rounded + 0.0)
            }
        }
        Unit::PerMonth => format!("{v:.1} per 30 days"),
        Unit::Count => count(v),
        Unit::OutOf100 => format!("{:.0} of 100", v.round()),
        Unit::OutOf10 => format!("{v:.1} of 10"),
        Unit::StartingPoints => "starts at 100".to_owned(),
    }
}

/// The label of an evidence key the engine knows; `None` for one it never writes.
pub fn evidence_label(key: &str) -> Option<&'static str> {
    EVIDENCE
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, label)| *label)
}

/// An evidence value by its unit: `usd` in dollars, another currency code after the amount
/// (`1,200.00 EUR`), `ratio` and `percent` as percentages, `days` in days, counts as numbers.
pub fn evidence_value(value: f64, unit: Option<&str>) -> String {
    match unit {
        Some("usd") => money(value),
        Some("count") => count(value),
        Some("days") => days(value),
        Some("ratio") => percent(value),
        Some("percent") => format!("{:.0}%", value.round()),
        Some("points") => format!("{:.0}", value.round()),
        // An amount whose currency is not known (payers in several currencies).
        Some("amount") => decimal(value),
        Some(code) if code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()) => {
            money_in(value, Some(&code.to_ascii_uppercase()))
        }
        _ => count(value),
    }
}

/// "Healthy clients' median revenue: $45,796.50".
pub fn evidence_text(evidence: &Evidence) -> String {
    let label =
        evidence_label(&evidence.name).map_or_else(|| humanise(&evidence.name), str::to_owned);
    format!(
        "{label}: {}",
        evidence_value(evidence.value, evidence.unit.as_deref())
    )
}

/// Whether an insight's amount is money the tenant may lose or money it may gain: an upsell's
/// amount is an upside, never "at stake".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RevenueKind {
    AtStake,
    Upside,
}

impl RevenueKind {
    pub fn of(insight_type: InsightType) -> Self {
        match insight_type {
            InsightType::UpsellOpportunity => RevenueKind::Upside,
            InsightType::ClientHealth
            | InsightType::RevenueOptimization
            | InsightType::ChurnRisk
            | InsightType::PaymentRisk => RevenueKind::AtStake,
        }
    }

    /// "at stake" or "upside", as written after the amount.
    pub fn label(self) -> &'static str {
        match self {
            RevenueKind::AtStake => "at stake",
            RevenueKind::Upside => "upside",
        }
    }
}

pub fn dimension_label(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Crm => "CRM",
        Dimension::Payment => "Payment",
        Dimension::Usage => "Usage",
        Dimension::Support => "Support",
    }
}

/// The configured weight of a dimension, as the engine reads it (not finite or negative: 0).
fn configured_weight(weights: &Weights, dimension: Dimension) -> f64 {
    let w = match dimension {
        Dimension::Crm => weights.crm,
        Dimension::Payment => weights.payment,
        Dimension::Usage => weights.usage,
        Dimension::Support => weights.support,
    };
    if w.is_finite() && w > 0.0 {
        w
    } else {
        0.0
    }
}

/// Why the weights shown differ from the tenant's settings: "Payment has no data, so its 25% weight
/// is shared among the others: CRM now counts 40%, Usage 33%, Support 27%." `None` when every
/// dimension with a configured weight has data.
pub fn reweighting(dimensions: &[DimensionScore], weights: &Weights) -> Option<String> {
    let total: f64 = Dimension::ALL
        .iter()
        .map(|d| configured_weight(weights, *d))
        .sum();
    if total <= 0.0 {
        return None;
    }
    let missing: Vec<(Dimension, f64)> = dimensions
        .iter()
        .filter(|d| d.score.is_none())
        .map(|d| (d.dimension, configured_weight(weights, d.dimension) / total))
        .filter(|(_, share)| *share > 0.0)
        .collect();
    if missing.is_empty() {
        return None;
    }
    let present: Vec<&DimensionScore> = dimensions.iter().filter(|d| d.score.is_some()).collect();
    let names = join(missing.iter().map(|(d, _)| dimension_label(*d).to_owned()));
    let shares = join(missing.iter().map(|(_, share)| percent(*share)));
    let (verb, their, weight) = if missing.len() == 1 {
        ("has", "its", "weight")
    } else {
        ("have", "their", "weights")
    };
    let sentence = match present.as_slice() {
        [] => format!("{names} {verb} no data yet, so there is no overall score to weigh."),
        [only] => format!(
            "{names} {verb} no data, so {their} {shares} {weight} {} to {}, which now counts 100%.",
            if missing.len() == 1 { "goes" } else { "go" },
            dimension_label(only.dimension)
        ),
        _ => format!(
            "{names} {verb} no data, so {their} {shares} {weight} {} shared among the others: {}.",
            if missing.len() == 1 { "is" } else { "are" },
            present
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let share = percent(d.weight);
                    if i == 0 {
                        format!("{} now counts {share}", dimension_label(d.dimension))
                    } else {
                        format!("{} {share}", dimension_label(d.dimension))
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Some(sentence)
}

/// A HubSpot lifecycle stage as people read it: `salesqualifiedlead` -> "Sales qualified lead";
/// custom stages as they are.
pub fn lifecycle_stage_label(stage: &str) -> String {
    match stage {
        "subscriber" => "Subscriber".to_owned(),
        "lead" => "Lead".to_owned(),
        "marketingqualifiedlead" => "Marketing qualified lead".to_owned(),
        "salesqualifiedlead" => "Sales qualified lead".to_owned(),
        "opportunity" => "Opportunity".to_owned(),
        "customer" => "Customer".to_owned(),
        "evangelist" => "Evangelist".to_owned(),
        "other" => "Other".to_owned(),
        custom => custom.to_owned(),
    }
}

/// A deal stage of HubSpot's default sales pipeline in words; a custom pipeline's stage id as it is.
pub fn deal_stage_label(stage: &str) -> String {
    match stage {
        "appointmentscheduled" => "Appointment scheduled".to_owned(),
        "qualifiedtobuy" => "Qualified to buy".to_owned(),
        "presentationscheduled" => "Presentation scheduled".to_owned(),
        "decisionmakerboughtin" => "Decision maker bought in".to_owned(),
        "contractsent" => "Contract sent".to_owned(),
        "closedwon" => "Closed won".to_owned(),
        "closedlost" => "Closed lost".to_owned(),
        custom => custom.to_owned(),
    }
}

pub fn ticket_priority_label(priority: TicketPriority) -> &'static str {
    match priority {
        TicketPriority::Low => "Low",
        TicketPriority::Medium => "Medium",
        TicketPriority::High => "High",
        TicketPriority::Urgent => "Urgent",
    }
}

/// "Email received", "Call made", "Meeting": what an engagement was, from the client's side.
pub fn interaction_label(kind: EngagementKind, direction: Option<Direction>) -> &'static str {
    match (kind, direction) {
        (EngagementKind::Email, Some(Direction::Outbound)) => "Email sent",
        (EngagementKind::Email, Some(Direction::Inbound)) => "Email received",
        (EngagementKind::Email, None) => "Email",
        (EngagementKind::Call, Some(Direction::Outbound)) => "Call made",
        (EngagementKind::Call, Some(Direction::Inbound)) => "Call received",
        (EngagementKind::Call, None) => "Call",
        (EngagementKind::Meeting, _) => "Meeting",
        (EngagementKind::Note, _) => "Note",
        (EngagementKind::Task, _) => "Task",
    }
}

/// Whole days, rounded down: "1 day", "37 days".
pub fn days(v: f64) -> String {
    let whole = v.floor().max(0.0);
    if whole == 1.0 {
        "1 day".to_owned()
    } else {
        format!("{} days", count(whole))
    }
}

/// A share 0..=1 as a whole percentage: "42%".
pub fn percent(share: f64) -> String {
    format!("{:.0}%", (100.0 * share).round() + 0.0)
}

/// A whole number with thousands separators ("1,250"), or one decimal when it has a fraction.
pub fn count(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        let sign = if v < 0.0 { "-" } else { "" };
        format!("{sign}{}", group(v.abs().round() as u64))
    } else {
        format!("{v:.1}")
    }
}

/// Two decimals with thousands separators, no currency: "1,200.50".
fn decimal(v: f64) -> String {
    // The dollar formatter's digits, without its sign and symbol.
    let dollars = money(v);
    let sign = if v < 0.0 { "-" } else { "" };
    format!("{sign}{}", dollars.trim_start_matches(['-', '$']))
}

fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}

fn join(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    match items.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// "seat_trend_30d" -> "Seat trend 30d": the last resort for a name without wording.
fn humanise(name: &str) -> String {
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
#[path = "wording_tests.rs"]
mod tests;
