//! NinjaOne's and Pax8's webhooks (`POST /webhooks/{ninjaone,pax8}/{tenant}/{connection}`): verified
//! through the platform's factory in `ConnectionSources`, deduplicated by event id, turned into one
//! targeted `SyncRequested` naming the accounts; a delivery naming none is acknowledged and ignored.

use super::*;
use shared::domain::{
    ClientCredentials, Connection, ConnectionId, ConnectionSettings, ConnectionStatus,
    NinjaoneRegion, Platform,
};
use shared::ports::source::{AccountsSource, AccountsSourceFactory, SourceError, VerifiedWebhook};
use shared::ports::{ConnectionSources, ConnectionStore};

const HOOK_SECRET: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const SECRET_HEADER: &str = "x-insights-webhook-secret";

/// Checks the shared secret header the way the platforms' factories do, and reads
/// `{"id": .., "organization_id": ..}` bodies (an id-less organisation: no account named).
struct SecretHeaderFactory {
    platform: Platform,
    verifications: AtomicUsize,
}

#[async_trait]
impl AccountsSourceFactory for SecretHeaderFactory {
    fn platform(&self) -> Platform {
        self.platform
    }

    async fn check_credentials(
        &self,
        _settings: &ConnectionSettings,
        _credentials: &ClientCredentials,
    ) -> Result<(), SourceError> {
        Ok(())
    }

    async fn accounts_source(
        &self,
        _connection: &Connection,
    ) -> Result<Arc<dyn AccountsSource>, SourceError> {
        Err(SourceError::Unavailable {
            message: "not used by ingest".into(),
        })
    }

    async fn verify_webhook(
        &self,
        connection: &Connection,
        headers: &axum::http::HeaderMap,
        body: &[u8],
    ) -> Result<VerifiedWebhook, SourceError> {
        self.verifications.fetch_add(1, Ordering::SeqCst);
        assert_eq!(connection.platform, self.platform);
        if headers.get(SECRET_HEADER).and_then(|v| v.to_str().ok()) != Some(HOOK_SECRET) {
            return Err(SourceError::Rejected {
                status: 401,
                message: "the webhook secret does not match".into(),
            });
        }
        let event: Value = serde_json::from_slice(body)
            .map_err(|_| SourceError::InvalidResponse("not JSON".into()))?;
        Ok(VerifiedWebhook {
            event_id: event["id"].as_str().unwrap_or_default().to_string(),
            event_type: "CONDITION".into(),
            refs: Vec::new(),
            account_ids: event["organization_id"]
                .as_str()
                .map(|id| vec![id.to_string()])
                .unwrap_or_default(),
        })
    }
}

fn connection(platform: Platform, id: &str, settings: ConnectionSettings) -> Connection {
    Connection {
        tenant_id: TenantId::parse("acme").unwrap(),
        id: ConnectionId::parse(id).unwrap(),
        platform,
        label: id.into(),
        status: ConnectionStatus::Active,
        status_reason: None,
        credentials_secret_id: format!("secrets/{id}"),
        settings,
        connected_at: t0(),
        last_sync_at: None,
        last_full_sync_at: None,
        created_at: t0(),
        updated_at: t0(),
        webhook_registered: Some(true),
        version: 0,
    }
}

struct Hooks {
    app: Router,
    bus: InProcessBus,
    ninjaone: Arc<SecretHeaderFactory>,
}

async fn hooks() -> Hooks {
    let store = MemoryStore::new();
    store
        .create_tenant(&tenant("acme", ACME_PORTAL, TenantStatus::Active))
        .await
        .unwrap();
    for c in [
        connection(
            Platform::Ninjaone,
            "ninjaone-1",
            ConnectionSettings::Ninjaone {
                region: NinjaoneRegion::Eu,
            },
        ),
        connection(Platform::Pax8, "pax8-1", ConnectionSettings::Pax8),
    ] {
        store.create_connection(&c).await.unwrap();
    }
    let factory = |platform| {
        Arc::new(SecretHeaderFactory {
            platform,
            verifications: AtomicUsize::new(0),
        })
    };
    let ninjaone = factory(Platform::Ninjaone);
    let sources = ConnectionSources::new()
        .with_accounts(ninjaone.clone())
        .with_accounts(factory(Platform::Pax8));
    let bus = InProcessBus::new();
    let state = IngestState::new(
        Arc::new(store.clone()),
        Arc::new(bus.clone()),
        SecretString::from(CLIENT_SECRET.to_string()),
        PublicBaseUrl::parse(PUBLIC_BASE_URL).unwrap(),
    )
    .with_connection_sources(Arc::new(store), sources);
    Hooks {
        app: router(state),
        bus,
        ninjaone,
    }
}

async fn deliver(h: &Hooks, path: &str, secret: &str, body: Value) -> (StatusCode, Value) {
    let request = Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/json")
        .header(SECRET_HEADER, secret)
        .body(Body::from(body.to_string()))
        .unwrap();
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
async fn a_delivery_with_the_secret_becomes_a_targeted_sync_of_the_named_account() {
    let h = hooks().await;
    for (path, event, org) in [
        ("/webhooks/ninjaone/acme/ninjaone-1", "n-1", "org-7"),
        ("/webhooks/pax8/acme/pax8-1", "p-1", "company-3"),
    ] {
        let (status, body) = deliver(
            &h,
            path,
            HOOK_SECRET,
            json!({"id": event, "organization_id": org}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["sync_requested"], true);
        assert_eq!(body["event_id"], event);
    }
    let requests = fixtures::sync_requests(&h.bus);
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].connection_id,
        Some(ConnectionId::parse("ninjaone-1").unwrap())
    );
    assert_eq!(requests[0].account_ids, vec!["org-7".to_string()]);
    assert_eq!(requests[0].requested_by, SyncTrigger::Webhook);
    assert_eq!(requests[1].account_ids, vec!["company-3".to_string()]);
}

#[tokio::test]
async fn a_wrong_secret_is_401_and_publishes_nothing_nor_uses_the_event_id() {
    let h = hooks().await;
    let event = json!({"id": "n-2", "organization_id": "org-7"});
    let (status, body) = deliver(
        &h,
        "/webhooks/ninjaone/acme/ninjaone-1",
        "guessed",
        event.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!body.to_string().contains("org-7"), "{body}");
    assert!(fixtures::sync_requests(&h.bus).is_empty());
    // The genuine delivery of the same event still counts.
    let (status, body) =
        deliver(&h, "/webhooks/ninjaone/acme/ninjaone-1", HOOK_SECRET, event).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["duplicate"], false);
    assert_eq!(fixtures::sync_requests(&h.bus).len(), 1);
}

#[tokio::test]
async fn a_replayed_event_id_is_acknowledged_once() {
    let h = hooks().await;
    let event = json!({"id": "n-3", "organization_id": "org-7"});
    let path = "/webhooks/ninjaone/acme/ninjaone-1";
    deliver(&h, path, HOOK_SECRET, event.clone()).await;
    let (status, body) = deliver(&h, path, HOOK_SECRET, event).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["duplicate"], true);
    assert_eq!(fixtures::sync_requests(&h.bus).len(), 1);
}

#[tokio::test]
async fn a_delivery_naming_no_account_is_acknowledged_and_ignored() {
    let h = hooks().await;
    let (status, body) = deliver(
        &h,
        "/webhooks/pax8/acme/pax8-1",
        HOOK_SECRET,
        json!({"id": "p-9"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sync_requested"], false);
    assert!(fixtures::sync_requests(&h.bus).is_empty());
}

#[tokio::test]
async fn a_delivery_to_another_platforms_route_or_an_unknown_connection_is_404() {
    let h = hooks().await;
    let event = json!({"id": "x-1", "organization_id": "org-7"});
    for path in [
        "/webhooks/pax8/acme/ninjaone-1",
        "/webhooks/ninjaone/acme/ninjaone-404",
        "/webhooks/ninjaone/globex/ninjaone-1",
    ] {
        let (status, _) = deliver(&h, path, HOOK_SECRET, event.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(h.ninjaone.verifications.load(Ordering::SeqCst), 0);
    assert!(fixtures::sync_requests(&h.bus).is_empty());
}
