//! Snoozed clients: no alerts about a client until a time (a known issue being handled).

use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiJson;
use crate::api::routes::path_id;
use crate::api::{ApiState, Caller};
use crate::domain::{ClientId, ClientSnooze};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The longest snooze: a client quiet for longer should leave the rule's scope instead.
pub const MAX_SNOOZE_DAYS: i64 = 90;
const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnoozeInput {
    /// When alerts about the client start again: in the future, at most 90 days ahead.
    pub until: DateTime<Utc>,
    /// Why, for the others to read (up to 500 characters).
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SnoozeList {
    /// The snoozes that have not ended.
    pub items: Vec<ClientSnooze>,
}

/// Snooze a client: no rule alerts about it until `until`. Snoozing it again replaces the snooze.
#[utoipa::path(
    put,
    path = "/v1/clients/{id}/snooze",
    tag = "alerts",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The client id")),
    request_body(content = SnoozeInput, content_type = "application/json"),
    responses(
        (status = 200, description = "The client is snoozed", body = ClientSnooze),
        (status = 400, description = "The id is malformed (`parameter`), the body is not JSON, or `until` is not in the next 90 days or `reason` is too long (`field`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No scored client with this id for this tenant", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A body was sent without a JSON content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is not a snooze", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn snooze_client(
    State(state): State<ApiState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
    ApiJson(body): ApiJson<SnoozeInput>,
) -> Result<Json<ClientSnooze>, ApiError> {
    let client_id: ClientId = path_id(id)?;
    let now = state.now();
    let snooze = checked_snooze(client_id, body, &caller.subject, now)?;
    let tenant_id = &caller.tenant_id;
    state
        .store
        .get_score(tenant_id, &snooze.client_id)
        .await?
        .ok_or(ApiError::NotFound { entity: "client" })?;
    state.store.put_snooze(tenant_id, &snooze).await?;
    tracing::info!(client = %snooze.client_id, until = %snooze.until, by = %caller.subject, "client snoozed");
    // The until only: a reason is free text a person typed, which may name people.
    let audit = crate::domain::AuditChange::new(
        "client_snooze.created",
        crate::domain::AuditEntityKind::ClientSnooze,
        &snooze.client_id,
    )
    .after(&serde_json::json!({"until": snooze.until}));
    crate::api::audit::record(&state, &caller, audit).await?;
    Ok(Json(snooze))
}

/// End a client's snooze now. Ending one that is not there is no error.
#[utoipa::path(
    delete,
    path = "/v1/clients/{id}/snooze",
    tag = "alerts",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The client id")),
    responses(
        (status = 204, description = "The client is not snoozed"),
        (status = 400, description = "The id is malformed (`parameter` is `id`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn end_snooze(
    State(state): State<ApiState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let client_id: ClientId = path_id(id)?;
    state
        .store
        .delete_snooze(&caller.tenant_id, &client_id)
        .await?;
    tracing::info!(client = %client_id, by = %caller.subject, "client snooze ended");
    let audit = crate::domain::AuditChange::new(
        "client_snooze.ended",
        crate::domain::AuditEntityKind::ClientSnooze,
        &client_id,
    );
    crate::api::audit::record(&state, &caller, audit).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The clients snoozed now.
#[utoipa::path(
    get,
    path = "/v1/snoozes",
    tag = "alerts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The snoozes that have not ended", body = SnoozeList),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_snoozes(
    State(state): State<ApiState>,
    caller: Caller,
) -> Result<Json<SnoozeList>, ApiError> {
    let mut items = state
        .store
        .active_snoozes(&caller.tenant_id, state.now())
        .await?;
    items.sort_by_key(|snooze| snooze.until);
    Ok(Json(SnoozeList { items }))
}

/// The snooze a body asks for, when it ends in the next [`MAX_SNOOZE_DAYS`] days.
fn checked_snooze(
    client_id: ClientId,
    body: SnoozeInput,
    by: &str,
    now: DateTime<Utc>,
) -> Result<ClientSnooze, ApiError> {
    let invalid = |field: &str, reason: String| ApiError::InvalidField {
        field: field.to_string(),
        reason,
    };
    if body.until <= now {
        return Err(invalid("until", "must be in the future".to_string()));
    }
    if body.until > now + Duration::days(MAX_SNOOZE_DAYS) {
        return Err(invalid(
            "until",
            format!("must be at most {MAX_SNOOZE_DAYS} days ahead"),
        ));
    }
    let reason = body
        .reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_REASON_CHARS)
    {
        return Err(invalid(
            "reason",
            format!("must be at most {MAX_REASON_CHARS} characters"),
        ));
    }
    Ok(ClientSnooze {
        client_id,
        until: body.until,
        reason,
        by: by.to_string(),
        created_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
    }

    fn field_of(until: DateTime<Utc>, reason: Option<String>) -> Option<String> {
        let client = ClientId::parse("c-1").unwrap();
        match checked_snooze(client, SnoozeInput { until, reason }, "me", now()) {
            Ok(_) => None,
            Err(ApiError::InvalidField { field, .. }) => Some(field),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_snooze_ends_in_the_next_ninety_days() {
        assert_eq!(field_of(now(), None).as_deref(), Some("until"));
        assert_eq!(
            field_of(now() - Duration::hours(1), None).as_deref(),
            Some("until")
        );
        assert_eq!(field_of(now() + Duration::days(90), None), None);
        assert_eq!(
            field_of(now() + Duration::days(90) + Duration::seconds(1), None).as_deref(),
            Some("until")
        );
        assert_eq!(
            field_of(now() + Duration::days(1), Some("x".repeat(501))).as_deref(),
            Some("reason")
        );
    }
}
