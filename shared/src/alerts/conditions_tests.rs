use super::*;
use crate::alerts::test_fixtures::*;
use crate::domain::{AlertChange, HealthBand, Impact, InsightType};

fn state(rule: &AlertRule, client_id: &str, key: &str) -> AlertState {
    AlertState {
        rule_id: rule.id.clone(),
        client_id: client(client_id),
        state_key: key.into(),
        alerted_at: t0(),
    }
}

#[test]
fn a_band_rule_fires_when_the_client_moves_into_a_worse_band_of_the_rule() {
    let rule = band_rule();
    let event = health("c1", level(61, 20), level(44, 40));
    let firing = evaluate(
        &rule,
        &AlertEvent::Health(&event),
        None,
        Some("https://app.example"),
    )
    .unwrap();
    assert_eq!(firing.state_key, "band:at_risk");
    assert_eq!(firing.client_id, client("c1"));
    assert_eq!(
        firing.item.headline,
        "Acme Ltd moved from Watch to At risk (61 → 44)"
    );
    assert_eq!(
        firing.item.link.as_deref(),
        Some("https://app.example/#/client/c1")
    );
    assert_eq!(firing.item.occurred_at, t0());
    assert!(matches!(
        firing.item.change,
        AlertChange::Health { fell_by: None, .. }
    ));

    let critical = health("c1", level(44, 40), level(20, 70));
    let firing = evaluate(&rule, &AlertEvent::Health(&critical), None, None).unwrap();
    assert_eq!(firing.state_key, "band:critical");
    assert_eq!(firing.item.link, None);

    // Within a band, into a band the rule does not name, or better: no alert.
    for (before, after) in [(48, 40), (80, 60), (20, 40), (44, 80)] {
        let event = health("c1", level(before, 0), level(after, 0));
        assert_eq!(
            evaluate(&rule, &AlertEvent::Health(&event), None, None),
            None,
            "{before} → {after}"
        );
    }
}

#[test]
fn disabled_rules_never_fire() {
    let mut rule = band_rule();
    rule.enabled = false;
    let event = health("c1", level(61, 20), level(20, 80));
    assert_eq!(
        evaluate(&rule, &AlertEvent::Health(&event), None, None),
        None
    );
}

#[test]
fn the_scope_picks_clients_by_lifecycle_stage_or_by_id() {
    let mut rule = band_rule();
    let event = health("c1", level(61, 20), level(44, 40));
    let fires = |rule: &AlertRule, event: &ClientHealthChanged| {
        evaluate(rule, &AlertEvent::Health(event), None, None).is_some()
    };
    rule.scope = AlertScope::LifecycleStages {
        stages: vec!["Customer".into()],
    };
    assert!(fires(&rule, &event), "stages compare without case");
    rule.scope = AlertScope::LifecycleStages {
        stages: vec!["lead".into(), "opportunity".into()],
    };
    assert!(!fires(&rule, &event));
    let mut unknown_stage = event.clone();
    unknown_stage.lifecycle_stage = None;
    rule.scope = AlertScope::LifecycleStages {
        stages: vec!["customer".into()],
    };
    assert!(!fires(&rule, &unknown_stage), "no stage is in no stage");
    rule.scope = AlertScope::Clients {
        client_ids: vec![client("c2"), client("c1")],
    };
    assert!(fires(&rule, &event));
    rule.scope = AlertScope::Clients {
        client_ids: vec![client("c2")],
    };
    assert!(!fires(&rule, &event));
}

#[test]
fn a_fall_is_measured_from_the_highest_score_in_the_window() {
    let rule = rule(
        "fell",
        AlertCondition::OverallFell {
            points: 10,
            days: 7,
        },
    );
    assert_eq!(history_days(&rule), Some(7));
    assert_eq!(history_days(&band_rule()), None);
    let event = health("c1", level(50, 20), level(44, 30));
    // Six points since the last scoring, but 56 three days ago: twelve in the window.
    let firing = evaluate(&rule, &AlertEvent::Health(&event), Some(56), None).unwrap();
    assert_eq!(firing.state_key, "fell:10/7");
    assert_eq!(
        firing.item.headline,
        "Acme Ltd's health fell 12 points in 7 days (56 → 44)"
    );
    assert!(matches!(
        firing.item.change,
        AlertChange::Health {
            fell_by: Some(12),
            ..
        }
    ));
    // Exactly the points fires; one short does not; without history the last score stands in.
    assert!(evaluate(&rule, &AlertEvent::Health(&event), Some(54), None).is_some());
    assert!(evaluate(&rule, &AlertEvent::Health(&event), Some(53), None).is_none());
    assert!(evaluate(&rule, &AlertEvent::Health(&event), None, None).is_none());
    let big_drop = health("c1", level(60, 20), level(44, 30));
    assert!(evaluate(&rule, &AlertEvent::Health(&big_drop), None, None).is_some());
    // The state ends when the fall no longer reaches the points.
    let stored = state(&rule, "c1", "fell:10/7");
    let recovered = health("c1", level(44, 30), level(52, 25));
    assert!(ends_state(
        &rule,
        &AlertEvent::Health(&recovered),
        &stored,
        Some(56)
    ));
    assert!(!ends_state(
        &rule,
        &AlertEvent::Health(&event),
        &stored,
        Some(56)
    ));
}

#[test]
fn churn_fires_above_the_threshold_and_its_state_ends_at_or_under_it() {
    let rule = rule("churn", AlertCondition::ChurnAbove { percent: 60 });
    let crossing = health("c1", level(40, 60), level(35, 72));
    let firing = evaluate(&rule, &AlertEvent::Health(&crossing), None, None).unwrap();
    assert_eq!(firing.state_key, "churn_above:60");
    assert_eq!(
        firing.item.headline,
        "Acme Ltd's churn risk rose to 72% (above 60%)"
    );
    let at_threshold = health("c1", level(40, 50), level(38, 60));
    assert_eq!(
        evaluate(&rule, &AlertEvent::Health(&at_threshold), None, None),
        None
    );
    let stored = state(&rule, "c1", "churn_above:60");
    assert!(ends_state(
        &rule,
        &AlertEvent::Health(&at_threshold),
        &stored,
        None
    ));
    assert!(!ends_state(
        &rule,
        &AlertEvent::Health(&crossing),
        &stored,
        None
    ));
}

#[test]
fn an_insight_fires_by_impact_confidence_and_type_and_its_state_ends_when_it_resolves() {
    let rule = rule(
        "insights",
        AlertCondition::InsightOpened {
            min_impact: Impact::High,
            min_confidence: 70,
            types: vec![],
        },
    );
    let event = opened(facts("c1", Impact::Critical, 88));
    let firing = evaluate(
        &rule,
        &AlertEvent::InsightOpened(&event),
        None,
        Some("https://app.example"),
    )
    .unwrap();
    assert_eq!(firing.state_key, "insight:acme.c1.overdue_invoices");
    assert_eq!(
        firing.item.headline,
        "New critical insight for Acme Ltd: Payments overdue (confidence 88)"
    );
    assert!(matches!(
        firing.item.change,
        AlertChange::InsightOpened { .. }
    ));
    for (impact, confidence) in [(Impact::Medium, 95), (Impact::High, 69)] {
        let event = opened(facts("c1", impact, confidence));
        assert_eq!(
            evaluate(&rule, &AlertEvent::InsightOpened(&event), None, None),
            None
        );
    }
    let mut typed = rule.clone();
    typed.condition = AlertCondition::InsightOpened {
        min_impact: Impact::Low,
        min_confidence: 0,
        types: vec![InsightType::ChurnRisk],
    };
    assert_eq!(
        evaluate(&typed, &AlertEvent::InsightOpened(&event), None, None),
        None
    );
    // A health change does not fire an insight rule, nor a resolution any rule.
    let change = health("c1", level(61, 20), level(20, 80));
    assert_eq!(
        evaluate(&rule, &AlertEvent::Health(&change), None, None),
        None
    );
    let gone = resolved(facts("c1", Impact::Critical, 88));
    assert_eq!(
        evaluate(&rule, &AlertEvent::InsightResolved(&gone), None, None),
        None
    );

    let stored = state(&rule, "c1", "insight:acme.c1.overdue_invoices");
    assert!(ends_state(
        &rule,
        &AlertEvent::InsightResolved(&gone),
        &stored,
        None
    ));
    let other = state(&rule, "c1", "insight:acme.c1.inactive_client");
    assert!(
        !ends_state(&rule, &AlertEvent::InsightResolved(&gone), &other, None),
        "another insight's state stays"
    );
}

#[test]
fn a_band_state_ends_when_the_band_leaves_the_rules_bands() {
    let rule = band_rule();
    let stored = state(&rule, "c1", "band:at_risk");
    let better = health("c1", level(44, 40), level(60, 20));
    assert!(ends_state(
        &rule,
        &AlertEvent::Health(&better),
        &stored,
        None
    ));
    let worse = health("c1", level(44, 40), level(20, 70));
    assert!(!ends_state(
        &rule,
        &AlertEvent::Health(&worse),
        &stored,
        None
    ));
    // Another client's or another rule's state is not this event's to end.
    let elsewhere = health("c2", level(44, 40), level(60, 20));
    assert!(!ends_state(
        &rule,
        &AlertEvent::Health(&elsewhere),
        &stored,
        None
    ));
    assert_eq!(
        band_state_key(HealthBand::Critical),
        "band:critical".to_string()
    );
}
