//! A scripted accounts source (NinjaOne-like) for the connection sync tests: steps served from a
//! script the test may change between walks (the payments source's [`ScriptedSteps`]), and accounts
//! fetched whole for webhook requests. Needs `payments_support` beside it. The real
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

pub use crate::payments_support::steps::Faults;
use crate::payments_support::steps::ScriptedSteps;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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
        webhook_registered: None,
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

/// The scripted source: its walk is [`ScriptedSteps`]'s.
pub struct ScriptedAccounts {
    pub walk: ScriptedSteps<AccountRecord>,
    /// Accounts fetched whole by id (webhook requests).
    pub by_id: Mutex<HashMap<String, AccountRecord>>,
    pub ids_asked: Mutex<Vec<String>>,
}

impl ScriptedAccounts {
    pub fn new(steps: Vec<Vec<AccountRecord>>, faults: Faults) -> Self {
        ScriptedAccounts {
            walk: ScriptedSteps::new(steps, faults),
            by_id: Mutex::new(HashMap::new()),
            ids_asked: Mutex::new(Vec::new()),
        }
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
        let (accounts, next_cursor) = self.walk.step(window, cursor).await?;
        Ok(AccountsPage {
            accounts,
            next_cursor,
        })
    }

    async fn fetch_accounts(
        &self,
        external_ids: &[String],
    ) -> Result<Vec<AccountRecord>, SourceError> {
        self.walk.count_request();
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
        self.walk.requests()
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
