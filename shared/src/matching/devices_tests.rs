use super::super::{match_records, match_records_linked, reconcile, ClientProfile};
use super::*;
use crate::domain::{ConnectionId, MatchingSettings, TenantId};
use chrono::{TimeZone, Utc};

fn client(id: &str, name: &str, domain: &str) -> ClientProfile {
    ClientProfile {
        client_id: ClientId::parse(id).unwrap(),
        name: name.into(),
        domains: vec![domain.into()],
    }
}

fn clients() -> Vec<ClientProfile> {
    vec![
        client("101", "Acme Inc", "acme.com"),
        client("102", "Globex", "globex.com"),
        client("103", "Initech", "initech.com"),
    ]
}

fn record(platform: Platform, id: &str, name: &str, serials: &[&str]) -> RecordProfile {
    RecordProfile {
        platform,
        connection_id: ConnectionId::parse(format!("{}-1", platform.as_str())).unwrap(),
        external_id: id.into(),
        names: Vec::new(),
        business_name: Some(name.into()),
        email_domain: None,
        website: None,
        verified_domains: Vec::new(),
        reference_ids: Vec::new(),
        device_serials: serials.iter().map(|s| s.to_string()).collect(),
    }
}

/// A Microsoft 365 tenant linked to Acme by its verified domain.
fn tenant_of_acme(serials: &[&str]) -> RecordProfile {
    RecordProfile {
        verified_domains: vec!["acme.com".into()],
        ..record(Platform::M365, "tenant-acme", "Acme", serials)
    }
}

fn matcher() -> Matcher {
    Matcher::new(&clients(), &[], MatchingSettings::default())
}

fn found(runs: &[RecordCandidates], at: usize) -> Vec<(String, f64, MatchMethod)> {
    runs[at]
        .candidates
        .iter()
        .map(|c| (c.client_id.to_string(), c.confidence, c.method))
        .collect()
}

#[test]
fn placeholders_short_and_repeated_serials_are_not_evidence() {
    for placeholder in [
        "To Be Filled By O.E.M.",
        " 0123456789 ",
        "Default string",
        "0000000",
        "abc",
        "",
    ] {
        assert_eq!(evidence_serial(placeholder), None, "{placeholder:?}");
    }
    assert_eq!(evidence_serial(" sn123456 ").as_deref(), Some("SN123456"));
}

#[test]
fn an_organisation_sharing_serials_with_a_linked_tenant_gets_its_client_at_080() {
    let records = [
        tenant_of_acme(&["SN0000000001", "SN0000000002", "SN0000000003"]),
        record(
            Platform::Ninjaone,
            "7",
            "Acme North",
            &["sn0000000001", "SN0000000002", "To Be Filled By O.E.M."],
        ),
    ];
    let runs = match_records(&matcher(), &records);
    assert_eq!(found(&runs, 0)[0].0, "101");
    assert_eq!(
        found(&runs, 1),
        [("101".to_string(), 0.80, MatchMethod::DeviceSerials)]
    );
    let evidence = &runs[1].candidates[0].evidence[0];
    assert_eq!(evidence.source_value, "2 shared device serials");
    assert!(
        evidence.client_value.contains("m365 tenant-acme"),
        "{evidence:?}"
    );
}

#[test]
fn device_evidence_adds_to_the_records_own_and_can_link_it() {
    let records = [
        tenant_of_acme(&["SN0000000001"]),
        RecordProfile {
            website: Some("https://www.acme.com".into()),
            ..record(Platform::Ninjaone, "7", "Acme", &["SN0000000001"])
        },
    ];
    let runs = match_records(&matcher(), &records);
    // Website 0.85 + device + name: 0.85 + 2 x 0.05.
    assert_eq!(found(&runs, 1)[0].1, 0.95);
    let methods: Vec<MatchMethod> = runs[1].candidates[0]
        .evidence
        .iter()
        .map(|e| e.method)
        .collect();
    assert_eq!(
        methods,
        [
            MatchMethod::Website,
            MatchMethod::DeviceSerials,
            MatchMethod::NormalisedName
        ]
    );
}

#[test]
fn same_platform_unlinked_and_unshared_records_give_no_device_evidence() {
    let records = [
        tenant_of_acme(&["SN0000000001"]),
        // Another tenant: same platform as the anchor.
        record(Platform::M365, "tenant-2", "Site", &["SN0000000001"]),
        // Not linked to anyone: vouches for nobody.
        record(Platform::Pax8, "p1", "Nobody", &["SN0000000009"]),
        record(Platform::Ninjaone, "8", "Other", &["SN0000000009"]),
    ];
    let runs = match_records(&matcher(), &records);
    assert!(found(&runs, 1).is_empty());
    assert!(found(&runs, 3).is_empty());
}

#[test]
fn a_serial_two_clients_carry_says_nothing() {
    let globex_tenant = RecordProfile {
        verified_domains: vec!["globex.com".into()],
        ..record(Platform::M365, "tenant-globex", "Globex", &["SN0000000001"])
    };
    let records = [
        tenant_of_acme(&["SN0000000001", "SN0000000002"]),
        globex_tenant,
        record(
            Platform::Ninjaone,
            "7",
            "Acme North",
            &["SN0000000001", "SN0000000002"],
        ),
    ];
    let runs = match_records(&matcher(), &records);
    assert_eq!(
        found(&runs, 2),
        [("101".to_string(), 0.80, MatchMethod::DeviceSerials)]
    );
    assert_eq!(
        runs[2].candidates[0].evidence[0].source_value,
        "1 shared device serials"
    );
}

#[test]
fn two_clients_within_the_margin_go_to_review() {
    let globex_tenant = RecordProfile {
        verified_domains: vec!["globex.com".into()],
        ..record(Platform::M365, "tenant-globex", "Globex", &["SN0000000005"])
    };
    let records = [
        tenant_of_acme(&["SN0000000001"]),
        globex_tenant,
        RecordProfile {
            website: Some("acme.com".into()),
            ..record(Platform::Ninjaone, "7", "Acme Globex", &["SN0000000005"])
        },
    ];
    let runs = match_records(&matcher(), &records);
    // Acme by website 0.85, Globex by devices 0.80: too close to choose.
    assert_eq!(
        found(&runs, 2),
        [
            ("101".to_string(), 0.85, MatchMethod::Website),
            ("102".to_string(), 0.80, MatchMethod::DeviceSerials)
        ]
    );
    let written = reconcile(
        &TenantId::parse("t1").unwrap(),
        &[],
        &runs[2..],
        &MatchingSettings::default(),
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
    );
    assert!(written
        .iter()
        .all(|c| c.status == CorrelationStatus::NeedsReview));
    assert_eq!(written.len(), 2);
}

#[test]
fn a_link_a_person_confirmed_anchors_and_a_device_link_does_not_chain() {
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    // A tenant with no evidence of its own, confirmed by a person as Initech.
    let tenant = record(Platform::M365, "tenant-x", "Zeta", &["SN0000000001"]);
    let org = record(
        Platform::Ninjaone,
        "7",
        "Site",
        &["SN0000000001", "SN0000000002"],
    );
    let pax = record(Platform::Pax8, "p1", "Other", &["SN0000000002"]);
    let records = [tenant.clone(), org, pax];
    let confirmed = Correlation {
        tenant_id: TenantId::parse("t1").unwrap(),
        client_id: ClientId::parse("103").unwrap(),
        platform: Platform::M365,
        connection_id: tenant.connection_id.clone(),
        external_id: tenant.external_id.clone(),
        method: MatchMethod::ExplicitId,
        evidence: Vec::new(),
        confidence: 1.0,
        status: CorrelationStatus::Confirmed,
        decided_by: Some("user-1".into()),
        decided_at: Some(now),
        created_at: now,
        updated_at: now,
    };
    let without = match_records(&matcher(), &records);
    assert!(found(&without, 1).is_empty());
    let with = match_records_linked(&matcher(), &records, &[confirmed]);
    assert_eq!(
        found(&with, 1),
        [("103".to_string(), 0.80, MatchMethod::DeviceSerials)]
    );
    // The organisation's own link rests on devices: it vouches for no one else.
    assert!(found(&with, 2).is_empty());
}

#[test]
fn a_clearly_different_name_speaks_against_device_evidence() {
    let records = [
        tenant_of_acme(&["SN0000000001"]),
        record(
            Platform::Ninjaone,
            "7",
            "Zenith Partners",
            &["SN0000000001"],
        ),
    ];
    let runs = match_records(&matcher(), &records);
    assert_eq!(
        found(&runs, 1),
        [("101".to_string(), 0.70, MatchMethod::DeviceSerials)]
    );
}

#[test]
fn the_order_of_records_changes_nothing() {
    let records = vec![
        tenant_of_acme(&["SN0000000001", "SN0000000002"]),
        record(Platform::Ninjaone, "7", "Site", &["SN0000000001"]),
        record(Platform::Pax8, "p1", "Acme Inc", &["SN0000000002"]),
    ];
    let forward = match_records(&matcher(), &records);
    let mut reversed = records.clone();
    reversed.reverse();
    let mut backward = match_records(&matcher(), &reversed);
    backward.reverse();
    assert_eq!(forward, backward);
}

#[test]
fn an_account_record_brings_each_evidence_at_its_score() {
    use crate::domain::{AccountIdentity, AccountRecord, AccountSignals, Productivity};
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let account = |platform: Platform, name: &str, identity: AccountIdentity| {
        let record = AccountRecord {
            connection_id: ConnectionId::parse(format!("{}-1", platform.as_str())).unwrap(),
            platform,
            external_id: "x".into(),
            name: name.into(),
            identity,
            signals: AccountSignals::Productivity(Productivity::default()),
            seen_at: at,
            updated_at: at,
        };
        RecordProfile::from(&record)
    };
    let best = |profile: RecordProfile| {
        let runs = match_records(&matcher(), &[profile]);
        found(&runs, 0)
            .first()
            .map(|(id, c, m)| (id.clone(), *c, *m))
    };
    let verified = AccountIdentity {
        verified_domains: vec!["acme.onmicrosoft.com".into(), "acme.com".into()],
        ..AccountIdentity::default()
    };
    assert_eq!(
        best(account(Platform::M365, "Acme Holdings", verified)),
        Some(("101".into(), 0.90, MatchMethod::VerifiedDomain))
    );
    let initial_only = AccountIdentity {
        verified_domains: vec!["acme.onmicrosoft.com".into()],
        ..AccountIdentity::default()
    };
    assert_eq!(
        best(account(Platform::M365, "Acme Holdings", initial_only)),
        None
    );
    let website = AccountIdentity {
        website: Some("https://www.globex.com/about".into()),
        ..AccountIdentity::default()
    };
    assert_eq!(
        best(account(Platform::Pax8, "Globex Ltd", website)),
        Some(("102".into(), 0.90, MatchMethod::Website))
    );
    let reference = AccountIdentity {
        reference_ids: vec!["103".into()],
        email_domains: vec!["initech.com".into(), "gmail.com".into()],
        ..AccountIdentity::default()
    };
    assert_eq!(
        best(account(Platform::Pax8, "Other", reference)),
        Some(("103".into(), 1.0, MatchMethod::ExplicitId))
    );
    let email = AccountIdentity {
        email_domains: vec!["initech.com".into()],
        ..AccountIdentity::default()
    };
    assert_eq!(
        best(account(Platform::Ninjaone, "Initech Holdings Group", email)),
        Some(("103".into(), 0.70, MatchMethod::EmailDomain))
    );
}
