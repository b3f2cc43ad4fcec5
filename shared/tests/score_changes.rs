//! The per-client events of a scoring run, as pure functions: `health_changes` (whose overall, band
//! or churn risk moved, and which factors moved most) and `insight_events` (what
//! `reconcile_insights` opened and resolved).

mod scoring_support;

use chrono::Duration;
use scoring_support::{client, now, tenant};
use shared::domain::{
    ClientId, ConfidenceBand, Dimension, DimensionScore, Factor, HealthBand, HealthScore, Impact,
    Insight, InsightRule, InsightStatus, Platform, SourceRef, SyncId, Trend, MAX_MOVED_FACTORS,
};
use shared::scoring::{health_changes, insight_events, insight_id, reconcile_insights};
use std::collections::HashMap;

fn id(client: &str) -> ClientId {
    ClientId::parse(client).unwrap()
}

fn sync_id() -> SyncId {
    SyncId::parse("sync-2").unwrap()
}

fn factor(name: &str, points: f64, source: Platform) -> Factor {
    Factor {
        name: name.to_owned(),
        value: None,
        points,
        explanation: format!("{name} at {points}"),
        source,
    }
}

fn dimension(dimension: Dimension, factors: Vec<Factor>) -> DimensionScore {
    DimensionScore {
        dimension,
        score: Some(factors.iter().map(|f| f.points).sum::<f64>().round() as u8),
        weight: 0.25,
        factors,
    }
}

fn score(
    client: &str,
    overall: u8,
    churn_risk: u8,
    dimensions: Vec<DimensionScore>,
) -> HealthScore {
    HealthScore {
        segment: None,
        settings_version: 0,
        client_id: id(client),
        client_name: format!("Client {client}"),
        overall,
        band: HealthBand::of(overall),
        churn_risk,
        dimensions,
        trend: Trend {
            delta_7d: None,
            delta_30d: None,
        },
        scored_at: now(),
        sources: vec![SourceRef::crm()],
        overrides: Vec::new(),
    }
}

fn crm(recency: f64, frequency: f64) -> DimensionScore {
    dimension(
        Dimension::Crm,
        vec![
            factor("activity_recency", recency, Platform::Hubspot),
            factor("activity_frequency", frequency, Platform::Hubspot),
        ],
    )
}

fn by_client(scores: &[HealthScore]) -> HashMap<ClientId, HealthScore> {
    scores
        .iter()
        .map(|s| (s.client_id.clone(), s.clone()))
        .collect()
}

#[test]
fn a_first_scoring_is_a_baseline_and_emits_nothing() {
    let scores = [score("a", 30, 80, vec![crm(5.0, 5.0)])];
    let snapshots = [client("a").build()];

    let events = health_changes(&tenant(), &sync_id(), &HashMap::new(), &scores, &snapshots);

    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn an_unchanged_level_emits_nothing_even_when_a_factor_moved() {
    let before = score("a", 62, 40, vec![crm(20.0, 10.0)]);
    // An hour later: the same level, a factor decayed a little and the points shifted between two.
    let after = HealthScore {
        segment: None,
        settings_version: 0,
        scored_at: now() + Duration::hours(1),
        ..score("a", 62, 40, vec![crm(18.0, 12.0)])
    };

    let events = health_changes(
        &tenant(),
        &sync_id(),
        &by_client(&[before]),
        &[after],
        &[client("a").build()],
    );

    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn a_band_change_is_listed_with_the_most_moved_factors_largest_first() {
    let before = score(
        "a",
        80,
        20,
        vec![
            crm(30.0, 10.0),
            dimension(
                Dimension::Usage,
                vec![factor("adoption", 5.0, Platform::Hubspot)],
            ),
            dimension(
                Dimension::Support,
                vec![factor("open_tickets", 3.0, Platform::Hubspot)],
            ),
        ],
    );
    let after = HealthScore {
        segment: None,
        settings_version: 0,
        scored_at: now() + Duration::hours(1),
        ..score(
            "a",
            60,
            38,
            vec![
                // Recency fell 20 points; frequency 0.3 (noise, left out).
                crm(10.0, 9.7),
                // Adoption left the score (5 points); a payment factor appeared (8 points).
                dimension(
                    Dimension::Payment,
                    vec![factor("overdue_amount", 8.0, Platform::Paypal)],
                ),
                // Support moved 1 point: real, but the fourth largest.
                dimension(
                    Dimension::Support,
                    vec![factor("open_tickets", 4.0, Platform::Hubspot)],
                ),
            ],
        )
    };
    let untouched = score("b", 90, 5, vec![crm(30.0, 10.0)]);
    let snapshots = [
        client("a").stage(Some("customer")).build(),
        client("b").build(),
    ];

    let events = health_changes(
        &tenant(),
        &sync_id(),
        &by_client(&[before, untouched.clone()]),
        &[after.clone(), untouched],
        &snapshots,
    );

    assert_eq!(events.len(), 1, "{events:?}");
    let changed = &events[0];
    assert_eq!(changed.client_id, id("a"));
    assert_eq!(changed.client_name, "Client a");
    assert_eq!(changed.sync_id, sync_id());
    assert_eq!(changed.lifecycle_stage.as_deref(), Some("customer"));
    assert_eq!(
        (
            changed.before.overall,
            changed.before.band,
            changed.before.churn_risk
        ),
        (80, HealthBand::Healthy, 20)
    );
    assert_eq!(
        (
            changed.after.overall,
            changed.after.band,
            changed.after.churn_risk
        ),
        (60, HealthBand::Watch, 38)
    );
    assert!(changed.band_changed());
    assert_eq!(changed.overall_delta(), -20);
    assert_eq!(changed.scored_at, after.scored_at);
    let moved: Vec<(Dimension, &str, Option<f64>, Option<f64>)> = changed
        .moved_factors
        .iter()
        .map(|m| {
            (
                m.dimension,
                m.name.as_str(),
                m.points_before,
                m.points_after,
            )
        })
        .collect();
    assert_eq!(
        moved,
        [
            (Dimension::Crm, "activity_recency", Some(30.0), Some(10.0)),
            (Dimension::Payment, "overdue_amount", None, Some(8.0)),
            (Dimension::Usage, "adoption", Some(5.0), None),
        ]
    );
    assert_eq!(changed.moved_factors.len(), MAX_MOVED_FACTORS);
    // A factor that appeared speaks for its platform and explains itself from the new score; one
    // that left, from the old.
    assert_eq!(changed.moved_factors[1].source, Platform::Paypal);
    assert_eq!(changed.moved_factors[1].explanation, "overdue_amount at 8");
    assert_eq!(changed.moved_factors[2].explanation, "adoption at 5");
}

#[test]
fn a_churn_risk_change_alone_is_a_change_and_noise_moves_no_factor() {
    let before = score("a", 55, 40, vec![crm(20.0, 10.0)]);
    let after = score("a", 55, 50, vec![crm(20.2, 10.0)]);

    let events = health_changes(
        &tenant(),
        &sync_id(),
        &by_client(&[before]),
        &[after],
        &[client("a").stage(None).build()],
    );

    assert_eq!(events.len(), 1);
    assert!(!events[0].band_changed());
    assert_eq!(events[0].overall_delta(), 0);
    assert_eq!(
        (events[0].before.churn_risk, events[0].after.churn_risk),
        (40, 50)
    );
    assert!(events[0].moved_factors.is_empty());
    assert_eq!(events[0].lifecycle_stage, None);
}

fn finding(client: &str, rule: InsightRule) -> Insight {
    let client_id = id(client);
    Insight {
        id: insight_id(&tenant(), &client_id, rule),
        tenant_id: tenant(),
        client_id,
        client_name: format!("Client {client}"),
        insight_type: rule.insight_type(),
        rule,
        title: format!("{client}: {rule:?}"),
        description: "description".to_owned(),
        explanation: "explanation".to_owned(),
        confidence: 80,
        confidence_band: ConfidenceBand::of(80),
        impact: Impact::High,
        revenue_at_stake: Some(1_200.0),
        recommendations: vec!["Call them.".to_owned(), "Then write.".to_owned()],
        evidence: Vec::new(),
        status: InsightStatus::Open,
        created_at: now(),
        updated_at: now(),
        status_changed_at: None,
        status_changed_by: None,
        status_reason: None,
        snoozed_until: None,
        revenue_upside: None,
        version: 0,
        sources: vec![SourceRef::crm()],
    }
}

fn stored(client: &str, rule: InsightRule, status: InsightStatus) -> Insight {
    Insight {
        status,
        created_at: now() - Duration::days(7),
        updated_at: now() - Duration::days(7),
        version: 2,
        ..finding(client, rule)
    }
}

/// Clients scored before this run, as the handler knows them.
fn scored_before(clients: &[&str]) -> HashMap<ClientId, HealthScore> {
    let scores: Vec<HealthScore> = clients
        .iter()
        .map(|c| score(c, 50, 50, Vec::new()))
        .collect();
    by_client(&scores)
}

#[test]
fn the_insights_of_a_first_scoring_open_silently() {
    let fresh = vec![
        finding("new", InsightRule::InactiveClient),
        finding("known", InsightRule::InactiveClient),
    ];
    let changes = reconcile_insights(&[], fresh, now());
    assert_eq!(changes.opened, 2);

    let events = insight_events(
        &tenant(),
        &sync_id(),
        &changes,
        &scored_before(&["known"]),
        &[],
        now(),
    );

    let opened: Vec<&ClientId> = events.opened.iter().map(|e| &e.insight.client_id).collect();
    assert_eq!(opened, [&id("known")]);
}

fn inactive(client: &str, status: InsightStatus) -> Insight {
    stored(client, InsightRule::InactiveClient, status)
}

#[test]
fn a_new_finding_opens_and_one_that_stopped_holding_resolves() {
    let existing = [stored(
        "gone-quiet",
        InsightRule::DecliningEngagement,
        InsightStatus::Open,
    )];
    let fresh = vec![finding("new", InsightRule::InactiveClient)];
    let later = now() + Duration::hours(1);
    let changes = reconcile_insights(&existing, fresh, later);
    let snapshots = [
        client("new").stage(Some("opportunity")).build(),
        client("gone-quiet").stage(Some("customer")).build(),
    ];

    let events = insight_events(
        &tenant(),
        &sync_id(),
        &changes,
        &scored_before(&["new", "gone-quiet"]),
        &snapshots,
        later,
    );

    assert_eq!(events.opened.len(), 1, "{events:?}");
    let opened = &events.opened[0];
    assert_eq!(
        opened.insight.insight_id,
        insight_id(&tenant(), &id("new"), InsightRule::InactiveClient)
    );
    assert_eq!(opened.insight.rule, InsightRule::InactiveClient);
    assert_eq!(
        opened.insight.lifecycle_stage.as_deref(),
        Some("opportunity")
    );
    assert_eq!(
        opened.insight.top_recommendation.as_deref(),
        Some("Call them.")
    );
    assert_eq!(opened.insight.revenue_at_stake, Some(1_200.0));
    assert_eq!(opened.opened_at, later);
    assert_eq!(events.resolved.len(), 1, "{events:?}");
    let resolved = &events.resolved[0];
    assert_eq!(resolved.insight.client_id, id("gone-quiet"));
    assert_eq!(resolved.insight.rule, InsightRule::DecliningEngagement);
    assert_eq!(
        resolved.insight.lifecycle_stage.as_deref(),
        Some("customer")
    );
    assert_eq!(resolved.resolved_at, later);
    assert_eq!(resolved.sync_id, sync_id());
}

#[test]
fn an_insight_a_user_acknowledged_or_dismissed_is_not_opened_again_but_a_resolved_one_reopens() {
    let existing = [
        inactive("acked", InsightStatus::Acknowledged),
        inactive("dismissed", InsightStatus::Dismissed),
        inactive("back", InsightStatus::Resolved),
        inactive("still", InsightStatus::Open),
    ];
    // Every rule still fires; the dismissed one even with new figures.
    let fresh = vec![
        finding("acked", InsightRule::InactiveClient),
        Insight {
            confidence: 95,
            ..finding("dismissed", InsightRule::InactiveClient)
        },
        finding("back", InsightRule::InactiveClient),
        finding("still", InsightRule::InactiveClient),
    ];
    let changes = reconcile_insights(&existing, fresh, now());
    let scored = scored_before(&["acked", "dismissed", "back", "still"]);

    let events = insight_events(&tenant(), &sync_id(), &changes, &scored, &[], now());

    let opened: Vec<&ClientId> = events.opened.iter().map(|e| &e.insight.client_id).collect();
    assert_eq!(opened, [&id("back")]);
    assert!(events.resolved.is_empty(), "{events:?}");
    // A client without a snapshot (it left the CRM) has no stage.
    assert_eq!(events.opened[0].insight.lifecycle_stage, None);
}

#[test]
fn an_acknowledged_insight_that_stops_holding_resolves_and_a_dismissed_one_stays_silent() {
    let existing = [
        inactive("acked", InsightStatus::Acknowledged),
        inactive("dismissed", InsightStatus::Dismissed),
        inactive("done", InsightStatus::Resolved),
    ];
    let changes = reconcile_insights(&existing, Vec::new(), now());

    // The clients left the CRM: the handler no longer counts their scores, yet their insights'
    // resolution is told.
    let events = insight_events(&tenant(), &sync_id(), &changes, &HashMap::new(), &[], now());

    assert!(events.opened.is_empty(), "{events:?}");
    let resolved: Vec<&ClientId> = events
        .resolved
        .iter()
        .map(|e| &e.insight.client_id)
        .collect();
    assert_eq!(resolved, [&id("acked")]);
    assert_eq!(changes.resolved, events.resolved.len() as u64);
}
