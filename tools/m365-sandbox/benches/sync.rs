//! Walks 50 Microsoft 365 customer tenants through the real source (shared::sources::m365) against
//! the simulator with Graph's documented limits, and prints the requests used, the simulated and
//! wall time, and their ratio to the floor the limits allow.
//! `cargo bench -p m365-sandbox --bench sync`
//!
//! The floor: every step needs the organization, subscribedSkus, reportSettings, two CSV reports
//! (each a 302 plus its download), the app-use JSON pages and the managedDevices pages, plus one
//! token per tenant. Time is bounded by the reports' limit, 14 requests per 10 minutes per app per
//! tenant: a tenant's n-th report request cannot go before floor((n-1)/14) windows have passed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use m365_sandbox::{CompanySeed, Sandbox, SandboxConfig, TenantTruth};
use secrecy::SecretString;
use shared::domain::{
    ClientCredentials, Connection, ConnectionId, ConnectionSettings, ConnectionStatus,
    M365CustomerTenant, Platform, TenantId,
};
use shared::ports::source::{AccountsSource, FetchWindow};
use shared::ports::SecretVault;
use shared::sources::m365::{M365Source, M365Sources, PacingClock, RetryPolicy};
use shared::vault::InProcessVault;

const TENANTS: usize = 50;
/// Full walks back to back in the second run: 3 report requests a tenant each, so 6 walks need
/// 18 per tenant, more than one window's 14.
const WALKS: usize = 6;

struct SandboxClock(Sandbox);

#[async_trait::async_trait]
impl PacingClock for SandboxClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
    async fn sleep(&self, duration: Duration) {
        self.0.advance_clock(duration);
    }
}

type Error = Box<dyn std::error::Error>;

async fn source(sandbox: &Sandbox, tenants: &[String]) -> Result<M365Source, Error> {
    let vault = InProcessVault::new();
    let credentials = ClientCredentials::new(sandbox.client_id(), sandbox.client_secret());
    vault
        .create(
            "m365/bench",
            &SecretString::from(serde_json::to_string(&credentials)?),
        )
        .await?;
    let at = Utc::now();
    let connection = Connection {
        tenant_id: TenantId::parse("bench")?,
        id: ConnectionId::parse("m365-bench")?,
        platform: Platform::M365,
        label: "bench".into(),
        status: ConnectionStatus::Active,
        status_reason: None,
        credentials_secret_id: "m365/bench".into(),
        settings: ConnectionSettings::M365 {
            customer_tenants: tenants
                .iter()
                .map(|id| M365CustomerTenant {
                    tenant_id: id.clone(),
                    label: None,
                    consented_at: None,
                })
                .collect(),
        },
        connected_at: at,
        last_sync_at: None,
        last_full_sync_at: None,
        created_at: at,
        updated_at: at,
        version: 0,
    };
    let factory = M365Sources::new(reqwest::Client::new(), Arc::new(vault))
        .with_base_url(sandbox.base_url())
        .with_retry(RetryPolicy {
            // The bench lets a step wait a whole window (the simulated clock makes it instant).
            longest_wait: Duration::from_secs(660),
            ..RetryPolicy::default()
        })
        .with_clock(Arc::new(SandboxClock(sandbox.clone())));
    Ok(factory.source(&connection).await?)
}

/// The fewest requests one full walk of `tenant` needs.
fn floor_requests(tenant: &TenantTruth, devices: usize) -> u64 {
    let users = tenant.skus.first().map_or(0, |s| s.consumed) as usize;
    let app_pages = users.div_ceil(200).max(1) as u64;
    let device_pages = devices.div_ceil(100).max(1) as u64;
    // organization, subscribedSkus, reportSettings, 2 CSV reports + 2 downloads.
    7 + app_pages + device_pages
}

fn reports_per_walk(tenant: &TenantTruth) -> u64 {
    let users = tenant.skus.first().map_or(0, |s| s.consumed) as usize;
    2 + users.div_ceil(200).max(1) as u64
}

async fn run(walks: usize) -> Result<(), Error> {
    let sandbox =
        Sandbox::start(SandboxConfig::for_companies(7, CompanySeed::synthetic(60))).await?;
    let truth: Vec<TenantTruth> = sandbox.truth().into_iter().take(TENANTS).collect();
    let ids: Vec<String> = truth.iter().map(|t| t.external_id.clone()).collect();
    let source = source(&sandbox, &ids).await?;
    let started_sim = sandbox.now();
    let started = Instant::now();
    let mut steps = 0;
    for _ in 0..walks {
        let mut cursor: Option<String> = None;
        loop {
            let page = source
                .fetch_step(FetchWindow::All, cursor.as_deref())
                .await?;
            steps += 1;
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
    }
    let wall = started.elapsed();
    let simulated = (sandbox.now() - started_sim).to_std().unwrap_or_default();
    let stats = sandbox.stats();
    // Intune pages: the devices the simulator holds (placeholders included).
    let device_counts: Vec<usize> = truth.iter().map(|t| t.device_serials.len() + 2).collect();
    let floor: u64 = truth
        .iter()
        .zip(&device_counts)
        .map(|(t, d)| floor_requests(t, *d))
        .sum::<u64>()
        * walks as u64
        + TENANTS as u64;
    let windows = truth
        .iter()
        .map(|t| (reports_per_walk(t) * walks as u64 - 1) / 14)
        .max()
        .unwrap_or(0);
    let floor_time = Duration::from_secs(600 * windows);
    let requests = source.requests_made();
    println!(
        "{walks} full walk(s) of {TENANTS} customer tenants: {steps} steps, {requests} requests \
         ({} tokens, {} report requests, {} 429s received), floor {floor} requests, ratio {:.2}",
        stats.token_requests,
        source.client().report_requests_made(),
        stats.throttled,
        requests as f64 / floor as f64,
    );
    let time_ratio = if floor_time.is_zero() {
        "n/a (no window to wait for)".to_owned()
    } else {
        format!("{:.3}", simulated.as_secs_f64() / floor_time.as_secs_f64())
    };
    println!(
        "    simulated time {:.1?} (floor {:.0?} set by 14 reports / 10 min / tenant, ratio {time_ratio}), \
         wall time {wall:.2?} ({:.1} ms a tenant step)",
        simulated,
        floor_time,
        wall.as_secs_f64() * 1000.0 / steps.max(1) as f64,
    );
    sandbox.shutdown().await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(1).await?;
    run(WALKS).await?;
    Ok(())
}
