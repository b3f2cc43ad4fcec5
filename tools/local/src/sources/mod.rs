//! The simulated platforms beside the HubSpot sandbox (PayPal, NinjaOne, Pax8, Microsoft 365), so
//! the demo shows every source, their matches and the insights only several sources can see, with
//! no setup.
//!
//! Every simulator is seeded with the HubSpot sandbox's companies (id, name, domain), so its data
//! lines up with the portal's, with the simulator's own realistic mismatches (name variants,
//! companies it lacks, accounts the CRM lacks). The demo tenant gets one connection to each, stored
//! like one the connections API creates ([`connect`]: the client credentials in the vault under
//! `connection_secret_id`, the record in the store). A restart with `--data-file` finds the stored
//! connection and reuses it; the in-process vault forgets everything, so the secret is written again
//! at every start, with the new simulator's credentials.
//!
//! One module per platform says only what differs: how to start its simulator, the connection's
//! settings and the factory that reaches it ([`Simulated`]).

/// Starts the simulator of crate `$krate` seeded with `$context`'s companies (each crate has its
/// own `CompanySeed` of the same shape), or returns the start's error naming `$platform`.
macro_rules! start_simulator {
    ($krate:ident, $context:expr, $platform:expr) => {{
        let companies = $context.companies.seeds(
            |hubspot_id, name, domain| $krate::CompanySeed {
                hubspot_id,
                name,
                domain,
            },
            $krate::CompanySeed::synthetic,
        );
        let config = $krate::SandboxConfig::for_companies($context.seed, companies);
        $krate::Sandbox::start(config)
            .await
            .map_err(|e| super::simulator_error($platform, e.to_string()))?
    }};
}

mod m365;
mod ninjaone;
mod pax8;
mod paypal;
mod report;

pub use report::FirstSyncReport;

use crate::runner::RunnerError;
use secrecy::SecretString;
use shared::api::routes::connections::connection_secret_id;
use shared::domain::{
    ClientCredentials, Connection, ConnectionId, ConnectionSettings, ConnectionStatus, Platform,
    TenantId,
};
use shared::ports::{ConnectionSources, ConnectionStore, PlatformSources, SecretVault, VaultError};
use shared::store::MemoryStore;
use shared::vault::InProcessVault;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Companies the simulators make up when no HubSpot sandbox runs beside them (a real portal): their
/// accounts then match nothing, but the connections, their syncs and their data are real.
const SYNTHETIC_COMPANIES: usize = 40;

/// The simulated platforms, in the order they start and print.
pub const SIMULATED: [Platform; 4] = [
    Platform::Paypal,
    Platform::Ninjaone,
    Platform::Pax8,
    Platform::M365,
];

/// A company of the portal as every simulator's seed takes it (each crate has its own seed type of
/// this shape).
#[derive(Debug, Clone)]
pub struct PortalCompany {
    pub hubspot_id: String,
    pub name: String,
    pub domain: Option<String>,
}

impl std::fmt::Display for Companies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Companies::Portal(companies) => {
                write!(f, "the portal's {} companies", companies.len())
            }
            Companies::Synthetic(count) => write!(f, "{count} made-up companies"),
        }
    }
}

/// What the simulators are seeded with: the portal's companies, or made-up ones without a sandbox.
#[derive(Debug, Clone)]
pub enum Companies {
    Portal(Vec<PortalCompany>),
    Synthetic(usize),
}

impl Companies {
    /// The HubSpot sandbox's live companies (or made-up ones with a real portal).
    pub fn of(hubspot: Option<&hubspot_sandbox::Sandbox>) -> Companies {
        let Some(hubspot) = hubspot else {
            return Companies::Synthetic(SYNTHETIC_COMPANIES);
        };
        let companies = hubspot
            .records("companies")
            .into_iter()
            .map(|record| PortalCompany {
                name: record
                    .properties
                    .get("name")
                    .cloned()
                    .flatten()
                    .unwrap_or_default(),
                domain: record.properties.get("domain").cloned().flatten(),
                hubspot_id: record.id,
            })
            .collect();
        Companies::Portal(companies)
    }

    /// The companies in a simulator crate's own seed type.
    fn seeds<T>(
        &self,
        make: impl Fn(String, String, Option<String>) -> T,
        synthetic: impl Fn(usize) -> Vec<T>,
    ) -> Vec<T> {
        match self {
            Companies::Portal(companies) => companies
                .iter()
                .map(|c| make(c.hubspot_id.clone(), c.name.clone(), c.domain.clone()))
                .collect(),
            Companies::Synthetic(count) => synthetic(*count),
        }
    }
}

/// What a simulator module hands back: the running simulator, the connection the demo tenant gets
/// to it, and the factory that reaches it.
pub(crate) struct Simulated {
    pub platform: Platform,
    /// The label the connection shows on the Sources page; it also finds the connection again after
    /// a restart (one a person added is left alone).
    pub label: &'static str,
    pub settings: ConnectionSettings,
    pub credentials: ClientCredentials,
    pub factory: PlatformSources,
    pub base_url: String,
    pub shutdown: Shutdown,
}

/// Stops a simulator's server.
pub(crate) type Shutdown = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// The shared inputs of every simulator module.
pub(crate) struct Context<'a> {
    pub seed: u64,
    pub companies: &'a Companies,
    pub http: reqwest::Client,
    pub vault: Arc<InProcessVault>,
}

/// One simulator running, and the demo tenant's connection to it.
pub struct RunningSource {
    pub platform: Platform,
    pub connection_id: ConnectionId,
    pub base_url: String,
    shutdown: Shutdown,
}

/// Every simulator the run started, and the factories that reach them by platform.
pub struct DemoSources {
    pub running: Vec<RunningSource>,
    pub sources: ConnectionSources,
    /// What the simulators were seeded with, for the start-up lines.
    seeded_with: String,
}

impl DemoSources {
    pub fn connection_ids(&self) -> impl Iterator<Item = &ConnectionId> {
        self.running.iter().map(|r| &r.connection_id)
    }

    /// The start-up lines: where each simulator runs, what it was seeded with, its connection.
    pub fn print_started(&self) {
        for source in &self.running {
            println!(
                "{}: simulator at {} seeded with {} (connection {}; --no-{} turns it off)",
                source.platform.display_name(),
                source.base_url,
                self.seeded_with,
                source.connection_id,
                source.platform.as_str(),
            );
        }
    }

    pub async fn shutdown(self) {
        for source in self.running {
            (source.shutdown)().await;
        }
    }
}

/// Starts the simulators of `platforms` seeded with `companies`, and makes sure `tenant_id` has
/// its connection to each.
pub async fn start(
    platforms: &[Platform],
    context: Context<'_>,
    store: &MemoryStore,
    tenant_id: &TenantId,
    secret_prefix: &str,
) -> Result<DemoSources, RunnerError> {
    let mut running = Vec::new();
    let mut sources = ConnectionSources::new();
    for platform in platforms {
        let simulated = match platform {
            Platform::Paypal => paypal::start(&context).await,
            Platform::Ninjaone => ninjaone::start(&context).await,
            Platform::Pax8 => pax8::start(&context).await,
            Platform::M365 => m365::start(&context).await,
            Platform::Hubspot => continue,
        }?;
        let connection_id = connect(
            store,
            context.vault.as_ref(),
            tenant_id,
            secret_prefix,
            &simulated,
        )
        .await?;
        sources = match simulated.factory {
            PlatformSources::Payments(factory) => sources.with_payments(*platform, factory),
            PlatformSources::Accounts(factory) => sources.with_accounts(factory),
        };
        running.push(RunningSource {
            platform: *platform,
            connection_id,
            base_url: simulated.base_url,
            shutdown: simulated.shutdown,
        });
    }
    Ok(DemoSources {
        running,
        sources,
        seeded_with: context.companies.to_string(),
    })
}

/// Makes sure `tenant_id` has its demo connection to `simulated`, with the simulator's credentials
/// in the vault, and returns its id: the one routine every simulated platform goes through.
async fn connect(
    store: &MemoryStore,
    vault: &InProcessVault,
    tenant_id: &TenantId,
    secret_prefix: &str,
    simulated: &Simulated,
) -> Result<ConnectionId, RunnerError> {
    let now = chrono::Utc::now();
    let stored = store
        .list_connections(tenant_id)
        .await?
        .into_iter()
        .find(|c| c.platform == simulated.platform && c.label == simulated.label);
    let id = match &stored {
        Some(connection) => connection.id.clone(),
        None => new_connection_id(simulated.platform)?,
    };
    let secret_id = connection_secret_id(secret_prefix, tenant_id, &id);
    let secret = serde_json::to_string(&simulated.credentials)
        .map(SecretString::from)
        .map_err(|e| simulator_error(simulated.platform, format!("the credentials: {e}")))?;
    match vault.create(&secret_id, &secret).await {
        Err(VaultError::AlreadyExists(_)) => {
            vault.put(&secret_id, &secret, None).await?;
        }
        other => {
            other?;
        }
    }
    match stored {
        Some(mut connection) => {
            // The simulator is new at every start: its credentials and settings were given now.
            connection.credentials_secret_id = secret_id;
            connection.settings = simulated.settings.clone();
            connection.connected_at = now;
            connection.updated_at = now;
            if connection.status == ConnectionStatus::NeedsReauth {
                connection.status = ConnectionStatus::Active;
                connection.status_reason = None;
            }
            store.update_connection(&connection).await?;
        }
        None => {
            store
                .create_connection(&Connection {
                    tenant_id: tenant_id.clone(),
                    id: id.clone(),
                    platform: simulated.platform,
                    label: simulated.label.to_owned(),
                    status: ConnectionStatus::Active,
                    status_reason: None,
                    credentials_secret_id: secret_id,
                    settings: simulated.settings.clone(),
                    connected_at: now,
                    last_sync_at: None,
                    last_full_sync_at: None,
                    created_at: now,
                    updated_at: now,
                    webhook_registered: None,
                    version: 0,
                })
                .await?;
        }
    }
    Ok(id)
}

/// `<platform>-<8 hex>`, the shape the connections API gives.
fn new_connection_id(platform: Platform) -> Result<ConnectionId, RunnerError> {
    let random = uuid::Uuid::new_v4().simple().to_string();
    ConnectionId::parse(format!("{platform}-{}", &random[..8]))
        .map_err(|e| simulator_error(platform, e.to_string()))
}

/// A random shared secret for the webhook deliveries of a demo connection (NinjaOne, Pax8), as the
/// connections API makes one.
fn webhook_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

pub(crate) fn simulator_error(platform: Platform, message: impl Into<String>) -> RunnerError {
    RunnerError::Simulator {
        platform: platform.display_name(),
        message: message.into(),
    }
}
