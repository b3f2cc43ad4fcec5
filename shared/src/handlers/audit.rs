//! Records the changes the functions make by themselves (a sync or scoring run with its counts, an
//! erasure's receipt, an install or uninstall) in the tenant's audit trail, as the system.

use crate::domain::{
    AuditActor, AuditChange, AuditEntityKind, AuditEntry, SyncRun, SyncStatus, TenantId,
};
use crate::ports::{AuditStore, StoreError, TenantStore};
use chrono::{DateTime, Utc};

/// What recording needs of the store: the tenant (for its retention) and the trail. Every
/// [`crate::ports::Store`] is one.
pub trait AuditTrail: TenantStore + AuditStore {}
impl<T: TenantStore + AuditStore + ?Sized> AuditTrail for T {}

/// The longest sync error the trail keeps.
const MAX_ERROR_CHARS: usize = 300;

/// Records `change`, made by the system at `at`, in `tenant_id`'s audit trail.
pub async fn record_system<S: AuditTrail + ?Sized>(
    store: &S,
    tenant_id: &TenantId,
    change: AuditChange,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let entry = AuditEntry::of(tenant_id.clone(), AuditActor::System, change, at, None);
    append(store, &entry).await
}

/// Appends `entry`, kept for its tenant's audit retention (the default one once the tenant is gone:
/// an erasure's receipt outlives the tenant it erased).
pub async fn append<S: AuditTrail + ?Sized>(
    store: &S,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    let retention_days = match store.get_tenant(&entry.tenant_id).await {
        Ok(tenant) => tenant.audit.retention_days,
        Err(StoreError::NotFound { .. }) => crate::domain::audit::DEFAULT_AUDIT_RETENTION_DAYS,
        Err(error) => return Err(error),
    };
    store.append_audit(entry, retention_days).await?;
    tracing::debug!(
        tenant_id = %entry.tenant_id,
        action = %entry.action,
        entity_id = %entry.entity_id,
        actor = %entry.actor,
        "audit entry recorded"
    );
    Ok(())
}

/// Records the end of a sync run (not a continuation: the run goes on) with its counts. A run's
/// work is done and stored by now, so a failure here is logged, never the run's failure.
pub async fn record_sync_end<S: AuditTrail + ?Sized>(store: &S, run: &SyncRun) {
    if matches!(run.status, SyncStatus::Running | SyncStatus::Continued) {
        return;
    }
    let status = serde_json::to_value(run.status)
        .ok()
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_else(|| "ended".to_string());
    let error: Option<String> = run
        .error
        .as_ref()
        .map(|error| error.chars().take(MAX_ERROR_CHARS).collect());
    let change = AuditChange::new(
        format!("sync_run.{status}"),
        AuditEntityKind::SyncRun,
        &run.sync_id,
    )
    .detail(serde_json::json!({
        "mode": run.mode,
        "connection_id": run.connection_id,
        "counts": run.counts,
        "requests_used": run.requests_used,
        "started_at": run.started_at,
        "error": error,
    }));
    let at = run.finished_at.unwrap_or_else(Utc::now);
    if let Err(error) = record_system(store, &run.tenant_id, change, at).await {
        tracing::error!(%error, tenant = %run.tenant_id, sync_id = %run.sync_id, "could not record the sync run in the audit trail");
    }
}
