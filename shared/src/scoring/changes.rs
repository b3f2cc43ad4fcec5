//! What a scoring run tells the rest of the product per client: whose health moved
//! (`ClientHealthChanged`) and which insights opened or resolved (`InsightOpened`,
//! `InsightResolved`). Pure: the score handler passes in what it read and computed.
//!
//! A client's first scoring is a baseline, not a change: an install (or a newly synced client)
//! must not alert on every client it scores, nor on every insight those clients open.

use crate::domain::{
    ClientId, ClientSnapshot, Dimension, Factor, FactorMove, HealthLevel, HealthScore,
    InsightFacts, SyncId, TenantId, MAX_MOVED_FACTORS,
};
use crate::events::{ClientHealthChanged, InsightOpened, InsightResolved, SCHEMA_VERSION};
use crate::scoring::InsightChanges;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

/// A factor whose points moved less than this is noise (rounding, a day's decay), not a reason.
pub const MIN_FACTOR_MOVE_POINTS: f64 = 0.5;

/// The insight events of one run, opened then resolved, each in insight id order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InsightEvents {
    pub opened: Vec<InsightOpened>,
    pub resolved: Vec<InsightResolved>,
}

/// One `ClientHealthChanged` per client of `scores` whose overall, band or churn risk differs from
/// its `previous` score, in the order of `scores`. A client without a previous score gets none.
/// `snapshots` give the clients' lifecycle stages.
pub fn health_changes(
    tenant: &TenantId,
    sync_id: &SyncId,
    previous: &HashMap<ClientId, HealthScore>,
    scores: &[HealthScore],
    snapshots: &[ClientSnapshot],
) -> Vec<ClientHealthChanged> {
    let stages = lifecycle_stages(snapshots);
    scores
        .iter()
        .filter_map(|after| {
            let before = previous.get(&after.client_id)?;
            let (was, is) = (level(before), level(after));
            (was != is).then(|| ClientHealthChanged {
                schema_version: SCHEMA_VERSION,
                tenant_id: tenant.clone(),
                sync_id: sync_id.clone(),
                client_id: after.client_id.clone(),
                client_name: after.client_name.clone(),
                lifecycle_stage: stages.get(&after.client_id).cloned(),
                before: was,
                after: is,
                moved_factors: moved_factors(before, after),
                scored_at: after.scored_at,
            })
        })
        .collect()
}

/// The `InsightOpened` and `InsightResolved` events of what `reconcile_insights` decided. An
/// insight of a client without a `previous` score (its first scoring) is part of the baseline and
/// opens silently; every resolved insight is told, a client gone from the CRM's too. `snapshots`
/// give the clients' lifecycle stages (a client gone from the CRM has none).
pub fn insight_events(
    tenant: &TenantId,
    sync_id: &SyncId,
    changes: &InsightChanges,
    previous: &HashMap<ClientId, HealthScore>,
    snapshots: &[ClientSnapshot],
    now: DateTime<Utc>,
) -> InsightEvents {
    let stages = lifecycle_stages(snapshots);
    let written: HashMap<_, _> = changes.to_write.iter().map(|i| (&i.id, i)).collect();
    let facts = |id| {
        let insight = written.get(id)?;
        Some(InsightFacts::of(
            insight,
            stages.get(&insight.client_id).cloned(),
        ))
    };
    InsightEvents {
        opened: changes
            .opened_ids
            .iter()
            .filter_map(facts)
            .filter(|insight| previous.contains_key(&insight.client_id))
            .map(|insight| InsightOpened {
                schema_version: SCHEMA_VERSION,
                tenant_id: tenant.clone(),
                sync_id: sync_id.clone(),
                insight,
                opened_at: now,
            })
            .collect(),
        resolved: changes
            .resolved_ids
            .iter()
            .filter_map(facts)
            .map(|insight| InsightResolved {
                schema_version: SCHEMA_VERSION,
                tenant_id: tenant.clone(),
                sync_id: sync_id.clone(),
                insight,
                resolved_at: now,
            })
            .collect(),
    }
}

fn level(score: &HealthScore) -> HealthLevel {
    HealthLevel {
        overall: score.overall,
        band: score.band,
        churn_risk: score.churn_risk,
    }
}

fn lifecycle_stages(snapshots: &[ClientSnapshot]) -> HashMap<ClientId, String> {
    snapshots
        .iter()
        .filter_map(|s| Some((s.client_id.clone(), s.lifecycle_stage.clone()?)))
        .collect()
}

/// A factor in the earlier score and in the new one (`None` where it is missing).
type FactorPair<'a> = (Option<&'a Factor>, Option<&'a Factor>);

/// The factors (matched by dimension and name, including ones that appeared or left) whose points
/// moved most between `before` and `after`, largest move first, at most `MAX_MOVED_FACTORS`.
/// Equal moves keep dimension, then name order, so the result does not depend on input order.
pub fn moved_factors(before: &HealthScore, after: &HealthScore) -> Vec<FactorMove> {
    let mut pairs: BTreeMap<(Dimension, &str), FactorPair<'_>> = BTreeMap::new();
    for (score, is_after) in [(before, false), (after, true)] {
        for dimension in &score.dimensions {
            for factor in &dimension.factors {
                let pair = pairs
                    .entry((dimension.dimension, factor.name.as_str()))
                    .or_default();
                if is_after {
                    pair.1 = Some(factor);
                } else {
                    pair.0 = Some(factor);
                }
            }
        }
    }
    let mut moves: Vec<(f64, FactorMove)> = pairs
        .into_iter()
        .filter_map(|((dimension, name), (was, is))| {
            let points_before = was.map(|f| f.points);
            let points_after = is.map(|f| f.points);
            let size = (points_after.unwrap_or(0.0) - points_before.unwrap_or(0.0)).abs();
            // The newer factor says why it stands where it does; one that left says why it was there.
            let shown = is.or(was)?;
            (size >= MIN_FACTOR_MOVE_POINTS).then(|| {
                let moved = FactorMove {
                    dimension,
                    name: name.to_owned(),
                    points_before,
                    points_after,
                    explanation: shown.explanation.clone(),
                    source: shown.source,
                };
                (size, moved)
            })
        })
        .collect();
    // Stable: equal sizes keep the map's (dimension, name) order.
    moves.sort_by(|a, b| b.0.total_cmp(&a.0));
    moves
        .into_iter()
        .take(MAX_MOVED_FACTORS)
        .map(|(_, moved)| moved)
        .collect()
}
