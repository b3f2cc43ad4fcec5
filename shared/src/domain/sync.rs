//! Syncs: modes, object types, runs (the audit trail) and resumable checkpoints.

use crate::domain::{ConnectionId, Platform, SyncId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    Full,
    Incremental,
    /// Only the given objects (webhooks).
    Objects,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ObjectType {
    Companies,
    Contacts,
    Deals,
    Tickets,
    Calls,
    Emails,
    Meetings,
    Notes,
    Tasks,
}

impl ObjectType {
    pub const ALL: [ObjectType; 9] = [
        ObjectType::Companies,
        ObjectType::Contacts,
        ObjectType::Deals,
        ObjectType::Tickets,
        ObjectType::Calls,
        ObjectType::Emails,
        ObjectType::Meetings,
        ObjectType::Notes,
        ObjectType::Tasks,
    ];

    /// The name HubSpot uses in its paths (`/crm/v3/objects/{name}`).
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectType::Companies => "companies",
            ObjectType::Contacts => "contacts",
            ObjectType::Deals => "deals",
            ObjectType::Tickets => "tickets",
            ObjectType::Calls => "calls",
            ObjectType::Emails => "emails",
            ObjectType::Meetings => "meetings",
            ObjectType::Notes => "notes",
            ObjectType::Tasks => "tasks",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ObjectRef {
    pub object_type: ObjectType,
    pub id: String,
}

/// A reference to one object of a payments platform, which a webhook named (targeted syncs of a
/// payments connection). On the wire: `{"invoice": "INV2-..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentRef {
    Invoice(String),
    Subscription(String),
    Transaction(String),
    Dispute(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SyncTrigger {
    Schedule,
    Manual {
        requested_by: String,
    },
    Webhook,
    /// Continues a run cut off by the Lambda deadline.
    Continuation {
        previous_sync_id: String,
    },
    Local,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    Running,
    Succeeded,
    /// Cut off by the deadline; a continuation was requested.
    Continued,
    Failed,
    /// HubSpot's daily limit was reached; the sync waits for the reset.
    RateLimited,
    /// The refresh token is dead.
    NeedsReauth,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SyncRun {
    #[schema(value_type = String)]
    pub tenant_id: TenantId,
    #[schema(value_type = String)]
    pub sync_id: SyncId,
    /// The connection synced; absent for the tenant's HubSpot portal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub connection_id: Option<ConnectionId>,
    /// The platform of the connection synced; absent for the HubSpot portal and for runs recorded
    /// before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    pub mode: SyncMode,
    pub trigger: SyncTrigger,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub status: SyncStatus,
    /// Records fetched per object type (HubSpot's runs).
    pub counts: BTreeMap<ObjectType, u64>,
    /// A connection's run: its records `seen`, `written` (changed in the store) and `removed` (gone
    /// from the platform), over all its invocations. Empty for HubSpot's runs (see `counts`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub records: BTreeMap<String, u64>,
    pub requests_used: u64,
    pub error: Option<String>,
    /// Where a connection's walk stands while the run continues in a new invocation: the source's
    /// opaque cursor of the next step, saved after every step (`None` before the first step and once
    /// the walk is done). A cursor only resumes its own run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

impl SyncRun {
    /// A run that starts at `started_at`: running, nothing fetched yet. The one way a run begins,
    /// whether the API records it for the caller to watch or the sync handler starts it.
    pub fn start(
        tenant_id: TenantId,
        sync_id: SyncId,
        mode: SyncMode,
        trigger: SyncTrigger,
        started_at: DateTime<Utc>,
    ) -> Self {
        SyncRun {
            tenant_id,
            sync_id,
            mode,
            trigger,
            started_at,
            finished_at: None,
            status: SyncStatus::Running,
            counts: BTreeMap::new(),
            requests_used: 0,
            error: None,
            connection_id: None,
            platform: None,
            records: BTreeMap::new(),
            cursor: None,
        }
    }

    /// Adds an invocation's record counts of a connection's run (`seen`, `written`, `removed`).
    pub fn count_records(&mut self, counts: &[(&str, u64)]) {
        for (name, n) in counts {
            *self.records.entry((*name).to_owned()).or_insert(0) += n;
        }
    }

    /// The same run, of one connection of the tenant.
    pub fn on_connection(self, connection_id: ConnectionId) -> Self {
        SyncRun {
            connection_id: Some(connection_id),
            ..self
        }
    }

    /// Ends this invocation of the run with `status`, and why when it did not succeed.
    pub fn finish(&mut self, status: SyncStatus, error: Option<String>, now: DateTime<Utc>) {
        self.status = status;
        self.error = error;
        self.finished_at = Some(now);
    }
}

/// Where one object type's sync stands, so a run cut off midway continues where it stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncCheckpoint {
    pub object_type: ObjectType,
    /// Records modified at or before this instant are in the store (the incremental watermark).
    pub watermark: Option<DateTime<Utc>>,
    /// The source's opaque cursor of a run in progress; `None` when the type is complete.
    pub cursor: Option<String>,
    /// The run the cursor belongs to.
    pub sync_id: Option<SyncId>,
    pub updated_at: DateTime<Utc>,
}
