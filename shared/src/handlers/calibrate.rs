//! The daily backtest: replays each customer's score history against its outcome, measures how well
//! churn risk predicted it, fits the tenant's calibration when the outcomes allow, and stores both
//! (`OutcomeStore::put_calibration`). Run by the score function once a day per tenant.
//!
//! Histories are read a client at a time and reduced to weekly labelled predictions at once, so
//! memory holds the predictions (some 60 a client for a year of history) and a few histories in
//! flight, never the whole history of a large tenant.

use crate::domain::{ClientId, ClientOutcomeRecord, Tenant, TenantCalibration};
use crate::handlers::score::HISTORY_READS_IN_FLIGHT;
use crate::ports::{OutcomeStore, ScoreStore, StoreError};
use crate::scoring::calibration::{
    assess, replay, ClientOutcome, LabelledPrediction, ReplayOptions, ScoreObservation,
};
use chrono::{DateTime, Duration, Utc};
use futures::{StreamExt, TryStreamExt};

/// Backtests the tenant's customers (the clients with an outcome record) as of `now`, stores the
/// result and returns it.
pub async fn backtest_tenant<S: ScoreStore + OutcomeStore + ?Sized>(
    store: &S,
    tenant: &Tenant,
    outcomes: &[ClientOutcomeRecord],
    now: DateTime<Utc>,
) -> Result<TenantCalibration, StoreError> {
    let definition = &tenant.settings.outcomes;
    let options = ReplayOptions {
        horizon_days: i64::from(definition.horizon_days),
        ..ReplayOptions::default()
    };
    let from = now - Duration::days(i64::from(tenant.settings.history_retention_days));
    // Owned items: the futures must not borrow from the closure's argument (the local runner spawns
    // this handler, which needs its future `Send` for any lifetime).
    let clients: Vec<(usize, ClientId, Option<DateTime<Utc>>)> = outcomes
        .iter()
        .enumerate()
        .map(|(index, o)| (index, o.client_id.clone(), o.churned_at))
        .collect();
    let tenant_id = &tenant.id;
    let per_client: Vec<Vec<LabelledPrediction>> = futures::stream::iter(clients)
        .map(|(index, client_id, churned_at)| async move {
            let history = store.history(tenant_id, &client_id, from, now).await?;
            let client = ClientOutcome {
                points: history.iter().map(ScoreObservation::from).collect(),
                churned_at,
            };
            // One client at a time: its index in the tenant's list, so counts stay per client.
            let predictions: Vec<LabelledPrediction> =
                replay(std::slice::from_ref(&client), now, options)
                    .into_iter()
                    .map(|p| LabelledPrediction { client: index, ..p })
                    .collect();
            Ok::<_, StoreError>(predictions)
        })
        .buffered(HISTORY_READS_IN_FLIGHT)
        .try_collect()
        .await?;
    let predictions: Vec<LabelledPrediction> = per_client.into_iter().flatten().collect();
    let churned_clients = outcomes.iter().filter(|o| o.churned_at.is_some()).count();
    let calibration = assess(
        &predictions,
        outcomes.len(),
        churned_clients,
        definition.horizon_days,
        now,
    );
    store.put_calibration(&tenant.id, &calibration).await?;
    tracing::info!(
        tenant = %tenant.id,
        clients = outcomes.len(),
        churned_clients,
        predictions = predictions.len(),
        auc = ?calibration.heuristic.auc,
        calibrated = calibration.calibration.is_some(),
        "backtested churn risk"
    );
    Ok(calibration)
}
