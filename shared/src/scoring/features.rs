//! Folding a client's snapshot into the figures the rules read, at a given `now` and window.

use crate::domain::{
    ClientId, ClientSnapshot, Direction, EngagementKind, Platform, ScoringSettings, TicketPriority,
};
use crate::scoring::accounts::{derive_account_features, AccountFeatures};
use crate::scoring::linked::LinkedRecords;
use crate::scoring::overrides::active_overrides;
use crate::scoring::payments::{derive_payment_features, PaymentFeatures};
use crate::scoring::satisfaction::SatisfactionFeatures;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashSet;

/// The look-back for payment patterns (won and lost deals) and resolution times.
pub const YEAR_DAYS: i64 = 365;

const SECONDS_PER_DAY: f64 = 86_400.0;
const SECONDS_PER_HOUR: f64 = 3_600.0;

/// Everything the engine knows about one client at `now`. Counts "in W" cover
/// `now - window_days ..= now`; anything dated after `now` (a meeting booked for next week) is not
/// activity yet and is ignored.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientFeatures {
    pub client_id: ClientId,
    pub client_name: String,
    pub at: DateTime<Utc>,
    pub window_days: u32,
    /// Lower-cased lifecycle stage, when known.
    pub lifecycle_stage: Option<String>,
    /// The latest of every engagement timestamp and the company's own activity dates.
    pub last_activity: Option<DateTime<Utc>>,
    /// Days (with fraction) from `last_activity` to `now`; `None` when there never was any.
    pub days_since_last_activity: Option<f64>,
    pub interactions: InteractionCounts,
    /// Notes and tasks in W: internal work, activity but not interactions.
    pub internal_activities: u32,
    /// Engagement records of any kind and age, in the snapshot: shows whether the tenant logs them.
    pub engagements_recorded: u32,
    /// Whether the company carries any of HubSpot's own activity dates.
    pub has_company_activity_dates: bool,
    /// Contacts of this client with an interaction in W.
    pub engaged_contacts: u32,
    pub total_contacts: u32,
    pub revenue: RevenueFeatures,
    pub deals: DealFeatures,
    pub tickets: TicketFeatures,
    /// Independent data sources behind the snapshot (at least 1).
    pub sources: u32,
    /// The snapshot's sources that name a known platform (HubSpot when none does).
    pub platforms: Vec<Platform>,
    /// Figures of the payer records linked to the client; empty for a CRM-only client.
    pub payments: PaymentFeatures,
    /// Figures of the accounts (NinjaOne, Pax8, Microsoft 365) linked to the client; empty for a
    /// client without linked accounts.
    pub accounts: AccountFeatures,
    /// CSM sentiment and NPS, support's satisfaction factor (`scoring::satisfaction`).
    pub satisfaction: SatisfactionFeatures,
    /// The users' overrides in force at `at`, one per kind.
    pub overrides: Vec<crate::domain::ClientOverride>,
}

/// Emails, calls and meetings in W, by kind and direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InteractionCounts {
    pub emails_sent: u32,
    pub emails_received: u32,
    /// Emails with no known direction (forwarded).
    pub emails_other: u32,
    pub calls_outbound: u32,
    pub calls_inbound: u32,
    pub calls_other: u32,
    pub meetings_completed: u32,
    /// Meetings that were booked but not (yet) completed: interactions, but no response.
    pub meetings_other: u32,
}

impl InteractionCounts {
    pub fn total(&self) -> u32 {
        self.emails_sent
            + self.emails_received
            + self.emails_other
            + self.calls_outbound
            + self.calls_inbound
            + self.calls_other
            + self.meetings_completed
            + self.meetings_other
    }

    /// Sent emails and outbound calls.
    pub fn outreach(&self) -> u32 {
        self.emails_sent + self.calls_outbound
    }

    /// Received emails, inbound calls and completed meetings.
    pub fn responses(&self) -> u32 {
        self.emails_received + self.calls_inbound + self.meetings_completed
    }

    /// Responses per outreach; `None` without outreach (nothing could go unanswered).
    pub fn response_ratio(&self) -> Option<f64> {
        let outreach = self.outreach();
        (outreach > 0).then(|| f64::from(self.responses()) / f64::from(outreach))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevenueSource {
    /// Sum of closed-won deal amounts.
    ClosedWonDeals,
    /// The company's own `total_revenue`, used when no won deal carries an amount.
    ReportedRevenue,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RevenueFeatures {
    /// Closed-won amounts, all time.
    pub won_all_time: f64,
    /// Closed-won amounts with a close date in the last 12 months.
    pub won_last_12_months: f64,
    /// Closed-won deals that carried a usable amount.
    pub won_deals_with_amount: u32,
    /// The company's `total_revenue`.
    pub reported: Option<f64>,
}

impl RevenueFeatures {
    /// The revenue the rules use, and where it came from; `None` when nothing is known.
    pub fn value(&self) -> Option<(f64, RevenueSource)> {
        if self.won_deals_with_amount > 0 {
            Some((self.won_all_time, RevenueSource::ClosedWonDeals))
        } else {
            self.reported.map(|r| (r, RevenueSource::ReportedRevenue))
        }
    }

    pub fn amount(&self) -> Option<f64> {
        self.value().map(|(amount, _)| amount)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DealFeatures {
    pub won_last_12_months: u32,
    pub lost_last_12_months: u32,
    pub open: u32,
    pub last_won_at: Option<DateTime<Utc>>,
    pub total: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TicketFeatures {
    pub total: u32,
    pub open: u32,
    /// Open with priority HIGH or URGENT.
    pub open_high_priority: u32,
    pub created_in_window: u32,
    /// Median hours from creation to close, over tickets closed in the last 12 months.
    pub median_hours_to_close: Option<f64>,
}

fn days_between(earlier: DateTime<Utc>, later: DateTime<Utc>) -> f64 {
    (later - earlier).num_milliseconds() as f64 / 1000.0 / SECONDS_PER_DAY
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(match values.len() % 2 {
        0 => (values[mid - 1] + values[mid]) / 2.0,
        _ => values[mid],
    })
}

/// Folds a snapshot and the records linked to its client into features. Pure: the same inputs give
/// the same result; with no linked records it is exactly [`derive_features`].
pub fn derive_linked_features(
    snapshot: &ClientSnapshot,
    linked: &LinkedRecords,
    settings: &ScoringSettings,
    now: DateTime<Utc>,
) -> ClientFeatures {
    let mut features = derive_features(snapshot, settings, now);
    if !linked.is_empty() {
        features.payments = derive_payment_features(linked, settings, now);
        features.accounts = derive_account_features(snapshot, linked, settings, now);
    }
    features.overrides = active_overrides(&linked.overrides, now);
    if let Some(sentiment) = features.overrides.iter().find_map(|o| o.sentiment()) {
        features.satisfaction.sentiment = Some(sentiment);
        features.satisfaction.sentiment_overridden = true;
    }
    features
}

/// Folds a snapshot into features. Pure: the same snapshot, settings and `now` give the same result.
pub fn derive_features(
    snapshot: &ClientSnapshot,
    settings: &ScoringSettings,
    now: DateTime<Utc>,
) -> ClientFeatures {
    let window_start = now - Duration::days(i64::from(settings.window_days));
    let year_start = now - Duration::days(YEAR_DAYS);
    let in_window = |at: DateTime<Utc>| at >= window_start && at <= now;

    let mut interactions = InteractionCounts::default();
    let mut internal_activities = 0u32;
    let mut last_activity: Option<DateTime<Utc>> = None;
    let known_contacts: HashSet<&str> = snapshot.contacts.iter().map(|c| c.id.as_str()).collect();
    let mut engaged: HashSet<&str> = HashSet::new();

    for engagement in &snapshot.engagements {
        let at = engagement.occurred_at;
        if at > now {
            continue;
        }
        last_activity = last_activity.max(Some(at));
        if !in_window(at) {
            continue;
        }
        let counter = match (engagement.kind, engagement.direction) {
            (EngagementKind::Email, Some(Direction::Outbound)) => &mut interactions.emails_sent,
            (EngagementKind::Email, Some(Direction::Inbound)) => &mut interactions.emails_received,
            (EngagementKind::Email, None) => &mut interactions.emails_other,
            (EngagementKind::Call, Some(Direction::Outbound)) => &mut interactions.calls_outbound,
            (EngagementKind::Call, Some(Direction::Inbound)) => &mut interactions.calls_inbound,
            (EngagementKind::Call, None) => &mut interactions.calls_other,
            (EngagementKind::Meeting, _) if engagement.completed => {
                &mut interactions.meetings_completed
            }
            (EngagementKind::Meeting, _) => &mut interactions.meetings_other,
            (EngagementKind::Note | EngagementKind::Task, _) => &mut internal_activities,
        };
        *counter += 1;
        if engagement.kind.is_interaction() {
            engaged.extend(
                engagement
                    .contact_ids
                    .iter()
                    .map(String::as_str)
                    .filter(|id| known_contacts.contains(id)),
            );
        }
    }

    let company = &snapshot.activity;
    let company_dates = [
        company.last_contacted,
        company.last_sales_activity,
        company.last_updated_notes,
    ];
    for at in company_dates.into_iter().flatten() {
        if at <= now {
            last_activity = last_activity.max(Some(at));
        }
    }

    let mut revenue = RevenueFeatures {
        reported: snapshot.reported_revenue.filter(|r| r.is_finite()),
        ..RevenueFeatures::default()
    };
    let mut deals = DealFeatures {
        total: u32::try_from(snapshot.deals.len()).unwrap_or(u32::MAX),
        ..DealFeatures::default()
    };
    for deal in &snapshot.deals {
        if !deal.is_closed && !deal.is_closed_won {
            deals.open += 1;
            continue;
        }
        let closed_this_year = deal
            .close_date
            .is_some_and(|at| at >= year_start && at <= now);
        if deal.is_closed_won {
            if let Some(amount) = deal.amount.filter(|a| a.is_finite()) {
                revenue.won_all_time += amount;
                revenue.won_deals_with_amount += 1;
                if closed_this_year {
                    revenue.won_last_12_months += amount;
                }
            }
            if closed_this_year {
                deals.won_last_12_months += 1;
            }
            if let Some(at) = deal.close_date.filter(|at| *at <= now) {
                deals.last_won_at = deals.last_won_at.max(Some(at));
            }
        } else if closed_this_year {
            deals.lost_last_12_months += 1;
        }
    }

    let mut tickets = TicketFeatures {
        total: u32::try_from(snapshot.tickets.len()).unwrap_or(u32::MAX),
        ..TicketFeatures::default()
    };
    let mut hours_to_close = Vec::new();
    for ticket in &snapshot.tickets {
        if ticket.is_open {
            tickets.open += 1;
            if ticket.priority.is_some_and(TicketPriority::is_high) {
                tickets.open_high_priority += 1;
            }
        }
        if ticket.created_at.is_some_and(in_window) {
            tickets.created_in_window += 1;
        }
        if let (false, Some(created), Some(closed)) =
            (ticket.is_open, ticket.created_at, ticket.closed_at)
        {
            if closed >= created && closed >= year_start && closed <= now {
                hours_to_close.push((closed - created).num_seconds() as f64 / SECONDS_PER_HOUR);
            }
        }
    }
    tickets.median_hours_to_close = median(&mut hours_to_close);

    let mut sources: Vec<&str> = snapshot.sources.iter().map(String::as_str).collect();
    sources.sort_unstable();
    sources.dedup();
    let mut platforms: Vec<Platform> = sources.iter().filter_map(|s| Platform::parse(s)).collect();
    if platforms.is_empty() {
        platforms.push(Platform::Hubspot);
    }
    platforms.sort_unstable();

    ClientFeatures {
        client_id: snapshot.client_id.clone(),
        client_name: snapshot.name.clone(),
        at: now,
        window_days: settings.window_days,
        lifecycle_stage: snapshot
            .lifecycle_stage
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_ascii_lowercase),
        last_activity,
        days_since_last_activity: last_activity.map(|at| days_between(at, now)),
        interactions,
        internal_activities,
        engagements_recorded: u32::try_from(snapshot.engagements.len()).unwrap_or(u32::MAX),
        has_company_activity_dates: company_dates.iter().any(Option::is_some),
        engaged_contacts: u32::try_from(engaged.len()).unwrap_or(u32::MAX),
        total_contacts: u32::try_from(snapshot.contacts.len()).unwrap_or(u32::MAX),
        revenue,
        deals,
        tickets,
        sources: u32::try_from(sources.len()).unwrap_or(u32::MAX).max(1),
        platforms,
        payments: PaymentFeatures::default(),
        accounts: AccountFeatures::default(),
        satisfaction: SatisfactionFeatures::of(snapshot),
        overrides: Vec::new(),
    }
}
