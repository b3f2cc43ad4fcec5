//! Properties of entity matching over generated tenants: a free-mail address never links a record by
//! itself, the order of the inputs never changes the result, a rejected match never returns, a
//! mapping a person made always wins, every confidence stays within 0..=1, and device evidence comes
//! only from real serials shared with a record of another platform.

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use shared::domain::{
    ClientId, ConnectionId, Correlation, CorrelationStatus, MatchEvidence, MatchMethod,
    MatchingSettings, Platform, TenantId,
};
use shared::matching::{
    evidence_serial, is_shared_domain, match_records, normalise_domain, reconcile, ClientProfile,
    Matcher, RecordProfile,
};
use std::collections::BTreeMap;

/// Small pools, so that generated clients and records collide often: shared names, shared domains,
/// legal-form and accent variants, free mail.
const NAMES: &[&str] = &[
    "Acme Inc",
    "ACME LLC",
    "Globex",
    "Globex Corporation",
    "Initech",
    "Initech Ltd",
    "Umbrella",
    "Umbrela",
    "Hooli GmbH",
    "Stark Industries",
    "Société Générale",
    "Societe Generale SA",
];
const DOMAINS: &[&str] = &[
    "acme.com",
    "https://www.acme.com/",
    "globex.com",
    "eu.globex.com",
    "initech.io",
    "umbrella.co.uk",
    "hooli.com",
    "our-msp.com",
    "gmail.com",
    "outlook.com",
    "hotmail.fr",
    "yahoo.co.uk",
];
const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "hotmail.fr",
    "yahoo.co.uk",
    "gmx.de",
];
const OWN_DOMAINS: &[&str] = &["our-msp.com"];
/// Device serials: a few real ones shared across records, and vendors' placeholders.
const SERIALS: &[&str] = &[
    "SN0000000001",
    "SN0000000002",
    "sn0000000003",
    "To Be Filled By O.E.M.",
    "0123456789",
    "Default string",
];
const PLATFORMS: &[Platform] = &[Platform::Paypal, Platform::Ninjaone, Platform::M365];

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn tenant() -> TenantId {
    TenantId::parse("t1").unwrap()
}

fn connection() -> ConnectionId {
    ConnectionId::parse("paypal-1").unwrap()
}

fn pick(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(pool).prop_map(str::to_string)
}

fn client() -> impl Strategy<Value = ClientProfile> {
    (
        1u32..=12,
        pick(NAMES),
        prop::collection::vec(pick(DOMAINS), 0..=2),
    )
        .prop_map(|(id, name, domains)| ClientProfile {
            client_id: ClientId::parse(id.to_string()).unwrap(),
            name,
            domains,
        })
}

/// A record without its external id (given by position, so ids are distinct).
fn record_fields() -> impl Strategy<Value = RecordProfile> {
    (
        prop::option::of(pick(NAMES)),
        prop::option::of(pick(NAMES)),
        prop::option::of(pick(DOMAINS)),
        prop::option::of(pick(DOMAINS)),
        prop::option::of(prop_oneof![
            (1u32..=14).prop_map(|n| n.to_string()),
            Just("INV-7".to_string())
        ]),
        prop::sample::select(PLATFORMS),
        prop::collection::vec(pick(SERIALS), 0..=3),
    )
        .prop_map(
            |(business, name, email, website, reference, platform, serials)| RecordProfile {
                platform,
                connection_id: connection(),
                external_id: String::new(),
                names: name.into_iter().collect(),
                business_name: business,
                email_domain: email,
                website,
                verified_domains: vec![],
                reference_ids: reference.into_iter().collect(),
                device_serials: serials,
            },
        )
}

fn records(max: usize) -> impl Strategy<Value = Vec<RecordProfile>> {
    prop::collection::vec(record_fields(), 1..=max).prop_map(|mut records| {
        for (n, record) in records.iter_mut().enumerate() {
            record.external_id = format!("P{n}");
        }
        records
    })
}

fn settings() -> impl Strategy<Value = MatchingSettings> {
    prop_oneof![
        Just(MatchingSettings::default()),
        Just(MatchingSettings {
            auto_link: 0.70,
            review: 0.40,
            ambiguity_margin: 0.05,
        }),
    ]
}

fn run(
    clients: &[ClientProfile],
    records: &[RecordProfile],
    existing: &[Correlation],
    settings: MatchingSettings,
) -> Vec<Correlation> {
    let own: Vec<String> = OWN_DOMAINS.iter().map(|d| d.to_string()).collect();
    let matcher = Matcher::new(clients, &own, settings);
    let candidates = match_records(&matcher, records);
    reconcile(&tenant(), existing, &candidates, &settings, now())
}

/// The stored state after writing `written` over `existing`, by (record, client).
fn apply(
    existing: &[Correlation],
    written: &[Correlation],
) -> BTreeMap<(String, String), Correlation> {
    existing
        .iter()
        .chain(written)
        .map(|c| {
            (
                (c.external_id.clone(), c.client_id.as_str().to_string()),
                c.clone(),
            )
        })
        .collect()
}

fn decided(row: &Correlation, status: CorrelationStatus) -> Correlation {
    Correlation {
        status,
        decided_by: Some("user-1".into()),
        decided_at: Some(now()),
        ..row.clone()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_free_mail_address_never_links_a_record(
        clients in prop::collection::vec(client(), 1..12),
        mut records in records(12),
        free in prop::collection::vec(pick(FREE_MAIL), 12),
        settings in settings(),
    ) {
        for (record, free) in records.iter_mut().zip(free) {
            record.email_domain = Some(free);
            record.website = None;
            record.reference_ids.clear();
            record.business_name = None;
            record.names.clear();
        }
        let own: Vec<String> = OWN_DOMAINS.iter().map(|d| d.to_string()).collect();
        let matcher = Matcher::new(&clients, &own, settings);
        for found in match_records(&matcher, &records) {
            prop_assert!(found.candidates.is_empty(), "{:?}", found);
        }
        prop_assert!(run(&clients, &records, &[], settings).is_empty());
    }

    #[test]
    fn free_mail_is_never_domain_evidence_even_beside_other_evidence(
        clients in prop::collection::vec(client(), 1..12),
        records in records(12),
        settings in settings(),
    ) {
        for row in run(&clients, &records, &[], settings) {
            for evidence in &row.evidence {
                let domain_method = matches!(
                    evidence.method,
                    MatchMethod::EmailDomain | MatchMethod::Website | MatchMethod::VerifiedDomain
                );
                if domain_method {
                    let domain = normalise_domain(&evidence.source_value).unwrap_or_default();
                    prop_assert!(!is_shared_domain(&domain), "{:?}", evidence);
                    prop_assert!(!domain.ends_with("our-msp.com"), "{:?}", evidence);
                }
            }
        }
    }

    #[test]
    fn the_same_inputs_in_any_order_give_the_same_matches(
        (clients, shuffled_clients) in prop::collection::vec(client(), 0..14)
            .prop_flat_map(|c| (Just(c.clone()), Just(c).prop_shuffle())),
        (records, shuffled_records) in records(16)
            .prop_flat_map(|r| (Just(r.clone()), Just(r).prop_shuffle())),
        settings in settings(),
    ) {
        let first = run(&clients, &records, &[], settings);
        let second = run(&shuffled_clients, &shuffled_records, &[], settings);
        prop_assert_eq!(first, second);
    }

    #[test]
    fn a_rejected_match_never_returns(
        clients in prop::collection::vec(client(), 1..12),
        records in records(12),
        later in records(12),
        reject in prop::collection::vec(any::<bool>(), 32),
        settings in settings(),
    ) {
        let first = run(&clients, &records, &[], settings);
        let existing: Vec<Correlation> = first
            .iter()
            .zip(reject.iter().cycle())
            .map(|(row, &no)| if no { decided(row, CorrelationStatus::Rejected) } else { row.clone() })
            .collect();
        // The records change (same ids, new fields), and matching runs again, twice.
        let second = run(&clients, &later, &existing, settings);
        let state = apply(&existing, &second);
        let third = run(&clients, &later, &state.values().cloned().collect::<Vec<_>>(), settings);
        let state = apply(&state.values().cloned().collect::<Vec<_>>(), &third);
        for rejected in existing.iter().filter(|r| r.status == CorrelationStatus::Rejected) {
            let key = (rejected.external_id.clone(), rejected.client_id.as_str().to_string());
            prop_assert!(!second.iter().chain(&third).any(|w| (w.external_id.clone(), w.client_id.as_str().to_string()) == key));
            prop_assert_eq!(&state[&key], rejected);
        }
    }

    #[test]
    fn a_mapping_a_person_made_always_wins(
        clients in prop::collection::vec(client(), 1..12),
        records in records(12),
        mapped_record in 0usize..12,
        mapped_client in 1u32..=14,
        settings in settings(),
    ) {
        let first = run(&clients, &records, &[], settings);
        let record = &records[mapped_record % records.len()];
        let mapping = Correlation {
            tenant_id: tenant(),
            client_id: ClientId::parse(mapped_client.to_string()).unwrap(),
            platform: Platform::Paypal,
            connection_id: connection(),
            external_id: record.external_id.clone(),
            method: MatchMethod::ExplicitId,
            evidence: vec![MatchEvidence {
                method: MatchMethod::ExplicitId,
                source_value: "mapped by user-1".into(),
                client_value: mapped_client.to_string(),
                score: 1.0,
                agrees: true,
            }],
            confidence: 1.0,
            status: CorrelationStatus::Confirmed,
            decided_by: Some("user-1".into()),
            decided_at: Some(now()),
            created_at: now(),
            updated_at: now(),
        };
        let mut existing: Vec<Correlation> = first
            .into_iter()
            .filter(|r| !(r.external_id == mapping.external_id && r.client_id == mapping.client_id))
            .collect();
        existing.push(mapping.clone());
        let written = run(&clients, &records, &existing, settings);
        let state = apply(&existing, &written);
        let key = (mapping.external_id.clone(), mapping.client_id.as_str().to_string());
        prop_assert_eq!(&state[&key], &mapping);
        for ((external, client), row) in &state {
            if *external == mapping.external_id && *client != key.1 {
                prop_assert!(!row.status.is_linked(), "{:?}", row);
            }
        }
    }

    #[test]
    fn confidence_stays_within_zero_and_one(
        clients in prop::collection::vec(client(), 0..14),
        records in records(16),
        settings in settings(),
    ) {
        let own: Vec<String> = OWN_DOMAINS.iter().map(|d| d.to_string()).collect();
        let matcher = Matcher::new(&clients, &own, settings);
        for found in match_records(&matcher, &records) {
            for candidate in &found.candidates {
                prop_assert!((0.0..=1.0).contains(&candidate.confidence));
                prop_assert!(candidate.confidence >= settings.review);
                let explicit = candidate.evidence.iter().any(|e| e.agrees && e.method == MatchMethod::ExplicitId);
                prop_assert!(explicit || candidate.confidence <= 0.99);
            }
        }
        for row in run(&clients, &records, &[], settings) {
            prop_assert!((0.0..=1.0).contains(&row.confidence));
        }
    }

    #[test]
    fn device_evidence_needs_a_real_serial_shared_with_another_platform(
        clients in prop::collection::vec(client(), 0..14),
        records in records(16),
        settings in settings(),
    ) {
        let matcher = Matcher::new(&clients, &[], settings);
        let real = |r: &RecordProfile| -> Vec<String> {
            r.device_serials.iter().filter_map(|s| evidence_serial(s)).collect()
        };
        for (record, found) in records.iter().zip(match_records(&matcher, &records)) {
            let device = found
                .candidates
                .iter()
                .any(|c| c.evidence.iter().any(|e| e.method == MatchMethod::DeviceSerials));
            if device {
                let own = real(record);
                let shared = records.iter().any(|other| {
                    other.platform != record.platform
                        && real(other).iter().any(|s| own.contains(s))
                });
                prop_assert!(shared, "{:?}", found);
            }
        }
    }
}
