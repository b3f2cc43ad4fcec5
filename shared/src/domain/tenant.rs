//! Tenants: a connected portal, its credentials' location, its status and its settings.

use crate::domain::{AlertingSettings, MatchingSettings, ScoringSettings, SyncMode, TenantId};
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
    /// How often this tenant is synced. On AWS the schedule rule (`SyncScheduleExpression`) ticks
    /// more often and each tick asks the tenants whose slot it is
    /// ([`crate::domain::schedule_slot`]); the local runner uses its `--sync-interval`.
    pub interval_minutes: u32,
    /// A full reconciliation every this many hours catches deletions search never shows.
    pub full_every_hours: u32,
}

impl SyncSchedule {
    /// The mode of the scheduled run at `now`: incremental, or full when the last full sync is
    /// `full_every_hours` old or there never was one (`full_every_hours` 0: never by schedule).
    pub fn scheduled_mode(
        &self,
        last_full_sync_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> SyncMode {
        if self.full_every_hours == 0 {
            return SyncMode::Incremental;
        }
        let every = chrono::Duration::hours(i64::from(self.full_every_hours));
        match last_full_sync_at {
            Some(at) if now - at < every => SyncMode::Incremental,
            _ => SyncMode::Full,
        }
    }
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

/// Writing health back to HubSpot: a `connected_insights` property group on companies, updated after
/// each scoring, and optionally a task for each new critical insight. Off until an admin turns it on
/// (the install must have granted the optional write scopes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WritebackSettings {
    pub enabled: bool,
    /// Also create a HubSpot task for each new critical insight, completed when it resolves.
    #[serde(default)]
    pub create_tasks: bool,
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
    /// When a record of another platform links itself to a client, or waits for review.
    #[serde(default)]
    pub matching: MatchingSettings,
    /// Time zone, quiet hours and digest of the tenant's alerts.
    #[serde(default)]
    pub alerting: AlertingSettings,
    /// Whether health is written back to the CRM's companies (opt-in: it needs write scopes).
    #[serde(default)]
    pub writeback: WritebackSettings,
    /// How long the tenant's audit trail is kept.
    #[serde(default)]
    pub audit: crate::domain::AuditSettings,
    pub schedule: SyncSchedule,
    pub limits: HubSpotLimits,
    /// Set when settings change, so scoring re-scores every client.
    pub settings_changed_at: DateTime<Utc>,
    /// When the app was last installed (or a private-app token given): a sync that started before it
    /// used the old credentials, so its refusal says nothing about the new install.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connected_at: Option<DateTime<Utc>>,
    /// When the last full sync finished: the schedule asks for the next one `full_every_hours` later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_full_sync_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version, incremented by every write.
    #[serde(default)]
    pub version: u64,
}

impl Tenant {
    /// A newly connected, active tenant with the default settings, schedule and limits of its app
    /// kind.
    pub fn connected(
        id: TenantId,
        name: impl Into<String>,
        hubspot_portal_id: Option<u64>,
        credentials_secret_id: impl Into<String>,
        auth_kind: AuthKind,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            name: name.into(),
            hubspot_portal_id,
            credentials_secret_id: credentials_secret_id.into(),
            auth_kind,
            status: TenantStatus::Active,
            status_reason: None,
            settings: ScoringSettings::default(),
            matching: MatchingSettings::default(),
            alerting: AlertingSettings::default(),
            writeback: WritebackSettings::default(),
            audit: crate::domain::AuditSettings::default(),
            schedule: SyncSchedule::default(),
            limits: HubSpotLimits::for_auth(auth_kind),
            settings_changed_at: now,
            connected_at: Some(now),
            last_full_sync_at: None,
            created_at: now,
            updated_at: now,
            version: 0,
        }
    }
}

impl Tenant {
    /// The tenant connected again (an app install, a new private-app token): active with the new
    /// credentials and the default limits of their kind, its settings, schedule and history kept.
    pub fn reconnect(
        &mut self,
        hubspot_portal_id: Option<u64>,
        credentials_secret_id: impl Into<String>,
        auth_kind: AuthKind,
        now: DateTime<Utc>,
    ) {
        self.hubspot_portal_id = hubspot_portal_id;
        self.credentials_secret_id = credentials_secret_id.into();
        self.auth_kind = auth_kind;
        self.limits = HubSpotLimits::for_auth(auth_kind);
        self.status = TenantStatus::Active;
        self.status_reason = None;
        self.connected_at = Some(now);
        self.updated_at = now;
    }

    /// Records that the tenant must install the app again (or, for a private app, give a new
    /// token), with the reason people will read, learned by work that started at `work_started_at`.
    /// Only an active tenant changes: a disabled one stays disabled, one already waiting keeps its
    /// first reason, and one re-installed after the work started keeps its new install (the refusal
    /// was of the old credentials). Returns whether it changed, i.e. whether this is news worth an
    /// alarm.
    pub fn mark_needs_reauth(
        &mut self,
        reason: impl Into<String>,
        work_started_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        if self.status != TenantStatus::Active
            || self.connected_at.is_some_and(|at| at > work_started_at)
        {
            return false;
        }
        self.status = TenantStatus::NeedsReauth;
        self.status_reason = Some(reason.into());
        self.updated_at = now;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap()
    }

    #[test]
    fn a_tenant_that_never_had_a_full_sync_gets_one() {
        let schedule = SyncSchedule::default();
        assert_eq!(schedule.scheduled_mode(None, now()), SyncMode::Full);
    }

    #[test]
    fn the_full_sync_comes_back_once_full_every_hours_have_passed() {
        let schedule = SyncSchedule {
            full_every_hours: 24,
            ..SyncSchedule::default()
        };
        let just_inside = now() - Duration::hours(24) + Duration::seconds(1);
        let on_the_hour = now() - Duration::hours(24);
        assert_eq!(
            schedule.scheduled_mode(Some(just_inside), now()),
            SyncMode::Incremental
        );
        assert_eq!(
            schedule.scheduled_mode(Some(on_the_hour), now()),
            SyncMode::Full
        );
    }

    #[test]
    fn zero_hours_turns_scheduled_full_syncs_off() {
        let schedule = SyncSchedule {
            full_every_hours: 0,
            ..SyncSchedule::default()
        };
        assert_eq!(schedule.scheduled_mode(None, now()), SyncMode::Incremental);
        let long_ago = now() - Duration::days(400);
        assert_eq!(
            schedule.scheduled_mode(Some(long_ago), now()),
            SyncMode::Incremental
        );
    }

    #[test]
    fn a_connected_tenant_gets_the_limits_of_its_app_kind() {
        let id = TenantId::parse("acme").unwrap();
        let tenant = Tenant::connected(id, "Acme", Some(7), "s", AuthKind::PrivateApp, now());
        assert_eq!(tenant.limits, HubSpotLimits::for_auth(AuthKind::PrivateApp));
        assert_eq!(tenant.status, TenantStatus::Active);
        assert_eq!(tenant.last_full_sync_at, None);
        assert_eq!(tenant.settings_changed_at, now());
    }

    #[test]
    fn only_an_active_tenant_becomes_needs_reauth_and_keeps_its_first_reason() {
        let id = TenantId::parse("acme").unwrap();
        let mut tenant = Tenant::connected(id, "Acme", Some(7), "s", AuthKind::OAuth, now());
        let later = now() + Duration::hours(1);
        assert!(tenant.mark_needs_reauth("refresh token revoked", later, later));
        assert_eq!(tenant.status, TenantStatus::NeedsReauth);
        assert_eq!(
            tenant.status_reason.as_deref(),
            Some("refresh token revoked")
        );
        assert_eq!(tenant.updated_at, later);
        assert!(!tenant.mark_needs_reauth("another reason", later, later));
        assert_eq!(
            tenant.status_reason.as_deref(),
            Some("refresh token revoked")
        );

        tenant.status = TenantStatus::Disabled;
        assert!(!tenant.mark_needs_reauth("x", later, later));
        assert_eq!(tenant.status, TenantStatus::Disabled);
    }

    #[test]
    fn a_refusal_learned_by_work_older_than_the_install_leaves_the_new_install_active() {
        let id = TenantId::parse("acme").unwrap();
        let installed = now() + Duration::minutes(5);
        let mut tenant = Tenant::connected(id, "Acme", Some(7), "s", AuthKind::OAuth, installed);
        let sync_started = now();
        let later = now() + Duration::minutes(10);
        assert!(!tenant.mark_needs_reauth("refresh token revoked", sync_started, later));
        assert_eq!(tenant.status, TenantStatus::Active);
        assert!(tenant.mark_needs_reauth("refresh token revoked", later, later));
        assert_eq!(tenant.status, TenantStatus::NeedsReauth);
    }
}
