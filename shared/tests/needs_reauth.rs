//! A revoked HubSpot install, end to end on the in-process store, bus and vault against the sandbox:
//! connected through `/oauth/install` and `/oauth/callback`, synced, revoked in HubSpot; the next sync
//! marks the tenant `needs_reauth` with HubSpot's reason and logs one ERROR (the sync-failure alarm
//! counts those), the overview shows it with a re-connect link, the schedule skips the tenant, and
//! installing again restores `active` and syncing.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use chrono::Utc;
use hubspot_sandbox::{Sandbox, SandboxConfig};
use secrecy::SecretString;
use serde_json::{json, Value};
use shared::api::{router, ApiConfig, ApiState, Authenticator};
use shared::bus::InProcessBus;
use shared::connector::NoProgress;
use shared::domain::{SyncMode, SyncRun, SyncStatus, SyncTrigger, TenantId, TenantStatus};
use shared::events::{ProductEvent, SyncRequested, SCHEMA_VERSION};
use shared::handlers::sync::{dispatch_scheduled, handle_sync_requested};
use shared::ports::{SecretVault, TenantStore};
use shared::sources::hubspot::HubSpotClient;
use shared::sources::hubspot::HubSpotSources;
use shared::store::MemoryStore;
use shared::vault::InProcessVault;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use test_support::fixtures::{fast_retry, sandbox_oauth_client};
use tower::ServiceExt;
use tracing_subscriber::layer::SubscriberExt;

const PUBLIC_BASE_URL: &str = "https://insights.example.com";
const APP_SECRET_ID: &str = "app/hubspot";
const DEV_TOKEN: &str = "dev-token-for-the-test";

/// Counts ERROR events, as the template's `SyncFailuresMetricFilter` counts ERROR log lines.
#[derive(Clone, Default)]
struct ErrorLines(Arc<AtomicUsize>);

impl ErrorLines {
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ErrorLines {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if *event.metadata().level() == tracing::Level::ERROR {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

struct World {
    sandbox: Sandbox,
    store: Arc<MemoryStore>,
    bus: InProcessBus,
    router: Router,
    sources: HubSpotSources<MemoryStore>,
    tenant_id: TenantId,
}

impl World {
    async fn new() -> World {
        let sandbox = Sandbox::start(SandboxConfig::small(51)).await.unwrap();
        let store = Arc::new(MemoryStore::new());
        let vault = Arc::new(InProcessVault::new());
        let bus = InProcessBus::new();
        vault
            .create(
                APP_SECRET_ID,
                &SecretString::from(
                    json!({"client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret"})
                        .to_string(),
                ),
            )
            .await
            .unwrap();
        let (base_url, authorize_url) = (sandbox.base_url(), sandbox.authorize_url_base());
        let config = ApiConfig::from_lookup(|name| match name {
            "PUBLIC_BASE_URL" => Some(PUBLIC_BASE_URL.to_owned()),
            "HUBSPOT_APP_SECRET_ID" => Some(APP_SECRET_ID.to_owned()),
            "HUBSPOT_API_BASE_URL" => Some(base_url.clone()),
            "HUBSPOT_AUTHORIZE_URL" => Some(authorize_url.clone()),
            _ => None,
        })
        .unwrap();
        let tenant_id = TenantId::parse(format!("hs-{}", sandbox.portal_id())).unwrap();
        let state = ApiState::new(
            store.clone(),
            Arc::new(bus.clone()),
            vault.clone(),
            config,
            Authenticator::DevelopmentToken {
                token: SecretString::from(DEV_TOKEN.to_owned()),
                tenant_id: tenant_id.clone(),
                subject: "tester".to_owned(),
            },
        );
        let oauth = sandbox_oauth_client(
            &sandbox.base_url(),
            sandbox.authorize_url_base(),
            fast_retry(),
        );
        let sources = HubSpotSources::new(
            HubSpotClient::default_http().unwrap(),
            sandbox.base_url(),
            Some(oauth),
            vault,
            store.clone(),
        )
        .with_retry(fast_retry());
        World {
            sandbox,
            store,
            bus,
            router: router(state),
            sources,
            tenant_id,
        }
    }

    async fn call(&self, path: &str, bearer: Option<&str>) -> axum::response::Response {
        let mut request = Request::get(path);
        if let Some(token) = bearer {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.router
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .expect("the router is infallible")
    }

    /// `/oauth/install` (no credentials: a plain link), HubSpot's consent page, `/oauth/callback`.
    async fn install(&self) {
        let install = self.call("/oauth/install", None).await;
        assert_eq!(install.status(), StatusCode::FOUND);
        let authorize = install.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        let consent = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(&authorize)
            .send()
            .await
            .unwrap();
        assert_eq!(consent.status().as_u16(), 302);
        let back = url::Url::parse(consent.headers()["location"].to_str().unwrap()).unwrap();
        assert_eq!(back.path(), "/oauth/callback");
        let callback = self
            .call(
                &format!("/oauth/callback?{}", back.query().unwrap_or_default()),
                None,
            )
            .await;
        assert_eq!(callback.status(), StatusCode::OK);
    }

    async fn overview(&self) -> Value {
        let reply = self.call("/v1/overview", Some(DEV_TOKEN)).await;
        assert_eq!(reply.status(), StatusCode::OK);
        let body = axum::body::to_bytes(reply.into_body(), 1 << 20)
            .await
            .unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    async fn sync(&self, mode: SyncMode) -> SyncRun {
        let request = SyncRequested {
            schema_version: SCHEMA_VERSION,
            tenant_id: self.tenant_id.clone(),
            connection_id: None,
            mode,
            objects: Vec::new(),
            payment_refs: Vec::new(),
            account_ids: Vec::new(),
            requested_by: SyncTrigger::Schedule,
            sync_id: None,
            requested_at: Utc::now(),
        };
        handle_sync_requested(
            &self.store,
            &self.bus,
            &self.sources,
            &request,
            Instant::now() + Duration::from_secs(600),
            &NoProgress,
        )
        .await
        .expect("a sync that fails for good is recorded, not retried")
    }

    /// How many syncs the schedule asks for now.
    async fn scheduled(&self) -> u64 {
        dispatch_scheduled(self.store.as_ref(), &self.bus, Utc::now())
            .await
            .unwrap()
            .tenants_requested
    }

    fn token_requests(&self) -> u64 {
        self.sandbox
            .stats()
            .by_route
            .get("POST /oauth/v1/token")
            .copied()
            .unwrap_or_default()
    }
}

#[tokio::test]
async fn a_revoked_install_needs_reauth_alarms_once_is_skipped_and_recovers_on_reinstall() {
    let errors = ErrorLines::default();
    let _logs =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(errors.clone()));
    let world = World::new().await;

    world.install().await;
    assert_eq!(
        world.sync(SyncMode::Full).await.status,
        SyncStatus::Succeeded
    );
    assert_eq!(errors.count(), 0);

    // The customer uninstalls the app: HubSpot revokes both tokens, long before the access token's
    // expiry.
    world.sandbox.revoke_access_tokens();
    world.sandbox.revoke_refresh_tokens();
    world.sandbox.reset_stats();
    let run = world.sync(SyncMode::Incremental).await;
    assert_eq!(run.status, SyncStatus::NeedsReauth, "{:?}", run.error);
    assert_eq!(world.token_requests(), 1, "one refresh attempt in the run");
    assert_eq!(errors.count(), 1, "the failure is logged at ERROR once");
    let tenant = world.store.get_tenant(&world.tenant_id).await.unwrap();
    assert_eq!(tenant.status, TenantStatus::NeedsReauth);
    let reason = tenant.status_reason.clone().unwrap_or_default();
    assert!(reason.contains("BAD_REFRESH_TOKEN"), "{reason}");

    let connection = world.overview().await["connection"].clone();
    assert_eq!(connection["status"], "needs_reauth");
    assert_eq!(connection["status_reason"], json!(reason));
    assert_eq!(
        connection["reconnect_url"],
        format!("{PUBLIC_BASE_URL}/oauth/install")
    );

    // The schedule leaves the tenant alone, and a request that still arrives (a late webhook)
    // neither asks HubSpot nor alarms again.
    assert_eq!(world.scheduled().await, 0);
    let late = world.sync(SyncMode::Incremental).await;
    assert_ne!(late.status, SyncStatus::Succeeded);
    assert_eq!(world.token_requests(), 1);
    assert_eq!(
        errors.count(),
        1,
        "no ERROR for a tenant already waiting for re-auth"
    );

    world.install().await;
    let tenant = world.store.get_tenant(&world.tenant_id).await.unwrap();
    assert_eq!(tenant.status, TenantStatus::Active);
    assert_eq!(tenant.status_reason, None);
    let connection = world.overview().await["connection"].clone();
    assert_eq!(connection["status"], "active");
    assert!(connection.get("reconnect_url").is_none(), "{connection}");
    assert_eq!(world.scheduled().await, 1);
    let synced = world.sync(SyncMode::Incremental).await;
    assert_eq!(synced.status, SyncStatus::Succeeded, "{:?}", synced.error);
    assert_eq!(errors.count(), 1);
    let schedule_requests = world
        .bus
        .published()
        .iter()
        .filter(|d| {
            matches!(d.event(), Ok(ProductEvent::SyncRequested(r)) if r.requested_by == SyncTrigger::Schedule)
        })
        .count();
    assert_eq!(
        schedule_requests, 1,
        "only the request after the re-install"
    );
}
