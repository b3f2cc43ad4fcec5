//! Re-weighting a tenant's score history after its weights changed (the tenant's or a segment's), so
//! trends before and after the change compare like with like. Each point is recomputed from the
//! dimension scores it kept (`scoring::reweigh_point`): no past snapshot is read. The walk goes over
//! the tenant's current scores in pages (a client's segment is its current score's), stops before the
//! deadline and hands back its cursor, so a continuation picks up at the next page and the job
//! always progresses. Threshold changes need none of this: thresholds move insights, not the overall.
//!
//! The score function moves the walk on after each of its runs ([`continue_reweigh`]): at most
//! [`REWEIGH_BUDGET`] a run, at least one page, the cursor saved in the tenant's `ReweighState`, so
//! a large tenant's history is re-weighted over a few hourly runs and a newer version restarts it.

use crate::domain::{ReweighState, ScoringSettings, Tenant, TenantId};
use crate::ports::{PageRequest, ScoreQuery, ScoreStore, SettingsHistoryStore, StoreError};
use crate::scoring::reweigh_point;
use chrono::{DateTime, Utc};
use std::time::{Duration, Instant};

/// Clients per page of the walk.
const REWEIGH_PAGE: u32 = 50;
/// Time kept back from the deadline: one page of clients' history reads and writes.
const DEADLINE_RESERVE: Duration = Duration::from_secs(10);

/// How far one invocation got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReweighProgress {
    /// Where the next invocation starts; `None` once the walk is done.
    pub cursor: Option<String>,
    pub done: bool,
    pub clients: u64,
    /// Points whose overall (or recorded settings version) changed and were written again.
    pub points_rewritten: u64,
}

/// Re-weights the history of the tenant's clients from `cursor` on with `settings` (the new
/// version), one page of clients at a time, until the walk ends or `deadline` is near (after at
/// least one page, so each invocation progresses).
pub async fn reweigh_history<S: ScoreStore + ?Sized>(
    store: &S,
    tenant_id: &TenantId,
    settings: &ScoringSettings,
    cursor: Option<String>,
    deadline: Instant,
) -> Result<ReweighProgress, StoreError> {
    let mut progress = ReweighProgress {
        cursor,
        ..ReweighProgress::default()
    };
    // Every point: retention is at most ten years, and none is dated ahead of its scoring. (Keys
    // hold fixed-width times, so the bounds stay in ordinary years.)
    let history_from = DateTime::<Utc>::UNIX_EPOCH;
    let history_to = Utc::now() + chrono::Duration::days(1);
    let mut pages = 0u32;
    loop {
        if pages > 0 && deadline.saturating_duration_since(Instant::now()) < DEADLINE_RESERVE {
            return Ok(progress);
        }
        let page = PageRequest {
            limit: REWEIGH_PAGE,
            cursor: progress.cursor.clone(),
        };
        let scores = store
            .list_scores(tenant_id, &ScoreQuery::default(), &page)
            .await?;
        for score in &scores.items {
            let weights = settings.weights_for(score.segment.as_deref());
            let history = store
                .history(tenant_id, &score.client_id, history_from, history_to)
                .await?;
            let changed: Vec<_> = history
                .iter()
                .map(|p| reweigh_point(p, weights, settings.version))
                .zip(&history)
                .filter(|(new, old)| new != *old)
                .map(|(new, _)| new)
                .collect();
            if !changed.is_empty() {
                store
                    .append_history(tenant_id, &changed, settings.history_retention_days)
                    .await?;
            }
            progress.clients += 1;
            progress.points_rewritten += changed.len() as u64;
        }
        pages += 1;
        progress.cursor = scores.next_cursor;
        if progress.cursor.is_none() {
            progress.done = true;
            return Ok(progress);
        }
    }
}

/// The time one scoring run gives the walk after its own work.
pub const REWEIGH_BUDGET: Duration = Duration::from_secs(30);

/// Moves the re-weighting of the tenant's history to its current settings version on, until
/// `deadline` (after at least one page), and saves how far it got. Nothing to do for settings never
/// changed (version 0) or a walk already done for this version. Returns the saved state, if any.
pub async fn continue_reweigh<S: ScoreStore + SettingsHistoryStore + ?Sized>(
    store: &S,
    tenant: &Tenant,
    now: DateTime<Utc>,
    deadline: Instant,
) -> Result<Option<ReweighState>, StoreError> {
    let target = tenant.settings.version;
    if target == 0 {
        return Ok(None);
    }
    let saved = store
        .get_reweigh_state(&tenant.id)
        .await?
        .filter(|s| s.version == target);
    if saved.as_ref().is_some_and(|s| s.done) {
        return Ok(None);
    }
    // A newer version restarts the walk from the first page.
    let cursor = saved.as_ref().and_then(|s| s.cursor.clone());
    let progress = reweigh_history(store, &tenant.id, &tenant.settings, cursor, deadline).await?;
    let (clients, points) = saved
        .as_ref()
        .map_or((0, 0), |s| (s.clients, s.points_rewritten));
    let state = ReweighState {
        version: target,
        cursor: progress.cursor,
        done: progress.done,
        clients: clients + progress.clients,
        points_rewritten: points + progress.points_rewritten,
        updated_at: now,
    };
    store.put_reweigh_state(&tenant.id, &state).await?;
    tracing::info!(
        tenant = %tenant.id,
        version = target,
        done = state.done,
        clients = state.clients,
        points_rewritten = state.points_rewritten,
        "re-weighted score history"
    );
    Ok(Some(state))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Dimension, DimensionScore, HealthBand, HealthScore, Trend, Weights};
    use crate::ports::ScoreStore;
    use crate::store::MemoryStore;
    use chrono::Duration as Days;

    fn now() -> DateTime<Utc> {
        Utc::now()
    }

    /// A client scored CRM 80 and usage 40 with equal weights, `days_ago`.
    fn score(client: usize, days_ago: i64) -> HealthScore {
        let dimension = |dimension, score| DimensionScore {
            dimension,
            score: Some(score),
            weight: 0.5,
            factors: Vec::new(),
        };
        HealthScore {
            client_id: crate::domain::ClientId::parse(client.to_string()).unwrap(),
            client_name: format!("Client {client}"),
            overall: 60,
            band: HealthBand::Watch,
            churn_risk: 30,
            dimensions: vec![
                dimension(Dimension::Crm, 80),
                dimension(Dimension::Usage, 40),
            ],
            trend: Trend {
                delta_7d: None,
                delta_30d: None,
            },
            scored_at: now() - Days::days(days_ago),
            sources: crate::domain::score::crm_only(),
            segment: None,
            settings_version: 0,
            overrides: Vec::new(),
        }
    }

    #[tokio::test]
    async fn every_client_s_history_is_re_weighted_across_pages_keeping_the_first_overall() {
        let store = MemoryStore::new();
        let tenant = TenantId::parse("acme").unwrap();
        let clients = (REWEIGH_PAGE as usize) + 7;
        let scores: Vec<HealthScore> = (0..clients).map(|c| score(c, 0)).collect();
        store.put_scores(&tenant, &scores).await.unwrap();
        let points: Vec<_> = (0..clients)
            .flat_map(|c| [score(c, 1).point(), score(c, 2).point()])
            .collect();
        store.append_history(&tenant, &points, 400).await.unwrap();
        let settings = ScoringSettings {
            weights: Weights {
                crm: 0.1,
                payment: 0.3,
                usage: 0.3,
                support: 0.3,
            },
            version: 3,
            ..ScoringSettings::default()
        };
        // A deadline already near: one page per invocation, each continuing from the cursor.
        let mut cursor = None;
        let mut invocations = 0;
        let mut rewritten = 0;
        loop {
            let progress = reweigh_history(&store, &tenant, &settings, cursor, Instant::now())
                .await
                .unwrap();
            invocations += 1;
            rewritten += progress.points_rewritten;
            if progress.done {
                break;
            }
            cursor = progress.cursor;
            assert!(
                cursor.is_some(),
                "an unfinished walk hands back where it stopped"
            );
        }
        assert_eq!(invocations, 2);
        assert_eq!(rewritten, 2 * clients as u64);
        let client = crate::domain::ClientId::parse("5").unwrap();
        let history = store
            .history(&tenant, &client, DateTime::<Utc>::UNIX_EPOCH, now())
            .await
            .unwrap();
        assert_eq!(history.len(), 2);
        for point in &history {
            // 80 * 0.25 + 40 * 0.75.
            assert_eq!(point.overall, 50);
            assert_eq!(point.as_scored, Some(60));
            assert_eq!(point.settings_version, 3);
            assert_eq!((point.crm, point.usage), (Some(80), Some(40)));
        }
        // Run again with the same settings: nothing left to rewrite.
        let again = reweigh_history(
            &store,
            &tenant,
            &settings,
            None,
            Instant::now() + Duration::from_secs(60),
        )
        .await
        .unwrap();
        assert!(again.done);
        assert_eq!(again.points_rewritten, 0);
    }
}
