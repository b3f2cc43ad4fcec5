//! A scripted accounts source (NinjaOne-like) for the connection sync tests: steps served from a
//! script the test may change between walks (with an optional delay, a refused credential or a
//! stalled cursor at a given step), and accounts fetched whole for webhook requests. The real
//! sources and their simulators are tested in their own files.
#![allow(dead_code)]

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use shared::domain::{
    AccountIdentity, AccountRecord, AccountSignals, ClientCredentials, Connection, ConnectionId,
    ConnectionSettings, ConnectionStatus, ItManagement, ManagedDevice, NinjaoneRegion, Platform,
    TenantId,
};
use shared::ports::source::{
    AccountsPage, AccountsSource, AccountsSourceFactory, FetchWindow, SourceError,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const NINJAONE: &str = "ninjaone-1";

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 9, 0, 0).unwrap()
}

/// An active NinjaOne connection of `tenant`, connected on 1 November.
pub fn ninjaone_connection(tenant: &str, id: &str, status: ConnectionStatus) -> Connection {
    Connection {
        tenant_id: TenantId::parse(tenant).unwrap(),
        id: ConnectionId::parse(id).unwrap(),
        platform: Platform::Ninjaone,
        label: format!("NinjaOne {id}"),
        status,
        status_reason: None,
        credentials_secret_id: format!("ci/{tenant}/{id}"),
        settings: ConnectionSettings::Ninjaone {
            region: NinjaoneRegion::Eu,
        },
        connected_at: at(1),
        last_sync_at: None,
        last_full_sync_at: None,
        created_at: at(1),
        updated_at: at(1),
        version: 0,
    }
}

pub fn device(id: &str) -> ManagedDevice {
    ManagedDevice {
        id: id.into(),
        serial: Some(format!("SN-{id}").to_uppercase()),
        offline: false,
        last_contact: None,
        health: None,
        failed_patches: 0,
        antivirus_problem: false,
        // The sync stamps rows itself: a source's own time must not matter.
        seen_at: at(1),
    }
}

/// What a step showed of organisation `org` of [`NINJAONE`]: the given devices.
pub fn org(org: &str, devices: &[&str]) -> AccountRecord {
    AccountRecord {
        connection_id: ConnectionId::parse(NINJAONE).unwrap(),
        platform: Platform::Ninjaone,
        external_id: org.into(),
        name: format!("Organisation {org}"),
        identity: AccountIdentity::default(),
        signals: AccountSignals::ItManagement(ItManagement {
            devices: devices.iter().map(|id| device(id)).collect(),
            ..ItManagement::default()
        }),
        seen_at: at(1),
        updated_at: at(1),
    }
}

/// The ids of an organisation's devices, sorted.
pub fn device_ids(account: &AccountRecord) -> Vec<String> {
    let AccountSignals::ItManagement(it) = &account.signals else {
        panic!("not a NinjaOne organisation: {account:?}");
    };
    let mut ids: Vec<String> = it.devices.iter().map(|d| d.id.clone()).collect();
    ids.sort();
    ids
}

/// What goes wrong, and where.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Every step takes this long.
    pub step_delay: Duration,
    /// The step at this index finds the credentials refused.
    pub reauth_at: Option<usize>,
    /// The step at this index answers with its own cursor.
    pub stall_at: Option<usize>,
}

/// The scripted source: step `i` is reached with cursor `step-i` (`None` for step 0).
pub struct ScriptedAccounts {
    /// The steps of the next walk (a test changes them to make the platform change).
    pub steps: Mutex<Vec<Vec<AccountRecord>>>,
    pub faults: Faults,
    requests: AtomicU64,
    /// Every (window, cursor) asked for, in order.
    pub asked: Mutex<Vec<(FetchWindow, Option<String>)>>,
    /// Accounts fetched whole by id (webhook requests).
    pub by_id: Mutex<HashMap<String, AccountRecord>>,
    pub ids_asked: Mutex<Vec<String>>,
}

impl ScriptedAccounts {
    pub fn new(steps: Vec<Vec<AccountRecord>>, faults: Faults) -> Self {
        ScriptedAccounts {
            steps: Mutex::new(steps),
            faults,
            requests: AtomicU64::new(0),
            asked: Mutex::new(Vec::new()),
            by_id: Mutex::new(HashMap::new()),
            ids_asked: Mutex::new(Vec::new()),
        }
    }

    pub fn cursors_asked(&self) -> Vec<Option<String>> {
        self.asked
            .lock()
            .unwrap()
            .iter()
            .map(|(_, c)| c.clone())
            .collect()
    }

    pub fn windows_asked(&self) -> Vec<FetchWindow> {
        self.asked.lock().unwrap().iter().map(|(w, _)| *w).collect()
    }
}

fn step_index(cursor: Option<&str>) -> Result<usize, SourceError> {
    match cursor {
        None => Ok(0),
        Some(c) => c
            .strip_prefix("step-")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| SourceError::InvalidCursor(c.to_string())),
    }
}

#[async_trait]
impl AccountsSource for ScriptedAccounts {
    fn platform(&self) -> Platform {
        Platform::Ninjaone
    }

    async fn fetch_step(
        &self,
        window: FetchWindow,
        cursor: Option<&str>,
    ) -> Result<AccountsPage, SourceError> {
        self.asked
            .lock()
            .unwrap()
            .push((window, cursor.map(str::to_owned)));
        self.requests.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.faults.step_delay).await;
        let index = step_index(cursor)?;
        if self.faults.reauth_at == Some(index) {
            return Err(SourceError::NeedsReauth {
                reason: "invalid_client: the client credentials were refused".into(),
            });
        }
        let steps = self.steps.lock().unwrap().clone();
        let accounts = steps.get(index).cloned().unwrap_or_default();
        let next_cursor = if self.faults.stall_at == Some(index) {
            cursor.map(str::to_owned).or(Some("step-0".into()))
        } else {
            (index + 1 < steps.len()).then(|| format!("step-{}", index + 1))
        };
        Ok(AccountsPage {
            accounts,
            next_cursor,
        })
    }

    async fn fetch_accounts(
        &self,
        external_ids: &[String],
    ) -> Result<Vec<AccountRecord>, SourceError> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        self.ids_asked
            .lock()
            .unwrap()
            .extend(external_ids.iter().cloned());
        let by_id = self.by_id.lock().unwrap();
        Ok(external_ids
            .iter()
            .filter_map(|id| by_id.get(id).cloned())
            .collect())
    }

    fn requests_made(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Hands out the one scripted source, as NinjaOne's factory.
pub struct ScriptedAccountsFactory {
    pub source: Arc<ScriptedAccounts>,
}

impl ScriptedAccountsFactory {
    pub fn new(source: ScriptedAccounts) -> Arc<Self> {
        Arc::new(ScriptedAccountsFactory {
            source: Arc::new(source),
        })
    }
}

#[async_trait]
impl AccountsSourceFactory for ScriptedAccountsFactory {
    fn platform(&self) -> Platform {
        Platform::Ninjaone
    }

    async fn check_credentials(
        &self,
        _: &ConnectionSettings,
        _: &ClientCredentials,
    ) -> Result<(), SourceError> {
        Ok(())
    }

    async fn accounts_source(
        &self,
        _: &Connection,
    ) -> Result<Arc<dyn AccountsSource>, SourceError> {
        Ok(self.source.clone())
    }
}
