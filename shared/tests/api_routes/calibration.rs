//! `GET /v1/calibration`: the tenant's backtest and whether churn % is calibrated, per tenant.

use super::*;
use shared::domain::{CalibrationKnot, ChurnCalibration};
use shared::ports::OutcomeStore;
use shared::scoring::calibration::{assess, LabelledPrediction};

#[tokio::test]
async fn calibration_reads_not_computed_then_not_calibrated_then_calibrated() {
    let api = TestApi::new();
    seed(&api).await;
    let a = tenant_id(TENANT_A);
    let before = api.get("/v1/calibration").await.ok();
    assert_eq!(before["status"], "not_computed");
    assert_eq!(before["minimum_outcomes"], 30);
    assert_eq!(before["outcome_definition"]["horizon_days"], 90);
    assert_eq!(before["outcome_definition"]["renewal_lost"], true);
    assert!(before.get("backtest").is_none());

    // Two clients, one churned: measured, not calibrated.
    let prediction = |client: usize, pct: f64, churned: bool| LabelledPrediction {
        client,
        at: now() - Duration::days(120),
        overall: 50,
        predicted_churn_pct: pct,
        churned,
    };
    let few = [prediction(0, 80.0, true), prediction(1, 20.0, false)];
    api.store
        .put_calibration(&a, &assess(&few, 2, 1, 90, now()))
        .await
        .unwrap();
    let measured = api.get("/v1/calibration").await.ok();
    assert_eq!(measured["status"], "not_calibrated");
    assert_eq!(measured["backtest"]["heuristic"]["auc"], 1.0);
    assert_eq!(measured["backtest"]["heuristic"]["predictions"], 2);
    assert!(measured["backtest"]["not_calibrated_because"]
        .as_str()
        .unwrap()
        .contains("not enough outcomes"));

    let mut fitted = assess(&few, 2, 1, 90, now());
    fitted.calibration = Some(
        ChurnCalibration::from_knots(
            vec![CalibrationKnot {
                heuristic_pct: 50.0,
                calibrated_pct: 12.0,
            }],
            30,
            30,
        )
        .unwrap(),
    );
    api.store.put_calibration(&a, &fitted).await.unwrap();
    assert_eq!(
        api.get("/v1/calibration").await.ok()["status"],
        "calibrated"
    );

    // Another tenant sees its own (none).
    api.store.create_tenant(&tenant(TENANT_B)).await.unwrap();
    let other = api
        .call("GET", "/v1/calibration", Some(TENANT_B), None)
        .await
        .ok();
    assert_eq!(other["status"], "not_computed");
}
