//! Tenants: a connected portal, its credentials' location, its status and its settings.

use crate::domain::{ScoringSettings, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    Active,
    /// The refresh token is dead: the tenant must install the app again.
    NeedsReauth,
    Disabled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    /// OAuth public app: access token refreshed from a refresh token.
    OAuth,
    /// Private app: a static bearer token.
    PrivateApp,
}

/// HubSpot's limits for this portal (they depend on the app kind and the portal's subscription).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HubSpotLimits {
    /// Requests per 10 seconds: 110 (OAuth apps), 100 or 190 (private apps).
    pub per_ten_seconds: u32,
    /// Search requests per second, on their own budget.
    pub search_per_second: u32,
    /// Daily requests, when HubSpot applies a daily cap.
    pub daily: Option<u32>,
}

impl HubSpotLimits {
    pub fn for_auth(kind: AuthKind) -> Self {
        match kind {
            AuthKind::OAuth => Self {
                per_ten_seconds: 110,
                search_per_second: 5,
                daily: None,
            },
            AuthKind::PrivateApp => Self {
                per_ten_seconds: 100,
                search_per_second: 5,
                daily: Some(250_000),
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SyncSchedule {
    pub enabled: bool,
    pub interval_minutes: u32,
    /// A full reconciliation every this many hours catches deletions search never shows.
    pub full_every_hours: u32,
}

impl Default for SyncSchedule {
    fn default() -> Self {
        Self {
            enabled: true,
            interval_minutes: 60,
            full_every_hours: 24,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hubspot_portal_id: Option<u64>,
    /// Secrets Manager id (or name) of this tenant's HubSpot tokens.
    pub credentials_secret_id: String,
    pub auth_kind: AuthKind,
    pub status: TenantStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    pub settings: ScoringSettings,
    pub schedule: SyncSchedule,
    pub limits: HubSpotLimits,
    /// Set when settings change, so scoring re-scores every client.
    pub settings_changed_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version, incremented by every write.
    #[serde(default)]
    pub version: u64,
}
