//! Exports of the tenant's data (admin only: an archive holds everything the tenant has):
//! ask for one, list them, and fetch one's status with a short-lived download link.

use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiQuery;
use crate::api::routes::{list_error, page_request, path_id};
use crate::api::{ApiState, Caller};
use crate::domain::{AuditChange, AuditEntityKind, ExportId, ExportJob, ExportStatus};
use crate::events::{ExportRequested, ProductEvent};
use crate::ports::{DownloadLink, ObjectError, PageRequest};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long a download link works.
pub const LINK_LIFETIME: Duration = Duration::minutes(15);
/// A queued or running export younger than this blocks a new request (one at a time per tenant);
/// an older one is taken for lost.
pub const RUNNING_EXPORT_BLOCKS_FOR: Duration = Duration::hours(1);
/// How many recent exports are checked for one still under way.
const RECENT_EXPORTS_CHECKED: u32 = 10;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportsQuery {
    /// Page size, 1-200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExportPage {
    pub items: Vec<ExportJob>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A link that downloads the archive without credentials until `expires_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExportDownload {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// One export: its job, and while its archive exists a fresh download link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExportView {
    #[serde(flatten)]
    pub job: ExportJob,
    /// When the bucket removes the archive (7 days after it was written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_expires_at: Option<DateTime<Utc>>,
    /// Present once the export succeeded, until its archive expires; valid 15 minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download: Option<ExportDownload>,
}

/// Ask for an export of all the tenant's data: clients, scores and their history, insights,
/// matches, connections (without credentials), settings and the audit trail, as JSON Lines files
/// in a tar.gz with a manifest. It runs in the background: watch it at `Location`.
#[utoipa::path(
    post,
    path = "/v1/exports",
    tag = "exports",
    security(("bearer" = [])),
    responses(
        (status = 202, description = "The export is queued; watch it at `Location`", body = ExportJob,
            headers(("Location" = String, description = "The export's URL"))),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not export (admin needed)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An export of this tenant is already under way", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Exports are not set up here, or the request could not be queued; retry later", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn request_export(
    State(state): State<ApiState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    if state.objects.is_none() {
        return Err(not_set_up());
    }
    let now = state.now();
    let tenant_id = &caller.tenant_id;
    let recent = state
        .store
        .list_exports(tenant_id, &PageRequest::first(RECENT_EXPORTS_CHECKED))
        .await?;
    if let Some(busy) = recent
        .items
        .iter()
        .find(|job| !job.status.is_finished() && job.requested_at > now - RUNNING_EXPORT_BLOCKS_FOR)
    {
        return Err(ApiError::conflict(format!(
            "An export requested at {} is still under way; watch /v1/exports/{}.",
            busy.requested_at.to_rfc3339(),
            busy.id
        )));
    }
    let mut job = ExportJob::queued(tenant_id.clone(), now);
    state.store.put_export(&job).await?;
    if let Err(error) = state
        .bus
        .publish(&[ProductEvent::ExportRequested(ExportRequested::of(&job))])
        .await
    {
        job.fail("the export request could not be sent", now);
        if let Err(store_error) = state.store.put_export(&job).await {
            tracing::error!(error = %store_error, "could not mark the unsent export failed");
        }
        return Err(error.into());
    }
    crate::api::audit::record(
        &state,
        &caller,
        AuditChange::new("export.requested", AuditEntityKind::Export, &job.id).after(&job.status),
    )
    .await?;
    let location = format!("/v1/exports/{}", job.id);
    let mut response = (StatusCode::ACCEPTED, Json(job)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// The tenant's exports, newest first (kept 30 days; archives 7).
#[utoipa::path(
    get,
    path = "/v1/exports",
    tag = "exports",
    security(("bearer" = [])),
    params(ExportsQuery),
    responses(
        (status = 200, description = "A page of exports", body = ExportPage),
        (status = 400, description = "A parameter is invalid (named in `parameter`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not see exports (admin needed)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_exports(
    State(state): State<ApiState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ExportsQuery>,
) -> Result<Json<ExportPage>, ApiError> {
    let page = page_request(query.limit, query.cursor)?;
    let found = state
        .store
        .list_exports(&caller.tenant_id, &page)
        .await
        .map_err(list_error)?;
    Ok(Json(ExportPage {
        items: found.items,
        next_cursor: found.next_cursor,
    }))
}

/// One export's status; once it succeeded, a download link valid for 15 minutes (ask again for a
/// new one) until the archive expires.
#[utoipa::path(
    get,
    path = "/v1/exports/{id}",
    tag = "exports",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The export id")),
    responses(
        (status = 200, description = "The export", body = ExportView),
        (status = 400, description = "The id is malformed (`parameter` is `id`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not see exports (admin needed)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such export for this tenant", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The export bucket is unavailable or not set up", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_export(
    State(state): State<ApiState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<ExportView>, ApiError> {
    let export_id: ExportId = path_id(id)?;
    let job = state
        .store
        .get_export(&caller.tenant_id, &export_id)
        .await?;
    let now = state.now();
    let archive_expires_at = job.archive_expires_at();
    let download = match (&job.object_key, archive_expires_at) {
        (Some(key), Some(gone)) if job.status == ExportStatus::Succeeded && gone > now => {
            let objects = state.objects.as_ref().ok_or_else(not_set_up)?;
            match objects.download_link(key, now, now + LINK_LIFETIME).await {
                Ok(DownloadLink { url, expires_at }) => Some(ExportDownload { url, expires_at }),
                // The lifecycle rule may run a little early: the archive is simply gone.
                Err(ObjectError::NotFound(_)) => None,
                Err(error) => {
                    return Err(ApiError::Unavailable {
                        what: "export bucket",
                        source: Box::new(error),
                    })
                }
            }
        }
        _ => None,
    };
    Ok(Json(ExportView {
        job,
        archive_expires_at,
        download,
    }))
}

fn not_set_up() -> ApiError {
    ApiError::Unavailable {
        what: "exports",
        source: "this deployment has no export bucket (EXPORT_BUCKET_NAME)".into(),
    }
}
