//! Sync runs, checkpoints and leases.

use super::{select, select_page, TableStore};
use crate::domain::{ObjectType, SyncCheckpoint, SyncId, SyncRun, TenantId};
use crate::ports::{Page, PageRequest, StoreError, SyncStore};
use crate::store::keys;
use crate::store::query;
use crate::store::row::{Condition, Record, Row, RowFilter, Table};
use chrono::{DateTime, Utc};

fn run_of(record: Record) -> Option<SyncRun> {
    match record {
        Record::SyncRun { run } => Some(run),
        _ => None,
    }
}

impl<T: Table> TableStore<T> {
    /// Writes `holder`'s lease until `until` if `condition` holds; `Ok(false)` when it does not.
    async fn put_lease(
        &self,
        tenant_id: &TenantId,
        name: &str,
        holder: &str,
        until: DateTime<Utc>,
        condition: Condition,
    ) -> Result<bool, StoreError> {
        let keys = keys::lease(tenant_id, name)?;
        keys::free_key_part("lease holder", holder)?;
        let record = Record::Lease {
            holder: holder.to_owned(),
            until,
        };
        self.table
            .put_row_if(Row::new(keys, record), condition)
            .await
    }
}

#[async_trait::async_trait]
impl<T: Table> SyncStore for TableStore<T> {
    async fn put_sync_run(&self, run: &SyncRun) -> Result<(), StoreError> {
        self.put(Row::new(
            keys::sync_run(run),
            Record::SyncRun { run: run.clone() },
        ))
        .await
    }

    async fn get_sync_run(
        &self,
        tenant_id: &TenantId,
        sync_id: &SyncId,
    ) -> Result<SyncRun, StoreError> {
        self.record_at(&keys::sync_run_key(tenant_id, sync_id))
            .await?
            .and_then(run_of)
            .ok_or_else(|| StoreError::not_found("sync run", sync_id))
    }

    async fn list_sync_runs(
        &self,
        tenant_id: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<SyncRun>, StoreError> {
        let page = self
            .table
            .query_rows_page(&query::sync_runs(tenant_id), RowFilter::All, page)
            .await?;
        Ok(select_page(page, run_of))
    }

    async fn checkpoints(&self, tenant_id: &TenantId) -> Result<Vec<SyncCheckpoint>, StoreError> {
        let rows = self
            .table
            .query_rows(&query::checkpoints(tenant_id), RowFilter::All)
            .await?;
        Ok(select(rows, |record| match record {
            Record::Checkpoint { checkpoint } => Some(checkpoint),
            _ => None,
        }))
    }

    async fn put_checkpoint(
        &self,
        tenant_id: &TenantId,
        checkpoint: &SyncCheckpoint,
    ) -> Result<(), StoreError> {
        self.put(Row::new(
            keys::checkpoint(tenant_id, checkpoint.object_type),
            Record::Checkpoint {
                checkpoint: checkpoint.clone(),
            },
        ))
        .await
    }

    async fn clear_checkpoint(
        &self,
        tenant_id: &TenantId,
        object_type: ObjectType,
    ) -> Result<(), StoreError> {
        let key = keys::checkpoint(tenant_id, object_type).key;
        self.table
            .delete_row_if(&key, Condition::Always)
            .await
            .map(|_| ())
    }

    async fn acquire_lease(
        &self,
        tenant_id: &TenantId,
        name: &str,
        holder: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let holder_owned = holder.to_owned();
        let condition = Condition::LeaseTakeable {
            holder: holder_owned,
            now,
        };
        self.put_lease(tenant_id, name, holder, until, condition)
            .await
    }

    async fn renew_lease(
        &self,
        tenant_id: &TenantId,
        name: &str,
        holder: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let condition = Condition::LeaseHeld {
            holder: holder.to_owned(),
            now,
        };
        self.put_lease(tenant_id, name, holder, until, condition)
            .await
    }

    async fn release_lease(
        &self,
        tenant_id: &TenantId,
        name: &str,
        holder: &str,
    ) -> Result<(), StoreError> {
        let key = keys::lease(tenant_id, name)?.key;
        self.table
            .delete_row_if(&key, Condition::HeldBy(holder.to_owned()))
            .await
            .map(|_| ())
    }
}
