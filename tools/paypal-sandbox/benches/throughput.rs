//! Prints how long generating a large account takes and what a page of the big endpoints costs
//! (client and server together, on one machine). `cargo bench -p paypal-sandbox --bench throughput`

use std::time::Instant;

use chrono::{DateTime, SecondsFormat, Utc};
use paypal_sandbox::{CompanySeed, Sandbox, SandboxConfig};
use serde_json::{json, Value};

fn at(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Secs, true)
}

const ROUNDS: u32 = 20;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let sandbox = Sandbox::start(SandboxConfig::for_companies(
        7,
        CompanySeed::synthetic(10_000),
    ))
    .await?;
    println!(
        "generation: {:.2?} for 10,000 companies -> {} payers, {} transaction rows",
        started.elapsed(),
        sandbox.ground_truth().len(),
        sandbox.transactions().len()
    );
    let http = reqwest::Client::new();
    let base = sandbox.base_url();
    let token: Value = http
        .post(format!("{base}/v1/oauth2/token"))
        .basic_auth(sandbox.client_id(), Some(sandbox.client_secret()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await?
        .json()
        .await?;
    let token = token["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let end = sandbox.anchor() - chrono::Duration::hours(4);
    let search = format!(
        "{base}/v1/reporting/transactions?start_date={}&end_date={}&fields=all&page_size=500",
        at(end - chrono::Duration::days(31)),
        at(end)
    );
    let started = Instant::now();
    let mut rows = 0;
    for _ in 0..ROUNDS {
        let body: Value = http
            .get(&search)
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        rows = body["transaction_details"].as_array().map_or(0, Vec::len);
    }
    println!(
        "transaction search, 31 days, fields=all: {:.2?} per page of {rows} rows",
        started.elapsed() / ROUNDS
    );

    let started = Instant::now();
    let mut items = 0;
    for _ in 0..ROUNDS {
        let body: Value = http
            .post(format!(
                "{base}/v2/invoicing/search-invoices?page_size=100&total_required=true"
            ))
            .bearer_auth(&token)
            .json(&json!({ "status": ["SENT", "UNPAID", "PARTIALLY_PAID"] }))
            .send()
            .await?
            .json()
            .await?;
        items = body["items"].as_array().map_or(0, Vec::len);
    }
    println!(
        "invoice search, open invoices: {:.2?} per page of {items} invoices",
        started.elapsed() / ROUNDS
    );
    sandbox.shutdown().await;
    Ok(())
}
