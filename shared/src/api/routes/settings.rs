//! The tenant's settings: scoring, matching, alerting (time zone, quiet hours, digest) and HubSpot
//! write-back.

use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiJson;
use crate::api::{ApiState, Caller};
use crate::domain::{
    AlertingSettings, AuditChange, AuditEntityKind, AuditSettings, MatchingSettings,
    ScoringSettings, SettingsError, Tenant, WritebackSettings,
};
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SettingsView {
    pub settings: ScoringSettings,
    /// When a record of another platform links itself to a client, or waits for review.
    pub matching: MatchingSettings,
    /// When and how alerts go out: the time zone quiet hours and the digest hour are in.
    pub alerting: AlertingSettings,
    /// Whether health is written back to the HubSpot companies (it needs the optional write scopes).
    pub writeback: WritebackSettings,
    /// How long the audit trail is kept.
    pub audit: AuditSettings,
    /// Send it back with a change: a change made against an older version is refused with 409.
    pub version: u64,
    /// When the settings last changed (scoring re-scores every client after a change).
    pub settings_changed_at: DateTime<Utc>,
}

impl From<Tenant> for SettingsView {
    fn from(tenant: Tenant) -> Self {
        Self {
            settings: tenant.settings,
            matching: tenant.matching,
            alerting: tenant.alerting,
            writeback: tenant.writeback,
            audit: tenant.audit,
            version: tenant.version,
            settings_changed_at: tenant.settings_changed_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsUpdate {
    pub settings: ScoringSettings,
    /// Absent: the matching thresholds stay as they are.
    #[serde(default)]
    pub matching: Option<MatchingSettings>,
    /// Absent: the alerting settings stay as they are.
    #[serde(default)]
    pub alerting: Option<AlertingSettings>,
    /// Absent: write-back stays as it is.
    #[serde(default)]
    pub writeback: Option<WritebackSettings>,
    /// Absent: the audit retention stays as it is.
    #[serde(default)]
    pub audit: Option<AuditSettings>,
    /// The `version` the caller read; when given and the settings moved on, 409.
    #[serde(default)]
    pub version: Option<u64>,
}

/// The tenant's scoring settings.
#[utoipa::path(
    get,
    path = "/v1/settings",
    tag = "settings",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The settings", body = SettingsView),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The tenant has not connected a portal yet", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_settings(
    State(state): State<ApiState>,
    caller: Caller,
) -> Result<Json<SettingsView>, ApiError> {
    let tenant = state.store.get_tenant(&caller.tenant_id).await?;
    Ok(Json(tenant.into()))
}

/// Replace the scoring settings (and, when given, the matching thresholds, the alerting settings and
/// write-back). A change of scoring or matching re-matches and re-scores every client after the
/// next sync; alerting and write-back changes apply from the next alert and scoring.
#[utoipa::path(
    put,
    path = "/v1/settings",
    tag = "settings",
    security(("bearer" = [])),
    request_body = SettingsUpdate,
    responses(
        (status = 200, description = "The settings after the change", body = SettingsView),
        (status = 400, description = "A setting is out of range (named in `field`), or the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The tenant has not connected a portal yet", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The settings changed since `version`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is not a settings update", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_settings(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(update): ApiJson<SettingsUpdate>,
) -> Result<Json<SettingsView>, ApiError> {
    update.settings.validate().map_err(invalid_field)?;
    if let Some(matching) = &update.matching {
        matching.validate().map_err(invalid_field)?;
    }
    if let Some(alerting) = &update.alerting {
        alerting.validate().map_err(invalid_field)?;
    }
    if let Some(audit) = &update.audit {
        audit.validate().map_err(invalid_field)?;
    }
    let mut tenant = state.store.get_tenant(&caller.tenant_id).await?;
    if let Some(version) = update.version.filter(|v| *v != tenant.version) {
        return Err(ApiError::conflict(format!(
            "The settings are at version {}, not {version}: read them again and retry.",
            tenant.version
        )));
    }
    let matching = update.matching.unwrap_or(tenant.matching);
    let alerting = update.alerting.unwrap_or_else(|| tenant.alerting.clone());
    let writeback = update.writeback.unwrap_or(tenant.writeback);
    let audit = update.audit.unwrap_or(tenant.audit);
    let rescore = tenant.settings != update.settings || tenant.matching != matching;
    if !rescore
        && tenant.alerting == alerting
        && tenant.writeback == writeback
        && tenant.audit == audit
    {
        return Ok(Json(tenant.into()));
    }
    let before = SettingsView::from(tenant.clone());
    let now = state.now();
    if rescore {
        tenant.settings_changed_at = now;
    }
    tenant.settings = update.settings;
    tenant.matching = matching;
    tenant.alerting = alerting;
    tenant.writeback = writeback;
    tenant.audit = audit;
    tenant.updated_at = now;
    let updated = state.store.update_tenant(&tenant).await?;
    tracing::info!(tenant_id = %updated.id, rescore, by = %caller.subject, "settings changed");
    let after = SettingsView::from(updated);
    crate::api::audit::record(
        &state,
        &caller,
        settings_change(&caller.tenant_id, &before, &after),
    )
    .await?;
    Ok(Json(after))
}

/// The audit record of a settings change: before and after of the sections that changed only, so
/// the entry stays small and says what moved.
fn settings_change(
    tenant_id: &crate::domain::TenantId,
    before: &SettingsView,
    after: &SettingsView,
) -> AuditChange {
    let (mut old, mut new) = (serde_json::Map::new(), serde_json::Map::new());
    let as_json = |view: &SettingsView| serde_json::to_value(view).unwrap_or_default();
    let (before_json, after_json) = (as_json(before), as_json(after));
    for section in ["settings", "matching", "alerting", "writeback", "audit"] {
        if before_json[section] != after_json[section] {
            old.insert(section.to_string(), before_json[section].clone());
            new.insert(section.to_string(), after_json[section].clone());
        }
    }
    AuditChange::new("settings.updated", AuditEntityKind::Settings, tenant_id)
        .before(&old)
        .after(&new)
        .detail(
            serde_json::json!({"version_before": before.version, "version_after": after.version}),
        )
}

fn invalid_field(error: SettingsError) -> ApiError {
    ApiError::InvalidField {
        field: error.field.to_string(),
        reason: error.reason,
    }
}
