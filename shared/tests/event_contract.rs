//! The event contract: every sample in `events/` parses into the typed event its function takes, and
//! every event the product emits validates against its JSON Schema in `events/schemas/`.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::{TimeZone, Utc};
use serde_json::Value;
use shared::domain::{
    ClientId, Dimension, FactorMove, HealthBand, HealthLevel, Impact, InsightFacts, InsightId,
    InsightRule, MatchMethod, ObjectRef, ObjectType, Platform, SourceRef, SyncId, SyncMode,
    SyncTrigger, TenantId, MAX_MOVED_FACTORS,
};
use shared::events::{
    ClientHealthChanged, ExportRequested, InsightOpened, InsightResolved, ProductEvent, ScoreDrop,
    ScoresUpdated, SyncRequested, TenantSynced, EVENT_SOURCE, SCHEMA_VERSION,
};
use std::path::{Path, PathBuf};

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} cannot be read: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn validator(detail_type: &str) -> jsonschema::Validator {
    let schema = read_json(
        &events_dir()
            .join("schemas")
            .join(format!("{detail_type}.schema.json")),
    );
    jsonschema::validator_for(&schema)
        .unwrap_or_else(|e| panic!("the {detail_type} schema does not compile: {e}"))
}

fn schema_errors(detail_type: &str, detail: &Value) -> Vec<String> {
    validator(detail_type)
        .iter_errors(detail)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect()
}

#[test]
fn every_product_event_sample_parses_into_its_typed_event_and_matches_its_schema() {
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(events_dir()).expect("events/ exists") {
        let path = entry.expect("a directory entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let json = read_json(&path);
        if json.get("detail-type").is_none() {
            continue;
        }
        let event: EventBridgeEvent = serde_json::from_value(json.clone())
            .unwrap_or_else(|e| panic!("{} is not an EventBridge event: {e}", path.display()));
        if event.source == "aws.events" {
            assert_eq!(event.detail_type, "Scheduled Event", "{}", path.display());
            seen.push("Scheduled Event".to_string());
            continue;
        }
        assert_eq!(event.source, EVENT_SOURCE, "{}", path.display());
        let detail = serde_json::to_string(&event.detail).expect("detail serialises");
        let typed = ProductEvent::from_parts(&event.detail_type, &detail)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(typed.detail_type(), event.detail_type);
        let errors = schema_errors(&event.detail_type, &event.detail);
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        seen.push(event.detail_type);
    }
    for wanted in ["Scheduled Event"]
        .into_iter()
        .chain(ProductEvent::DETAIL_TYPES)
    {
        assert!(
            seen.iter().any(|s| s == wanted),
            "no sample of {wanted} in events/"
        );
    }
}

#[test]
fn every_api_gateway_sample_is_a_valid_http_api_request() {
    let mut count = 0;
    for entry in std::fs::read_dir(events_dir()).expect("events/ exists") {
        let path = entry.expect("a directory entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !name.starts_with("apigw-") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        let request = lambda_http::request::from_str(&text)
            .unwrap_or_else(|e| panic!("{name} is not an API Gateway request: {e}"));
        let json = read_json(&path);
        assert_eq!(
            request.uri().path(),
            json["rawPath"].as_str().unwrap_or_default(),
            "{name}"
        );
        assert_eq!(
            request.method().as_str(),
            json["requestContext"]["http"]["method"]
                .as_str()
                .unwrap_or_default(),
            "{name}"
        );
        count += 1;
    }
    assert!(
        count >= 6,
        "the main routes each have a sample ({count} found)"
    );
}

#[test]
fn the_webhook_sample_is_a_hubspot_event_batch() {
    let body = std::fs::read(events_dir().join("hubspot-webhook-batch.json")).expect("readable");
    let events = shared::ingest::parse_delivery(&body).expect("a HubSpot event array");
    assert_eq!(events.len(), 3);
}

fn tenant() -> TenantId {
    TenantId::parse("hs-1").unwrap()
}

fn at(h: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, h, 0, 0).unwrap()
}

#[test]
fn emitted_events_validate_against_their_schemas() {
    let sync_id = SyncId::parse("20261126T100000Z-abcd").unwrap();
    let events = [
        ProductEvent::SyncRequested(SyncRequested {
            schema_version: SCHEMA_VERSION,
            tenant_id: tenant(),
            connection_id: None,
            mode: SyncMode::Objects,
            objects: vec![ObjectRef {
                object_type: ObjectType::Contacts,
                id: "17".into(),
            }],
            payment_refs: Vec::new(),
            account_ids: Vec::new(),
            requested_by: SyncTrigger::Manual {
                requested_by: "user-1".into(),
            },
            sync_id: Some(sync_id.clone()),
            requested_at: at(10),
        }),
        ProductEvent::SyncRequested(SyncRequested {
            schema_version: SCHEMA_VERSION,
            tenant_id: tenant(),
            connection_id: Some(shared::domain::ConnectionId::parse("paypal-1").unwrap()),
            mode: SyncMode::Full,
            objects: vec![],
            payment_refs: Vec::new(),
            account_ids: Vec::new(),
            requested_by: SyncTrigger::Continuation {
                previous_sync_id: sync_id.to_string(),
            },
            sync_id: Some(sync_id.clone()),
            requested_at: at(10),
        }),
        ProductEvent::TenantSynced(TenantSynced {
            schema_version: SCHEMA_VERSION,
            tenant_id: tenant(),
            sync_id: sync_id.clone(),
            mode: SyncMode::Incremental,
            started_at: at(10),
            finished_at: at(11),
            counts: [(ObjectType::Companies, 3), (ObjectType::Emails, 9)].into(),
            changed_client_ids: vec![ClientId::parse("42").unwrap()],
            changed_clients: 1,
        }),
        ProductEvent::ScoresUpdated(ScoresUpdated {
            schema_version: SCHEMA_VERSION,
            tenant_id: tenant(),
            sync_id,
            clients_scored: 3,
            insights_opened: 1,
            insights_resolved: 0,
            score_drops: vec![ScoreDrop {
                client_id: ClientId::parse("42").unwrap(),
                previous: 80,
                current: 60,
            }],
        }),
        ProductEvent::ExportRequested(ExportRequested {
            schema_version: SCHEMA_VERSION,
            tenant_id: tenant(),
            export_id: shared::domain::ExportId::requested_at(at(10)),
            requested_at: at(10),
        }),
        ProductEvent::ErasureRequested(shared::events::ErasureRequested::new(
            tenant(),
            shared::domain::ErasureId::generate(),
            at(12),
        )),
    ];
    let client_changes = health_changes()
        .chain(insights_opened())
        .chain(insights_resolved());
    let mut seen = std::collections::BTreeSet::new();
    for event in events.into_iter().chain(client_changes) {
        let detail: Value =
            serde_json::from_str(&event.detail_json().expect("serialises")).expect("JSON");
        let errors = schema_errors(event.detail_type(), &detail);
        assert!(errors.is_empty(), "{}: {errors:?}", event.detail_type());
        seen.insert(event.detail_type());
    }
    assert_eq!(
        seen.len(),
        ProductEvent::DETAIL_TYPES.len(),
        "every detail-type is generated here: {seen:?}"
    );
}

fn sync_id() -> SyncId {
    SyncId::parse("20261126T100000Z-abcd").unwrap()
}

const BANDS: [HealthBand; 4] = [
    HealthBand::Healthy,
    HealthBand::Watch,
    HealthBand::AtRisk,
    HealthBand::Critical,
];

/// A `ClientHealthChanged` into every band from the next one, moving factors of every dimension
/// and platform, including factors that appeared and left.
fn health_changes() -> impl Iterator<Item = ProductEvent> {
    let factor = |i: usize| FactorMove {
        dimension: Dimension::ALL[i % Dimension::ALL.len()],
        name: format!("factor_{i}"),
        points_before: (i % 3 != 1).then_some(12.5 - i as f64),
        points_after: (i % 3 != 2).then_some(1.0 + i as f64),
        explanation: format!("why {i}"),
        source: Platform::ALL[i % Platform::ALL.len()],
    };
    (0..BANDS.len()).map(move |i| {
        let level = |band: HealthBand, overall: u8| HealthLevel {
            overall,
            band,
            churn_risk: 100 - overall,
        };
        ProductEvent::ClientHealthChanged(ClientHealthChanged {
            schema_version: SCHEMA_VERSION,
            tenant_id: tenant(),
            sync_id: sync_id(),
            client_id: ClientId::parse("42").unwrap(),
            client_name: "Acme".into(),
            lifecycle_stage: (i % 2 == 0).then(|| "customer".to_owned()),
            before: level(BANDS[(i + 1) % BANDS.len()], 60),
            after: level(BANDS[i], 100 - 25 * i as u8),
            moved_factors: (0..MAX_MOVED_FACTORS).map(|j| factor(i + j)).collect(),
            scored_at: at(10),
        })
    })
}

/// The facts of an insight of every rule, impact, platform and match method.
fn facts() -> impl Iterator<Item = InsightFacts> {
    const IMPACTS: [Impact; 4] = [Impact::Low, Impact::Medium, Impact::High, Impact::Critical];
    const METHODS: [MatchMethod; 8] = [
        MatchMethod::ExplicitId,
        MatchMethod::VerifiedDomain,
        MatchMethod::ContactEmail,
        MatchMethod::Website,
        MatchMethod::DeviceSerials,
        MatchMethod::EmailDomain,
        MatchMethod::NormalisedName,
        MatchMethod::FuzzyName,
    ];
    InsightRule::ALL.into_iter().enumerate().map(|(i, rule)| {
        let client_id = ClientId::parse(format!("client-{i}")).unwrap();
        InsightFacts {
            insight_id: shared::scoring::insight_id(&tenant(), &client_id, rule),
            client_id,
            client_name: format!("Client {i}"),
            lifecycle_stage: (i % 2 == 0).then(|| "opportunity".to_owned()),
            insight_type: rule.insight_type(),
            rule,
            title: format!("{rule:?}"),
            impact: IMPACTS[i % IMPACTS.len()],
            confidence: (i * 13 % 101) as u8,
            revenue_at_stake: (i % 2 == 1).then_some(1_500.0 * i as f64),
            top_recommendation: (i % 3 != 0).then(|| "Call them.".to_owned()),
            sources: vec![
                SourceRef::crm(),
                SourceRef {
                    platform: Platform::ALL[1 + i % (Platform::ALL.len() - 1)],
                    matched_by: Some(METHODS[i % METHODS.len()]),
                    match_confidence: Some(0.5 + (i % 11) as f64 / 20.0),
                },
            ],
        }
    })
}

fn insights_opened() -> impl Iterator<Item = ProductEvent> {
    facts().map(|insight| {
        ProductEvent::InsightOpened(InsightOpened {
            schema_version: SCHEMA_VERSION,
            tenant_id: tenant(),
            sync_id: sync_id(),
            insight,
            opened_at: at(10),
        })
    })
}

fn insights_resolved() -> impl Iterator<Item = ProductEvent> {
    facts().map(|insight| {
        ProductEvent::InsightResolved(InsightResolved {
            schema_version: SCHEMA_VERSION,
            tenant_id: tenant(),
            sync_id: sync_id(),
            insight,
            resolved_at: at(10),
        })
    })
}

#[test]
fn every_rule_and_method_reaches_the_insight_schemas() {
    // The generators above are what the schema enums are checked against: they must cover them.
    let rules: Vec<InsightRule> = facts().map(|f| f.rule).collect();
    assert_eq!(rules, InsightRule::ALL);
    assert!(InsightId::parse(facts().next().unwrap().insight_id.as_str()).is_ok());
}

#[test]
fn schemas_reject_what_the_contract_forbids() {
    let objects_without_objects = serde_json::json!({
        "schema_version": 1, "tenant_id": "t1", "mode": "objects",
        "requested_by": {"kind": "webhook"}, "requested_at": "2026-11-26T10:00:00Z"
    });
    assert!(!schema_errors("SyncRequested", &objects_without_objects).is_empty());
    let bad_tenant = serde_json::json!({
        "schema_version": 1, "tenant_id": "a#b", "mode": "full",
        "requested_by": {"kind": "schedule"}, "requested_at": "2026-11-26T10:00:00Z"
    });
    assert!(!schema_errors("SyncRequested", &bad_tenant).is_empty());
}

/// A change that makes a valid detail break the contract.
type Mutation = fn(&mut Value);

fn detail_of(event: ProductEvent) -> Value {
    serde_json::from_str(&event.detail_json().expect("serialises")).expect("JSON")
}

#[test]
fn the_client_change_schemas_reject_what_the_contract_forbids() {
    let valid = detail_of(health_changes().next().unwrap());
    assert!(schema_errors("ClientHealthChanged", &valid).is_empty());
    let mutations: [(&str, Mutation); 5] = [
        ("unknown band", |d| d["after"]["band"] = "fine".into()),
        ("overall over 100", |d| d["before"]["overall"] = 101.into()),
        ("a factor in neither score", |d| {
            d["moved_factors"][0]["points_before"] = Value::Null;
            d["moved_factors"][0]["points_after"] = Value::Null;
        }),
        ("more than the most moved factors", |d| {
            let factors = d["moved_factors"].as_array_mut().unwrap();
            factors.push(factors[0].clone());
        }),
        ("no sync id", |d| {
            d.as_object_mut().unwrap().remove("sync_id");
        }),
    ];
    for (what, mutate) in mutations {
        let mut detail = valid.clone();
        mutate(&mut detail);
        assert!(
            !schema_errors("ClientHealthChanged", &detail).is_empty(),
            "ClientHealthChanged accepts {what}"
        );
    }

    let opened = detail_of(insights_opened().next().unwrap());
    let resolved = detail_of(insights_resolved().next().unwrap());
    assert!(schema_errors("InsightOpened", &opened).is_empty());
    // Each event carries its own timestamp: a resolved one is not an opened one.
    assert!(!schema_errors("InsightOpened", &resolved).is_empty());
    assert!(!schema_errors("InsightResolved", &opened).is_empty());
    let mut unknown_rule = opened.clone();
    unknown_rule["rule"] = "gut_feeling".into();
    assert!(!schema_errors("InsightOpened", &unknown_rule).is_empty());
    let mut no_impact = resolved;
    no_impact.as_object_mut().unwrap().remove("impact");
    assert!(!schema_errors("InsightResolved", &no_impact).is_empty());
}
