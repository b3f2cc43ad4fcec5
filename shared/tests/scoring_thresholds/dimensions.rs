//! Dimension weights and the support dimension.

use super::*;

fn dimension_score(score: &HealthScore, dimension: Dimension) -> Option<u8> {
    score.dimension(dimension).and_then(|d| d.score)
}

#[test]
fn weights_renormalise_when_support_has_no_data() {
    let (score, _) = run_one(healthy("a", 20_000.0).build());
    assert_eq!(dimension_score(&score, Dimension::Support), None);
    let crm = f64::from(dimension_score(&score, Dimension::Crm).unwrap());
    let payment = f64::from(dimension_score(&score, Dimension::Payment).unwrap());
    let usage = f64::from(dimension_score(&score, Dimension::Usage).unwrap());
    let expected = (0.30 * crm + 0.25 * payment + 0.25 * usage) / 0.80;
    assert_eq!(f64::from(score.overall), expected.round());
    let weights: Vec<f64> = score.dimensions.iter().map(|d| d.weight).collect();
    assert!((weights.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    assert!((score.dimension(Dimension::Crm).unwrap().weight - 0.375).abs() < 1e-9);
    assert_eq!(score.dimension(Dimension::Support).unwrap().weight, 0.0);
}

#[test]
fn weights_renormalise_when_payment_and_support_have_no_data() {
    let (score, _) = run_one(
        client("a")
            .contacts(2)
            .sent_emails(5)
            .received_emails(1)
            .build(),
    );
    assert_eq!(dimension_score(&score, Dimension::Payment), None);
    assert_eq!(dimension_score(&score, Dimension::Support), None);
    let crm = f64::from(dimension_score(&score, Dimension::Crm).unwrap());
    let usage = f64::from(dimension_score(&score, Dimension::Usage).unwrap());
    assert_eq!(
        f64::from(score.overall),
        ((0.30 * crm + 0.25 * usage) / 0.55).round()
    );
}

#[test]
fn all_four_dimensions_use_the_configured_weights() {
    let (score, _) = run_one(
        healthy("a", 20_000.0)
            .ticket(false, Some(TicketPriority::Low), 40.0, Some(30))
            .build(),
    );
    let expected: f64 = [
        (Dimension::Crm, 0.30),
        (Dimension::Payment, 0.25),
        (Dimension::Usage, 0.25),
        (Dimension::Support, 0.20),
    ]
    .iter()
    .map(|(d, w)| w * f64::from(dimension_score(&score, *d).unwrap()))
    .sum();
    assert_eq!(f64::from(score.overall), expected.round());
}

#[test]
fn factor_points_add_up_to_the_dimension_score() {
    let (score, _) = run_one(
        healthy("a", 20_000.0)
            .lost_deal(100.0)
            .ticket(true, Some(TicketPriority::High), 5.0, None)
            .ticket(false, None, 60.0, Some(100))
            .build(),
    );
    for dimension in &score.dimensions {
        let sum: f64 = dimension.factors.iter().map(|f| f.points).sum();
        let score = f64::from(dimension.score.unwrap());
        assert!(
            (sum - score).abs() <= 0.6,
            "{:?}: {sum} vs {score}",
            dimension.dimension
        );
    }
}

// --- support ----------------------------------------------------------------------------------------

#[test]
fn open_high_priority_tickets_cost_more_than_normal_ones() {
    let support = |priority| {
        let (score, _) = run_one(healthy("a", 1.0).ticket(true, priority, 2.0, None).build());
        dimension_score(&score, Dimension::Support).unwrap()
    };
    assert!(support(Some(TicketPriority::Urgent)) < support(Some(TicketPriority::Low)));
    assert_eq!(
        support(Some(TicketPriority::High)),
        support(Some(TicketPriority::Urgent))
    );
    assert!(support(Some(TicketPriority::Low)) < 100);
}

#[test]
fn slow_resolution_lowers_support() {
    let support = |hours| {
        let (score, _) = run_one(
            healthy("a", 1.0)
                .ticket(false, None, 100.0, Some(hours))
                .build(),
        );
        dimension_score(&score, Dimension::Support).unwrap()
    };
    assert_eq!(support(10), 100);
    assert!(support(200) < support(48));
}
