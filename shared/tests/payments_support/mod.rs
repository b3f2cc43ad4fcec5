//! A scripted payments source for the sync and webhook tests: steps served from a script
//! ([`steps::ScriptedSteps`], which the scripted accounts source shares), webhooks "verified" by a
//! test header. The real PayPal client and its simulator are tested in their own files.
#![allow(dead_code)]

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use shared::bus::InProcessBus;
use shared::connector::NoProgress;
use shared::domain::SyncRun;
use shared::domain::{
    ClientCredentials, Connection, ConnectionId, ConnectionSettings, ConnectionStatus, Money,
    PayerRecord, Payment, PaymentKind, PaymentRef, PaymentStatus, PaypalEnvironment, Platform,
    TenantId, TenantStatus,
};
use shared::events::{ProductEvent, SyncRequested};
use shared::handlers::route::{route_sync, FunctionError, Handled, Handlers, Trigger};
use shared::ports::source::{
    FetchWindow, PaymentsPage, PaymentsSource, PaymentsSourceFactory, SourceError, VerifiedWebhook,
};
use shared::ports::{ConnectionSources, ConnectionStore, TenantStore};
use shared::store::MemoryStore;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use test_support::fixtures::tenant;

pub const CONNECTION: &str = "paypal-1";
/// The header the scripted platform "signs" with; `GOOD_SIGNATURE` verifies.
pub const SIGNATURE_HEADER: &str = "paypal-transmission-sig";
pub const GOOD_SIGNATURE: &str = "vouched-for";

pub fn tenant_id(id: &str) -> TenantId {
    TenantId::parse(id).unwrap()
}

pub fn connection_id(id: &str) -> ConnectionId {
    ConnectionId::parse(id).unwrap()
}

pub fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 9, 0, 0).unwrap()
}

/// An active PayPal connection of `tenant`, connected on 1 November.
pub fn paypal_connection(tenant: &str, id: &str, status: ConnectionStatus) -> Connection {
    Connection {
        tenant_id: tenant_id(tenant),
        id: connection_id(id),
        platform: Platform::Paypal,
        label: format!("PayPal {id}"),
        status,
        status_reason: None,
        credentials_secret_id: format!("ci/{tenant}/{id}"),
        settings: ConnectionSettings::Paypal {
            environment: PaypalEnvironment::Sandbox,
            webhook_id: Some("WH-1".into()),
        },
        connected_at: at(1),
        last_sync_at: None,
        last_full_sync_at: None,
        created_at: at(1),
        updated_at: at(1),
        webhook_registered: None,
        version: 0,
    }
}

/// A memory store holding the active tenant `acme` and its active connection [`CONNECTION`].
pub async fn seeded_store() -> MemoryStore {
    let store = MemoryStore::new();
    store
        .create_tenant(&tenant("acme", Some(101), TenantStatus::Active, at(1)))
        .await
        .unwrap();
    store
        .create_connection(&paypal_connection(
            "acme",
            CONNECTION,
            ConnectionStatus::Active,
        ))
        .await
        .unwrap();
    store
}

/// What payer `n` showed in one step: one payment with id `tx-<step>-<n>`.
pub fn payer_seen(connection: &str, n: u32, step: usize) -> PayerRecord {
    PayerRecord {
        connection_id: connection_id(connection),
        platform: Platform::Paypal,
        external_id: format!("payer-{n}"),
        name: Some(format!("Payer {n}")),
        business_name: None,
        email_hash: None,
        email_domain: Some(format!("client{n}.example")),
        reference_ids: vec![],
        payments: vec![Payment {
            id: format!("tx-{step}-{n}"),
            kind: PaymentKind::Payment,
            status: PaymentStatus::Success,
            amount: Money {
                value: 10.0 * f64::from(n + 1),
                currency: "USD".into(),
            },
            at: at(2),
        }],
        invoices: vec![],
        disputes: vec![],
        subscriptions: vec![],
        updated_at: at(2),
    }
}

/// `steps` steps; step `i` shows payers `i % 3` and `(i + 1) % 3` (so payers recur across steps and
/// merging matters).
pub fn script(steps: usize) -> Vec<Vec<PayerRecord>> {
    (0..steps)
        .map(|i| {
            let a = (i % 3) as u32;
            let b = ((i + 1) % 3) as u32;
            vec![payer_seen(CONNECTION, a, i), payer_seen(CONNECTION, b, i)]
        })
        .collect()
}

pub mod steps;
pub use steps::Faults;
use steps::ScriptedSteps;

/// The scripted source: its walk is [`ScriptedSteps`]'s.
pub struct ScriptedSource {
    pub walk: ScriptedSteps<PayerRecord>,
    pub refs_asked: Mutex<Vec<PaymentRef>>,
    /// Payers returned for refs, by payment ref.
    pub by_ref: HashMap<PaymentRef, PayerRecord>,
}

impl ScriptedSource {
    pub fn new(steps: Vec<Vec<PayerRecord>>, faults: Faults) -> Self {
        ScriptedSource {
            walk: ScriptedSteps::new(steps, faults),
            refs_asked: Mutex::new(Vec::new()),
            by_ref: HashMap::new(),
        }
    }

    pub fn cursors_asked(&self) -> Vec<Option<String>> {
        self.walk.cursors_asked()
    }

    pub fn windows_asked(&self) -> Vec<FetchWindow> {
        self.walk.windows_asked()
    }
}

#[async_trait]
impl PaymentsSource for ScriptedSource {
    fn platform(&self) -> Platform {
        Platform::Paypal
    }

    async fn fetch_step(
        &self,
        window: FetchWindow,
        cursor: Option<&str>,
    ) -> Result<PaymentsPage, SourceError> {
        let (payers, next_cursor) = self.walk.step(window, cursor).await?;
        Ok(PaymentsPage {
            payers,
            next_cursor,
        })
    }

    async fn fetch_refs(&self, refs: &[PaymentRef]) -> Result<Vec<PayerRecord>, SourceError> {
        self.walk.count_request();
        self.refs_asked.lock().unwrap().extend(refs.iter().cloned());
        Ok(refs
            .iter()
            .filter_map(|r| self.by_ref.get(r).cloned())
            .collect())
    }

    fn requests_made(&self) -> u64 {
        self.walk.requests()
    }
}

/// Hands out the one scripted source; verifies webhooks by [`SIGNATURE_HEADER`]. A verified body
/// is `{"id": .., "event_type": .., "resource": {"id": ..}}`; `INVOICING.*` events name an
/// invoice, `PAYMENT.*` a transaction.
pub struct ScriptedFactory {
    pub source: Arc<ScriptedSource>,
    pub verifications: AtomicU64,
}

impl ScriptedFactory {
    pub fn new(source: ScriptedSource) -> Arc<Self> {
        Arc::new(ScriptedFactory {
            source: Arc::new(source),
            verifications: AtomicU64::new(0),
        })
    }
}

#[async_trait]
impl PaymentsSourceFactory for ScriptedFactory {
    async fn check_credentials(
        &self,
        _: &ConnectionSettings,
        _: &ClientCredentials,
    ) -> Result<(), SourceError> {
        Ok(())
    }

    async fn payments_source(
        &self,
        _: &Connection,
    ) -> Result<Arc<dyn PaymentsSource>, SourceError> {
        Ok(self.source.clone())
    }

    async fn verify_webhook(
        &self,
        _: &Connection,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<VerifiedWebhook, SourceError> {
        self.verifications.fetch_add(1, Ordering::SeqCst);
        let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
        if signature != Some(GOOD_SIGNATURE) {
            return Err(SourceError::Rejected {
                status: 200,
                message: "verification_status FAILURE".into(),
            });
        }
        let event: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| SourceError::InvalidResponse(e.to_string()))?;
        let id = event["id"].as_str().unwrap_or_default().to_string();
        let event_type = event["event_type"].as_str().unwrap_or_default().to_string();
        let resource = event["resource"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let refs = if event_type.starts_with("INVOICING.") {
            vec![PaymentRef::Invoice(resource)]
        } else if event_type.starts_with("PAYMENT.") {
            vec![PaymentRef::Transaction(resource)]
        } else {
            vec![]
        };
        Ok(VerifiedWebhook {
            event_id: id,
            event_type,
            refs,
            account_ids: Vec::new(),
        })
    }
}

/// Routes `request` as the sync function does, built with `connections`.
pub async fn route_request(
    store: &Arc<MemoryStore>,
    bus: &InProcessBus,
    connections: &ConnectionSources,
    request: SyncRequested,
    deadline: Instant,
) -> Result<Handled, FunctionError> {
    let handlers = Handlers {
        store,
        bus,
        sources: None,
        connections,
        objects: None,
        erasure: None,
        schedule: shared::domain::schedule_slot::ScheduleTicks::EVERY_TICK,
    };
    route_sync(
        &handlers,
        Trigger::SyncRequested(request),
        deadline,
        &NoProgress,
    )
    .await
}

/// The run a routed request recorded; panics on anything else.
pub fn synced_run(handled: Result<Handled, FunctionError>) -> SyncRun {
    match handled {
        Ok(Handled::Synced(run)) => run,
        other => panic!("expected a sync, got {other:?}"),
    }
}

/// How many `TenantSynced` the bus carried.
pub fn tenant_synced_events(bus: &InProcessBus) -> usize {
    bus.published()
        .iter()
        .filter(|d| matches!(d.event(), Ok(ProductEvent::TenantSynced(_))))
        .count()
}
