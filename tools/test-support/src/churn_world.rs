//! A generated tenant whose churn follows a known hazard (issue 18): the ground truth a backtest of
//! the health score is judged against.
//!
//! Each client lives a year (plus [`WARMUP_DAYS`] before it, so the first scoring day already sees a
//! full window of activity). A latent *distress* `d`, 0 to 1, drives what the CRM records:
//! - interactions (emails, calls, meetings) arrive at `rate0 x (1 - 0.85 d)` a day, `rate0` drawn per
//!   client between 0.15 and 0.6; a share `response0 x (1 - 0.7 d)` of them are the client's
//!   responses (received emails, inbound calls, completed meetings), the rest outreach;
//! - high-priority or urgent tickets open at `0.002 + 0.025 d` a day and stay open 1 to `4 + 40 d`
//!   days; normal tickets open at 0.01 a day and close within 5 days;
//! - the yearly renewal deal (open 60 days before its close) is won with chance `0.92 - 0.8 d`, add-on
//!   deals (one per 150 days) with `0.6 - 0.45 d`.
//!
//! Distress is 0 for most clients. [`DISTRESSED_SHARE`] of them start declining on a random day,
//! reach full distress over 30 to 120 days and, for [`RECOVERING_SHARE`] of those, recover as slowly
//! after a plateau of 20 to 80 days.
//!
//! **The hazard.** Churn is not drawn from `d` but from what the records show, the same signals the
//! score reads. On each day of the year a client still a customer churns with probability
//! [`daily_hazard`]:
//!
//! ```text
//! h = sigmoid(-11 + 0.11 x min(quiet days, 60) + 1.0 x open high-priority tickets
//!             + 1.2 x deals lost in the last 90 days)
//! ```
//!
//! where quiet days are the days since the last interaction. A healthy client (a week quiet, no
//! urgent ticket, no lost deal) churns at about 0.003% a day, 1% a year; one 40 days quiet with two
//! urgent tickets and a lost renewal at about 3% a day. So churners are, but for about 1% a year,
//! the clients whose signals went bad. From the churn day the client stops: no new
//! records, its lifecycle stage leaves `customer` (`other`), and its open deals close lost that day.
//!
//! Deterministic: each client draws from a `StdRng` seeded with the world's seed and its index, so
//! a seed gives the same world, and a bigger world starts with the same clients.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shared::domain::{
    ClientId, ClientSnapshot, ContactSummary, Deal, Direction, Engagement, EngagementKind, Ticket,
    TicketPriority,
};

/// Days simulated before the year, without churn, so the first scoring day has a full window.
pub const WARMUP_DAYS: i64 = 120;

/// Intercept of the hazard's logit: the daily churn odds of a perfectly healthy client.
pub const HAZARD_INTERCEPT: f64 = -11.0;
/// Logit added per day since the last interaction ...
pub const HAZARD_PER_QUIET_DAY: f64 = 0.11;
/// ... counted up to this many days.
pub const HAZARD_QUIET_DAYS_CAP: f64 = 60.0;
/// Logit added per open ticket of high or urgent priority.
pub const HAZARD_PER_URGENT_TICKET: f64 = 1.0;
/// Logit added per deal closed lost within [`HAZARD_LOST_DEAL_DAYS`].
pub const HAZARD_PER_LOST_DEAL: f64 = 1.2;
/// How long a lost deal weighs on the hazard.
pub const HAZARD_LOST_DEAL_DAYS: f64 = 90.0;

/// Share of clients whose distress rises at some point.
pub const DISTRESSED_SHARE: f64 = 0.35;
/// Share of the distressed who recover.
pub const RECOVERING_SHARE: f64 = 0.3;

/// Days before its close a renewal deal is open.
const RENEWAL_OPEN_DAYS: i64 = 60;
/// Days an add-on deal is open.
const ADDON_OPEN_DAYS: i64 = 30;
/// Mixed with the client's index into its seed.
const CLIENT_SALT: u64 = 0x9E37_79B9_7F4A_7C15;

/// What the records show of a client on a day: the hazard's inputs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HazardSignals {
    /// Days since the last interaction (email, call or meeting).
    pub quiet_days: f64,
    /// Open tickets of high or urgent priority.
    pub open_urgent_tickets: u32,
    /// Deals closed lost in the last [`HAZARD_LOST_DEAL_DAYS`].
    pub deals_lost_recently: u32,
}

/// The probability that a customer with these signals churns on the day (see the module doc).
pub fn daily_hazard(signals: &HazardSignals) -> f64 {
    let logit = HAZARD_INTERCEPT
        + HAZARD_PER_QUIET_DAY * signals.quiet_days.clamp(0.0, HAZARD_QUIET_DAYS_CAP)
        + HAZARD_PER_URGENT_TICKET * f64::from(signals.open_urgent_tickets)
        + HAZARD_PER_LOST_DEAL * f64::from(signals.deals_lost_recently);
    1.0 / (1.0 + (-logit).exp())
}

/// How a world is generated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorldSettings {
    pub clients: usize,
    pub seed: u64,
    /// Day 0 of the year (scoring and churn happen from here on).
    pub start: DateTime<Utc>,
    /// Length of the year, in days.
    pub days: i64,
}

impl WorldSettings {
    /// `clients` clients over 365 days from 2025-01-01.
    pub fn year(clients: usize, seed: u64) -> Self {
        Self {
            clients,
            seed,
            start: Utc
                .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
            days: 365,
        }
    }
}

/// A deal as the world knows it: when it was opened, when it was meant to close, and how it did.
#[derive(Debug, Clone, PartialEq)]
struct WorldDeal {
    id: String,
    amount: f64,
    opened_at: DateTime<Utc>,
    planned_close: DateTime<Utc>,
    /// When it closed and whether it was won; `None` while it never closed in the world.
    closed: Option<(DateTime<Utc>, bool)>,
}

/// One client's whole path: every record it will ever have, dated, and its churn.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldClient {
    pub client_id: ClientId,
    pub name: String,
    contacts: Vec<String>,
    engagements: Vec<Engagement>,
    tickets: Vec<Ticket>,
    deals: Vec<WorldDeal>,
    /// When the client churned; `None` when it was still a customer at the end of the year.
    pub churned_at: Option<DateTime<Utc>>,
    /// Whether its distress ever rose (for tests and tuning; the score never sees it).
    pub distressed: bool,
}

impl WorldClient {
    /// The client's snapshot as a sync on `at` would have seen it: records dated up to `at` (a
    /// year of them), tickets open unless closed by then, deals open until their close.
    pub fn snapshot_at(&self, at: DateTime<Utc>) -> ClientSnapshot {
        let year_ago = at - Duration::days(365);
        let engagements: Vec<Engagement> = self
            .engagements
            .iter()
            .filter(|e| e.occurred_at > year_ago && e.occurred_at <= at)
            .cloned()
            .collect();
        let tickets = self
            .tickets
            .iter()
            .filter(|t| t.created_at.is_some_and(|c| c <= at))
            .filter(|t| t.closed_at.is_none_or(|c| c > year_ago))
            .map(|t| {
                let closed_at = t.closed_at.filter(|c| *c <= at);
                Ticket {
                    is_open: closed_at.is_none(),
                    closed_at,
                    ..t.clone()
                }
            })
            .collect();
        let deals = self
            .deals
            .iter()
            .filter(|d| d.opened_at <= at)
            .map(|d| {
                let closed = d.closed.filter(|(when, _)| *when <= at);
                Deal {
                    id: d.id.clone(),
                    amount: Some(d.amount),
                    is_closed: closed.is_some(),
                    is_closed_won: closed.is_some_and(|(_, won)| won),
                    close_date: Some(closed.map_or(d.planned_close, |(when, _)| when)),
                    stage: Some(
                        match closed {
                            Some((_, true)) => "closedwon",
                            Some((_, false)) => "closedlost",
                            None => "contractsent",
                        }
                        .to_owned(),
                    ),
                }
            })
            .collect();
        let churned = self.churned_at.is_some_and(|c| c <= at);
        ClientSnapshot {
            client_id: self.client_id.clone(),
            name: self.name.clone(),
            domain: None,
            lifecycle_stage: Some(if churned { "other" } else { "customer" }.to_owned()),
            activity: Default::default(),
            reported_revenue: None,
            csm_sentiment: None,
            contacts: self
                .contacts
                .iter()
                .map(|id| ContactSummary {
                    id: id.clone(),
                    lifecycle_stage: Some("customer".to_owned()),
                    // No survey answers: the hazard reads what the CRM's records show, not ratings.
                    nps_rating: None,
                })
                .collect(),
            deals,
            tickets,
            engagements,
            sources: vec!["hubspot".to_owned()],
            updated_at: at,
        }
    }
}

/// A generated tenant: its clients' paths over a year.
#[derive(Debug, Clone, PartialEq)]
pub struct ChurnWorld {
    pub start: DateTime<Utc>,
    pub days: i64,
    pub clients: Vec<WorldClient>,
}

impl ChurnWorld {
    pub fn generate(settings: WorldSettings) -> Self {
        let clients = (0..settings.clients)
            .map(|index| generate_client(index, &settings))
            .collect();
        Self {
            start: settings.start,
            days: settings.days,
            clients,
        }
    }

    /// Midnight of day `day` of the year.
    pub fn day(&self, day: i64) -> DateTime<Utc> {
        self.start + Duration::days(day)
    }

    /// The end of the year: what a backtest run on the last day knows.
    pub fn end(&self) -> DateTime<Utc> {
        self.day(self.days)
    }

    /// Clients that churned during the year.
    pub fn churned(&self) -> usize {
        self.clients
            .iter()
            .filter(|c| c.churned_at.is_some())
            .count()
    }
}

/// The client's distress path: 0 before `onset`, rising to 1 over `ramp` days, and for a
/// recovering client falling back over `ramp` days after `plateau` days.
#[derive(Debug, Clone, Copy)]
struct Distress {
    onset: f64,
    ramp: f64,
    plateau: Option<f64>,
}

impl Distress {
    fn at(&self, day: f64) -> f64 {
        let rising = ((day - self.onset) / self.ramp).clamp(0.0, 1.0);
        match self.plateau {
            Some(plateau) => {
                let fall_start = self.onset + self.ramp + plateau;
                rising - ((day - fall_start) / self.ramp).clamp(0.0, 1.0)
            }
            None => rising,
        }
    }
}

/// A count of events in a day at `rate` (Knuth's Poisson draw; rates here stay well under 5).
fn poisson(rng: &mut StdRng, rate: f64) -> u32 {
    let limit = (-rate.max(0.0)).exp();
    let mut product: f64 = rng.random();
    let mut count = 0;
    while product > limit {
        product *= rng.random::<f64>();
        count += 1;
    }
    count
}

fn generate_client(index: usize, settings: &WorldSettings) -> WorldClient {
    let mut rng =
        StdRng::seed_from_u64(settings.seed ^ (index as u64 + 1).wrapping_mul(CLIENT_SALT));
    let name = format!("churn-world-{index:05}");
    let client_id = ClientId::parse(name.clone()).unwrap_or_else(|e| panic!("client id: {e}"));
    let contacts: Vec<String> = (0..rng.random_range(1..=6))
        .map(|c| format!("{name}-contact-{c}"))
        .collect();
    let rate0: f64 = rng.random_range(0.15..0.6);
    let response0: f64 = rng.random_range(0.4..0.9);
    // Yearly contract value, log-uniform between $2,000 and $60,000.
    let value = (rng.random_range(2_000f64.ln()..60_000f64.ln()))
        .exp()
        .round();
    let distressed = rng.random_bool(DISTRESSED_SHARE);
    let distress = Distress {
        onset: if distressed {
            rng.random_range(-60.0..300.0)
        } else {
            f64::INFINITY
        },
        ramp: rng.random_range(30.0..120.0),
        plateau: rng
            .random_bool(RECOVERING_SHARE)
            .then(|| rng.random_range(20.0..80.0)),
    };
    let anniversary = rng.random_range(0..365);
    let day_start = |day: i64| settings.start + Duration::days(day);
    let at_fraction =
        |day: i64, fraction: f64| day_start(day) + Duration::seconds((fraction * 86_400.0) as i64);

    let mut deals: Vec<WorldDeal> = [anniversary - 365, anniversary, anniversary + 365]
        .into_iter()
        .filter(|close| close - RENEWAL_OPEN_DAYS < settings.days)
        .enumerate()
        .map(|(n, close)| WorldDeal {
            id: format!("{name}-renewal-{n}"),
            amount: value,
            opened_at: day_start(close - RENEWAL_OPEN_DAYS),
            planned_close: day_start(close),
            closed: None,
        })
        .collect();
    let mut engagements = Vec::new();
    let mut tickets = Vec::new();
    let mut last_interaction: Option<DateTime<Utc>> = None;
    let mut churned_at = None;

    for day in -WARMUP_DAYS - 365..settings.days {
        let d = distress.at(day as f64);
        let recorded = day >= -WARMUP_DAYS;
        if recorded {
            for _ in 0..poisson(&mut rng, rate0 * (1.0 - 0.85 * d)) {
                let at = at_fraction(day, rng.random());
                let responded = rng.random_bool((response0 * (1.0 - 0.7 * d)).clamp(0.0, 1.0));
                let (kind, direction, completed) = match (responded, rng.random_range(0..10)) {
                    (false, 0..7) => (EngagementKind::Email, Some(Direction::Outbound), false),
                    (false, _) => (EngagementKind::Call, Some(Direction::Outbound), false),
                    (true, 0..6) => (EngagementKind::Email, Some(Direction::Inbound), false),
                    (true, 6..8) => (EngagementKind::Call, Some(Direction::Inbound), false),
                    (true, _) => (EngagementKind::Meeting, None, true),
                };
                let contact = contacts[rng.random_range(0..contacts.len())].clone();
                engagements.push(Engagement {
                    id: format!("{name}-e{}", engagements.len()),
                    kind,
                    direction,
                    occurred_at: at,
                    completed,
                    contact_ids: vec![contact],
                });
                last_interaction = Some(last_interaction.map_or(at, |last| last.max(at)));
            }
            let urgent = poisson(&mut rng, 0.002 + 0.025 * d);
            let normal = poisson(&mut rng, 0.01);
            for n in 0..urgent + normal {
                let is_urgent = n < urgent;
                let created = at_fraction(day, rng.random());
                let open_days = if is_urgent {
                    rng.random_range(1.0..4.0 + 40.0 * d)
                } else {
                    rng.random_range(0.2..5.0)
                };
                let priority = match (is_urgent, rng.random_bool(0.5)) {
                    (true, true) => TicketPriority::Urgent,
                    (true, false) => TicketPriority::High,
                    (false, true) => TicketPriority::Medium,
                    (false, false) => TicketPriority::Low,
                };
                tickets.push(Ticket {
                    id: format!("{name}-t{}", tickets.len()),
                    is_open: false,
                    priority: Some(priority),
                    created_at: Some(created),
                    closed_at: Some(created + Duration::seconds((open_days * 86_400.0) as i64)),
                });
            }
            if poisson(&mut rng, 1.0 / 150.0) > 0 {
                deals.push(WorldDeal {
                    id: format!("{name}-addon-{}", deals.len()),
                    amount: (value * rng.random_range(0.1..0.5)).round(),
                    opened_at: at_fraction(day, rng.random()),
                    planned_close: day_start(day + ADDON_OPEN_DAYS),
                    closed: None,
                });
            }
        }
        // Deals due today close, won or lost by today's distress.
        let today = day_start(day);
        for deal in deals
            .iter_mut()
            .filter(|deal| deal.closed.is_none() && deal.planned_close == today)
        {
            let renewal = deal.id.contains("-renewal-");
            let win_chance = if renewal {
                0.92 - 0.8 * d
            } else {
                0.6 - 0.45 * d
            };
            deal.closed = Some((today, rng.random_bool(win_chance.clamp(0.0, 1.0))));
        }
        if day < 0 {
            continue;
        }
        let end_of_day = day_start(day + 1);
        let signals = HazardSignals {
            quiet_days: last_interaction.map_or(HAZARD_QUIET_DAYS_CAP, |last| {
                (end_of_day - last).num_seconds() as f64 / 86_400.0
            }),
            open_urgent_tickets: tickets
                .iter()
                .filter(|t| t.priority.is_some_and(TicketPriority::is_high))
                .filter(|t| t.closed_at.is_some_and(|c| c > end_of_day))
                .count() as u32,
            deals_lost_recently: deals
                .iter()
                .filter_map(|deal| deal.closed)
                .filter(|(when, won)| {
                    !won && (end_of_day - *when).num_days() as f64 <= HAZARD_LOST_DEAL_DAYS
                })
                .count() as u32,
        };
        if rng.random_bool(daily_hazard(&signals)) {
            let churn = at_fraction(day, rng.random());
            churned_at = Some(churn);
            stop_at(churn, &mut engagements, &mut tickets, &mut deals);
            break;
        }
    }
    WorldClient {
        client_id,
        name,
        contacts,
        engagements,
        tickets,
        deals,
        churned_at,
        distressed,
    }
}

/// A churned client records nothing after `churn`: later engagements and tickets are dropped,
/// deals still open close lost on the churn day, and deals not yet opened never are.
fn stop_at(
    churn: DateTime<Utc>,
    engagements: &mut Vec<Engagement>,
    tickets: &mut Vec<Ticket>,
    deals: &mut Vec<WorldDeal>,
) {
    engagements.retain(|e| e.occurred_at <= churn);
    tickets.retain(|t| t.created_at.is_some_and(|c| c <= churn));
    deals.retain(|d| d.opened_at <= churn);
    for deal in deals.iter_mut() {
        if deal.closed.is_none_or(|(when, _)| when > churn) {
            deal.closed = Some((churn, false));
        }
    }
}
