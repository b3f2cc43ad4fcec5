//! Processing one verified delivery: tenants, de-duplication, erasures, one targeted sync per tenant.
//!
//! Only what cannot wait happens here (HubSpot gives us 5 seconds): the dedupe records, privacy
//! erasures and the publish. Reading the changed records is the sync's job.
//!
//! Losing nothing: event ids are recorded before the publish, and when anything after the first
//! record fails (a store call, the publish, the time budget) the ids this delivery recorded are
//! forgotten again before we answer 5xx, so HubSpot's redelivery is processed rather than dropped as
//! a duplicate. The worst case is then a sync requested twice, never a change missed.

use super::error::IngestError;
use super::plan;
use super::privacy::erase_contacts;
use crate::config::PublicBaseUrl;
use crate::domain::{ClientId, Erasure, ErasureId, ErasureTarget, Tenant, TenantId, TenantStatus};
use crate::events::{ErasureRequested, ProductEvent};
use crate::ports::{
    ConnectionSources, ConnectionStore, ErasureStore, EventBus, SnapshotStore, StoreError,
    TenantStore, WebhookStore,
};
use crate::sources::hubspot::webhook::event::WebhookEvent;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use secrecy::SecretString;
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// HubSpot retries a delivery for 24 hours; ids are kept three days so a late retry is still known.
pub const DEDUPE_RETENTION: chrono::Duration = chrono::Duration::days(3);
/// HubSpot gives up after 5 seconds; past this budget we stop and answer 503 ourselves.
pub const DEFAULT_PROCESSING_BUDGET: Duration = Duration::from_secs(4);
/// Dedupe records written at once, per tenant.
const RECORD_CONCURRENCY: usize = 16;

/// The parts of the store ingest uses.
pub trait IngestStore: TenantStore + WebhookStore + SnapshotStore + ErasureStore {}
impl<T: TenantStore + WebhookStore + SnapshotStore + ErasureStore + ?Sized> IngestStore for T {}

/// What the webhook route needs; cheap to clone.
#[derive(Clone)]
pub struct IngestState {
    pub(crate) store: Arc<dyn IngestStore>,
    pub(crate) bus: Arc<dyn EventBus>,
    pub(crate) client_secret: SecretString,
    pub(crate) public_base_url: PublicBaseUrl,
    pub(crate) processing_budget: Duration,
    /// Connections' webhooks (PayPal, NinjaOne, Pax8); `None`: they are refused as unknown.
    pub(crate) connections: Option<ConnectionWebhooks>,
}

/// What connections' webhooks need besides the common parts: the connections, and each
/// platform's verification through its source factory.
#[derive(Clone)]
pub struct ConnectionWebhooks {
    pub(crate) connections: Arc<dyn ConnectionStore>,
    pub(crate) sources: ConnectionSources,
}

impl IngestState {
    pub fn new(
        store: Arc<dyn IngestStore>,
        bus: Arc<dyn EventBus>,
        client_secret: SecretString,
        public_base_url: PublicBaseUrl,
    ) -> Self {
        Self {
            store,
            bus,
            client_secret,
            public_base_url,
            processing_budget: DEFAULT_PROCESSING_BUDGET,
            connections: None,
        }
    }

    /// Accepts connections' webhooks (`POST /webhooks/{paypal,ninjaone,pax8}/{tenant}/{connection}`):
    /// the connection is looked up in `connections` and the delivery verified through `sources`
    /// (a platform missing there is refused).
    pub fn with_connection_sources(
        mut self,
        connections: Arc<dyn ConnectionStore>,
        sources: ConnectionSources,
    ) -> Self {
        self.connections = Some(ConnectionWebhooks {
            connections,
            sources,
        });
        self
    }

    /// How long a delivery may take before we answer 503 (default 4 s, under HubSpot's 5 s).
    pub fn with_processing_budget(mut self, budget: Duration) -> Self {
        self.processing_budget = budget;
        self
    }
}

impl std::fmt::Debug for IngestState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestState")
            .field("public_base_url", &self.public_base_url)
            .field("processing_budget", &self.processing_budget)
            .field("connections", &self.connections.is_some())
            .finish_non_exhaustive()
    }
}

/// What a delivery came to; the 200 body (HubSpot ignores it, people debugging do not).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryOutcome {
    pub received: usize,
    /// New events of known tenants that we act on.
    pub accepted: usize,
    /// Seen before (in an earlier delivery or earlier in this one).
    pub duplicates: usize,
    /// Portals no tenant has connected; acknowledged so HubSpot stops retrying.
    pub unknown_portal: usize,
    /// Subscriptions we do not act on.
    pub ignored: usize,
    pub sync_requests: usize,
    pub contacts_erased: usize,
    /// Tenants whose portal uninstalled the app: their erasure started.
    #[serde(default)]
    pub tenants_erased: usize,
}

/// Ids this delivery recorded, so a failure can forget them.
#[derive(Default)]
struct RecordedIds(Mutex<Vec<(TenantId, String)>>);

impl RecordedIds {
    fn add(&self, tenant_id: &TenantId, key: &str) {
        self.lock().push((tenant_id.clone(), key.to_string()));
    }

    fn remove(&self, tenant_id: &TenantId, key: &str) {
        self.lock().retain(|(t, k)| !(t == tenant_id && k == key));
    }

    fn take(&self) -> Vec<(TenantId, String)> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(TenantId, String)>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Processes a verified, parsed delivery at `now`.
pub async fn process_delivery(
    state: &IngestState,
    events: Vec<WebhookEvent>,
    now: DateTime<Utc>,
) -> Result<DeliveryOutcome, IngestError> {
    let recorded = RecordedIds::default();
    let result = match tokio::time::timeout(
        state.processing_budget,
        process(state, events, now, &recorded),
    )
    .await
    {
        Ok(result) => result,
        Err(_) => Err(IngestError::OutOfTime(state.processing_budget)),
    };
    if result.is_err() {
        forget(state, recorded.take()).await;
    }
    result
}

async fn forget(state: &IngestState, recorded: Vec<(TenantId, String)>) {
    let forgotten = futures::future::join_all(
        recorded
            .iter()
            .map(|(tenant_id, key)| state.store.forget_webhook_event(tenant_id, key)),
    )
    .await;
    for ((tenant_id, key), result) in recorded.iter().zip(forgotten) {
        if let Err(error) = result {
            // The hourly incremental sync still picks the change up; only its promptness is lost.
            tracing::error!(%tenant_id, event_key = %key, %error,
                "could not forget a webhook event id; its redelivery will be taken as a duplicate");
        }
    }
}

async fn process(
    state: &IngestState,
    events: Vec<WebhookEvent>,
    now: DateTime<Utc>,
    recorded: &RecordedIds,
) -> Result<DeliveryOutcome, IngestError> {
    let mut outcome = DeliveryOutcome {
        received: events.len(),
        ..Default::default()
    };
    let by_portal = plan::group_by_portal(events);
    let tenants = futures::future::try_join_all(
        by_portal
            .keys()
            .map(|portal_id| state.store.tenant_by_portal(*portal_id)),
    )
    .await?;

    let mut known: Vec<(Tenant, Vec<WebhookEvent>)> = Vec::new();
    for ((portal_id, events), tenant) in by_portal.into_iter().zip(tenants) {
        match tenant {
            Some(tenant) => known.push((tenant, events)),
            None => {
                tracing::warn!(
                    portal_id,
                    events = events.len(),
                    "webhook for a portal no tenant has connected; acknowledged and dropped"
                );
                outcome.unknown_portal += events.len();
            }
        }
    }

    let tenant_results = futures::future::try_join_all(
        known
            .into_iter()
            .map(|(tenant, events)| process_tenant(state, tenant, events, now, recorded)),
    )
    .await?;

    let mut requests = Vec::new();
    for tenant_result in &tenant_results {
        outcome.accepted += tenant_result.accepted;
        outcome.duplicates += tenant_result.duplicates;
        outcome.ignored += tenant_result.ignored;
        outcome.contacts_erased += tenant_result.erased_contacts.len();
        requests.extend(tenant_result.request.clone());
        if let Some(erasure) = &tenant_result.erasure {
            requests.push(erasure.clone());
            outcome.tenants_erased += 1;
        }
    }
    if !requests.is_empty() {
        state.bus.publish(&requests).await?;
    }
    // The erasures ride in the same publish but are not sync requests.
    outcome.sync_requests = requests.len() - outcome.tenants_erased;
    futures::future::try_join_all(
        tenant_results
            .iter()
            .filter(|result| !result.erased_contacts.is_empty())
            .map(|result| {
                clear_contact_index(
                    state.store.as_ref(),
                    &result.tenant_id,
                    &result.erased_contacts,
                )
            }),
    )
    .await?;
    tracing::info!(?outcome, "webhook delivery processed");
    Ok(outcome)
}

struct TenantResult {
    tenant_id: TenantId,
    accepted: usize,
    duplicates: usize,
    ignored: usize,
    erased_contacts: BTreeSet<String>,
    request: Option<ProductEvent>,
    /// The tenant's erasure, when its portal uninstalled the app.
    erasure: Option<ProductEvent>,
}

async fn process_tenant(
    state: &IngestState,
    tenant: Tenant,
    events: Vec<WebhookEvent>,
    now: DateTime<Utc>,
    recorded: &RecordedIds,
) -> Result<TenantResult, IngestError> {
    let received = events.len();
    if events.iter().any(WebhookEvent::is_app_uninstall) {
        return start_tenant_erasure(state, tenant, received, now).await;
    }
    let handled = events.iter().filter(|e| e.subscription().is_some()).count();
    let candidates = plan::actionable(events);

    let expires_at = now + DEDUPE_RETENTION;
    let store = &state.store;
    let tenant_id = &tenant.id;
    let fresh: Vec<WebhookEvent> = futures::stream::iter(candidates)
        .map(|(key, event)| async move {
            // Listed before the write: if we are cut off mid-call, forgetting an id that was
            // never written is harmless, while keeping one would drop its redelivery.
            recorded.add(tenant_id, &key);
            let first_time = store
                .record_webhook_event(tenant_id, &key, expires_at)
                .await?;
            if !first_time {
                // Processed by an earlier delivery: it must stay recorded whatever happens here.
                recorded.remove(tenant_id, &key);
            }
            Ok::<_, StoreError>(first_time.then_some(event))
        })
        .buffered(RECORD_CONCURRENCY)
        .try_filter_map(|event| async move { Ok(event) })
        .try_collect()
        .await?;

    let erased = plan::privacy_deleted_contacts(&fresh);
    let linked_clients = if erased.is_empty() {
        Vec::new()
    } else {
        erase_from_snapshots(store.as_ref(), tenant_id, &erased).await?
    };

    let request = if tenant.status == TenantStatus::Active {
        plan::sync_request(tenant_id, &fresh, &linked_clients, now).map(ProductEvent::SyncRequested)
    } else {
        if !fresh.is_empty() {
            tracing::info!(%tenant_id, status = ?tenant.status,
                "tenant is not active; its webhook changes wait for its next sync");
        }
        None
    };

    Ok(TenantResult {
        tenant_id: tenant.id.clone(),
        accepted: fresh.len(),
        duplicates: handled - fresh.len(),
        ignored: received - handled,
        erased_contacts: erased,
        request,
        erasure: None,
    })
}

/// The portal uninstalled the app: the tenant's erasure starts at once, with no grace period.
/// HubSpot has already revoked our tokens and stopped the webhooks; installing again connects a
/// fresh tenant whose first full sync reads the portal again. The other events of the delivery are
/// moot. A redelivery finds the tenant still there only while the erasure runs; it starts a second
/// one, which is harmless (every step is idempotent).
async fn start_tenant_erasure(
    state: &IngestState,
    tenant: Tenant,
    received: usize,
    now: DateTime<Utc>,
) -> Result<TenantResult, IngestError> {
    let erasure = Erasure::request(
        ErasureId::generate(),
        tenant.id.clone(),
        ErasureTarget::Tenant,
        "hubspot-uninstall",
        now,
    );
    state.store.put_erasure(&erasure).await?;
    tracing::info!(tenant_id = %tenant.id, erasure = %erasure.id,
        "the portal uninstalled the app; the tenant's erasure starts");
    let request = ErasureRequested::new(tenant.id.clone(), erasure.id, now);
    Ok(TenantResult {
        tenant_id: tenant.id,
        accepted: received,
        duplicates: 0,
        ignored: 0,
        erased_contacts: BTreeSet::new(),
        request: None,
        erasure: Some(ProductEvent::ErasureRequested(request)),
    })
}

/// Removes the contacts from every snapshot the contact index links them to, and returns those
/// clients (all of them, changed now or by an earlier attempt), so the targeted sync re-reads and
/// re-scores them. The index entries stay until the publish succeeded ([`clear_contact_index`]):
/// a redelivery after a failed publish still finds the clients. Idempotent.
async fn erase_from_snapshots(
    store: &dyn IngestStore,
    tenant_id: &TenantId,
    contact_ids: &BTreeSet<String>,
) -> Result<Vec<ClientId>, StoreError> {
    let contact_list: Vec<String> = contact_ids.iter().cloned().collect();
    let linked: Vec<ClientId> = store
        .contact_clients(tenant_id, &contact_list)
        .await?
        .into_iter()
        .flat_map(|(_, clients)| clients)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if linked.is_empty() {
        return Ok(linked);
    }
    let mut snapshots = store.get_snapshots(tenant_id, &linked).await?;
    snapshots.retain_mut(|snapshot| erase_contacts(snapshot, contact_ids));
    if !snapshots.is_empty() {
        store.put_snapshots(tenant_id, &snapshots).await?;
    }
    tracing::info!(%tenant_id, contacts = contact_ids.len(), snapshots_changed = snapshots.len(),
        "erased privacy-deleted contacts from snapshots");
    Ok(linked)
}

async fn clear_contact_index(
    store: &dyn IngestStore,
    tenant_id: &TenantId,
    contact_ids: &BTreeSet<String>,
) -> Result<(), StoreError> {
    let cleared: Vec<(String, Vec<ClientId>)> = contact_ids
        .iter()
        .map(|contact_id| (contact_id.clone(), Vec::new()))
        .collect();
    store.put_contact_clients(tenant_id, &cleared).await?;
    Ok(())
}
