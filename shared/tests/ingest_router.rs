//! The webhook route, through the router, on the in-process store and bus.

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use chrono::{DateTime, Duration, TimeZone, Utc};
use secrecy::SecretString;
use serde_json::{json, Value};
use shared::bus::InProcessBus;
use shared::domain::{
    ClientId, ClientSnapshot, ContactSummary, Engagement, EngagementKind, ObjectRef, ObjectType,
    SyncMode, SyncTrigger, Tenant, TenantId, TenantStatus,
};
use shared::events::{ProductEvent, SyncRequested};
use shared::ingest::{router, IngestState, PublicBaseUrl};
use shared::ports::{BusError, EventBus, SnapshotStore, TenantStore};
use shared::sources::hubspot::webhook::signature::{sign_v1, sign_v3, SignedRequest};
use shared::store::MemoryStore;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use test_support::bus::FlakyBus;
use test_support::fixtures;
use tower::ServiceExt;

const CLIENT_SECRET: &str = "test-client-secret";
const PUBLIC_BASE_URL: &str = "https://hooks.example.com";
const ACME_PORTAL: u64 = 101;
const GLOBEX_PORTAL: u64 = 202;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()
}

fn tenant(id: &str, portal: u64, status: TenantStatus) -> Tenant {
    fixtures::tenant(id, Some(portal), status, t0())
}

struct Harness {
    store: MemoryStore,
    bus: InProcessBus,
    app: Router,
}

async fn harness_with_bus_failures(failures: usize) -> Harness {
    let store = MemoryStore::new();
    for tenant in [
        tenant("acme", ACME_PORTAL, TenantStatus::Active),
        tenant("globex", GLOBEX_PORTAL, TenantStatus::Active),
        tenant("initech", 303, TenantStatus::Disabled),
    ] {
        store.create_tenant(&tenant).await.unwrap();
    }
    let bus = InProcessBus::new();
    let flaky = FlakyBus::new(bus.clone(), failures);
    let state = IngestState::new(
        Arc::new(store.clone()),
        Arc::new(flaky),
        SecretString::from(CLIENT_SECRET.to_string()),
        PublicBaseUrl::parse(PUBLIC_BASE_URL).unwrap(),
    );
    Harness {
        store,
        bus,
        app: router(state),
    }
}

async fn harness() -> Harness {
    harness_with_bus_failures(0).await
}

fn signed_at(path_and_query: &str, body: &str, at: DateTime<Utc>) -> Request<Body> {
    let timestamp = at.timestamp_millis().to_string();
    let uri = format!("{PUBLIC_BASE_URL}{path_and_query}");
    let signature = sign_v3(
        &SecretString::from(CLIENT_SECRET.to_string()),
        &SignedRequest {
            method: "POST",
            uri: &shared::sources::hubspot::webhook::signature::decode_for_signature(&uri),
            body: body.as_bytes(),
        },
        &timestamp,
    );
    Request::builder()
        .method("POST")
        .uri(path_and_query)
        .header("content-type", "application/json")
        .header("x-hubspot-signature-v3", signature)
        .header("x-hubspot-request-timestamp", timestamp)
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn signed(body: &str) -> Request<Body> {
    signed_at("/webhooks/hubspot", body, Utc::now())
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, body)
}

/// The sync requests ingest published; ingest publishes nothing else.
fn sync_requests(bus: &InProcessBus) -> Vec<SyncRequested> {
    let published = bus.published();
    assert!(published.iter().all(|d| d.detail_type == "SyncRequested"));
    fixtures::sync_requests(bus)
}

fn request_for<'a>(requests: &'a [SyncRequested], tenant: &str) -> &'a SyncRequested {
    let matching: Vec<_> = requests
        .iter()
        .filter(|r| r.tenant_id.as_str() == tenant)
        .collect();
    assert_eq!(matching.len(), 1, "one request for {tenant}: {requests:?}");
    matching[0]
}

fn objects(request: &SyncRequested) -> Vec<(ObjectType, &str)> {
    request
        .objects
        .iter()
        .map(|ObjectRef { object_type, id }| (*object_type, id.as_str()))
        .collect()
}

fn event(event_id: u64, portal: u64, subscription_type: &str, object_id: u64) -> Value {
    json!({
        "eventId": event_id, "subscriptionId": 7, "portalId": portal, "appId": 9,
        "occurredAt": 1_764_150_000_000_i64, "subscriptionType": subscription_type,
        "attemptNumber": 0, "objectId": object_id, "changeSource": "CRM"
    })
}

#[tokio::test]
async fn batch_from_two_portals_gives_one_sync_request_per_tenant() {
    let h = harness().await;
    let body = json!([
        event(1, ACME_PORTAL, "company.propertyChange", 1001),
        event(2, GLOBEX_PORTAL, "contact.associationChange", 0)
            .as_object()
            .cloned()
            .map(|mut e| {
                e.remove("objectId");
                e.insert("associationType".into(), json!("CONTACT_TO_COMPANY"));
                e.insert("fromObjectId".into(), json!(55));
                e.insert("toObjectId".into(), json!(2002));
                Value::Object(e)
            })
            .unwrap(),
        event(3, ACME_PORTAL, "deal.creation", 3003),
        event(4, ACME_PORTAL, "company.propertyChange", 1001),
        json!({"eventId": 5, "portalId": ACME_PORTAL, "subscriptionType": "company.merge",
               "objectId": 1001, "primaryObjectId": 1001, "mergedObjectIds": [1009], "newObjectId": 1001}),
    ])
    .to_string();

    let (status, outcome) = send(&h.app, signed(&body)).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(outcome["accepted"], 5);
    assert_eq!(outcome["sync_requests"], 2);
    let requests = sync_requests(&h.bus);
    assert_eq!(requests.len(), 2);
    let acme = request_for(&requests, "acme");
    assert_eq!(acme.mode, SyncMode::Objects);
    assert_eq!(acme.requested_by, SyncTrigger::Webhook);
    assert_eq!(
        objects(acme),
        [
            (ObjectType::Companies, "1001"),
            (ObjectType::Companies, "1009"),
            (ObjectType::Deals, "3003"),
        ]
    );
    let globex = request_for(&requests, "globex");
    assert_eq!(
        objects(globex),
        [
            (ObjectType::Companies, "2002"),
            (ObjectType::Contacts, "55")
        ]
    );
}

#[tokio::test]
async fn duplicate_delivery_publishes_nothing_new() {
    let h = harness().await;
    let body = json!([
        event(11, ACME_PORTAL, "company.propertyChange", 1001),
        event(12, GLOBEX_PORTAL, "deal.propertyChange", 3003),
    ])
    .to_string();

    let (first, _) = send(&h.app, signed(&body)).await;
    assert_eq!(first, StatusCode::OK);
    assert_eq!(h.bus.published().len(), 2);

    let (again, outcome) = send(&h.app, signed(&body)).await;
    assert_eq!(again, StatusCode::OK);
    assert_eq!(outcome["duplicates"], 2);
    assert_eq!(outcome["accepted"], 0);
    assert_eq!(h.bus.published().len(), 2, "nothing new published");

    // A new event next to a repeated one asks only for the new object.
    let mixed = json!([
        event(11, ACME_PORTAL, "company.propertyChange", 1001),
        event(13, ACME_PORTAL, "ticket.creation", 4004),
    ])
    .to_string();
    let (status, _) = send(&h.app, signed(&mixed)).await;
    assert_eq!(status, StatusCode::OK);
    let requests = sync_requests(&h.bus);
    assert_eq!(requests.len(), 3);
    assert_eq!(objects(&requests[2]), [(ObjectType::Tickets, "4004")]);
}

#[tokio::test]
async fn unknown_portal_is_acknowledged_and_dropped() {
    let h = harness().await;
    let body = json!([event(21, 999_999, "company.propertyChange", 1)]).to_string();

    let (status, outcome) = send(&h.app, signed(&body)).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(outcome["unknown_portal"], 1);
    assert!(h.bus.published().is_empty());
}

#[tokio::test]
async fn inactive_tenant_gets_no_sync_request() {
    let h = harness().await;
    let body = json!([event(22, 303, "company.propertyChange", 1)]).to_string();

    let (status, outcome) = send(&h.app, signed(&body)).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(outcome["accepted"], 1);
    assert!(h.bus.published().is_empty());
}

#[tokio::test]
async fn body_that_is_not_an_event_array_is_400() {
    let h = harness().await;
    for body in [
        r#"{"portalId": 101}"#,
        "not json",
        r#"[{"eventId": 1, "subscriptionType": "contact.creation"}]"#,
    ] {
        let response = h.app.clone().oneshot(signed(body)).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
    assert!(h.bus.published().is_empty());
}

#[tokio::test]
async fn bad_missing_or_stale_signatures_are_401_and_record_nothing() {
    let h = harness().await;
    let body = json!([event(31, ACME_PORTAL, "company.propertyChange", 1001)]).to_string();

    let mut tampered = signed(&body);
    *tampered.body_mut() = Body::from(body.replace("1001", "1002"));
    let unsigned = Request::builder()
        .method("POST")
        .uri("/webhooks/hubspot")
        .body(Body::from(body.clone()))
        .unwrap();
    let stale = signed_at(
        "/webhooks/hubspot",
        &body,
        Utc::now() - Duration::minutes(6),
    );

    for request in [tampered, unsigned, stale] {
        let (status, problem) = send(&h.app, request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(problem["status"], 401);
    }
    assert!(h.bus.published().is_empty());

    // Refused deliveries left no dedupe record: the genuine one goes through.
    let (status, outcome) = send(&h.app, signed(&body)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(outcome["accepted"], 1);
    assert_eq!(h.bus.published().len(), 1);
}

#[tokio::test]
async fn v1_signature_is_accepted_when_v3_is_absent() {
    let h = harness().await;
    let body = json!([event(41, ACME_PORTAL, "company.propertyChange", 1001)]).to_string();
    let signature = sign_v1(
        &SecretString::from(CLIENT_SECRET.to_string()),
        body.as_bytes(),
    );
    let request = Request::builder()
        .method("POST")
        .uri("/webhooks/hubspot")
        .header("x-hubspot-signature", signature)
        .header("x-hubspot-signature-version", "v1")
        .body(Body::from(body))
        .unwrap();

    let (status, _) = send(&h.app, request).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(h.bus.published().len(), 1);
}

#[tokio::test]
async fn signature_covers_the_public_uri_with_its_query() {
    let h = harness().await;
    let body = json!([event(51, ACME_PORTAL, "company.propertyChange", 1001)]).to_string();
    let path = "/webhooks/hubspot?source=hub%3Aspot&note=a%20b";

    let (status, _) = send(&h.app, signed_at(path, &body, Utc::now())).await;
    assert_eq!(status, StatusCode::OK);

    // Signed for another query: refused.
    let mut moved = signed_at(path, &body, Utc::now());
    *moved.uri_mut() = "/webhooks/hubspot?source=other".parse().unwrap();
    let (status, _) = send(&h.app, moved).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wrong_method_is_405() {
    let h = harness().await;
    let request = Request::builder()
        .method("GET")
        .uri("/webhooks/hubspot")
        .body(Body::empty())
        .unwrap();
    let response = h.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

fn client_with_contacts(client_id: &str, contact_ids: &[&str]) -> ClientSnapshot {
    ClientSnapshot {
        client_id: ClientId::parse(client_id).unwrap(),
        name: format!("Client {client_id}"),
        domain: None,
        lifecycle_stage: Some("customer".into()),
        activity: Default::default(),
        reported_revenue: None,
        contacts: contact_ids
            .iter()
            .map(|id| ContactSummary {
                id: id.to_string(),
                lifecycle_stage: None,
                nps_rating: None,
            })
            .collect(),
        deals: vec![],
        tickets: vec![],
        engagements: vec![Engagement {
            id: format!("e-{client_id}"),
            kind: EngagementKind::Email,
            direction: None,
            occurred_at: t0(),
            completed: false,
            contact_ids: contact_ids.iter().map(|id| id.to_string()).collect(),
        }],
        sources: vec!["hubspot".into()],
        updated_at: t0(),
        csm_sentiment: None,
    }
}

#[tokio::test]
async fn privacy_deletion_erases_the_contact_from_stored_snapshots_at_once() {
    let h = harness().await;
    let acme = TenantId::parse("acme").unwrap();
    let c1 = ClientId::parse("1001").unwrap();
    let c2 = ClientId::parse("1002").unwrap();
    h.store
        .put_snapshots(
            &acme,
            &[
                client_with_contacts("1001", &["42", "43"]),
                client_with_contacts("1002", &["42"]),
            ],
        )
        .await
        .unwrap();
    h.store
        .put_contact_clients(
            &acme,
            &[
                ("42".into(), vec![c1.clone(), c2.clone()]),
                ("43".into(), vec![c1.clone()]),
            ],
        )
        .await
        .unwrap();
    let body = json!([event(61, ACME_PORTAL, "contact.privacyDeletion", 42)]).to_string();

    let (status, outcome) = send(&h.app, signed(&body)).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(outcome["contacts_erased"], 1);
    let snapshots = h
        .store
        .get_snapshots(&acme, &[c1.clone(), c2.clone()])
        .await
        .unwrap();
    assert_eq!(snapshots.len(), 2);
    for snapshot in &snapshots {
        assert!(snapshot.contacts.iter().all(|c| c.id != "42"));
        assert!(snapshot
            .engagements
            .iter()
            .all(|e| !e.contact_ids.contains(&"42".to_string())));
        assert_eq!(snapshot.engagements.len(), 1, "the activity itself stays");
    }
    let first = snapshots.iter().find(|s| s.client_id == c1).unwrap();
    assert_eq!(first.contacts.len(), 1, "other contacts stay");
    let index = h
        .store
        .contact_clients(&acme, &["42".into(), "43".into()])
        .await
        .unwrap();
    assert!(index
        .iter()
        .all(|(contact, clients)| contact != "42" || clients.is_empty()));
    assert!(index
        .iter()
        .any(|(contact, clients)| contact == "43" && clients == &vec![c1.clone()]));
    // The clients it touched are re-read and re-scored.
    let requests = sync_requests(&h.bus);
    assert_eq!(
        objects(request_for(&requests, "acme")),
        [
            (ObjectType::Companies, "1001"),
            (ObjectType::Companies, "1002"),
            (ObjectType::Contacts, "42"),
        ]
    );
}

#[tokio::test]
async fn publish_failure_answers_5xx_and_the_redelivery_is_processed() {
    let h = harness_with_bus_failures(1).await;
    let body = json!([
        event(71, ACME_PORTAL, "company.propertyChange", 1001),
        event(72, GLOBEX_PORTAL, "deal.propertyChange", 3003),
    ])
    .to_string();

    let (status, problem) = send(&h.app, signed(&body)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(problem["status"], 503);
    assert!(h.bus.published().is_empty());

    // HubSpot retries the same events with the next attempt number.
    let retry = body.replace("\"attemptNumber\":0", "\"attemptNumber\":1");
    let (status, outcome) = send(&h.app, signed(&retry)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(outcome["accepted"], 2);
    let requests = sync_requests(&h.bus);
    assert_eq!(
        objects(request_for(&requests, "acme")),
        [(ObjectType::Companies, "1001")]
    );
    assert_eq!(
        objects(request_for(&requests, "globex")),
        [(ObjectType::Deals, "3003")]
    );

    // And once processed, it is a duplicate like any other.
    let (status, outcome) = send(&h.app, signed(&retry)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(outcome["duplicates"], 2);
    assert_eq!(h.bus.published().len(), 2);
}

#[tokio::test]
async fn privacy_erasure_survives_a_failed_publish_and_its_redelivery_still_resyncs_the_clients() {
    let h = harness_with_bus_failures(1).await;
    let acme = TenantId::parse("acme").unwrap();
    let c1 = ClientId::parse("1001").unwrap();
    h.store
        .put_snapshots(&acme, &[client_with_contacts("1001", &["42"])])
        .await
        .unwrap();
    h.store
        .put_contact_clients(&acme, &[("42".into(), vec![c1.clone()])])
        .await
        .unwrap();
    let body = json!([event(81, ACME_PORTAL, "contact.privacyDeletion", 42)]).to_string();

    let (status, _) = send(&h.app, signed(&body)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let erased = h.store.get_snapshots(&acme, &[c1]).await.unwrap();
    assert!(
        erased[0].contacts.is_empty(),
        "erased even though the bus is down"
    );

    let (status, _) = send(&h.app, signed(&body)).await;
    assert_eq!(status, StatusCode::OK);
    let requests = sync_requests(&h.bus);
    assert_eq!(
        objects(request_for(&requests, "acme")),
        [
            (ObjectType::Companies, "1001"),
            (ObjectType::Contacts, "42")
        ]
    );
}

/// The in-process bus, never answering its first publish, as a stuck connection would.
struct StuckOnceBus {
    inner: InProcessBus,
    stuck: AtomicUsize,
}

#[async_trait]
impl EventBus for StuckOnceBus {
    async fn publish(&self, events: &[ProductEvent]) -> Result<(), BusError> {
        if self.stuck.fetch_add(1, Ordering::SeqCst) == 0 {
            std::future::pending::<()>().await;
        }
        self.inner.publish(events).await
    }
}

#[tokio::test]
async fn delivery_past_its_time_budget_answers_503_and_its_redelivery_is_processed() {
    let store = MemoryStore::new();
    store
        .create_tenant(&tenant("acme", ACME_PORTAL, TenantStatus::Active))
        .await
        .unwrap();
    let bus = InProcessBus::new();
    let state = IngestState::new(
        Arc::new(store),
        Arc::new(StuckOnceBus {
            inner: bus.clone(),
            stuck: AtomicUsize::new(0),
        }),
        SecretString::from(CLIENT_SECRET.to_string()),
        PublicBaseUrl::parse(PUBLIC_BASE_URL).unwrap(),
    )
    .with_processing_budget(std::time::Duration::from_millis(200));
    let app = router(state);
    let body = json!([event(91, ACME_PORTAL, "company.propertyChange", 1001)]).to_string();

    let (status, _) = send(&app, signed(&body)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(bus.published().is_empty());

    let (status, outcome) = send(&app, signed(&body)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(outcome["accepted"], 1);
    assert_eq!(
        objects(request_for(&sync_requests(&bus), "acme")),
        [(ObjectType::Companies, "1001")]
    );
}

#[path = "ingest_router/account_webhooks.rs"]
mod account_webhooks;
