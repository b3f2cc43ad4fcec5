//! The erasure API: `POST /v1/erasures` (202, the erasure id and where to watch it, the request on
//! the bus), `GET /v1/erasures/{id}`, the refusals, and `DELETE /v1/connections/{id}` erasing the
//! connection with a receipt. On the memory store, through the router.

use super::seed::{self, cid, CLIENT_A, CONNECTION, PAYER_OF_A};
use super::World;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use secrecy::SecretString;
use serde_json::{json, Value};
use shared::api::config::ApiConfig;
use shared::api::{router, ApiState, Authenticator};
use shared::domain::{ErasureId, ErasureStatus, TenantId};
use std::time::Duration;
use tower::ServiceExt;

const TOKEN: &str = "erasure-test-token";

fn config() -> ApiConfig {
    ApiConfig::from_lookup(|name| match name {
        "PUBLIC_BASE_URL" => Some("https://insights.example.com".to_string()),
        "HUBSPOT_APP_SECRET_ID" => Some("app/hubspot".to_string()),
        _ => None,
    })
    .expect("test config is complete")
}

fn api(world: &World, tenant_id: &TenantId) -> axum::Router {
    let state = ApiState::new(
        world.store.clone(),
        std::sync::Arc::new(world.bus.clone()),
        world.vault.clone(),
        config(),
        Authenticator::DevelopmentToken {
            token: SecretString::from(TOKEN.to_string()),
            tenant_id: tenant_id.clone(),
            subject: "admin-1".into(),
        },
    );
    router(state)
}

async fn call(
    router: &axum::Router,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let request = request
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (parts.status, parts.headers, json)
}

#[tokio::test]
async fn an_erasure_is_accepted_watched_and_run() {
    let world = World::memory();
    let acme = super::world_seed(&world, "acme").await;
    let router = api(&world, &acme.tenant_id);

    let (status, headers, body) = call(
        &router,
        "POST",
        "/v1/erasures",
        Some(json!({"scope": "client", "id": CLIENT_A})),
    )
    .await;

    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "pending");
    assert_eq!(body["scope"], "client");
    assert_eq!(body["subject"], CLIENT_A);
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        headers.get(header::LOCATION).unwrap(),
        &format!("/v1/erasures/{id}")
    );
    let requested = super::erasure_requests(&world.bus);
    assert_eq!(requested.len(), 1);
    assert_eq!(requested[0].erasure_id.as_str(), id);
    assert!(
        !serde_json::to_string(&requested[0])
            .unwrap()
            .contains(CLIENT_A),
        "the event names the erasure, not its subject"
    );

    // The sync function runs it; the API shows where it stands.
    let erasure_id = ErasureId::parse(&id).unwrap();
    let done = world
        .run(&acme.tenant_id, &erasure_id, Duration::from_secs(60))
        .await;
    assert_eq!(done.status, ErasureStatus::Completed);
    let (status, _, body) = call(&router, "GET", &format!("/v1/erasures/{id}"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "completed");
    assert_eq!(body["counts"]["snapshot"], 1);
    assert!(body["finished_at"].is_string());
    assert!(world
        .store
        .get_score(&acme.tenant_id, &cid(CLIENT_A))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_contacts_erasure_never_shows_the_contact_id() {
    let world = World::memory();
    let acme = super::world_seed(&world, "acme").await;
    let router = api(&world, &acme.tenant_id);
    let (status, _, body) = call(
        &router,
        "POST",
        "/v1/erasures",
        Some(json!({"scope": "contact", "id": seed::CONTACT_SHARED})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(body["subject"].as_str().unwrap().starts_with("sha256:"));
    assert!(!body.to_string().contains(seed::CONTACT_SHARED));
}

#[tokio::test]
async fn wrong_requests_are_refused_with_the_member_named() {
    let world = World::memory();
    let acme = super::world_seed(&world, "acme").await;
    let router = api(&world, &acme.tenant_id);
    let cases = [
        (
            json!({"scope": "tenant", "id": "another-tenant"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"scope": "client", "id": "a#b"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"scope": "planet", "id": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"scope": "connection", "id": "hubspot"}),
            StatusCode::CONFLICT,
        ),
    ];
    for (body, expected) in cases {
        let (status, _, problem) = call(&router, "POST", "/v1/erasures", Some(body.clone())).await;
        assert_eq!(status, expected, "{body} -> {problem}");
    }
    assert!(super::erasure_requests(&world.bus).is_empty());
    let (status, _, _) = call(&router, "GET", "/v1/erasures/er-0000000000000000", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Tenant scope needs the tenant's own id, as a confirmation.
    let (status, _, body) = call(
        &router,
        "POST",
        "/v1/erasures",
        Some(json!({"scope": "tenant", "id": acme.tenant_id.as_str()})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

#[tokio::test]
async fn deleting_a_connection_erases_it_with_a_receipt() {
    let world = World::memory();
    let acme = super::world_seed(&world, "acme").await;
    let router = api(&world, &acme.tenant_id);

    let (status, _, body) = call(
        &router,
        "DELETE",
        &format!("/v1/connections/{CONNECTION}"),
        None,
    )
    .await;

    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let left = super::left_naming(&world, CONNECTION).await;
    assert!(left.is_empty(), "{left:?}");
    assert!(super::left_naming(&world, PAYER_OF_A).await.is_empty());
    assert_eq!(
        world.secrets_left(&acme.secret_ids[1..2]).await,
        Vec::<String>::new()
    );
    let erasures: Vec<_> = world
        .inspector
        .partition(&acme.tenant_id)
        .await
        .into_iter()
        .filter(|item| item.is_erasure())
        .collect();
    assert_eq!(erasures.len(), 1);
    assert!(erasures[0].text.contains("connection-deleted"));
    assert!(erasures[0].text.contains("completed"));
    // Gone is gone: deleting it again is no error.
    let (status, _, _) = call(
        &router,
        "DELETE",
        &format!("/v1/connections/{CONNECTION}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}
