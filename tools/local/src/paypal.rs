//! The PayPal simulator beside the HubSpot sandbox, so the demo shows payers, correlations and
//! cross-source data with no setup.
//!
//! The simulator's payers line up with the HubSpot sandbox's companies (its README says how). The
//! demo tenant gets one PayPal connection, stored like one the connections API creates: the secret
//! (client credentials JSON) in the vault under `connection_secret_id`, the record in the store. A
//! restart with `--data-file` finds the stored connection and reuses it; the in-process vault
//! forgets everything, so the secret is written again at every start.

use crate::runner::RunnerError;
use paypal_sandbox::{CompanySeed, Sandbox, SandboxConfig};
use secrecy::SecretString;
use shared::api::routes::connections::connection_secret_id;
use shared::domain::{
    ClientCredentials, Connection, ConnectionId, ConnectionSettings, ConnectionStatus,
    CorrelationStatus, PaypalEnvironment, Platform, SyncRun, SyncStatus, TenantId,
};
use shared::ports::{
    ConnectionStore, CorrelationStore, PageRequest, PayerStore, SecretVault, StoreError, VaultError,
};
use shared::sources::paypal::PaypalSources;
use shared::store::MemoryStore;
use shared::vault::InProcessVault;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The label the demo's connection shows on the Sources page.
const LABEL: &str = "Demo PayPal account (simulator)";
/// Payer emails are hashed with one key for the whole install so hashes compare across connections
/// and restarts; a local demo holds no real emails, so a fixed key is enough here.
const EMAIL_HASH_KEY: &[u8] = b"connected-insights-local-email-hash";
/// Companies the simulator makes up when no HubSpot sandbox runs beside it (`--paypal` with a real
/// portal): its payers then match nothing, but the connection, its sync and its data are real.
const SYNTHETIC_COMPANIES: usize = 40;
/// Pages read at most when counting for the start-up summary (200 rows each).
const MAX_COUNT_PAGES: usize = 500;

/// The running simulator, the demo tenant's connection to it, and the factory that reaches it.
pub struct PaypalDemo {
    pub sandbox: Sandbox,
    pub connection_id: ConnectionId,
    pub sources: Arc<PaypalSources>,
}

/// Starts the simulator with the companies of `hubspot` (or made-up ones without it).
pub async fn start_sandbox(
    seed: u64,
    hubspot: Option<&hubspot_sandbox::Sandbox>,
) -> Result<Sandbox, RunnerError> {
    let companies = match hubspot {
        Some(hubspot) => company_seeds(hubspot),
        None => CompanySeed::synthetic(SYNTHETIC_COMPANIES),
    };
    Sandbox::start(SandboxConfig::for_companies(seed, companies))
        .await
        .map_err(|e| RunnerError::PaypalSandbox(e.to_string()))
}

/// The HubSpot sandbox's live companies as the simulator's seeds (id, name, domain).
fn company_seeds(hubspot: &hubspot_sandbox::Sandbox) -> Vec<CompanySeed> {
    hubspot
        .records("companies")
        .into_iter()
        .map(|record| CompanySeed {
            name: record
                .properties
                .get("name")
                .cloned()
                .flatten()
                .unwrap_or_default(),
            domain: record.properties.get("domain").cloned().flatten(),
            hubspot_id: record.id,
        })
        .collect()
}

/// Makes sure `tenant_id` has its PayPal connection to `sandbox`, with the sandbox's credentials in
/// the vault, and returns the demo (the factory pointed at the sandbox).
pub async fn connect(
    store: &MemoryStore,
    vault: Arc<InProcessVault>,
    tenant_id: &TenantId,
    secret_prefix: &str,
    sandbox: Sandbox,
    http: reqwest::Client,
) -> Result<PaypalDemo, RunnerError> {
    let now = chrono::Utc::now();
    let settings = ConnectionSettings::Paypal {
        environment: PaypalEnvironment::Sandbox,
        webhook_id: Some(sandbox.webhook_id()),
    };
    let stored = store
        .list_connections(tenant_id)
        .await?
        .into_iter()
        .find(is_demo_connection);
    let id = match &stored {
        Some(connection) => connection.id.clone(),
        None => new_connection_id()?,
    };
    let secret_id = connection_secret_id(secret_prefix, tenant_id, &id);
    let credentials = ClientCredentials {
        client_id: sandbox.client_id(),
        client_secret: sandbox.client_secret(),
        webhook_secret: None,
    };
    let secret = serde_json::to_string(&credentials)
        .map(SecretString::from)
        .map_err(|e| RunnerError::PaypalSandbox(format!("the credentials: {e}")))?;
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
            // The simulator is new at every start: its credentials and webhook id were given now.
            connection.credentials_secret_id = secret_id;
            connection.settings = settings;
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
                    platform: Platform::Paypal,
                    label: LABEL.to_owned(),
                    status: ConnectionStatus::Active,
                    status_reason: None,
                    credentials_secret_id: secret_id,
                    settings,
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
    let sources = PaypalSources::new(http, vault, EMAIL_HASH_KEY).with_base_url(sandbox.base_url());
    Ok(PaypalDemo {
        sandbox,
        connection_id: id,
        sources: Arc::new(sources),
    })
}

/// The connection a previous run created: a PayPal sandbox connection with the demo's label (one a
/// person added through the API to a real PayPal sandbox account is left alone).
fn is_demo_connection(connection: &Connection) -> bool {
    connection.platform == Platform::Paypal
        && connection.label == LABEL
        && matches!(
            connection.settings,
            ConnectionSettings::Paypal {
                environment: PaypalEnvironment::Sandbox,
                ..
            }
        )
}

/// `paypal-<8 hex>`, the shape the connections API gives.
fn new_connection_id() -> Result<ConnectionId, RunnerError> {
    let random = uuid::Uuid::new_v4().simple().to_string();
    ConnectionId::parse(format!("{}-{}", Platform::Paypal, &random[..8]))
        .map_err(|e| RunnerError::PaypalSandbox(e.to_string()))
}

/// What the start-up summary says about PayPal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaypalSummary {
    pub payers: usize,
    pub linked: usize,
    pub needs_review: usize,
}

impl std::fmt::Display for PaypalSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PayPal (simulator): {} payers found; {} matched to clients, {} wait for review.",
            self.payers, self.linked, self.needs_review
        )
    }
}

/// Counts the connection's payers and the tenant's correlations by status.
pub async fn summary(
    store: &MemoryStore,
    tenant_id: &TenantId,
    connection_id: &ConnectionId,
) -> Result<PaypalSummary, StoreError> {
    let mut payers = 0;
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    for _ in 0..MAX_COUNT_PAGES {
        let listed = store.list_payers(tenant_id, connection_id, &page).await?;
        payers += listed.items.len();
        match listed.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    let mut linked = 0;
    let mut needs_review = 0;
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    for _ in 0..MAX_COUNT_PAGES {
        let listed = store.list_correlations(tenant_id, None, &page).await?;
        for correlation in listed
            .items
            .iter()
            .filter(|c| &c.connection_id == connection_id)
        {
            if correlation.status.is_linked() {
                linked += 1;
            } else if correlation.status == CorrelationStatus::NeedsReview {
                needs_review += 1;
            }
        }
        match listed.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    Ok(PaypalSummary {
        payers,
        linked,
        needs_review,
    })
}

/// Tells the person at the terminal what the first PayPal sync found, once it and a scoring after
/// it (which runs the matching) are done.
pub struct FirstSyncReport {
    tenant_id: TenantId,
    connection_id: ConnectionId,
    synced: AtomicBool,
    reported: AtomicBool,
}

impl FirstSyncReport {
    pub fn new(tenant_id: TenantId, connection_id: ConnectionId) -> Self {
        Self {
            tenant_id,
            connection_id,
            synced: AtomicBool::new(false),
            reported: AtomicBool::new(false),
        }
    }

    /// Whether `run` is this connection's sync.
    pub fn is_ours(&self, run: &SyncRun) -> bool {
        run.connection_id.as_ref() == Some(&self.connection_id)
    }

    /// The connection's sync finished (a failure is told by the caller).
    pub fn synced(&self, run: &SyncRun) {
        if self.is_ours(run) && run.status != SyncStatus::Failed {
            self.synced.store(true, Ordering::SeqCst);
        }
    }

    /// A scoring finished: the first one after the PayPal sync prints the summary.
    pub async fn scored(&self, store: &MemoryStore) {
        if !self.synced.load(Ordering::SeqCst) || self.reported.swap(true, Ordering::SeqCst) {
            return;
        }
        match summary(store, &self.tenant_id, &self.connection_id).await {
            Ok(summary) => println!("{summary}"),
            Err(error) => eprintln!("Could not count the PayPal payers: {error}"),
        }
    }
}
