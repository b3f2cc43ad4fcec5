//! The events the product puts on its EventBridge bus: the contract other tools rely on
//! (ARCHITECTURE.md). Every detail carries `schema_version`; schemas and samples live in `events/`.

use crate::domain::{
    ClientId, ConnectionId, ExportId, ObjectRef, ObjectType, PaymentRef, SyncId, SyncMode, SyncRun,
    SyncTrigger, TenantId,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod client_changes;
mod erasure;
pub use client_changes::{ClientHealthChanged, InsightOpened, InsightResolved};
pub use erasure::ErasureRequested;

/// The EventBridge `source` of every event the product emits.
pub const EVENT_SOURCE: &str = "connected-insights";
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncRequested {
    pub schema_version: u32,
    pub tenant_id: TenantId,
    /// The connection to sync; `None` is the tenant's HubSpot portal (requests made before
    /// connections existed say nothing, and mean it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<ConnectionId>,
    pub mode: SyncMode,
    /// Only when `mode` is `objects`: the CRM records of a HubSpot request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<ObjectRef>,
    /// Only when `mode` is `objects`: the payments objects of a payments connection's request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payment_refs: Vec<PaymentRef>,
    /// Only when `mode` is `objects`: the accounts (a NinjaOne organisation, a Pax8 company) of an
    /// account-like connection's request, by the platform's id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub account_ids: Vec<String>,
    pub requested_by: SyncTrigger,
    /// Set for a manual sync (so the caller can watch the run) and for continuations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_id: Option<SyncId>,
    pub requested_at: DateTime<Utc>,
}

impl SyncRequested {
    /// A whole-tenant sync (`full` or `incremental`) asked for by `requested_by`.
    pub fn tenant(
        tenant_id: TenantId,
        mode: SyncMode,
        requested_by: SyncTrigger,
        now: DateTime<Utc>,
    ) -> Self {
        SyncRequested {
            schema_version: SCHEMA_VERSION,
            tenant_id,
            connection_id: None,
            mode,
            objects: Vec::new(),
            payment_refs: Vec::new(),
            account_ids: Vec::new(),
            requested_by,
            sync_id: None,
            requested_at: now,
        }
    }

    /// A sync whose run the requester already recorded under `sync_id` (a manual sync the caller
    /// watches).
    pub fn recorded(
        tenant_id: TenantId,
        mode: SyncMode,
        requested_by: SyncTrigger,
        sync_id: SyncId,
        now: DateTime<Utc>,
    ) -> Self {
        SyncRequested {
            sync_id: Some(sync_id),
            ..SyncRequested::tenant(tenant_id, mode, requested_by, now)
        }
    }

    /// A targeted sync of the named records (a webhook told of them).
    pub fn records(tenant_id: TenantId, objects: Vec<ObjectRef>, now: DateTime<Utc>) -> Self {
        SyncRequested {
            objects,
            ..SyncRequested::tenant(tenant_id, SyncMode::Objects, SyncTrigger::Webhook, now)
        }
    }

    /// A targeted sync of the payments objects a webhook to `connection_id` named.
    pub fn payments(
        tenant_id: TenantId,
        connection_id: ConnectionId,
        payment_refs: Vec<PaymentRef>,
        now: DateTime<Utc>,
    ) -> Self {
        SyncRequested {
            payment_refs,
            ..SyncRequested::tenant(tenant_id, SyncMode::Objects, SyncTrigger::Webhook, now)
        }
        .on_connection(connection_id)
    }

    /// A targeted sync of the accounts a webhook to `connection_id` named.
    pub fn accounts(
        tenant_id: TenantId,
        connection_id: ConnectionId,
        account_ids: Vec<String>,
        now: DateTime<Utc>,
    ) -> Self {
        SyncRequested {
            account_ids,
            ..SyncRequested::tenant(tenant_id, SyncMode::Objects, SyncTrigger::Webhook, now)
        }
        .on_connection(connection_id)
    }

    /// The same request aimed at one connection of the tenant.
    pub fn on_connection(self, connection_id: ConnectionId) -> Self {
        SyncRequested {
            connection_id: Some(connection_id),
            ..self
        }
    }

    /// The next invocation of the run this request started: same run id, mode and records.
    pub fn continuation(&self, sync_id: &SyncId, mode: SyncMode, now: DateTime<Utc>) -> Self {
        SyncRequested {
            schema_version: SCHEMA_VERSION,
            tenant_id: self.tenant_id.clone(),
            connection_id: self.connection_id.clone(),
            mode,
            objects: self.objects.clone(),
            payment_refs: self.payment_refs.clone(),
            account_ids: self.account_ids.clone(),
            requested_by: SyncTrigger::Continuation {
                previous_sync_id: sync_id.to_string(),
            },
            sync_id: Some(sync_id.clone()),
            requested_at: now,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantSynced {
    pub schema_version: u32,
    pub tenant_id: TenantId,
    pub sync_id: SyncId,
    pub mode: SyncMode,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub counts: BTreeMap<ObjectType, u64>,
    /// At most [`TenantSynced::MAX_CHANGED_IDS`] ids, so the event stays far below EventBridge's
    /// 256 KiB; `changed_clients` is the true count.
    pub changed_client_ids: Vec<ClientId>,
    #[serde(default)]
    pub changed_clients: u64,
}

impl TenantSynced {
    pub const MAX_CHANGED_IDS: usize = 1_000;

    /// The event of a finished `run` that changed `changed` clients (only the first
    /// [`TenantSynced::MAX_CHANGED_IDS`] are named). `now` stands in for a missing finish time.
    pub fn of_run(run: &SyncRun, changed: Vec<ClientId>, now: DateTime<Utc>) -> Self {
        TenantSynced {
            schema_version: SCHEMA_VERSION,
            tenant_id: run.tenant_id.clone(),
            sync_id: run.sync_id.clone(),
            mode: run.mode,
            started_at: run.started_at,
            finished_at: run.finished_at.unwrap_or(now),
            counts: run.counts.clone(),
            changed_clients: changed.len() as u64,
            changed_client_ids: changed.into_iter().take(Self::MAX_CHANGED_IDS).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreDrop {
    pub client_id: ClientId,
    pub previous: u8,
    pub current: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoresUpdated {
    pub schema_version: u32,
    pub tenant_id: TenantId,
    pub sync_id: SyncId,
    pub clients_scored: u64,
    pub insights_opened: u64,
    pub insights_resolved: u64,
    /// Clients whose overall fell 15 points or more.
    pub score_drops: Vec<ScoreDrop>,
}

/// An event the product emits, with its EventBridge detail-type.
/// An admin asked for an export of the tenant's data; the job is recorded, queued, under
/// `export_id`. The score function builds the archive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportRequested {
    pub schema_version: u32,
    pub tenant_id: TenantId,
    pub export_id: ExportId,
    pub requested_at: DateTime<Utc>,
}

impl ExportRequested {
    pub fn of(job: &crate::domain::ExportJob) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            tenant_id: job.tenant_id.clone(),
            export_id: job.id.clone(),
            requested_at: job.requested_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProductEvent {
    SyncRequested(SyncRequested),
    TenantSynced(TenantSynced),
    ScoresUpdated(ScoresUpdated),
    ClientHealthChanged(ClientHealthChanged),
    InsightOpened(InsightOpened),
    InsightResolved(InsightResolved),
    ExportRequested(ExportRequested),
    ErasureRequested(ErasureRequested),
}

impl ProductEvent {
    pub const DETAIL_TYPES: [&'static str; 8] = [
        "SyncRequested",
        "TenantSynced",
        "ScoresUpdated",
        "ClientHealthChanged",
        "InsightOpened",
        "InsightResolved",
        "ExportRequested",
        "ErasureRequested",
    ];

    pub fn detail_type(&self) -> &'static str {
        match self {
            ProductEvent::SyncRequested(_) => "SyncRequested",
            ProductEvent::TenantSynced(_) => "TenantSynced",
            ProductEvent::ScoresUpdated(_) => "ScoresUpdated",
            ProductEvent::ClientHealthChanged(_) => "ClientHealthChanged",
            ProductEvent::InsightOpened(_) => "InsightOpened",
            ProductEvent::InsightResolved(_) => "InsightResolved",
            ProductEvent::ExportRequested(_) => "ExportRequested",
            ProductEvent::ErasureRequested(_) => "ErasureRequested",
        }
    }

    pub fn tenant_id(&self) -> &TenantId {
        match self {
            ProductEvent::SyncRequested(e) => &e.tenant_id,
            ProductEvent::TenantSynced(e) => &e.tenant_id,
            ProductEvent::ScoresUpdated(e) => &e.tenant_id,
            ProductEvent::ClientHealthChanged(e) => &e.tenant_id,
            ProductEvent::InsightOpened(e) => &e.tenant_id,
            ProductEvent::InsightResolved(e) => &e.tenant_id,
            ProductEvent::ExportRequested(e) => &e.tenant_id,
            ProductEvent::ErasureRequested(e) => &e.tenant_id,
        }
    }

    pub fn detail_json(&self) -> Result<String, serde_json::Error> {
        match self {
            ProductEvent::SyncRequested(e) => serde_json::to_string(e),
            ProductEvent::TenantSynced(e) => serde_json::to_string(e),
            ProductEvent::ScoresUpdated(e) => serde_json::to_string(e),
            ProductEvent::ClientHealthChanged(e) => serde_json::to_string(e),
            ProductEvent::InsightOpened(e) => serde_json::to_string(e),
            ProductEvent::InsightResolved(e) => serde_json::to_string(e),
            ProductEvent::ExportRequested(e) => serde_json::to_string(e),
            ProductEvent::ErasureRequested(e) => serde_json::to_string(e),
        }
    }

    /// Rebuilds an event from its detail-type and detail, as a bus delivers it.
    pub fn from_parts(detail_type: &str, detail: &str) -> Result<Self, EventParseError> {
        let parsed = match detail_type {
            "SyncRequested" => serde_json::from_str(detail).map(ProductEvent::SyncRequested),
            "TenantSynced" => serde_json::from_str(detail).map(ProductEvent::TenantSynced),
            "ScoresUpdated" => serde_json::from_str(detail).map(ProductEvent::ScoresUpdated),
            "ClientHealthChanged" => {
                serde_json::from_str(detail).map(ProductEvent::ClientHealthChanged)
            }
            "InsightOpened" => serde_json::from_str(detail).map(ProductEvent::InsightOpened),
            "InsightResolved" => serde_json::from_str(detail).map(ProductEvent::InsightResolved),
            "ExportRequested" => serde_json::from_str(detail).map(ProductEvent::ExportRequested),
            "ErasureRequested" => serde_json::from_str(detail).map(ProductEvent::ErasureRequested),
            other => return Err(EventParseError::UnknownDetailType(other.to_string())),
        };
        parsed.map_err(|e| EventParseError::BadDetail {
            detail_type: detail_type.to_string(),
            message: e.to_string(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EventParseError {
    #[error("unknown detail-type {0:?}")]
    UnknownDetailType(String),
    #[error("{detail_type} detail does not match its schema: {message}")]
    BadDetail {
        detail_type: String,
        message: String,
    },
}
