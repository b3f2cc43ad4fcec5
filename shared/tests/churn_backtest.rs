//! Issue 18: the health score, as the engine computes it, ranks the churners of a generated tenant
//! whose churn follows a known hazard of the same signals (`test_support::churn_world`), and a
//! calibration fitted on half of the clients lowers the calibration error on the other half.

use chrono::Duration;
use shared::domain::ScoringSettings;
use shared::scoring::calibration::{
    replay, BacktestReport, ChurnCalibration, ClientOutcome, ReplayOptions,
};
use test_support::churn_scoring::{of_clients, outcomes, score_world};
use test_support::churn_world::{daily_hazard, ChurnWorld, HazardSignals, WorldSettings};

/// Clients of the generated tenant: enough for well over 30 churners in each half, few enough to
/// score weekly for a year in a debug build in well under a minute.
const CLIENTS: usize = 1_500;
const SEED: u64 = 18;

fn healthy() -> HazardSignals {
    HazardSignals {
        quiet_days: 5.0,
        open_urgent_tickets: 0,
        deals_lost_recently: 0,
    }
}

#[test]
fn every_worse_signal_raises_the_daily_hazard() {
    let base = daily_hazard(&healthy());
    let quieter = HazardSignals {
        quiet_days: 40.0,
        ..healthy()
    };
    let urgent = HazardSignals {
        open_urgent_tickets: 2,
        ..healthy()
    };
    let lost = HazardSignals {
        deals_lost_recently: 1,
        ..healthy()
    };
    for worse in [quieter, urgent, lost] {
        assert!(daily_hazard(&worse) > base, "{worse:?} should raise {base}");
    }
    // The documented figures: a healthy client churns at about 1% a year, a client 40 days quiet
    // with two urgent tickets and a lost deal at about 3% a day.
    let yearly = 1.0 - (1.0 - base).powi(365);
    assert!(
        (0.007..0.015).contains(&yearly),
        "healthy yearly churn {yearly}"
    );
    let bad = daily_hazard(&HazardSignals {
        quiet_days: 40.0,
        open_urgent_tickets: 2,
        deals_lost_recently: 1,
    });
    assert!(
        (0.025..0.045).contains(&bad),
        "distressed daily hazard {bad}"
    );
    // Quiet days count up to the cap only.
    let capped = |days| {
        daily_hazard(&HazardSignals {
            quiet_days: days,
            ..healthy()
        })
    };
    assert_eq!(capped(60.0), capped(400.0));
}

#[test]
fn the_world_is_the_same_for_a_seed_and_differs_across_seeds() {
    let settings = WorldSettings::year(60, SEED);
    let world = ChurnWorld::generate(settings);
    assert_eq!(world, ChurnWorld::generate(settings));
    let at = world.day(200);
    let snapshots =
        |w: &ChurnWorld| -> Vec<_> { w.clients.iter().map(|c| c.snapshot_at(at)).collect() };
    assert_eq!(
        snapshots(&world),
        snapshots(&ChurnWorld::generate(settings))
    );
    let other = ChurnWorld::generate(WorldSettings::year(60, SEED + 1));
    assert_ne!(world, other);
    // A bigger world starts with the same clients.
    let bigger = ChurnWorld::generate(WorldSettings::year(80, SEED));
    assert_eq!(world.clients[..], bigger.clients[..60]);
}

#[test]
fn a_churned_client_goes_quiet_and_leaves_customer() {
    let world = ChurnWorld::generate(WorldSettings::year(200, SEED));
    let churned: Vec<_> = world
        .clients
        .iter()
        .filter_map(|c| Some((c, c.churned_at?)))
        .collect();
    assert!(!churned.is_empty(), "no churner among 200 clients");
    for (client, churn) in churned {
        let before = client.snapshot_at(churn - Duration::hours(1));
        let after = client.snapshot_at(churn + Duration::days(30));
        assert_eq!(before.lifecycle_stage.as_deref(), Some("customer"));
        assert_eq!(after.lifecycle_stage.as_deref(), Some("other"));
        assert!(after.engagements.iter().all(|e| e.occurred_at <= churn));
        assert!(after.deals.iter().all(|d| d.is_closed), "{:?}", after.deals);
    }
}

#[test]
fn the_score_ranks_the_churners_and_calibration_lowers_the_error_out_of_sample() {
    let world = ChurnWorld::generate(WorldSettings::year(CLIENTS, SEED));
    // Churners are the clients whose signals went bad: most of them were distressed.
    let churned_distressed = world
        .clients
        .iter()
        .filter(|c| c.churned_at.is_some() && c.distressed)
        .count();
    assert!(
        churned_distressed * 10 >= world.churned() * 8,
        "{churned_distressed} of {} churners distressed",
        world.churned()
    );
    let histories = score_world(&world, 7, &ScoringSettings::default());
    let clients: Vec<ClientOutcome> = outcomes(&world, &histories);
    let predictions = replay(&clients, world.end(), ReplayOptions::default());

    let report = BacktestReport::of(&predictions);
    eprintln!(
        "{} clients, {} churned in the year; {} predictions, {} positive ({} clients); AUC {:?}, \
         lift {:?}, ECE {:?}",
        CLIENTS,
        world.churned(),
        report.predictions,
        report.churned,
        report.churned_clients,
        report.auc,
        report.lowest_decile_lift,
        report.expected_calibration_error
    );
    let auc = report.auc.unwrap_or_else(|| panic!("no AUC: {report:?}"));
    assert!(auc > 0.75, "AUC {auc}");
    assert!(
        report.lowest_decile_lift.is_some_and(|lift| lift > 2.0),
        "{report:?}"
    );

    // Fit on the even clients, judge on the odd ones: the calibration never saw them.
    let fit_on = of_clients(&predictions, |c| c % 2 == 0);
    let held_out = of_clients(&predictions, |c| c % 2 == 1);
    let calibration = ChurnCalibration::fit(&fit_on).unwrap_or_else(|e| panic!("{e}"));
    let before = BacktestReport::of(&held_out);
    let after = BacktestReport::of(&calibration.recalibrate(&held_out));
    let (ece_before, ece_after) = (
        before.expected_calibration_error.unwrap_or(f64::NAN),
        after.expected_calibration_error.unwrap_or(f64::NAN),
    );
    eprintln!(
        "held out: ECE {ece_before:.2} before, {ece_after:.2} after; AUC {:?} -> {:?}",
        before.auc, after.auc
    );
    assert!(ece_after < ece_before, "ECE {ece_before} -> {ece_after}");
}
