//! `POST /v1/exports`, `GET /v1/exports` and `GET /v1/exports/{id}` on the in-memory store, bus
//! and bucket.

use crate::api_support::{config_with, now, tenant, tenant_id, Api, TENANT};
use axum::http::StatusCode;
use shared::api::{routes, Access};
use shared::domain::{ExportJob, ExportStatus, Role};
use shared::events::ProductEvent;
use shared::handlers::export::handle_export_requested;
use shared::objects::MemoryObjectStore;
use shared::portability::read_archive;
use shared::ports::{ExportStore, TenantStore};
use std::sync::Arc;

async fn api_with_bucket() -> (Api, MemoryObjectStore) {
    let objects = MemoryObjectStore::new();
    let bucket = objects.clone();
    let api = Api::with_state(config_with(|_| None), move |state| {
        state.with_object_store(Some(Arc::new(bucket)))
    });
    api.store.create_tenant(&tenant(TENANT)).await.unwrap();
    (api, objects)
}

fn requested_exports(api: &Api) -> Vec<shared::events::ExportRequested> {
    api.bus
        .published()
        .iter()
        .filter_map(|d| match d.event() {
            Ok(ProductEvent::ExportRequested(e)) => Some(e),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_requested_export_is_queued_then_downloadable_through_a_short_lived_link() {
    let (api, objects) = api_with_bucket().await;
    let reply = api.call("POST", "/v1/exports", None).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    let job: ExportJob = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(job.status, ExportStatus::Queued);
    assert_eq!(
        reply.headers["location"].to_str().unwrap(),
        format!("/v1/exports/{}", job.id)
    );
    let events = requested_exports(&api);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].export_id, job.id);

    let queued = api
        .call("GET", &format!("/v1/exports/{}", job.id), None)
        .await;
    assert_eq!(queued.status, StatusCode::OK);
    assert_eq!(queued.json()["status"], "queued");
    assert!(queued.json().get("download").is_none());

    handle_export_requested(&api.store, &objects, &events[0], now())
        .await
        .unwrap();
    let done = api
        .call("GET", &format!("/v1/exports/{}", job.id), None)
        .await;
    let body = done.json();
    assert_eq!(body["status"], "succeeded", "{body}");
    assert_eq!(body["counts"]["settings.jsonl"], 1);
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(body["download"]["expires_at"].clone()).unwrap();
    assert_eq!(expires, now() + chrono::Duration::minutes(15));
    let url = body["download"]["url"].as_str().unwrap();
    let (archive, _) = objects
        .open_link(url, now() + chrono::Duration::minutes(14))
        .unwrap();
    assert_eq!(
        read_archive(&archive).unwrap().manifest.tenant_id.as_str(),
        TENANT
    );
    assert!(objects
        .open_link(url, now() + chrono::Duration::minutes(15))
        .is_err());

    let listed = api.call("GET", "/v1/exports", None).await.json();
    assert_eq!(listed["items"][0]["id"], job.id.to_string());
    assert_eq!(listed["items"][0]["status"], "succeeded");
}

#[tokio::test]
async fn one_export_at_a_time_per_tenant() {
    let (api, _) = api_with_bucket().await;
    let first = api.call("POST", "/v1/exports", None).await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    let second = api.call("POST", "/v1/exports", None).await;
    let problem = second.problem(StatusCode::CONFLICT);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("still under way"),
        "{problem}"
    );
    assert_eq!(requested_exports(&api).len(), 1);
}

#[tokio::test]
async fn an_expired_archive_gives_no_link_and_a_job_of_another_tenant_is_not_found() {
    let (api, _) = api_with_bucket().await;
    let mut old = ExportJob::queued(tenant_id(TENANT), now() - chrono::Duration::days(8));
    old.succeed(
        old.archive_key(),
        Default::default(),
        10,
        now() - chrono::Duration::days(8),
    );
    api.store.put_export(&old).await.unwrap();
    let body = api
        .call("GET", &format!("/v1/exports/{}", old.id), None)
        .await
        .json();
    assert_eq!(body["status"], "succeeded");
    assert!(body.get("download").is_none(), "{body}");

    let theirs = ExportJob::queued(tenant_id("hs-2002"), now());
    api.store.put_export(&theirs).await.unwrap();
    let reply = api
        .call("GET", &format!("/v1/exports/{}", theirs.id), None)
        .await;
    reply.problem(StatusCode::NOT_FOUND);
    let reply = api.call("GET", "/v1/exports/not%20an%20id", None).await;
    reply.problem(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn without_an_export_bucket_exports_are_unavailable() {
    let api = Api::new();
    api.store.create_tenant(&tenant(TENANT)).await.unwrap();
    let reply = api.call("POST", "/v1/exports", None).await;
    reply.problem(StatusCode::SERVICE_UNAVAILABLE);
    assert!(requested_exports(&api).is_empty());
}

#[test]
fn every_export_route_is_the_admins_even_reading() {
    let exports: Vec<_> = routes::table()
        .into_iter()
        .filter(|r| r.path.starts_with("/v1/exports"))
        .map(|r| (r.method, r.path, r.access))
        .collect();
    assert_eq!(exports.len(), 3);
    for (method, path, access) in exports {
        assert_eq!(access, Access::AtLeast(Role::Admin), "{method} {path}");
    }
}
