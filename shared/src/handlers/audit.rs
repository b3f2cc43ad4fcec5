//! Records the changes the functions make by themselves (a sync or scoring run with its counts, an
//! erasure's receipt, an install or uninstall) in the tenant's audit trail, as the system.

use crate::domain::{AuditChange, TenantId};
use crate::ports::{Store, StoreError};
use chrono::{DateTime, Utc};

/// Records `change`, made by the system at `at`, in `tenant_id`'s audit trail.
///
/// Placeholder of the contract: the audit store lands with the audit trail (issue 17); until then
/// nothing is written.
pub async fn record_system<S: Store + ?Sized>(
    store: &S,
    tenant_id: &TenantId,
    change: AuditChange,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let _ = (store, tenant_id, change, at);
    Ok(())
}
