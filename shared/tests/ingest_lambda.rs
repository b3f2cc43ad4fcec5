//! The webhook route as it runs on Lambda: API Gateway's request, converted by `lambda_http`, through
//! the router. Pins that the URI the signature covers is rebuilt from `PUBLIC_BASE_URL` and the path
//! `lambda_http` hands the router.

use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use secrecy::SecretString;
use serde_json::Value;
use shared::bus::InProcessBus;
use shared::domain::{ObjectType, Tenant, TenantStatus};
use shared::events::SyncRequested;
use shared::ingest::{parse_delivery, router, IngestState, PublicBaseUrl};
use shared::ports::TenantStore;
use shared::sources::hubspot::webhook::signature::{sign_v3, SignedRequest};
use shared::store::MemoryStore;
use std::sync::Arc;
use test_support::fixtures;
use tower::ServiceExt;

const CLIENT_SECRET: &str = "lambda-test-secret";
const API_GATEWAY_SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../events/apigw-hubspot-webhook.json"
);
const BATCH_SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../events/hubspot-webhook-batch.json"
);

fn tenant(portal_id: u64) -> Tenant {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
    fixtures::tenant("acme", Some(portal_id), TenantStatus::Active, t0)
}

#[test]
fn the_sample_batch_parses_into_typed_events() {
    let body = std::fs::read(BATCH_SAMPLE).unwrap();
    let events = parse_delivery(&body).unwrap();
    assert_eq!(events.len(), 3);
    let refs: Vec<(ObjectType, String)> = events
        .iter()
        .flat_map(|e| e.object_refs())
        .map(|r| (r.object_type, r.id))
        .collect();
    assert_eq!(
        refs,
        [
            (ObjectType::Contacts, "901".to_string()),
            (ObjectType::Companies, "5011".to_string()),
            (ObjectType::Deals, "7704".to_string()),
        ]
    );
}

#[tokio::test]
async fn api_gateway_request_signed_for_the_public_url_is_accepted() {
    let mut sample: Value =
        serde_json::from_str(&std::fs::read_to_string(API_GATEWAY_SAMPLE).unwrap()).unwrap();
    let host = sample["requestContext"]["domainName"]
        .as_str()
        .unwrap()
        .to_string();
    let body = sample["body"].as_str().unwrap().to_string();
    let public_base_url = format!("https://{host}");
    let timestamp = Utc::now().timestamp_millis().to_string();
    let signature = sign_v3(
        &SecretString::from(CLIENT_SECRET.to_string()),
        &SignedRequest {
            method: "POST",
            uri: &format!("{public_base_url}/webhooks/hubspot"),
            body: body.as_bytes(),
        },
        &timestamp,
    );
    sample["headers"]["x-hubspot-signature-v3"] = Value::from(signature);
    sample["headers"]["x-hubspot-request-timestamp"] = Value::from(timestamp);
    let request = lambda_http::request::from_str(&sample.to_string()).unwrap();

    let store = MemoryStore::new();
    let portal_id = parse_delivery(body.as_bytes()).unwrap()[0].portal_id;
    store.create_tenant(&tenant(portal_id)).await.unwrap();
    let bus = InProcessBus::new();
    let app = router(IngestState::new(
        Arc::new(store),
        Arc::new(bus.clone()),
        SecretString::from(CLIENT_SECRET.to_string()),
        PublicBaseUrl::parse(&public_base_url).unwrap(),
    ));

    let response = app.oneshot(request).await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let published = bus.published();
    assert_eq!(published.len(), 1);
    let request: SyncRequested = serde_json::from_value(published[0].detail.clone()).unwrap();
    let objects: Vec<(ObjectType, &str)> = request
        .objects
        .iter()
        .map(|o| (o.object_type, o.id.as_str()))
        .collect();
    assert_eq!(
        objects,
        [
            (ObjectType::Companies, "5011"),
            (ObjectType::Contacts, "901"),
            (ObjectType::Deals, "7704"),
        ]
    );
}

#[tokio::test]
async fn the_sample_with_its_placeholder_signature_is_refused() {
    let sample = std::fs::read_to_string(API_GATEWAY_SAMPLE).unwrap();
    let request = lambda_http::request::from_str(&sample).unwrap();
    let app = router(IngestState::new(
        Arc::new(MemoryStore::new()),
        Arc::new(InProcessBus::new()),
        SecretString::from(CLIENT_SECRET.to_string()),
        PublicBaseUrl::parse("https://abc123.execute-api.us-east-1.amazonaws.com").unwrap(),
    ));

    let response = app.oneshot(request).await.unwrap();

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
