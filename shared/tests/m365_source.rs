//! The Microsoft 365 source against the Microsoft Graph simulator (tools/m365-sandbox): walks
//! against the simulator's truth, the daily-not-hourly report rule, pacing under 14 report requests
//! per 10 minutes per tenant, token expiry and revoked consent, 429/503 with Retry-After.

mod m365_source {
    mod faults;
    mod pacing;
    mod walk;
}

use chrono::{DateTime, Utc};
use m365_sandbox::{CompanySeed, Sandbox, SandboxConfig};
use secrecy::SecretString;
use shared::domain::{
    AccountRecord, AccountSignals, ClientCredentials, Connection, ConnectionId, ConnectionSettings,
    ConnectionStatus, M365CustomerTenant, Platform, Productivity, TenantId,
};
use shared::ports::source::{AccountsSource, FetchWindow, SourceError};
use shared::ports::SecretVault;
use shared::sources::m365::{M365Source, M365Sources, PacingClock, RetryPolicy};
use shared::vault::InProcessVault;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET_ID: &str = "m365/connection-1";

pub async fn sandbox(seed: u64, companies: usize) -> Sandbox {
    Sandbox::start(SandboxConfig::for_companies(
        seed,
        CompanySeed::synthetic(companies),
    ))
    .await
    .expect("the simulator starts")
}

/// The simulator's clock: waiting moves it forward at once, and the waits are recorded.
pub struct SandboxClock {
    sandbox: Sandbox,
    pub slept: Mutex<Vec<Duration>>,
}

impl SandboxClock {
    pub fn total_slept(&self) -> Duration {
        self.slept
            .lock()
            .map(|s| s.iter().sum())
            .unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl PacingClock for SandboxClock {
    fn now(&self) -> DateTime<Utc> {
        self.sandbox.now()
    }

    async fn sleep(&self, duration: Duration) {
        if let Ok(mut slept) = self.slept.lock() {
            slept.push(duration);
        }
        self.sandbox.advance_clock(duration);
    }
}

pub fn connection(tenant_ids: &[String]) -> Connection {
    let at = Utc::now();
    Connection {
        tenant_id: TenantId::parse("tenant-1").expect("tenant id"),
        id: ConnectionId::parse("m365-1").expect("connection id"),
        platform: Platform::M365,
        label: "Microsoft 365".into(),
        status: ConnectionStatus::Active,
        status_reason: None,
        credentials_secret_id: SECRET_ID.into(),
        settings: ConnectionSettings::M365 {
            customer_tenants: tenant_ids
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
    }
}

pub fn credentials(sandbox: &Sandbox) -> ClientCredentials {
    ClientCredentials::new(sandbox.client_id(), sandbox.client_secret())
}

pub fn retry(longest_wait: Duration) -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        min_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(10),
        longest_wait,
    }
}

/// A factory on the simulator and its clock.
pub async fn factory(sandbox: &Sandbox, policy: RetryPolicy) -> (M365Sources, Arc<SandboxClock>) {
    let vault = InProcessVault::new();
    let secret = serde_json::to_string(&credentials(sandbox)).expect("json");
    vault
        .create(SECRET_ID, &SecretString::from(secret))
        .await
        .expect("secret stored");
    let clock = Arc::new(SandboxClock {
        sandbox: sandbox.clone(),
        slept: Mutex::new(Vec::new()),
    });
    let factory = M365Sources::new(reqwest::Client::new(), Arc::new(vault))
        .with_base_url(sandbox.base_url())
        .with_retry(policy)
        .with_clock(clock.clone());
    (factory, clock)
}

/// The source over every tenant of the simulator.
pub async fn source(sandbox: &Sandbox) -> (M365Source, Arc<SandboxClock>) {
    let (factory, clock) = factory(sandbox, retry(Duration::from_secs(60))).await;
    let source = factory
        .source(&connection(&sandbox.tenant_ids()))
        .await
        .expect("a source");
    (source, clock)
}

/// Every step of a walk, or the first error.
pub async fn walk(
    source: &M365Source,
    window: FetchWindow,
) -> Result<Vec<AccountRecord>, SourceError> {
    let mut records = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10_000 {
        let page = source.fetch_step(window, cursor.as_deref()).await?;
        assert!(page.accounts.len() <= 1, "one tenant a step");
        records.extend(page.accounts);
        match page.next_cursor {
            Some(next) => {
                assert_ne!(Some(&next), cursor.as_ref(), "the cursor moves");
                cursor = Some(next);
            }
            None => return Ok(records),
        }
    }
    panic!("the walk never ended");
}

pub fn productivity(record: &AccountRecord) -> &Productivity {
    match &record.signals {
        AccountSignals::Productivity(p) => p,
        other => panic!("not productivity: {other:?}"),
    }
}
