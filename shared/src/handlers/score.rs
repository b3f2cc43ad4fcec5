//! The score function: on `TenantSynced`, scores every client of the tenant, writes what changed
//! (scores, history, insights), resolves insights whose rule no longer holds, rewrites the tenant
//! summary the overview reads, and emits what changed per client (`ClientHealthChanged`,
//! `InsightOpened`, `InsightResolved`) followed by `ScoresUpdated`.
//!
//! A client linked to payer or account records (auto or confirmed correlations) is scored with them
//! beside its snapshot: the correlations of the tenant's clients are read with the other inputs,
//! then only the linked records, in batches per connection.
//!
//! Every client is scored, not only those the sync changed: recency decays with time, so a client
//! nobody touched can cross the 30-day inactivity line between two syncs. Scoring is cheap (a 10,000-
//! client tenant in well under a second); writes are not, so only changed items are written. Clients
//! are scored a page at a time (`score_pages`), so a tenant of 100,000 fits the function's memory;
//! `score_whole` keeps the whole-tenant run it replaced, for comparison.

use crate::domain::{
    AccountRecord, ClientId, ClientOutcomeRecord, ClientSnapshot, ConnectionId, Correlation,
    HealthScore, Insight, InsightId, InsightStatus, PayerRecord, Platform, ScorePoint, Tenant,
    TenantCalibration, TenantId, TenantSummary,
};
use crate::events::{ScoreDrop, ScoresUpdated, TenantSynced};
use crate::handlers::calibrate::backtest_tenant;
use crate::ports::{
    AccountStore, ConnectionStore, CorrelationStore, InsightStore, PayerStore, ScoreStore,
    SnapshotStore, TenantStore,
};
use crate::ports::{BusError, EventBus, StoreError};
use crate::scoring::{link_records, LinkedRecords};
use crate::store::every_page;
use chrono::{DateTime, Duration, Utc};
use futures::{StreamExt, TryStreamExt};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// History reads run this many at once: enough to hide DynamoDB latency, few enough not to throttle.
pub(crate) const HISTORY_READS_IN_FLIGHT: usize = 16;
/// A client whose score did not change still gets a history point this often, so trends have data.
const HISTORY_POINT_EVERY: Duration = Duration::hours(20);
/// The forecast's trend reads 90 days (`scoring::forecast::TREND_WINDOW_DAYS`); trends look back 30
/// days, and a day more lets the engine find the point nearest 30 days ago. (About 110 points a
/// client at most: one a run when the score moves, else one every 20 hours.)
const HISTORY_LOOKBACK: Duration = Duration::days(crate::scoring::forecast::TREND_WINDOW_DAYS + 1);
/// Linked records are read in batches of this many ids per request, a few batches at once.
const LINKED_BATCH: usize = 100;
const LINKED_READS_IN_FLIGHT: usize = 4;
/// Clients scored per page: a page's snapshots, histories (about 110 points a client), insights and
/// linked records are held at once, a few MB at 1,000.
pub const SCORE_PAGE: usize = 1_000;

#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("event bus: {0}")]
    Bus(#[from] BusError),
}

impl ScoreError {
    /// Whether EventBridge should retry the event (vs sending it to the dead-letter queue).
    pub fn is_retryable(&self) -> bool {
        match self {
            ScoreError::Store(e) => e.is_retryable(),
            ScoreError::Bus(e) => e.is_retryable(),
        }
    }
}

/// Everything the score run reads and writes.
pub trait ScoreRunStore:
    TenantStore
    + SnapshotStore
    + ScoreStore
    + InsightStore
    + ConnectionStore
    + CorrelationStore
    + PayerStore
    + AccountStore
    + crate::ports::AuditStore
    + crate::ports::OutcomeStore
    + crate::ports::SettingsHistoryStore
    + crate::ports::OverrideStore
{
}

impl<T> ScoreRunStore for T where
    T: TenantStore
        + SnapshotStore
        + ScoreStore
        + InsightStore
        + ConnectionStore
        + CorrelationStore
        + PayerStore
        + AccountStore
        + crate::ports::AuditStore
        + crate::ports::OutcomeStore
        + crate::ports::SettingsHistoryStore
        + crate::ports::OverrideStore
        + ?Sized
{
}

/// Scores `event.tenant_id` at `now`, publishes the per-client change events and then
/// `ScoresUpdated`, which it also returns. Clients are scored [`SCORE_PAGE`] at a time
/// (`score_pages`), so memory stays bounded however large the tenant.
pub async fn handle_tenant_synced<S, B>(
    store: &S,
    bus: &B,
    event: &TenantSynced,
    now: DateTime<Utc>,
) -> Result<ScoresUpdated, ScoreError>
where
    S: ScoreRunStore + ?Sized,
    B: EventBus + ?Sized,
{
    crate::handlers::score_pages::score_in_pages(store, bus, event, now, SCORE_PAGE).await
}

/// Open insights a run moves into the triage index (one conditional write each): a tenant with
/// 50,000 from before the index is done in 25 runs, a day of hourly syncs.
pub const REINDEX_PER_RUN: u32 = 2_000;

/// What happens after a run's scores and events are out: its audit entry, the daily backtest when
/// due, a slice of history re-weighting. None fails the run: each is tried again by the next one.
pub(crate) async fn after_run<S: ScoreRunStore + ?Sized>(
    store: &S,
    tenant: &Tenant,
    updated: &ScoresUpdated,
    clients_gone: usize,
    calibration: Option<&TenantCalibration>,
    customers: impl FnOnce() -> Vec<ClientOutcomeRecord>,
    now: DateTime<Utc>,
) {
    let run = crate::domain::AuditChange::new(
        "scoring_run.finished",
        crate::domain::AuditEntityKind::ScoringRun,
        &updated.sync_id,
    )
    .detail(serde_json::json!({
        "clients_scored": updated.clients_scored,
        "clients_gone": clients_gone,
        "insights_opened": updated.insights_opened,
        "insights_resolved": updated.insights_resolved,
        "score_drops": updated.score_drops.len(),
    }));
    if let Err(error) = crate::handlers::audit::record_system(store, &tenant.id, run, now).await {
        // The run's writes and events are out: a retry would only repeat them.
        tracing::error!(%error, tenant = %tenant.id, "could not record the scoring run in the audit trail");
    }
    if TenantCalibration::is_due(calibration, now) {
        // The scores are out; a failed backtest keeps yesterday's calibration and is tried again
        // by the next run, so it does not fail this one.
        if let Err(error) = backtest_tenant(store, tenant, &customers(), now).await {
            tracing::error!(%error, tenant = %tenant.id, "could not backtest churn risk");
        }
    }
    // Open insights stored before the triage index move into it a bounded number a run; until
    // none is left the open list is read whole (correct, only slower).
    match store
        .reindex_insights(&tenant.id, InsightStatus::Open, REINDEX_PER_RUN)
        .await
    {
        Ok(0) => {}
        Ok(moved) => {
            tracing::info!(moved, tenant = %tenant.id, "open insights moved into the triage index")
        }
        Err(error) => {
            tracing::error!(%error, tenant = %tenant.id, "could not move insights into the triage index")
        }
    }
    // History follows changed weights a bounded slice a run, so trends compare like with like.
    let deadline = std::time::Instant::now() + crate::handlers::reweigh::REWEIGH_BUDGET;
    if let Err(error) =
        crate::handlers::reweigh::continue_reweigh(store, tenant, now, deadline).await
    {
        tracing::error!(%error, tenant = %tenant.id, "could not re-weight score history");
    }
}

/// The summary of the scores just computed and of the insights as they are once `written` lands.
pub(crate) fn summary_after(
    scores: &[HealthScore],
    existing: &[Insight],
    written: &[Insight],
    now: DateTime<Utc>,
) -> TenantSummary {
    let mut insights: HashMap<&InsightId, &Insight> = existing.iter().map(|i| (&i.id, i)).collect();
    insights.extend(written.iter().map(|i| (&i.id, i)));
    TenantSummary::of(scores, insights.into_values(), now)
}

pub(crate) async fn all_snapshots<S: SnapshotStore + ?Sized>(
    store: &S,
    tenant: &TenantId,
) -> Result<Vec<ClientSnapshot>, StoreError> {
    every_page(|page| async move { store.list_snapshots(tenant, &page).await }).await
}

/// The kind of record a correlation of `platform` points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum RecordKind {
    Payer,
    Account,
}

impl RecordKind {
    fn of(platform: Platform) -> Option<RecordKind> {
        match platform {
            Platform::Hubspot => None,
            Platform::Paypal => Some(RecordKind::Payer),
            Platform::Ninjaone | Platform::Pax8 | Platform::M365 => Some(RecordKind::Account),
        }
    }
}

/// The records one batch read.
enum LinkedBatch {
    Payers(Vec<PayerRecord>),
    Accounts(Vec<AccountRecord>),
}

/// The records linked to each client through its auto or confirmed correlations. Only the records
/// the correlations name are read, per connection, in batches.
pub async fn linked_records<S: CorrelationStore + PayerStore + AccountStore + ?Sized>(
    store: &S,
    tenant: &TenantId,
    clients: &[ClientId],
) -> Result<HashMap<ClientId, LinkedRecords>, StoreError> {
    let correlations: Vec<Correlation> = store
        .correlations_for_clients(tenant, clients)
        .await?
        .into_iter()
        .filter(|c| c.status.is_linked())
        .collect();
    if correlations.is_empty() {
        return Ok(HashMap::new());
    }
    // The linked external ids of each connection, each once, in a stable order.
    let mut wanted: BTreeMap<(RecordKind, &ConnectionId), BTreeSet<&str>> = BTreeMap::new();
    for correlation in &correlations {
        let Some(kind) = RecordKind::of(correlation.platform) else {
            continue;
        };
        wanted
            .entry((kind, &correlation.connection_id))
            .or_default()
            .insert(correlation.external_id.as_str());
    }
    // Owned batches: the futures below must not borrow from a closure argument (they run inside
    // spawned tasks, which need them to be `Send` for any lifetime).
    let batches: Vec<(RecordKind, ConnectionId, Vec<String>)> = wanted
        .into_iter()
        .flat_map(|((kind, connection), ids)| {
            let ids: Vec<String> = ids.into_iter().map(str::to_owned).collect();
            ids.chunks(LINKED_BATCH)
                .map(|chunk| (kind, connection.clone(), chunk.to_vec()))
                .collect::<Vec<_>>()
        })
        .collect();
    let read: Vec<LinkedBatch> = futures::stream::iter(batches)
        .map(|(kind, connection, ids)| async move {
            Ok::<_, StoreError>(match kind {
                RecordKind::Payer => {
                    LinkedBatch::Payers(store.get_payers(tenant, &connection, &ids).await?)
                }
                RecordKind::Account => {
                    LinkedBatch::Accounts(store.get_accounts(tenant, &connection, &ids).await?)
                }
            })
        })
        .buffer_unordered(LINKED_READS_IN_FLIGHT)
        .try_collect()
        .await?;
    let (mut payers, mut accounts) = (Vec::new(), Vec::new());
    for batch in read {
        match batch {
            LinkedBatch::Payers(read) => payers.extend(read),
            LinkedBatch::Accounts(read) => accounts.extend(read),
        }
    }
    Ok(link_records(&correlations, &payers, &accounts))
}

pub(crate) async fn histories<S: ScoreStore + ?Sized>(
    store: &S,
    tenant: &TenantId,
    clients: &[ClientId],
    now: DateTime<Utc>,
) -> Result<HashMap<ClientId, Vec<ScorePoint>>, StoreError> {
    futures::stream::iter(clients.iter().cloned())
        .map(|client| async move {
            let points = store
                .history(tenant, &client, now - HISTORY_LOOKBACK, now)
                .await?;
            Ok::<_, StoreError>((client, points))
        })
        .buffer_unordered(HISTORY_READS_IN_FLIGHT)
        .try_collect()
        .await
}

/// Shows the tenant's calibrated churn % on the current `scores` (once it has a calibration) and
/// returns the history points due, which keep the heuristic's: that is what the backtest replays and
/// calibrates, so the fit is never fitted to itself.
pub(crate) fn calibrate_with_history(
    scores: &mut [HealthScore],
    calibration: Option<&crate::domain::calibration::ChurnCalibration>,
    previous: &HashMap<ClientId, HealthScore>,
    histories: &HashMap<ClientId, Vec<ScorePoint>>,
    now: DateTime<Utc>,
) -> Vec<ScorePoint> {
    let heuristic_churn: HashMap<ClientId, u8> = scores
        .iter()
        .map(|s| (s.client_id.clone(), s.churn_risk))
        .collect();
    crate::scoring::calibration::calibrate_scores(scores, calibration);
    let mut points = history_points_due(scores, previous, histories, now);
    for point in &mut points {
        if let Some(heuristic) = heuristic_churn.get(&point.client_id) {
            point.churn_risk = *heuristic;
        }
    }
    points
}

/// A point for every client whose score changed, and for the others once their latest point is old.
pub(crate) fn history_points_due(
    scores: &[HealthScore],
    previous: &HashMap<ClientId, HealthScore>,
    histories: &HashMap<ClientId, Vec<ScorePoint>>,
    now: DateTime<Utc>,
) -> Vec<ScorePoint> {
    scores
        .iter()
        .filter(|score| {
            let changed = previous
                .get(&score.client_id)
                .is_none_or(|p| p.overall != score.overall || p.churn_risk != score.churn_risk);
            let latest = histories
                .get(&score.client_id)
                .and_then(|h| h.iter().map(|p| p.at).max());
            changed || latest.is_none_or(|at| now - at >= HISTORY_POINT_EVERY)
        })
        .map(HealthScore::point)
        .collect()
}

pub(crate) fn score_drops(
    tenant: &Tenant,
    scores: &[HealthScore],
    previous: &HashMap<ClientId, HealthScore>,
) -> Vec<ScoreDrop> {
    let threshold = tenant.settings.thresholds.score_drop_points;
    scores
        .iter()
        .filter_map(|score| {
            let before = previous.get(&score.client_id)?;
            (before.overall >= score.overall.saturating_add(threshold)).then(|| ScoreDrop {
                client_id: score.client_id.clone(),
                previous: before.overall,
                current: score.overall,
            })
        })
        .collect()
}
