//! Walks a large generated Pax8 account (500 companies, about 4 subscriptions each) through the
//! real source against the simulator under the assumed limits, and prints the requests used, the
//! time taken and their ratio to the floor: the fewest requests the data needs (a token, the
//! company and subscription pages at 200, one contacts read per company and one history read per
//! subscription on a full walk) and the least time the rate limit allows for them.
//! `cargo bench -p pax8-sandbox --bench sync`
//!
//! Pax8 documents the 429 but no numbers (UNCONFIRMED): the simulator's window is
//! `ASSUMED_LIMIT_PER_MINUTE` and the source paces at its default (`DEFAULT_REQUESTS_PER_SECOND`).
//! `PAX8_BENCH_COMPANIES` changes the size.

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use pax8_sandbox::{CompanySeed, Sandbox, SandboxConfig};
use secrecy::SecretString;
use shared::domain::{
    ClientCredentials, Connection, ConnectionId, ConnectionSettings, ConnectionStatus, Platform,
    TenantId,
};
use shared::ports::source::{AccountsSource, FetchWindow};
use shared::ports::SecretVault;
use shared::sources::pax8::client::DEFAULT_REQUESTS_PER_SECOND;
use shared::sources::pax8::Pax8Sources;
use shared::vault::InProcessVault;

/// The limit the simulator enforces (a rolling minute): an assumption, Pax8 publishes none.
const ASSUMED_LIMIT_PER_MINUTE: u32 = 1_000;
const PAGE: usize = 200;

fn connection() -> Result<Connection, Box<dyn std::error::Error>> {
    let at = Utc::now();
    Ok(Connection {
        tenant_id: TenantId::parse("tenant-bench")?,
        id: ConnectionId::parse("pax8-bench")?,
        platform: Platform::Pax8,
        label: "Pax8".into(),
        status: ConnectionStatus::Active,
        status_reason: None,
        credentials_secret_id: "pax8/bench".into(),
        settings: ConnectionSettings::Pax8,
        connected_at: at,
        last_sync_at: None,
        last_full_sync_at: None,
        created_at: at,
        updated_at: at,
        version: 0,
    })
}

async fn run(
    source: &dyn AccountsSource,
    window: FetchWindow,
) -> Result<(usize, usize), Box<dyn std::error::Error>> {
    let (mut cursor, mut steps, mut records) = (None::<String>, 0, 0);
    loop {
        let page = source.fetch_step(window, cursor.as_deref()).await?;
        steps += 1;
        records += page.accounts.len();
        cursor = page.next_cursor;
        if cursor.is_none() {
            return Ok((steps, records));
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let companies: usize = std::env::var("PAX8_BENCH_COMPANIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let config = SandboxConfig {
        rate_limit_per_minute: Some(ASSUMED_LIMIT_PER_MINUTE),
        ..SandboxConfig::for_companies(17, CompanySeed::synthetic(companies))
    };
    let sandbox = Sandbox::start(config).await?;
    let truth = sandbox.truth();
    let listed = truth.len();
    let subscriptions: usize = truth.iter().map(|c| c.subscriptions.len()).sum();
    let live = truth.iter().filter(|c| c.status != "Deleted");
    let (live_companies, live_subscriptions) = live.fold((0, 0), |(c, s), company| {
        (c + 1, s + company.subscriptions.len())
    });
    println!(
        "account: {listed} Pax8 companies ({live_companies} live) for {companies} CRM companies, \
         {subscriptions} subscriptions; assumed limit {ASSUMED_LIMIT_PER_MINUTE}/min, source paced at \
         {DEFAULT_REQUESTS_PER_SECOND}/s"
    );

    let vault = InProcessVault::new();
    let credentials = ClientCredentials::new(sandbox.client_id(), sandbox.client_secret());
    vault
        .create(
            "pax8/bench",
            &SecretString::from(serde_json::to_string(&credentials)?),
        )
        .await?;
    let sources =
        Pax8Sources::new(reqwest::Client::new(), Arc::new(vault)).with_base_url(sandbox.base_url());
    let source = sources.source(&connection()?).await?;

    let floor_requests = 1
        + listed.div_ceil(PAGE)
        + live_companies
        + subscriptions.div_ceil(PAGE)
        + live_subscriptions;
    let per_second = f64::from(ASSUMED_LIMIT_PER_MINUTE) / 60.0;
    let started = Instant::now();
    let (steps, records) = run(&source, FetchWindow::All).await?;
    let elapsed = started.elapsed();
    let used = source.requests_made();
    let floor_secs = floor_requests as f64 / per_second;
    println!(
        "full walk: {used} requests in {steps} steps ({records} partial records), {:.1?}; floor \
         {floor_requests} requests, {floor_secs:.1} s at the limit -> requests x{:.2}, time x{:.2}; \
         429s received {}",
        elapsed,
        used as f64 / floor_requests as f64,
        elapsed.as_secs_f64() / floor_secs,
        source.client().stats().rate_limited,
    );

    let since = sandbox.now();
    let window = FetchWindow::ChangedBetween {
        since,
        until: since,
    };
    let before = source.requests_made();
    let started = Instant::now();
    let (steps, _) = run(&source, window).await?;
    let elapsed = started.elapsed();
    let used = source.requests_made() - before;
    let floor = listed.div_ceil(PAGE) + subscriptions.div_ceil(PAGE);
    println!(
        "incremental walk, nothing changed: {used} requests in {steps} steps, {elapsed:.1?}; floor \
         {floor} requests (the listings; the token is cached) -> x{:.2}",
        used as f64 / floor as f64
    );
    sandbox.shutdown().await;
    Ok(())
}
