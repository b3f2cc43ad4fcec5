//! What a sync keeps of one client: its CRM records, normalised and parsed, independent of the source
//! platform. The scoring engine folds a snapshot into features at a given `now` and window, so a change
//! of the tenant's window needs no new sync.

use crate::domain::ClientId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientSnapshot {
    pub client_id: ClientId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Lower-cased HubSpot lifecycle stage (`customer`, `opportunity`, ...), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_stage: Option<String>,
    #[serde(default)]
    pub activity: CompanyActivity,
    /// The company's own `total_revenue`, used when it has no deals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_revenue: Option<f64>,
    #[serde(default)]
    pub contacts: Vec<ContactSummary>,
    #[serde(default)]
    pub deals: Vec<Deal>,
    #[serde(default)]
    pub tickets: Vec<Ticket>,
    #[serde(default)]
    pub engagements: Vec<Engagement>,
    /// Where the data came from (`hubspot` today); each correlated platform adds one.
    #[serde(default)]
    pub sources: Vec<String>,
    /// When the source last changed anything in this snapshot.
    pub updated_at: DateTime<Utc>,
}

impl ClientSnapshot {
    /// The close date of the client's next open deal: its renewal, for a business that sells
    /// subscriptions. The earliest close date among open deals, past ones included (an overdue
    /// renewal is still the next one to handle).
    pub fn next_open_deal_close(&self) -> Option<DateTime<Utc>> {
        self.deals
            .iter()
            .filter(|deal| !deal.is_closed && !deal.is_closed_won)
            .filter_map(|deal| deal.close_date)
            .min()
    }
}

/// Activity timestamps HubSpot keeps on the company itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompanyActivity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_contacted: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sales_activity: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated_notes: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactSummary {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_stage: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deal {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
    pub is_closed: bool,
    pub is_closed_won: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_date: Option<DateTime<Utc>>,
    /// Lower-cased HubSpot deal stage id (`contractsent`, or a custom pipeline's id), for the client
    /// page; already read to tell won from lost, so keeping it asks HubSpot for nothing more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum TicketPriority {
    Low,
    Medium,
    High,
    Urgent,
}

impl TicketPriority {
    pub fn is_high(self) -> bool {
        matches!(self, TicketPriority::High | TicketPriority::Urgent)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: String,
    pub is_open: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<TicketPriority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EngagementKind {
    Email,
    Call,
    Meeting,
    Note,
    Task,
}

impl EngagementKind {
    /// Emails, calls and meetings are interactions with the client; notes and tasks are internal
    /// but still count as activity.
    pub fn is_interaction(self) -> bool {
        matches!(
            self,
            EngagementKind::Email | EngagementKind::Call | EngagementKind::Meeting
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Outreach: a sent email, an outbound call.
    Outbound,
    /// A response: a received email, an inbound call.
    Inbound,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Engagement {
    pub id: String,
    pub kind: EngagementKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    pub occurred_at: DateTime<Utc>,
    /// Meetings: the outcome was `COMPLETED`; tasks: status `COMPLETED`.
    #[serde(default)]
    pub completed: bool,
    /// Contacts of this client the engagement is associated with (for adoption).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contact_ids: Vec<String>,
}
