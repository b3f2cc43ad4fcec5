//! The 90-day history backfill at first start: a new tenant's first sync brings months of dated
//! activity, but scores only exist from now on, so trends, sparklines and "why it changed" would have
//! nothing to show for 90 days. Before the first scoring, the runner scores every past day: the
//! snapshots as they stood that day ([`as_of`]) through the score function itself
//! (`handlers::score::handle_tenant_synced` with `now` = that day), so history points, insights with
//! their opening and resolving dates, and whatever else scoring writes per run exist for each day.
//!
//! The days are scored on a private copy of the store ([`MemoryStore::fork`]), since their made-up
//! snapshots must never be seen by the API or a sync merging into them; what the runs wrote (all but
//! snapshots) is copied back in one step. Their events go nowhere: notify hears nothing of
//! backfilled days, so no alert fires about the past. The first live scoring then compares today with
//! yesterday, as every later one does.
//!
//! It runs once per tenant: a tenant with a summary (scored before, e.g. kept in `--data-file`) is
//! left alone. `--no-backfill` turns it off.

mod as_of;
mod gate;

pub use as_of::as_of;
pub use gate::Gate;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use shared::domain::{ClientSnapshot, SyncId, SyncMode, TenantId};
use shared::events::{ProductEvent, TenantSynced, SCHEMA_VERSION};
use shared::handlers::score::{handle_tenant_synced, ScoreError};
use shared::ports::{BusError, EventBus, ScoreStore, SnapshotStore, StoreError};
use shared::store::row::Record;
use shared::store::{every_page, MemoryStore};
use std::time::Instant;

/// Days of history the backfill scores (the overview's trends cover 90 days).
pub const DAYS: u32 = 90;

#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    #[error("the store: {0}")]
    Store(#[from] StoreError),
    #[error("scoring a past day: {0}")]
    Score(#[from] ScoreError),
}

/// What a backfill did.
#[derive(Debug, Clone, PartialEq)]
pub struct Backfilled {
    pub days: u32,
    pub clients: usize,
    /// Rows the days wrote (history points, scores, insights, summaries...).
    pub rows: usize,
    pub elapsed: std::time::Duration,
}

impl std::fmt::Display for Backfilled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "History: {} past days scored for {} clients in {:.1} s ({} records written; --no-backfill skips this).",
            self.days,
            self.clients,
            self.elapsed.as_secs_f64(),
            self.rows
        )
    }
}

/// The past days' events go nowhere: notify must not alert about them.
struct Discard;

#[async_trait]
impl EventBus for Discard {
    async fn publish(&self, _events: &[ProductEvent]) -> Result<(), BusError> {
        Ok(())
    }
}

/// Whether the tenant has never been scored (no summary yet): only then is there history to fill.
pub async fn needed(store: &MemoryStore, tenant_id: &TenantId) -> Result<bool, StoreError> {
    Ok(store.get_summary(tenant_id).await?.is_none())
}

/// Scores each of the `days` days before `now` (at `now`'s time of day) from the tenant's current
/// snapshots as they stood then, and brings what those runs wrote into `store`. `None` when the
/// tenant was scored before or has no clients.
pub async fn backfill(
    store: &MemoryStore,
    tenant_id: &TenantId,
    days: u32,
    now: DateTime<Utc>,
) -> Result<Option<Backfilled>, BackfillError> {
    let started = Instant::now();
    if !needed(store, tenant_id).await? {
        return Ok(None);
    }
    let current: Vec<ClientSnapshot> =
        every_page(|page| async move { store.list_snapshots(tenant_id, &page).await }).await?;
    if current.is_empty() {
        return Ok(None);
    }
    let fork = store.fork()?;
    // What the fork holds for each client, so a day writes only the snapshots that moved.
    let mut held = current.clone();
    for back in (1..=days).rev() {
        let at = now - Duration::days(i64::from(back));
        let then: Vec<ClientSnapshot> = current.iter().map(|s| as_of(s, at)).collect();
        let moved: Vec<ClientSnapshot> = then
            .iter()
            .zip(&held)
            .filter(|(new, old)| new != old)
            .map(|(new, _)| new.clone())
            .collect();
        if !moved.is_empty() {
            fork.store.put_snapshots(tenant_id, &moved).await?;
        }
        held = then;
        handle_tenant_synced(&fork.store, &Discard, &day_synced(tenant_id, at), at).await?;
    }
    // Snapshots and contact links stay as the sync left them: the fork's are made up.
    let rows = store.merge(&fork, |record| {
        matches!(record, Record::Snapshot { .. } | Record::Contact { .. })
    })?;
    Ok(Some(Backfilled {
        days,
        clients: current.len(),
        rows,
        elapsed: started.elapsed(),
    }))
}

/// The event a sync finishing at `at` would have sent.
fn day_synced(tenant_id: &TenantId, at: DateTime<Utc>) -> TenantSynced {
    TenantSynced {
        schema_version: SCHEMA_VERSION,
        tenant_id: tenant_id.clone(),
        sync_id: SyncId::starting_at(at),
        mode: SyncMode::Full,
        started_at: at,
        finished_at: at,
        counts: Default::default(),
        changed_client_ids: Vec::new(),
        changed_clients: 0,
    }
}

#[cfg(test)]
mod tests;
