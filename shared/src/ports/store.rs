//! The store: where every function meets. Split by entity so a handler asks only for what it uses.
//! Every operation takes the tenant first; no read can reach another tenant's items.

use crate::domain::{
    ClientId, ClientSnapshot, ConfidenceBand, HealthBand, HealthScore, Impact, Insight, InsightId,
    InsightStatus, InsightType, ObjectType, ScorePoint, SortKey, SyncCheckpoint, SyncId, SyncRun,
    Tenant, TenantId, TenantSummary,
};
use crate::ports::alerts::AlertStore;
use crate::ports::connection_store::{ConnectionStore, CorrelationStore, PayerStore};
use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    /// A conditional write failed: the item exists, or its version moved.
    #[error("{entity} {id} was changed concurrently or already exists")]
    Conflict { entity: &'static str, id: String },
    /// DynamoDB throttled us past our retries; the caller may retry later.
    #[error("store throttled: {0}")]
    Throttled(String),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A stored item does not decode into its entity (a bug or a manual edit).
    #[error("stored item is corrupt: {0}")]
    Corrupt(String),
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

impl StoreError {
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        StoreError::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub fn conflict(entity: &'static str, id: impl ToString) -> Self {
        StoreError::Conflict {
            entity,
            id: id.to_string(),
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Throttled(_) | StoreError::Unavailable(_))
    }
}

/// What a write did: items the store actually wrote, items skipped because nothing changed, items
/// left alone because someone changed them since the caller read them, and the write requests it
/// sent (one `BatchWriteItem` of up to 25 counts once, plus its retries).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteReport {
    pub items_written: u64,
    pub items_unchanged: u64,
    pub items_stale: u64,
    pub write_requests: u64,
}

impl std::ops::AddAssign for WriteReport {
    fn add_assign(&mut self, other: Self) {
        self.items_written += other.items_written;
        self.items_unchanged += other.items_unchanged;
        self.items_stale += other.items_stale;
        self.write_requests += other.write_requests;
    }
}

/// A page request. `cursor` is the opaque string a previous page returned; it is bound to the tenant
/// it was made for and refused (`InvalidInput`) for any other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub cursor: Option<String>,
}

impl PageRequest {
    pub const MAX_LIMIT: u32 = 200;

    pub fn first(limit: u32) -> Self {
        Self {
            limit,
            cursor: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[async_trait::async_trait]
pub trait TenantStore: Send + Sync {
    /// Creates a tenant; `Conflict` when one with this id exists.
    async fn create_tenant(&self, tenant: &Tenant) -> Result<(), StoreError>;
    async fn get_tenant(&self, tenant_id: &TenantId) -> Result<Tenant, StoreError>;
    /// Writes `tenant` if the stored version is still `tenant.version`; returns it with the new version.
    async fn update_tenant(&self, tenant: &Tenant) -> Result<Tenant, StoreError>;
    /// Notes when the tenant's last full sync finished. Touches that field only and leaves the
    /// version alone: it is bookkeeping, and must not make a settings change made meanwhile conflict.
    async fn record_full_sync(
        &self,
        tenant_id: &TenantId,
        finished_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn tenant_by_portal(&self, portal_id: u64) -> Result<Option<Tenant>, StoreError>;
    /// Tenants with status `active`, for the schedule's fan-out (a GSI, not a scan).
    async fn list_active_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError>;
}

/// The per-client CRM data sync derives and score reads, and the contact index that maps a contact to
/// the clients it belongs to (for incremental engagements and privacy deletions).
#[async_trait::async_trait]
pub trait SnapshotStore: Send + Sync {
    /// Upserts snapshots; a snapshot equal to the stored one is not written again.
    async fn put_snapshots(
        &self,
        tenant_id: &TenantId,
        snapshots: &[ClientSnapshot],
    ) -> Result<WriteReport, StoreError>;
    async fn get_snapshots(
        &self,
        tenant_id: &TenantId,
        client_ids: &[ClientId],
    ) -> Result<Vec<ClientSnapshot>, StoreError>;
    async fn list_snapshots(
        &self,
        tenant_id: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<ClientSnapshot>, StoreError>;
    async fn delete_snapshots(
        &self,
        tenant_id: &TenantId,
        client_ids: &[ClientId],
    ) -> Result<WriteReport, StoreError>;
    /// Sets the clients a contact belongs to (an empty list removes the contact from the index).
    async fn put_contact_clients(
        &self,
        tenant_id: &TenantId,
        links: &[(String, Vec<ClientId>)],
    ) -> Result<WriteReport, StoreError>;
    async fn contact_clients(
        &self,
        tenant_id: &TenantId,
        contact_ids: &[String],
    ) -> Result<Vec<(String, Vec<ClientId>)>, StoreError>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScoreOrder {
    /// Least healthy first.
    #[default]
    OverallAscending,
    OverallDescending,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScoreQuery {
    pub order: ScoreOrder,
    pub band: Option<HealthBand>,
    pub min_churn_risk: Option<u8>,
    /// Only scores whose overall is at most this: 49 lists the overview's "clients at risk" (bands
    /// `at_risk` and `critical`) in one list. A range of the sort key, like `band`.
    pub max_overall: Option<u8>,
}

#[async_trait::async_trait]
pub trait ScoreStore: Send + Sync {
    /// The tenant's summary, once score has written one.
    async fn get_summary(&self, tenant_id: &TenantId) -> Result<Option<TenantSummary>, StoreError>;
    /// Writes `summary` as the version after `summary.version` and returns it so. With
    /// `if_unchanged`, only while the stored summary is still at `summary.version` (none stored
    /// counts as version 0), else `Conflict`; without, whatever is stored (score's whole rewrite).
    async fn put_summary(
        &self,
        tenant_id: &TenantId,
        summary: &TenantSummary,
        if_unchanged: bool,
    ) -> Result<TenantSummary, StoreError>;
    /// Upserts current scores; a score with the same content as the stored one is not written again.
    async fn put_scores(
        &self,
        tenant_id: &TenantId,
        scores: &[HealthScore],
    ) -> Result<WriteReport, StoreError>;
    /// Removes the current scores of clients that are gone (their history expires by itself).
    async fn delete_scores(
        &self,
        tenant_id: &TenantId,
        client_ids: &[ClientId],
    ) -> Result<WriteReport, StoreError>;
    async fn get_score(
        &self,
        tenant_id: &TenantId,
        client_id: &ClientId,
    ) -> Result<Option<HealthScore>, StoreError>;
    /// All current scores of the given clients (missing ones are left out).
    async fn get_scores(
        &self,
        tenant_id: &TenantId,
        client_ids: &[ClientId],
    ) -> Result<Vec<HealthScore>, StoreError>;
    async fn list_scores(
        &self,
        tenant_id: &TenantId,
        query: &ScoreQuery,
        page: &PageRequest,
    ) -> Result<Page<HealthScore>, StoreError>;
    /// Appends history points; they expire `retention_days` after their time.
    async fn append_history(
        &self,
        tenant_id: &TenantId,
        points: &[ScorePoint],
        retention_days: u32,
    ) -> Result<WriteReport, StoreError>;
    /// One client's history in `[from, to]`, oldest first.
    async fn history(
        &self,
        tenant_id: &TenantId,
        client_id: &ClientId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ScorePoint>, StoreError>;
    /// Writes the tenant's trend point of `point.day`, replacing that day's (the last run of the
    /// day wins); it expires `retention_days` after the day, like history.
    async fn put_trend_point(
        &self,
        tenant_id: &TenantId,
        point: &crate::domain::TrendPoint,
        retention_days: u32,
    ) -> Result<WriteReport, StoreError>;
    /// The tenant's trend points of the days `[from, to]`, oldest first (days without a run have
    /// none).
    async fn trend_points(
        &self,
        tenant_id: &TenantId,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<crate::domain::TrendPoint>, StoreError>;
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct InsightFilter {
    pub status: Option<InsightStatus>,
    pub insight_type: Option<InsightType>,
    pub impact: Option<Impact>,
    pub min_confidence: Option<u8>,
    pub band: Option<ConfidenceBand>,
    pub client_id: Option<ClientId>,
}

impl InsightFilter {
    pub fn matches(&self, insight: &Insight) -> bool {
        self.status.is_none_or(|s| insight.status == s)
            && self.insight_type.is_none_or(|t| insight.insight_type == t)
            && self.impact.is_none_or(|i| insight.impact == i)
            && self.min_confidence.is_none_or(|c| insight.confidence >= c)
            && self.band.is_none_or(|b| insight.confidence_band == b)
            && self
                .client_id
                .as_ref()
                .is_none_or(|c| &insight.client_id == c)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    pub status: InsightStatus,
    pub changed_by: String,
    pub changed_at: DateTime<Utc>,
    /// The version the caller read; the change is refused with `Conflict` if it moved.
    pub expected_version: u64,
    /// The person's reason, kept with the insight (`None` clears the previous one).
    pub reason: Option<String>,
    /// Until when, for status `snoozed` (ignored for any other status).
    pub snoozed_until: Option<DateTime<Utc>>,
}

impl StatusChange {
    /// Applies the change to `insight` as read from the store, or refuses it with `Conflict` when the
    /// insight moved on since the caller read it.
    pub fn apply_to(&self, insight: &mut Insight) -> Result<(), StoreError> {
        if insight.version != self.expected_version {
            return Err(StoreError::conflict("insight", &insight.id));
        }
        insight.status = self.status;
        insight.snoozed_until = self
            .snoozed_until
            .filter(|_| self.status == InsightStatus::Snoozed);
        insight.status_reason = self.reason.clone();
        insight.status_changed_at = Some(self.changed_at);
        insight.status_changed_by = Some(self.changed_by.clone());
        insight.version += 1;
        Ok(())
    }
}

#[async_trait::async_trait]
pub trait InsightStore: Send + Sync {
    /// Upserts insights as given (the caller decides status and timestamps); one whose content equals
    /// the stored one is not written again. Each carries the version it was read at (0 when new): one
    /// whose stored version moved on since (a user acknowledged or dismissed it meanwhile) is left as
    /// stored and counted in `items_stale`, so a scoring run never undoes a user's change.
    async fn put_insights(
        &self,
        tenant_id: &TenantId,
        insights: &[Insight],
    ) -> Result<WriteReport, StoreError>;
    async fn get_insight(
        &self,
        tenant_id: &TenantId,
        insight_id: &InsightId,
    ) -> Result<Insight, StoreError>;
    /// Every insight of the given clients, any status (for scoring to update or resolve them).
    async fn insights_for_clients(
        &self,
        tenant_id: &TenantId,
        client_ids: &[ClientId],
    ) -> Result<Vec<Insight>, StoreError>;
    /// Newest first (by `updated_at`): all of the tenant's insights read through the filter.
    async fn list_insights(
        &self,
        tenant_id: &TenantId,
        filter: &InsightFilter,
        page: &PageRequest,
    ) -> Result<Page<Insight>, StoreError>;
    async fn change_insight_status(
        &self,
        tenant_id: &TenantId,
        insight_id: &InsightId,
        change: &StatusChange,
    ) -> Result<Insight, StoreError>;
    /// Up to `limit` insights stored with `status` that pass `filter` (its status aside), in
    /// triage order ([`crate::domain::InsightSort::Impact`]), after the one whose sort key is
    /// `after`: one page of the triage list read straight from its index. Insights stored before
    /// the index existed are not in it (see [`InsightStore::reindex_insights`]).
    async fn insights_in_triage_order(
        &self,
        tenant_id: &TenantId,
        status: InsightStatus,
        filter: &InsightFilter,
        after: Option<&SortKey>,
        limit: u32,
    ) -> Result<Vec<Insight>, StoreError>;
    /// Whether some insight of `status` was stored before the triage index (and so is not in it
    /// yet): then the triage list is read whole.
    async fn has_insights_outside_triage_order(
        &self,
        tenant_id: &TenantId,
        status: InsightStatus,
    ) -> Result<bool, StoreError>;
    /// Moves up to `limit` insights of `status` stored before the triage index into it (each is
    /// written again as it is, unless a user changed it meanwhile); returns how many it found, so
    /// 0 says the status's list is wholly in triage order.
    async fn reindex_insights(
        &self,
        tenant_id: &TenantId,
        status: InsightStatus,
        limit: u32,
    ) -> Result<u32, StoreError>;
    /// Every insight the filter matches (by stored status), in no promised order: for the callers
    /// that sort or count them all (the triage list, its totals). One query of the status's
    /// partition (or of all the tenant's insights), read to its end.
    async fn matching_insights(
        &self,
        tenant_id: &TenantId,
        filter: &InsightFilter,
    ) -> Result<Vec<Insight>, StoreError>;
}

#[async_trait::async_trait]
pub trait SyncStore: Send + Sync {
    async fn put_sync_run(&self, run: &SyncRun) -> Result<(), StoreError>;
    async fn get_sync_run(
        &self,
        tenant_id: &TenantId,
        sync_id: &SyncId,
    ) -> Result<SyncRun, StoreError>;
    /// Newest first.
    async fn list_sync_runs(
        &self,
        tenant_id: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<SyncRun>, StoreError>;
    async fn checkpoints(&self, tenant_id: &TenantId) -> Result<Vec<SyncCheckpoint>, StoreError>;
    async fn put_checkpoint(
        &self,
        tenant_id: &TenantId,
        checkpoint: &SyncCheckpoint,
    ) -> Result<(), StoreError>;
    async fn clear_checkpoint(
        &self,
        tenant_id: &TenantId,
        object_type: ObjectType,
    ) -> Result<(), StoreError>;
    /// Takes the named lease (a [`Lease`]'s name) for `holder` until `until`, if it is free or
    /// expired at `now` (or already `holder`'s). Returns whether this holder now has it.
    async fn acquire_lease(
        &self,
        tenant_id: &TenantId,
        name: &str,
        holder: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Extends `holder`'s lease to `until`, only while `holder` still has it unexpired at `now`.
    /// Returns `false` when the lease expired or another holder took it: the work it guards must stop.
    async fn renew_lease(
        &self,
        tenant_id: &TenantId,
        name: &str,
        holder: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    async fn release_lease(
        &self,
        tenant_id: &TenantId,
        name: &str,
        holder: &str,
    ) -> Result<(), StoreError>;
}

/// The leases the product takes on a tenant: each keeps one kind of work to one holder at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lease {
    /// One sync of a tenant at a time (held, and renewed, for the whole invocation).
    Sync,
    /// One refresh of a tenant's OAuth tokens at a time, across processes.
    TokenRefresh,
    /// One `POST /v1/sync` of a tenant being recorded at a time.
    ManualSyncRequest,
    /// One sync of a connection at a time; taken per connection ([`Lease::key_on`]), so a tenant's
    /// connections (and its HubSpot portal, under [`Lease::Sync`]) sync side by side.
    ConnectionSync,
}

impl Lease {
    pub const ALL: [Lease; 4] = [
        Lease::Sync,
        Lease::TokenRefresh,
        Lease::ManualSyncRequest,
        Lease::ConnectionSync,
    ];

    /// The name the store keys the lease by (`LEASE#<name>`).
    pub const fn name(self) -> &'static str {
        match self {
            Lease::Sync => "sync",
            Lease::TokenRefresh => "token-refresh",
            Lease::ManualSyncRequest => "manual-sync-request",
            Lease::ConnectionSync => "connection-sync",
        }
    }

    /// The name the store keys this lease by on one connection (`connection-sync#paypal-1`).
    pub fn key_on(self, connection_id: &crate::domain::ConnectionId) -> String {
        format!("{}#{connection_id}", self.name())
    }
}

/// What `/oauth/install` remembers until `/oauth/callback` comes back.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OAuthState {
    pub nonce: String,
    /// The tenant re-authorising, when known.
    pub tenant_id: Option<TenantId>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[async_trait::async_trait]
pub trait WebhookStore: Send + Sync {
    /// Records a webhook event id once (a conditional write). Returns `true` the first time, `false`
    /// for a duplicate. The record expires at `expires_at`.
    async fn record_webhook_event(
        &self,
        tenant_id: &TenantId,
        event_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Forgets a recorded event id (forgetting an unknown one is not an error). Ingest records ids
    /// before it publishes and forgets them when the publish fails, so HubSpot's redelivery of those
    /// events is processed instead of being dropped as a duplicate. Every adapter should override
    /// this default, which only reports that the adapter cannot forget.
    async fn forget_webhook_event(
        &self,
        tenant_id: &TenantId,
        event_id: &str,
    ) -> Result<(), StoreError> {
        let _ = (tenant_id, event_id);
        Err(StoreError::Unavailable(
            "this store cannot forget webhook event ids".to_string(),
        ))
    }
    async fn put_oauth_state(&self, state: &OAuthState) -> Result<(), StoreError>;
    /// Returns and deletes the state, so a nonce works once; `None` when unknown or expired at `now`.
    async fn take_oauth_state(
        &self,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OAuthState>, StoreError>;
}

/// Everything a handler may need; both adapters implement all of it.
pub trait Store:
    TenantStore
    + SnapshotStore
    + ScoreStore
    + InsightStore
    + SyncStore
    + WebhookStore
    + ConnectionStore
    + PayerStore
    + crate::ports::AccountStore
    + CorrelationStore
    + AlertStore
    + crate::ports::WritebackStore
    + crate::ports::ExportStore
    + crate::ports::ErasureStore
    + crate::ports::AuditStore
    + crate::ports::OutcomeStore
    + crate::ports::SettingsHistoryStore
    + crate::ports::OverrideStore
    + crate::ports::DispatchStore
{
}

impl<T> Store for T where
    T: TenantStore
        + SnapshotStore
        + ScoreStore
        + InsightStore
        + SyncStore
        + WebhookStore
        + ConnectionStore
        + PayerStore
        + crate::ports::AccountStore
        + crate::ports::AccountStore
        + CorrelationStore
        + AlertStore
        + crate::ports::WritebackStore
        + crate::ports::ExportStore
        + crate::ports::ErasureStore
        + crate::ports::AuditStore
        + crate::ports::OutcomeStore
        + crate::ports::SettingsHistoryStore
        + crate::ports::OverrideStore
        + crate::ports::DispatchStore
{
}
