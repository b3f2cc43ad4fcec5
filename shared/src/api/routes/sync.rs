//! Sync runs: the audit trail, one run, and the manual sync button (incremental or full).

use crate::api::error::{ApiError, Problem};
use crate::api::extract::{ApiQuery, OptionalApiJson};
use crate::api::routes::connections::HUBSPOT_CONNECTION_ID;
use crate::api::routes::{list_error, page_request, path_id};
use crate::api::{ApiState, Caller};
use crate::domain::{SyncId, SyncMode, SyncRun, SyncStatus, SyncTrigger, Tenant, TenantStatus};
use crate::events::{ProductEvent, SyncRequested};
use crate::handlers::sync::effective_mode;
use crate::ports::{Lease, PageRequest};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A running sync older than this is taken for dead (its Lambda timed out without recording the
/// end), so it no longer blocks a manual sync.
pub const RUNNING_SYNC_BLOCKS_FOR: Duration = Duration::hours(1);
/// Serialises concurrent manual-sync requests of one tenant while one is being recorded.
const REQUEST_LEASE_SECONDS: i64 = 30;
/// How many recent runs are checked for one still running.
const RECENT_RUNS_CHECKED: u32 = 20;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SyncRunsQuery {
    /// Page size, 1-200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only runs with this status.
    pub status: Option<SyncStatus>,
    /// Only the runs of this connection (its id), or `hubspot` for the tenant's HubSpot portal.
    pub connection: Option<String>,
}

impl SyncRunsQuery {
    fn accepts(&self, run: &SyncRun) -> bool {
        self.status.is_none_or(|status| run.status == status)
            && self.connection.as_deref().is_none_or(|wanted| {
                match &run.connection_id {
                    Some(id) => id.as_str() == wanted,
                    // The portal's runs name no connection; the connections list calls it so.
                    None => wanted == HUBSPOT_CONNECTION_ID,
                }
            })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SyncRunPage {
    pub items: Vec<SyncRun>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Sync runs, newest first: the HubSpot portal's with records fetched per object type (`counts`),
/// each connection's with its platform and records seen, written and removed (`records`), and why
/// a run failed (`error`). `status` and `connection` filter the runs of each page read, so a
/// filtered page may hold fewer than `limit` runs (even none) while `next_cursor` leads on.
#[utoipa::path(
    get,
    path = "/v1/sync-runs",
    tag = "sync",
    security(("bearer" = [])),
    params(SyncRunsQuery),
    responses(
        (status = 200, description = "A page of sync runs", body = SyncRunPage),
        (status = 400, description = "A parameter is invalid (named in `parameter`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_sync_runs(
    State(state): State<ApiState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<SyncRunsQuery>,
) -> Result<Json<SyncRunPage>, ApiError> {
    let page = page_request(query.limit, query.cursor.clone())?;
    let found = state
        .store
        .list_sync_runs(&caller.tenant_id, &page)
        .await
        .map_err(list_error)?;
    Ok(Json(SyncRunPage {
        items: found
            .items
            .into_iter()
            .filter(|run| query.accepts(run))
            .collect(),
        next_cursor: found.next_cursor,
    }))
}

/// One sync run: watch it after `POST /v1/sync`.
#[utoipa::path(
    get,
    path = "/v1/sync-runs/{id}",
    tag = "sync",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The sync id")),
    responses(
        (status = 200, description = "The sync run", body = SyncRun),
        (status = 400, description = "The id is malformed (`parameter` is `id`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such sync run for this tenant", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_sync_run(
    State(state): State<ApiState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<SyncRun>, ApiError> {
    let sync_id: SyncId = path_id(id)?;
    let run = state
        .store
        .get_sync_run(&caller.tenant_id, &sync_id)
        .await?;
    Ok(Json(run))
}

/// The sync a caller may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestedSyncMode {
    /// What changed since the last sync (the default).
    Incremental,
    /// Every record, which also finds records deleted in HubSpot (its search never shows deletions).
    Full,
}

impl From<RequestedSyncMode> for SyncMode {
    fn from(mode: RequestedSyncMode) -> Self {
        match mode {
            RequestedSyncMode::Incremental => SyncMode::Incremental,
            RequestedSyncMode::Full => SyncMode::Full,
        }
    }
}

/// The optional body of `POST /v1/sync`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncRequestBody {
    /// `incremental` when left out. A tenant's first sync is always full, whatever is asked.
    #[serde(default)]
    pub mode: Option<RequestedSyncMode>,
}

/// Request a sync now: incremental unless the body asks `{"mode": "full"}`. Answers 202 with the run
/// as it will run (a tenant's first sync is full); `Location` is where to watch it.
#[utoipa::path(
    post,
    path = "/v1/sync",
    tag = "sync",
    security(("bearer" = [])),
    request_body(content = Option<SyncRequestBody>, content_type = "application/json",
        description = "Optional; no body asks for an incremental sync"),
    responses(
        (status = 202, description = "The sync was requested; watch the run at `Location`. `mode` is what will run", body = SyncRun,
            headers(("Location" = String, description = "The run's URL"))),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The tenant has not connected a portal yet", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A sync is already running, the tenant is disabled, or HubSpot no longer accepts the connection (`/problems/needs-reauth`: re-connect at `reconnect_url`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A body was sent without a JSON content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is not a sync request (e.g. an unknown `mode`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The sync could not be requested; retry later", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn request_sync(
    State(state): State<ApiState>,
    caller: Caller,
    OptionalApiJson(body): OptionalApiJson<SyncRequestBody>,
) -> Result<Response, ApiError> {
    let requested = body
        .and_then(|body| body.mode)
        .unwrap_or(RequestedSyncMode::Incremental);
    let now = state.now();
    let sync_id = SyncId::starting_at(now);
    let tenant_id = &caller.tenant_id;
    let tenant = state.store.get_tenant(tenant_id).await?;
    refuse_unless_syncable(&state, &tenant)?;
    let leased = state
        .store
        .acquire_lease(
            tenant_id,
            Lease::ManualSyncRequest.name(),
            sync_id.as_str(),
            now + Duration::seconds(REQUEST_LEASE_SECONDS),
            now,
        )
        .await?;
    if !leased {
        return Err(ApiError::conflict(
            "A sync is being requested right now; watch GET /v1/sync-runs.",
        ));
    }
    let outcome = start_sync(
        &state,
        &caller,
        &tenant,
        requested.into(),
        sync_id.clone(),
        now,
    )
    .await;
    if let Err(error) = state
        .store
        .release_lease(tenant_id, Lease::ManualSyncRequest.name(), sync_id.as_str())
        .await
    {
        // It expires by itself shortly; a failed release only delays the next request.
        tracing::warn!(error = %error, "could not release the manual sync lease");
    }
    let run = outcome?;
    let location = format!("/v1/sync-runs/{}", run.sync_id);
    let mut response = (StatusCode::ACCEPTED, Json(run)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// A tenant whose tokens HubSpot refused, or that is disabled, would only record a failed run.
fn refuse_unless_syncable(state: &ApiState, tenant: &Tenant) -> Result<(), ApiError> {
    match tenant.status {
        TenantStatus::Active => Ok(()),
        TenantStatus::NeedsReauth => Err(ApiError::NeedsReauth {
            install_url: state.config.install_url(),
            reason: tenant.status_reason.clone(),
        }),
        TenantStatus::Disabled => Err(ApiError::conflict(
            "This account is disabled, so nothing syncs; ask the operator to enable it.",
        )),
    }
}

async fn start_sync(
    state: &ApiState,
    caller: &Caller,
    tenant: &Tenant,
    requested: SyncMode,
    sync_id: SyncId,
    now: DateTime<Utc>,
) -> Result<SyncRun, ApiError> {
    let tenant_id = &caller.tenant_id;
    let recent = state
        .store
        .list_sync_runs(tenant_id, &PageRequest::first(RECENT_RUNS_CHECKED))
        .await?;
    if let Some(running) = recent.items.iter().find(|run| {
        run.status == SyncStatus::Running && run.started_at > now - RUNNING_SYNC_BLOCKS_FOR
    }) {
        return Err(ApiError::conflict(format!(
            "A sync started at {} is still running; watch /v1/sync-runs/{}.",
            running.started_at.to_rfc3339(),
            running.sync_id
        )));
    }
    let trigger = SyncTrigger::Manual {
        requested_by: caller.subject.clone(),
    };
    let mut request = SyncRequested::recorded(
        tenant_id.clone(),
        requested,
        trigger.clone(),
        sync_id.clone(),
        now,
    );
    // The sync function decides the same way; the event then carries the decided mode, so what is
    // answered, recorded and run stay the same even if a sync finishes meanwhile.
    request.mode = effective_mode(state.store.as_ref(), tenant, &request).await?;
    let mut run = SyncRun::start(tenant_id.clone(), sync_id, request.mode, trigger, now);
    state.store.put_sync_run(&run).await?;
    if let Err(error) = state
        .bus
        .publish(&[ProductEvent::SyncRequested(request)])
        .await
    {
        run.finish(
            SyncStatus::Failed,
            Some("the sync request could not be sent".to_string()),
            now,
        );
        if let Err(store_error) = state.store.put_sync_run(&run).await {
            tracing::error!(error = %store_error, "could not mark the unsent sync run failed");
        }
        return Err(error.into());
    }
    Ok(run)
}
