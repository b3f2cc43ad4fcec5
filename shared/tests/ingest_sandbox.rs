//! End to end over HTTP: the HubSpot sandbox signs and sends webhooks to the ingest router served on
//! a local port, as HubSpot would to the deployed function.

use chrono::{TimeZone, Utc};
use hubspot_sandbox::{Sandbox, SandboxConfig};
use secrecy::SecretString;
use shared::bus::InProcessBus;
use shared::domain::{ObjectType, SyncMode, Tenant, TenantStatus};
use shared::ingest::{router, IngestState, PublicBaseUrl};
use shared::ports::TenantStore;
use shared::store::MemoryStore;
use std::sync::Arc;
use test_support::fixtures::{self, sync_requests};

fn tenant_for_portal(portal_id: u64) -> Tenant {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
    fixtures::tenant("sandbox-tenant", Some(portal_id), TenantStatus::Active, t0)
}

/// Serves the ingest router on a free local port; returns the webhook URL.
async fn serve_ingest(store: &MemoryStore, bus: &InProcessBus, client_secret: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let state = IngestState::new(
        Arc::new(store.clone()),
        Arc::new(bus.clone()),
        SecretString::from(client_secret.to_string()),
        PublicBaseUrl::parse(&base_url).unwrap(),
    );
    let app = router(state);
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("{base_url}/webhooks/hubspot")
}

#[tokio::test]
async fn sandbox_webhooks_become_one_targeted_sync_request() {
    let config = SandboxConfig::small(7);
    let client_secret = config.client_secret.clone();
    let sandbox = Sandbox::start(config).await.unwrap();
    let store = MemoryStore::new();
    store
        .create_tenant(&tenant_for_portal(sandbox.portal_id()))
        .await
        .unwrap();
    let bus = InProcessBus::new();
    let url = serve_ingest(&store, &bus, &client_secret).await;

    let companies = sandbox.records("companies");
    let deals = sandbox.records("deals");
    assert!(
        companies.len() >= 2 && !deals.is_empty(),
        "the portal has records"
    );
    let changed_company = &companies[0].id;
    let created_deal = &deals[0].id;
    let events = vec![
        sandbox.webhook_event("company.propertyChange", changed_company),
        sandbox.webhook_event("deal.creation", created_deal),
        sandbox.webhook_event("company.propertyChange", changed_company),
    ];

    let status = sandbox.send_webhooks(&url, &events).await.unwrap();

    assert_eq!(status, 200);
    let requests = sync_requests(&bus);
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.tenant_id.as_str(), "sandbox-tenant");
    assert_eq!(request.mode, SyncMode::Objects);
    let objects: Vec<(ObjectType, &str)> = request
        .objects
        .iter()
        .map(|o| (o.object_type, o.id.as_str()))
        .collect();
    assert_eq!(
        objects,
        [
            (ObjectType::Companies, changed_company.as_str()),
            (ObjectType::Deals, created_deal.as_str()),
        ]
    );

    // HubSpot's retry of the same events changes nothing.
    let status = sandbox.send_webhooks(&url, &events).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(sync_requests(&bus).len(), 1);

    sandbox.shutdown().await;
}

#[tokio::test]
async fn webhooks_signed_with_another_apps_secret_are_refused() {
    let sandbox = Sandbox::start(SandboxConfig::small(8)).await.unwrap();
    let store = MemoryStore::new();
    store
        .create_tenant(&tenant_for_portal(sandbox.portal_id()))
        .await
        .unwrap();
    let bus = InProcessBus::new();
    let url = serve_ingest(&store, &bus, "some-other-apps-secret").await;
    let company = &sandbox.records("companies")[0].id;

    let status = sandbox
        .send_webhooks(
            &url,
            &[sandbox.webhook_event("company.propertyChange", company)],
        )
        .await
        .unwrap();

    assert_eq!(status, 401);
    assert!(bus.published().is_empty());
    sandbox.shutdown().await;
}
