use super::*;
use crate::domain::ClientId;
use chrono::{Duration, TimeZone};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

/// A point a day for `days` days before now, overall by days back.
fn history(days: i64, overall: impl Fn(i64) -> f64) -> Vec<ScorePoint> {
    (1..=days)
        .map(|back| ScorePoint {
            client_id: ClientId::parse("c-1").unwrap(),
            at: now() - Duration::days(back),
            overall: overall(back).round().clamp(0.0, 100.0) as u8,
            churn_risk: 10,
            crm: None,
            payment: None,
            usage: None,
            support: None,
            parts: Vec::new(),
            settings_version: 0,
            as_scored: None,
            overrides: Vec::new(),
        })
        .collect()
}

#[test]
fn a_steady_fall_toward_the_line_is_projected_with_its_confidence() {
    // 90 a month ago, 60 today: a point a day lower, 30 in a month.
    let falling = history(30, |back| 60.0 + back as f64);
    let (forecast, projection) = at_risk_outlook(&falling, 60, now(), now()).unwrap();
    assert!((forecast.projected - 30.0).abs() < 1.5, "{forecast:?}");
    assert!(projection.confidence >= 90, "{projection:?}");
    assert!(
        (projection.days_to_threshold - 10.0).abs() < 1.5,
        "{projection:?}"
    );
}

#[test]
fn no_outlook_when_flat_already_at_risk_or_too_short() {
    let flat = history(30, |_| 60.0);
    assert!(at_risk_outlook(&flat, 60, now(), now()).is_none());
    let falling = history(30, |back| 45.0 + back as f64);
    assert!(
        at_risk_outlook(&falling, 45, now(), now()).is_none(),
        "already at risk: nothing to forecast"
    );
    let short = history(5, |back| 60.0 + 5.0 * back as f64);
    assert!(
        at_risk_outlook(&short, 60, now(), now()).is_none(),
        "5 days"
    );
}
