//! What a CRM sync run does (its plan and tuning) and what it did (its outcome).

use crate::domain::{ClientId, ObjectRef, ObjectType, SyncId, SyncMode};
use crate::ports::WriteReport;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::time::Duration;

/// Tuning of a run; the defaults suit the Lambda.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyncOptions {
    /// Flush snapshots and save cursors at least this often (a crash loses at most this much work;
    /// a deadline cut-off loses nothing).
    pub flush_every: Duration,
    /// The most an invocation keeps back before its deadline (no new page starts then) for the
    /// last flush and the continuation. It keeps [`crate::connector::budget::RESERVE_SHARE`] of
    /// its time, up to this: a short Lambda timeout still leaves most of the invocation for
    /// fetching.
    pub deadline_reserve: Duration,
    /// Incremental windows start this long before the watermark: search indexes fresh writes with a
    /// lag, and re-reading a record is harmless (unchanged snapshots are not written).
    pub window_overlap: Duration,
    /// Pages fetched but not yet applied, across all walks.
    pub pages_in_flight: usize,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            flush_every: Duration::from_secs(30),
            deadline_reserve: Duration::from_secs(10),
            window_overlap: Duration::from_secs(5 * 60),
            pages_in_flight: 16,
        }
    }
}

/// What one run does. A continuation passes the same `sync_id` and `started_at` as the run it
/// continues: that is how walks find their checkpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncPlan {
    pub sync_id: SyncId,
    pub mode: SyncMode,
    /// The run's start: the end of every incremental window and the next watermark.
    pub started_at: DateTime<Utc>,
    /// The types to walk; empty means every type the source offers.
    pub object_types: Vec<ObjectType>,
    /// The objects of a `SyncMode::Objects` run.
    pub objects: Vec<ObjectRef>,
    pub options: SyncOptions,
}

impl SyncPlan {
    pub fn full(sync_id: SyncId, started_at: DateTime<Utc>) -> Self {
        Self::new(sync_id, SyncMode::Full, started_at)
    }

    pub fn incremental(sync_id: SyncId, started_at: DateTime<Utc>) -> Self {
        Self::new(sync_id, SyncMode::Incremental, started_at)
    }

    pub fn objects(sync_id: SyncId, started_at: DateTime<Utc>, objects: Vec<ObjectRef>) -> Self {
        SyncPlan {
            objects,
            ..Self::new(sync_id, SyncMode::Objects, started_at)
        }
    }

    fn new(sync_id: SyncId, mode: SyncMode, started_at: DateTime<Utc>) -> Self {
        SyncPlan {
            sync_id,
            mode,
            started_at,
            object_types: Vec::new(),
            objects: Vec::new(),
            options: SyncOptions::default(),
        }
    }
}

/// What a run did (this invocation only; a continuation reports its own).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncOutcome {
    /// Every walk reached its end (or the targeted fetch ran); `false` when the deadline cut the run
    /// off and a continuation should follow.
    pub completed: bool,
    /// Records fetched per object type.
    pub counts: BTreeMap<ObjectType, u64>,
    /// Requests the source sent during the run.
    pub requests_used: u64,
    /// Clients whose stored snapshot this run created or changed.
    pub changed_client_ids: Vec<ClientId>,
    /// Clients removed because the source no longer has them.
    pub deleted_client_ids: Vec<ClientId>,
    /// Whether stored clients were reconciled with the source's company ids (a full run fetched
    /// in one invocation).
    pub reconciled: bool,
    /// Engagements linked to no company and to no contact of a known client.
    pub unresolved_engagements: u64,
    /// Objects a targeted sync found deleted but could not locate (deals, tickets, engagements: no
    /// reverse index; the next full sync removes them).
    pub unlocated_deletions: u64,
    pub writes: WriteReport,
}
