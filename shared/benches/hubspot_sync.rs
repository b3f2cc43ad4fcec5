//! Full sync of the benchmark sandbox portal (10,000 companies, 50,000 contacts, 20,000 deals, 5,000
//! tickets, 200,000 engagements) at 190 requests per 10 s, then an incremental sync with nothing
//! changed. Prints figures; asserts nothing about time.
//!
//! `cargo bench -p shared --bench hubspot_sync` (takes about three minutes: the limit is the point).

use chrono::Utc;
use hubspot_sandbox::{Sandbox, SandboxConfig};
use secrecy::SecretString;
use shared::connector::{run_sync, ProgressUpdate, SyncPlan};
use shared::domain::{HubSpotLimits, ObjectType, SyncId, TenantId};
use shared::hubspot::{HubSpotClient, HubSpotSource, PortalLimiter, RetryPolicy, StaticToken};
use shared::store::MemoryStore;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const LIMIT_PER_TEN_SECONDS: u32 = 190;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(bench())
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
