//! The schedule's fan-out at scale and under failure: 10,000 tenants, a bus that refuses a share of
//! its entries (as PutEvents does with `FailedEntryCount` and an `ErrorCode` per entry) or fails
//! whole calls mid-way, a crash between a publish and its save. Across a failed run and its retry
//! every active tenant's portal and each syncable connection is asked exactly once (a crash at most
//! one page twice), paused ones never.

use super::*;
use shared::domain::schedule_slot::ScheduleTicks;
use shared::domain::{DispatchProgress, DispatchReport};
use shared::handlers::sync::{dispatch_scheduled_with, DispatchOptions, SyncHandlerError};
use shared::ports::{BusError, DispatchStore};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::AtomicUsize;

/// A sync request as the tests count them: the tenant, and the connection (`None`: the portal).
type Asked = (String, Option<String>);

/// `count` tenants: every 10th with its schedule paused, every 25th waiting for re-auth; every 3rd
/// with an active PayPal connection, every 7th with a paused one. Returns what the schedule must
/// ask for.
async fn seed<S>(store: &S, count: usize) -> BTreeSet<Asked>
where
    S: TenantStore + ConnectionStore + ?Sized,
{
    let now = Utc::now();
    let mut expected = BTreeSet::new();
    for n in 0..count {
        let id = format!("tenant-{n:05}");
        let mut tenant = Tenant::connected(tenant_id(&id), &id, None, "s", AuthKind::OAuth, now);
        let paused = n.is_multiple_of(10);
        let reauth = n.is_multiple_of(25);
        tenant.schedule.enabled = !paused;
        if reauth {
            tenant.status = TenantStatus::NeedsReauth;
        }
        store.create_tenant(&tenant).await.unwrap();
        let active = !paused && !reauth;
        if active {
            expected.insert((id.clone(), None));
        }
        if n.is_multiple_of(3) {
            let paypal =
                payments_support::paypal_connection(&id, "paypal-1", ConnectionStatus::Active);
            store.create_connection(&paypal).await.unwrap();
            if active {
                expected.insert((id.clone(), Some("paypal-1".to_owned())));
            }
        }
        if n.is_multiple_of(7) {
            let resting =
                payments_support::paypal_connection(&id, "paypal-2", ConnectionStatus::Paused);
            store.create_connection(&resting).await.unwrap();
        }
    }
    expected
}

/// How often each request was published.
fn asked(bus: &InProcessBus) -> BTreeMap<Asked, usize> {
    let mut counts = BTreeMap::new();
    for request in sync_requests(bus) {
        assert_eq!(request.requested_by, SyncTrigger::Schedule);
        let key = (
            request.tenant_id.to_string(),
            request.connection_id.map(|c| c.to_string()),
        );
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

/// Every expected request exactly once, nothing else.
fn assert_exactly_once(counts: &BTreeMap<Asked, usize>, expected: &BTreeSet<Asked>) {
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "asked more than once: {:?}",
        &twice[..twice.len().min(5)]
    );
    let asked: BTreeSet<Asked> = counts.keys().cloned().collect();
    let missing: Vec<_> = expected.difference(&asked).take(5).collect();
    let extra: Vec<_> = asked.difference(expected).take(5).collect();
    assert!(missing.is_empty(), "never asked: {missing:?}");
    assert!(
        extra.is_empty(),
        "asked though paused or not syncable: {extra:?}"
    );
}

fn portals_and_connections(expected: &BTreeSet<Asked>) -> (u64, u64) {
    let portals = expected.iter().filter(|(_, c)| c.is_none()).count() as u64;
    (portals, expected.len() as u64 - portals)
}

/// A store whose save of the fan-out's progress fails once, after `saves_before_failure` saves (a
/// crash between a publish and its save, as far as the record can tell).
struct Faulty<S> {
    inner: S,
    saves_before_failure: AtomicUsize,
}

impl<S> Faulty<S> {
    fn new(inner: S) -> Self {
        Self {
            inner,
            saves_before_failure: AtomicUsize::new(usize::MAX),
        }
    }
}

#[async_trait::async_trait]
impl<S: TenantStore> TenantStore for Faulty<S> {
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
impl<S: ConnectionStore> ConnectionStore for Faulty<S> {
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
impl<S: DispatchStore> DispatchStore for Faulty<S> {
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
        let left =
            self.saves_before_failure
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| match left {
                    0 | usize::MAX => None,
                    left => Some(left - 1),
                });
        if left == Err(0) {
            self.saves_before_failure
                .store(usize::MAX, Ordering::SeqCst);
            return Err(StoreError::Throttled("injected: the save was lost".into()));
        }
        self.inner
            .save_dispatch_progress(progress, read_version)
            .await
    }
}

async fn dispatch<S>(
    store: &S,
    bus: &InProcessBus,
    slot: chrono::DateTime<Utc>,
) -> Result<DispatchReport, SyncHandlerError>
where
    S: TenantStore + ConnectionStore + DispatchStore,
{
    dispatch_scheduled_with(store, bus, slot, Utc::now(), &DispatchOptions::default()).await
}

#[tokio::test]
async fn ten_thousand_tenants_are_each_asked_once_and_paused_ones_never() {
    let store = MemoryStore::new();
    let expected = seed(&store, 10_000).await;
    let bus = InProcessBus::new();
    let started = Instant::now();
    let report = dispatch(&store, &bus, Utc::now()).await.unwrap();
    let took = started.elapsed();
    assert_exactly_once(&asked(&bus), &expected);
    let (portals, connections) = portals_and_connections(&expected);
    assert_eq!(report.tenants_requested, portals);
    assert_eq!(report.connections_requested, connections);
    // Tenants waiting for re-auth are not in the active list at all; the 1,000 paused are, less
    // the 200 of them also waiting for re-auth.
    assert_eq!(report.tenants_skipped, 800);
    assert_eq!(
        bus.publish_calls(),
        96,
        "one publish per page of 100 listed tenants"
    );
    eprintln!("10,000 tenants dispatched in {took:?} (figures: the dispatch bench)");
}

/// A schedule that ticks every 5 minutes asks each hourly tenant at one tick of the hour: across
/// the hour's 12 ticks every active tenant and connection exactly once, each tick about a twelfth.
#[tokio::test]
async fn ticks_every_five_minutes_spread_each_hourly_tenant_over_the_hour_once() {
    let store = MemoryStore::new();
    let expected = seed(&store, 3_000).await;
    let bus = InProcessBus::new();
    let options = DispatchOptions {
        ticks: ScheduleTicks::of_expression("rate(5 minutes)"),
        ..DispatchOptions::default()
    };
    // The last 12 ticks on the 5-minute grid, all within the hour a tick stays current.
    let now = Utc::now();
    let grid = now.timestamp() - (55 * 60) - (now.timestamp() - 55 * 60).rem_euclid(300);
    let mut per_tick = Vec::new();
    let mut not_due = 0;
    for k in 0..12 {
        let slot = chrono::DateTime::from_timestamp(grid + k * 300, 0).unwrap();
        let before = bus.published().len();
        let report = dispatch_scheduled_with(&store, &bus, slot, now, &options)
            .await
            .unwrap();
        per_tick.push(bus.published().len() - before);
        not_due += report.tenants_not_due;
    }
    assert_exactly_once(&asked(&bus), &expected);
    let (portals, _) = portals_and_connections(&expected);
    assert_eq!(
        not_due,
        11 * portals,
        "each tenant is due at one tick of 12"
    );
    let share = expected.len() / 12;
    assert!(
        per_tick
            .iter()
            .all(|n| (share / 2..=share * 3 / 2).contains(n)),
        "about a twelfth a tick: {per_tick:?}"
    );
}

#[tokio::test]
async fn entries_the_bus_refuses_are_carried_and_the_retry_asks_only_for_those() {
    let store = MemoryStore::new();
    let expected = seed(&store, 10_000).await;
    let bus = InProcessBus::new();
    bus.refuse_one_in(10);
    let slot = Utc::now();

    let first = dispatch(&store, &bus, slot).await;
    let during = asked(&bus).values().sum::<usize>();
    // Refused entries ride along with the next page, so most are published in this run already;
    // whatever the bus still refuses at the end is left to the retry.
    assert!(
        during * 10 >= expected.len() * 9,
        "{during} of {} published before the retry",
        expected.len()
    );
    if let Err(error) = &first {
        assert!(error.is_retryable(), "{error}");
        assert!(matches!(
            error,
            SyncHandlerError::Bus(BusError::Partial { .. })
        ));
    }

    bus.refuse_one_in(0);
    let report = dispatch(&store, &bus, slot).await.unwrap();
    assert_exactly_once(&asked(&bus), &expected);
    let (portals, connections) = portals_and_connections(&expected);
    assert_eq!(
        (report.tenants_requested, report.connections_requested),
        (portals, connections)
    );
}

#[tokio::test]
async fn a_bus_outage_mid_way_stops_the_run_and_the_retry_continues_from_its_page() {
    let store = MemoryStore::new();
    let expected = seed(&store, 10_000).await;
    let bus = InProcessBus::new();
    bus.fail_calls_after(40);
    let slot = Utc::now();

    let first = dispatch(&store, &bus, slot).await;
    assert!(
        matches!(&first, Err(SyncHandlerError::Bus(BusError::Unavailable(_)))),
        "{first:?}"
    );
    let progress = store.dispatch_progress(slot).await.unwrap().unwrap();
    assert_eq!(progress.pages, 41, "stopped at the page the outage began");
    assert!(!progress.unpublished.is_empty(), "the failed page is kept");
    let calls_before = bus.publish_calls();

    bus.fail_calls_after(usize::MAX);
    dispatch(&store, &bus, slot).await.unwrap();
    assert_exactly_once(&asked(&bus), &expected);
    assert_eq!(
        bus.publish_calls() - calls_before,
        55,
        "the retry publishes the 55 pages left (of 96), the kept one riding with the first"
    );
}

#[tokio::test]
async fn a_crash_between_a_publish_and_its_save_asks_one_page_again_at_most() {
    let store = Faulty::new(MemoryStore::new());
    let expected = seed(&store, 2_000).await;
    let bus = InProcessBus::new();
    store.saves_before_failure.store(7, Ordering::SeqCst);
    let slot = Utc::now();

    assert!(dispatch(&store, &bus, slot)
        .await
        .is_err_and(|e| e.is_retryable()));
    dispatch(&store, &bus, slot).await.unwrap();

    let counts = asked(&bus);
    let asked_set: BTreeSet<Asked> = counts.keys().cloned().collect();
    assert_eq!(asked_set, expected, "everyone asked, paused ones never");
    let twice: Vec<&Asked> = counts
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(k, _)| k)
        .collect();
    assert!(counts.values().all(|n| *n <= 2));
    let tenants_twice: BTreeSet<&String> = twice.iter().map(|(t, _)| t).collect();
    assert!(
        !tenants_twice.is_empty() && tenants_twice.len() <= 100,
        "the lost page (and only it) is asked again: {} tenants",
        tenants_twice.len()
    );
}

#[tokio::test]
async fn a_finished_slot_and_a_slot_that_is_over_are_not_dispatched_again() {
    let store = MemoryStore::new();
    let expected = seed(&store, 250).await;
    let bus = InProcessBus::new();
    let slot = Utc::now();
    let first = dispatch(&store, &bus, slot).await.unwrap();
    let again = dispatch(&store, &bus, slot).await.unwrap();
    assert_eq!(again, first, "the record's report, nothing published");
    assert_exactly_once(&asked(&bus), &expected);

    // A tick retried after its hour: the next tick has asked (or will ask) everyone.
    let old_slot = Utc::now() - Days::minutes(61);
    let stale = dispatch(&store, &bus, old_slot).await.unwrap();
    assert_eq!(stale, DispatchReport::default());
    assert_exactly_once(&asked(&bus), &expected);
    assert!(store.dispatch_progress(old_slot).await.unwrap().is_none());
}

#[tokio::test]
async fn a_dispatch_near_its_deadline_stops_with_its_progress_saved_and_its_retry_finishes() {
    let store = MemoryStore::new();
    let expected = seed(&store, 300).await;
    let bus = InProcessBus::new();
    let slot = Utc::now();
    let short = DispatchOptions {
        deadline: Some(Instant::now() + Duration::from_secs(5)),
        ..DispatchOptions::default()
    };
    let stopped = dispatch_scheduled_with(&store, &bus, slot, Utc::now(), &short).await;
    assert!(
        matches!(&stopped, Err(e @ SyncHandlerError::DispatchOutOfTime { pages: 0 }) if e.is_retryable()),
        "{stopped:?}"
    );
    assert!(sync_requests(&bus).is_empty());
    dispatch(&store, &bus, slot).await.unwrap();
    assert_exactly_once(&asked(&bus), &expected);
}

/// The same on DynamoDB Local, with fewer tenants: refusals, then an outage, then the retries.
#[tokio::test]
async fn on_dynamodb_refusals_and_an_outage_leave_each_tenant_asked_once() {
    let client = test_support::dynamodb().await;
    let name = test_support::unique_name("fanout");
    shared::store::table::create_table(&client, &name)
        .await
        .unwrap_or_else(|e| panic!("cannot create table {name} in DynamoDB Local: {e}"));
    let store = shared::store::DynamoStore::new(client, name);
    let expected = seed(&store, 450).await;
    let bus = InProcessBus::new();
    bus.refuse_one_in(7);
    bus.fail_calls_after(3);
    let slot = Utc::now();

    let first = dispatch(&store, &bus, slot).await;
    assert!(first.is_err_and(|e| e.is_retryable()));
    bus.fail_calls_after(usize::MAX);
    // The refusals go on: the retry carries them page to page and may fail again at the end.
    let second = dispatch(&store, &bus, slot).await;
    bus.refuse_one_in(0);
    if second.is_err() {
        dispatch(&store, &bus, slot).await.unwrap();
    }
    assert_exactly_once(&asked(&bus), &expected);
    let progress = store.dispatch_progress(slot).await.unwrap().unwrap();
    assert!(progress.finished && progress.unpublished.is_empty());
    assert_eq!(progress.pages, 5);
}
