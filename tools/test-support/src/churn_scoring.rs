//! Scores a [`ChurnWorld`] with the real engine over its year and turns the histories into the
//! outcomes a backtest replays (issue 18).

use crate::churn_world::ChurnWorld;
use shared::domain::{ClientId, ScorePoint, ScoringSettings, TenantId};
use shared::scoring::calibration::{ClientOutcome, LabelledPrediction, ScoreObservation};
use shared::scoring::score_tenant;
use std::collections::HashMap;

/// The tenant the world's clients belong to.
pub const WORLD_TENANT: &str = "churn-world";

/// Scores the world every `every_days` days of its year with [`score_tenant`], each run seeing the
/// histories of the runs before it (for trends and falls from the 30-day peak), as the scheduled
/// scoring would. A client is scored until it churns: once gone, its scores are no predictions.
/// Returns each client's points, in the world's client order and by date.
pub fn score_world(
    world: &ChurnWorld,
    every_days: i64,
    settings: &ScoringSettings,
) -> Vec<Vec<ScorePoint>> {
    let tenant = TenantId::parse(WORLD_TENANT).unwrap_or_else(|e| panic!("tenant id: {e}"));
    let mut histories: HashMap<ClientId, Vec<ScorePoint>> = HashMap::new();
    let mut day = 0;
    while day < world.days {
        let at = world.day(day);
        let snapshots: Vec<_> = world
            .clients
            .iter()
            .filter(|c| c.churned_at.is_none_or(|churn| churn > at))
            .map(|c| c.snapshot_at(at))
            .collect();
        let run = score_tenant(&tenant, &snapshots, &histories, settings, at);
        for score in run.scores {
            histories
                .entry(score.client_id.clone())
                .or_default()
                .push(score.point());
        }
        day += every_days.max(1);
    }
    world
        .clients
        .iter()
        .map(|c| histories.remove(&c.client_id).unwrap_or_default())
        .collect()
}

/// Each client's points against its churn date, as [`calibration::replay`] takes them.
///
/// [`calibration::replay`]: shared::scoring::calibration::replay
pub fn outcomes(world: &ChurnWorld, histories: &[Vec<ScorePoint>]) -> Vec<ClientOutcome> {
    world
        .clients
        .iter()
        .zip(histories)
        .map(|(client, points)| ClientOutcome {
            points: points.iter().map(ScoreObservation::from).collect(),
            churned_at: client.churned_at,
        })
        .collect()
}

/// Predictions of the clients `keep` selects, by their index in the world (the test and the
/// benchmark fit calibration on one half of the clients and judge it on the other).
pub fn of_clients(
    predictions: &[LabelledPrediction],
    keep: impl Fn(usize) -> bool,
) -> Vec<LabelledPrediction> {
    predictions
        .iter()
        .filter(|p| keep(p.client))
        .copied()
        .collect()
}
