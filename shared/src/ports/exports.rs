//! The export jobs of a tenant (`POST /v1/exports` records one; the export function moves it on).

use crate::domain::{ExportId, ExportJob, TenantId};
use crate::ports::{Page, PageRequest, StoreError};

#[async_trait::async_trait]
pub trait ExportStore: Send + Sync {
    /// Writes the job as given (new or moved on); it expires a while after its request.
    async fn put_export(&self, job: &ExportJob) -> Result<(), StoreError>;
    async fn get_export(
        &self,
        tenant_id: &TenantId,
        export_id: &ExportId,
    ) -> Result<ExportJob, StoreError>;
    /// Newest first.
    async fn list_exports(
        &self,
        tenant_id: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<ExportJob>, StoreError>;
}
