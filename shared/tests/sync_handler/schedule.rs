//! The schedule's fan-out: when it asks for a full reconciliation, which connections it asks for,
//! and what a finished run records for the next one.

use super::*;
use shared::domain::{ConnectionSettings, DispatchProgress, NinjaoneRegion, Platform};
use shared::ports::DispatchStore;

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
        // Account-like platforms are synced like PayPal.
        Connection {
            platform: Platform::Ninjaone,
            settings: ConnectionSettings::Ninjaone {
                region: NinjaoneRegion::Eu,
            },
            ..connection("acme", "ninjaone-1", ConnectionStatus::Active, recently)
        },
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
                Some("ninjaone-1".to_owned()),
                SyncMode::Incremental
            ),
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
    assert_eq!(report.connections_requested, 4);
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

#[async_trait::async_trait]
impl DispatchStore for ListingOutage {
    async fn dispatch_progress(
        &self,
        slot: chrono::DateTime<Utc>,
    ) -> Result<Option<DispatchProgress>, StoreError> {
        self.inner.dispatch_progress(slot).await
    }
    async fn save_dispatch_progress(
        &self,
        progress: &DispatchProgress,
        read_version: Option<u64>,
    ) -> Result<bool, StoreError> {
        self.inner
            .save_dispatch_progress(progress, read_version)
            .await
    }
}

/// The pages before the failure are published (and recorded); the retry continues from the page
/// that failed: nobody is asked twice, nobody is left out.
#[tokio::test]
async fn a_schedule_that_fails_mid_way_is_continued_by_its_retry_asking_once_for_each() {
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
    let before_retry = sync_requests(&bus);
    assert_eq!(
        before_retry.len(),
        101,
        "the first page (alpha, 99 fillers, alpha's connection) went out before zeta's page failed"
    );

    store.failing.store(false, Ordering::SeqCst);
    let report = dispatch_scheduled(&store, &bus, now).await.unwrap();
    let requests = sync_requests(&bus);
    assert_eq!(
        requests.len(),
        124,
        "122 portals, two connections, once each"
    );
    let mut asked: Vec<_> = requests
        .iter()
        .map(|r| (r.tenant_id.to_string(), r.connection_id.clone()))
        .collect();
    asked.sort();
    asked.dedup();
    assert_eq!(asked.len(), 124, "nobody twice");
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
