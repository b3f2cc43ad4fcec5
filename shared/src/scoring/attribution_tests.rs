//! Unit and property tests of the exact split of a score change.

use super::*;
use crate::domain::{ClientId, PointDimension};
use chrono::TimeZone;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 12, 0, 0).unwrap()
}

/// A point scored the way the engine scores: dimension scores from their factors (rounded,
/// clamped), effective weights from `weights` over the dimensions present, overall rounded.
fn scored_point(day: u32, weights: &Weights, dims: &[(Dimension, Vec<(&str, f64)>)]) -> ScorePoint {
    let present: Vec<Dimension> = dims.iter().map(|(d, _)| *d).collect();
    let mut point = ScorePoint {
        settings_version: 0,
        as_scored: None,
        client_id: ClientId::parse("c1").unwrap(),
        at: at(day),
        overall: 0,
        churn_risk: 0,
        crm: None,
        payment: None,
        usage: None,
        support: None,
        parts: Vec::new(),
        overrides: Vec::new(),
    };
    let mut overall = 0.0;
    for (dimension, factors) in dims {
        let sum: f64 = factors.iter().map(|(_, p)| p).sum();
        let score = sum.clamp(0.0, 100.0).round() as u8;
        let weight = effective_weight(weights, &present, *dimension);
        overall += weight * f64::from(score);
        *match dimension {
            Dimension::Crm => &mut point.crm,
            Dimension::Payment => &mut point.payment,
            Dimension::Usage => &mut point.usage,
            Dimension::Support => &mut point.support,
        } = Some(score);
        point.parts.push(PointDimension {
            dimension: *dimension,
            weight: (weight * 1e6).round() / 1e6,
            factors: factors
                .iter()
                .map(|(n, p)| ((*n).to_owned(), (p * 100.0).round() / 100.0))
                .collect::<BTreeMap<_, _>>(),
        });
    }
    point.overall = overall.clamp(0.0, 100.0).round() as u8;
    point
}

fn cents(points: f64) -> i64 {
    hundredths(points)
}

/// Every invariant of a split: lines add up to the total, each line's parts to the line.
fn assert_adds_up(change: &ScoreChange) {
    let sum: i64 = change.lines.iter().map(|l| cents(l.points)).sum();
    assert_eq!(sum, i64::from(change.total) * 100, "{change:#?}");
    for line in &change.lines {
        if line.kind != LineKind::Rounding {
            let parts: i64 = line.parts.iter().map(|p| cents(p.points)).sum();
            assert_eq!(parts, cents(line.points), "{line:#?}");
        }
    }
}

fn line<'a>(change: &'a ScoreChange, key: &str) -> Option<&'a ChangeLine> {
    change.lines.iter().find(|l| l.key == key)
}

#[test]
fn a_dimension_that_fell_explains_the_fall_at_its_weight_factor_by_factor() {
    let w = Weights::default();
    let start = scored_point(
        1,
        &w,
        &[
            (
                Dimension::Crm,
                vec![("lifecycle_stage", 25.0), ("activity_recency", 45.0)],
            ),
            (Dimension::Usage, vec![("adoption", 50.0)]),
        ],
    );
    let end = scored_point(
        20,
        &w,
        &[
            (
                Dimension::Crm,
                vec![("lifecycle_stage", 25.0), ("activity_recency", 5.0)],
            ),
            (Dimension::Usage, vec![("adoption", 50.0)]),
        ],
    );
    let change = explain_change(&start, &end, &w);
    assert_adds_up(&change);
    // crm weight 0.30 / 0.55 over crm and usage; crm 70 -> 30.
    let crm = line(&change, "crm").unwrap();
    let share = 0.30 / 0.55;
    assert_eq!(cents(crm.points), hundredths(share * -40.0));
    assert_eq!(crm.parts[0].key, "activity_recency");
    assert_eq!(crm.parts[0].before, Some(45.0));
    assert_eq!(crm.parts[0].after, Some(5.0));
    assert_eq!(line(&change, "usage").unwrap().points, 0.0);
    assert!(line(&change, REWEIGHTING).is_none());
    assert!(!change.weights_estimated);
    assert_eq!(
        change.total,
        i16::from(end.overall) - i16::from(start.overall)
    );
}

#[test]
fn a_dimension_that_gains_data_is_the_reweighting_line_and_the_others_make_room() {
    let w = Weights::default();
    let crm = (Dimension::Crm, vec![("activity_recency", 80.0)]);
    let start = scored_point(1, &w, std::slice::from_ref(&crm));
    let end = scored_point(
        20,
        &w,
        &[
            crm.clone(),
            (Dimension::Payment, vec![("revenue_value", 20.0)]),
        ],
    );
    let change = explain_change(&start, &end, &w);
    assert_adds_up(&change);
    // 80 -> 0.3/0.55*80 + 0.25/0.55*20 = 52.7 (53): -27.
    assert_eq!(change.total, -27);
    assert_eq!(line(&change, "crm").unwrap().points, 0.0);
    let reweighting = line(&change, REWEIGHTING).unwrap();
    let keys: Vec<&str> = reweighting.parts.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["crm", "payment"]);
    let payment = &reweighting.parts[1];
    assert_eq!((payment.before, payment.after), (Some(0.0), Some(0.454545)));
    assert_eq!(cents(payment.points), hundredths(0.454545 * 20.0));
    assert!(line(&change, "payment").is_none());
}

#[test]
fn rounding_is_its_own_line_and_a_dimension_not_a_plain_sum_has_a_remainder() {
    let w = Weights::default();
    // Support clamped at 0: its factors fall by 40 but the score by 20.
    let start = scored_point(
        1,
        &w,
        &[(
            Dimension::Support,
            vec![("baseline", 100.0), ("open_tickets", -80.0)],
        )],
    );
    let end = scored_point(
        2,
        &w,
        &[(
            Dimension::Support,
            vec![("baseline", 100.0), ("open_tickets", -120.0)],
        )],
    );
    let change = explain_change(&start, &end, &w);
    assert_adds_up(&change);
    assert_eq!(change.total, -20);
    let support = line(&change, "support").unwrap();
    assert_eq!(support.points, -20.0);
    assert_eq!(support.parts[0].points, -40.0);
    assert_eq!(support.parts[1].key, REMAINDER);
    assert_eq!(support.parts[1].points, 20.0);

    // (0.30*33 + 0.25*67)/0.55 = 48.45 (48), then 49.0: a total of 1 from a crm line of 0.55.
    let a = scored_point(
        1,
        &w,
        &[
            (Dimension::Crm, vec![("x", 33.0)]),
            (Dimension::Usage, vec![("y", 67.0)]),
        ],
    );
    let b = scored_point(
        2,
        &w,
        &[
            (Dimension::Crm, vec![("x", 34.0)]),
            (Dimension::Usage, vec![("y", 67.0)]),
        ],
    );
    let change = explain_change(&a, &b, &w);
    assert_adds_up(&change);
    assert_eq!(change.total, 1);
    assert_eq!(line(&change, "crm").unwrap().points, 0.55);
    assert_eq!(line(&change, ROUNDING).unwrap().points, 0.45);
}

#[test]
fn an_old_point_without_weights_is_estimated_from_the_settings_and_says_so() {
    let w = Weights::default();
    let mut start = scored_point(1, &w, &[(Dimension::Crm, vec![("x", 50.0)])]);
    start.parts.clear();
    let end = scored_point(2, &w, &[(Dimension::Crm, vec![("x", 70.0)])]);
    let change = explain_change(&start, &end, &w);
    assert_adds_up(&change);
    assert!(change.weights_estimated);
    let crm = line(&change, "crm").unwrap();
    assert_eq!(crm.points, 20.0);
    assert_eq!(crm.parts.len(), 1);
    assert_eq!(crm.parts[0].key, NOT_RECORDED);

    // Points stored before `parts` existed still decode.
    let old = r#"{"client_id":"c1","at":"2026-11-01T12:00:00Z","overall":50,"churn_risk":40,
        "crm":50,"payment":null,"usage":null,"support":null}"#;
    let decoded: ScorePoint = serde_json::from_str(old).unwrap();
    assert!(decoded.parts.is_empty());
    assert_eq!(decoded.crm, Some(50));
}

#[test]
fn the_nearest_point_wins_and_a_tie_goes_to_the_older() {
    let w = Weights::default();
    let points: Vec<ScorePoint> = [1, 3, 5]
        .into_iter()
        .map(|d| scored_point(d, &w, &[(Dimension::Crm, vec![("x", 50.0)])]))
        .collect();
    assert_eq!(nearest_point(&points, at(2)).unwrap().at, at(1));
    assert_eq!(nearest_point(&points, at(5)).unwrap().at, at(5));
    assert_eq!(nearest_point(&points, at(30)).unwrap().at, at(5));
    assert!(nearest_point(&[], at(2)).is_none());
}

const NAMES: [&str; 5] = ["a", "b", "c", "d", "e"];

fn arb_dimension() -> impl Strategy<Value = Option<Vec<(&'static str, f64)>>> {
    proptest::option::of(proptest::collection::vec(
        (proptest::sample::select(NAMES.to_vec()), -60.0f64..110.0),
        0..5,
    ))
}

fn arb_weights() -> impl Strategy<Value = Weights> {
    (0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0).prop_map(
        |(crm, payment, usage, support)| Weights {
            crm,
            payment,
            usage,
            support,
        },
    )
}

fn arb_point(day: u32) -> impl Strategy<Value = (Weights, ScorePoint)> {
    (arb_weights(), proptest::collection::vec(arb_dimension(), 4)).prop_map(move |(w, dims)| {
        let dims: Vec<(Dimension, Vec<(&str, f64)>)> = Dimension::ALL
            .into_iter()
            .zip(dims)
            .filter_map(|(d, f)| {
                // One name once per dimension, as the engine makes them.
                f.map(|mut f| {
                    f.sort_by(|a, b| a.0.cmp(b.0));
                    f.dedup_by(|a, b| a.0 == b.0);
                    (d, f)
                })
            })
            .collect();
        let point = scored_point(day, &w, &dims);
        (w, point)
    })
}

proptest! {
    /// Points scored the engine's way, weights changed or not, dimensions coming and going: the
    /// lines add up to the total exactly, and rounding stays within a point.
    #[test]
    fn the_parts_always_add_up_to_the_total((w0, start) in arb_point(1), (w1, end) in arb_point(2)) {
        let change = explain_change(&start, &end, &w1);
        assert_adds_up(&change);
        let rounding = line(&change, ROUNDING).map_or(0, |l| cents(l.points));
        prop_assert!(rounding.abs() <= 105, "rounding {rounding}: {change:#?}");
        // Swapping the points negates every dimension line.
        let back = explain_change(&end, &start, &w0);
        assert_adds_up(&back);
        for line in change.lines.iter().filter(|l| l.kind == LineKind::Dimension) {
            let other = back.lines.iter().find(|l| l.key == line.key).unwrap();
            prop_assert_eq!(cents(line.points), -cents(other.points));
        }
    }

    /// Whatever the points hold (inconsistent, old, hand-made), the split is still exact.
    #[test]
    fn even_inconsistent_points_add_up(
        (w, mut start) in arb_point(1),
        (_, mut end) in arb_point(2),
        overall0 in 0u8..=100,
        overall1 in 0u8..=100,
        drop_parts in any::<bool>(),
    ) {
        start.overall = overall0;
        end.overall = overall1;
        if drop_parts {
            start.parts.clear();
        }
        let change = explain_change(&start, &end, &w);
        assert_adds_up(&change);
        prop_assert_eq!(change.weights_estimated, drop_parts && start.crm.or(start.payment).or(start.usage).or(start.support).is_some());
    }
}
