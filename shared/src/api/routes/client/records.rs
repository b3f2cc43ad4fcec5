//! The client's CRM records as its page shows them, read from its snapshot at `now`: contacts, open
//! deals (the next close date is the renewal), open tickets with their age, and the latest
//! interactions. Pure. Only what the snapshot already holds (ids, stages, amounts, dates): no name or
//! address of a person is stored for this page, and none is shown.

use crate::domain::{ClientSnapshot, Direction, EngagementKind, TicketPriority};
use crate::scoring::money;
use crate::scoring::wording::{
    days, deal_stage_label, interaction_label, lifecycle_stage_label, ticket_priority_label,
};
use crate::sources::hubspot::links::{RecordKind, RecordLinks};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The page lists at most this many of each kind of record; the totals say how many there are.
pub const MAX_LISTED: usize = 50;
/// The latest engagements shown as recent interactions.
pub const RECENT_INTERACTIONS: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContactView {
    /// HubSpot's contact id.
    pub id: String,
    /// Lower-cased lifecycle stage id, when known.
    pub lifecycle_stage: Option<String>,
    /// The stage in words ("Sales qualified lead").
    pub lifecycle_label: Option<String>,
    /// The latest engagement associated with the contact.
    pub last_interaction_at: Option<DateTime<Utc>>,
    /// The contact in HubSpot.
    pub hubspot_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DealView {
    /// HubSpot's deal id (deal names are not stored).
    pub id: String,
    pub amount: Option<f64>,
    /// The amount in dollars ("$8,828.50").
    pub amount_text: Option<String>,
    /// Lower-cased deal stage id.
    pub stage: Option<String>,
    /// The stage in words ("Contract sent"); a custom pipeline's stage id as it is.
    pub stage_label: Option<String>,
    /// When the deal is expected to close: the renewal date.
    pub close_date: Option<DateTime<Utc>>,
    /// Still open after its close date.
    pub past_close_date: bool,
    pub hubspot_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TicketView {
    /// HubSpot's ticket id.
    pub id: String,
    pub priority: Option<TicketPriority>,
    /// "Urgent", "High", "Medium", "Low".
    pub priority_label: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    /// Whole days since it was opened.
    pub age_days: Option<u32>,
    /// "12 days".
    pub age_text: Option<String>,
    pub hubspot_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InteractionView {
    pub kind: EngagementKind,
    pub direction: Option<Direction>,
    /// "Email received", "Call made", "Meeting".
    pub label: String,
    pub occurred_at: DateTime<Utc>,
    /// Meetings held, tasks done.
    pub completed: bool,
}

/// The client's records from its CRM snapshot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClientRecords {
    /// Most recently engaged first, at most [`MAX_LISTED`].
    pub contacts: Vec<ContactView>,
    pub contacts_total: usize,
    /// Soonest close date first (none last), at most [`MAX_LISTED`].
    pub open_deals: Vec<DealView>,
    pub open_deals_total: usize,
    /// The earliest close date of an open deal, past ones included: the next renewal to handle.
    pub renewal_date: Option<DateTime<Utc>>,
    /// Highest priority first, then oldest, at most [`MAX_LISTED`].
    pub open_tickets: Vec<TicketView>,
    pub open_tickets_total: usize,
    /// The last [`RECENT_INTERACTIONS`] engagements (emails, calls, meetings, notes, tasks), newest
    /// first.
    pub recent_interactions: Vec<InteractionView>,
}

impl ClientRecords {
    /// `links` is `None` when the tenant's portal is not known: no HubSpot links then.
    pub fn of(snapshot: &ClientSnapshot, links: Option<&RecordLinks>, now: DateTime<Utc>) -> Self {
        let link = |kind, id: &str| links.and_then(|l| l.record(kind, id));
        let mut last_seen: BTreeMap<&str, DateTime<Utc>> = BTreeMap::new();
        for e in &snapshot.engagements {
            for contact in &e.contact_ids {
                let latest = last_seen.entry(contact.as_str()).or_insert(e.occurred_at);
                *latest = (*latest).max(e.occurred_at);
            }
        }
        let mut contacts: Vec<ContactView> = snapshot
            .contacts
            .iter()
            .map(|c| ContactView {
                id: c.id.clone(),
                lifecycle_stage: c.lifecycle_stage.clone(),
                lifecycle_label: c.lifecycle_stage.as_deref().map(lifecycle_stage_label),
                last_interaction_at: last_seen.get(c.id.as_str()).copied(),
                hubspot_url: link(RecordKind::Contact, &c.id),
            })
            .collect();
        contacts.sort_by(|a, b| {
            b.last_interaction_at
                .cmp(&a.last_interaction_at)
                .then_with(|| a.id.cmp(&b.id))
        });

        let today = now.date_naive();
        let mut open_deals: Vec<DealView> = snapshot
            .deals
            .iter()
            .filter(|d| !d.is_closed)
            .map(|d| DealView {
                id: d.id.clone(),
                amount: d.amount,
                amount_text: d.amount.map(money),
                stage: d.stage.clone(),
                stage_label: d.stage.as_deref().map(deal_stage_label),
                close_date: d.close_date,
                past_close_date: d.close_date.is_some_and(|c| c.date_naive() < today),
                hubspot_url: link(RecordKind::Deal, &d.id),
            })
            .collect();
        // Soonest first; a deal without a close date says nothing of the renewal and goes last.
        open_deals.sort_by(|a, b| {
            (a.close_date.is_none(), a.close_date, &a.id).cmp(&(
                b.close_date.is_none(),
                b.close_date,
                &b.id,
            ))
        });
        // The health list's renewal column's rule, in one place: an overdue renewal is still the
        // next one to handle.
        let renewal_date = snapshot.next_open_deal_close();

        let mut open_tickets: Vec<TicketView> = snapshot
            .tickets
            .iter()
            .filter(|t| t.is_open)
            .map(|t| {
                let age_days = t
                    .created_at
                    .map(|c| u32::try_from((now - c).num_days().max(0)).unwrap_or(u32::MAX));
                TicketView {
                    id: t.id.clone(),
                    priority: t.priority,
                    priority_label: t.priority.map(|p| ticket_priority_label(p).to_owned()),
                    created_at: t.created_at,
                    age_days,
                    age_text: age_days.map(|d| days(f64::from(d))),
                    hubspot_url: link(RecordKind::Ticket, &t.id),
                }
            })
            .collect();
        open_tickets.sort_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then(b.age_days.cmp(&a.age_days))
                .then_with(|| a.id.cmp(&b.id))
        });

        let mut engagements: Vec<_> = snapshot.engagements.iter().collect();
        engagements.sort_by(|a, b| {
            b.occurred_at
                .cmp(&a.occurred_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        let recent_interactions = engagements
            .into_iter()
            .take(RECENT_INTERACTIONS)
            .map(|e| InteractionView {
                kind: e.kind,
                direction: e.direction,
                label: interaction_label(e.kind, e.direction).to_owned(),
                occurred_at: e.occurred_at,
                completed: e.completed,
            })
            .collect();

        let (contacts_total, open_deals_total, open_tickets_total) =
            (contacts.len(), open_deals.len(), open_tickets.len());
        contacts.truncate(MAX_LISTED);
        open_deals.truncate(MAX_LISTED);
        open_tickets.truncate(MAX_LISTED);
        Self {
            contacts,
            contacts_total,
            open_deals,
            open_deals_total,
            renewal_date,
            open_tickets,
            open_tickets_total,
            recent_interactions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClientId, ContactSummary, Deal, Engagement, Ticket};
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
    }

    fn snapshot() -> ClientSnapshot {
        let deal = |id: &str, closed: bool, close_in_days: Option<i64>, stage: &str| Deal {
            id: id.into(),
            amount: Some(8828.5),
            is_closed: closed,
            is_closed_won: false,
            close_date: close_in_days.map(|d| now() + Duration::days(d)),
            stage: Some(stage.into()),
        };
        let ticket = |id: &str, open: bool, priority, age: i64| Ticket {
            id: id.into(),
            is_open: open,
            priority,
            created_at: Some(now() - Duration::days(age) - Duration::hours(3)),
            closed_at: None,
        };
        let engagement = |id: &str, kind, direction, days_ago: i64, contacts: &[&str]| Engagement {
            id: id.into(),
            kind,
            direction,
            occurred_at: now() - Duration::days(days_ago),
            completed: false,
            contact_ids: contacts.iter().map(|c| c.to_string()).collect(),
        };
        let mut engagements: Vec<Engagement> = (0..25)
            .map(|i| engagement(&format!("n{i}"), EngagementKind::Note, None, 40 + i, &[]))
            .collect();
        engagements.push(engagement(
            "e1",
            EngagementKind::Email,
            Some(Direction::Inbound),
            3,
            &["201"],
        ));
        engagements.push(engagement(
            "c1",
            EngagementKind::Call,
            Some(Direction::Outbound),
            10,
            &["202", "201"],
        ));
        ClientSnapshot {
            client_id: ClientId::parse("5120").unwrap(),
            name: "Acme".into(),
            domain: None,
            lifecycle_stage: Some("customer".into()),
            activity: Default::default(),
            reported_revenue: None,
            contacts: vec![
                ContactSummary {
                    id: "200".into(),
                    lifecycle_stage: None,
                    nps_rating: None,
                },
                ContactSummary {
                    id: "201".into(),
                    lifecycle_stage: Some("salesqualifiedlead".into()),
                    nps_rating: None,
                },
                ContactSummary {
                    id: "202".into(),
                    lifecycle_stage: Some("customer".into()),
                    nps_rating: None,
                },
            ],
            deals: vec![
                deal("d-later", false, Some(60), "contractsent"),
                deal("d-late", false, Some(-5), "qualifiedtobuy"),
                deal("d-none", false, None, "custom-1"),
                deal("d-won", true, Some(10), "closedwon"),
                deal("d-soon", false, Some(20), "appointmentscheduled"),
            ],
            tickets: vec![
                ticket("t-low-old", true, Some(TicketPriority::Low), 30),
                ticket("t-urgent", true, Some(TicketPriority::Urgent), 2),
                ticket("t-closed", false, Some(TicketPriority::High), 1),
                ticket("t-none", true, None, 1),
            ],
            engagements,
            sources: vec!["hubspot".into()],
            updated_at: now(),
            csm_sentiment: None,
        }
    }

    #[test]
    fn contacts_come_most_recently_engaged_first_with_their_stage_and_link() {
        let links = RecordLinks::new(1001, None);
        let records = ClientRecords::of(&snapshot(), Some(&links), now());
        let ids: Vec<&str> = records.contacts.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, vec!["201", "202", "200"]);
        assert_eq!(
            records.contacts[0].lifecycle_label.as_deref(),
            Some("Sales qualified lead")
        );
        assert_eq!(
            records.contacts[0].last_interaction_at,
            Some(now() - Duration::days(3))
        );
        assert_eq!(
            records.contacts[0].hubspot_url.as_deref(),
            Some("https://app.hubspot.com/contacts/1001/contact/201")
        );
        assert_eq!(records.contacts_total, 3);
    }

    #[test]
    fn open_deals_come_soonest_first_and_the_earliest_close_date_is_the_renewal() {
        let records = ClientRecords::of(&snapshot(), None, now());
        let ids: Vec<&str> = records.open_deals.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, vec!["d-late", "d-soon", "d-later", "d-none"]);
        assert!(records.open_deals[0].past_close_date);
        assert!(!records.open_deals[1].past_close_date);
        assert_eq!(records.renewal_date, Some(now() - Duration::days(5)));
        assert_eq!(
            records.open_deals[1].stage_label.as_deref(),
            Some("Appointment scheduled")
        );
        assert_eq!(
            records.open_deals[3].stage_label.as_deref(),
            Some("custom-1")
        );
        assert_eq!(
            records.open_deals[0].amount_text.as_deref(),
            Some("$8,828.50")
        );
        assert_eq!(
            records.open_deals[0].hubspot_url, None,
            "no portal, no link"
        );
    }

    #[test]
    fn open_tickets_come_by_priority_then_age() {
        let records = ClientRecords::of(&snapshot(), None, now());
        let ids: Vec<&str> = records.open_tickets.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, vec!["t-urgent", "t-low-old", "t-none"]);
        assert_eq!(records.open_tickets[1].age_days, Some(30));
        assert_eq!(records.open_tickets[1].age_text.as_deref(), Some("30 days"));
        assert_eq!(
            records.open_tickets[0].priority_label.as_deref(),
            Some("Urgent")
        );
        assert_eq!(records.open_tickets_total, 3);
    }

    #[test]
    fn recent_interactions_are_the_last_twenty_newest_first() {
        let records = ClientRecords::of(&snapshot(), None, now());
        assert_eq!(records.recent_interactions.len(), RECENT_INTERACTIONS);
        assert_eq!(records.recent_interactions[0].label, "Email received");
        assert_eq!(records.recent_interactions[1].label, "Call made");
        assert_eq!(records.recent_interactions[2].kind, EngagementKind::Note);
        assert!(records
            .recent_interactions
            .windows(2)
            .all(|w| w[0].occurred_at >= w[1].occurred_at));
    }
}
