//! An insight's lifecycle across runs: new, updated, unchanged, resolved, reopened, dismissed.

mod scoring_support;

use chrono::Duration;
use scoring_support::*;
use shared::domain::{ClientId, ConfidenceBand, Impact, Insight, InsightRule, InsightStatus};
use shared::scoring::{insight_id, reconcile_insights, score_tenant, ENGINE_ACTOR};
use std::collections::HashMap;

fn finding(client: &str, rule: InsightRule, confidence: u8) -> Insight {
    let client_id = ClientId::parse(client).unwrap();
    Insight {
        sources: Default::default(),
        id: insight_id(&tenant(), &client_id, rule),
        tenant_id: tenant(),
        client_id,
        client_name: format!("Client {client}"),
        insight_type: rule.insight_type(),
        rule,
        title: "title".to_owned(),
        description: "description".to_owned(),
        explanation: "explanation".to_owned(),
        confidence,
        confidence_band: ConfidenceBand::of(confidence),
        impact: Impact::Medium,
        revenue_at_stake: None,
        recommendations: vec!["do something".to_owned()],
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
    }
}

/// As stored by an earlier run, a week ago, at version 3.
fn stored(client: &str, rule: InsightRule, confidence: u8, status: InsightStatus) -> Insight {
    let week_ago = now() - Duration::days(7);
    Insight {
        status,
        created_at: week_ago,
        updated_at: week_ago,
        version: 3,
        ..finding(client, rule, confidence)
    }
}

#[test]
fn a_new_finding_is_written_as_open() {
    let changes = reconcile_insights(
        &[],
        vec![finding("a", InsightRule::InactiveClient, 80)],
        now(),
    );
    assert_eq!(changes.opened, 1);
    assert_eq!(changes.resolved, 0);
    assert_eq!(changes.to_write.len(), 1);
    assert_eq!(changes.to_write[0].status, InsightStatus::Open);
    assert_eq!(changes.to_write[0].version, 0);
}

#[test]
fn an_unchanged_finding_is_not_written_again() {
    let existing = [stored(
        "a",
        InsightRule::InactiveClient,
        80,
        InsightStatus::Open,
    )];
    let changes = reconcile_insights(
        &existing,
        vec![finding("a", InsightRule::InactiveClient, 80)],
        now(),
    );
    assert!(changes.to_write.is_empty());
    assert_eq!((changes.opened, changes.resolved), (0, 0));
}

#[test]
fn a_changed_finding_updates_and_keeps_status_created_at_and_version() {
    for status in [
        InsightStatus::Open,
        InsightStatus::Acknowledged,
        InsightStatus::Dismissed,
    ] {
        let existing = [stored("a", InsightRule::InactiveClient, 80, status)];
        let changes = reconcile_insights(
            &existing,
            vec![finding("a", InsightRule::InactiveClient, 90)],
            now(),
        );
        assert_eq!(changes.to_write.len(), 1, "{status:?}");
        let written = &changes.to_write[0];
        assert_eq!(written.status, status);
        assert_eq!(written.confidence, 90);
        assert_eq!(written.created_at, existing[0].created_at);
        assert_eq!(written.version, 3);
        assert_eq!(written.updated_at, now());
        assert_eq!((changes.opened, changes.resolved), (0, 0));
    }
}

#[test]
fn an_open_or_acknowledged_insight_that_no_longer_holds_is_resolved() {
    for status in [InsightStatus::Open, InsightStatus::Acknowledged] {
        let existing = [stored("a", InsightRule::InactiveClient, 80, status)];
        let changes = reconcile_insights(&existing, Vec::new(), now());
        assert_eq!(changes.resolved, 1);
        let written = &changes.to_write[0];
        assert_eq!(written.status, InsightStatus::Resolved);
        assert_eq!(written.status_changed_at, Some(now()));
        assert_eq!(written.status_changed_by.as_deref(), Some(ENGINE_ACTOR));
        assert_eq!(written.version, 3);
    }
}

#[test]
fn dismissed_and_resolved_insights_that_no_longer_hold_are_left_alone() {
    let existing = [
        stored(
            "a",
            InsightRule::InactiveClient,
            80,
            InsightStatus::Dismissed,
        ),
        stored(
            "b",
            InsightRule::InactiveClient,
            80,
            InsightStatus::Resolved,
        ),
    ];
    let changes = reconcile_insights(&existing, Vec::new(), now());
    assert!(changes.to_write.is_empty());
    assert_eq!((changes.opened, changes.resolved), (0, 0));
}

#[test]
fn a_resolved_insight_that_fires_again_reopens() {
    let existing = [stored(
        "a",
        InsightRule::InactiveClient,
        80,
        InsightStatus::Resolved,
    )];
    let changes = reconcile_insights(
        &existing,
        vec![finding("a", InsightRule::InactiveClient, 80)],
        now(),
    );
    assert_eq!(changes.opened, 1);
    let written = &changes.to_write[0];
    assert_eq!(written.status, InsightStatus::Open);
    assert_eq!(written.created_at, existing[0].created_at);
    assert_eq!(written.status_changed_at, Some(now()));
    assert_eq!(written.version, 3);
}

#[test]
fn a_dismissed_insight_stays_dismissed_when_it_fires_again() {
    let existing = [stored(
        "a",
        InsightRule::InactiveClient,
        80,
        InsightStatus::Dismissed,
    )];
    let changes = reconcile_insights(
        &existing,
        vec![finding("a", InsightRule::InactiveClient, 80)],
        now(),
    );
    assert!(changes.to_write.is_empty());
    assert_eq!(changes.opened, 0);
}

#[test]
fn writes_come_in_id_order() {
    let existing = [
        stored(
            "z",
            InsightRule::DecliningEngagement,
            80,
            InsightStatus::Open,
        ),
        stored("m", InsightRule::InactiveClient, 80, InsightStatus::Open),
    ];
    let fresh = vec![
        finding("b", InsightRule::UpsellOpportunity, 60),
        finding("a", InsightRule::InactiveClient, 60),
    ];
    let changes = reconcile_insights(&existing, fresh, now());
    let ids: Vec<&str> = changes.to_write.iter().map(|i| i.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    assert_eq!((changes.opened, changes.resolved), (2, 2));
}

#[test]
fn rerunning_the_engine_on_the_same_data_writes_nothing() {
    let snapshots = vec![
        client("a").last_contacted(45.0).build(),
        client("b").sent_emails(10).build(),
    ];
    let first = score_tenant(&tenant(), &snapshots, &HashMap::new(), &settings(), now());
    let stored = reconcile_insights(&[], first.insights, now()).to_write;
    assert!(!stored.is_empty());
    let later = now() + Duration::hours(1);
    let second = score_tenant(&tenant(), &snapshots, &HashMap::new(), &settings(), later);
    let changes = reconcile_insights(&stored, second.insights, later);
    assert!(
        changes
            .to_write
            .iter()
            .all(|i| i.rule == InsightRule::InactiveClient),
        "only the inactive client's day count can move in an hour"
    );
    assert_eq!((changes.opened, changes.resolved), (0, 0));
}

#[test]
fn a_client_that_becomes_active_again_has_its_inactive_insight_resolved() {
    let before = vec![client("a").last_contacted(45.0).build()];
    let first = score_tenant(&tenant(), &before, &HashMap::new(), &settings(), now());
    let stored = reconcile_insights(&[], first.insights, now()).to_write;
    let after = vec![client("a").last_contacted(45.0).note(0.5).build()];
    let second = score_tenant(&tenant(), &after, &HashMap::new(), &settings(), now());
    let changes = reconcile_insights(&stored, second.insights, now());
    let inactive = changes
        .to_write
        .iter()
        .find(|i| i.rule == InsightRule::InactiveClient)
        .expect("the inactive insight is written");
    assert_eq!(inactive.status, InsightStatus::Resolved);
    assert!(changes.resolved >= 1);
}

#[test]
fn a_snooze_holds_until_its_date_then_a_run_stores_it_open_again() {
    let snoozed_until = |at| Insight {
        snoozed_until: Some(at),
        status_reason: Some("waiting for the renewal call".to_owned()),
        ..stored("a", InsightRule::InactiveClient, 80, InsightStatus::Snoozed)
    };
    // Still snoozed: the finding holds, nothing to write.
    let future = [snoozed_until(now() + Duration::days(1))];
    let changes = reconcile_insights(
        &future,
        vec![finding("a", InsightRule::InactiveClient, 80)],
        now(),
    );
    assert!(changes.to_write.is_empty());

    // Run out: written open, the date gone, the reason kept; not announced as a new opening.
    let past = [snoozed_until(now() - Duration::hours(1))];
    let changes = reconcile_insights(
        &past,
        vec![finding("a", InsightRule::InactiveClient, 80)],
        now(),
    );
    assert_eq!(changes.to_write.len(), 1);
    let woken = &changes.to_write[0];
    assert_eq!(woken.status, InsightStatus::Open);
    assert_eq!(woken.snoozed_until, None);
    assert_eq!(
        woken.status_reason.as_deref(),
        Some("waiting for the renewal call")
    );
    assert_eq!(woken.status_changed_by.as_deref(), Some(ENGINE_ACTOR));
    assert_eq!(changes.opened, 0);

    // A snoozed insight whose condition is gone resolves like an open one.
    let changes = reconcile_insights(&future, vec![], now());
    assert_eq!(changes.resolved, 1);
    assert_eq!(changes.to_write[0].status, InsightStatus::Resolved);
    assert_eq!(changes.to_write[0].snoozed_until, None);
}
