//! Builders for the scoring tests: a client snapshot at a fixed `now`, described in days ago.
#![allow(dead_code)]

pub mod accounts;
pub mod payers;

use chrono::{DateTime, Duration, TimeZone, Utc};
use shared::domain::{
    ClientId, ClientSnapshot, CompanyActivity, ContactSummary, Deal, Direction, Engagement,
    EngagementKind, ScorePoint, ScoringSettings, TenantId, Ticket, TicketPriority,
};

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

pub fn days_ago(days: f64) -> DateTime<Utc> {
    now() - Duration::milliseconds((days * 86_400_000.0) as i64)
}

pub fn tenant() -> TenantId {
    TenantId::parse("tenant-1").unwrap()
}

pub fn settings() -> ScoringSettings {
    ScoringSettings::default()
}

pub struct SnapshotBuilder {
    snapshot: ClientSnapshot,
    next_id: u32,
}

pub fn client(id: &str) -> SnapshotBuilder {
    SnapshotBuilder {
        snapshot: ClientSnapshot {
            client_id: ClientId::parse(id).unwrap(),
            name: format!("Client {id}"),
            domain: None,
            lifecycle_stage: Some("customer".to_owned()),
            activity: CompanyActivity::default(),
            reported_revenue: None,
            contacts: Vec::new(),
            deals: Vec::new(),
            tickets: Vec::new(),
            engagements: Vec::new(),
            sources: vec!["hubspot".to_owned()],
            updated_at: now(),
            csm_sentiment: None,
        },
        next_id: 0,
    }
}

/// A healthy, engaged, paying customer: one contact, ten emails each way, a deal won for `revenue`
/// a month ago.
pub fn healthy(id: &str, revenue: f64) -> SnapshotBuilder {
    client(id)
        .contacts(1)
        .sent_emails(10)
        .received_emails(10)
        .won_deal(Some(revenue), 30.0)
}

impl SnapshotBuilder {
    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }

    pub fn stage(mut self, stage: Option<&str>) -> Self {
        self.snapshot.lifecycle_stage = stage.map(str::to_owned);
        self
    }

    pub fn engagement(
        mut self,
        kind: EngagementKind,
        direction: Option<Direction>,
        completed: bool,
        days: f64,
    ) -> Self {
        let id = self.id("e");
        let contact_ids = self
            .snapshot
            .contacts
            .first()
            .map(|c| vec![c.id.clone()])
            .unwrap_or_default();
        self.snapshot.engagements.push(Engagement {
            id,
            kind,
            direction,
            occurred_at: days_ago(days),
            completed,
            contact_ids,
        });
        self
    }

    /// `n` sent emails, spread over the last few days.
    pub fn sent_emails(mut self, n: u32) -> Self {
        for i in 0..n {
            self = self.engagement(
                EngagementKind::Email,
                Some(Direction::Outbound),
                false,
                1.0 + f64::from(i % 20),
            );
        }
        self
    }

    pub fn received_emails(mut self, n: u32) -> Self {
        for i in 0..n {
            self = self.engagement(
                EngagementKind::Email,
                Some(Direction::Inbound),
                false,
                1.0 + f64::from(i % 20),
            );
        }
        self
    }

    pub fn note(self, days: f64) -> Self {
        self.engagement(EngagementKind::Note, None, false, days)
    }

    pub fn last_contacted(mut self, days: f64) -> Self {
        self.snapshot.activity.last_contacted = Some(days_ago(days));
        self
    }

    pub fn contacts(mut self, n: u32) -> Self {
        for _ in 0..n {
            let id = self.id("c");
            self.snapshot.contacts.push(ContactSummary {
                id,
                lifecycle_stage: None,
                nps_rating: None,
            });
        }
        self
    }

    pub fn won_deal(mut self, amount: Option<f64>, days: f64) -> Self {
        let id = self.id("d");
        self.snapshot.deals.push(Deal {
            id,
            amount,
            is_closed: true,
            is_closed_won: true,
            close_date: Some(days_ago(days)),
            stage: None,
        });
        self
    }

    pub fn lost_deal(mut self, days: f64) -> Self {
        let id = self.id("d");
        self.snapshot.deals.push(Deal {
            id,
            amount: Some(1_000.0),
            is_closed: true,
            is_closed_won: false,
            close_date: Some(days_ago(days)),
            stage: None,
        });
        self
    }

    pub fn open_deal(mut self) -> Self {
        let id = self.id("d");
        self.snapshot.deals.push(Deal {
            id,
            amount: Some(5_000.0),
            is_closed: false,
            is_closed_won: false,
            close_date: None,
            stage: None,
        });
        self
    }

    pub fn reported_revenue(mut self, amount: Option<f64>) -> Self {
        self.snapshot.reported_revenue = amount;
        self
    }

    pub fn ticket(
        mut self,
        open: bool,
        priority: Option<TicketPriority>,
        created_days: f64,
        closed_after_hours: Option<i64>,
    ) -> Self {
        let id = self.id("t");
        let created = days_ago(created_days);
        self.snapshot.tickets.push(Ticket {
            id,
            is_open: open,
            priority,
            created_at: Some(created),
            closed_at: closed_after_hours.map(|h| created + Duration::hours(h)),
        });
        self
    }

    pub fn sources(mut self, sources: &[&str]) -> Self {
        self.snapshot.sources = sources.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    pub fn build(self) -> ClientSnapshot {
        self.snapshot
    }
}

pub fn point(client: &str, days: f64, overall: u8) -> ScorePoint {
    ScorePoint {
        settings_version: 0,
        as_scored: None,
        client_id: ClientId::parse(client).unwrap(),
        at: days_ago(days),
        overall,
        churn_risk: 0,
        crm: None,
        payment: None,
        usage: None,
        support: None,
        parts: Vec::new(),
        overrides: Vec::new(),
    }
}
