//! Issue 18 in the score run: what it learns of each client's fate (outcomes), the daily backtest,
//! a stored calibration setting current churn % while history keeps the heuristic's, and the
//! forecast insight.

use super::*;
use scoring_support::point;
use shared::domain::{
    CalibrationKnot, ChurnCalibration, ChurnReason, HealthScore, ScorePoint, TenantCalibration,
};
use shared::ports::OutcomeStore;

/// A customer whose renewal was lost 10 days ago, after a deal won 400 days ago.
fn lost_renewal(name: &str) -> ClientSnapshot {
    client(name)
        .contacts(1)
        .won_deal(Some(12_000.0), 400.0)
        .lost_deal(10.0)
        .last_contacted(12.0)
        .build()
}

async fn scores(store: &MemoryStore) -> Vec<HealthScore> {
    let mut scores = shared::store::every_score(store, &tenant()).await.unwrap();
    scores.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    scores
}

#[tokio::test]
async fn a_run_records_customers_and_churns_and_backtests_once_a_day() {
    let store = tenant_with(&[busy("busy"), lost_renewal("lost")]).await;
    let bus = InProcessBus::new();
    handle_tenant_synced(&store, &bus, &synced(), now())
        .await
        .unwrap();

    let outcomes = store.outcomes(&tenant()).await.unwrap();
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    let busy = outcomes.iter().find(|o| o.client_id == id("busy")).unwrap();
    assert_eq!(busy.customer_since, Some(now()));
    assert_eq!(busy.churned_at, None);
    let lost = outcomes.iter().find(|o| o.client_id == id("lost")).unwrap();
    assert_eq!(lost.reason, Some(ChurnReason::RenewalLost));
    assert_eq!(lost.churned_at, Some(days_ago(10.0)));

    let first = store.get_calibration(&tenant()).await.unwrap().unwrap();
    assert_eq!(first.computed_at, now());
    assert_eq!((first.clients, first.churned_clients), (2, 1));
    assert!(first.calibration.is_none());
    assert!(first
        .not_calibrated_because
        .as_deref()
        .is_some_and(|why| why.contains("30 of each needed")));

    // Within the day: no new backtest. A day later: a new one.
    let later = now() + Duration::hours(3);
    handle_tenant_synced(&store, &bus, &synced(), later)
        .await
        .unwrap();
    let same = store.get_calibration(&tenant()).await.unwrap().unwrap();
    assert_eq!(same.computed_at, now());
    let next_day = now() + Duration::hours(25);
    handle_tenant_synced(&store, &bus, &synced(), next_day)
        .await
        .unwrap();
    let next = store.get_calibration(&tenant()).await.unwrap().unwrap();
    assert_eq!(next.computed_at, next_day);
}

#[tokio::test]
async fn a_stored_calibration_sets_current_churn_while_history_keeps_the_heuristic() {
    let snapshots = [busy("busy"), dormant("dormant")];
    let plain = tenant_with(&snapshots).await;
    handle_tenant_synced(&plain, &InProcessBus::new(), &synced(), now())
        .await
        .unwrap();
    let heuristic: Vec<u8> = scores(&plain).await.iter().map(|s| s.churn_risk).collect();
    assert!(heuristic.iter().all(|c| *c != 77), "{heuristic:?}");

    let store = tenant_with(&snapshots).await;
    let flat = ChurnCalibration::from_knots(
        vec![
            CalibrationKnot {
                heuristic_pct: 0.0,
                calibrated_pct: 77.0,
            },
            CalibrationKnot {
                heuristic_pct: 100.0,
                calibrated_pct: 77.0,
            },
        ],
        30,
        30,
    )
    .unwrap();
    let mut calibration = shared::scoring::calibration::assess(&[], 60, 30, 90, now());
    calibration.calibration = Some(flat);
    store
        .put_calibration(&tenant(), &calibration)
        .await
        .unwrap();
    handle_tenant_synced(&store, &InProcessBus::new(), &synced(), now())
        .await
        .unwrap();

    let calibrated = scores(&store).await;
    assert!(
        calibrated.iter().all(|s| s.churn_risk == 77),
        "{calibrated:?}"
    );
    for (score, heuristic) in calibrated.iter().zip(&heuristic) {
        let history = store
            .history(&tenant(), &score.client_id, now(), now())
            .await
            .unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(
            history[0].churn_risk, *heuristic,
            "history keeps the heuristic"
        );
    }
    // The stored calibration was not due for a new backtest, so it is the one that applied.
    let kept: TenantCalibration = store.get_calibration(&tenant()).await.unwrap().unwrap();
    assert!(kept.calibration.is_some());
}

#[tokio::test]
async fn a_client_heading_down_fast_gets_the_forecast_insight() {
    let store = tenant_with(&[busy("busy"), busy("steady")]).await;
    // Two weeks falling from 100 to about 60 for one client; flat at its level for the other.
    let falling: Vec<ScorePoint> = (1..=15)
        .map(|day| point("busy", f64::from(day), (57 + 3 * day) as u8))
        .collect();
    let flat: Vec<ScorePoint> = (1..=15)
        .map(|day| point("steady", f64::from(day), 80))
        .collect();
    store
        .append_history(&tenant(), &[falling, flat].concat(), 400)
        .await
        .unwrap();
    handle_tenant_synced(&store, &InProcessBus::new(), &synced(), now())
        .await
        .unwrap();

    let open = |client: &'static str| {
        let store = &store;
        async move {
            store
                .insights_for_clients(&tenant(), &[id(client)])
                .await
                .unwrap()
                .into_iter()
                .filter(|i| i.rule == InsightRule::ProjectedAtRisk)
                .collect::<Vec<_>>()
        }
    };
    let busy_score = scores(&store).await[0].overall;
    assert!(
        busy_score >= 50,
        "the fixture must not be at risk already: {busy_score}"
    );
    let projected = open("busy").await;
    assert_eq!(projected.len(), 1, "{projected:?}");
    assert!(projected[0].confidence >= 50);
    assert!(projected[0]
        .evidence
        .iter()
        .any(|e| e.name == "projected_overall" && e.value < 50.0));
    assert!(open("steady").await.is_empty());
}

#[tokio::test]
async fn changed_weights_reweigh_the_history_after_the_next_run() {
    use shared::domain::Weights;
    use shared::ports::SettingsHistoryStore;
    let store = tenant_with(&[busy("busy"), dormant("dormant")]).await;
    let bus = InProcessBus::new();
    let yesterday = now() - Duration::days(1);
    handle_tenant_synced(&store, &bus, &synced(), yesterday)
        .await
        .unwrap();
    let before = store
        .history(&tenant(), &id("busy"), yesterday, yesterday)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        store.get_reweigh_state(&tenant()).await.unwrap(),
        None,
        "settings never changed: nothing to re-weight"
    );

    let mut changed = store.get_tenant(&tenant()).await.unwrap();
    let weights = Weights {
        crm: 0.7,
        payment: 0.1,
        usage: 0.1,
        support: 0.1,
    };
    changed.settings.weights = weights;
    changed.settings.version = 1;
    store.update_tenant(&changed).await.unwrap();
    handle_tenant_synced(&store, &bus, &synced(), now())
        .await
        .unwrap();

    let state = store.get_reweigh_state(&tenant()).await.unwrap().unwrap();
    assert!(state.done);
    assert_eq!((state.version, state.clients), (1, 2));
    let after = store
        .history(&tenant(), &id("busy"), yesterday, yesterday)
        .await
        .unwrap()
        .remove(0);
    let expected = shared::scoring::reweigh_point(&before, &weights, 1);
    assert_eq!(after.overall, expected.overall);
    assert_eq!(after.settings_version, 1);
    assert_eq!(after.as_scored.unwrap_or(after.overall), before.overall);

    // Done for this version: the next run leaves the state alone.
    handle_tenant_synced(&store, &bus, &synced(), now() + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(
        store
            .get_reweigh_state(&tenant())
            .await
            .unwrap()
            .unwrap()
            .updated_at,
        now()
    );
}
