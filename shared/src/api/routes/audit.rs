//! The audit trail: who changed what, when, from which request; newest first, with filters.
//!
//! Editors and admins read it, viewers do not: the trail names colleagues (their subjects and
//! roles) and the state before and after each change, which is accountability information rather
//! than the client health a viewer is given; editors need it to see who triaged what, admins for
//! compliance. The rule is written in `access_of` with the other routes' access.

use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiQuery;
use crate::api::routes::{list_error, page_request};
use crate::api::{ApiState, Caller};
use crate::domain::{AuditEntityKind, AuditEntry, AuditFilter};
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The longest action or actor a filter takes.
const MAX_FILTER_CHARS: usize = 256;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only changes of this kind of entity.
    pub entity: Option<AuditEntityKind>,
    /// Only changes of this entity (with `entity`, one insight, connection or rule).
    pub entity_id: Option<String>,
    /// Only this action, e.g. `insight.acknowledged`.
    pub action: Option<String>,
    /// Only changes by this subject, or `system` for the changes the product made by itself.
    pub actor: Option<String>,
    /// Only changes at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Only changes at or before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1-200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page (with the same filters).
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl AuditQuery {
    fn filter(&self) -> Result<AuditFilter, ApiError> {
        let text = |name: &str, value: &Option<String>| -> Result<Option<String>, ApiError> {
            match value.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(value) if value.chars().count() > MAX_FILTER_CHARS => {
                    Err(ApiError::bad_parameter(
                        name,
                        format!("is longer than {MAX_FILTER_CHARS} characters"),
                    ))
                }
                Some(value) => Ok(Some(value.to_string())),
            }
        };
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from > to {
                return Err(ApiError::bad_parameter("from", "must not be after `to`"));
            }
        }
        Ok(AuditFilter {
            entity: self.entity,
            entity_id: text("entity_id", &self.entity_id)?,
            action: text("action", &self.action)?,
            actor: text("actor", &self.actor)?,
            from: self.from,
            to: self.to,
        })
    }
}

/// The tenant's audit trail, newest first: every change by a person (subject, role, request id) or
/// by the product itself (sync and scoring runs with their counts); before and after where small.
/// Entries expire after the tenant's audit retention (settings, `audit.retention_days`).
#[utoipa::path(
    get,
    path = "/v1/audit",
    tag = "audit",
    security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of audit entries, newest first", body = AuditPage),
        (status = 400, description = "A parameter is invalid (named in `parameter`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_audit(
    State(state): State<ApiState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let page = page_request(query.limit, query.cursor.clone())?;
    let filter = query.filter()?;
    let found = state
        .store
        .list_audit(&caller.tenant_id, &filter, &page)
        .await
        .map_err(list_error)?;
    Ok(Json(AuditPage {
        items: found.items,
        next_cursor: found.next_cursor,
    }))
}
