//! Settings versions: one item each under the tenant, `SETTINGSV#<version>`, written once, kept.

use super::{select_page, TableStore};
use crate::domain::{ReweighState, SettingsVersion, TenantId};
use crate::ports::{Page, PageRequest, SettingsHistoryStore, StoreError};
use crate::store::keys;
use crate::store::query;
use crate::store::row::{Condition, Record, Row, RowFilter, Table};

fn version_of(record: Record) -> Option<SettingsVersion> {
    match record {
        Record::SettingsVersion { version } => Some(version),
        _ => None,
    }
}

#[async_trait::async_trait]
impl<T: Table> SettingsHistoryStore for TableStore<T> {
    async fn get_reweigh_state(
        &self,
        tenant_id: &TenantId,
    ) -> Result<Option<ReweighState>, StoreError> {
        Ok(
            match self.record_at(&keys::reweigh_state(tenant_id).key).await? {
                Some(Record::Reweigh { state }) => Some(state),
                _ => None,
            },
        )
    }

    async fn put_reweigh_state(
        &self,
        tenant_id: &TenantId,
        state: &ReweighState,
    ) -> Result<(), StoreError> {
        let row = Row::new(
            keys::reweigh_state(tenant_id),
            Record::Reweigh {
                state: state.clone(),
            },
        );
        self.table.put_row_if(row, Condition::Always).await?;
        Ok(())
    }

    async fn put_settings_version(&self, version: &SettingsVersion) -> Result<(), StoreError> {
        let row = Row::new(
            keys::settings_version(&version.tenant_id, version.version),
            Record::SettingsVersion {
                version: version.clone(),
            },
        );
        if self.table.put_row_if(row, Condition::Absent).await? {
            Ok(())
        } else {
            Err(StoreError::conflict("settings version", version.version))
        }
    }

    async fn get_settings_version(
        &self,
        tenant_id: &TenantId,
        version: u32,
    ) -> Result<SettingsVersion, StoreError> {
        self.record_at(&keys::settings_version_key(tenant_id, version))
            .await?
            .and_then(version_of)
            .ok_or_else(|| StoreError::not_found("settings version", version))
    }

    async fn list_settings_versions(
        &self,
        tenant_id: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<SettingsVersion>, StoreError> {
        let page = self
            .table
            .query_rows_page(&query::settings_versions(tenant_id), RowFilter::All, page)
            .await?;
        Ok(select_page(page, version_of))
    }
}
