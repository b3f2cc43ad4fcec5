//! The audit trail: entries appended under `AUDIT#<at>#<id>` with the tenant's retention as their
//! expiry, listed newest first by one query of the tenant's time range.

use super::{select_page, TableStore};
use crate::domain::{AuditEntry, AuditFilter, TenantId};
use crate::ports::{AuditStore, Page, PageRequest, StoreError};
use crate::store::keys::{self, Index};
use crate::store::query::{QueryPlan, SortCondition};
use crate::store::row::{Condition, Record, Row, RowFilter, Table};

const SECONDS_PER_DAY: i64 = 24 * 60 * 60;

/// The tenant's entries in the filter's time range, newest first.
fn audit_plan(tenant_id: &TenantId, filter: &AuditFilter) -> QueryPlan {
    let (low, high) = keys::audit_range(filter.from, filter.to);
    QueryPlan {
        tenant: Some(tenant_id.clone()),
        index: Index::Table,
        partition: keys::tenant_partition(tenant_id),
        name: format!("audit|0|{low}..{high}"),
        condition: SortCondition::Between(low, high),
        forward: false,
    }
}

fn entry_of(record: Record) -> Option<AuditEntry> {
    match record {
        Record::Audit { entry } => Some(entry),
        _ => None,
    }
}

#[async_trait::async_trait]
impl<T: Table> AuditStore for TableStore<T> {
    async fn append_audit(
        &self,
        entry: &AuditEntry,
        retention_days: u32,
    ) -> Result<(), StoreError> {
        let keys = keys::audit_entry(entry)?;
        let expires_at = entry.at.timestamp() + i64::from(retention_days) * SECONDS_PER_DAY;
        let row = Row::new(
            keys,
            Record::Audit {
                entry: entry.clone(),
            },
        )
        .expiring(expires_at);
        // An entry is written once: a second append of the same id must not rewrite history.
        if self.table.put_row_if(row, Condition::Absent).await? {
            Ok(())
        } else {
            Err(StoreError::conflict("audit entry", &entry.id))
        }
    }

    async fn list_audit(
        &self,
        tenant_id: &TenantId,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, StoreError> {
        let plan = audit_plan(tenant_id, filter);
        let page = self
            .table
            .query_rows_page(&plan, RowFilter::Audit(filter), page)
            .await?;
        Ok(select_page(page, entry_of))
    }
}
