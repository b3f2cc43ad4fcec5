//! Runs an erasure (`ErasureRequested`): a contact, a client, a connection or the whole tenant.
//!
//! An erasure walks its phases ([`ErasurePhase`]) and saves itself after each step, so a retried
//! or continued invocation picks up where the last one stopped; every step is idempotent. A tenant
//! can be big: near the deadline the handler saves its cursor and asks for a continuation, after
//! at least one page (so a chain of continuations always ends). An error that a retry cannot fix
//! finishes the erasure as failed, with the reason, in its status and in a receipt.

use crate::domain::{
    CorrelationStatus, Erasure, ErasurePhase, ErasureStatus, ErasureTarget, LinkedRecord, TenantId,
    TenantStatus,
};
use crate::events::{ErasureRequested, ProductEvent};
use crate::handlers::audit::record_system;
use crate::ports::{
    BusError, EventBus, ObjectError, ObjectStore, PageRequest, SecretVault, Store, StoreError,
    VaultError,
};
use chrono::{DateTime, Utc};
use std::time::{Duration, Instant};

/// Items one page of the walk reads (and at most deletes).
pub const ERASURE_PAGE: u32 = 200;
/// Time kept back before the deadline to save and ask for a continuation.
const DEADLINE_RESERVE: Duration = Duration::from_secs(10);

/// What an erasure reaches beyond the store and the bus.
#[derive(Clone, Copy)]
pub struct ErasurePorts<'a> {
    pub vault: &'a dyn SecretVault,
    /// The export bucket; `None` where the function has none, and a tenant's erasure then fails
    /// clearly rather than leave its exports behind.
    pub objects: Option<&'a dyn ObjectStore>,
}

#[derive(Debug, thiserror::Error)]
pub enum ErasureError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Objects(#[from] ObjectError),
    #[error(transparent)]
    Bus(#[from] BusError),
    #[error("{0}")]
    Invalid(String),
}

impl ErasureError {
    pub fn is_retryable(&self) -> bool {
        match self {
            ErasureError::Store(e) => e.is_retryable(),
            ErasureError::Vault(e) => matches!(e, VaultError::Unavailable(_)),
            ErasureError::Objects(e) => e.is_retryable(),
            ErasureError::Bus(_) => true,
            ErasureError::Invalid(_) => false,
        }
    }
}

/// Runs (or continues) the erasure the request names; returns it as it stands when this
/// invocation ends: finished, or saved for its continuation.
pub async fn handle_erasure_requested<S, B>(
    store: &S,
    bus: &B,
    ports: ErasurePorts<'_>,
    request: &ErasureRequested,
    deadline: Instant,
    now: DateTime<Utc>,
) -> Result<Erasure, ErasureError>
where
    S: Store + ?Sized,
    B: EventBus + ?Sized,
{
    let mut erasure = store
        .get_erasure(&request.tenant_id, &request.erasure_id)
        .await?;
    if erasure.is_finished() {
        return Ok(erasure);
    }
    erasure.status = ErasureStatus::Running;
    erasure.started_at.get_or_insert(now);
    erasure.invocations += 1;
    store.put_erasure(&erasure).await?;
    match run(store, bus, ports, &mut erasure, deadline, now).await {
        Ok(()) => Ok(erasure),
        Err(error) if error.is_retryable() => {
            tracing::warn!(erasure = %erasure.id, phase = ?erasure.phase, %error,
                "erasure interrupted; a retry continues it");
            Err(error)
        }
        Err(error) => {
            tracing::error!(erasure = %erasure.id, phase = ?erasure.phase, %error, "erasure failed");
            erasure.finish(ErasureStatus::Failed, Some(error.to_string()), Utc::now());
            store.put_erasure(&erasure).await?;
            record_system(store, &erasure.tenant_id, erasure.receipt(), Utc::now()).await?;
            Ok(erasure)
        }
    }
}

async fn run<S, B>(
    store: &S,
    bus: &B,
    ports: ErasurePorts<'_>,
    erasure: &mut Erasure,
    deadline: Instant,
    now: DateTime<Utc>,
) -> Result<(), ErasureError>
where
    S: Store + ?Sized,
    B: EventBus + ?Sized,
{
    let target = erasure
        .target
        .clone()
        .ok_or_else(|| ErasureError::Invalid("the erasure has no subject left".into()))?;
    let tenant_id = erasure.tenant_id.clone();
    let mut pages = 0u32;
    loop {
        match erasure.phase {
            ErasurePhase::Prepare => {
                prepare(store, erasure, &target).await?;
                erasure.phase = ErasurePhase::Secrets;
            }
            ErasurePhase::Secrets => {
                for secret_id in erasure.secret_ids.clone() {
                    ports.vault.delete(&secret_id).await?;
                    erasure.count("secret", 1);
                }
                erasure.secret_ids.clear();
                erasure.phase = match target {
                    ErasureTarget::Tenant => ErasurePhase::Objects,
                    _ => ErasurePhase::Items,
                };
            }
            ErasurePhase::Objects => {
                let objects = ports.objects.ok_or_else(|| {
                    ErasureError::Invalid(
                        "this function has no export bucket to erase the tenant's exports from"
                            .into(),
                    )
                })?;
                let erased = objects.delete_prefix(&tenant_prefix(&tenant_id)).await?;
                erasure.count("export_object", erased);
                erasure.phase = ErasurePhase::Items;
            }
            ErasurePhase::Items => {
                if pages > 0 && near(deadline) {
                    store.put_erasure(erasure).await?;
                    let next = ErasureRequested::new(tenant_id.clone(), erasure.id.clone(), now);
                    bus.publish(&[ProductEvent::ErasureRequested(next)]).await?;
                    tracing::info!(erasure = %erasure.id, pages, "erasure continues in a new invocation");
                    return Ok(());
                }
                let page = PageRequest {
                    limit: ERASURE_PAGE,
                    cursor: erasure.cursor.clone(),
                };
                let erased = store
                    .erase_page(&tenant_id, &target, &erasure.linked, &page)
                    .await?;
                pages += 1;
                for (entity, n) in &erased.counts {
                    erasure.count(entity, *n);
                }
                erasure.cursor = erased.next_cursor;
                if erasure.cursor.is_none() {
                    erasure.phase = ErasurePhase::Receipt;
                }
            }
            ErasurePhase::Receipt => {
                erasure.finish(ErasureStatus::Completed, None, Utc::now());
                record_system(store, &tenant_id, erasure.receipt(), Utc::now()).await?;
                store.put_erasure(erasure).await?;
                tracing::info!(erasure = %erasure.id, scope = erasure.scope.as_str(),
                    counts = ?erasure.counts, "erasure completed");
                return Ok(());
            }
            ErasurePhase::Done => return Ok(()),
        }
        // Saved after every step: a retry redoes at most the step that was cut off.
        store.put_erasure(erasure).await?;
    }
}

/// Where a tenant's export objects are (the `ObjectStore` contract: every key starts so).
pub fn tenant_prefix(tenant_id: &TenantId) -> String {
    format!("{tenant_id}/")
}

/// Reads what the later phases need before anything is deleted.
async fn prepare<S: Store + ?Sized>(
    store: &S,
    erasure: &mut Erasure,
    target: &ErasureTarget,
) -> Result<(), ErasureError> {
    let tenant_id = erasure.tenant_id.clone();
    match target {
        ErasureTarget::Tenant => {
            let mut secrets = Vec::new();
            match store.get_tenant(&tenant_id).await {
                Ok(tenant) => {
                    secrets.push(tenant.credentials_secret_id.clone());
                    // Out of the schedule's fan-out first: no sync starts while the items go.
                    if tenant.status != TenantStatus::Disabled {
                        let mut disabled = tenant;
                        disabled.status = TenantStatus::Disabled;
                        store.update_tenant(&disabled).await?;
                    }
                }
                Err(StoreError::NotFound { .. }) => {}
                Err(error) => return Err(error.into()),
            }
            let connections = store.list_connections(&tenant_id).await?;
            secrets.extend(connections.into_iter().map(|c| c.credentials_secret_id));
            // Alert channels keep their webhook URLs and signing keys as secrets too.
            let rules = store.list_alert_rules(&tenant_id).await?;
            secrets.extend(
                rules
                    .into_iter()
                    .flat_map(|rule| rule.channels)
                    .filter_map(|channel| channel.secret_id),
            );
            secrets.retain(|id| !id.is_empty());
            secrets.sort();
            secrets.dedup();
            erasure.secret_ids = secrets;
        }
        ErasureTarget::Connection(connection_id) => {
            match store.get_connection(&tenant_id, connection_id).await {
                Ok(connection) if !connection.credentials_secret_id.is_empty() => {
                    erasure.secret_ids = vec![connection.credentials_secret_id];
                }
                Ok(_) | Err(StoreError::NotFound { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        ErasureTarget::Client(client_id) => {
            // Records matched to the client (automatically or by a person) are about it and go
            // with it; candidates still in review or rejected are another business's, and only
            // their link to this client goes.
            let correlations = store
                .correlations_for_clients(&tenant_id, std::slice::from_ref(client_id))
                .await?;
            let mut linked: Vec<LinkedRecord> = correlations
                .into_iter()
                .filter(|c| {
                    matches!(
                        c.status,
                        CorrelationStatus::Auto | CorrelationStatus::Confirmed
                    )
                })
                .map(|c| LinkedRecord {
                    connection_id: c.connection_id,
                    external_id: c.external_id,
                })
                .collect();
            linked.sort();
            linked.dedup();
            erasure.linked = linked;
        }
        ErasureTarget::Contact(_) => {}
    }
    Ok(())
}

fn near(deadline: Instant) -> bool {
    deadline.saturating_duration_since(Instant::now()) < DEADLINE_RESERVE
}
