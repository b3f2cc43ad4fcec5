//! Full sync of the benchmark sandbox portal (10,000 companies, 50,000 contacts, 20,000 deals, 5,000
//! tickets, 200,000 engagements) at 190 requests per 10 s, then an incremental sync with nothing
//! changed. Prints figures; asserts nothing about time.
//!
//! `cargo bench -p shared --bench hubspot_sync` (takes about three minutes: the limit is the point).
//!
//! `cargo bench -p shared --bench hubspot_sync -- --faults` instead syncs small portals (issue 11's
//! 40 companies, the demo's 200, the small preset's 50) clean and with 10 % of requests answered 429
//! or 5xx, several times each, and prints the median wall times and their ratio (target: at most
//! 1.3x). About three minutes.
//! It asserts that every run fetched the same records as the clean ones; it asserts nothing about time.

use chrono::Utc;
use hubspot_sandbox::{Faults, Sandbox, SandboxConfig};
use secrecy::SecretString;
use shared::connector::{run_sync, NoProgress, ProgressUpdate, SyncPlan};
use shared::domain::{HubSpotLimits, ObjectType, SyncId, TenantId};
use shared::sources::hubspot::{
    HubSpotClient, HubSpotSource, PortalLimiter, RetryPolicy, StaticToken,
};
use shared::store::MemoryStore;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const LIMIT_PER_TEN_SECONDS: u32 = 190;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if std::env::args().any(|arg| arg == "--faults") {
        runtime.block_on(faults_bench())
    } else {
        runtime.block_on(bench())
    }
}

async fn bench() -> Result<(), Box<dyn std::error::Error>> {
    let generation = Instant::now();
    let sandbox = Sandbox::start(SandboxConfig {
        rate_limit_per_ten_seconds: LIMIT_PER_TEN_SECONDS,
        ..SandboxConfig::benchmark(7)
    })
    .await?;
    println!("portal generated in {:.1?}", generation.elapsed());

    let limits = HubSpotLimits {
        per_ten_seconds: LIMIT_PER_TEN_SECONDS,
        search_per_second: 5,
        daily: None,
    };
    let client = HubSpotClient::new(
        HubSpotClient::default_http()?,
        &sandbox.base_url(),
        Arc::new(StaticToken::new(SecretString::from(
            sandbox.private_app_token(),
        ))),
        Arc::new(PortalLimiter::new(&limits)),
        RetryPolicy::default(),
    );
    let source = HubSpotSource::new(client);
    let store = MemoryStore::new();
    let tenant = TenantId::parse("bench")?;

    let mut minimum_requests = 0u64;
    for t in ObjectType::ALL {
        let n = sandbox.records(t.as_str()).len() as u64;
        minimum_requests += n.div_ceil(100).max(1);
    }
    let steady_rate = f64::from(LIMIT_PER_TEN_SECONDS) / 10.0;
    let floor = Duration::from_secs_f64(minimum_requests as f64 / steady_rate);

    sandbox.reset_stats();
    let last_report = Mutex::new(Instant::now());
    let progress = |update: &ProgressUpdate| {
        if let Ok(mut last) = last_report.lock() {
            if update.done || last.elapsed() > Duration::from_secs(15) {
                *last = Instant::now();
                println!(
                    "  {:?}: {} fetched{}",
                    update.object_type,
                    update.fetched,
                    if update.done { " (done)" } else { "" }
                );
            }
        }
    };
    let started = Instant::now();
    let full = run_sync(
        &source,
        &store,
        &tenant,
        &SyncPlan::full(SyncId::parse("bench-full")?, Utc::now()),
        Instant::now() + Duration::from_secs(3_600),
        &progress,
    )
    .await?;
    let wall = started.elapsed();
    let stats = sandbox.stats();
    let client_stats = source.client().stats();

    println!("full sync at {LIMIT_PER_TEN_SECONDS} requests / 10 s");
    println!("  completed:          {}", full.completed);
    println!("  records:            {:?}", full.counts);
    println!("  wall time:          {:.1?}", wall);
    println!(
        "  requests made:      {} (sandbox saw {})",
        full.requests_used, stats.requests
    );
    println!("  minimum requests:   {minimum_requests} (one list page per 100 records)");
    println!(
        "  floor time:         {:.1?} (minimum requests at {steady_rate} a second)",
        floor
    );
    println!(
        "  wall / floor:       {:.3}",
        wall.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "  429s received:      {} from pacing, {} injected",
        stats.rate_limited, stats.injected_faults
    );
    println!("  client retries:     {}", client_stats.retries);
    println!("  snapshots written:  {}", full.writes.items_written);

    sandbox.reset_stats();
    let started = Instant::now();
    let incremental = run_sync(
        &source,
        &store,
        &tenant,
        &SyncPlan::incremental(SyncId::parse("bench-incremental")?, Utc::now()),
        Instant::now() + Duration::from_secs(600),
        &|_: &ProgressUpdate| {},
    )
    .await?;
    println!("incremental sync, nothing changed");
    println!("  completed:          {}", incremental.completed);
    println!(
        "  requests made:      {} for {} object types (sandbox saw {}, {} searches)",
        incremental.requests_used,
        ObjectType::ALL.len(),
        sandbox.stats().requests,
        sandbox.stats().search_requests
    );
    println!("  wall time:          {:.1?}", started.elapsed());
    println!(
        "  clients changed:    {}",
        incremental.changed_client_ids.len()
    );
    Ok(())
}

/// Each run's figures.
struct Run {
    wall: Duration,
    counts: BTreeMap<ObjectType, u64>,
    requests: u64,
    injected: u64,
    real_429s: u64,
    retries: u64,
    longest_wait: Duration,
    budget_holds: u64,
}

/// About 10 % of requests refused: 5 % answered 500/502/504, then 5.26 % of the rest answered a
/// 429 (TEN_SECONDLY_ROLLING with the window's true headers), as the sandbox draws them in that order.
fn ten_percent() -> Faults {
    Faults {
        server_error_rate: 0.05,
        rate_limit_rate: 0.0526,
        ..Faults::none()
    }
}

const FAULT_RUNS: usize = 5;

async fn faults_bench() -> Result<(), Box<dyn std::error::Error>> {
    let portals = [
        (
            // `--companies 40` in the local runner: the medium demo's other counts.
            "40 companies, demo counts otherwise (issue 11's portal)",
            SandboxConfig {
                companies: 40,
                ..SandboxConfig::demo(11)
            },
        ),
        ("demo, 200 companies", SandboxConfig::demo(11)),
        (
            "small, 50 companies (13 requests: one retry is a large share)",
            SandboxConfig::small(11),
        ),
    ];
    for (name, config) in portals {
        let mut clean = Vec::new();
        let mut faulty = Vec::new();
        for round in 0..FAULT_RUNS {
            // Alternate which goes first, so a slow moment of the machine falls on both.
            let order = if round % 2 == 0 {
                [Faults::none(), ten_percent()]
            } else {
                [ten_percent(), Faults::none()]
            };
            for faults in order {
                let run = sync_once(&config, faults).await?;
                if faults == Faults::none() {
                    clean.push(run);
                } else {
                    faulty.push(run);
                }
            }
        }
        let expected = &clean[0].counts;
        for run in clean.iter().chain(&faulty) {
            assert_eq!(&run.counts, expected, "a run fetched other records");
        }
        let clean_wall = median(clean.iter().map(|r| r.wall));
        let faulty_wall = median(faulty.iter().map(|r| r.wall));
        let sum = |f: fn(&Run) -> u64| faulty.iter().map(f).sum::<u64>();
        println!("full sync of {name}: {FAULT_RUNS} runs each, medians");
        println!("  records:            {:?}", expected);
        println!(
            "  clean:              {:.2?} ({} requests a run)",
            clean_wall, clean[0].requests
        );
        println!(
            "  10 % 429/5xx:       {:.2?} ({} requests in all runs, {} refused by injection: {:.1} %)",
            faulty_wall,
            sum(|r| r.requests),
            sum(|r| r.injected),
            100.0 * sum(|r| r.injected) as f64 / sum(|r| r.requests).max(1) as f64
        );
        println!(
            "  faulty / clean:     {:.2}x (target at most 1.3x)",
            faulty_wall.as_secs_f64() / clean_wall.as_secs_f64()
        );
        println!(
            "  retries:            {}; budget holds {}; real 429s {}; longest single wait {:.2?}",
            sum(|r| r.retries),
            sum(|r| r.budget_holds),
            sum(|r| r.real_429s),
            faulty
                .iter()
                .map(|r| r.longest_wait)
                .max()
                .unwrap_or_default()
        );
        println!(
            "  every run (ms):     clean {:?} / faulty {:?}",
            clean.iter().map(|r| r.wall.as_millis()).collect::<Vec<_>>(),
            faulty
                .iter()
                .map(|r| r.wall.as_millis())
                .collect::<Vec<_>>()
        );
    }
    Ok(())
}

/// A full sync of a fresh sandbox (so no run inherits the last one's rate-limit window) with a
/// fresh client, as a sync invocation builds it.
async fn sync_once(
    config: &SandboxConfig,
    faults: Faults,
) -> Result<Run, Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start(config.clone()).await?;
    sandbox.set_faults(faults);
    let limits = HubSpotLimits {
        per_ten_seconds: config.rate_limit_per_ten_seconds,
        search_per_second: config.search_per_second,
        daily: None,
    };
    let source = HubSpotSource::new(HubSpotClient::new(
        HubSpotClient::default_http()?,
        &sandbox.base_url(),
        Arc::new(StaticToken::new(SecretString::from(
            sandbox.private_app_token(),
        ))),
        Arc::new(PortalLimiter::new(&limits)),
        RetryPolicy::default(),
    ));
    let store = MemoryStore::new();
    let started = Instant::now();
    let outcome = run_sync(
        &source,
        &store,
        &TenantId::parse("bench")?,
        &SyncPlan::full(SyncId::parse("bench-faults")?, Utc::now()),
        Instant::now() + Duration::from_secs(600),
        &NoProgress,
    )
    .await?;
    let wall = started.elapsed();
    assert!(outcome.completed, "the run did not complete");
    let stats = sandbox.stats();
    let client = source.client().stats();
    Ok(Run {
        wall,
        counts: outcome.counts,
        requests: stats.requests,
        injected: stats.injected_faults,
        real_429s: stats.rate_limited,
        retries: client.retries,
        longest_wait: client.longest_wait,
        budget_holds: client.budget_holds,
    })
}

fn median(walls: impl Iterator<Item = Duration>) -> Duration {
    let mut walls: Vec<Duration> = walls.collect();
    walls.sort();
    walls.get(walls.len() / 2).copied().unwrap_or_default()
}
