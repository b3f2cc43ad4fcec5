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

/// A PayPal connection of `tenant` in `status`, last fully synced at `last_full`.
fn connection(
    tenant: &str,
    id: &str,
    status: ConnectionStatus,
    last_full: Option<chrono::DateTime<Utc>>,
) -> Connection {
    Connection {
        last_sync_at: last_full,
        last_full_sync_at: last_full,
        ..payments_support::paypal_connection(tenant, id, status)
    }
}

#[tokio::test]
async fn the_schedule_asks_once_for_each_syncable_connection_and_skips_paused_and_reauth_ones() {
    let store = MemoryStore::new();
    let bus = InProcessBus::new();
    let now = Utc::now();
    let acme = Tenant::connected(tenant_id("acme"), "A", Some(1), "s1", AuthKind::OAuth, now);
    let globex = Tenant::connected(
        tenant_id("globex"),
        "G",
        Some(2),
        "s2",
        AuthKind::OAuth,
        now,
    );
    let mut reauth = Tenant::connected(
        tenant_id("reauth"),
        "R",
        Some(3),
        "s3",
        AuthKind::OAuth,
        now,
    );
    reauth.status = TenantStatus::NeedsReauth;
    for tenant in [&acme, &globex, &reauth] {
        store.create_tenant(tenant).await.unwrap();
    }
    let recently = Some(now - Days::hours(2));
    for connection in [
        connection("acme", "paypal-new", ConnectionStatus::Active, None),
        connection("acme", "paypal-old", ConnectionStatus::Active, recently),
        connection("acme", "paypal-paused", ConnectionStatus::Paused, None),
        connection("acme", "paypal-failing", ConnectionStatus::Error, recently),
        connection("globex", "paypal-dead", ConnectionStatus::NeedsReauth, None),
        connection("reauth", "paypal-other", ConnectionStatus::Active, None),
    ] {
        store.create_connection(&connection).await.unwrap();
    }

    let report = dispatch_scheduled(&store, &bus, now).await.unwrap();

    let mut asked: Vec<(String, Option<String>, SyncMode)> = sync_requests(&bus)
        .into_iter()
        .inspect(|r| assert_eq!(r.requested_by, SyncTrigger::Schedule))
        .map(|r| {
            let connection = r.connection_id.map(|c| c.to_string());
            (r.tenant_id.to_string(), connection, r.mode)
        })
        .collect();
    asked.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    assert_eq!(
        asked,
        vec![
            ("acme".to_owned(), None, SyncMode::Full),
            (
                "acme".to_owned(),
                Some("paypal-failing".to_owned()),
                SyncMode::Incremental
            ),
            // Asked incremental: its first run is full all the same (the connection sync decides).
            (
                "acme".to_owned(),
                Some("paypal-new".to_owned()),
                SyncMode::Incremental
            ),
            (
                "acme".to_owned(),
                Some("paypal-old".to_owned()),
                SyncMode::Incremental
            ),
            ("globex".to_owned(), None, SyncMode::Full),
        ]
    );
    assert_eq!(report.tenants_requested, 2);
    assert_eq!(report.connections_requested, 3);
    assert_eq!(report.connections_skipped, 2, "paused and needs_reauth");
}

/// The memory store, whose connection listing fails while `failing` is set.
struct ListingOutage {
    inner: MemoryStore,
    failing: AtomicBool,
}

#[async_trait::async_trait]
impl TenantStore for ListingOutage {
    async fn create_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        self.inner.create_tenant(tenant).await
    }
    async fn get_tenant(&self, tenant_id: &TenantId) -> Result<Tenant, StoreError> {
        self.inner.get_tenant(tenant_id).await
    }
    async fn update_tenant(&self, tenant: &Tenant) -> Result<Tenant, StoreError> {
        self.inner.update_tenant(tenant).await
    }
    async fn record_full_sync(
        &self,
        tenant_id: &TenantId,
        finished_at: chrono::DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.inner.record_full_sync(tenant_id, finished_at).await
    }
    async fn tenant_by_portal(&self, portal_id: u64) -> Result<Option<Tenant>, StoreError> {
        self.inner.tenant_by_portal(portal_id).await
    }
    async fn list_active_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError> {
        self.inner.list_active_tenants(page).await
    }
}

#[async_trait::async_trait]
impl ConnectionStore for ListingOutage {
    async fn create_connection(&self, connection: &Connection) -> Result<(), StoreError> {
        self.inner.create_connection(connection).await
    }
    async fn get_connection(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
    ) -> Result<Connection, StoreError> {
        self.inner.get_connection(tenant_id, connection_id).await
    }
    async fn update_connection(&self, connection: &Connection) -> Result<Connection, StoreError> {
        self.inner.update_connection(connection).await
    }
    async fn list_connections(&self, tenant_id: &TenantId) -> Result<Vec<Connection>, StoreError> {
        if self.failing.load(Ordering::SeqCst) && tenant_id.as_str() == "zeta" {
            return Err(StoreError::Throttled("injected outage".into()));
        }
        self.inner.list_connections(tenant_id).await
    }
    async fn delete_connection(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
    ) -> Result<(), StoreError> {
        self.inner.delete_connection(tenant_id, connection_id).await
    }
}

#[tokio::test]
async fn a_schedule_that_fails_mid_way_publishes_nothing_so_its_retry_asks_once_for_each() {
    let store = ListingOutage {
        inner: MemoryStore::new(),
        failing: AtomicBool::new(true),
    };
    let now = Utc::now();
    // More tenants than one listing page holds, so zeta's failure comes pages after alpha's.
    let fillers: Vec<String> = (0..120).map(|n| format!("filler-{n:03}")).collect();
    for id in fillers.iter().map(String::as_str).chain(["alpha", "zeta"]) {
        let tenant = Tenant::connected(tenant_id(id), id, None, "s", AuthKind::OAuth, now);
        store.create_tenant(&tenant).await.unwrap();
    }
    for id in ["alpha", "zeta"] {
        let paypal = connection(id, "paypal-1", ConnectionStatus::Active, None);
        store.create_connection(&paypal).await.unwrap();
    }
    let bus = InProcessBus::new();

    let failed = dispatch_scheduled(&store, &bus, now).await;
    assert!(failed.is_err_and(|e| e.is_retryable()));
    assert!(
        sync_requests(&bus).is_empty(),
        "alpha's requests were not sent early"
    );

    store.failing.store(false, Ordering::SeqCst);
    let report = dispatch_scheduled(&store, &bus, now).await.unwrap();
    let requests = sync_requests(&bus);
    assert_eq!(
        requests.len(),
        124,
        "122 portals, two connections, once each"
    );
    assert_eq!(report.tenants_requested, 122);
    assert_eq!(report.connections_requested, 2);
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
            Lease::Sync.name(),
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

/// The deadline of an invocation that has time for one page of the slow portal (200 ms a call),
/// far shorter than the fixed 10 s the engine used to keep in reserve.
fn one_page_deadline() -> Instant {
    Instant::now() + Duration::from_millis(250)
}

#[tokio::test]
async fn a_run_cut_off_by_the_deadline_continues_under_the_same_id_and_is_not_a_finished_full_sync()
{
    let portal = slow_portal(34, 200).await;

    let run = portal
        .sync(
            &requested("acme", SyncMode::Full, SyncTrigger::Schedule),
            one_page_deadline(),
        )
        .await;

    assert_eq!(run.status, SyncStatus::Continued);
    assert!(
        run.counts.values().sum::<u64>() > 0,
        "the cut-off invocation fetched something: {run:?}"
    );
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

#[tokio::test]
async fn invocations_shorter_than_the_old_fixed_reserve_each_make_progress_and_the_chain_ends() {
    let portal = slow_portal(35, 200).await;
    let mut request = requested("acme", SyncMode::Full, SyncTrigger::Schedule);
    let mut invocations = 0;

    let finished = loop {
        invocations += 1;
        assert!(
            invocations <= 10,
            "ten invocations of 250 ms and the sync has not finished"
        );
        let run = portal.sync(&request, one_page_deadline()).await;
        assert!(
            run.counts.values().sum::<u64>() > 0,
            "invocation {invocations} fetched nothing: {run:?}"
        );
        match run.status {
            SyncStatus::Continued => {
                request = sync_requests(&portal.bus)
                    .pop()
                    .expect("a continued run emits its continuation");
            }
            _ => break run,
        }
    };

    assert_eq!(finished.status, SyncStatus::Succeeded, "{finished:?}");
    assert!(invocations > 1, "the deadline cut the run at least once");
    assert_eq!(synced_events(&portal.bus), 1);
}

#[test]
fn the_deadline_reserve_scales_with_the_invocation_up_to_its_bound() {
    let most = SyncOptions::default().deadline_reserve;
    assert_eq!(most, Duration::from_secs(10));
    let reserve = |budget| deadline_reserve(budget, most);
    // The Lambda's 15 minutes: the bound.
    assert_eq!(reserve(Duration::from_secs(15 * 60)), most);
    // A user's 3 s timeout keeps a fifth and fetches for the rest.
    assert_eq!(reserve(Duration::from_secs(3)), Duration::from_millis(600));
    assert_eq!(reserve(Duration::ZERO), Duration::ZERO);
}

#[tokio::test]
async fn an_invocation_with_no_time_to_fetch_fails_the_run_instead_of_continuing_it() {
    let portal = portal(36).await;

    let run = portal
        .sync(
            &requested("acme", SyncMode::Full, SyncTrigger::Schedule),
            Instant::now(),
        )
        .await;

    assert_eq!(run.status, SyncStatus::Failed);
    let reason = run.error.unwrap_or_default();
    assert!(reason.contains("fetched no page"), "{reason}");
    assert!(
        reason.contains("raise the sync function's timeout"),
        "{reason}"
    );
    assert!(
        portal.bus.published().is_empty(),
        "no continuation, no TenantSynced"
    );
}

#[tokio::test]
async fn a_killed_sync_blocks_the_next_one_for_one_short_lease_term_at_most() {
    let portal = slow_portal(37, 200).await;
    let request = requested("acme", SyncMode::Full, SyncTrigger::Schedule);

    // The invocation dies mid-sync (a Lambda killed at its timeout, a runner killed with kill -9):
    // it neither renews nor releases its lease.
    let killed = tokio::time::timeout(
        Duration::from_millis(500),
        portal.sync(&request, far_deadline()),
    )
    .await;
    assert!(killed.is_err(), "the sync was still running when killed");

    let acme = tenant_id("acme");
    let sync = Lease::Sync.name();
    let now = Utc::now();
    let next = now + Days::seconds(1);
    assert!(
        !portal
            .store
            .acquire_lease(&acme, sync, "next-run", next, now)
            .await
            .unwrap(),
        "still held right after"
    );
    let after_one_term = now + Days::from_std(LeaseTerms::SYNC.term).unwrap() + Days::seconds(1);
    assert!(
        LeaseTerms::SYNC.term <= Duration::from_secs(120),
        "a dead holder blocks for two minutes at most"
    );
    assert!(
        portal
            .store
            .acquire_lease(&acme, sync, "next-run", after_one_term, after_one_term)
            .await
            .unwrap(),
        "free once one term has passed"
    );
}

/// Lease terms short enough for a test to outlast: a term of 300 ms renewed every 100 ms.
const QUICK_LEASE: LeaseTerms = LeaseTerms {
    term: Duration::from_millis(300),
    renew_every: Duration::from_millis(100),
};

#[tokio::test]
async fn a_sync_longer_than_its_lease_term_keeps_renewing_the_lease() {
    let portal = slow_portal(38, 200).await;
    let request = requested("acme", SyncMode::Full, SyncTrigger::Schedule);
    let acme = tenant_id("acme");
    let sync = Lease::Sync.name();

    let done = AtomicBool::new(false);
    let started = Instant::now();
    let syncing = async {
        let run = handle_sync_requested_with(
            &portal.store,
            &portal.bus,
            &portal.sources,
            &request,
            far_deadline(),
            &NoProgress,
            QUICK_LEASE,
        )
        .await;
        done.store(true, Ordering::SeqCst);
        run
    };
    let contender = async {
        // Tries for the lease all along the sync, well past its first term.
        let mut got_it = false;
        tokio::time::sleep(Duration::from_millis(50)).await;
        while !done.load(Ordering::SeqCst) {
            let now = Utc::now();
            got_it |= portal
                .store
                .acquire_lease(&acme, sync, "contender", now + Days::milliseconds(1), now)
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        got_it
    };
    let (run, contender_got_it) = tokio::join!(syncing, contender);

    assert!(
        started.elapsed() > QUICK_LEASE.term * 3,
        "the sync outlasted three lease terms ({:?})",
        started.elapsed()
    );
    let run = run.unwrap();
    assert!(!contender_got_it, "the running sync kept its lease");
    assert_eq!(run.status, SyncStatus::Succeeded, "{run:?}");
    let now = Utc::now();
    assert!(
        portal
            .store
            .acquire_lease(&acme, sync, "after", now + Days::seconds(1), now)
            .await
            .unwrap(),
        "released at the end"
    );
}

#[tokio::test]
async fn a_sync_whose_lease_is_taken_over_stops_and_records_why() {
    let portal = slow_portal(39, 200).await;
    let request = requested("acme", SyncMode::Full, SyncTrigger::Schedule);
    let acme = tenant_id("acme");
    let sync = Lease::Sync.name();

    let usurper = async {
        // Another process whose clock runs a minute ahead sees the lease as run out and takes it.
        tokio::time::sleep(Duration::from_millis(150)).await;
        let ahead = Utc::now() + Days::minutes(1);
        portal
            .store
            .acquire_lease(&acme, sync, "usurper", ahead + Days::minutes(1), ahead)
            .await
            .unwrap()
    };
    let syncing = handle_sync_requested_with(
        &portal.store,
        &portal.bus,
        &portal.sources,
        &request,
        far_deadline(),
        &NoProgress,
        QUICK_LEASE,
    );
    let (run, usurped) = tokio::join!(syncing, usurper);

    assert!(usurped);
    let run = run.unwrap();
    assert_eq!(run.status, SyncStatus::Failed, "{run:?}");
    let reason = run.error.unwrap_or_default();
    assert!(reason.contains("lease was taken over"), "{reason}");
    assert!(
        portal.bus.published().is_empty(),
        "a stopped sync emits nothing"
    );
    assert!(
        !portal
            .store
            .acquire_lease(
                &acme,
                sync,
                "third",
                Utc::now() + Days::seconds(1),
                Utc::now()
            )
            .await
            .unwrap(),
        "the stopped sync left the new holder's lease alone"
    );
}
