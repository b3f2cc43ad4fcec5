use super::*;
use crate::domain::{ConnectionId, MatchEvidence, MatchMethod, Platform};
use chrono::TimeZone;

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, hour, 0, 0).unwrap()
}

fn tenant() -> TenantId {
    TenantId::parse("t1").unwrap()
}

fn key(external: &str) -> RecordKey {
    RecordKey {
        connection_id: ConnectionId::parse("paypal-1").unwrap(),
        external_id: external.into(),
    }
}

fn candidate(client: &str, method: MatchMethod, confidence: f64) -> Candidate {
    Candidate {
        client_id: ClientId::parse(client).unwrap(),
        method,
        evidence: vec![MatchEvidence {
            method,
            source_value: "acme.com".into(),
            client_value: "acme.com".into(),
            score: confidence,
            agrees: true,
        }],
        confidence,
    }
}

fn run(external: &str, candidates: Vec<Candidate>) -> RecordCandidates {
    RecordCandidates {
        record: key(external),
        platform: Platform::Paypal,
        candidates,
    }
}

fn stored(external: &str, client: &str, status: CorrelationStatus) -> Correlation {
    let found = candidate(client, MatchMethod::EmailDomain, 0.70);
    Correlation {
        tenant_id: tenant(),
        client_id: found.client_id,
        platform: Platform::Paypal,
        connection_id: key(external).connection_id,
        external_id: external.into(),
        method: found.method,
        evidence: found.evidence,
        confidence: found.confidence,
        status,
        decided_by: status.is_decided_by_person().then(|| "user-1".to_string()),
        decided_at: status.is_decided_by_person().then(|| at(1)),
        created_at: at(0),
        updated_at: at(1),
    }
}

fn statuses(rows: &[Correlation]) -> Vec<(String, String, CorrelationStatus)> {
    rows.iter()
        .map(|r| {
            (
                r.external_id.clone(),
                r.client_id.as_str().to_string(),
                r.status,
            )
        })
        .collect()
}

fn settings() -> MatchingSettings {
    MatchingSettings::default()
}

#[test]
fn a_clear_best_at_the_auto_threshold_links_itself_alone() {
    let found = [
        candidate("1", MatchMethod::VerifiedDomain, 0.90),
        candidate("2", MatchMethod::NormalisedName, 0.60),
    ];
    let decided = decide(&found, &settings());
    assert_eq!(decided.len(), 1);
    assert_eq!(decided[0].0.client_id.as_str(), "1");
    assert_eq!(decided[0].1, CorrelationStatus::Auto);
}

#[test]
fn two_clients_within_the_margin_both_go_to_review() {
    let found = [
        candidate("1", MatchMethod::VerifiedDomain, 0.95),
        candidate("2", MatchMethod::VerifiedDomain, 0.90),
    ];
    let decided = decide(&found, &settings());
    assert_eq!(
        decided.iter().map(|(_, s)| *s).collect::<Vec<_>>(),
        [
            CorrelationStatus::NeedsReview,
            CorrelationStatus::NeedsReview
        ]
    );
    // Exactly the margin apart is not closer than it.
    let apart = [
        candidate("1", MatchMethod::VerifiedDomain, 0.95),
        candidate("2", MatchMethod::Website, 0.85),
    ];
    assert_eq!(decide(&apart, &settings())[0].1, CorrelationStatus::Auto);
}

#[test]
fn between_the_thresholds_waits_and_below_review_is_nothing() {
    let found = [
        candidate("1", MatchMethod::EmailDomain, 0.75),
        candidate("2", MatchMethod::FuzzyName, 0.40),
    ];
    let decided = decide(&found, &settings());
    assert_eq!(decided.len(), 1);
    assert_eq!(decided[0].1, CorrelationStatus::NeedsReview);
}

#[test]
fn new_findings_are_written_with_now_and_unchanged_ones_are_not() {
    let runs = [run(
        "P1",
        vec![candidate("1", MatchMethod::EmailDomain, 0.70)],
    )];
    let written = reconcile(&tenant(), &[], &runs, &settings(), at(5));
    assert_eq!(
        statuses(&written),
        [("P1".into(), "1".into(), CorrelationStatus::NeedsReview)]
    );
    assert_eq!(written[0].created_at, at(5));
    assert!(reconcile(&tenant(), &written, &runs, &settings(), at(6)).is_empty());
}

#[test]
fn a_changed_finding_keeps_its_creation_time() {
    let existing = [stored("P1", "1", CorrelationStatus::NeedsReview)];
    let runs = [run("P1", vec![candidate("1", MatchMethod::Website, 0.90)])];
    let written = reconcile(&tenant(), &existing, &runs, &settings(), at(5));
    assert_eq!(written[0].status, CorrelationStatus::Auto);
    assert_eq!(written[0].created_at, at(0));
    assert_eq!(written[0].updated_at, at(5));
}

#[test]
fn a_rejected_pair_never_returns_and_no_longer_blocks_its_rival() {
    let existing = [stored("P1", "2", CorrelationStatus::Rejected)];
    let runs = [run(
        "P1",
        vec![
            candidate("1", MatchMethod::VerifiedDomain, 0.95),
            candidate("2", MatchMethod::VerifiedDomain, 0.95),
        ],
    )];
    let written = reconcile(&tenant(), &existing, &runs, &settings(), at(5));
    assert_eq!(
        statuses(&written),
        [("P1".into(), "1".into(), CorrelationStatus::Auto)]
    );
}

#[test]
fn a_person_link_wins_over_automatic_matches_of_the_record() {
    let existing = [
        stored("P1", "1", CorrelationStatus::Confirmed),
        stored("P1", "2", CorrelationStatus::Auto),
    ];
    let runs = [run(
        "P1",
        vec![
            candidate("2", MatchMethod::VerifiedDomain, 0.99),
            candidate("3", MatchMethod::Website, 0.85),
        ],
    )];
    let written = reconcile(&tenant(), &existing, &runs, &settings(), at(5));
    assert_eq!(
        statuses(&written),
        [("P1".into(), "2".into(), CorrelationStatus::NeedsReview)]
    );
    assert!(is_dormant(&written[0]));
}

#[test]
fn a_record_that_no_longer_matches_loses_its_link_once() {
    let existing = [stored("P1", "1", CorrelationStatus::Auto)];
    let runs = [run("P1", vec![])];
    let written = reconcile(&tenant(), &existing, &runs, &settings(), at(5));
    assert_eq!(written.len(), 1);
    assert!(is_dormant(&written[0]) && !written[0].status.is_linked());
    assert_eq!(written[0].created_at, at(0));
    assert!(reconcile(&tenant(), &written, &runs, &settings(), at(6)).is_empty());
}

#[test]
fn records_outside_the_run_and_other_tenants_rows_are_left_alone() {
    let mut foreign = stored("P1", "1", CorrelationStatus::Auto);
    foreign.tenant_id = TenantId::parse("t2").unwrap();
    let existing = [stored("P9", "1", CorrelationStatus::Auto), foreign];
    let runs = [run(
        "P1",
        vec![candidate("1", MatchMethod::EmailDomain, 0.70)],
    )];
    let written = reconcile(&tenant(), &existing, &runs, &settings(), at(5));
    assert_eq!(
        statuses(&written),
        [("P1".into(), "1".into(), CorrelationStatus::NeedsReview)]
    );
    assert_eq!(written[0].tenant_id, tenant());
}
