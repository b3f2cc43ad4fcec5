//! The conformance case of client outcomes and the tenant's calibration (run against both adapters
//! by the `conformance!` list of `store_conformance.rs`).

use super::*;
use shared::domain::{
    BacktestReport, CalibrationKnot, ChurnCalibration, ChurnReason, ClientOutcomeRecord,
    TenantCalibration,
};

fn outcome(client: usize, churned: bool) -> ClientOutcomeRecord {
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
    ClientOutcomeRecord {
        client_id: cid(client),
        customer_since: Some(at - Duration::days(200)),
        stage_was_customer: true,
        churned_at: churned.then_some(at),
        reason: churned.then_some(ChurnReason::RenewalLost),
        recorded_at: at,
    }
}

pub(super) async fn outcomes_and_calibration_round_trip_per_tenant<S: Store>(store: &S) {
    let (acme, globex) = (&tid("acme"), &tid("globex"));
    assert!(store.outcomes(acme).await.unwrap().is_empty());
    assert_eq!(store.get_calibration(acme).await.unwrap(), None);

    let records = vec![outcome(2, true), outcome(1, false)];
    store.put_outcomes(acme, &records).await.unwrap();
    store
        .put_outcomes(globex, &[outcome(9, false)])
        .await
        .unwrap();
    let read = store.outcomes(acme).await.unwrap();
    assert_eq!(
        read,
        vec![records[1].clone(), records[0].clone()],
        "by client id"
    );

    // A changed record replaces the stored one.
    let mut churned = records[1].clone();
    churned.churned_at = Some(churned.recorded_at);
    churned.reason = Some(ChurnReason::Archived);
    store.put_outcomes(acme, &[churned.clone()]).await.unwrap();
    assert_eq!(store.outcomes(acme).await.unwrap()[0], churned);

    let report = BacktestReport::of(&[]);
    let calibration = TenantCalibration {
        computed_at: Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap(),
        horizon_days: 90,
        clients: 2,
        churned_clients: 1,
        heuristic: report.clone(),
        calibrated: Some(report),
        calibration: Some(
            ChurnCalibration::from_knots(
                vec![
                    CalibrationKnot {
                        heuristic_pct: 10.0,
                        calibrated_pct: 2.5,
                    },
                    CalibrationKnot {
                        heuristic_pct: 80.0,
                        calibrated_pct: 41.0,
                    },
                ],
                31,
                40,
            )
            .unwrap(),
        ),
        not_calibrated_because: None,
    };
    store.put_calibration(acme, &calibration).await.unwrap();
    assert_eq!(
        store.get_calibration(acme).await.unwrap(),
        Some(calibration)
    );
    assert_eq!(store.get_calibration(globex).await.unwrap(), None);
}
