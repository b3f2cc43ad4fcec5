//! What every Pax8 source test shares: a simulator, a factory pointed at it, a saved connection
//! and a walk that merges its steps the way the sync does.

use chrono::{DateTime, Utc};
use pax8_sandbox::{Sandbox, SandboxConfig};
use secrecy::SecretString;
use shared::domain::{
    AccountRecord, ClientCredentials, Connection, ConnectionId, ConnectionSettings,
    ConnectionStatus, Platform, TenantId,
};
use shared::ports::source::{AccountsSource, FetchWindow, SourceError};
use shared::ports::SecretVault;
use shared::sources::pax8::{Pax8Sources, RetryPolicy};
use shared::vault::InProcessVault;
use std::collections::BTreeMap;
use std::sync::Arc;

pub const SECRET_ID: &str = "pax8/connection-1";
pub const WEBHOOK_SECRET: &str = "whsec-pax8-test-0123456789";

pub async fn sandbox(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("the simulator starts")
}

pub fn connection() -> Connection {
    let at = Utc::now();
    Connection {
        tenant_id: TenantId::parse("tenant-1").expect("tenant id"),
        id: ConnectionId::parse("pax8-1").expect("connection id"),
        platform: Platform::Pax8,
        label: "Pax8".into(),
        status: ConnectionStatus::Active,
        status_reason: None,
        credentials_secret_id: SECRET_ID.into(),
        settings: ConnectionSettings::Pax8,
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

/// A factory pointed at the simulator, unpaced, with quick retries, the connection's secret saved.
pub async fn factory(sandbox: &Sandbox, retries: usize) -> Pax8Sources {
    let vault = InProcessVault::new();
    let secret = serde_json::to_string(&credentials(sandbox)).expect("credentials encode");
    vault
        .create(SECRET_ID, &SecretString::from(secret))
        .await
        .expect("secret stored");
    Pax8Sources::new(reqwest::Client::new(), Arc::new(vault))
        .with_base_url(sandbox.base_url())
        .with_retry(RetryPolicy::fast(retries))
        .with_pacing(None)
}

/// The result of a walk: accounts by external id, merged like the sync merges, and the steps.
pub struct Walked {
    pub accounts: BTreeMap<String, AccountRecord>,
    pub steps: usize,
}

/// Runs a walk from `cursor` to its end (at most `max_steps` steps), stamping and merging.
pub async fn walk_from(
    source: &dyn AccountsSource,
    window: FetchWindow,
    mut cursor: Option<String>,
    mut accounts: BTreeMap<String, AccountRecord>,
    max_steps: usize,
) -> Result<(Walked, Option<String>), SourceError> {
    let mut steps = 0;
    loop {
        let page = source.fetch_step(window, cursor.as_deref()).await?;
        steps += 1;
        let seen: DateTime<Utc> = Utc::now();
        for mut record in page.accounts {
            record.stamp_seen(seen);
            match accounts.get_mut(&record.external_id) {
                Some(stored) => stored.merge(record),
                None => {
                    accounts.insert(record.external_id.clone(), record);
                }
            }
        }
        assert_ne!(page.next_cursor, cursor, "a cursor never repeats");
        cursor = page.next_cursor;
        if cursor.is_none() || steps >= max_steps {
            return Ok((Walked { accounts, steps }, cursor));
        }
    }
}

pub async fn walk(source: &dyn AccountsSource, window: FetchWindow) -> Result<Walked, SourceError> {
    walk_from(source, window, None, BTreeMap::new(), 10_000)
        .await
        .map(|(walked, _)| walked)
}
