//! Export jobs: one item each under the tenant, gone (TTL) some weeks after the request.

use super::{select_page, TableStore};
use crate::domain::{ExportId, ExportJob, TenantId};
use crate::ports::{ExportStore, Page, PageRequest, StoreError};
use crate::store::keys;
use crate::store::query;
use crate::store::row::{Record, Row, RowFilter, Table};

fn export_of(record: Record) -> Option<ExportJob> {
    match record {
        Record::Export { export } => Some(export),
        _ => None,
    }
}

#[async_trait::async_trait]
impl<T: Table> ExportStore for TableStore<T> {
    async fn put_export(&self, job: &ExportJob) -> Result<(), StoreError> {
        let row = Row::new(
            keys::export(&job.tenant_id, &job.id),
            Record::Export {
                export: job.clone(),
            },
        )
        .expiring(job.record_expires_at().timestamp());
        self.put(row).await
    }

    async fn get_export(
        &self,
        tenant_id: &TenantId,
        export_id: &ExportId,
    ) -> Result<ExportJob, StoreError> {
        self.record_at(&keys::export_key(tenant_id, export_id))
            .await?
            .and_then(export_of)
            .ok_or_else(|| StoreError::not_found("export", export_id))
    }

    async fn list_exports(
        &self,
        tenant_id: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<ExportJob>, StoreError> {
        let page = self
            .table
            .query_rows_page(&query::exports(tenant_id), RowFilter::All, page)
            .await?;
        Ok(select_page(page, export_of))
    }
}
