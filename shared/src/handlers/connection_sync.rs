//! The sync of one connection (a `SyncRequested` that names one), through the factory its platform
//! has in [`ConnectionSources`]: PayPal's payments source ([`crate::connector::payments`]), or the
//! accounts source of NinjaOne, Pax8 or Microsoft 365 ([`crate::connector::accounts`]). Like the
//! HubSpot sync beside it ([`super::sync`]) it runs under a short renewed lease (per connection, so
//! a tenant's connections sync side by side), records the run, stops before the deadline with a
//! continuation, and emits `TenantSynced` so matching and scoring run.
//!
//! What a run learns about the connection goes on the connection: its last (full) sync, and a
//! refused credential as `needs_reauth` with the platform's reason. The tenant and its HubSpot
//! status are never touched.

use crate::connector::accounts::{run_accounts_sync, AccountsOutcome, AccountsWork};
use crate::connector::payments::{run_payments_sync, PaymentsOutcome, PaymentsWork};
use crate::connector::walk::Invocation;
use crate::connector::{SyncError, SyncOptions};
use crate::domain::{
    Connection, ConnectionId, SyncId, SyncMode, SyncRun, SyncStatus, TenantId, TenantStatus,
};
use crate::events::{ProductEvent, SyncRequested, TenantSynced};
use crate::handlers::sync::{continue_run, finish, SyncHandlerError};
use crate::ports::source::FetchWindow;
use crate::ports::{
    AccountStore, ConnectionSources, ConnectionStore, EventBus, Lease, PayerStore, PlatformSources,
    StoreError, SyncStore, TenantStore, WriteReport,
};
use crate::store::{HeldLease, LeaseTerms};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Instant;

/// What a connection's sync needs from the store.
pub trait ConnectionSyncStore:
    TenantStore + SyncStore + ConnectionStore + PayerStore + AccountStore
{
}
impl<T: TenantStore + SyncStore + ConnectionStore + PayerStore + AccountStore + ?Sized>
    ConnectionSyncStore for T
{
}

/// Runs one connection's sync (or one invocation of it) and records it; returns the run as recorded.
/// A platform missing from `sources` is not configured in this function: the request then fails
/// with a configuration error (and its run says so).
pub async fn handle_connection_sync<S, B>(
    store: &Arc<S>,
    bus: &B,
    sources: &ConnectionSources,
    request: &SyncRequested,
    connection_id: &ConnectionId,
    deadline: Instant,
    lease_terms: LeaseTerms,
) -> Result<SyncRun, SyncHandlerError>
where
    S: ConnectionSyncStore + ?Sized,
    B: EventBus + ?Sized,
{
    let now = Utc::now();
    let tenant = store.get_tenant(&request.tenant_id).await?;
    let mut run = run_of(store.as_ref(), request, connection_id, now).await?;

    let connection = match store.get_connection(&tenant.id, connection_id).await {
        Ok(connection) => connection,
        Err(StoreError::NotFound { .. }) => {
            // Deleted after the request was made: nothing to sync, nothing to retry.
            tracing::warn!(tenant = %tenant.id, connection = %connection_id, "sync requested for a connection that no longer exists");
            let reason = format!("connection {connection_id} does not exist; nothing was synced");
            return finish(store.as_ref(), run, SyncStatus::Failed, Some(reason)).await;
        }
        Err(error) => return Err(error.into()),
    };
    // A continuation asks for its run's mode, which this gives again: the connection's last full
    // sync only changes when a run finishes.
    run.mode = connection.sync_mode(request.mode);
    run.platform = Some(connection.platform);

    let refusal = if tenant.status == TenantStatus::Disabled {
        Some("tenant is disabled; nothing was synced".to_owned())
    } else if !connection.status.is_syncable() {
        Some(format!(
            "connection is {:?}; nothing was synced",
            connection.status
        ))
    } else {
        None
    };
    if let Some(reason) = refusal {
        tracing::info!(tenant = %tenant.id, connection = %connection_id, %reason, "connection sync skipped");
        return finish(store.as_ref(), run, SyncStatus::Failed, Some(reason)).await;
    }
    let Some(platform_sources) = sources.get(connection.platform) else {
        let reason = format!(
            "{} connections are not configured in this function, so this one cannot sync",
            connection.platform.display_name()
        );
        finish(
            store.as_ref(),
            run,
            SyncStatus::Failed,
            Some(reason.clone()),
        )
        .await?;
        return Err(SyncHandlerError::NotConfigured(reason));
    };

    let holder = run.sync_id.to_string();
    let lease = HeldLease::acquire_on_connection(
        store.as_ref(),
        &tenant.id,
        connection_id,
        Lease::ConnectionSync,
        &holder,
        lease_terms,
    )
    .await?;
    let Some(mut lease) = lease else {
        tracing::warn!(tenant = %tenant.id, connection = %connection_id, sync_id = %run.sync_id, "a sync of this connection is already running");
        let reason = "another sync of this connection was running; this one did nothing";
        return finish(
            store.as_ref(),
            run,
            SyncStatus::Failed,
            Some(reason.to_owned()),
        )
        .await;
    };
    store.put_sync_run(&run).await?;

    let window = match connection.last_sync_at.or(connection.last_full_sync_at) {
        // The source widens the window by the platform's lateness itself.
        Some(since) if run.mode == SyncMode::Incremental => FetchWindow::ChangedBetween {
            since,
            until: run.started_at,
        },
        _ => FetchWindow::All,
    };
    let result = lease
        .run(sync_connection(
            store.as_ref(),
            platform_sources,
            &connection,
            &tenant.id,
            &mut run,
            request,
            window,
            deadline,
        ))
        .await;
    lease.release().await;
    let result = match result {
        Ok(result) => result,
        Err(lost) => {
            tracing::error!(tenant = %tenant.id, connection = %connection_id, sync_id = %run.sync_id, %lost, "connection sync stopped");
            let reason = format!("{lost}; this sync stopped so that two never run at once");
            return finish(store.as_ref(), run, SyncStatus::Failed, Some(reason)).await;
        }
    };
    match result {
        Ok(outcome) => {
            run.requests_used += outcome.requests_used;
            run.count_records(&[
                ("seen", outcome.records_seen),
                ("written", outcome.writes.items_written),
                ("removed", outcome.records_removed),
            ]);
            if outcome.completed {
                finished(store.as_ref(), bus, run, &connection, &outcome, now).await
            } else {
                let run = continue_run(store.as_ref(), bus, request, run).await?;
                log_outcome(&run, &outcome);
                Ok(run)
            }
        }
        Err(error) => failed(store.as_ref(), run, &connection, error).await,
    }
}

/// What an invocation did, whichever kind of source it walked.
#[derive(Debug, Clone, Default, PartialEq)]
struct ConnectionOutcome {
    completed: bool,
    steps: u64,
    /// Payer or account records the steps held.
    records_seen: u64,
    requests_used: u64,
    writes: WriteReport,
    /// Accounts a completed walk no longer saw, deleted.
    records_removed: u64,
}

impl From<PaymentsOutcome> for ConnectionOutcome {
    fn from(outcome: PaymentsOutcome) -> Self {
        ConnectionOutcome {
            completed: outcome.completed,
            steps: outcome.steps,
            records_seen: outcome.payers_seen,
            requests_used: outcome.requests_used,
            writes: outcome.writes,
            records_removed: 0,
        }
    }
}

impl From<AccountsOutcome> for ConnectionOutcome {
    fn from(outcome: AccountsOutcome) -> Self {
        ConnectionOutcome {
            completed: outcome.completed,
            steps: outcome.steps,
            records_seen: outcome.accounts_seen,
            requests_used: outcome.requests_used,
            writes: outcome.writes,
            records_removed: outcome.accounts_deleted,
        }
    }
}

/// One invocation's work on the connection, through the port its platform sits behind: a walk of
/// `window` (from the run's cursor), or for a targeted request (mode `objects`) the payments
/// objects or accounts it names.
#[allow(clippy::too_many_arguments)]
async fn sync_connection<S>(
    store: &S,
    platform_sources: &PlatformSources,
    connection: &Connection,
    tenant_id: &TenantId,
    run: &mut SyncRun,
    request: &SyncRequested,
    window: FetchWindow,
    deadline: Instant,
) -> Result<ConnectionOutcome, SyncError>
where
    S: ConnectionSyncStore + ?Sized,
{
    let at = Invocation {
        store,
        tenant_id,
        connection_id: &connection.id,
        deadline,
        most_reserve: SyncOptions::default().deadline_reserve,
    };
    let targeted = run.mode == SyncMode::Objects;
    Ok(match platform_sources {
        PlatformSources::Payments(factory) => {
            let work = if targeted {
                PaymentsWork::Refs(request.payment_refs.clone())
            } else {
                PaymentsWork::Walk(window)
            };
            let source = factory.payments_source(connection).await?;
            run_payments_sync(source.as_ref(), &at, run, &work)
                .await?
                .into()
        }
        PlatformSources::Accounts(factory) => {
            let work = if targeted {
                AccountsWork::Accounts(request.account_ids.clone())
            } else {
                AccountsWork::Walk(window)
            };
            let source = factory.accounts_source(connection).await?;
            run_accounts_sync(source.as_ref(), &at, run, &work)
                .await?
                .into()
        }
    })
}

/// The run this request starts or continues: a stored run (a continuation, or a manual sync the API
/// recorded) keeps its id, start and cursor.
async fn run_of<S: SyncStore + ?Sized>(
    store: &S,
    request: &SyncRequested,
    connection_id: &ConnectionId,
    now: DateTime<Utc>,
) -> Result<SyncRun, StoreError> {
    let fresh = |sync_id: SyncId, started_at| {
        SyncRun::start(
            request.tenant_id.clone(),
            sync_id,
            request.mode,
            request.requested_by.clone(),
            started_at,
        )
        .on_connection(connection_id.clone())
    };
    let Some(sync_id) = &request.sync_id else {
        return Ok(fresh(SyncId::starting_at(now), now));
    };
    match store.get_sync_run(&request.tenant_id, sync_id).await {
        Ok(stored) => {
            let mut run = fresh(stored.sync_id, stored.started_at);
            run.requests_used = stored.requests_used;
            if stored.connection_id.as_ref() == Some(connection_id) {
                run.cursor = stored.cursor;
            }
            Ok(run)
        }
        Err(StoreError::NotFound { .. }) => Ok(fresh(sync_id.clone(), now)),
        Err(error) => Err(error),
    }
}

async fn finished<S, B>(
    store: &S,
    bus: &B,
    run: SyncRun,
    connection: &Connection,
    outcome: &ConnectionOutcome,
    now: DateTime<Utc>,
) -> Result<SyncRun, SyncHandlerError>
where
    S: ConnectionSyncStore + ?Sized,
    B: EventBus + ?Sized,
{
    let run = finish(store, run, SyncStatus::Succeeded, None).await?;
    let (mode, started_at) = (run.mode, run.started_at);
    let recorded = update_connection(store, connection, |c| {
        c.record_sync(mode, started_at, Utc::now())
    })
    .await;
    if let Err(error) = recorded {
        // The next run then simply covers a longer window (or is full again).
        tracing::warn!(%error, tenant = %run.tenant_id, connection = %connection.id, "could not record the connection's sync time");
    }
    // Payer and account records change no client snapshot: scoring reads them through
    // correlations.
    let synced = TenantSynced::of_run(&run, Vec::new(), now);
    bus.publish(&[ProductEvent::TenantSynced(synced)]).await?;
    log_outcome(&run, outcome);
    Ok(run)
}

async fn failed<S: ConnectionSyncStore + ?Sized>(
    store: &S,
    run: SyncRun,
    connection: &Connection,
    error: SyncError,
) -> Result<SyncRun, SyncHandlerError> {
    let status = error.status();
    let retryable = error.is_retryable();
    let started_at = run.started_at;
    let run = finish(store, run, status, Some(error.to_string())).await?;
    let marked = match &error {
        SyncError::NeedsReauth { reason } => {
            update_connection(store, connection, |c| {
                c.mark_needs_reauth(reason.clone(), started_at, Utc::now())
            })
            .await
        }
        _ if !retryable && !matches!(error, SyncError::RateLimited { .. }) => {
            update_connection(store, connection, |c| {
                c.mark_error(error.to_string(), started_at, Utc::now())
            })
            .await
        }
        _ => Ok(true),
    };
    let news = marked.unwrap_or_else(|store_error| {
        tracing::error!(error = %store_error, tenant = %run.tenant_id, connection = %connection.id, "could not record the connection's status");
        true
    });
    if news {
        // ERROR level: the template's sync-failure alarm counts these lines.
        tracing::error!(tenant = %run.tenant_id, connection = %connection.id, sync_id = %run.sync_id, ?status, retryable, %error, "connection sync failed");
    } else {
        tracing::warn!(tenant = %run.tenant_id, connection = %connection.id, sync_id = %run.sync_id, ?status, %error, "connection sync failed again");
    }
    if retryable {
        Err(SyncHandlerError::Sync {
            tenant: run.tenant_id.clone(),
            error,
        })
    } else {
        Ok(run)
    }
}

/// Applies `change` to the stored connection and saves it, re-reading on a conflict (someone paused
/// it, gave new credentials). Returns what `change` returned: `false` when there was nothing to save.
async fn update_connection<S, F>(
    store: &S,
    connection: &Connection,
    mut change: F,
) -> Result<bool, StoreError>
where
    S: ConnectionStore + ?Sized,
    F: FnMut(&mut Connection) -> bool,
{
    let mut current = connection.clone();
    for _ in 0..3 {
        if !change(&mut current) {
            return Ok(false);
        }
        match store.update_connection(&current).await {
            Ok(_) => return Ok(true),
            Err(StoreError::Conflict { .. }) => {
                current = store
                    .get_connection(&connection.tenant_id, &connection.id)
                    .await?;
            }
            Err(error) => return Err(error),
        }
    }
    Err(StoreError::Conflict {
        entity: "connection",
        id: connection.id.to_string(),
    })
}

fn log_outcome(run: &SyncRun, outcome: &ConnectionOutcome) {
    tracing::info!(
        tenant = %run.tenant_id,
        connection = ?run.connection_id,
        sync_id = %run.sync_id,
        mode = ?run.mode,
        status = ?run.status,
        steps = outcome.steps,
        records = outcome.records_seen,
        records_removed = outcome.records_removed,
        requests = outcome.requests_used,
        items_written = outcome.writes.items_written,
        "connection sync finished"
    );
}
