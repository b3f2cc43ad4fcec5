//! `POST /v1/sync`: it answers the mode that will really run (a tenant's first sync is full) and
//! records and requests the same; a caller may ask for a full sync; a tenant HubSpot no longer
//! accepts gets a 409 that says how to re-connect, not a run bound to fail.

mod api_support;

use api_support::{now, tenant, tenant_id, Api, TENANT, TOKEN};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::Value;
use shared::domain::{ObjectType, SyncCheckpoint, SyncId, SyncMode, TenantStatus};
use shared::events::ProductEvent;
use shared::ports::{SyncStore, TenantStore};

/// A tenant that has synced before: its walks have watermarks.
async fn synced_before(api: &Api) {
    api.store.create_tenant(&tenant(TENANT)).await.unwrap();
    api.store
        .put_checkpoint(
            &tenant_id(TENANT),
            &SyncCheckpoint {
                object_type: ObjectType::Companies,
                watermark: Some(now() - chrono::Duration::hours(1)),
                cursor: None,
                sync_id: None,
                updated_at: now() - chrono::Duration::hours(1),
            },
        )
        .await
        .unwrap();
}

/// The mode answered, recorded and sent on the bus must be one and the same.
async fn requested_mode(api: &Api, body: Option<&str>) -> SyncMode {
    let reply = api.call("POST", "/v1/sync", body).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    let answered: Value = reply.json();
    let mode: SyncMode = serde_json::from_value(answered["mode"].clone()).unwrap();
    let sync_id = SyncId::parse(answered["sync_id"].as_str().unwrap()).unwrap();
    let recorded = api
        .store
        .get_sync_run(&tenant_id(TENANT), &sync_id)
        .await
        .unwrap();
    assert_eq!(recorded.mode, mode);
    let published = api.bus.published();
    match published.last().and_then(|p| p.event().ok()) {
        Some(ProductEvent::SyncRequested(request)) => {
            assert_eq!(request.mode, mode);
            assert_eq!(request.sync_id, Some(sync_id.clone()));
        }
        other => panic!("expected SyncRequested, got {other:?}"),
    }
    // Let the next request through: this run is over.
    let mut finished = recorded;
    finished.status = shared::domain::SyncStatus::Succeeded;
    finished.finished_at = Some(now());
    api.store.put_sync_run(&finished).await.unwrap();
    mode
}

#[tokio::test]
async fn the_first_sync_of_a_tenant_is_answered_and_recorded_as_full() {
    let api = Api::new();
    api.store.create_tenant(&tenant(TENANT)).await.unwrap();
    assert_eq!(requested_mode(&api, None).await, SyncMode::Full);
    assert_eq!(
        requested_mode(&api, Some(r#"{"mode":"incremental"}"#)).await,
        SyncMode::Full
    );
}

#[tokio::test]
async fn a_caller_may_ask_for_a_full_sync_and_gets_incremental_by_default() {
    let api = Api::new();
    synced_before(&api).await;
    assert_eq!(requested_mode(&api, None).await, SyncMode::Incremental);
    assert_eq!(requested_mode(&api, Some("")).await, SyncMode::Incremental);
    assert_eq!(
        requested_mode(&api, Some("{}")).await,
        SyncMode::Incremental
    );
    assert_eq!(
        requested_mode(&api, Some("null")).await,
        SyncMode::Incremental
    );
    assert_eq!(
        requested_mode(&api, Some(r#"{"mode":"full"}"#)).await,
        SyncMode::Full
    );
    assert_eq!(
        requested_mode(&api, Some(r#"{"mode":"incremental"}"#)).await,
        SyncMode::Incremental
    );
}

#[tokio::test]
async fn a_bad_sync_body_is_a_problem_and_requests_nothing() {
    let api = Api::new();
    synced_before(&api).await;
    for (body, status) in [
        (r#"{"mode":"sideways"}"#, StatusCode::UNPROCESSABLE_ENTITY),
        (r#"{"mode":"objects"}"#, StatusCode::UNPROCESSABLE_ENTITY),
        (
            r#"{"mode":"full","extra":1}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("{not json", StatusCode::BAD_REQUEST),
    ] {
        api.call("POST", "/v1/sync", Some(body))
            .await
            .problem(status);
    }
    let request = Request::post("/v1/sync")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(r#"{"mode":"full"}"#))
        .unwrap();
    api.send(request)
        .await
        .problem(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(api.bus.published().is_empty());
}

#[tokio::test]
async fn a_tenant_that_needs_reauth_gets_a_409_with_the_install_link() {
    let api = Api::new();
    synced_before(&api).await;
    let mut stored = api.store.get_tenant(&tenant_id(TENANT)).await.unwrap();
    stored.status = TenantStatus::NeedsReauth;
    stored.status_reason = Some("HubSpot refused the refresh token".to_string());
    api.store.update_tenant(&stored).await.unwrap();

    let problem = api
        .call("POST", "/v1/sync", None)
        .await
        .problem(StatusCode::CONFLICT);
    assert_eq!(problem["type"], "/problems/needs-reauth");
    assert_eq!(
        problem["reconnect_url"],
        "https://insights.example.com/oauth/install"
    );
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("re-connect"), "{detail}");
    assert!(
        detail.contains("https://insights.example.com/oauth/install"),
        "{detail}"
    );
    assert!(detail.contains("refused the refresh token"), "{detail}");
    assert!(api.bus.published().is_empty(), "no run bound to fail");
    let runs = api
        .store
        .list_sync_runs(&tenant_id(TENANT), &shared::ports::PageRequest::first(10))
        .await
        .unwrap();
    assert!(runs.items.is_empty());

    stored = api.store.get_tenant(&tenant_id(TENANT)).await.unwrap();
    stored.status = TenantStatus::Disabled;
    api.store.update_tenant(&stored).await.unwrap();
    let problem = api
        .call("POST", "/v1/sync", None)
        .await
        .problem(StatusCode::CONFLICT);
    assert_eq!(problem["type"], "/problems/conflict");
}

#[tokio::test]
async fn a_tenant_that_never_connected_is_not_found() {
    let api = Api::new();
    api.call("POST", "/v1/sync", None)
        .await
        .problem(StatusCode::NOT_FOUND);
    assert!(api.bus.published().is_empty());
}

#[test]
fn the_document_says_the_body_is_optional_and_offers_both_modes() {
    let document: Value =
        serde_json::from_str(&shared::api::openapi::document_json()).expect("JSON");
    let body = &document["paths"]["/v1/sync"]["post"]["requestBody"];
    assert_ne!(body["required"], true, "{body}");
    let schema = body["content"]["application/json"]["schema"].to_string();
    assert!(
        schema.contains("#/components/schemas/SyncRequestBody"),
        "{schema}"
    );
    let modes: Vec<&str> = document["components"]["schemas"]["RequestedSyncMode"]["enum"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(modes, ["incremental", "full"]);
    let conflict =
        document["paths"]["/v1/sync"]["post"]["responses"]["409"]["description"].to_string();
    assert!(conflict.contains("needs-reauth"), "{conflict}");
}
