//! Tests of the 30-day projection and the "projected to fall into at risk" flag.

use super::*;
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
}

/// One point a day for `days` days up to today, overall from `overall(days_ago)`.
fn daily(days: i64, overall: impl Fn(i64) -> f64) -> Vec<OverallPoint> {
    (0..days)
        .rev()
        .map(|days_ago| OverallPoint {
            at: now() - Duration::days(days_ago),
            overall: overall(days_ago),
        })
        .collect()
}

/// Deterministic noise in -1..=1: a fixed pseudo-random sequence (a SplitMix64-style hash of `i`).
fn noise(i: i64) -> f64 {
    let mut x = (i as u64)
        .wrapping_add(1)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 29;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 32;
    (x % 2001) as f64 / 1000.0 - 1.0
}

#[test]
fn a_straight_line_is_projected_exactly() {
    // 80 today, falling half a point a day: 65 in 30 days, with no band around it.
    let line = daily(60, |ago| 80.0 + 0.5 * ago as f64);
    let forecast = forecast_overall(&line, now()).unwrap();
    assert!((forecast.slope_per_day + 0.5).abs() < 1e-9);
    assert!((forecast.level_now - 80.0).abs() < 1e-9);
    assert!((forecast.projected - 65.0).abs() < 1e-9);
    assert!((forecast.high - forecast.low).abs() < 1e-9);
    assert_eq!(forecast.points_used, 60);
    assert!((forecast.span_days - 59.0).abs() < 1e-9);
}

#[test]
fn a_single_outlier_barely_moves_the_slope() {
    let mut line = daily(60, |ago| 80.0 + 0.5 * ago as f64);
    line[55].overall = 0.0; // a broken run four days ago
    let forecast = forecast_overall(&line, now()).unwrap();
    assert!(
        (forecast.slope_per_day + 0.5).abs() < 0.02,
        "slope {}",
        forecast.slope_per_day
    );
    assert!((forecast.projected - 65.0).abs() < 1.0);
}

#[test]
fn a_flat_noisy_series_has_a_slope_near_zero() {
    let flat = daily(90, |ago| 60.0 + 5.0 * noise(ago));
    let forecast = forecast_overall(&flat, now()).unwrap();
    assert!(
        forecast.slope_per_day.abs() < 0.05,
        "slope {}",
        forecast.slope_per_day
    );
    assert!((forecast.projected - 60.0).abs() < 3.0);
}

#[test]
fn too_few_points_or_too_short_a_span_give_no_forecast() {
    let four = daily(4, |_| 70.0);
    assert_eq!(forecast_overall(&four, now()), None);
    // Ten daily points span nine days.
    let short = daily(10, |_| 70.0);
    assert_eq!(forecast_overall(&short, now()), None);
    // Five points two weeks apart are enough.
    let sparse: Vec<OverallPoint> = daily(57, |_| 70.0).into_iter().step_by(14).collect();
    assert_eq!(sparse.len(), 5);
    assert!(forecast_overall(&sparse, now()).is_some());
    assert_eq!(forecast_overall(&[], now()), None);
}

#[test]
fn the_band_widens_with_noise() {
    let width = |amplitude: f64| {
        let series = daily(60, |ago| 70.0 + 0.2 * ago as f64 + amplitude * noise(ago));
        let f = forecast_overall(&series, now()).unwrap();
        assert!(f.low <= f.projected && f.projected <= f.high);
        f.high - f.low
    };
    let (quiet, noisy) = (width(1.0), width(8.0));
    assert!(quiet > 0.0);
    assert!(noisy > 2.0 * quiet, "quiet {quiet}, noisy {noisy}");
}

#[test]
fn only_the_newest_point_of_a_day_and_the_last_90_days_count() {
    // A steady 70 for 60 days; earlier in each day a run scored 10, and long ago the client was at
    // 100: neither is the trend.
    let mut history = daily(60, |_| 70.0);
    history.extend(daily(60, |_| 10.0).into_iter().map(|p| OverallPoint {
        at: p.at - Duration::hours(2),
        ..p
    }));
    history.push(OverallPoint {
        at: now() - Duration::days(120),
        overall: 100.0,
    });
    history.push(OverallPoint {
        at: now() + Duration::days(1),
        overall: 0.0,
    });
    let forecast = forecast_overall(&history, now()).unwrap();
    assert_eq!(forecast.points_used, 60);
    assert!(forecast.slope_per_day.abs() < 1e-9);
    assert!((forecast.projected - 70.0).abs() < 1e-9);
}

#[test]
fn a_declining_client_crossing_the_threshold_is_flagged() {
    // 56 today, losing half a point a day with some noise: about 41 in 30 days, under 50.
    let declining = daily(60, |ago| 56.0 + 0.5 * ago as f64 + noise(ago));
    let forecast = forecast_overall(&declining, now()).unwrap();
    let projection = projected_at_risk(&forecast, 50).unwrap();
    assert!(
        projection.confidence >= 85,
        "confidence {}",
        projection.confidence
    );
    assert!((projection.days_to_threshold - 12.0).abs() < 3.0);
}

/// A hand-made forecast: today at 60, projected to `projected` within [low, high].
fn forecast_of(projected: f64, low: f64, high: f64, points_used: usize) -> OverallForecast {
    OverallForecast {
        slope_per_day: (projected - 60.0) / 30.0,
        slope_low_per_day: (projected - 60.0) / 30.0,
        slope_high_per_day: (projected - 60.0) / 30.0,
        level_now: 60.0,
        latest_overall: 60.0,
        projected,
        low,
        high,
        points_used,
        span_days: 30.0,
    }
}

#[test]
fn confidence_grows_with_the_band_under_the_threshold_and_the_points_behind_it() {
    let confidence = |f: OverallForecast| projected_at_risk(&f, 50).unwrap().confidence;
    // The whole band under 50, 30 points or more: sure.
    assert_eq!(confidence(forecast_of(40.0, 35.0, 45.0, 60)), 100);
    // Half the band under 50: 0.7 x 0.5 + 0.3 = 65.
    assert_eq!(confidence(forecast_of(45.0, 40.0, 60.0, 60)), 65);
    // ... with 15 points: 0.7 x 0.5 + 0.3 x 0.5 = 50.
    assert_eq!(confidence(forecast_of(45.0, 40.0, 60.0, 15)), 50);
    // The trend line crosses 50 in 15 days.
    let days = projected_at_risk(&forecast_of(40.0, 35.0, 45.0, 60), 50)
        .unwrap()
        .days_to_threshold;
    assert!((days - 15.0).abs() < 1e-9);
}

#[test]
fn a_steady_client_is_not_flagged() {
    let steady = daily(60, |ago| 70.0 + 2.0 * noise(ago));
    let forecast = forecast_overall(&steady, now()).unwrap();
    assert_eq!(projected_at_risk(&forecast, 50), None);
}

#[test]
fn a_client_already_at_risk_is_not_flagged_again() {
    let falling = daily(60, |ago| 45.0 + 0.5 * ago as f64);
    let forecast = forecast_overall(&falling, now()).unwrap();
    assert_eq!(projected_at_risk(&forecast, 50), None);
    // The tenant's lower risk-factor threshold (40) still lies ahead of it.
    assert!(projected_at_risk(&forecast, 40).is_some());
}

#[test]
fn the_projection_is_clamped_to_the_score_range() {
    let crash = daily(30, |ago| 20.0 + 3.0 * ago as f64);
    let forecast = forecast_overall(&crash, now()).unwrap();
    assert!(forecast.projected.abs() < 1e-9);
    assert!(forecast.low >= 0.0 && forecast.high <= 100.0);
}
