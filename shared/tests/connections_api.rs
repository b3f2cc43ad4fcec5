//! The connections API on the in-memory store, vault and bus: listing (HubSpot from the tenant, the
//! rest stored), connecting PayPal (credentials tried before anything is saved), pausing, resuming
//! and deleting with the connection's data, and secrets kept out of answers and logs. NinjaOne, Pax8
//! and Microsoft 365 (customer tenants, admin consent) in [`accounts`].

#[path = "connections_api/accounts.rs"]
mod accounts;
mod api_support;

use api_support::{config_with, now, tenant, tenant_id, Api, TENANT};
use axum::http::StatusCode;
use serde_json::{json, Value};
use shared::domain::{
    ClientCredentials, ClientId, Connection, ConnectionId, ConnectionSettings, Correlation,
    CorrelationStatus, MatchMethod, PayerRecord, Platform, TenantStatus,
};
use shared::ports::{
    ConnectionSources, ConnectionStore, CorrelationStore, PageRequest, PayerStore, PaymentsSource,
    PaymentsSourceFactory, SecretVault, SourceError, TenantStore, VaultError,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const GOOD_SECRET: &str = "EJ-good-secret-8f2c";
const UNREACHABLE_SECRET: &str = "EJ-paypal-is-down";

/// Accepts one known secret; says PayPal is down for another; refuses the rest, as PayPal's token
/// endpoint answers `invalid_client`.
#[derive(Default)]
struct OneKnownSecret {
    checks: AtomicUsize,
}

#[async_trait::async_trait]
impl PaymentsSourceFactory for OneKnownSecret {
    async fn check_credentials(
        &self,
        settings: &ConnectionSettings,
        credentials: &ClientCredentials,
    ) -> Result<(), SourceError> {
        self.checks.fetch_add(1, Ordering::SeqCst);
        assert_eq!(settings.platform(), Platform::Paypal);
        match credentials.client_secret.as_str() {
            GOOD_SECRET => Ok(()),
            UNREACHABLE_SECRET => Err(SourceError::Unavailable {
                message: "connect timeout".into(),
            }),
            _ => Err(SourceError::NeedsReauth {
                reason: "invalid_client: Client Authentication failed".into(),
            }),
        }
    }

    async fn payments_source(
        &self,
        _connection: &Connection,
    ) -> Result<Arc<dyn PaymentsSource>, SourceError> {
        Err(SourceError::Unavailable {
            message: "not used by the API".into(),
        })
    }
}

struct World {
    api: Api,
    factory: Arc<OneKnownSecret>,
}

async fn world() -> World {
    let factory = Arc::new(OneKnownSecret::default());
    let for_state = factory.clone();
    let api = Api::with_state(config_with(|_| None), move |state| {
        state.with_connection_sources(
            ConnectionSources::new().with_payments(Platform::Paypal, for_state),
        )
    });
    api.store.create_tenant(&tenant(TENANT)).await.unwrap();
    World { api, factory }
}

fn paypal_body(label: &str, secret: &str) -> String {
    json!({
        "platform": "paypal",
        "label": label,
        "client_id": "AbC-client-id",
        "client_secret": secret,
        "environment": "sandbox",
    })
    .to_string()
}

async fn connect(api: &Api, label: &str) -> Value {
    let reply = api
        .call(
            "POST",
            "/v1/connections",
            Some(&paypal_body(label, GOOD_SECRET)),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()
}

fn conn_id(value: &Value) -> ConnectionId {
    ConnectionId::parse(value["id"].as_str().unwrap()).unwrap()
}

async fn stored_connections(api: &Api) -> Vec<Connection> {
    api.store
        .list_connections(&tenant_id(TENANT))
        .await
        .unwrap()
}

#[tokio::test]
async fn the_list_shows_the_hubspot_portal_then_the_stored_connections() {
    let World { api, .. } = world().await;
    let reply = api.call("GET", "/v1/connections", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let items = reply.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], "hubspot");
    assert_eq!(items[0]["platform"], "hubspot");
    assert_eq!(items[0]["status"], "active");

    let created = connect(&api, "PayPal EU").await;
    let items = api.call("GET", "/v1/connections", None).await.json()["items"].clone();
    assert_eq!(items.as_array().unwrap().len(), 2);
    assert_eq!(items[1]["id"], created["id"]);
    assert_eq!(items[1]["label"], "PayPal EU");
    assert_eq!(items[1]["environment"], "sandbox");

    // HubSpot's status follows the tenant's.
    let mut stored = api.store.get_tenant(&tenant_id(TENANT)).await.unwrap();
    stored.status = TenantStatus::NeedsReauth;
    stored.status_reason = Some("refresh token revoked".into());
    api.store.update_tenant(&stored).await.unwrap();
    let items = api.call("GET", "/v1/connections", None).await.json()["items"].clone();
    assert_eq!(items[0]["status"], "needs_reauth");
    assert_eq!(items[0]["reason"], "refresh token revoked");
}

#[tokio::test]
async fn connecting_paypal_keeps_the_secret_saves_the_connection_and_requests_a_full_sync() {
    let World { api, factory } = world().await;
    let reply = api
        .call(
            "POST",
            "/v1/connections",
            Some(&paypal_body("  Main account ", GOOD_SECRET)),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    assert!(!reply.text().contains(GOOD_SECRET));
    assert!(!reply.text().contains("secret"), "{}", reply.text());
    let body = reply.json();
    let id = body["id"].as_str().unwrap();
    assert!(
        id.starts_with("paypal-") && id.len() == "paypal-".len() + 8,
        "{id}"
    );
    assert_eq!(body["platform"], "paypal");
    assert_eq!(body["label"], "Main account");
    assert_eq!(body["status"], "active");
    assert_eq!(body["created_at"], json!(now()));
    assert_eq!(factory.checks.load(Ordering::SeqCst), 1);

    let stored = api
        .store
        .get_connection(&tenant_id(TENANT), &conn_id(&body))
        .await
        .unwrap();
    assert_eq!(stored.platform, Platform::Paypal);
    let secret = api.vault.get(&stored.credentials_secret_id).await.unwrap();
    let credentials: ClientCredentials =
        serde_json::from_str(secrecy::ExposeSecret::expose_secret(&secret.value)).unwrap();
    assert_eq!(credentials.client_secret, GOOD_SECRET);
    assert_eq!(credentials.client_id, "AbC-client-id");

    let published = api.bus.published();
    assert_eq!(published.len(), 1);
    let event = &published[0];
    assert_eq!(event.detail_type, "SyncRequested");
    assert_eq!(event.detail["connection_id"], id);
    assert_eq!(event.detail["mode"], "full");
    assert_eq!(event.detail["tenant_id"], TENANT);
    assert_eq!(
        event.detail["requested_by"]["kind"], "manual",
        "{}",
        event.detail
    );
    assert_eq!(event.detail["requested_by"]["requested_by"], "tester");
}

#[tokio::test]
async fn refused_credentials_are_a_422_and_nothing_is_stored() {
    let World { api, factory } = world().await;
    let problem = api
        .call(
            "POST",
            "/v1/connections",
            Some(&paypal_body("EU", "EJ-wrong")),
        )
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["type"], "/problems/credentials-refused");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("PayPal refused these credentials"),
        "{detail}"
    );
    assert!(!detail.contains("EJ-wrong"));
    assert_eq!(factory.checks.load(Ordering::SeqCst), 1);
    assert!(stored_connections(&api).await.is_empty());
    assert!(api.bus.published().is_empty());

    let problem = api
        .call(
            "POST",
            "/v1/connections",
            Some(&paypal_body("EU", UNREACHABLE_SECRET)),
        )
        .await
        .problem(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(problem["type"], "/problems/unavailable");
    assert!(stored_connections(&api).await.is_empty());
    assert!(api.bus.published().is_empty());
}

#[tokio::test]
async fn without_a_paypal_client_connecting_is_a_503_saying_so() {
    let api = Api::new();
    api.store.create_tenant(&tenant(TENANT)).await.unwrap();
    let problem = api
        .call(
            "POST",
            "/v1/connections",
            Some(&paypal_body("EU", GOOD_SECRET)),
        )
        .await
        .problem(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(problem["type"], "/problems/platform-not-configured");
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("PayPal is not configured"));
    assert!(stored_connections(&api).await.is_empty());
}

#[tokio::test]
async fn bad_bodies_are_refused_before_paypal_is_asked() {
    let World { api, factory } = world().await;
    let hubspot = paypal_body("EU", GOOD_SECRET).replace("\"paypal\"", "\"hubspot\"");
    let cases = [
        (hubspot, StatusCode::BAD_REQUEST, Some("platform")),
        (
            paypal_body("   ", GOOD_SECRET),
            StatusCode::BAD_REQUEST,
            Some("label"),
        ),
        (
            paypal_body(&"x".repeat(101), GOOD_SECRET),
            StatusCode::BAD_REQUEST,
            Some("label"),
        ),
        (
            paypal_body("EU", ""),
            StatusCode::BAD_REQUEST,
            Some("client_secret"),
        ),
        (
            paypal_body("EU", "has space"),
            StatusCode::BAD_REQUEST,
            Some("client_secret"),
        ),
        (
            paypal_body("EU", GOOD_SECRET).replace("sandbox", "production"),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            json!({"platform": "paypal", "label": "EU"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        ("{not json".to_string(), StatusCode::BAD_REQUEST, None),
        (
            paypal_body("EU", GOOD_SECRET).replace(
                "\"environment\"",
                "\"webhook_id\":\"id with spaces\",\"environment\"",
            ),
            StatusCode::BAD_REQUEST,
            Some("webhook_id"),
        ),
    ];
    for (body, status, field) in cases {
        let problem = api
            .call("POST", "/v1/connections", Some(&body))
            .await
            .problem(status);
        if let Some(field) = field {
            assert_eq!(problem["field"], field, "{body}");
        }
        assert!(!problem.to_string().contains(GOOD_SECRET), "{problem}");
    }
    assert_eq!(factory.checks.load(Ordering::SeqCst), 0);
    assert!(stored_connections(&api).await.is_empty());
}

#[tokio::test]
async fn a_webhook_id_given_at_connection_is_kept_for_verification() {
    let World { api, .. } = world().await;
    let plain = connect(&api, "No hooks").await;
    assert_eq!(plain["webhook_verified"], false);
    let body = paypal_body("Hooks", GOOD_SECRET).replace(
        "\"environment\"",
        "\"webhook_id\":\"8PT597110X687430LKGECATA\",\"environment\"",
    );
    let reply = api.call("POST", "/v1/connections", Some(&body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let created = reply.json();
    assert_eq!(created["webhook_verified"], true);
    let stored = stored_connections(&api)
        .await
        .into_iter()
        .find(|c| c.id == conn_id(&created))
        .unwrap();
    assert!(matches!(
        stored.settings,
        shared::domain::ConnectionSettings::Paypal { webhook_id: Some(ref id), .. } if id == "8PT597110X687430LKGECATA"
    ));
}

#[tokio::test]
async fn a_connection_pauses_and_resumes_and_the_hubspot_one_is_refused() {
    let World { api, .. } = world().await;
    let id = connect(&api, "EU").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let paused = api
        .call("POST", &format!("/v1/connections/{id}/pause"), None)
        .await;
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.text());
    assert_eq!(paused.json()["status"], "paused");
    // Pausing again changes nothing.
    let again = api
        .call("POST", &format!("/v1/connections/{id}/pause"), None)
        .await;
    assert_eq!(again.json()["status"], "paused");
    let stored = &stored_connections(&api).await[0];
    assert_eq!(stored.version, 1, "one write for one change");

    let resumed = api
        .call("POST", &format!("/v1/connections/{id}/resume"), None)
        .await;
    assert_eq!(resumed.json()["status"], "active");

    let problem = api
        .call("POST", "/v1/connections/hubspot/pause", None)
        .await
        .problem(StatusCode::CONFLICT);
    assert!(problem["detail"].as_str().unwrap().contains("HubSpot"));
    api.call("POST", "/v1/connections/paypal-00000000/resume", None)
        .await
        .problem(StatusCode::NOT_FOUND);
    let problem = api
        .call("POST", "/v1/connections/bad%20id/pause", None)
        .await
        .problem(StatusCode::BAD_REQUEST);
    assert_eq!(problem["parameter"], "id");
}

fn payer(connection: &ConnectionId, external_id: &str) -> PayerRecord {
    PayerRecord {
        connection_id: connection.clone(),
        platform: Platform::Paypal,
        external_id: external_id.into(),
        name: None,
        business_name: Some("Acme Ltd".into()),
        email_hash: None,
        email_domain: Some("acme.example".into()),
        reference_ids: vec![],
        payments: vec![],
        invoices: vec![],
        disputes: vec![],
        subscriptions: vec![],
        updated_at: now(),
    }
}

fn correlation(connection: &ConnectionId, external_id: &str) -> Correlation {
    Correlation {
        tenant_id: tenant_id(TENANT),
        client_id: ClientId::parse("company-1").unwrap(),
        platform: Platform::Paypal,
        connection_id: connection.clone(),
        external_id: external_id.into(),
        method: MatchMethod::EmailDomain,
        evidence: vec![],
        confidence: 0.8,
        status: CorrelationStatus::NeedsReview,
        decided_by: None,
        decided_at: None,
        created_at: now(),
        updated_at: now(),
    }
}

#[tokio::test]
async fn deleting_a_connection_removes_its_data_and_secret_and_only_its_own() {
    let World { api, .. } = world().await;
    let doomed = conn_id(&connect(&api, "Doomed").await);
    let kept = conn_id(&connect(&api, "Kept").await);
    let tenant = tenant_id(TENANT);
    for connection in [&doomed, &kept] {
        api.store
            .put_payers(&tenant, &[payer(connection, "P1"), payer(connection, "P2")])
            .await
            .unwrap();
        api.store
            .put_correlations(&tenant, &[correlation(connection, "P1")])
            .await
            .unwrap();
    }
    let doomed_secret = api
        .store
        .get_connection(&tenant, &doomed)
        .await
        .unwrap()
        .credentials_secret_id;

    let reply = api
        .call("DELETE", &format!("/v1/connections/{doomed}"), None)
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    assert!(reply.body.is_empty());
    assert!(matches!(
        api.vault.get(&doomed_secret).await,
        Err(VaultError::NotFound(_))
    ));
    let listed = stored_connections(&api).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, kept);
    let page = PageRequest::first(10);
    assert!(api
        .store
        .list_payers(&tenant, &doomed, &page)
        .await
        .unwrap()
        .items
        .is_empty());
    assert!(api
        .store
        .correlations_of_record(&tenant, &doomed, "P1")
        .await
        .unwrap()
        .is_empty());
    // The other connection keeps everything.
    assert_eq!(
        api.store
            .list_payers(&tenant, &kept, &page)
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    assert_eq!(
        api.store
            .correlations_of_record(&tenant, &kept, "P1")
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(api
        .vault
        .get(&listed[0].credentials_secret_id)
        .await
        .is_ok());

    // Again: nothing left to delete, still 204.
    let again = api
        .call("DELETE", &format!("/v1/connections/{doomed}"), None)
        .await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);

    let problem = api
        .call("DELETE", "/v1/connections/hubspot", None)
        .await
        .problem(StatusCode::CONFLICT);
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("cannot be deleted"));
    assert_eq!(
        api.call("GET", "/v1/connections", None).await.json()["items"][0]["id"],
        "hubspot"
    );
}

/// Collects every log line (all levels) written while it is the default subscriber.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut logs) = self.0.lock() {
            logs.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        self.0
            .lock()
            .map(|logs| String::from_utf8_lossy(&logs).into_owned())
            .unwrap_or_default()
    }
}

#[tokio::test]
async fn secrets_never_reach_the_logs() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

    let World { api, .. } = world().await;
    let id = connect(&api, "EU").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    api.call(
        "POST",
        "/v1/connections",
        Some(&paypal_body("EU", "EJ-wrong-secret")),
    )
    .await;
    api.call(
        "POST",
        "/v1/connections",
        Some(&paypal_body("", "EJ-other-secret")),
    )
    .await;
    api.call("DELETE", &format!("/v1/connections/{id}"), None)
        .await;

    let text = logs.text();
    assert!(
        text.contains("connection created"),
        "the capture works: {text}"
    );
    for secret in [GOOD_SECRET, "EJ-wrong-secret", "EJ-other-secret"] {
        assert!(!text.contains(secret), "{secret} was logged: {text}");
    }
}
