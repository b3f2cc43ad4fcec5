//! The audit trail's store (the brief's `integration_intelligence_logs`): entries are appended, never
//! changed, and expire after the tenant's retention; they are listed newest first with filters.

use crate::domain::{AuditEntry, AuditFilter, TenantId};
use crate::ports::{Page, PageRequest, StoreError};

#[async_trait::async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends `entry` to its tenant's trail; it expires `retention_days` after its time.
    async fn append_audit(&self, entry: &AuditEntry, retention_days: u32)
        -> Result<(), StoreError>;
    /// The tenant's unexpired entries that pass `filter`, newest first.
    async fn list_audit(
        &self,
        tenant_id: &TenantId,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, StoreError>;
}
