use super::*;
use crate::domain::{ChurnReason, ClientOutcomeRecord, OutcomeDefinition};
use chrono::{Duration, TimeZone};
use serde_json::json;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

fn id() -> ClientId {
    ClientId::parse("c-1").unwrap()
}

fn snapshot(stage: Option<&str>, deals: serde_json::Value) -> ClientSnapshot {
    serde_json::from_value(json!({
        "client_id": "c-1",
        "name": "Acme",
        "lifecycle_stage": stage,
        "deals": deals,
        "updated_at": "2026-11-30T00:00:00Z",
    }))
    .unwrap()
}

fn deal(id: &str, won: bool, days_ago: i64) -> serde_json::Value {
    json!({
        "id": id, "is_closed": true, "is_closed_won": won,
        "close_date": (now() - Duration::days(days_ago)).to_rfc3339(),
    })
}

fn observe(
    previous: Option<&ClientOutcomeRecord>,
    snapshot: Option<&ClientSnapshot>,
) -> Option<ClientOutcomeRecord> {
    observe_outcome(
        previous,
        &id(),
        snapshot,
        None,
        &OutcomeDefinition::default(),
        now(),
    )
}

#[test]
fn a_prospect_gets_no_record_and_never_churns() {
    let prospect = snapshot(Some("opportunity"), json!([deal("d1", false, 10)]));
    assert_eq!(observe(None, Some(&prospect)), None);
    assert_eq!(
        observe(None, None),
        None,
        "a prospect leaving the CRM is no churn"
    );
}

#[test]
fn a_customer_is_recorded_once_and_then_left_alone() {
    let customer = snapshot(Some("customer"), json!([]));
    let first = observe(None, Some(&customer)).unwrap();
    assert_eq!(first.customer_since, Some(now()));
    assert!(first.stage_was_customer);
    assert_eq!(first.churned_at, None);
    assert_eq!(observe(Some(&first), Some(&customer)), None, "nothing new");
}

#[test]
fn leaving_the_customer_stage_is_a_churn_only_after_being_on_it() {
    let customer = snapshot(Some("customer"), json!([]));
    let record = observe(None, Some(&customer)).unwrap();
    let left = snapshot(Some("other"), json!([]));
    let churned = observe(Some(&record), Some(&left)).unwrap();
    assert_eq!(churned.churned_at, Some(now()));
    assert_eq!(churned.reason, Some(ChurnReason::LeftCustomerStage));

    // A customer by a won deal whose stage never said customer has not "left" it.
    let by_deal = snapshot(Some("opportunity"), json!([deal("d1", true, 100)]));
    let record = observe(None, Some(&by_deal)).unwrap();
    assert!(!record.stage_was_customer);
    assert_eq!(observe(Some(&record), Some(&by_deal)), None);
}

#[test]
fn a_lost_renewal_after_a_won_deal_churns_at_its_close_date() {
    let lost_renewal = snapshot(
        Some("customer"),
        json!([deal("d1", true, 400), deal("d2", false, 20)]),
    );
    let record = observe(None, Some(&lost_renewal)).unwrap();
    assert_eq!(record.churned_at, Some(now() - Duration::days(20)));
    assert_eq!(record.reason, Some(ChurnReason::RenewalLost));

    // A lost upsell while a renewal is open, or a lost first sale, is not a churn.
    let open_renewal = snapshot(
        Some("customer"),
        json!([deal("d1", true, 400), deal("d2", false, 20),
               {"id": "d3", "is_closed": false, "is_closed_won": false}]),
    );
    assert_eq!(observe(None, Some(&open_renewal)).unwrap().churned_at, None);
    let won_after = snapshot(
        Some("customer"),
        json!([deal("d1", false, 400), deal("d2", true, 20)]),
    );
    assert_eq!(observe(None, Some(&won_after)).unwrap().churned_at, None);
}

#[test]
fn a_customer_leaving_the_crm_churned_when_seen_and_a_churn_stays() {
    let record = observe(None, Some(&snapshot(Some("customer"), json!([])))).unwrap();
    let archived = observe(Some(&record), None).unwrap();
    assert_eq!(archived.reason, Some(ChurnReason::Archived));
    assert_eq!(archived.churned_at, Some(now()));
    // Back in the CRM as a customer: the first churn is kept.
    let back = snapshot(Some("customer"), json!([]));
    assert_eq!(observe(Some(&archived), Some(&back)), None);
}

#[test]
fn a_signal_the_tenant_turned_off_is_not_a_churn() {
    let definition = OutcomeDefinition {
        renewal_lost: false,
        archived: false,
        ..OutcomeDefinition::default()
    };
    let lost_renewal = snapshot(
        Some("customer"),
        json!([deal("d1", true, 400), deal("d2", false, 20)]),
    );
    let record =
        observe_outcome(None, &id(), Some(&lost_renewal), None, &definition, now()).unwrap();
    assert_eq!(record.churned_at, None);
    let gone = observe_outcome(Some(&record), &id(), None, None, &definition, now());
    assert_eq!(gone, None);
}

#[test]
fn the_definition_refuses_no_signal_and_a_horizon_out_of_range() {
    assert_eq!(OutcomeDefinition::default().problem(), None);
    let none = OutcomeDefinition {
        renewal_lost: false,
        left_customer_stage: false,
        subscriptions_cancelled: false,
        archived: false,
        ..OutcomeDefinition::default()
    };
    assert_eq!(none.problem().map(|p| p.0), Some("outcomes"));
    let short = OutcomeDefinition {
        horizon_days: 7,
        ..OutcomeDefinition::default()
    };
    assert_eq!(short.problem().map(|p| p.0), Some("outcomes.horizon_days"));
}
