//! The tenant's settings: scoring, matching, alerting (time zone, quiet hours, digest) and HubSpot
//! write-back; the versions the settings went through; and a preview of what a change of scoring
//! settings would do to the health bands.

use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiJson;
use crate::api::extract::ApiQuery;
use crate::api::routes::{list_error, page_request};
use crate::api::{ApiState, Caller};
use crate::domain::{
    AlertingSettings, AuditChange, AuditEntityKind, AuditSettings, BandCounts, ClientId,
    HealthBand, HealthScore, MatchingSettings, ScoringSettings, SettingsError, SettingsVersion,
    Tenant, WritebackSettings,
};
use crate::handlers::score::linked_records;
use crate::ports::StoreError;
use crate::scoring::score_linked_tenant;
use crate::store::every_page;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

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
    validate(&update)?;
    let mut update = update;
    let mut tenant = state.store.get_tenant(&caller.tenant_id).await?;
    // The version is the store's to set: what the caller sent is not compared nor kept.
    update.settings.version = tenant.settings.version;
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
    let first_version = (tenant.settings.version == 0).then(|| SettingsVersion {
        tenant_id: tenant.id.clone(),
        version: 0,
        changed_at: tenant.created_at,
        changed_by: None,
        sections: Vec::new(),
        settings: tenant.settings.clone(),
    });
    update.settings.version = tenant.settings.version.saturating_add(1);
    tenant.settings = update.settings;
    tenant.matching = matching;
    tenant.alerting = alerting;
    tenant.writeback = writeback;
    tenant.audit = audit;
    tenant.updated_at = now;
    let updated = state.store.update_tenant(&tenant).await?;
    tracing::info!(tenant_id = %updated.id, rescore, by = %caller.subject, "settings changed");
    let after = SettingsView::from(updated);
    let change = settings_change(&caller.tenant_id, &before, &after);
    // Kept after the tenant moved to the version (its optimistic lock makes this change the only
    // one to reach this version number); the settings before the first change are kept with it.
    if let Some(first) = first_version {
        keep_version(&state, &first).await?;
    }
    keep_version(
        &state,
        &SettingsVersion {
            tenant_id: caller.tenant_id.clone(),
            version: after.settings.version,
            changed_at: now,
            changed_by: Some(caller.subject.to_string()),
            sections: changed_sections(&before, &after),
            settings: after.settings.clone(),
        },
    )
    .await?;
    crate::api::audit::record(&state, &caller, change).await?;
    Ok(Json(after))
}

/// Keeps a version; one already kept (a retried first change) is left as it is.
async fn keep_version(state: &ApiState, version: &SettingsVersion) -> Result<(), ApiError> {
    match state.store.put_settings_version(version).await {
        Ok(()) | Err(StoreError::Conflict { .. }) => Ok(()),
        Err(other) => Err(other.into()),
    }
}

const SECTIONS: [&str; 5] = ["settings", "matching", "alerting", "writeback", "audit"];

/// The view as JSON without the scoring settings' version number, which moves at every change.
fn comparable(view: &SettingsView) -> serde_json::Value {
    let mut json = serde_json::to_value(view).unwrap_or_default();
    if let Some(settings) = json.get_mut("settings").and_then(|s| s.as_object_mut()) {
        settings.remove("version");
    }
    json
}

/// The sections whose content changed (the scoring settings' own version number aside).
fn changed_sections(before: &SettingsView, after: &SettingsView) -> Vec<String> {
    let (before, after) = (comparable(before), comparable(after));
    SECTIONS
        .iter()
        .filter(|s| before[**s] != after[**s])
        .map(|s| (*s).to_owned())
        .collect()
}

/// The audit record of a settings change: before and after of the sections that changed only, so
/// the entry stays small and says what moved.
fn settings_change(
    tenant_id: &crate::domain::TenantId,
    before: &SettingsView,
    after: &SettingsView,
) -> AuditChange {
    let (mut old, mut new) = (serde_json::Map::new(), serde_json::Map::new());
    let (before_json, after_json) = (comparable(before), comparable(after));
    for section in SECTIONS {
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

/// The checks of a change, the same for saving and previewing it.
fn validate(update: &SettingsUpdate) -> Result<(), ApiError> {
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
    Ok(())
}

fn invalid_field(error: SettingsError) -> ApiError {
    ApiError::InvalidField {
        field: error.field.to_string(),
        reason: error.reason,
    }
}

/// Clients that would move from one band to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BandMove {
    pub from: HealthBand,
    pub to: HealthBand,
    pub clients: u64,
}

/// What a change of scoring settings would do, computed without saving anything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SettingsPreview {
    /// Clients re-scored (every client with a snapshot).
    pub clients: u64,
    /// Clients whose band would change.
    pub clients_changing_band: u64,
    /// Each (from, to) pair of bands with the clients that would move so, most clients first.
    pub moves: Vec<BandMove>,
    /// Clients per band with the current settings and with the proposed ones, both scored now.
    pub bands_now: BandCounts,
    pub bands_proposed: BandCounts,
}

fn band_counts<'a>(scores: impl IntoIterator<Item = &'a HealthScore>) -> BandCounts {
    let mut counts = BandCounts::default();
    for score in scores {
        *match score.band {
            HealthBand::Healthy => &mut counts.healthy,
            HealthBand::Watch => &mut counts.watch,
            HealthBand::AtRisk => &mut counts.at_risk,
            HealthBand::Critical => &mut counts.critical,
        } += 1;
    }
    counts
}

fn band_rank(band: HealthBand) -> u8 {
    match band {
        HealthBand::Healthy => 0,
        HealthBand::Watch => 1,
        HealthBand::AtRisk => 2,
        HealthBand::Critical => 3,
    }
}

/// The preview of `proposed` against `now` (the same clients scored the two ways).
pub fn preview_of(now: &[HealthScore], proposed: &[HealthScore]) -> SettingsPreview {
    let before: HashMap<&ClientId, HealthBand> =
        now.iter().map(|s| (&s.client_id, s.band)).collect();
    let mut moves: BTreeMap<(u8, u8), BandMove> = BTreeMap::new();
    for score in proposed {
        let Some(&from) = before.get(&score.client_id) else {
            continue;
        };
        if from != score.band {
            moves
                .entry((band_rank(from), band_rank(score.band)))
                .or_insert(BandMove {
                    from,
                    to: score.band,
                    clients: 0,
                })
                .clients += 1;
        }
    }
    let mut moves: Vec<BandMove> = moves.into_values().collect();
    // Stable: equal counts keep the bands' order.
    moves.sort_by_key(|m| std::cmp::Reverse(m.clients));
    SettingsPreview {
        clients: proposed.len() as u64,
        clients_changing_band: moves.iter().map(|m| m.clients).sum(),
        moves,
        bands_now: band_counts(now),
        bands_proposed: band_counts(proposed),
    }
}

/// Preview a change of the scoring settings: the same checks as `PUT /v1/settings` (a refused
/// setting is named in `field`), then every client re-scored in memory with the current and with
/// the proposed settings, and how many would change band. Nothing is saved.
#[utoipa::path(
    post,
    path = "/v1/settings/preview",
    tag = "settings",
    security(("bearer" = [])),
    request_body = SettingsUpdate,
    responses(
        (status = 200, description = "What the change would do", body = SettingsPreview),
        (status = 400, description = "A setting is out of range (named in `field`), or the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The tenant has not connected a portal yet", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is not a settings update", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn preview_settings(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(update): ApiJson<SettingsUpdate>,
) -> Result<Json<SettingsPreview>, ApiError> {
    validate(&update)?;
    let store = state.store.as_ref();
    let tenant_id = &caller.tenant_id;
    let tenant = store.get_tenant(tenant_id).await?;
    let snapshots =
        every_page(|page| async move { store.list_snapshots(tenant_id, &page).await }).await?;
    let client_ids: Vec<ClientId> = snapshots.iter().map(|s| s.client_id.clone()).collect();
    let linked = linked_records(store, tenant_id, &client_ids).await?;
    // Bands depend on the overall score only, which history does not move: none is read.
    let no_history = HashMap::new();
    let now = state.now();
    let score = |settings: &ScoringSettings| {
        score_linked_tenant(tenant_id, &snapshots, &linked, &no_history, settings, now).scores
    };
    let current = score(&tenant.settings);
    let proposed = score(&update.settings);
    Ok(Json(preview_of(&current, &proposed)))
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VersionsQuery {
    /// Page size, 1-200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One version of the settings, without its content (`GET /v1/settings` has the current one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VersionView {
    pub version: u32,
    pub changed_at: DateTime<Utc>,
    /// The subject of who changed them; `null` for version 0 (the settings before any change).
    pub changed_by: Option<String>,
    /// The sections that changed: `settings`, `matching`, `alerting`, `writeback`, `audit`.
    pub sections: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VersionPage {
    pub items: Vec<VersionView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The versions of the settings, newest first: each accepted change is one, and scores name the
/// version they were computed with (`settings_version`).
#[utoipa::path(
    get,
    path = "/v1/settings/versions",
    tag = "settings",
    security(("bearer" = [])),
    params(VersionsQuery),
    responses(
        (status = 200, description = "A page of versions", body = VersionPage),
        (status = 400, description = "A parameter is invalid (named in `parameter`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_settings_versions(
    State(state): State<ApiState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<VersionsQuery>,
) -> Result<Json<VersionPage>, ApiError> {
    let page = page_request(query.limit, query.cursor)?;
    let found = state
        .store
        .list_settings_versions(&caller.tenant_id, &page)
        .await
        .map_err(list_error)?;
    Ok(Json(VersionPage {
        items: found
            .items
            .into_iter()
            .map(|v| VersionView {
                version: v.version,
                changed_at: v.changed_at,
                changed_by: v.changed_by,
                sections: v.sections,
            })
            .collect(),
        next_cursor: found.next_cursor,
    }))
}
