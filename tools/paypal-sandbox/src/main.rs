//! `paypal-sandbox`: serves a generated PayPal merchant account until Ctrl-C.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use paypal_sandbox::{CompanySeed, Faults, Sandbox, SandboxConfig};
use serde::Deserialize;

/// Serves a seeded PayPal account in PayPal's wire format (a development tool).
#[derive(Parser, Debug)]
#[command(name = "paypal-sandbox", version)]
struct Args {
    #[arg(long, env = "SANDBOX_SEED", default_value_t = 1)]
    seed: u64,
    /// A JSON array of `{"hubspot_id", "name", "domain"}` the payers line up with; made-up companies
    /// when absent.
    #[arg(long)]
    companies: Option<PathBuf>,
    /// How many made-up companies, without `--companies`.
    #[arg(long, default_value_t = 40)]
    synthetic_companies: usize,
    /// Payers that belong to no company.
    #[arg(long, default_value_t = 8)]
    unmatched_payers: usize,
    #[arg(long, default_value_t = 730)]
    history_days: u32,
    /// Access token lifetime (`expires_in`).
    #[arg(long, default_value_t = 32_400)]
    token_ttl_secs: u64,
    /// Transaction Search shows a transaction up to this long after it happened.
    #[arg(long, default_value_t = 10_800)]
    max_lateness_secs: u64,
    /// Requests per rolling minute before 429; unlimited when absent.
    #[arg(long)]
    rate_limit_per_minute: Option<u32>,
    /// Probability of an injected 429 RATE_LIMIT_REACHED.
    #[arg(long, default_value_t = 0.0)]
    rate_limit_rate: f64,
    /// `Retry-After` seconds sent with 429s; none when absent.
    #[arg(long)]
    retry_after_secs: Option<u64>,
    /// Probability of an injected 500/503.
    #[arg(long, default_value_t = 0.0)]
    server_error_rate: f64,
    /// Latency added to every call.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// 0 picks a free port.
    #[arg(long, default_value_t = 8091)]
    port: u16,
}

#[derive(Deserialize)]
struct CompanyLine {
    hubspot_id: String,
    name: String,
    #[serde(default)]
    domain: Option<String>,
}

fn read_companies(path: &PathBuf) -> Result<Vec<CompanySeed>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let lines: Vec<CompanyLine> =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(lines
        .into_iter()
        .map(|c| CompanySeed {
            hubspot_id: c.hubspot_id,
            name: c.name,
            domain: c.domain,
        })
        .collect())
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args = Args::parse();
    let companies = match &args.companies {
        Some(path) => match read_companies(path) {
            Ok(companies) => companies,
            Err(error) => {
                eprintln!("paypal-sandbox: cannot read the companies: {error}");
                return ExitCode::FAILURE;
            }
        },
        None => CompanySeed::synthetic(args.synthetic_companies),
    };
    let config = SandboxConfig {
        seed: args.seed,
        companies,
        unmatched_payers: args.unmatched_payers,
        history_days: args.history_days,
        token_ttl_secs: args.token_ttl_secs,
        max_lateness_secs: args.max_lateness_secs,
        rate_limit_per_minute: args.rate_limit_per_minute,
        faults: Faults {
            rate_limit_rate: args.rate_limit_rate,
            retry_after_secs: args.retry_after_secs,
            server_error_rate: args.server_error_rate,
            latency_ms: args.latency_ms,
        },
        ..SandboxConfig::default()
    };
    let started = Instant::now();
    let sandbox = match Sandbox::start_on(config, SocketAddr::new(args.host, args.port)).await {
        Ok(sandbox) => sandbox,
        Err(error) => {
            eprintln!("paypal-sandbox: {error}");
            return ExitCode::FAILURE;
        }
    };
    let truth = sandbox.ground_truth();
    println!("PAYPAL_API_BASE_URL={}", sandbox.base_url());
    // Sandbox credentials, not secrets: printing them is how a developer gets them.
    println!("PAYPAL_CLIENT_ID={}", sandbox.client_id());
    println!("PAYPAL_CLIENT_SECRET={}", sandbox.client_secret());
    println!("PAYPAL_WEBHOOK_ID={}", sandbox.webhook_id());
    eprintln!(
        "paypal-sandbox: {} payers ({} aligned with a company), seed {}, ready in {:.2?}; Ctrl-C stops",
        truth.len(),
        truth.iter().filter(|p| p.hubspot_company_id.is_some()).count(),
        args.seed,
        started.elapsed()
    );
    if let Err(error) = tokio::signal::ctrl_c().await {
        eprintln!("paypal-sandbox: cannot wait for Ctrl-C: {error}");
    }
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}
