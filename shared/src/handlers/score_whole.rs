//! The score run over the whole tenant at once: every snapshot, score, history and insight in
//! memory together. It was the score function's handler until tenants grew to 100,000 clients; it
//! stays as the reference the paged run (`score_pages`) is tested against (same scores, insights and
//! summary) and measured against (`benches/score_run.rs`).

use crate::domain::TrendPoint;
use crate::domain::{ClientId, HealthScore};
use crate::events::{ProductEvent, ScoresUpdated, TenantSynced, SCHEMA_VERSION};
use crate::handlers::correlate::correlate_tenant;
use crate::handlers::score::{
    after_run, all_snapshots, calibrate_with_history, histories, linked_records, score_drops,
    summary_after, ScoreError, ScoreRunStore,
};
use crate::ports::EventBus;
use crate::scoring::outcomes::{merge_outcomes, observe_outcomes};
use crate::scoring::{health_changes, insight_events, reconcile_insights, score_linked_tenant};
use crate::store::every_score;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

/// Scores `event.tenant_id` at `now`, publishes the per-client change events and then
/// `ScoresUpdated`, which it also returns.
pub async fn handle_tenant_synced_whole<S, B>(
    store: &S,
    bus: &B,
    event: &TenantSynced,
    now: DateTime<Utc>,
) -> Result<ScoresUpdated, ScoreError>
where
    S: ScoreRunStore + ?Sized,
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
    let points = calibrate_with_history(
        &mut scored.scores,
        calibration.as_ref().and_then(|c| c.calibration.as_ref()),
        &previous,
        &histories,
        now,
    );
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
    after_run(
        store,
        &tenant,
        &updated,
        gone.len(),
        calibration.as_ref(),
        || merge_outcomes(outcomes, &outcome_changes),
        now,
    )
    .await;
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
