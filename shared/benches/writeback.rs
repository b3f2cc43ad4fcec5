//! Write-back of 1,000 changed companies to the sandbox portal: requests per 1,000 changed companies
//! against the floor of 10 (HubSpot's batch update takes 100 inputs), the wall time, and a second run
//! with nothing changed (target: no request). Prints figures; asserts only that every company was
//! written.
//!
//! `cargo bench -p shared --bench writeback`

use chrono::{Duration, Utc};
use hubspot_sandbox::{Sandbox, SandboxConfig};
use shared::domain::{ClientId, HealthBand, HealthScore, Trend, WritebackSettings};
use shared::handlers::writeback::write_back_scores;
use shared::ports::ScoreStore;
use shared::sources::hubspot::{HubSpotClient, HubSpotSources, HubSpotWritebacks};
use shared::store::MemoryStore;
use shared::vault::InProcessVault;
use std::sync::Arc;
use std::time::Instant;
use test_support::fixtures::{fast_retry, oauth_tenant, sandbox_oauth_client};

const COMPANIES: usize = 1_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench())
}

async fn bench() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start(SandboxConfig {
        companies: COMPANIES,
        ..SandboxConfig::small(5)
    })
    .await?;
    let store = Arc::new(MemoryStore::new());
    let vault = Arc::new(InProcessVault::new());
    let mut tenant = oauth_tenant(&sandbox, &store, &vault, 1800).await;
    tenant.writeback = WritebackSettings {
        enabled: true,
        create_tasks: false,
    };
    let sources = HubSpotSources::new(
        HubSpotClient::default_http()?,
        sandbox.base_url(),
        Some(sandbox_oauth_client(
            &sandbox.base_url(),
            sandbox.authorize_url_base(),
            fast_retry(),
        )),
        vault.clone(),
        store.clone(),
    );
    let crm = HubSpotWritebacks::new(sources)
        .writeback_for(&tenant)
        .await?;
    let now = Utc::now();
    let schema = write_back_scores(store.as_ref(), &crm, &tenant, now).await?;
    println!(
        "schema: {} properties created in {} requests (once per tenant)",
        schema.properties_created.len(),
        schema.crm_requests
    );

    let scores: Vec<HealthScore> = sandbox
        .records("companies")
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let overall = (i % 100) as u8;
            HealthScore {
                segment: None,
                settings_version: 0,
                sources: Default::default(),
                client_id: ClientId::parse(c.id.clone()).expect("a company id"),
                client_name: c.id.clone(),
                overall,
                band: HealthBand::of(overall),
                churn_risk: 100 - overall,
                dimensions: vec![],
                trend: Trend {
                    delta_7d: None,
                    delta_30d: None,
                },
                scored_at: now - Duration::minutes(1),
                overrides: Vec::new(),
            }
        })
        .collect();
    store.put_scores(&tenant.id, &scores).await?;
    let started = Instant::now();
    let changed = write_back_scores(store.as_ref(), &crm, &tenant, now).await?;
    let elapsed = started.elapsed();
    assert_eq!(
        changed.companies_written, COMPANIES,
        "every company written"
    );
    let per_thousand = changed.crm_requests as f64 * 1_000.0 / changed.companies_sent as f64;
    println!(
        "{} changed companies: {} requests ({per_thousand:.1} per 1,000; floor 10), {:.0} ms",
        changed.companies_sent,
        changed.crm_requests,
        elapsed.as_secs_f64() * 1_000.0
    );
    let started = Instant::now();
    let unchanged = write_back_scores(store.as_ref(), &crm, &tenant, now).await?;
    println!(
        "nothing changed: {} companies compared, {} requests, {:.0} ms",
        unchanged.companies_considered,
        unchanged.crm_requests,
        started.elapsed().as_secs_f64() * 1_000.0
    );
    Ok(())
}
