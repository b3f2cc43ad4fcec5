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
//! client tenant in well under a second); writes are not, so only changed items are written.

use crate::domain::{
    AccountRecord, ClientId, ClientSnapshot, ConnectionId, Correlation, HealthScore, Insight,
    InsightId, PayerRecord, Platform, ScorePoint, Tenant, TenantCalibration, TenantId,
    TenantSummary, TrendPoint,
};
use crate::events::{ProductEvent, ScoreDrop, ScoresUpdated, TenantSynced, SCHEMA_VERSION};
use crate::handlers::calibrate::backtest_tenant;
use crate::handlers::correlate::correlate_tenant;
use crate::ports::{
    AccountStore, ConnectionStore, CorrelationStore, InsightStore, PayerStore, ScoreStore,
    SnapshotStore, TenantStore,
};
use crate::ports::{BusError, EventBus, StoreError};
use crate::scoring::calibration::calibrate_scores;
use crate::scoring::outcomes::{merge_outcomes, observe_outcomes};
use crate::scoring::{
    health_changes, insight_events, link_records, reconcile_insights, score_linked_tenant,
    LinkedRecords,
};
use crate::store::{every_page, every_score};
use chrono::{DateTime, Duration, Utc};
use futures::{StreamExt, TryStreamExt};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

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

/// Scores `event.tenant_id` at `now`, publishes the per-client change events and then
/// `ScoresUpdated`, which it also returns.
pub async fn handle_tenant_synced<S, B>(
    store: &S,
    bus: &B,
    event: &TenantSynced,
    now: DateTime<Utc>,
) -> Result<ScoresUpdated, ScoreError>
where
    S: TenantStore
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
        + ?Sized,
    B: EventBus + ?Sized,
{
    let (tenant, snapshots, stored_scores) = tokio::try_join!(
        store.get_tenant(&event.tenant_id),
        all_snapshots(store, &event.tenant_id),
        every_score(store, &event.tenant_id),
    )?;
    // Matching first, so a record linked by this run counts in this run's scores.
    correlate_tenant(store, &tenant, &snapshots, now).await?;
    let client_ids: Vec<ClientId> = snapshots.iter().map(|s| s.client_id.clone()).collect();
    let mut previous: HashMap<ClientId, HealthScore> = stored_scores
        .into_iter()
        .map(|s| (s.client_id.clone(), s))
        .collect();
    // Clients with a score but no snapshot left the CRM: their score goes, their insights resolve.
    let current: HashSet<&ClientId> = client_ids.iter().collect();
    let gone: Vec<ClientId> = previous
        .keys()
        .filter(|id| !current.contains(id))
        .cloned()
        .collect();
    for id in &gone {
        previous.remove(id);
    }
    let with_gone: Vec<ClientId> = client_ids.iter().chain(&gone).cloned().collect();
    // What the engine and the reconciliation need besides the snapshots, read side by side.
    let (histories, existing, previous_summary, mut linked, outcomes, calibration, overrides) = tokio::try_join!(
        histories(store, &tenant.id, &client_ids, now),
        store.insights_for_clients(&tenant.id, &with_gone),
        store.get_summary(&tenant.id),
        linked_records(store, &tenant.id, &client_ids),
        store.outcomes(&tenant.id),
        store.get_calibration(&tenant.id),
        store.tenant_overrides(&tenant.id),
    )?;
    // Users' overrides ride with the linked records; the engine keeps those in force at `now`.
    for o in overrides {
        linked
            .entry(o.client_id.clone())
            .or_default()
            .overrides
            .push(o);
    }

    let mut scored = score_linked_tenant(
        &tenant.id,
        &snapshots,
        &linked,
        &histories,
        &tenant.settings,
        now,
    );
    let changes = reconcile_insights(&existing, scored.insights, now);
    let outcome_changes = observe_outcomes(
        &outcomes,
        &snapshots,
        &gone,
        &linked,
        &tenant.settings.outcomes,
        now,
    );
    // The current score shows the calibrated churn % once the tenant has one; history keeps the
    // heuristic's, which is what the backtest replays and calibrates.
    let heuristic_churn: HashMap<ClientId, u8> = scored
        .scores
        .iter()
        .map(|s| (s.client_id.clone(), s.churn_risk))
        .collect();
    calibrate_scores(
        &mut scored.scores,
        calibration.as_ref().and_then(|c| c.calibration.as_ref()),
    );

    let mut points = history_points_due(&scored.scores, &previous, &histories, now);
    for point in &mut points {
        if let Some(heuristic) = heuristic_churn.get(&point.client_id) {
            point.churn_risk = *heuristic;
        }
    }
    let score_drops = score_drops(&tenant, &scored.scores, &previous);
    let health_changed = health_changes(
        &tenant.id,
        &event.sync_id,
        &previous,
        &scored.scores,
        &snapshots,
    );
    let insight_events = insight_events(
        &tenant.id,
        &event.sync_id,
        &changes,
        &previous,
        &snapshots,
        now,
    );

    let mut summary = summary_after(&scored.scores, &existing, &changes.to_write, now);
    // Written whole as the next version, so a status change that read the old one retries on it.
    summary.version = previous_summary.map_or(0, |s| s.version);
    // The day of `now`, not of the wall clock: a backfill scoring past days writes their points.
    let trend_point = TrendPoint::of(&summary);

    // Each write is idempotent, so a retry after a partial failure converges.
    let retention = tenant.settings.history_retention_days;
    let (_, _, insights_report, _, _, _, _) = tokio::try_join!(
        store.put_scores(&tenant.id, &scored.scores),
        store.append_history(&tenant.id, &points, retention),
        store.put_insights(&tenant.id, &changes.to_write),
        store.put_summary(&tenant.id, &summary, false),
        store.put_trend_point(&tenant.id, &trend_point, retention),
        store.delete_scores(&tenant.id, &gone),
        store.put_outcomes(&tenant.id, &outcome_changes),
    )?;

    let updated = ScoresUpdated {
        schema_version: SCHEMA_VERSION,
        tenant_id: tenant.id.clone(),
        sync_id: event.sync_id.clone(),
        clients_scored: scored.scores.len() as u64,
        insights_opened: changes.opened,
        insights_resolved: changes.resolved,
        score_drops,
    };
    let (health_changed_count, opened_count, resolved_count) = (
        health_changed.len(),
        insight_events.opened.len(),
        insight_events.resolved.len(),
    );
    // One publish, after the writes: the change events first and `ScoresUpdated` last, so a
    // consumer of `ScoresUpdated` (the write-back) reads a finished run. The bus adapter batches
    // (10 a call, in order) and retries refused entries. An error left after its retries fails the
    // invocation and EventBridge retries it, but the writes landed: the retry sees no change and
    // sends `ScoresUpdated` alone, so a change event is sent at most once.
    let events: Vec<ProductEvent> = health_changed
        .into_iter()
        .map(ProductEvent::ClientHealthChanged)
        .chain(
            insight_events
                .opened
                .into_iter()
                .map(ProductEvent::InsightOpened),
        )
        .chain(
            insight_events
                .resolved
                .into_iter()
                .map(ProductEvent::InsightResolved),
        )
        .chain([ProductEvent::ScoresUpdated(updated.clone())])
        .collect();
    bus.publish(&events).await?;
    let run = crate::domain::AuditChange::new(
        "scoring_run.finished",
        crate::domain::AuditEntityKind::ScoringRun,
        &event.sync_id,
    )
    .detail(serde_json::json!({
        "clients_scored": updated.clients_scored,
        "clients_gone": gone.len(),
        "insights_opened": updated.insights_opened,
        "insights_resolved": updated.insights_resolved,
        "score_drops": updated.score_drops.len(),
    }));
    if let Err(error) = crate::handlers::audit::record_system(store, &tenant.id, run, now).await {
        // The run's writes and events are out: a retry would only repeat them.
        tracing::error!(%error, tenant = %tenant.id, "could not record the scoring run in the audit trail");
    }
    if TenantCalibration::is_due(calibration.as_ref(), now) {
        let customers = merge_outcomes(outcomes, &outcome_changes);
        // The scores are out; a failed backtest keeps yesterday's calibration and is tried again
        // by the next run, so it does not fail this one.
        if let Err(error) = backtest_tenant(store, &tenant, &customers, now).await {
            tracing::error!(%error, tenant = %tenant.id, "could not backtest churn risk");
        }
    }
    // History follows changed weights a bounded slice a run, so trends compare like with like.
    let deadline = std::time::Instant::now() + crate::handlers::reweigh::REWEIGH_BUDGET;
    if let Err(error) =
        crate::handlers::reweigh::continue_reweigh(store, &tenant, now, deadline).await
    {
        tracing::error!(%error, tenant = %tenant.id, "could not re-weight score history");
    }
    tracing::info!(
        tenant = %tenant.id,
        sync_id = %event.sync_id,
        clients = updated.clients_scored,
        history_points = points.len(),
        clients_gone = gone.len(),
        clients_linked = linked.len(),
        insights_written = insights_report.items_written,
        // Changed by a user while this run scored; the next run sees their change.
        insights_left_to_users = insights_report.items_stale,
        opened = updated.insights_opened,
        resolved = updated.insights_resolved,
        drops = updated.score_drops.len(),
        events_health_changed = health_changed_count,
        events_insight_opened = opened_count,
        events_insight_resolved = resolved_count,
        "scored tenant"
    );
    Ok(updated)
}

/// The summary of the scores just computed and of the insights as they are once `written` lands.
fn summary_after(
    scores: &[HealthScore],
    existing: &[Insight],
    written: &[Insight],
    now: DateTime<Utc>,
) -> TenantSummary {
    let mut insights: HashMap<&InsightId, &Insight> = existing.iter().map(|i| (&i.id, i)).collect();
    insights.extend(written.iter().map(|i| (&i.id, i)));
    TenantSummary::of(scores, insights.into_values(), now)
}

async fn all_snapshots<S: SnapshotStore + ?Sized>(
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

async fn histories<S: ScoreStore + ?Sized>(
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

/// A point for every client whose score changed, and for the others once their latest point is old.
fn history_points_due(
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

fn score_drops(
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
