//! The largest tenant (issue 19): a full sync of the lazily generated largest portal (100,000
//! companies, 1,000,000 contacts, 200,000 deals, 100,000 tickets, 5,000,000 engagements) through the
//! real sync engine, as a chain of short invocations each resuming from the checkpoints the last
//! saved, then an incremental sync after some records changed. Prints, per step: wall time, peak
//! RSS, requests against the fewest pages possible and HubSpot's floor at its real limit, DynamoDB
//! read and write units, invocations, and the cost of the cycle at list prices.
//!
//! `cargo bench --bench largest_portal` (add `--workspace` in this repository's worktrees).
//! - `LARGEST_PORTAL_SCALE` (default 0.1): every count multiplied by it.
//! - `LARGEST_PORTAL_RATE` (default 20000): the sandbox's and client's requests per 10 s. HubSpot
//!   allows 190; the bench raises it so it runs in minutes, and computes the floor at 190 from the
//!   requests made.
//! - `LARGEST_PORTAL_INVOCATION_SECS` (default 20): each invocation's deadline, short so the sync
//!   runs as a chain of many continuations.
//! - The engine flushes every 30 s in production, about 570 requests at HubSpot's limit. The bench
//!   runs faster or slower than that (the raised limit; DynamoDB Local's and a debug build's speed),
//!   so after each invocation it sets the next one's flush interval to 570 requests at the rate it
//!   achieved: the snapshots a flush rewrites, the store's write units, are as in production.
//! - DynamoDB Local when `AWS_ENDPOINT_URL_DYNAMODB` is set (a fresh table), else the in-process
//!   store (then RSS includes every stored snapshot, and no capacity units are counted).
//!
//! Asserts that every invocation made progress and that the records synced are the portal's; it
//! asserts nothing about time.

use chrono::Utc;
use hubspot_sandbox::{Sandbox, SandboxConfig};
use secrecy::SecretString;
use shared::connector::{run_sync, NoProgress, SyncOptions, SyncOutcome, SyncPlan};
use shared::domain::{ClientId, HubSpotLimits, ObjectType, SyncId, TenantId};
use shared::ports::source::{CrmSource, FetchWindow};
use shared::ports::{SnapshotStore, SyncStore};
use shared::sources::hubspot::{
    HubSpotClient, HubSpotSource, PortalLimiter, RetryPolicy, StaticToken,
};
use shared::store::{CapacityReport, DynamoStore, MemoryStore};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// HubSpot's limit for a portal with a private app or OAuth app (Professional/Enterprise).
const HUBSPOT_PER_TEN_SECONDS: f64 = 190.0;
const HUBSPOT_SEARCH_PER_SECOND: f64 = 5.0;
/// DynamoDB on-demand in us-east-1 since the price cut of 1 November 2024 (it was $0.25 and $1.25).
const DOLLARS_PER_MILLION_READ_UNITS: f64 = 0.125;
const DOLLARS_PER_MILLION_WRITE_UNITS: f64 = 0.625;
/// Lambda on arm64 (the template's architecture), us-east-1, first tier.
const DOLLARS_PER_GB_SECOND: f64 = 0.000_013_333_4;
const DOLLARS_PER_MILLION_INVOCATIONS: f64 = 0.20;
/// The sync function's memory (infra/template.yaml, SyncFunction) and timeout.
const SYNC_MEMORY_GB: f64 = 1.0;
const SYNC_TIMEOUT_SECS: f64 = 900.0;
/// Requests between two flushes in production: 30 s at 190 / 10 s.
const REQUESTS_PER_FLUSH: f64 = 570.0;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `VmHWM` (peak) and `VmRSS` (now) of this process, in MB.
fn memory_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Starts a new peak: the kernel resets `VmHWM` to the current RSS.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// One step's figures (a chain of invocations).
#[derive(Default)]
struct Step {
    wall: Duration,
    invocations: u64,
    requests: u64,
    search_requests: u64,
    records: BTreeMap<ObjectType, u64>,
    peak_rss_mb: f64,
    capacity: Option<CapacityReport>,
    snapshots_written: u64,
    changed_clients: BTreeSet<ClientId>,
}

fn source_for(
    sandbox: &Sandbox,
    config: &SandboxConfig,
) -> Result<HubSpotSource, Box<dyn std::error::Error>> {
    Ok(HubSpotSource::new(HubSpotClient::new(
        HubSpotClient::default_http()?,
        &sandbox.base_url(),
        Arc::new(StaticToken::new(SecretString::from(
            sandbox.private_app_token(),
        ))),
        Arc::new(PortalLimiter::new(&HubSpotLimits {
            per_ten_seconds: config.rate_limit_per_ten_seconds,
            search_per_second: config.search_per_second,
            daily: None,
        })),
        RetryPolicy::default(),
    )))
}

/// The simulator at full size, whatever the scale of the sync: its memory, and what a page of
/// each type costs it (pages from the start, the middle and the end of each type's ids).
async fn full_size_sandbox() -> Result<(), Box<dyn std::error::Error>> {
    reset_peak();
    let (_, before) = memory_mb();
    let config = SandboxConfig {
        rate_limit_per_ten_seconds: 1_000_000,
        ..SandboxConfig::largest(19)
    };
    let started = Instant::now();
    let sandbox = Sandbox::start(config.clone()).await?;
    let up = started.elapsed();
    let source = source_for(&sandbox, &config)?;
    let mut line = Vec::new();
    for ty in ObjectType::ALL {
        let count = sandbox.record_count(ty.as_str()) as u64;
        let started = Instant::now();
        let page = source.fetch_page(ty, FetchWindow::All, None).await?;
        let mut records = page.records.len();
        // Ids of a type are consecutive in the lazy portal.
        let first: u64 = page
            .records
            .first()
            .and_then(|r| r.id.parse().ok())
            .ok_or("an empty first page")?;
        for at in [count / 2, count.saturating_sub(100)] {
            let cursor = format!("list:{}", first + at);
            let page = source
                .fetch_page(ty, FetchWindow::All, Some(cursor.as_str()))
                .await?;
            records += page.records.len();
        }
        line.push(format!(
            "{} {:.1} ms",
            ty.as_str(),
            started.elapsed().as_secs_f64() * 1000.0 / 3.0
        ));
        assert!(records > 250, "{ty:?}: three full pages, {records} records");
    }
    let (peak, now) = memory_mb();
    println!(
        "full-size sandbox (6,400,000 records): up in {up:.2?}; process RSS {before:.0} MB before, \
         {now:.0} MB after 27 pages (peak {peak:.0} MB); records materialised {}",
        sandbox.materialised_records()
    );
    println!(
        "  a 100-record list page, client and server: {}",
        line.join(", ")
    );
    sandbox.shutdown().await;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(full_size_sandbox())?;
    runtime.block_on(async {
        if std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok_and(|v| !v.trim().is_empty()) {
            let client = test_support::dynamodb().await;
            let table = test_support::unique_name("largest-portal");
            shared::store::create_table(&client, &table).await?;
            println!("store: DynamoDB Local, table {table}");
            let store = DynamoStore::new(client, table);
            let capacity = |reset: bool| Some(store.capacity_report(reset));
            bench(&store, &capacity).await
        } else {
            println!("store: in-process (set AWS_ENDPOINT_URL_DYNAMODB for DynamoDB Local and capacity units)");
            bench(&MemoryStore::new(), &|_| None).await
        }
    })
}

async fn bench<S>(
    store: &S,
    capacity: &dyn Fn(bool) -> Option<CapacityReport>,
) -> Result<(), Box<dyn std::error::Error>>
where
    S: SnapshotStore + SyncStore,
{
    let scale: f64 = env_or("LARGEST_PORTAL_SCALE", 0.1);
    let rate: u32 = env_or("LARGEST_PORTAL_RATE", 20_000);
    let invocation = Duration::from_secs_f64(env_or("LARGEST_PORTAL_INVOCATION_SECS", 20.0));
    // The first invocation's flush interval, until one has measured its rate.
    let options = SyncOptions {
        flush_every: Duration::from_secs(5),
        ..SyncOptions::default()
    };
    let config = SandboxConfig {
        rate_limit_per_ten_seconds: rate,
        search_per_second: (rate / 10).max(5),
        ..SandboxConfig::largest_scaled(19, scale)
    };
    reset_peak();
    let started = Instant::now();
    let sandbox = Sandbox::start(config.clone()).await?;
    let (sandbox_peak, _) = memory_mb();
    println!(
        "largest portal x{scale}: {} companies, {} contacts, {} deals, {} tickets, {} engagements; \
         sandbox up in {:.2?}, process peak RSS {sandbox_peak:.0} MB",
        config.companies,
        config.contacts,
        config.deals,
        config.tickets,
        config.engagements,
        started.elapsed()
    );
    let source = source_for(&sandbox, &config)?;
    let tenant = TenantId::parse("largest")?;
    let expected: BTreeMap<ObjectType, u64> = ObjectType::ALL
        .iter()
        .map(|t| (*t, sandbox.record_count(t.as_str()) as u64))
        .collect();
    let minimum_pages: u64 = expected.values().map(|n| n.div_ceil(100).max(1)).sum();
    println!(
        "invocations of {invocation:.1?} at up to {rate} requests / 10 s (HubSpot: \
         {HUBSPOT_PER_TEN_SECONDS}), a flush every {REQUESTS_PER_FLUSH} requests as in production"
    );

    let full_plan = SyncPlan {
        options,
        ..SyncPlan::full(SyncId::parse("largest-full")?, Utc::now())
    };
    capacity(true);
    let full = chain(
        &source, &sandbox, store, &tenant, &full_plan, invocation, capacity,
    )
    .await?;
    assert_eq!(
        full.records, expected,
        "the full sync fetched other records"
    );
    println!(
        "materialised in the sandbox after the full sync: {}",
        sandbox.materialised_records()
    );

    // Some of the portal changes before the next hourly run.
    let mut touched = BTreeMap::new();
    for ty in ObjectType::ALL {
        let share = match ty {
            ObjectType::Companies | ObjectType::Deals | ObjectType::Tickets => 0.01,
            ObjectType::Contacts => 0.005,
            _ => 0.002,
        };
        let count = ((expected[&ty] as f64 * share).ceil() as usize).max(1);
        touched.insert(ty, sandbox.touch_random(ty.as_str(), count).len() as u64);
    }
    let incremental_plan = SyncPlan {
        options,
        ..SyncPlan::incremental(SyncId::parse("largest-incremental")?, Utc::now())
    };
    let incremental = chain(
        &source,
        &sandbox,
        store,
        &tenant,
        &incremental_plan,
        invocation,
        capacity,
    )
    .await?;
    for (ty, n) in &touched {
        let got = incremental.records.get(ty).copied().unwrap_or(0);
        assert!(got >= *n, "{ty:?}: {n} changed, {got} fetched");
    }
    // The fewest requests an incremental can make: per type one search page per 200 changed records
    // (at least one), and one association batch per target for each non-empty page.
    let mut incremental_minimum = 0;
    let mut incremental_search_minimum = 0;
    for (ty, n) in &touched {
        let pages = n.div_ceil(200).max(1);
        let targets = match ty {
            ObjectType::Companies => 0,
            ObjectType::Contacts | ObjectType::Deals | ObjectType::Tickets => 1,
            _ => 2,
        };
        incremental_search_minimum += pages;
        incremental_minimum += pages + n.div_ceil(200) * targets;
    }

    println!();
    report("full sync", &full, minimum_pages, 0);
    report(
        "incremental sync",
        &incremental,
        incremental_minimum,
        incremental_search_minimum,
    );
    println!("  records changed:    {touched:?}");
    Ok(())
}

/// Runs invocations of `plan` until one completes, each with a deadline `invocation` away, as the
/// sync function and its continuations do.
async fn chain<S>(
    source: &HubSpotSource,
    sandbox: &Sandbox,
    store: &S,
    tenant: &TenantId,
    plan: &SyncPlan,
    invocation: Duration,
    capacity: &dyn Fn(bool) -> Option<CapacityReport>,
) -> Result<Step, Box<dyn std::error::Error>>
where
    S: SnapshotStore + SyncStore,
{
    let mut step = Step::default();
    sandbox.reset_stats();
    capacity(true);
    let started = Instant::now();
    let mut plan = plan.clone();
    loop {
        reset_peak();
        let began = Instant::now();
        let outcome: SyncOutcome = run_sync(
            source,
            store,
            tenant,
            &plan,
            began + invocation,
            &NoProgress,
        )
        .await?;
        let achieved = outcome.requests_used as f64 / began.elapsed().as_secs_f64().max(0.001);
        if achieved > 0.0 {
            plan.options.flush_every =
                Duration::from_secs_f64((REQUESTS_PER_FLUSH / achieved).clamp(0.05, 30.0));
        }
        let (peak, now) = memory_mb();
        step.peak_rss_mb = step.peak_rss_mb.max(peak);
        step.invocations += 1;
        let fetched: u64 = outcome.counts.values().sum();
        assert!(
            outcome.completed || fetched > 0,
            "invocation {} made no progress",
            step.invocations
        );
        for (ty, n) in &outcome.counts {
            *step.records.entry(*ty).or_default() += n;
        }
        step.snapshots_written += outcome.writes.items_written;
        step.changed_clients.extend(outcome.changed_client_ids);
        println!(
            "  invocation {:>3}: {:>8} records, {:>6} requests ({achieved:.0}/s), {:>7} snapshots written, peak RSS {peak:>6.0} MB (now {now:.0}){}",
            step.invocations,
            fetched,
            outcome.requests_used,
            outcome.writes.items_written,
            if outcome.completed { ", complete" } else { "" }
        );
        if outcome.completed {
            break;
        }
    }
    step.wall = started.elapsed();
    let stats = sandbox.stats();
    step.requests = stats.requests;
    step.search_requests = stats.search_requests;
    step.capacity = capacity(true);
    Ok(step)
}

fn report(name: &str, step: &Step, minimum: u64, minimum_search: u64) {
    let general = step.requests - step.search_requests;
    // HubSpot's floor: general requests at 190 / 10 s, searches at 5 / s on their own budget.
    let floor = (general as f64 / (HUBSPOT_PER_TEN_SECONDS / 10.0))
        .max(step.search_requests as f64 / HUBSPOT_SEARCH_PER_SECOND);
    let minimum_floor = ((minimum - minimum_search) as f64 / (HUBSPOT_PER_TEN_SECONDS / 10.0))
        .max(minimum_search as f64 / HUBSPOT_SEARCH_PER_SECOND);
    println!("{name}");
    println!("  records:            {:?}", step.records);
    println!(
        "  wall time:          {:.1?} in {} invocations",
        step.wall, step.invocations
    );
    println!("  peak RSS:           {:.0} MB (largest of any invocation; the process holds the sandbox too)", step.peak_rss_mb);
    println!(
        "  requests:           {} ({} searches); fewest possible {minimum}, {minimum_search} of them searches ({:.3}x)",
        step.requests,
        step.search_requests,
        step.requests as f64 / minimum.max(1) as f64
    );
    println!(
        "  HubSpot floor:      {:.0} s at 190 / 10 s and 5 searches / s for the requests made ({:.0} s for the fewest)",
        floor, minimum_floor
    );
    println!(
        "  snapshots written:  {}; clients changed {}",
        step.snapshots_written,
        step.changed_clients.len()
    );
    // Lambda time at HubSpot's real limit: the floor (the sync waits on HubSpot; the bench's own
    // wall time is DynamoDB Local's and the build's), split into invocations of at most the timeout.
    let lambda_seconds = floor;
    let invocations_at_limit = (floor / SYNC_TIMEOUT_SECS).ceil().max(1.0);
    let lambda = lambda_seconds * SYNC_MEMORY_GB * DOLLARS_PER_GB_SECOND
        + invocations_at_limit * DOLLARS_PER_MILLION_INVOCATIONS / 1e6;
    let (dynamo, units) = match &step.capacity {
        Some(c) => {
            let by_index: Vec<String> = c
                .by_index
                .iter()
                .filter(|(_, u)| u.read_units + u.write_units > 0.0)
                .map(|(label, u)| format!("{label} {:.0} R / {:.0} W", u.read_units, u.write_units))
                .collect();
            println!(
                "  DynamoDB units:     {:.0} read, {:.0} write ({})",
                c.total.read_units,
                c.total.write_units,
                by_index.join(", ")
            );
            (
                c.total.read_units * DOLLARS_PER_MILLION_READ_UNITS / 1e6
                    + c.total.write_units * DOLLARS_PER_MILLION_WRITE_UNITS / 1e6,
                true,
            )
        }
        None => {
            println!("  DynamoDB units:     not measured (in-process store)");
            (0.0, false)
        }
    };
    println!(
        "  cost at list price: ${:.4} = DynamoDB ${dynamo:.4}{} + Lambda ${lambda:.4} ({lambda_seconds:.0} s at {SYNC_MEMORY_GB} GB arm64, {invocations_at_limit} invocations of at most {SYNC_TIMEOUT_SECS} s)",
        dynamo + lambda,
        if units { "" } else { " (not measured)" },
    );
}
