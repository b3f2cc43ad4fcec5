//! The event contract: every sample in `events/` parses into the typed event its function takes, and
//! every event the product emits validates against its JSON Schema in `events/schemas/`.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::{TimeZone, Utc};
use serde_json::Value;
use shared::domain::{ClientId, ObjectRef, ObjectType, SyncId, SyncMode, SyncTrigger, TenantId};
use shared::events::{
    ProductEvent, ScoreDrop, ScoresUpdated, SyncRequested, TenantSynced, EVENT_SOURCE,
    SCHEMA_VERSION,
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
    for wanted in [
        "Scheduled Event",
        "SyncRequested",
        "TenantSynced",
        "ScoresUpdated",
    ] {
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
    ];
    for event in events {
        let detail: Value =
            serde_json::from_str(&event.detail_json().expect("serialises")).expect("JSON");
        let errors = schema_errors(event.detail_type(), &detail);
        assert!(errors.is_empty(), "{}: {errors:?}", event.detail_type());
    }
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
