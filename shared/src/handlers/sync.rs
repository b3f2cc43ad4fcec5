//! The sync function. On the schedule it fans out one `SyncRequested` per active tenant's HubSpot
//! portal and one per syncable connection ([`super::dispatch`]), so no single invocation syncs
//! every tenant. A request
//! that names a connection is synced by [`super::connection_sync`]. On a request for the HubSpot
//! portal it syncs one tenant under the sync lease (never
//! two syncs of a tenant at once; short and renewed while the sync works, so a killed invocation
//! blocks the next sync for one lease term at most), records the run, and emits `TenantSynced`; when
//! the Lambda deadline nears it checkpoints, emits a `SyncRequested` that continues the same run, and
//! ends cleanly. Every invocation fetches at least one page or the run fails: a continuation always
//! makes progress, so a chain of them ends.

use crate::connector::engine::{run_sync, SyncError, SyncOutcome, SyncPlan, SyncProgress};
#[cfg(doc)]
use crate::domain::ConnectionStatus;
use crate::domain::{SyncId, SyncMode, SyncRun, SyncStatus, Tenant, TenantId, TenantStatus};
use crate::events::{ProductEvent, SyncRequested, TenantSynced};
use crate::ports::source::SourceFactory;
use crate::ports::SnapshotStore;
use crate::ports::{BusError, EventBus, Lease, StoreError, SyncStore, TenantStore};
use crate::store::{HeldLease, LeaseTerms};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum SyncHandlerError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("event bus: {0}")]
    Bus(#[from] BusError),
    #[error("sync of tenant {tenant} failed: {error}")]
    Sync { tenant: TenantId, error: SyncError },
    /// The function lacks what the request needs (a source of the connection's platform):
    /// retrying the same event cannot help.
    #[error("not configured: {0}")]
    NotConfigured(String),
    /// The schedule's fan-out saved its progress and stopped before the Lambda deadline: the
    /// retried schedule event continues it.
    #[error("the schedule's fan-out stopped before the deadline after {pages} pages of tenants; its retry continues")]
    DispatchOutOfTime { pages: u32 },
}

impl SyncHandlerError {
    /// Whether EventBridge should retry the event (vs sending it to the dead-letter queue).
    pub fn is_retryable(&self) -> bool {
        match self {
            SyncHandlerError::Store(e) => e.is_retryable(),
            SyncHandlerError::Bus(e) => e.is_retryable(),
            SyncHandlerError::Sync { error, .. } => error.is_retryable(),
            SyncHandlerError::NotConfigured(_) => false,
            SyncHandlerError::DispatchOutOfTime { .. } => true,
        }
    }
}

pub use crate::domain::DispatchReport;
pub use crate::handlers::dispatch::{dispatch_scheduled, dispatch_scheduled_with, DispatchOptions};

/// Runs one tenant's sync (or one invocation of it) and records it. Returns the run as recorded.
pub async fn handle_sync_requested<S, B>(
    store: &Arc<S>,
    bus: &B,
    sources: &dyn SourceFactory,
    request: &SyncRequested,
    deadline: Instant,
    progress: &dyn SyncProgress,
) -> Result<SyncRun, SyncHandlerError>
where
    S: TenantStore + SnapshotStore + SyncStore + crate::ports::AuditStore + ?Sized,
    B: EventBus + ?Sized,
{
    let lease = LeaseTerms::SYNC;
    handle_sync_requested_with(store, bus, sources, request, deadline, progress, lease).await
}

/// [`handle_sync_requested`] with the sync lease held on `lease_terms` (tests shorten them).
pub async fn handle_sync_requested_with<S, B>(
    store: &Arc<S>,
    bus: &B,
    sources: &dyn SourceFactory,
    request: &SyncRequested,
    deadline: Instant,
    progress: &dyn SyncProgress,
    lease_terms: LeaseTerms,
) -> Result<SyncRun, SyncHandlerError>
where
    S: TenantStore + SnapshotStore + SyncStore + crate::ports::AuditStore + ?Sized,
    B: EventBus + ?Sized,
{
    if let Some(connection_id) = &request.connection_id {
        // `route_sync` sends these to the connection sync; syncing HubSpot instead would be wrong.
        return Err(SyncHandlerError::NotConfigured(format!(
            "the request for connection {connection_id} reached the HubSpot portal's sync"
        )));
    }
    let now = Utc::now();
    let tenant = store.get_tenant(&request.tenant_id).await?;
    let (sync_id, started_at) = run_identity(store.as_ref(), request, now).await?;
    let mode = effective_mode(store.as_ref(), &tenant, request).await?;
    let mut run = SyncRun::start(
        tenant.id.clone(),
        sync_id.clone(),
        mode,
        request.requested_by.clone(),
        started_at,
    );

    if tenant.status != TenantStatus::Active {
        return finish(
            store.as_ref(),
            run,
            SyncStatus::Failed,
            Some(format!("tenant is {:?}; nothing was synced", tenant.status)),
        )
        .await;
    }

    let holder = sync_id.to_string();
    let lease = HeldLease::acquire(
        store.as_ref(),
        &tenant.id,
        Lease::Sync,
        &holder,
        lease_terms,
    )
    .await?;
    let Some(mut lease) = lease else {
        tracing::warn!(tenant = %tenant.id, sync_id = %sync_id, "a sync of this tenant is already running");
        return finish(
            store.as_ref(),
            run,
            SyncStatus::Failed,
            Some("another sync of this tenant was running; this one did nothing".to_owned()),
        )
        .await;
    };
    store.put_sync_run(&run).await?;

    let result = lease
        .run(sync_tenant(
            store, sources, &tenant, &run, request, deadline, progress,
        ))
        .await;
    lease.release().await;
    let result = match result {
        Ok(result) => result,
        Err(lost) => {
            // Another sync of this tenant may be running now: stopping keeps two from writing at
            // once. Whatever this one saved is checkpointed; the other carries on from there.
            tracing::error!(tenant = %tenant.id, sync_id = %sync_id, %lost, "sync stopped");
            let reason = format!("{lost}; this sync stopped so that two never run at once");
            return finish(store.as_ref(), run, SyncStatus::Failed, Some(reason)).await;
        }
    };

    match result {
        Ok(outcome) => {
            run.counts = outcome.counts.clone();
            run.requests_used = outcome.requests_used;
            if outcome.completed {
                let run = finish(store.as_ref(), run, SyncStatus::Succeeded, None).await?;
                if run.mode == SyncMode::Full {
                    let finished_at = run.finished_at.unwrap_or(now);
                    if let Err(error) = store.record_full_sync(&tenant.id, finished_at).await {
                        // The next scheduled run is then simply full again.
                        tracing::warn!(%error, tenant = %tenant.id, "could not record the full sync's time");
                    }
                }
                let changed: Vec<_> = outcome
                    .changed_client_ids
                    .iter()
                    .chain(&outcome.deleted_client_ids)
                    .cloned()
                    .collect();
                let synced = TenantSynced::of_run(&run, changed, now);
                bus.publish(&[ProductEvent::TenantSynced(synced)]).await?;
                log_outcome(&run, &outcome);
                Ok(run)
            } else {
                let run = continue_run(store.as_ref(), bus, request, run).await?;
                log_outcome(&run, &outcome);
                Ok(run)
            }
        }
        Err(error) => {
            let status = error.status();
            let retryable = error.is_retryable();
            finish(store.as_ref(), run, status, Some(error.to_string())).await?;
            let news = match &error {
                SyncError::NeedsReauth { reason } => {
                    record_needs_reauth(store.as_ref(), &tenant.id, reason, now).await
                }
                _ => true,
            };
            if news {
                // ERROR level: the template's sync-failure alarm counts these lines.
                tracing::error!(tenant = %tenant.id, sync_id = %sync_id, ?status, retryable, %error, "sync failed");
            } else {
                // The tenant already waits for a new install: that was alarmed once already.
                tracing::warn!(tenant = %tenant.id, sync_id = %sync_id, ?status, %error, "sync failed again; the tenant needs re-auth");
            }
            if retryable {
                Err(SyncHandlerError::Sync {
                    tenant: tenant.id.clone(),
                    error,
                })
            } else {
                // Recorded with its reason; retrying the event would fail the same way.
                store
                    .get_sync_run(&tenant.id, &sync_id)
                    .await
                    .map_err(SyncHandlerError::from)
            }
        }
    }
}

/// Marks the tenant `needs_reauth` with `reason` (the schedule then skips it until it is installed
/// again). Returns whether that is news: `false` when the tenant was not active any more, so the
/// failure is not alarmed twice, or when it was installed again after `sync_started_at`. A store
/// failure is logged and counts as news.
async fn record_needs_reauth<S: TenantStore + ?Sized>(
    store: &S,
    tenant_id: &TenantId,
    reason: &str,
    sync_started_at: DateTime<Utc>,
) -> bool {
    // A conflict means someone else changed the tenant meanwhile (settings, a re-install): re-read.
    for _ in 0..3 {
        let mut tenant = match store.get_tenant(tenant_id).await {
            Ok(tenant) => tenant,
            Err(error) => {
                tracing::error!(%error, tenant = %tenant_id, "could not load the tenant to mark it needs_reauth");
                return true;
            }
        };
        if !tenant.mark_needs_reauth(reason, sync_started_at, Utc::now()) {
            return false;
        }
        match store.update_tenant(&tenant).await {
            Ok(_) => return true,
            Err(StoreError::Conflict { .. }) => continue,
            Err(error) => {
                tracing::error!(%error, tenant = %tenant_id, "could not mark the tenant needs_reauth");
                return true;
            }
        }
    }
    tracing::error!(tenant = %tenant_id, "could not mark the tenant needs_reauth: it kept changing");
    true
}

async fn sync_tenant<S>(
    store: &Arc<S>,
    sources: &dyn SourceFactory,
    tenant: &Tenant,
    run: &SyncRun,
    request: &SyncRequested,
    deadline: Instant,
    progress: &dyn SyncProgress,
) -> Result<SyncOutcome, SyncError>
where
    S: SnapshotStore + SyncStore + ?Sized,
{
    let source = sources.source_for(tenant).await?;
    let plan = match run.mode {
        SyncMode::Full => SyncPlan::full(run.sync_id.clone(), run.started_at),
        SyncMode::Incremental => SyncPlan::incremental(run.sync_id.clone(), run.started_at),
        SyncMode::Objects => {
            SyncPlan::objects(run.sync_id.clone(), run.started_at, request.objects.clone())
        }
    };
    run_sync(
        source.as_ref(),
        store.as_ref(),
        &tenant.id,
        &plan,
        deadline,
        progress,
    )
    .await
}

/// A continuation (or a manual sync the API recorded) keeps its run's id and start; anything else
/// starts a new run now.
async fn run_identity<S: SyncStore + ?Sized>(
    store: &S,
    request: &SyncRequested,
    now: DateTime<Utc>,
) -> Result<(SyncId, DateTime<Utc>), StoreError> {
    match &request.sync_id {
        Some(id) => match store.get_sync_run(&request.tenant_id, id).await {
            Ok(run) => Ok((run.sync_id, run.started_at)),
            Err(StoreError::NotFound { .. }) => Ok((id.clone(), now)),
            Err(e) => Err(e),
        },
        None => Ok((SyncId::starting_at(now), now)),
    }
}

/// Full the first time (no checkpoints yet), then as requested.
pub async fn effective_mode<S: SyncStore + ?Sized>(
    store: &S,
    tenant: &Tenant,
    request: &SyncRequested,
) -> Result<SyncMode, StoreError> {
    if request.mode == SyncMode::Incremental && store.checkpoints(&tenant.id).await?.is_empty() {
        return Ok(SyncMode::Full);
    }
    Ok(request.mode)
}

/// Ends this invocation of `run` as continued and asks for the next one (same run id and mode).
pub(crate) async fn continue_run<S, B>(
    store: &S,
    bus: &B,
    request: &SyncRequested,
    run: SyncRun,
) -> Result<SyncRun, SyncHandlerError>
where
    S: SyncStore + crate::handlers::audit::AuditTrail + ?Sized,
    B: EventBus + ?Sized,
{
    let continuation = request.continuation(&run.sync_id, run.mode, Utc::now());
    let run = finish(store, run, SyncStatus::Continued, None).await?;
    bus.publish(&[ProductEvent::SyncRequested(continuation)])
        .await?;
    Ok(run)
}

pub(crate) async fn finish<S: SyncStore + crate::handlers::audit::AuditTrail + ?Sized>(
    store: &S,
    mut run: SyncRun,
    status: SyncStatus,
    error: Option<String>,
) -> Result<SyncRun, SyncHandlerError> {
    run.finish(status, error, Utc::now());
    store.put_sync_run(&run).await?;
    crate::handlers::audit::record_sync_end(store, &run).await;
    Ok(run)
}

fn log_outcome(run: &SyncRun, outcome: &SyncOutcome) {
    tracing::info!(
        tenant = %run.tenant_id,
        sync_id = %run.sync_id,
        mode = ?run.mode,
        status = ?run.status,
        requests = outcome.requests_used,
        changed_clients = outcome.changed_client_ids.len(),
        deleted_clients = outcome.deleted_client_ids.len(),
        items_written = outcome.writes.items_written,
        "sync finished"
    );
}
