//! A full PayPal walk of the simulator's default data set (tools/paypal-sandbox, default config),
//! printing requests made, by route, and the wall time. Run:
//! `cargo run -p shared --example paypal_walk` (add `-- <seed>` for another account).

use paypal_sandbox::{Sandbox, SandboxConfig};
use secrecy::SecretString;
use shared::domain::{
    ClientCredentials, Connection, ConnectionId, ConnectionSettings, ConnectionStatus,
    PaypalEnvironment, Platform, TenantId,
};
use shared::ports::source::{FetchWindow, PaymentsSource};
use shared::ports::SecretVault;
use shared::sources::paypal::{PaypalSources, RetryPolicy};
use shared::vault::InProcessVault;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let sandbox = Sandbox::start(SandboxConfig {
        seed,
        ..SandboxConfig::default()
    })
    .await?;
    let vault = InProcessVault::new();
    let credentials = ClientCredentials {
        client_id: sandbox.client_id(),
        client_secret: sandbox.client_secret(),
        webhook_secret: None,
    };
    vault
        .create(
            "paypal/bench",
            &SecretString::from(serde_json::to_string(&credentials)?),
        )
        .await?;
    let clock = sandbox.clone();
    // Unpaced, as the simulator sets no limit: the figure is the walk's own cost.
    let factory = PaypalSources::new(reqwest::Client::new(), Arc::new(vault), b"bench-key")
        .with_base_url(sandbox.base_url())
        .with_retry(RetryPolicy::default())
        .with_pacing(None)
        .with_clock(Arc::new(move || clock.now()));
    let now = chrono::Utc::now();
    let connection = Connection {
        tenant_id: TenantId::parse("bench")?,
        id: ConnectionId::parse("paypal-bench")?,
        platform: Platform::Paypal,
        label: "bench".into(),
        status: ConnectionStatus::Active,
        status_reason: None,
        credentials_secret_id: "paypal/bench".into(),
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
    };
    let source = factory.source(&connection).await?;

    let started = Instant::now();
    let mut cursor: Option<String> = None;
    let (mut steps, mut records) = (0u64, 0usize);
    let mut payers = BTreeSet::new();
    loop {
        let page = source
            .fetch_step(FetchWindow::All, cursor.as_deref())
            .await?;
        steps += 1;
        records += page.payers.len();
        payers.extend(page.payers.into_iter().map(|p| p.external_id));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    let elapsed = started.elapsed();
    let client = source.client().stats();
    let server = sandbox.stats();
    println!("PayPal full walk of the simulator's default data set (seed {seed})");
    println!("  rows in the account:   {}", sandbox.transactions().len());
    println!("  steps:                 {steps}");
    println!(
        "  payer records:         {records} ({} distinct payers)",
        payers.len()
    );
    println!(
        "  requests made:         {} ({} token, {} retries)",
        client.requests, client.token_requests, client.retries
    );
    for (route, count) in &server.by_route {
        println!("    {count:>6}  {route}");
    }
    println!("  wall time:             {:.3} s", elapsed.as_secs_f64());
    sandbox.shutdown().await;
    Ok(())
}
