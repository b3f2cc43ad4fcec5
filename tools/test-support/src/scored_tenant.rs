//! A generated tenant for the score run: clients of every kind (busy, quiet, gone silent; with and
//! without deals, revenue and tickets) and a daily score history, deterministic from a seed. The
//! paged-run test and the score-run benchmark (`shared/benches/score_run.rs`) both score it.

use chrono::{DateTime, Duration, Utc};
use shared::domain::{
    AuthKind, ClientId, ClientSnapshot, CompanyActivity, ContactSummary, Deal, Direction,
    Engagement, EngagementKind, ScorePoint, Tenant, TenantId, Ticket, TicketPriority,
};

/// SplitMix64: a tiny deterministic generator, so every run scores the same tenant.
pub struct Draws(u64);

impl Draws {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn draw(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.draw() % n.max(1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn days_ago(&mut self, now: DateTime<Utc>, max_days: i64) -> DateTime<Utc> {
        let minutes = self.below((max_days.max(1) * 1_440) as u64) as i64;
        now - Duration::minutes(minutes)
    }
}

/// The tenant record of a generated tenant, connected 400 days before `now`.
pub fn tenant_record(id: &TenantId, now: DateTime<Utc>) -> Tenant {
    Tenant::connected(
        id.clone(),
        "Generated tenant",
        Some(1),
        "secret",
        AuthKind::OAuth,
        now - Duration::days(400),
    )
}

/// The id of client `i`.
pub fn client_id(i: usize) -> ClientId {
    ClientId::parse(format!("company-{i:06}")).unwrap_or_else(|e| panic!("{e}"))
}

/// Client `i` of a generated tenant as its CRM shows it at `now`, with `engagements` engagement
/// records (a quarter of clients have gone quiet: their latest is 30 to 180 days old).
pub fn snapshot(i: usize, seed: u64, engagements: usize, now: DateTime<Utc>) -> ClientSnapshot {
    let mut g = Draws::new(seed ^ (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let stages = [
        "customer",
        "customer",
        "evangelist",
        "opportunity",
        "lead",
        "salesqualifiedlead",
    ];
    let contacts: Vec<ContactSummary> = (0..1 + g.below(6))
        .map(|c| ContactSummary {
            id: format!("{i}-{c}"),
            lifecycle_stage: None,
            nps_rating: g.chance(20).then(|| g.below(11) as u8),
        })
        .collect();
    let quiet_days = if g.chance(25) {
        30 + g.below(150) as i64
    } else {
        0
    };
    // Busy clients' engagements fall within the last 30 days, the others' spread over up to 120.
    let spread_days = if g.chance(40) {
        30
    } else {
        30 + g.below(90) as i64
    };
    let engagements = (0..engagements)
        .map(|e| {
            let kind = match g.below(10) {
                0..=3 => EngagementKind::Email,
                4..=5 => EngagementKind::Call,
                6..=7 => EngagementKind::Meeting,
                8 => EngagementKind::Note,
                _ => EngagementKind::Task,
            };
            let direction = match kind {
                EngagementKind::Email | EngagementKind::Call => Some(if g.chance(55) {
                    Direction::Outbound
                } else {
                    Direction::Inbound
                }),
                _ => None,
            };
            let contact = &contacts[g.below(contacts.len() as u64) as usize];
            Engagement {
                id: format!("{i}-e{e}"),
                kind,
                direction,
                occurred_at: g.days_ago(now - Duration::days(quiet_days), spread_days),
                completed: g.chance(70),
                contact_ids: vec![contact.id.clone()],
            }
        })
        .collect();
    let deals = (0..g.below(5))
        .map(|d| {
            let closed = g.chance(70);
            Deal {
                id: format!("{i}-d{d}"),
                // Amounts spread over three orders of magnitude, so revenue ranks mean something.
                amount: g
                    .chance(90)
                    .then(|| (10 + g.below(1_000)) as f64 * (1 + g.below(100)) as f64),
                is_closed: closed,
                is_closed_won: closed && g.chance(65),
                close_date: closed.then(|| g.days_ago(now, 500)),
                stage: None,
            }
        })
        .collect();
    let tickets = (0..g.below(4))
        .map(|t| {
            let open = g.chance(30);
            let created = g.days_ago(now, 200);
            Ticket {
                id: format!("{i}-t{t}"),
                is_open: open,
                priority: match g.below(4) {
                    0 => None,
                    1 => Some(TicketPriority::Low),
                    2 => Some(TicketPriority::High),
                    _ => Some(TicketPriority::Urgent),
                },
                created_at: Some(created),
                closed_at: (!open).then(|| created + Duration::hours(g.below(400) as i64)),
            }
        })
        .collect();
    ClientSnapshot {
        client_id: client_id(i),
        name: format!("Company {i}"),
        domain: Some(format!("company-{i}.example")),
        lifecycle_stage: Some(stages[g.below(stages.len() as u64) as usize].to_owned()),
        activity: CompanyActivity {
            last_contacted: g
                .chance(50)
                .then(|| g.days_ago(now - Duration::days(quiet_days), 60)),
            last_sales_activity: None,
            last_updated_notes: None,
        },
        reported_revenue: g.chance(30).then(|| g.below(500_000) as f64),
        contacts,
        deals,
        tickets,
        engagements,
        sources: vec!["hubspot".to_owned()],
        updated_at: now,
        csm_sentiment: None,
    }
}

/// Client `i`'s history: one point a day for `days` days before `now` (the score run reads 91),
/// drifting around a level of its own, some falling in the last weeks.
pub fn history(i: usize, seed: u64, days: i64, now: DateTime<Utc>) -> Vec<ScorePoint> {
    let mut g = Draws::new(seed.rotate_left(17) ^ i as u64);
    let level = 20 + g.below(70) as i64;
    let falling = g.chance(15);
    (1..=days)
        .rev()
        .map(|day| {
            let fall = if falling && day < 20 { 20 - day } else { 0 };
            let overall = (level + g.below(7) as i64 - 3 - fall).clamp(0, 100) as u8;
            ScorePoint {
                client_id: client_id(i),
                at: now - Duration::days(day) - Duration::minutes(g.below(600) as i64),
                overall,
                churn_risk: 100 - overall,
                crm: Some(overall),
                payment: None,
                usage: Some(overall),
                support: None,
                parts: Vec::new(),
                settings_version: 0,
                as_scored: None,
                overrides: Vec::new(),
            }
        })
        .collect()
}
