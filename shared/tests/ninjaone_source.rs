//! The NinjaOne source against the NinjaOne simulator (tools/ninjaone-sandbox): a full walk checked
//! against the simulator's ground truth, continuation by cursor, targeted reads, every failure mode
//! (early token expiry, revocation, refused credentials, 429, 5xx, bounded retries), webhook
//! registration and verification, and secrets kept out of Debug and logs.

mod ninjaone_source {
    pub mod failures;
    pub mod walk;
    pub mod webhooks;
}

use chrono::Utc;
use ninjaone_sandbox::{CompanySeed, Sandbox, SandboxConfig};
use secrecy::SecretString;
use shared::domain::{
    AccountRecord, AccountSignals, ClientCredentials, Connection, ConnectionId, ConnectionSettings,
    ConnectionStatus, ItManagement, NinjaoneRegion, Platform, TenantId,
};
use shared::ports::source::{AccountsSource, FetchWindow, SourceError};
use shared::ports::SecretVault;
use shared::sources::ninjaone::{NinjaoneSettings, NinjaoneSource, NinjaoneSources};
use shared::sources::paypal::RetryPolicy;
use shared::vault::InProcessVault;
use std::collections::BTreeMap;
use std::sync::Arc;

pub const SECRET_ID: &str = "ninjaone/connection-1";
pub const WEBHOOK_SECRET: &str = "whsec-ninja-7f3a9c";

pub async fn sandbox(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("the simulator starts")
}

pub fn small_config() -> SandboxConfig {
    SandboxConfig::for_companies(11, CompanySeed::synthetic(24))
}

pub fn connection() -> Connection {
    let at = Utc::now();
    Connection {
        tenant_id: TenantId::parse("tenant-1").expect("tenant id"),
        id: ConnectionId::parse("ninjaone-1").expect("connection id"),
        platform: Platform::Ninjaone,
        label: "NinjaOne".into(),
        status: ConnectionStatus::Active,
        status_reason: None,
        credentials_secret_id: SECRET_ID.into(),
        settings: ConnectionSettings::Ninjaone {
            region: NinjaoneRegion::Eu,
        },
        connected_at: at,
        last_sync_at: None,
        last_full_sync_at: None,
        created_at: at,
        updated_at: at,
        version: 0,
    }
}

pub fn credentials(sandbox: &Sandbox) -> ClientCredentials {
    ClientCredentials {
        client_id: sandbox.client_id(),
        client_secret: sandbox.client_secret(),
        webhook_secret: Some(WEBHOOK_SECRET.to_owned()),
    }
}

/// A factory pointed at the simulator, on its clock, unpaced, with quick retries.
pub async fn factory_with(
    sandbox: &Sandbox,
    settings: NinjaoneSettings,
    retries: usize,
) -> NinjaoneSources {
    let vault = InProcessVault::new();
    let secret = serde_json::to_string(&credentials(sandbox)).expect("json");
    vault
        .create(SECRET_ID, &SecretString::from(secret))
        .await
        .expect("secret stored");
    let clock = sandbox.clone();
    NinjaoneSources::new(reqwest::Client::new(), Arc::new(vault))
        .with_base_url(sandbox.base_url())
        .with_settings(settings)
        .with_retry(RetryPolicy::fast(retries))
        .with_pacing(None)
        .with_clock(Arc::new(move || clock.now()))
}

pub async fn source_with(sandbox: &Sandbox, settings: NinjaoneSettings) -> NinjaoneSource {
    factory_with(sandbox, settings, 4)
        .await
        .source(&connection())
        .await
        .expect("a source")
}

pub async fn source(sandbox: &Sandbox) -> NinjaoneSource {
    source_with(sandbox, NinjaoneSettings::default()).await
}

/// Walks from `cursor` for at most `max_steps` steps, stamping and merging each step's records as
/// the sync does; returns where it stopped (`None`: done).
pub async fn walk(
    source: &dyn AccountsSource,
    mut cursor: Option<String>,
    max_steps: usize,
    accounts: &mut BTreeMap<String, AccountRecord>,
) -> Result<Option<String>, SourceError> {
    for _ in 0..max_steps {
        let page = source
            .fetch_step(FetchWindow::All, cursor.as_deref())
            .await?;
        for mut record in page.accounts {
            record.stamp_seen(Utc::now());
            match accounts.get_mut(&record.external_id) {
                Some(stored) => stored.merge(record),
                None => {
                    accounts.insert(record.external_id.clone(), record);
                }
            }
        }
        cursor = page.next_cursor;
        if cursor.is_none() {
            return Ok(None);
        }
    }
    Ok(cursor)
}

pub async fn full_walk(source: &dyn AccountsSource) -> BTreeMap<String, AccountRecord> {
    let mut accounts = BTreeMap::new();
    let rest = walk(source, None, 1_000, &mut accounts)
        .await
        .expect("the walk completes");
    assert!(rest.is_none(), "the walk ends");
    accounts
}

pub fn it(record: &AccountRecord) -> &ItManagement {
    match &record.signals {
        AccountSignals::ItManagement(it) => it,
        other => panic!("a NinjaOne account holds IT management signals, not {other:?}"),
    }
}

/// What a record says, without the times a walk stamps: for comparing two walks.
pub fn projection(record: &AccountRecord) -> String {
    let it = it(record);
    let mut devices: Vec<String> = it
        .devices
        .iter()
        .map(|d| {
            format!(
                "{}:{:?}:{}:{:?}:{}:{}",
                d.id, d.serial, d.offline, d.health, d.failed_patches, d.antivirus_problem
            )
        })
        .collect();
    devices.sort();
    let mut alerts: Vec<String> = it
        .alerts
        .iter()
        .map(|a| format!("{}:{:?}", a.id, a.severity))
        .collect();
    alerts.sort();
    let mut tickets: Vec<String> = it
        .tickets
        .iter()
        .map(|t| format!("{}:{}", t.id, t.open))
        .collect();
    tickets.sort();
    let mut serials = record.identity.device_serials.clone();
    serials.sort();
    format!(
        "{}|{}|{:?}|{:?}|{:?}|{devices:?}|{alerts:?}|{tickets:?}|{}",
        record.external_id,
        record.name,
        record.identity.reference_ids,
        record.identity.email_domains,
        serials,
        it.ticketing
    )
}
