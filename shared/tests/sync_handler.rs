//! The sync function's handlers on the in-process store and bus against the sandbox portal: the
//! schedule's fan-out (and when it asks for a full reconciliation), the lease that keeps one sync per
//! tenant (short, renewed while the sync works, and given up when another holder takes it), and the
//! continuation a run emits when the Lambda deadline comes first (only after some progress).

mod payments_support;

use chrono::{Duration as Days, Utc};
use hubspot_sandbox::{Faults, Sandbox, SandboxConfig};
use shared::bus::InProcessBus;
use shared::connector::engine::deadline_reserve;
use shared::connector::{NoProgress, SyncOptions};
use shared::domain::{
    AuthKind, Connection, ConnectionId, ConnectionStatus, SyncMode, SyncRun, SyncStatus,
    SyncTrigger, Tenant, TenantId, TenantStatus,
};
use shared::events::{ProductEvent, SyncRequested, SCHEMA_VERSION};
use shared::handlers::sync::{
    dispatch_scheduled, handle_sync_requested, handle_sync_requested_with,
};
use shared::ports::{
    ConnectionStore, Lease, Page, PageRequest, SecretVault, StoreError, SyncStore, TenantStore,
};
use shared::sources::hubspot::HubSpotSources;
use shared::sources::hubspot::{HubSpotClient, StoredCredentials};
use shared::store::{LeaseTerms, MemoryStore};
use shared::vault::InProcessVault;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use test_support::fixtures::sync_requests;

fn tenant_id(id: &str) -> TenantId {
    TenantId::parse(id).unwrap()
}

fn far_deadline() -> Instant {
    Instant::now() + Duration::from_secs(600)
}

fn requested(tenant: &str, mode: SyncMode, by: SyncTrigger) -> SyncRequested {
    SyncRequested {
        schema_version: SCHEMA_VERSION,
        tenant_id: tenant_id(tenant),
        connection_id: None,
        mode,
        objects: Vec::new(),
        payment_refs: Vec::new(),
        account_ids: Vec::new(),
        requested_by: by,
        sync_id: None,
        requested_at: Utc::now(),
    }
}

fn synced_events(bus: &InProcessBus) -> usize {
    bus.published()
        .iter()
        .filter(|delivered| matches!(delivered.event(), Ok(ProductEvent::TenantSynced(_))))
        .count()
}

/// A sandbox portal connected as the private-app tenant `acme`, and the parts a sync needs.
struct Portal {
    _sandbox: Sandbox,
    store: Arc<MemoryStore>,
    bus: InProcessBus,
    sources: HubSpotSources<MemoryStore>,
}

impl Portal {
    async fn sync(&self, request: &SyncRequested, deadline: Instant) -> SyncRun {
        handle_sync_requested(
            &self.store,
            &self.bus,
            &self.sources,
            request,
            deadline,
            &NoProgress,
        )
        .await
        .unwrap()
    }
}

async fn portal(seed: u64) -> Portal {
    portal_of(SandboxConfig::small(seed)).await
}

/// A portal whose every CRM call takes `latency_ms`: a sync of it lasts a while.
async fn slow_portal(seed: u64, latency_ms: u64) -> Portal {
    let faults = Faults {
        latency_ms,
        ..Faults::none()
    };
    portal_of(SandboxConfig {
        faults,
        ..SandboxConfig::small(seed)
    })
    .await
}

async fn portal_of(config: SandboxConfig) -> Portal {
    let sandbox = Sandbox::start(config).await.unwrap();
    let store = Arc::new(MemoryStore::new());
    let vault = Arc::new(InProcessVault::new());
    let credentials = StoredCredentials::private_app(sandbox.private_app_token().into());
    vault
        .create("tenant/acme/hubspot", &credentials.to_secret())
        .await
        .unwrap();
    let tenant = Tenant::connected(
        tenant_id("acme"),
        "Acme",
        Some(sandbox.portal_id()),
        "tenant/acme/hubspot",
        AuthKind::PrivateApp,
        Utc::now(),
    );
    store.create_tenant(&tenant).await.unwrap();
    let sources = HubSpotSources::new(
        HubSpotClient::default_http().unwrap(),
        sandbox.base_url(),
        None,
        vault,
        store.clone(),
    );
    Portal {
        _sandbox: sandbox,
        store,
        bus: InProcessBus::new(),
        sources,
    }
}

// ---- the cases, by subject (one test binary; the modules share the set-up above) ----

#[path = "sync_handler/deadline.rs"]
mod deadline;
#[path = "sync_handler/fanout.rs"]
mod fanout;
#[path = "sync_handler/lease.rs"]
mod lease;
#[path = "sync_handler/schedule.rs"]
mod schedule;
