//! The sync function's handlers on the in-process store and bus against the sandbox portal: the
//! schedule's fan-out (and when it asks for a full reconciliation), the lease that keeps one sync per
//! tenant, and the continuation a run emits when the Lambda deadline comes first.

use chrono::{Duration as Days, Utc};
use hubspot_sandbox::{Sandbox, SandboxConfig};
use shared::bus::InProcessBus;
use shared::connector::NoProgress;
use shared::domain::{
    AuthKind, SyncMode, SyncRun, SyncStatus, SyncTrigger, Tenant, TenantId, TenantStatus,
};
use shared::events::{ProductEvent, SyncRequested, SCHEMA_VERSION};
use shared::handlers::sources::HubSpotSources;
use shared::handlers::sync::{dispatch_scheduled, handle_sync_requested, SYNC_LEASE};
use shared::hubspot::{HubSpotClient, StoredCredentials};
use shared::ports::{SecretVault, SyncStore, TenantStore};
use shared::store::MemoryStore;
use shared::vault::InProcessVault;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
        mode,
        objects: Vec::new(),
        requested_by: by,
        sync_id: None,
        requested_at: Utc::now(),
    }
}

fn sync_requests(bus: &InProcessBus) -> Vec<SyncRequested> {
    bus.published()
        .iter()
        .filter_map(|delivered| match delivered.event() {
            Ok(ProductEvent::SyncRequested(request)) => Some(request),
            _ => None,
        })
        .collect()
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
    let sandbox = Sandbox::start(SandboxConfig::small(seed)).await.unwrap();
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

#[tokio::test]
async fn the_schedule_asks_for_a_full_sync_when_one_is_due_and_incremental_otherwise() {
    let store = MemoryStore::new();
    let bus = InProcessBus::new();
    let now = Utc::now();
    let mut never_full =
        Tenant::connected(tenant_id("never"), "N", Some(1), "s1", AuthKind::OAuth, now);
    never_full.last_full_sync_at = None;
    let mut recent = Tenant::connected(
        tenant_id("recent"),
        "R",
        Some(2),
        "s2",
        AuthKind::OAuth,
        now,
    );
    recent.last_full_sync_at = Some(now - Days::hours(3));
    let mut stale = Tenant::connected(tenant_id("stale"), "S", Some(3), "s3", AuthKind::OAuth, now);
    stale.last_full_sync_at = Some(now - Days::hours(25));
    let mut paused = Tenant::connected(
        tenant_id("paused"),
        "P",
        Some(4),
        "s4",
        AuthKind::OAuth,
        now,
    );
    paused.schedule.enabled = false;
    let mut reauth = Tenant::connected(
        tenant_id("reauth"),
        "A",
        Some(5),
        "s5",
        AuthKind::OAuth,
        now,
    );
    reauth.status = TenantStatus::NeedsReauth;
    for tenant in [&never_full, &recent, &stale, &paused, &reauth] {
        store.create_tenant(tenant).await.unwrap();
    }

    let report = dispatch_scheduled(&store, &bus, now).await.unwrap();

    let mut modes: Vec<(String, SyncMode)> = sync_requests(&bus)
        .into_iter()
        .inspect(|r| assert_eq!(r.requested_by, SyncTrigger::Schedule))
        .map(|r| (r.tenant_id.to_string(), r.mode))
        .collect();
    modes.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        modes,
        vec![
            ("never".to_owned(), SyncMode::Full),
            ("recent".to_owned(), SyncMode::Incremental),
            ("stale".to_owned(), SyncMode::Full),
        ]
    );
    assert_eq!(report.tenants_requested, 3);
}

#[tokio::test]
async fn a_finished_full_sync_is_recorded_so_the_next_scheduled_run_is_incremental() {
    let portal = portal(31).await;
    let before = Utc::now();

    let run = portal
        .sync(
            &requested("acme", SyncMode::Incremental, SyncTrigger::Schedule),
            far_deadline(),
        )
        .await;

    // No checkpoints yet: the first sync is full whatever was asked.
    assert_eq!(run.mode, SyncMode::Full);
    assert_eq!(run.status, SyncStatus::Succeeded);
    assert_eq!(synced_events(&portal.bus), 1);
    let tenant = portal.store.get_tenant(&tenant_id("acme")).await.unwrap();
    let recorded = tenant.last_full_sync_at.expect("the full sync's time");
    assert!(recorded >= before && recorded <= Utc::now());

    let next = InProcessBus::new();
    dispatch_scheduled(portal.store.as_ref(), &next, Utc::now())
        .await
        .unwrap();
    let modes: Vec<SyncMode> = sync_requests(&next).iter().map(|r| r.mode).collect();
    assert_eq!(modes, vec![SyncMode::Incremental]);

    let a_day_later = Utc::now() + Days::hours(24);
    let later = InProcessBus::new();
    dispatch_scheduled(portal.store.as_ref(), &later, a_day_later)
        .await
        .unwrap();
    let modes: Vec<SyncMode> = sync_requests(&later).iter().map(|r| r.mode).collect();
    assert_eq!(modes, vec![SyncMode::Full]);
}

#[tokio::test]
async fn an_incremental_sync_leaves_the_last_full_sync_time_alone() {
    let portal = portal(32).await;
    let full = requested("acme", SyncMode::Full, SyncTrigger::Schedule);
    portal.sync(&full, far_deadline()).await;
    let after_full = portal.store.get_tenant(&tenant_id("acme")).await.unwrap();

    let incremental = requested("acme", SyncMode::Incremental, SyncTrigger::Schedule);
    let run = portal.sync(&incremental, far_deadline()).await;

    assert_eq!(run.mode, SyncMode::Incremental);
    assert_eq!(run.status, SyncStatus::Succeeded);
    let after_incremental = portal.store.get_tenant(&tenant_id("acme")).await.unwrap();
    assert_eq!(
        after_incremental.last_full_sync_at,
        after_full.last_full_sync_at
    );
    assert_eq!(after_incremental.version, after_full.version);
}

#[tokio::test]
async fn a_tenant_whose_sync_holds_the_lease_is_not_synced_twice() {
    let portal = portal(33).await;
    let now = Utc::now();
    let held = portal
        .store
        .acquire_lease(
            &tenant_id("acme"),
            SYNC_LEASE,
            "another-run",
            now + Days::minutes(10),
            now,
        )
        .await
        .unwrap();
    assert!(held);

    let run = portal
        .sync(
            &requested("acme", SyncMode::Full, SyncTrigger::Schedule),
            far_deadline(),
        )
        .await;

    assert_eq!(run.status, SyncStatus::Failed);
    let reason = run.error.unwrap_or_default();
    assert!(reason.contains("another sync"), "{reason}");
    assert!(portal.bus.published().is_empty(), "nothing is emitted");
    assert!(portal
        .store
        .checkpoints(&tenant_id("acme"))
        .await
        .unwrap()
        .is_empty());
    let tenant = portal.store.get_tenant(&tenant_id("acme")).await.unwrap();
    assert_eq!(tenant.last_full_sync_at, None);
}

#[tokio::test]
async fn a_run_cut_off_by_the_deadline_continues_under_the_same_id_and_is_not_a_finished_full_sync()
{
    let portal = portal(34).await;

    let run = portal
        .sync(
            &requested("acme", SyncMode::Full, SyncTrigger::Schedule),
            Instant::now(),
        )
        .await;

    assert_eq!(run.status, SyncStatus::Continued);
    let continuations = sync_requests(&portal.bus);
    assert_eq!(continuations.len(), 1);
    let continuation = &continuations[0];
    assert_eq!(continuation.mode, SyncMode::Full);
    assert_eq!(continuation.sync_id.as_ref(), Some(&run.sync_id));
    assert_eq!(
        continuation.requested_by,
        SyncTrigger::Continuation {
            previous_sync_id: run.sync_id.to_string()
        }
    );
    assert_eq!(synced_events(&portal.bus), 0);
    let tenant = portal.store.get_tenant(&tenant_id("acme")).await.unwrap();
    assert_eq!(tenant.last_full_sync_at, None);

    // The continuation finishes the run, and only then is the full sync recorded.
    let finished = portal.sync(continuation, far_deadline()).await;
    assert_eq!(finished.sync_id, run.sync_id);
    assert_eq!(finished.status, SyncStatus::Succeeded);
    assert_eq!(synced_events(&portal.bus), 1);
    let tenant = portal.store.get_tenant(&tenant_id("acme")).await.unwrap();
    assert!(tenant.last_full_sync_at.is_some());
}
