//! Alert rules: list, read, create, replace and delete, with their channels' secrets.
//!
//! Creating writes the channels' secrets first, then the rule (secrets of a rule that could not be
//! saved are removed). Replacing writes the new channels' secrets, then the rule, then removes the
//! secrets of the channels it no longer has. Deleting removes the secrets, then the rule, so a
//! deletion that stopped half-way can run again.

use super::{
    channels_from, new_rule_id, normalized_scope, remove_secrets, secret_ids_of, settings_error,
    write_secrets, AlertRuleInput, AlertRuleView, MAX_RULES,
};
use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiJson;
use crate::api::routes::path_id;
use crate::api::{ApiState, Caller};
use crate::domain::{AlertRule, AlertRuleId, AuditChange, AuditEntityKind};
use crate::ports::StoreError;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlertRuleList {
    /// Every rule of the tenant, by id.
    pub items: Vec<AlertRuleView>,
}

/// The tenant's alert rules.
#[utoipa::path(
    get,
    path = "/v1/alert-rules",
    tag = "alerts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every rule of the tenant", body = AlertRuleList),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_alert_rules(
    State(state): State<ApiState>,
    caller: Caller,
) -> Result<Json<AlertRuleList>, ApiError> {
    let rules = state.store.list_alert_rules(&caller.tenant_id).await?;
    Ok(Json(AlertRuleList {
        items: rules.iter().map(AlertRuleView::from).collect(),
    }))
}

/// One alert rule.
#[utoipa::path(
    get,
    path = "/v1/alert-rules/{id}",
    tag = "alerts",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The rule id")),
    responses(
        (status = 200, description = "The rule", body = AlertRuleView),
        (status = 400, description = "The id is malformed (`parameter` is `id`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such rule", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_alert_rule(
    State(state): State<ApiState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<AlertRuleView>, ApiError> {
    let id: AlertRuleId = path_id(id)?;
    let rule = state.store.get_alert_rule(&caller.tenant_id, &id).await?;
    Ok(Json(AlertRuleView::from(&rule)))
}

/// Create an alert rule. Each Slack, Teams or webhook channel's URL is kept in a secret of its own
/// and never shown again (answers show a `display` hint). A webhook channel gets a signing key
/// (`whsec_…`): its deliveries carry `webhook-id`, `webhook-timestamp` and `webhook-signature` as the
/// Standard Webhooks specification describes, and the key to verify them is in this answer's
/// `signing_secret`, ONLY here: keep it now.
#[utoipa::path(
    post,
    path = "/v1/alert-rules",
    tag = "alerts",
    security(("bearer" = [])),
    request_body(content = AlertRuleInput, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; webhook channels carry their `signing_secret`, shown this once", body = AlertRuleView),
        (status = 400, description = "The body is not JSON, or a member breaks a rule (named in `field`, e.g. `channels[0].url`: a Slack URL must be an https://hooks.slack.com/ webhook)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The tenant has not connected a portal yet", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The tenant has as many rules as it may have", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A body was sent without a JSON content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is not an alert rule: a member is missing or of the wrong type, or a channel `kind` is not one of `slack`, `teams`, `email`, `webhook` (the detail names the member and the allowed values)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_alert_rule(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(body): ApiJson<AlertRuleInput>,
) -> Result<Response, ApiError> {
    let tenant_id = &caller.tenant_id;
    let id = new_rule_id()?;
    let (channels, created) = channels_from(&state, tenant_id, &body.channels, &[])?;
    let now = state.now();
    let rule = AlertRule {
        id,
        tenant_id: tenant_id.clone(),
        name: body.name.trim().to_string(),
        enabled: body.enabled,
        condition: body.condition,
        scope: normalized_scope(body.scope),
        channels,
        cooldown_minutes: body
            .cooldown_minutes
            .unwrap_or(AlertRule::DEFAULT_COOLDOWN_MINUTES),
        delivery: body.delivery,
        disabled_reason: None,
        created_at: now,
        updated_at: now,
        version: 0,
    };
    rule.validate().map_err(settings_error)?;
    state.store.get_tenant(tenant_id).await?;
    if state.store.list_alert_rules(tenant_id).await?.len() >= MAX_RULES {
        return Err(ApiError::conflict(format!(
            "This account already has {MAX_RULES} alert rules; delete one first."
        )));
    }
    write_secrets(&state, &created).await?;
    if let Err(error) = state.store.create_alert_rule(&rule).await {
        // Nothing refers to the secrets yet: leave no orphan behind.
        remove_secrets(&state, secret_ids_of(&rule.channels)).await;
        return Err(error.into());
    }
    tracing::info!(rule = %rule.id, channels = rule.channels.len(), by = %caller.subject, "alert rule created");
    let audit = AuditChange::new("alert_rule.created", AuditEntityKind::AlertRule, &rule.id)
        .after(&audited(&rule));
    crate::api::audit::record(&state, &caller, audit).await?;
    let view = AlertRuleView::with_new_keys(&rule, &created);
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Replace an alert rule. Channels given with their `id` (and `kind`) are kept as they are (an email
/// channel may change its recipients); channels given with a `url` or new recipients are new (a
/// new webhook channel's `signing_secret` is in this answer, only here); channels left out are
/// removed with their secrets. Enabling a rule the product disabled clears `disabled_reason`.
#[utoipa::path(
    put,
    path = "/v1/alert-rules/{id}",
    tag = "alerts",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The rule id")),
    request_body(content = AlertRuleInput, content_type = "application/json"),
    responses(
        (status = 200, description = "The rule after the change; new webhook channels carry their `signing_secret`, shown this once", body = AlertRuleView),
        (status = 400, description = "The id is malformed (`parameter`), the body is not JSON, or a member breaks a rule (named in `field`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such rule", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The rule changed since `version`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A body was sent without a JSON content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is not an alert rule (the detail names the member; an unknown channel `kind` lists the allowed ones)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_alert_rule(
    State(state): State<ApiState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
    ApiJson(body): ApiJson<AlertRuleInput>,
) -> Result<Json<AlertRuleView>, ApiError> {
    let id: AlertRuleId = path_id(id)?;
    let tenant_id = &caller.tenant_id;
    let current = state.store.get_alert_rule(tenant_id, &id).await?;
    if let Some(version) = body.version.filter(|v| *v != current.version) {
        return Err(ApiError::conflict(format!(
            "The rule is at version {}, not {version}: read it again and retry.",
            current.version
        )));
    }
    let (channels, created) = channels_from(&state, tenant_id, &body.channels, &current.channels)?;
    let mut rule = current.clone();
    rule.name = body.name.trim().to_string();
    rule.condition = body.condition;
    rule.scope = normalized_scope(body.scope);
    rule.channels = channels;
    rule.cooldown_minutes = body
        .cooldown_minutes
        .unwrap_or(AlertRule::DEFAULT_COOLDOWN_MINUTES);
    rule.delivery = body.delivery;
    if body.enabled && !current.enabled {
        // Whoever enables it again has fixed (or accepted) what turned it off.
        rule.disabled_reason = None;
    }
    rule.enabled = body.enabled;
    rule.updated_at = state.now();
    rule.validate().map_err(settings_error)?;

    write_secrets(&state, &created).await?;
    let updated = match state.store.update_alert_rule(&rule).await {
        Ok(updated) => updated,
        Err(error) => {
            remove_secrets(&state, secret_ids_of(created.iter().map(|c| &c.channel))).await;
            return Err(match error {
                StoreError::Conflict { .. } => ApiError::conflict(
                    "The rule was changed by someone else meanwhile; read it again and retry.",
                ),
                other => other.into(),
            });
        }
    };
    let dropped = secret_ids_of(
        current
            .channels
            .iter()
            .filter(|old| !updated.channels.iter().any(|kept| kept.id == old.id)),
    );
    remove_secrets(&state, dropped).await;
    tracing::info!(rule = %updated.id, enabled = updated.enabled, by = %caller.subject, "alert rule changed");
    let audit = AuditChange::new(
        "alert_rule.updated",
        AuditEntityKind::AlertRule,
        &updated.id,
    )
    .before(&audited(&current))
    .after(&audited(&updated));
    crate::api::audit::record(&state, &caller, audit).await?;
    Ok(Json(AlertRuleView::with_new_keys(&updated, &created)))
}

/// Delete an alert rule with its channels' secrets, states and waiting alerts. Deleting one that is
/// gone is no error. The delivery log keeps its records.
#[utoipa::path(
    delete,
    path = "/v1/alert-rules/{id}",
    tag = "alerts",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The rule id")),
    responses(
        (status = 204, description = "The rule and its secrets are gone"),
        (status = 400, description = "The id is malformed (`parameter` is `id`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_alert_rule(
    State(state): State<ApiState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let id: AlertRuleId = path_id(id)?;
    let tenant_id = &caller.tenant_id;
    let rule = match state.store.get_alert_rule(tenant_id, &id).await {
        Ok(rule) => rule,
        Err(StoreError::NotFound { .. }) => return Ok(StatusCode::NO_CONTENT),
        Err(error) => return Err(error.into()),
    };
    for secret_id in secret_ids_of(&rule.channels) {
        state.vault.delete(&secret_id).await?;
    }
    state.store.delete_alert_rule(tenant_id, &id).await?;
    tracing::info!(rule = %id, by = %caller.subject, "alert rule deleted");
    let audit = AuditChange::new("alert_rule.deleted", AuditEntityKind::AlertRule, &id)
        .before(&audited(&rule));
    crate::api::audit::record(&state, &caller, audit).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the audit trail keeps of a rule: its settings and each channel's kind and id, never a
/// channel's destination (email recipients are people; webhook URLs are secrets).
fn audited(rule: &AlertRule) -> serde_json::Value {
    serde_json::json!({
        "name": rule.name,
        "enabled": rule.enabled,
        "condition": rule.condition,
        "scope": rule.scope,
        "cooldown_minutes": rule.cooldown_minutes,
        "delivery": rule.delivery,
        "channels": rule
            .channels
            .iter()
            .map(|channel| serde_json::json!({"id": channel.id, "kind": channel.kind}))
            .collect::<Vec<_>>(),
        "disabled_reason": rule.disabled_reason,
        "version": rule.version,
    })
}
