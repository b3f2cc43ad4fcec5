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
    /// The account team's sentiment (HubSpot's `hs_csm_sentiment`), when set: a satisfaction input
    /// of support health. Snapshots stored before it was read have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csm_sentiment: Option<CsmSentiment>,
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
    /// The contact's latest NPS answer, 0-10 (HubSpot's `hs_feedback_last_nps_rating`): a
    /// satisfaction input of support health. A rating, not a personal detail: the contact stays
    /// unnamed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nps_rating: Option<u8>,
}

/// How the account team feels about a client: HubSpot's CSM sentiment, or a user's override of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CsmSentiment {
    Positive,
    Neutral,
    Negative,
}

impl CsmSentiment {
    pub const ALL: [CsmSentiment; 3] = [
        CsmSentiment::Positive,
        CsmSentiment::Neutral,
        CsmSentiment::Negative,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CsmSentiment::Positive => "positive",
            CsmSentiment::Neutral => "neutral",
            CsmSentiment::Negative => "negative",
        }
    }

    /// One of [`CsmSentiment::as_str`]'s names, exactly.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// A CRM's sentiment value, read leniently: HubSpot's documented options are not pinned down
    /// here (portals show Positive / Neutral / Negative; some name them Good / Bad / At risk), so
    /// both vocabularies are read, case and separators ignored. Anything else is no data, never an
    /// error.
    pub fn from_crm(value: &str) -> Option<Self> {
        let key: String = value
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match key.as_str() {
            "positive" | "good" | "happy" | "healthy" => Some(CsmSentiment::Positive),
            "neutral" | "ok" | "okay" => Some(CsmSentiment::Neutral),
            "negative" | "bad" | "atrisk" | "unhappy" | "poor" => Some(CsmSentiment::Negative),
            _ => None,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crm_sentiment_reads_both_vocabularies_and_ignores_the_rest() {
        assert_eq!(
            CsmSentiment::from_crm("Positive"),
            Some(CsmSentiment::Positive)
        );
        assert_eq!(CsmSentiment::from_crm("GOOD"), Some(CsmSentiment::Positive));
        assert_eq!(
            CsmSentiment::from_crm(" neutral "),
            Some(CsmSentiment::Neutral)
        );
        assert_eq!(
            CsmSentiment::from_crm("AT_RISK"),
            Some(CsmSentiment::Negative)
        );
        assert_eq!(
            CsmSentiment::from_crm("negative"),
            Some(CsmSentiment::Negative)
        );
        assert_eq!(CsmSentiment::from_crm("mixed"), None);
        assert_eq!(CsmSentiment::from_crm(""), None);
    }

    #[test]
    fn old_snapshots_read_without_the_satisfaction_fields() {
        let old = r#"{"client_id":"c1","name":"Acme","contacts":[{"id":"1"}],
            "updated_at":"2026-01-01T00:00:00Z"}"#;
        let snapshot: ClientSnapshot = serde_json::from_str(old).unwrap();
        assert_eq!(snapshot.csm_sentiment, None);
        assert_eq!(snapshot.contacts[0].nps_rating, None);
    }
}
