//! The score function's run on one large tenant: a generated tenant of `SCORE_RUN_CLIENTS` clients
//! (default 100,000; `SCORE_RUN_ENGAGEMENTS` engagements each, default 30) with 91 days of daily
//! history, scored by the real handler twice: cold (no stored scores: every score, history point
//! and insight is new) and an hour later (steady: little changes). Whole-tenant
//! (`handle_tenant_synced_whole`, the run before issue 19) and paged (`score_in_pages`,
//! `SCORE_RUN_PAGE`, default 1,000) each run in a child process of their own, so one's memory does
//! not count in the other's. Prints wall time, peak RSS (VmHWM, reset after seeding, so it is the
//! run's on top of the store's resident set, also printed) and what was written.
//!
//! With `DYNAMODB_ENDPOINT` set, also runs both on DynamoDB Local at `SCORE_RUN_DYNAMO_CLIENTS`
//! (default 1,000) and prints read and write units consumed. `SCORE_RUN_MODES` picks the children
//! (default `whole,paged`, plus `dynamo-whole,dynamo-paged` with DynamoDB).
//!
//! `cargo bench --bench score_run` (`SCORE_RUN_CLIENTS=10000` for the smaller tenant).

use chrono::{DateTime, Duration, DurationRound, Utc};
use shared::bus::InProcessBus;
use shared::domain::{ScorePoint, SyncId, SyncMode, TenantId};
use shared::events::{ScoresUpdated, TenantSynced, SCHEMA_VERSION};
use shared::handlers::score::ScoreRunStore;
use shared::handlers::score_pages::score_in_pages;
use shared::handlers::score_whole::handle_tenant_synced_whole;
use shared::ports::ScoreStore;
use shared::store::{DynamoStore, MemoryStore};
use std::time::Instant;
use test_support::scored_tenant::{client_id, history, snapshot, tenant_record};

const SEED: u64 = 100_000;
const SEED_CHUNK: usize = 1_000;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// A field of /proc/self/status in kB (`VmHWM`, `VmRSS`); `None` off Linux.
fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Resets VmHWM to the current resident set (Linux 4.0+); false when it could not.
fn reset_peak_memory() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn mib(kb: Option<u64>) -> String {
    kb.map_or("unknown".to_owned(), |kb| {
        format!("{:.0} MiB", kb as f64 / 1024.0)
    })
}

fn tenant() -> TenantId {
    TenantId::parse("bench-tenant").unwrap_or_else(|e| panic!("{e}"))
}

fn synced(sync: &str) -> TenantSynced {
    TenantSynced {
        schema_version: SCHEMA_VERSION,
        tenant_id: tenant(),
        sync_id: SyncId::parse(sync).unwrap_or_else(|e| panic!("{e}")),
        mode: SyncMode::Full,
        started_at: Utc::now(),
        finished_at: Utc::now(),
        counts: Default::default(),
        changed_client_ids: Vec::new(),
        changed_clients: 0,
    }
}

/// Writes the generated tenant a chunk of clients at a time (the generator never holds it all).
async fn seed<S: ScoreRunStore + ?Sized>(
    store: &S,
    clients: usize,
    engagements: usize,
    now: DateTime<Utc>,
) {
    let record = tenant_record(&tenant(), now);
    let retention = record.settings.history_retention_days;
    store
        .create_tenant(&record)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for start in (0..clients).step_by(SEED_CHUNK) {
        let end = (start + SEED_CHUNK).min(clients);
        let snapshots: Vec<_> = (start..end)
            .map(|i| snapshot(i, SEED, engagements, now))
            .collect();
        let points: Vec<ScorePoint> = (start..end)
            .flat_map(|i| history(i, SEED, 91, now))
            .collect();
        store
            .put_snapshots(&tenant(), &snapshots)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .append_history(&tenant(), &points, retention)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// One run of the handler of `mode`, timed; returns its `ScoresUpdated` and seconds.
async fn run<S: ScoreRunStore + ?Sized>(
    store: &S,
    paged: bool,
    page: usize,
    sync: &str,
    at: DateTime<Utc>,
) -> (ScoresUpdated, f64, u64) {
    let bus = InProcessBus::new();
    let started = Instant::now();
    let updated = if paged {
        score_in_pages(store, &bus, &synced(sync), at, page).await
    } else {
        handle_tenant_synced_whole(store, &bus, &synced(sync), at).await
    }
    .unwrap_or_else(|e| panic!("the run failed: {e}"));
    (
        updated,
        started.elapsed().as_secs_f64(),
        bus.published().len() as u64,
    )
}

/// History points of every client from `from`, counted a client at a time.
async fn history_points<S: ScoreStore + ?Sized>(
    store: &S,
    clients: usize,
    from: DateTime<Utc>,
) -> usize {
    let mut total = 0;
    for i in 0..clients {
        total += store
            .history(
                &tenant(),
                &client_id(i),
                from,
                Utc::now() + Duration::days(1),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .len();
    }
    total
}

fn print_run(label: &str, updated: &ScoresUpdated, seconds: f64, events: u64, points: usize) {
    println!(
        "{label:<30} wall {seconds:>7.2} s  peak RSS {:>9} (VmHWM)  scores {:>7}  history points {:>7}  insights opened {:>6} resolved {:>6}  events {:>7}",
        mib(status_kb("VmHWM")),
        updated.clients_scored,
        points,
        updated.insights_opened,
        updated.insights_resolved,
        events,
    );
}

/// The child process: seeds a store, then runs `mode` cold and an hour later.
fn child(mode: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("no runtime: {e}"));
    let page = env_usize("SCORE_RUN_PAGE", shared::handlers::score::SCORE_PAGE);
    let engagements = env_usize("SCORE_RUN_ENGAGEMENTS", 30);
    let now = Utc::now()
        .duration_trunc(Duration::seconds(1))
        .unwrap_or_else(|e| panic!("{e}"));
    let paged = mode.ends_with("paged");
    runtime.block_on(async {
        if mode.starts_with("dynamo") {
            let clients = env_usize("SCORE_RUN_DYNAMO_CLIENTS", 1_000);
            let client = test_support::dynamodb().await;
            let table = test_support::unique_name("score-run");
            shared::store::create_table(&client, &table)
                .await
                .unwrap_or_else(|e| panic!("cannot create table {table}: {e}"));
            let store = DynamoStore::new(client, table);
            let started = Instant::now();
            seed(&store, clients, engagements, now).await;
            println!(
                "{mode}: {clients} clients seeded in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            let before = store.consumed_capacity();
            reset_peak_memory();
            for (sync, at, label) in [("cold", now, "cold"), ("steady", now + Duration::hours(1), "an hour later")] {
                let base = history_points(&store, clients, now - Duration::days(200)).await;
                let started = store.consumed_capacity();
                let (updated, seconds, events) = run(&store, paged, page, sync, at).await;
                let used = store.consumed_capacity();
                let points = history_points(&store, clients, now - Duration::days(200)).await - base;
                print_run(&format!("{mode} {label}"), &updated, seconds, events, points);
                println!(
                    "{:<30} read units {:>10.1}  write units {:>10.1}",
                    "",
                    used.read_units - started.read_units,
                    used.write_units - started.write_units
                );
            }
            let _ = before;
            return;
        }
        let clients = env_usize("SCORE_RUN_CLIENTS", 100_000);
        let store = MemoryStore::new();
        let started = Instant::now();
        seed(&store, clients, engagements, now).await;
        println!(
            "{mode}: {clients} clients, {} engagements, {} history points seeded in {:.1} s; store resident {}",
            clients * engagements,
            clients * 91,
            started.elapsed().as_secs_f64(),
            mib(status_kb("VmRSS"))
        );
        for (sync, at, label) in [("cold", now, "cold"), ("steady", now + Duration::hours(1), "an hour later")] {
            let base = history_points(&store, clients, now - Duration::days(200)).await;
            if !reset_peak_memory() {
                println!("(could not reset VmHWM: the peak includes seeding)");
            }
            let (updated, seconds, events) = run(&store, paged, page, sync, at).await;
            let points = history_points(&store, clients, now - Duration::days(200)).await - base;
            print_run(&format!("{mode} {label}"), &updated, seconds, events, points);
        }
    });
}

fn main() {
    if let Ok(mode) = std::env::var("SCORE_RUN_CHILD") {
        child(&mode);
        return;
    }
    let default_modes = if std::env::var("DYNAMODB_ENDPOINT").is_ok() {
        "whole,paged,dynamo-whole,dynamo-paged"
    } else {
        "whole,paged"
    };
    let modes = std::env::var("SCORE_RUN_MODES").unwrap_or_else(|_| default_modes.to_owned());
    println!(
        "score run bench: {} clients in memory, pages of {}",
        env_usize("SCORE_RUN_CLIENTS", 100_000),
        env_usize("SCORE_RUN_PAGE", shared::handlers::score::SCORE_PAGE)
    );
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    // Criterion-style arguments (`--bench`) are not ours; the child needs none.
    for mode in modes.split(',').map(str::trim).filter(|m| !m.is_empty()) {
        let status = std::process::Command::new(&exe)
            .env("SCORE_RUN_CHILD", mode)
            .status()
            .unwrap_or_else(|e| panic!("cannot run the {mode} child: {e}"));
        if !status.success() {
            println!("{mode}: the child failed ({status})");
        }
    }
}
