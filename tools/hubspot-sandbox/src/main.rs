//! `hubspot-sandbox`: serves a generated HubSpot portal until Ctrl-C.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use hubspot_sandbox::{Faults, Sandbox, SandboxConfig};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Preset {
    Small,
    Demo,
    Benchmark,
    /// 100,000 companies, 1,000,000 contacts, 5,000,000 engagements, built as they are read.
    Largest,
}

/// Serves a seeded HubSpot portal in HubSpot's wire format (a development tool).
#[derive(Parser, Debug)]
#[command(name = "hubspot-sandbox", version)]
struct Args {
    /// Portal size preset; the size flags below override it.
    #[arg(long, value_enum, default_value = "demo")]
    preset: Preset,
    #[arg(long, env = "SANDBOX_SEED", default_value_t = 1)]
    seed: u64,
    #[arg(long)]
    portal_id: Option<u64>,
    #[arg(long)]
    companies: Option<usize>,
    #[arg(long)]
    contacts: Option<usize>,
    #[arg(long)]
    deals: Option<usize>,
    #[arg(long)]
    tickets: Option<usize>,
    /// Total engagements (calls, emails, meetings, notes, tasks).
    #[arg(long)]
    engagements: Option<usize>,
    /// Requests per rolling 10 seconds (non-search).
    #[arg(long, default_value_t = 190)]
    rate_limit: u32,
    /// Search requests per second.
    #[arg(long, default_value_t = 5)]
    search_per_second: u32,
    /// Requests per UTC day; unlimited when absent.
    #[arg(long)]
    daily_limit: Option<u32>,
    /// Probability of an injected 500/502/504.
    #[arg(long, default_value_t = 0.0)]
    server_error_rate: f64,
    /// Probability of an injected 429 TEN_SECONDLY_ROLLING.
    #[arg(long, default_value_t = 0.0)]
    rate_limit_rate: f64,
    /// Probability of an injected 423.
    #[arg(long, default_value_t = 0.0)]
    locked_rate: f64,
    /// Latency added to every CRM call.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Access token lifetime.
    #[arg(long, default_value_t = 1800)]
    token_ttl_secs: u64,
    /// How long fresh writes stay invisible to search.
    #[arg(long, default_value_t = 0)]
    search_lag_ms: u64,
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// 0 picks a free port.
    #[arg(long, default_value_t = 8090)]
    port: u16,
}

impl Args {
    fn config(&self) -> SandboxConfig {
        let base = match self.preset {
            Preset::Small => SandboxConfig::small(self.seed),
            Preset::Demo => SandboxConfig::demo(self.seed),
            Preset::Benchmark => SandboxConfig::benchmark(self.seed),
            Preset::Largest => SandboxConfig::largest(self.seed),
        };
        SandboxConfig {
            portal_id: self.portal_id.unwrap_or(base.portal_id),
            companies: self.companies.unwrap_or(base.companies),
            contacts: self.contacts.unwrap_or(base.contacts),
            deals: self.deals.unwrap_or(base.deals),
            tickets: self.tickets.unwrap_or(base.tickets),
            engagements: self.engagements.unwrap_or(base.engagements),
            rate_limit_per_ten_seconds: self.rate_limit,
            search_per_second: self.search_per_second,
            daily_limit: self.daily_limit,
            faults: Faults {
                server_error_rate: self.server_error_rate,
                rate_limit_rate: self.rate_limit_rate,
                latency_ms: self.latency_ms,
                locked_rate: self.locked_rate,
            },
            access_token_ttl_secs: self.token_ttl_secs,
            search_lag_ms: self.search_lag_ms,
            ..base
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args = Args::parse();
    let config = args.config();
    let started = Instant::now();
    let sandbox =
        match Sandbox::start_on(config.clone(), SocketAddr::new(args.host, args.port)).await {
            Ok(sandbox) => sandbox,
            Err(error) => {
                eprintln!("hubspot-sandbox: {error}");
                return ExitCode::FAILURE;
            }
        };
    println!("HUBSPOT_API_BASE_URL={}", sandbox.base_url());
    // A sandbox token, not a secret: printing it is how a developer gets it.
    println!("HUBSPOT_PRIVATE_APP_TOKEN={}", sandbox.private_app_token());
    println!("HUBSPOT_PORTAL_ID={}", sandbox.portal_id());
    println!("HUBSPOT_CLIENT_ID={}", config.client_id);
    println!("HUBSPOT_CLIENT_SECRET={}", config.client_secret);
    eprintln!(
        "hubspot-sandbox: portal of {} companies, {} contacts, {} deals, {} tickets, {} engagements (seed {}) \
         ready in {:.2?}; Ctrl-C stops",
        config.companies,
        config.contacts,
        config.deals,
        config.tickets,
        config.engagements,
        config.seed,
        started.elapsed()
    );
    if let Err(error) = tokio::signal::ctrl_c().await {
        eprintln!("hubspot-sandbox: cannot wait for Ctrl-C: {error}");
    }
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}
