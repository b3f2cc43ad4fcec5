//! The schedule's fan-out for 10,000 tenants: dispatch time on the in-process store and, when
//! `AWS_ENDPOINT_URL_DYNAMODB` is set (scripts/test-services.sh), on DynamoDB Local; the store
//! requests and the PutEvents calls it takes (counted as the EventBridge adapter would send them:
//! one per 10 entries); and the extra cost of the retry after the bus refused 10 % of the entries.
//!
//! The tenants: every 10th with its schedule paused, every 25th waiting for re-auth (not in the
//! active list at all), every 3rd with an active PayPal connection, every 7th with a paused one.
//!
//! Run: `cargo bench -p shared --bench dispatch` (`DISPATCH_BENCH_TENANTS` changes the count,
//! `DISPATCH_BENCH_LISTINGS` the connection listings in flight, 16 by default).

use chrono::Utc;
use shared::bus::{InProcessBus, MAX_BATCH_ENTRIES};
use shared::domain::{AuthKind, Connection, ConnectionStatus, PaypalEnvironment, Platform};
use shared::domain::{ConnectionId, ConnectionSettings, Tenant, TenantId, TenantStatus};
use shared::handlers::sync::{dispatch_scheduled_with, DispatchOptions};
use shared::ports::{ConnectionStore, DispatchStore, TenantStore};
use shared::store::{MemoryTable, RecordingTable, Table, TableStore};
use std::time::{Duration, Instant};

fn tenant_id(value: &str) -> TenantId {
    TenantId::parse(value).unwrap_or_else(|e| panic!("{e}"))
}

fn paypal(tenant: &TenantId, id: &str, status: ConnectionStatus) -> Connection {
    let now = Utc::now();
    Connection {
        tenant_id: tenant.clone(),
        id: ConnectionId::parse(id).unwrap_or_else(|e| panic!("{e}")),
        platform: Platform::Paypal,
        label: format!("PayPal {id}"),
        status,
        status_reason: None,
        credentials_secret_id: format!("ci/{tenant}/{id}"),
        settings: ConnectionSettings::Paypal {
            environment: PaypalEnvironment::Sandbox,
            webhook_id: None,
        },
        connected_at: now,
        last_sync_at: None,
        last_full_sync_at: None,
        created_at: now,
        updated_at: now,
        webhook_registered: None,
        version: 0,
    }
}

/// Seeds `count` tenants; returns the requests a dispatch must publish.
async fn seed<S: TenantStore + ConnectionStore>(store: &S, count: usize) -> usize {
    let now = Utc::now();
    let mut expected = 0;
    for n in 0..count {
        let id = tenant_id(&format!("tenant-{n:05}"));
        let mut tenant = Tenant::connected(id.clone(), "T", None, "s", AuthKind::OAuth, now);
        tenant.schedule.enabled = !n.is_multiple_of(10);
        if n.is_multiple_of(25) {
            tenant.status = TenantStatus::NeedsReauth;
        }
        let active = !n.is_multiple_of(10) && !n.is_multiple_of(25);
        store
            .create_tenant(&tenant)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        expected += usize::from(active);
        if n.is_multiple_of(3) {
            let connection = paypal(&id, "paypal-1", ConnectionStatus::Active);
            store
                .create_connection(&connection)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            expected += usize::from(active);
        }
        if n.is_multiple_of(7) {
            let connection = paypal(&id, "paypal-2", ConnectionStatus::Paused);
            store
                .create_connection(&connection)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    expected
}

/// PutEvents calls the EventBridge adapter sends for these publishes (entries over 10 per call),
/// before any retry of refused entries.
fn put_events_calls(publish_sizes: &[usize]) -> usize {
    publish_sizes
        .iter()
        .map(|n| n.div_ceil(MAX_BATCH_ENTRIES))
        .sum()
}

/// A bus that records the size of each publish beside the in-process bus's work.
#[derive(Clone, Default)]
struct SizedBus {
    inner: InProcessBus,
    sizes: std::sync::Arc<std::sync::Mutex<Vec<usize>>>,
}

#[async_trait::async_trait]
impl shared::ports::EventBus for SizedBus {
    async fn publish(
        &self,
        events: &[shared::events::ProductEvent],
    ) -> Result<(), shared::ports::BusError> {
        if let Ok(mut sizes) = self.sizes.lock() {
            sizes.push(events.len());
        }
        self.inner.publish(events).await
    }
}

impl SizedBus {
    fn take_sizes(&self) -> Vec<usize> {
        self.sizes
            .lock()
            .map(|mut sizes| std::mem::take(&mut *sizes))
            .unwrap_or_default()
    }
}

struct Run {
    wall: Duration,
    store_requests: usize,
    put_events_calls: usize,
    published: usize,
}

fn options() -> DispatchOptions {
    let defaults = DispatchOptions::default();
    DispatchOptions {
        concurrent_listings: std::env::var("DISPATCH_BENCH_LISTINGS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(defaults.concurrent_listings),
        ..defaults
    }
}

async fn run<T: Table>(
    store: &TableStore<RecordingTable<T>>,
    bus: &SizedBus,
    slot: chrono::DateTime<Utc>,
) -> (Run, bool) {
    store.table().take_ops();
    let before = bus.inner.published().len();
    let started = Instant::now();
    let outcome = dispatch_scheduled_with(store, bus, slot, Utc::now(), &options()).await;
    let wall = started.elapsed();
    let run = Run {
        wall,
        store_requests: store.table().take_ops().len(),
        put_events_calls: put_events_calls(&bus.take_sizes()),
        published: bus.inner.published().len() - before,
    };
    (run, outcome.is_ok())
}

fn print(label: &str, run: &Run) {
    println!(
        "{label:<44} wall {:>8.3} s  store requests {:>6}  PutEvents calls {:>6}  requests published {:>6}",
        run.wall.as_secs_f64(),
        run.store_requests,
        run.put_events_calls,
        run.published
    );
}

/// A clean dispatch, then a slot with 10 % of the entries refused and its retry.
async fn bench<T: Table>(name: &str, store: TableStore<RecordingTable<T>>, tenants: usize)
where
    TableStore<RecordingTable<T>>: TenantStore + ConnectionStore + DispatchStore,
{
    let seeding = Instant::now();
    let expected = seed(&store, tenants).await;
    println!(
        "{name}: {tenants} tenants seeded in {:.1} s; a dispatch must publish {expected} requests ({} connection listings in flight)",
        seeding.elapsed().as_secs_f64(),
        options().concurrent_listings
    );

    let bus = SizedBus::default();
    let (clean, ok) = run(&store, &bus, Utc::now()).await;
    assert!(ok, "the clean dispatch failed");
    assert_eq!(
        clean.published, expected,
        "the clean dispatch lost or doubled requests"
    );
    print(&format!("{name}: clean dispatch"), &clean);

    let bus = SizedBus::default();
    bus.inner.refuse_one_in(10);
    let slot = Utc::now();
    let (refused, _) = run(&store, &bus, slot).await;
    print(&format!("{name}: 10 % refused (run 1)"), &refused);
    bus.inner.refuse_one_in(0);
    let (retry, ok) = run(&store, &bus, slot).await;
    assert!(ok, "the retry failed");
    print(&format!("{name}: 10 % refused (its retry)"), &retry);
    let total = refused.published + retry.published;
    assert_eq!(
        total, expected,
        "the failed run and its retry lost or doubled requests"
    );
    println!(
        "{name}: extra cost of the refusals: {:+} PutEvents calls, {:+} store requests, {:+.3} s over the clean run",
        (refused.put_events_calls + retry.put_events_calls) as i64 - clean.put_events_calls as i64,
        (refused.store_requests + retry.store_requests) as i64 - clean.store_requests as i64,
        (refused.wall + retry.wall).as_secs_f64() - clean.wall.as_secs_f64()
    );
}

fn main() {
    let tenants: usize = std::env::var("DISPATCH_BENCH_TENANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("no runtime: {e}"));
    runtime.block_on(async {
        let memory = TableStore::over(RecordingTable::new(MemoryTable::new()));
        bench("memory", memory, tenants).await;

        let dynamodb_set = std::env::var(test_support::DYNAMODB)
            .map(|endpoint| !endpoint.trim().is_empty())
            .unwrap_or(false);
        if !dynamodb_set {
            println!("dynamodb: skipped ({} is not set)", test_support::DYNAMODB);
            return;
        }
        let client = test_support::dynamodb().await;
        let table = test_support::unique_name("dispatch-bench");
        shared::store::create_table(&client, &table)
            .await
            .unwrap_or_else(|e| panic!("cannot create table {table}: {e}"));
        let dynamo = shared::store::DynamoStore::new(client, table).into_table();
        let store = TableStore::over(RecordingTable::new(dynamo));
        bench("dynamodb", store, tenants).await;
    });
}
