//! The small table port the store's entity logic is written over ([`super::entities`]): rows under
//! the keys of [`super::keys`], read by key, by batch or by query plan ([`super::query`]), written
//! under a [`Condition`] or in batches. [`super::DynamoStore`]'s table is DynamoDB, [`super::MemoryStore`]'s
//! a map in memory; each only stores rows, so every entity rule (keys, content hash, expiry,
//! versions) lives once, in `entities`.

use crate::domain::{
    AccountRecord, AlertRule, AlertState, ClientId, ClientSnapshot, ClientSnooze, Connection,
    Correlation, DeliveryRecord, HealthScore, Insight, PayerRecord, PendingAlert, ScorePoint,
    SyncCheckpoint, SyncRun, Tenant, TenantId, TenantSummary,
};
use crate::ports::{InsightFilter, OAuthState, Page, PageRequest, StoreError};
use crate::store::keys::{Index, ItemKeys, Key};
use crate::store::query::QueryPlan;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What an item holds, by entity. (Its serde form is the memory store's data file format.)
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "entity", rename_all = "snake_case")]
pub enum Record {
    Tenant {
        tenant: Tenant,
    },
    Snapshot {
        snapshot: ClientSnapshot,
    },
    Contact {
        contact_id: String,
        client_ids: Vec<ClientId>,
    },
    Score {
        score: HealthScore,
    },
    History {
        point: ScorePoint,
    },
    Summary {
        summary: TenantSummary,
    },
    Trend {
        point: crate::domain::TrendPoint,
    },
    Insight {
        insight: Insight,
    },
    SyncRun {
        run: SyncRun,
    },
    Checkpoint {
        checkpoint: SyncCheckpoint,
    },
    Lease {
        holder: String,
        until: DateTime<Utc>,
    },
    WebhookEvent {},
    OAuthState {
        state: OAuthState,
    },
    Connection {
        connection: Connection,
    },
    Payer {
        payer: PayerRecord,
    },
    Account {
        account: AccountRecord,
    },
    Correlation {
        correlation: Correlation,
    },
    AlertRule {
        rule: AlertRule,
    },
    AlertState {
        state: AlertState,
    },
    Snooze {
        snooze: ClientSnooze,
    },
    Override {
        client_override: crate::domain::ClientOverride,
    },
    PendingAlert {
        alert: PendingAlert,
    },
    /// The tenant has pending alerts due in `hour`. `stamp` changes at every write, so the release
    /// deletes a marker only if no alert was queued for its hour since it looked.
    AlertsDue {
        tenant_id: TenantId,
        hour: DateTime<Utc>,
        stamp: u64,
    },
    Delivery {
        delivery: DeliveryRecord,
    },
    /// The last send slot handed out on a channel; `version` moves at every reservation.
    SendSlot {
        slot: DateTime<Utc>,
        version: u64,
    },
    Writeback {
        item: crate::store::entities::WritebackItem,
    },
    Export {
        export: crate::domain::ExportJob,
    },
    /// An erasure and, once finished, its receipt; kept through the tenant's own erasure.
    Erasure {
        erasure: crate::domain::Erasure,
    },
    Audit {
        entry: crate::domain::AuditEntry,
    },
    /// What is known of a client's fate (issue 18's outcomes).
    Outcome {
        outcome: crate::domain::ClientOutcomeRecord,
    },
    /// The tenant's latest backtest and churn calibration (boxed: the largest record by far).
    Calibration {
        calibration: Box<crate::domain::TenantCalibration>,
    },
    /// How far re-weighting the tenant's history to its settings got.
    Reweigh {
        state: crate::domain::ReweighState,
    },
    /// One accepted version of the tenant's settings, kept for good.
    SettingsVersion {
        version: crate::domain::SettingsVersion,
    },
    /// How far the schedule's fan-out got in one slot (no tenant's; expires).
    Dispatch {
        progress: crate::domain::DispatchProgress,
    },
}

impl Record {
    /// The optimistic-locking version of the entities that have one.
    pub fn version(&self) -> Option<u64> {
        match self {
            Record::Tenant { tenant } => Some(tenant.version),
            Record::Summary { summary } => Some(summary.version),
            Record::Insight { insight } => Some(insight.version),
            Record::Connection { connection } => Some(connection.version),
            Record::AlertRule { rule } => Some(rule.version),
            Record::AlertsDue { stamp, .. } => Some(*stamp),
            Record::SendSlot { version, .. } => Some(*version),
            Record::Dispatch { progress } => Some(progress.version),
            _ => None,
        }
    }
}

/// One item: its keys, the store's own attributes and the entity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    pub keys: ItemKeys,
    /// Digest of the content, for writing only what changed ([`super::content`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    /// Epoch seconds, the table's TTL attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    pub record: Record,
}

impl Row {
    pub fn new(keys: ItemKeys, record: Record) -> Self {
        Self {
            keys,
            content_hash: None,
            expires_at: None,
            record,
        }
    }

    pub fn hashed(keys: ItemKeys, record: Record, hash: String) -> Self {
        Self {
            content_hash: Some(hash),
            ..Self::new(keys, record)
        }
    }

    pub fn expiring(mut self, at_secs: i64) -> Self {
        self.expires_at = Some(at_secs);
        self
    }

    pub fn live_at(&self, now_secs: i64) -> bool {
        self.expires_at.is_none_or(|at| at > now_secs)
    }
}

/// When a conditional put or delete may go ahead, judged against the stored item (an item past
/// its expiry counts as absent where the condition says so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    Always,
    Absent,
    VersionIs(u64),
    AbsentOrVersionIs(u64),
    AbsentOrExpired,
    /// The lease is free, expired at `now`, or already `holder`'s.
    LeaseTakeable {
        holder: String,
        now: DateTime<Utc>,
    },
    /// `holder` has the lease, unexpired at `now`.
    LeaseHeld {
        holder: String,
        now: DateTime<Utc>,
    },
    /// The lease is `holder`'s (expired or not).
    HeldBy(String),
}

impl Condition {
    /// Whether the condition holds given the stored, unexpired row.
    pub fn holds(&self, stored: Option<&Row>) -> bool {
        let lease = stored.and_then(|row| match &row.record {
            Record::Lease { holder, until } => Some((holder.as_str(), *until)),
            _ => None,
        });
        let version = stored.and_then(|row| row.record.version());
        match self {
            Condition::Always => true,
            Condition::Absent | Condition::AbsentOrExpired => stored.is_none(),
            Condition::VersionIs(v) => version == Some(*v),
            Condition::AbsentOrVersionIs(v) => stored.is_none() || version == Some(*v),
            Condition::LeaseTakeable { holder, now } => {
                lease.is_none_or(|(current, until)| current == holder || until <= *now)
            }
            Condition::LeaseHeld { holder, now } => {
                lease.is_some_and(|(current, until)| current == holder && until > *now)
            }
            Condition::HeldBy(holder) => lease.is_some_and(|(current, _)| current == holder),
        }
    }
}

/// What a query keeps of the rows its plan selects, beyond the plan's keys.
#[derive(Debug, Clone, Copy)]
pub enum RowFilter<'a> {
    All,
    Insights(&'a InsightFilter),
    MinChurnRisk(u8),
    /// Rows not yet past `expires_at` (TTL deletes lazily).
    Unexpired,
    /// Unexpired audit entries that pass the filter (its time range is the plan's key range).
    Audit(&'a crate::domain::AuditFilter),
}

impl RowFilter<'_> {
    pub fn accepts(&self, row: &Row, now_secs: i64) -> bool {
        match (self, &row.record) {
            (RowFilter::All, _) => true,
            (RowFilter::Insights(filter), Record::Insight { insight }) => filter.matches(insight),
            (RowFilter::MinChurnRisk(min), Record::Score { score }) => score.churn_risk >= *min,
            (RowFilter::Unexpired, _) => row.live_at(now_secs),
            (RowFilter::Audit(filter), Record::Audit { entry }) => {
                row.live_at(now_secs) && filter.matches(entry)
            }
            _ => false,
        }
    }
}

/// A single-field update of a stored item that leaves the rest (its version too) alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    LastFullSyncAt(DateTime<Utc>),
}

/// A write of a batch.
#[derive(Debug, Clone)]
pub enum Change {
    Put(Box<Row>),
    Delete(Key),
}

/// What change detection needs of a stored item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredDigest {
    pub content_hash: Option<String>,
    pub version: Option<u64>,
}

/// The table port: what a store needs of a table. Reads by key are strongly consistent.
#[async_trait::async_trait]
pub trait Table: Send + Sync {
    async fn get_row(&self, key: &Key) -> Result<Option<Row>, StoreError>;
    /// The rows under `keys` (missing ones left out, order not kept).
    async fn get_rows(&self, keys: Vec<Key>) -> Result<Vec<Row>, StoreError>;
    /// The digests (and versions) of the rows under `keys` (missing ones left out).
    async fn stored_digests(
        &self,
        keys: Vec<Key>,
    ) -> Result<HashMap<Key, StoredDigest>, StoreError>;
    /// Puts `row` if `condition` holds; `Ok(false)` when it does not.
    async fn put_row_if(&self, row: Row, condition: Condition) -> Result<bool, StoreError>;
    /// Deletes the row if `condition` holds; returns the old row, `None` when the condition failed
    /// or nothing was there.
    async fn delete_row_if(
        &self,
        key: &Key,
        condition: Condition,
    ) -> Result<Option<Row>, StoreError>;
    /// Applies `update` to the stored row; `Ok(false)` when there is none.
    async fn update_row(&self, key: &Key, update: Update) -> Result<bool, StoreError>;
    /// One page of a plan: rows past the cursor that pass the filter, and a cursor when more exist.
    async fn query_rows_page(
        &self,
        plan: &QueryPlan,
        filter: RowFilter<'_>,
        page: &PageRequest,
    ) -> Result<Page<Row>, StoreError>;
    /// Every row of a plan that passes the filter.
    async fn query_rows(
        &self,
        plan: &QueryPlan,
        filter: RowFilter<'_>,
    ) -> Result<Vec<Row>, StoreError>;
    /// Writes the changes (in batches where the table has them); returns the write requests sent.
    async fn write_rows(&self, changes: Vec<Change>) -> Result<u64, StoreError>;
}

/// A [`Table`] operation, as the IAM check counts them: each maps to one AWS action per adapter
/// ([`super::dynamo::iam_action`]); a query also names the index it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TableOp {
    GetRow,
    GetRows,
    StoredDigests,
    PutRowIf,
    DeleteRowIf,
    UpdateRow,
    Query(Index),
    WriteRows,
}

/// A table that records the operations asked of it, then passes them to `inner`: how a test sees
/// which operations each store method really uses ([`super::entities::PORT_METHOD_TABLE_OPS`]).
#[derive(Debug, Default)]
pub struct RecordingTable<T> {
    inner: T,
    ops: std::sync::Mutex<Vec<TableOp>>,
}

impl<T> RecordingTable<T> {
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            ops: std::sync::Mutex::default(),
        }
    }

    /// The operations recorded since the last call, in order.
    pub fn take_ops(&self) -> Vec<TableOp> {
        self.ops
            .lock()
            .map(|mut ops| std::mem::take(&mut *ops))
            .unwrap_or_default()
    }

    fn note(&self, op: TableOp) {
        if let Ok(mut ops) = self.ops.lock() {
            ops.push(op);
        }
    }
}

#[async_trait::async_trait]
impl<T: Table> Table for RecordingTable<T> {
    async fn get_row(&self, key: &Key) -> Result<Option<Row>, StoreError> {
        self.note(TableOp::GetRow);
        self.inner.get_row(key).await
    }

    async fn get_rows(&self, keys: Vec<Key>) -> Result<Vec<Row>, StoreError> {
        self.note(TableOp::GetRows);
        self.inner.get_rows(keys).await
    }

    async fn stored_digests(
        &self,
        keys: Vec<Key>,
    ) -> Result<HashMap<Key, StoredDigest>, StoreError> {
        self.note(TableOp::StoredDigests);
        self.inner.stored_digests(keys).await
    }

    async fn put_row_if(&self, row: Row, condition: Condition) -> Result<bool, StoreError> {
        self.note(TableOp::PutRowIf);
        self.inner.put_row_if(row, condition).await
    }

    async fn delete_row_if(
        &self,
        key: &Key,
        condition: Condition,
    ) -> Result<Option<Row>, StoreError> {
        self.note(TableOp::DeleteRowIf);
        self.inner.delete_row_if(key, condition).await
    }

    async fn update_row(&self, key: &Key, update: Update) -> Result<bool, StoreError> {
        self.note(TableOp::UpdateRow);
        self.inner.update_row(key, update).await
    }

    async fn query_rows_page(
        &self,
        plan: &QueryPlan,
        filter: RowFilter<'_>,
        page: &PageRequest,
    ) -> Result<Page<Row>, StoreError> {
        self.note(TableOp::Query(plan.index));
        self.inner.query_rows_page(plan, filter, page).await
    }

    async fn query_rows(
        &self,
        plan: &QueryPlan,
        filter: RowFilter<'_>,
    ) -> Result<Vec<Row>, StoreError> {
        self.note(TableOp::Query(plan.index));
        self.inner.query_rows(plan, filter).await
    }

    /// Only a write of something counts: an empty batch sends no request.
    async fn write_rows(&self, changes: Vec<Change>) -> Result<u64, StoreError> {
        if !changes.is_empty() {
            self.note(TableOp::WriteRows);
        }
        self.inner.write_rows(changes).await
    }
}
