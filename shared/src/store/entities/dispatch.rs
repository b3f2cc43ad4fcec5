//! The schedule's fan-out progress: one item per slot, `DISPATCH#<slot>` / `DISPATCH`, written
//! under its version and deleted by the table's TTL two days after its slot.

use super::TableStore;
use crate::domain::DispatchProgress;
use crate::ports::{DispatchStore, StoreError};
use crate::store::keys;
use crate::store::row::{Condition, Record, Row, Table};
use chrono::{DateTime, Utc};

#[async_trait::async_trait]
impl<T: Table> DispatchStore for TableStore<T> {
    async fn dispatch_progress(
        &self,
        slot: DateTime<Utc>,
    ) -> Result<Option<DispatchProgress>, StoreError> {
        let row = self
            .table
            .get_row(&keys::dispatch_progress(slot).key)
            .await?;
        Ok(match row {
            // TTL deletes lazily: an expired record is gone.
            Some(row) if row.live_at(Utc::now().timestamp()) => match row.record {
                Record::Dispatch { progress } => Some(progress),
                _ => None,
            },
            _ => None,
        })
    }

    async fn save_dispatch_progress(
        &self,
        progress: &DispatchProgress,
        read_version: Option<u64>,
    ) -> Result<bool, StoreError> {
        let row = Row::new(
            keys::dispatch_progress(progress.slot),
            Record::Dispatch {
                progress: progress.clone(),
            },
        )
        .expiring(progress.expires_at().timestamp());
        let condition = match read_version {
            Some(version) => Condition::VersionIs(version),
            None => Condition::Absent,
        };
        self.table.put_row_if(row, condition).await
    }
}
