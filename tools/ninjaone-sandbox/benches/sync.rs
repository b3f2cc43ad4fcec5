//! A full NinjaOne walk of a large instance (500 companies, about ten devices each) through the real
//! source against the simulator, at the ASSUMED limit (NinjaOne publishes none: 600 requests per
//! minute, the client pacing itself at its default 10 per second), then a targeted read of one
//! organisation. Prints requests, elapsed time and their ratio to the floor: the fewest requests the
//! documented paging allows for this data (1,000 rows a page) and the time those take at the pace
//! (a burst of ten, then ten a second).
//! Asserts only that the walk saw every organisation.
//!
//! `cargo bench -p ninjaone-sandbox --bench sync`

use chrono::Utc;
use ninjaone_sandbox::{CompanySeed, Sandbox, SandboxConfig};
use secrecy::SecretString;
use shared::domain::{
    ClientCredentials, Connection, ConnectionId, ConnectionSettings, ConnectionStatus,
    NinjaoneRegion, Platform, TenantId,
};
use shared::ports::source::{AccountsSource, FetchWindow};
use shared::ports::SecretVault;
use shared::sources::ninjaone::{NinjaoneSettings, NinjaoneSources, MAX_PAGE_SIZE};
use shared::vault::InProcessVault;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

const COMPANIES: usize = 500;
/// Assumed: NinjaOne publishes no rate limit.
const LIMIT_PER_MINUTE: u32 = 600;

fn pages(rows: usize) -> u64 {
    rows.div_ceil(MAX_PAGE_SIZE).max(1) as u64
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start(SandboxConfig {
        devices_per_org: (8, 12),
        rate_limit_per_minute: Some(LIMIT_PER_MINUTE),
        ..SandboxConfig::for_companies(7, CompanySeed::synthetic(COMPANIES))
    })
    .await?;
    let truth = sandbox.truth();
    let devices: usize = truth.iter().map(|t| t.devices).sum();
    let tickets: usize = truth.iter().map(|t| t.tickets).sum();
    println!(
        "instance: {} organisations, {devices} devices, {} active alerts, {tickets} tickets",
        truth.len(),
        truth.iter().map(|t| t.active_alerts).sum::<usize>()
    );

    let vault = InProcessVault::new();
    let credentials = ClientCredentials::new(sandbox.client_id(), sandbox.client_secret());
    vault
        .create(
            "ninjaone/bench",
            &SecretString::from(serde_json::to_string(&credentials)?),
        )
        .await?;
    let settings = NinjaoneSettings::default();
    let rate = settings.requests_per_second.unwrap_or(10);
    let clock = sandbox.clone();
    let factory = NinjaoneSources::new(reqwest::Client::new(), Arc::new(vault))
        .with_base_url(sandbox.base_url())
        .with_settings(settings)
        .with_clock(Arc::new(move || clock.now()));
    let at = Utc::now();
    let connection = Connection {
        tenant_id: TenantId::parse("bench")?,
        id: ConnectionId::parse("ninjaone-bench")?,
        platform: Platform::Ninjaone,
        label: "NinjaOne".into(),
        status: ConnectionStatus::Active,
        status_reason: None,
        credentials_secret_id: "ninjaone/bench".into(),
        settings: ConnectionSettings::Ninjaone {
            region: NinjaoneRegion::Us,
        },
        connected_at: at,
        last_sync_at: None,
        last_full_sync_at: None,
        created_at: at,
        updated_at: at,
        version: 0,
    };
    let source = factory.source(&connection).await?;

    let started = Instant::now();
    let mut cursor: Option<String> = None;
    let mut seen = BTreeSet::new();
    let mut steps = 0;
    loop {
        let page = source
            .fetch_step(FetchWindow::All, cursor.as_deref())
            .await?;
        steps += 1;
        seen.extend(page.accounts.into_iter().map(|a| a.external_id));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    let elapsed = started.elapsed();
    assert_eq!(seen.len(), truth.len(), "the walk saw every organisation");
    let requests = source.requests_made();
    // token, organisations, devices, health, antivirus, alerts, end users, boards, ticket pages
    let floor = 1 + pages(truth.len()) + 3 * pages(devices) + 1 + 1 + 1 + pages(tickets);
    // The pace lets a burst of `rate` requests go at once, then `rate` a second.
    let floor_secs = floor.saturating_sub(u64::from(rate)) as f64 / f64::from(rate);
    println!("full walk: {steps} steps, {requests} requests (floor {floor}, ratio {:.2}), {:.2?} (floor {floor_secs:.1} s at {rate}/s, ratio {:.2})",
        requests as f64 / floor as f64,
        elapsed,
        elapsed.as_secs_f64() / floor_secs,
    );
    let stats = sandbox.stats();
    println!(
        "simulator saw {} requests, {} answered 429",
        stats.requests, stats.rate_limited
    );
    for (route, count) in &stats.by_route {
        println!("  {count:>4}  {route}");
    }

    let before = source.requests_made();
    let started = Instant::now();
    let one = source
        .fetch_accounts(&[truth[0].external_id.clone()])
        .await?;
    println!(
        "targeted read of one organisation: {} requests, {:.2?} ({} record)",
        source.requests_made() - before,
        started.elapsed(),
        one.len()
    );
    sandbox.shutdown().await;
    Ok(())
}
