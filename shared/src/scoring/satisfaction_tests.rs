//! Satisfaction in support, and users' overrides, through the engine's own entry points.

use crate::domain::{
    ClientId, ClientOverride, ClientSnapshot, ContactSummary, CsmSentiment, Dimension, HealthScore,
    OverrideKind, OverrideValue, ScoringSettings, Ticket, TicketPriority,
};
use crate::scoring::{derive_linked_features, score_client, LinkedRecords, TenantContext};
use chrono::{DateTime, Duration, TimeZone, Utc};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
}

fn snapshot(tickets: usize) -> ClientSnapshot {
    ClientSnapshot {
        client_id: ClientId::parse("c-1").unwrap(),
        name: "Acme".to_owned(),
        domain: None,
        lifecycle_stage: Some("customer".to_owned()),
        activity: Default::default(),
        reported_revenue: None,
        csm_sentiment: None,
        contacts: Vec::new(),
        deals: Vec::new(),
        tickets: (0..tickets)
            .map(|i| Ticket {
                id: format!("t{i}"),
                is_open: true,
                priority: Some(TicketPriority::High),
                created_at: Some(now() - Duration::days(3)),
                closed_at: None,
            })
            .collect(),
        engagements: Vec::new(),
        sources: vec!["hubspot".to_owned()],
        updated_at: now(),
    }
}

fn contact(id: &str, nps: Option<u8>) -> ContactSummary {
    ContactSummary {
        id: id.to_owned(),
        lifecycle_stage: None,
        nps_rating: nps,
    }
}

fn score_with(snapshot: &ClientSnapshot, overrides: Vec<ClientOverride>) -> HealthScore {
    let settings = ScoringSettings::default();
    let linked = LinkedRecords {
        overrides,
        ..LinkedRecords::default()
    };
    let features = derive_linked_features(snapshot, &linked, &settings, now());
    let ctx = TenantContext::from_features(std::slice::from_ref(&features));
    score_client(&features, &ctx, &settings, &[], now())
}

fn score(snapshot: &ClientSnapshot) -> HealthScore {
    score_with(snapshot, Vec::new())
}

fn support(score: &HealthScore) -> Option<u8> {
    score.dimension(Dimension::Support).and_then(|d| d.score)
}

fn factor_points(score: &HealthScore, dimension: Dimension) -> f64 {
    let d = score.dimension(dimension).unwrap();
    d.factors.iter().map(|f| f.points).sum()
}

fn an_override(kind: OverrideKind, value: OverrideValue, days: i64) -> ClientOverride {
    let client = ClientId::parse("c-1").unwrap();
    let set_at = now() - Duration::days(1);
    let expires = now() + Duration::days(days);
    ClientOverride::new(client, kind, value, "renewal call", expires, "u-1", set_at).unwrap()
}

#[test]
fn without_satisfaction_support_scores_exactly_as_before() {
    let plain = snapshot(2);
    let mut with_unanswered = plain.clone();
    with_unanswered.contacts = vec![contact("1", None)];
    let before = score(&plain);
    // Two open high-priority tickets: 100 - 30 = 70.
    assert_eq!(support(&before), Some(70));
    assert_eq!(support(&score(&with_unanswered)), Some(70));
    assert!(before.overrides.is_empty());
    // No tickets and no satisfaction: support stays out of the overall.
    assert_eq!(support(&score(&snapshot(0))), None);
}

#[test]
fn sentiment_and_nps_are_a_weighted_satisfaction_factor_of_support() {
    let mut negative = snapshot(2);
    negative.csm_sentiment = Some(CsmSentiment::Negative);
    // 70% of 70 + 30% of 0.
    assert_eq!(support(&score(&negative)), Some(49));

    let mut positive = snapshot(2);
    positive.csm_sentiment = Some(CsmSentiment::Positive);
    // 49 + 30.
    let scored = score(&positive);
    assert_eq!(support(&scored), Some(79));
    assert!((factor_points(&scored, Dimension::Support) - 79.0).abs() < 0.1);

    // NPS: the mean of the contacts' answers, 9 and 5 -> 7 -> 70 points; with a positive sentiment
    // each is half of satisfaction: 49 + 0.3 * (50 + 35) = 74.5.
    positive.contacts = vec![
        contact("1", Some(9)),
        contact("2", Some(5)),
        contact("3", None),
    ];
    let scored = score(&positive);
    assert_eq!(support(&scored), Some(75));
    let nps = scored
        .dimension(Dimension::Support)
        .unwrap()
        .factors
        .iter()
        .find(|f| f.name == "nps")
        .unwrap();
    assert_eq!(nps.value, Some(7.0));
}

#[test]
fn satisfaction_alone_scores_support_when_there_are_no_tickets() {
    let mut s = snapshot(0);
    s.contacts = vec![contact("1", Some(2))];
    let scored = score(&s);
    assert_eq!(support(&scored), Some(20));
    assert!(scored.dimension(Dimension::Support).unwrap().weight > 0.0);
}

#[test]
fn a_sentiment_override_replaces_the_crms_sentiment() {
    let mut s = snapshot(2);
    s.csm_sentiment = Some(CsmSentiment::Positive);
    let value = OverrideValue::Sentiment(CsmSentiment::Negative);
    let scored = score_with(&s, vec![an_override(OverrideKind::Sentiment, value, 30)]);
    assert_eq!(support(&scored), Some(49));
    assert_eq!(scored.overrides.len(), 1);
    assert_eq!(scored.overrides[0].kind, OverrideKind::Sentiment);
    assert_eq!(scored.point().overrides, scored.overrides);
    let factor = scored
        .dimension(Dimension::Support)
        .unwrap()
        .factors
        .iter()
        .find(|f| f.name == "csm_sentiment")
        .unwrap();
    assert!(factor.explanation.contains("set by a user"));
}

#[test]
fn a_dimension_override_replaces_the_score_and_keeps_the_computed_one() {
    let s = snapshot(2);
    let computed = score(&s);
    let o = an_override(OverrideKind::Support, OverrideValue::Score(10), 30);
    let scored = score_with(&s, vec![o]);
    assert_eq!(support(&scored), Some(10));
    assert_eq!(scored.overrides[0].computed, Some(70));
    assert!(scored.overall < computed.overall);
    // The factors still add up to the score shown: the override is one of them.
    assert!((factor_points(&scored, Dimension::Support) - 10.0).abs() < 0.1);
    assert_eq!(scored.point().support, Some(10));

    // A dimension without data enters the overall once a user scores it.
    let none = score_with(
        &snapshot(0),
        vec![an_override(
            OverrideKind::Support,
            OverrideValue::Score(90),
            5,
        )],
    );
    assert_eq!(support(&none), Some(90));
    assert_eq!(none.overrides[0].computed, None);
}

#[test]
fn an_expired_override_no_longer_applies() {
    let s = snapshot(2);
    let mut o = an_override(OverrideKind::Support, OverrideValue::Score(10), 30);
    o.expires_at = now();
    let scored = score_with(&s, vec![o]);
    assert_eq!(support(&scored), Some(70));
    assert!(scored.overrides.is_empty());
}
