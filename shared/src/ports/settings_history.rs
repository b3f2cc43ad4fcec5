//! The versions of a tenant's settings (`GET /v1/settings/versions`; re-weighting history reads the
//! weights of a version). Versions are written once and kept.

use crate::domain::{ReweighState, SettingsVersion, TenantId};
use crate::ports::{Page, PageRequest, StoreError};

#[async_trait::async_trait]
pub trait SettingsHistoryStore: Send + Sync {
    /// Keeps `version`; `Conflict` when that version number is already kept (a version is never
    /// rewritten).
    async fn put_settings_version(&self, version: &SettingsVersion) -> Result<(), StoreError>;
    async fn get_settings_version(
        &self,
        tenant_id: &TenantId,
        version: u32,
    ) -> Result<SettingsVersion, StoreError>;
    /// How far re-weighting history to the current settings got; `None` before the first change.
    async fn get_reweigh_state(
        &self,
        tenant_id: &TenantId,
    ) -> Result<Option<ReweighState>, StoreError>;
    async fn put_reweigh_state(
        &self,
        tenant_id: &TenantId,
        state: &ReweighState,
    ) -> Result<(), StoreError>;
    /// Newest first.
    async fn list_settings_versions(
        &self,
        tenant_id: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<SettingsVersion>, StoreError>;
}
