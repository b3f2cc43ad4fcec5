use crate::{full_walk, it, projection, sandbox, small_config, source, source_with, walk};
use ninjaone_sandbox::{SandboxConfig, Ticketing};
use shared::domain::AlertSeverity;
use shared::ports::source::AccountsSource;
use shared::sources::ninjaone::NinjaoneSettings;
use std::collections::BTreeMap;

#[tokio::test]
async fn a_full_walk_finds_what_the_simulator_holds() {
    let sandbox = sandbox(small_config()).await;
    let source = source(&sandbox).await;
    let accounts = full_walk(&source).await;
    let truth = sandbox.truth();
    assert_eq!(accounts.len(), truth.len(), "every organisation, no other");
    let anchor = sandbox.anchor();
    let mut domain_first = 0;
    for org in &truth {
        let record = &accounts[&org.external_id];
        let it = it(record);
        assert_eq!(record.name, org.name);
        assert_eq!(it.devices.len(), org.devices, "devices of {}", org.name);
        assert_eq!(
            it.devices.iter().filter(|d| d.offline).count(),
            org.offline_devices,
            "offline devices of {}",
            org.name
        );
        assert_eq!(
            it.devices
                .iter()
                .filter(|d| d.offline_longer_than(7, anchor))
                .count(),
            org.long_offline_devices,
            "long offline devices of {}",
            org.name
        );
        assert_eq!(it.alerts.len(), org.active_alerts, "alerts of {}", org.name);
        assert_eq!(
            it.alerts
                .iter()
                .filter(|a| matches!(a.severity, AlertSeverity::Critical | AlertSeverity::Major))
                .count(),
            org.critical_or_major_alerts
        );
        assert_eq!(
            it.devices.iter().map(|d| d.failed_patches).sum::<u32>(),
            org.failed_patches
        );
        let mut serials = record.identity.device_serials.clone();
        serials.sort();
        let mut expected = org.serials.clone();
        expected.sort();
        assert_eq!(serials, expected, "serials without placeholders");
        assert_eq!(
            it.devices.iter().filter(|d| d.serial.is_none()).count(),
            org.placeholder_serials
        );
        match (&org.hubspot_id, org.has_reference) {
            (Some(id), true) => assert_eq!(record.identity.reference_ids, vec![id.clone()]),
            _ => assert!(record.identity.reference_ids.is_empty()),
        }
        assert!(it.ticketing);
        assert_eq!(
            it.tickets.iter().filter(|t| t.open).count(),
            org.open_tickets,
            "open tickets of {}",
            org.name
        );
        assert!(it.tickets.len() <= org.tickets);
        assert!(it
            .tickets
            .iter()
            .all(|t| t.open || anchor - t.created_at <= chrono::Duration::days(90)));
        assert!(record
            .identity
            .email_domains
            .iter()
            .all(|d| !d.contains('@')));
        if record.identity.email_domains.first() == Some(&org.email_domain) {
            domain_first += 1;
        }
    }
    assert!(
        domain_first * 10 >= truth.len() * 8,
        "the organisation's own domain comes first for most ({domain_first}/{})",
        truth.len()
    );
    assert!(
        truth.iter().any(|t| t.placeholder_serials > 0),
        "the data exercises placeholders"
    );
}

#[tokio::test]
async fn a_walk_in_small_steps_resumes_from_a_serialised_cursor() {
    let sandbox = sandbox(small_config()).await;
    let whole = full_walk(&source(&sandbox).await).await;
    let small = NinjaoneSettings {
        orgs_per_step: 3,
        page_size: 4,
        ..NinjaoneSettings::default()
    };
    let mut accounts = BTreeMap::new();
    let first = source_with(&sandbox, small.clone()).await;
    let cursor = walk(&first, None, 2, &mut accounts)
        .await
        .expect("two steps")
        .expect("more to walk");
    assert!(accounts.len() <= 6, "two steps of three organisations");
    // The cursor survives a checkpoint; a new source (another invocation) carries on.
    let stored: String =
        serde_json::from_str(&serde_json::to_string(&cursor).expect("json")).expect("json");
    let second = source_with(&sandbox, small).await;
    let rest = walk(&second, Some(stored), 1_000, &mut accounts)
        .await
        .expect("the rest");
    assert!(rest.is_none());
    let project = |m: &BTreeMap<String, shared::domain::AccountRecord>| -> Vec<String> {
        m.values().map(projection).collect()
    };
    assert_eq!(project(&accounts), project(&whole));
    let bad = second
        .fetch_step(shared::ports::source::FetchWindow::All, Some("hubspot:xyz"))
        .await;
    assert!(matches!(
        bad,
        Err(shared::ports::source::SourceError::InvalidCursor(_))
    ));
}

#[tokio::test]
async fn without_ticketing_tickets_are_unknown_not_zero() {
    for refusal in [Ticketing::Forbidden, Ticketing::NotFound] {
        let sandbox = sandbox(SandboxConfig {
            ticketing: refusal,
            ..small_config()
        })
        .await;
        let accounts = full_walk(&source(&sandbox).await).await;
        assert!(!accounts.is_empty());
        for record in accounts.values() {
            assert!(!it(record).ticketing, "{refusal:?}");
            assert!(it(record).tickets.is_empty());
        }
        assert!(!sandbox
            .stats()
            .by_route
            .contains_key("POST /v2/ticketing/trigger/board/{id}/run"));
    }
}

#[tokio::test]
async fn timestamps_in_milliseconds_read_the_same() {
    let sandbox = sandbox(SandboxConfig {
        epoch_millis: true,
        ..small_config()
    })
    .await;
    let accounts = full_walk(&source(&sandbox).await).await;
    let anchor = sandbox.anchor();
    for org in sandbox.truth() {
        let it = it(&accounts[&org.external_id]);
        assert_eq!(
            it.devices
                .iter()
                .filter(|d| d.offline_longer_than(7, anchor))
                .count(),
            org.long_offline_devices
        );
        assert!(it
            .devices
            .iter()
            .all(|d| d.last_contact.is_some_and(|at| at <= anchor)));
    }
}

#[tokio::test]
async fn targeted_reads_give_whole_records_of_the_organisations_named() {
    let sandbox = sandbox(small_config()).await;
    let source = source(&sandbox).await;
    let whole = full_walk(&source).await;
    let truth = sandbox.truth();
    let wanted = vec![
        truth[0].external_id.clone(),
        truth[3].external_id.clone(),
        "999999".to_owned(),
        "not-an-org".to_owned(),
    ];
    sandbox.reset_stats();
    let records = source.fetch_accounts(&wanted).await.expect("targeted read");
    let got: Vec<String> = records.iter().map(projection).collect();
    let expected = vec![
        projection(&whole[&truth[0].external_id]),
        projection(&whole[&truth[3].external_id]),
    ];
    assert_eq!(
        got, expected,
        "the same as the walk's, missing ids left out"
    );
    let stats = sandbox.stats();
    assert!(stats
        .by_route
        .contains_key("GET /v2/organization/{id}/end-users"));
    assert!(
        !stats
            .by_route
            .contains_key("GET /v2/organizations-detailed"),
        "no listing of the whole instance"
    );
}
