//! Unit and property tests of the backtest replay, its metrics and the isotonic calibration.

use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

const EPS: f64 = 1e-9;

fn day(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap() + Duration::days(n)
}

fn observation(at: DateTime<Utc>, overall: u8, churn_risk: u8) -> ScoreObservation {
    ScoreObservation {
        at,
        overall,
        churn_risk,
    }
}

fn every_point(horizon_days: i64) -> ReplayOptions {
    ReplayOptions {
        horizon_days,
        sample_every_days: 0,
    }
}

/// `(predicted %, churned)` pairs as predictions, each of its own client.
fn predictions(pairs: &[(f64, bool)]) -> Vec<LabelledPrediction> {
    pairs
        .iter()
        .enumerate()
        .map(|(client, &(pct, churned))| LabelledPrediction {
            client,
            at: day(0),
            overall: 50,
            predicted_churn_pct: pct,
            churned,
        })
        .collect()
}

/// AUC by counting every positive-negative pair: 1 when the positive scores higher, half on a tie.
fn brute_force_auc(scored: &[(f64, bool)]) -> Option<f64> {
    let mut wins = 0.0;
    let mut pairs = 0.0;
    for (p, _) in scored.iter().filter(|s| s.1) {
        for (n, _) in scored.iter().filter(|s| !s.1) {
            pairs += 1.0;
            wins += match p.total_cmp(n) {
                Ordering::Greater => 1.0,
                Ordering::Equal => 0.5,
                Ordering::Less => 0.0,
            };
        }
    }
    (pairs > 0.0).then(|| wins / pairs)
}

#[test]
fn replay_labels_by_churn_within_the_horizon() {
    // Given a client that churned on day 200, scored 91 and 89 days before, on the day and after;
    // and a retained client scored 91 and 89 days before as_of.
    let churn = day(200);
    let as_of = day(300);
    let churned = ClientOutcome {
        points: vec![
            observation(churn - Duration::days(91), 60, 20),
            observation(churn - Duration::days(89), 40, 60),
            observation(churn - Duration::days(90), 50, 40),
            observation(churn, 10, 90),
            observation(churn + Duration::days(1), 5, 95),
        ],
        churned_at: Some(churn),
    };
    let retained = ClientOutcome {
        points: vec![
            observation(as_of - Duration::days(91), 80, 10),
            observation(as_of - Duration::days(89), 80, 10),
        ],
        churned_at: None,
    };
    // When replayed
    let labelled = replay(&[churned, retained], as_of, every_point(90));
    // Then 89 and 90 days before the churn (the horizon's end is in) are positive, 91 days before
    // negative, in date order whatever the input order; the points from the churn on are dropped,
    // and so is the retained client's point whose horizon is not over.
    let got: Vec<(usize, DateTime<Utc>, bool)> = labelled
        .iter()
        .map(|p| (p.client, p.at, p.churned))
        .collect();
    assert_eq!(
        got,
        vec![
            (0, churn - Duration::days(91), false),
            (0, churn - Duration::days(90), true),
            (0, churn - Duration::days(89), true),
            (1, as_of - Duration::days(91), false),
        ]
    );
    assert!((labelled[2].predicted_churn_pct - 60.0).abs() < EPS);
    assert_eq!(labelled[2].overall, 40);
}

#[test]
fn replay_ignores_a_churn_after_as_of_and_points_after_it() {
    let as_of = day(200);
    let client = ClientOutcome {
        points: vec![
            observation(day(100), 50, 50), // horizon ends day 190: observed, no known churn
            observation(day(150), 50, 50), // horizon not over, churn not known yet
            observation(day(210), 50, 50), // after as_of
        ],
        churned_at: Some(day(220)),
    };
    let labelled = replay(&[client], as_of, every_point(90));
    assert_eq!(labelled.len(), 1);
    assert_eq!(labelled[0].at, day(100));
    assert!(!labelled[0].churned);
}

#[test]
fn a_churn_before_the_horizon_ends_labels_a_point_positive() {
    // The horizon of a day-150 point is not over at as_of (day 200), but the client churned on
    // day 190: the outcome is known.
    let client = ClientOutcome {
        points: vec![observation(day(150), 30, 70)],
        churned_at: Some(day(190)),
    };
    let labelled = replay(&[client], day(200), every_point(90));
    assert_eq!(labelled.len(), 1);
    assert!(labelled[0].churned);
}

#[test]
fn replay_keeps_one_point_per_client_per_sampling_period() {
    // Daily points over 60 days, given out of order, whose horizons are all over.
    let points: Vec<ScoreObservation> =
        (0..60).rev().map(|d| observation(day(d), 70, 20)).collect();
    let client = ClientOutcome {
        points,
        churned_at: None,
    };
    let options = ReplayOptions {
        horizon_days: 90,
        sample_every_days: 7,
    };
    let labelled = replay(std::slice::from_ref(&client), day(200), options);
    let kept: Vec<DateTime<Utc>> = labelled.iter().map(|p| p.at).collect();
    let weekly: Vec<DateTime<Utc>> = (0..60).step_by(7).map(day).collect();
    assert_eq!(kept, weekly);
    assert_eq!(replay(&[client], day(200), every_point(90)).len(), 60);
}

#[test]
fn auc_is_one_for_a_perfect_ranking() {
    let scored = [(10.0, false), (20.0, false), (70.0, true), (90.0, true)];
    assert!((auc(&scored).unwrap() - 1.0).abs() < EPS);
}

#[test]
fn auc_is_half_for_a_constant_score() {
    let scored = [(40.0, false), (40.0, true), (40.0, false), (40.0, true)];
    assert!((auc(&scored).unwrap() - 0.5).abs() < EPS);
}

#[test]
fn auc_is_zero_for_a_reversed_ranking() {
    let scored = [(90.0, false), (70.0, false), (20.0, true), (10.0, true)];
    assert!(auc(&scored).unwrap().abs() < EPS);
}

#[test]
fn auc_needs_both_classes() {
    assert_eq!(auc(&[(10.0, true), (20.0, true)]), None);
    assert_eq!(auc(&[(10.0, false)]), None);
    assert_eq!(auc(&[]), None);
}

#[test]
fn lift_compares_the_lowest_decile_with_the_base_rate() {
    // 20 predictions with overall 1..=20; churners at 1, 5 and 12. The decile is overall 1 and 2:
    // one churner in two (50%) against 3 in 20 (15%).
    let by_overall: Vec<(f64, bool)> = (1..=20)
        .map(|o| (f64::from(o), [1, 5, 12].contains(&o)))
        .collect();
    let lift = lowest_decile_lift(&by_overall).unwrap();
    assert!((lift - 0.5 / 0.15).abs() < 1e-9, "lift {lift}");
}

#[test]
fn lift_shares_a_tie_at_the_decile_edge() {
    // 10 predictions: the decile is one of them, but the lowest overall (10) is shared by two, one
    // churned: the decile's churn rate is 50% whatever the order, against a 10% base rate.
    let mut by_overall = vec![(10.0, true), (10.0, false)];
    by_overall.extend((0..8).map(|i| (f64::from(50 + i), false)));
    let forward = lowest_decile_lift(&by_overall).unwrap();
    by_overall.swap(0, 1);
    let backward = lowest_decile_lift(&by_overall).unwrap();
    assert!((forward - 5.0).abs() < EPS, "lift {forward}");
    assert!((backward - forward).abs() < EPS);
}

#[test]
fn lift_needs_a_churner() {
    assert_eq!(lowest_decile_lift(&[(10.0, false), (20.0, false)]), None);
    assert_eq!(lowest_decile_lift(&[]), None);
}

#[test]
fn calibration_table_bins_predictions_and_measures_the_gap() {
    // Bin 10-20: two at 15%, one churned -> predicted 15, observed 50.
    // Bin 90-100 (100 included): 100% and 90%, both churned -> predicted 95, observed 100.
    let predicted = [(15.0, true), (15.0, false), (100.0, true), (90.0, true)];
    let table = calibration_table(&predicted);
    assert_eq!(table.len(), CALIBRATION_BINS);
    assert_eq!(table[1].count, 2);
    assert!((table[1].mean_predicted_pct.unwrap() - 15.0).abs() < EPS);
    assert!((table[1].observed_pct.unwrap() - 50.0).abs() < EPS);
    assert_eq!(table[9].count, 2);
    assert!((table[9].mean_predicted_pct.unwrap() - 95.0).abs() < EPS);
    assert_eq!(table[0].count, 0);
    assert_eq!(table[0].observed_pct, None);
    // (2 x 35 + 2 x 5) / 4 = 20 points.
    let ece = expected_calibration_error(&table).unwrap();
    assert!((ece - 20.0).abs() < EPS, "ece {ece}");
    assert_eq!(expected_calibration_error(&calibration_table(&[])), None);
}

#[test]
fn report_counts_clients_and_predictions() {
    let mut labelled = predictions(&[(80.0, true), (20.0, false), (30.0, false)]);
    labelled[2].client = 0;
    let report = BacktestReport::of(&labelled);
    assert_eq!(report.predictions, 3);
    assert_eq!(report.churned, 1);
    assert_eq!(report.clients, 2);
    assert_eq!(report.churned_clients, 1);
    assert!((report.auc.unwrap() - 1.0).abs() < EPS);
    assert!((report.base_rate_pct.unwrap() - 100.0 / 3.0).abs() < EPS);
}

/// Churn that really happens at half the predicted %: for each predicted % from 0 to 100, 40
/// clients of which exactly round(40 x p / 200) churned.
fn over_predicting_set() -> Vec<LabelledPrediction> {
    let per_level = 40;
    let mut pairs = Vec::new();
    for pct in 0..=100u32 {
        let churners = (f64::from(per_level * pct) / 200.0).round() as u32;
        for i in 0..per_level {
            pairs.push((f64::from(pct), i < churners));
        }
    }
    predictions(&pairs)
}

#[test]
fn calibration_lowers_the_error_of_an_over_predicting_score() {
    // Given a score that predicts twice the churn that happens, split in two interleaved halves
    let all = over_predicting_set();
    let train: Vec<LabelledPrediction> = all.iter().step_by(2).copied().collect();
    let held_out: Vec<LabelledPrediction> = all.iter().skip(1).step_by(2).copied().collect();
    let before = BacktestReport::of(&held_out)
        .expected_calibration_error
        .unwrap();
    // When churn % is fitted on one half
    let calibration = ChurnCalibration::fit(&train).unwrap();
    let after = BacktestReport::of(&calibration.recalibrate(&held_out))
        .expected_calibration_error
        .unwrap();
    // Then the other half's calibration error falls from some 25 points to a few
    assert!(before > 20.0, "before {before}");
    assert!(after < 5.0, "after {after}");
    // and a heuristic 80% reads as about 40%.
    let at_80 = calibration.calibrated_pct(80.0);
    assert!((at_80 - 40.0).abs() < 6.0, "80% -> {at_80}");
}

#[test]
fn fit_refuses_too_few_churned_clients() {
    let mut pairs: Vec<(f64, bool)> = (0..29).map(|_| (80.0, true)).collect();
    pairs.extend((0..100).map(|_| (10.0, false)));
    let got = ChurnCalibration::fit(&predictions(&pairs));
    assert_eq!(
        got,
        Err(CalibrationError::NotEnoughOutcomes {
            churned: 29,
            not_churned: 100,
            needed: MIN_LABELLED_OUTCOMES,
        })
    );
}

#[test]
fn fit_counts_clients_not_predictions() {
    // 30 churned predictions, all of one client: one churned outcome, not 30.
    let mut labelled = predictions(&[(80.0, true); 30]);
    for p in &mut labelled {
        p.client = 0;
    }
    labelled.extend(predictions(&[(10.0, false); 40]).into_iter().map(|mut p| {
        p.client += 1;
        p
    }));
    let Err(CalibrationError::NotEnoughOutcomes { churned, .. }) = ChurnCalibration::fit(&labelled)
    else {
        panic!("fitted on one churned client");
    };
    assert_eq!(churned, 1);
}

/// A calibration of 30 churned clients at 60% and 80% predicted, and 46 retained clients.
fn small_calibration() -> ChurnCalibration {
    let mut pairs: Vec<(f64, bool)> = (0..40).map(|_| (20.0, false)).collect();
    pairs.extend((0..21).map(|i| (60.0, i < 18)));
    pairs.extend((0..15).map(|i| (80.0, i < 12)));
    ChurnCalibration::fit(&predictions(&pairs)).unwrap()
}

#[test]
fn calibration_interpolates_between_blocks_and_is_flat_beyond() {
    let calibration = small_calibration();
    // Blocks: 20% -> 0; 60% -> 18/21; 80% -> 12/15 is lower, so 60-80 pool to 30/36.
    let pooled = 100.0 * 30.0 / 36.0;
    let expected = [
        (0.0, 0.0),
        (20.0, 0.0),
        (40.0, pooled / 2.0),
        (60.0, pooled),
        (70.0, pooled),
        (100.0, pooled),
    ];
    for (heuristic, calibrated) in expected {
        let got = calibration.calibrated_pct(heuristic);
        assert!((got - calibrated).abs() < 1e-9, "{heuristic} -> {got}");
    }
    assert_eq!(calibration.churned_clients(), 30);
    assert_eq!(calibration.not_churned_clients(), 46);
}

#[test]
fn calibration_survives_a_round_trip_and_refuses_a_broken_curve() {
    let calibration = small_calibration();
    let json = serde_json::to_string(&calibration).unwrap();
    let read: ChurnCalibration = serde_json::from_str(&json).unwrap();
    assert_eq!(read, calibration);
    let falling = r#"{"knots":[{"heuristic_pct":10,"calibrated_pct":50},
        {"heuristic_pct":20,"calibrated_pct":40}],"churned_clients":30,"not_churned_clients":30}"#;
    assert!(serde_json::from_str::<ChurnCalibration>(falling).is_err());
    let empty = r#"{"knots":[],"churned_clients":30,"not_churned_clients":30}"#;
    assert!(serde_json::from_str::<ChurnCalibration>(empty).is_err());
}

fn arb_scored() -> impl Strategy<Value = Vec<(f64, bool)>> {
    // Few distinct scores, so ties are common.
    prop::collection::vec((0u8..=20, any::<bool>()), 0..60).prop_map(|v| {
        v.into_iter()
            .map(|(s, c)| (f64::from(s) * 5.0, c))
            .collect()
    })
}

proptest! {
    #[test]
    fn auc_matches_a_brute_force_pair_count(scored in arb_scored()) {
        match (auc(&scored), brute_force_auc(&scored)) {
            (Some(fast), Some(slow)) => prop_assert!((fast - slow).abs() < 1e-9, "{fast} vs {slow}"),
            (fast, slow) => prop_assert_eq!(fast, slow),
        }
    }

    #[test]
    fn pav_is_monotone_and_keeps_the_observed_mean(pairs in arb_scored()) {
        let blocks = pool_adjacent_violators(&pairs);
        prop_assert!(blocks.windows(2).all(|w| w[0].rate() < w[1].rate()));
        prop_assert!(blocks.windows(2).all(|w| w[0].highest_pct < w[1].lowest_pct));
        let count: usize = blocks.iter().map(|b| b.count).sum();
        prop_assert_eq!(count, pairs.len());
        if !pairs.is_empty() {
            let fitted_mean: f64 =
                blocks.iter().map(|b| b.rate() * b.count as f64).sum::<f64>() / count as f64;
            let observed_mean = pairs.iter().filter(|p| p.1).count() as f64 / pairs.len() as f64;
            prop_assert!((fitted_mean - observed_mean).abs() < 1e-9);
        }
    }

    #[test]
    fn calibrated_churn_is_monotone_and_within_bounds(a in -10.0f64..110.0, b in -10.0f64..110.0) {
        let calibration = small_calibration();
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        let (at_low, at_high) = (calibration.calibrated_pct(low), calibration.calibrated_pct(high));
        prop_assert!(at_low <= at_high + 1e-12);
        prop_assert!((0.0..=100.0).contains(&at_low) && (0.0..=100.0).contains(&at_high));
    }
}
