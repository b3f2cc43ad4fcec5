//! PayPal webhooks through the ingest router, on the in-process store and bus, verified by a
//! scripted payments platform: a verified delivery becomes one targeted sync of its connection,
//! unverified and unknown deliveries are refused, a redelivery publishes nothing more, and a
//! delivery whose publish failed is processed when PayPal sends it again.

mod payments_support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use payments_support::*;
use secrecy::SecretString;
use serde_json::{json, Value};
use shared::bus::InProcessBus;
use shared::domain::{ConnectionStatus, PaymentRef, Platform, SyncMode, SyncTrigger};
use shared::ingest::{paypal_webhook_path, router, IngestState, PublicBaseUrl};
use shared::ports::{ConnectionSources, ConnectionStore};
use shared::store::MemoryStore;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use test_support::bus::FlakyBus;
use test_support::fixtures::sync_requests;
use tower::ServiceExt;

struct Harness {
    store: MemoryStore,
    bus: InProcessBus,
    factory: Arc<ScriptedFactory>,
    app: Router,
}

async fn harness_with_bus_failures(failures: usize) -> Harness {
    let store = seeded_store().await;
    let bus = InProcessBus::new();
    let flaky = FlakyBus::new(bus.clone(), failures);
    let factory = ScriptedFactory::new(ScriptedSource::new(vec![], Faults::default()));
    let state = IngestState::new(
        Arc::new(store.clone()),
        Arc::new(flaky),
        SecretString::from("hubspot-secret".to_string()),
        PublicBaseUrl::parse("https://hooks.example.com").unwrap(),
    )
    .with_connection_sources(
        Arc::new(store.clone()),
        ConnectionSources::new().with_payments(Platform::Paypal, factory.clone()),
    );
    Harness {
        store,
        bus,
        factory,
        app: router(state),
    }
}

async fn harness() -> Harness {
    harness_with_bus_failures(0).await
}

fn invoice_paid(event_id: &str) -> Value {
    json!({
        "id": event_id,
        "event_version": "1.0",
        "create_time": "2026-11-26T10:00:00Z",
        "resource_type": "invoices",
        "event_type": "INVOICING.INVOICE.PAID",
        "summary": "An invoice was paid",
        "resource": { "id": "INV2-Z56S-5LLA-Q52L-CPZ5" }
    })
}

fn delivery(path: &str, signature: &str, body: &Value) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/json")
        .header(
            "paypal-transmission-id",
            "69cd13f0-d67a-11e5-baa3-778b53f4ae55",
        )
        .header(SIGNATURE_HEADER, signature)
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn to_acme(signature: &str, body: &Value) -> Request<Body> {
    let path = paypal_webhook_path(&tenant_id("acme"), &connection_id(CONNECTION));
    delivery(&path, signature, body)
}

async fn send(h: &Harness, request: Request<Body>) -> (StatusCode, Value) {
    let response = h.app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_verified_delivery_becomes_one_targeted_sync_of_its_connection() {
    let h = harness().await;

    let (status, body) = send(&h, to_acme(GOOD_SIGNATURE, &invoice_paid("WH-1"))).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sync_requested"], true);
    let requests = sync_requests(&h.bus);
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.tenant_id, tenant_id("acme"));
    assert_eq!(request.connection_id, Some(connection_id(CONNECTION)));
    assert_eq!(request.mode, SyncMode::Objects);
    assert_eq!(request.requested_by, SyncTrigger::Webhook);
    assert_eq!(
        request.payment_refs,
        vec![PaymentRef::Invoice("INV2-Z56S-5LLA-Q52L-CPZ5".into())]
    );
}

#[tokio::test]
async fn a_delivery_with_a_bad_signature_is_refused_and_changes_nothing() {
    let h = harness().await;

    let (status, body) = send(&h, to_acme("forged", &invoice_paid("WH-2"))).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        !body.to_string().contains("INV2"),
        "the body is not echoed: {body}"
    );
    assert!(sync_requests(&h.bus).is_empty());
    // Its id was not recorded: the genuine delivery of the same event is processed.
    let (status, body) = send(&h, to_acme(GOOD_SIGNATURE, &invoice_paid("WH-2"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["duplicate"], false);
    assert_eq!(sync_requests(&h.bus).len(), 1);
}

#[tokio::test]
async fn a_duplicate_delivery_publishes_once() {
    let h = harness().await;

    let (first, _) = send(&h, to_acme(GOOD_SIGNATURE, &invoice_paid("WH-3"))).await;
    let (second, body) = send(&h, to_acme(GOOD_SIGNATURE, &invoice_paid("WH-3"))).await;

    assert_eq!((first, second), (StatusCode::OK, StatusCode::OK));
    assert_eq!(body["duplicate"], true);
    assert_eq!(sync_requests(&h.bus).len(), 1);
}

#[tokio::test]
async fn unknown_connections_are_refused_before_anything_is_verified() {
    let h = harness().await;
    let other_tenant = paypal_webhook_path(&tenant_id("globex"), &connection_id(CONNECTION));
    let other_connection = paypal_webhook_path(&tenant_id("acme"), &connection_id("paypal-9"));

    for path in [
        other_tenant.as_str(),
        other_connection.as_str(),
        "/webhooks/paypal/acme/not%23an%23id",
    ] {
        let (status, _) = send(&h, delivery(path, GOOD_SIGNATURE, &invoice_paid("WH-4"))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(h.factory.verifications.load(Ordering::SeqCst), 0);
    assert!(sync_requests(&h.bus).is_empty());
}

#[tokio::test]
async fn a_verified_body_that_is_no_event_is_a_bad_request() {
    let h = harness().await;
    let request = Request::builder()
        .method("POST")
        .uri(paypal_webhook_path(
            &tenant_id("acme"),
            &connection_id(CONNECTION),
        ))
        .header(SIGNATURE_HEADER, GOOD_SIGNATURE)
        .body(Body::from("not json"))
        .unwrap();

    let (status, _) = send(&h, request).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(sync_requests(&h.bus).is_empty());
}

#[tokio::test]
async fn events_about_nothing_we_sync_and_paused_connections_are_acknowledged_without_a_sync() {
    let h = harness().await;
    let mut other = invoice_paid("WH-5");
    other["event_type"] = "CATALOG.PRODUCT.CREATED".into();
    let (status, body) = send(&h, to_acme(GOOD_SIGNATURE, &other)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["sync_requested"], false);

    let mut connection = h
        .store
        .get_connection(&tenant_id("acme"), &connection_id(CONNECTION))
        .await
        .unwrap();
    connection.status = ConnectionStatus::Paused;
    h.store.update_connection(&connection).await.unwrap();
    let (status, body) = send(&h, to_acme(GOOD_SIGNATURE, &invoice_paid("WH-6"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["sync_requested"], false);

    assert!(sync_requests(&h.bus).is_empty());
}

#[tokio::test]
async fn a_delivery_whose_publish_failed_is_processed_when_paypal_sends_it_again() {
    let h = harness_with_bus_failures(1).await;

    let (status, _) = send(&h, to_acme(GOOD_SIGNATURE, &invoice_paid("WH-7"))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(sync_requests(&h.bus).is_empty());

    let (status, body) = send(&h, to_acme(GOOD_SIGNATURE, &invoice_paid("WH-7"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["duplicate"], false,
        "the failed attempt's id was forgotten"
    );
    assert_eq!(sync_requests(&h.bus).len(), 1);
}
