//! The sync of an account-like connection (NinjaOne here; Pax8 and Microsoft 365 take the same path)
//! on the in-process store and bus, against a scripted accounts source: steps stamped and merged
//! into stored accounts, a completed walk sweeping the rows and accounts it no longer saw (never
//! those seen earlier in the same run, across continuations), webhooks merging without sweeping,
//! a refused credential recorded on the connection only, every walk bounded, and a platform the
//! function was not built with refused as not configured.

use crate::accounts_support::*;
use crate::payments_support::{seeded_store, tenant_id};
use chrono::Utc;
use shared::bus::InProcessBus;
use shared::connector::NoProgress;
use shared::domain::{
    AccountRecord, ConnectionStatus, SyncMode, SyncRun, SyncStatus, SyncTrigger, TenantStatus,
};
use shared::events::{ProductEvent, SyncRequested};
use shared::handlers::route::{route_sync, FunctionError, Handled, Handlers, Trigger};
use shared::handlers::sync::SyncHandlerError;
use shared::ports::source::{AccountsSourceFactory, FetchWindow};
use shared::ports::{
    AccountStore, ConnectionSources, ConnectionStore, PageRequest, SyncStore, TenantStore,
};
use shared::store::MemoryStore;
use std::sync::Arc;
use std::time::{Duration, Instant};
use test_support::fixtures::sync_requests;

struct World {
    store: Arc<MemoryStore>,
    bus: InProcessBus,
    factory: Arc<ScriptedAccountsFactory>,
}

impl World {
    /// The tenant `acme` with its PayPal connection and an active NinjaOne connection [`NINJAONE`].
    async fn new(source: ScriptedAccounts) -> World {
        let store = Arc::new(seeded_store().await);
        store
            .create_connection(&ninjaone_connection(
                "acme",
                NINJAONE,
                ConnectionStatus::Active,
            ))
            .await
            .unwrap();
        World {
            store,
            bus: InProcessBus::new(),
            factory: ScriptedAccountsFactory::new(source),
        }
    }

    fn sources(&self) -> ConnectionSources {
        ConnectionSources::new()
            .with_accounts(self.factory.clone() as Arc<dyn AccountsSourceFactory>)
    }

    async fn route(
        &self,
        sources: &ConnectionSources,
        request: SyncRequested,
        deadline: Instant,
    ) -> Result<Handled, FunctionError> {
        let handlers = Handlers {
            store: &self.store,
            bus: &self.bus,
            sources: None,
            connections: sources,
        };
        route_sync(
            &handlers,
            Trigger::SyncRequested(request),
            deadline,
            &NoProgress,
        )
        .await
    }

    async fn sync(&self, request: SyncRequested, deadline: Instant) -> SyncRun {
        match self.route(&self.sources(), request, deadline).await {
            Ok(Handled::Synced(run)) => run,
            other => panic!("expected a sync, got {other:?}"),
        }
    }

    /// The stored organisations, by id.
    async fn accounts(&self) -> Vec<AccountRecord> {
        let mut accounts = self
            .store
            .list_accounts(&tenant_id("acme"), &ninjaone_id(), &PageRequest::first(100))
            .await
            .unwrap()
            .items;
        accounts.sort_by(|a, b| a.external_id.cmp(&b.external_id));
        accounts
    }

    async fn devices_of(&self, org: &str) -> Vec<String> {
        let accounts = self.accounts().await;
        let account = accounts
            .iter()
            .find(|a| a.external_id == org)
            .unwrap_or_else(|| panic!("organisation {org} is not stored"));
        device_ids(account)
    }

    async fn connection(&self) -> shared::domain::Connection {
        self.store
            .get_connection(&tenant_id("acme"), &ninjaone_id())
            .await
            .unwrap()
    }

    fn synced_events(&self) -> usize {
        self.bus
            .published()
            .iter()
            .filter(|d| matches!(d.event(), Ok(ProductEvent::TenantSynced(_))))
            .count()
    }
}

fn ninjaone_id() -> shared::domain::ConnectionId {
    shared::domain::ConnectionId::parse(NINJAONE).unwrap()
}

fn scheduled(mode: SyncMode) -> SyncRequested {
    SyncRequested::tenant(tenant_id("acme"), mode, SyncTrigger::Schedule, Utc::now())
        .on_connection(ninjaone_id())
}

fn far_deadline() -> Instant {
    Instant::now() + Duration::from_secs(600)
}

/// Organisation 1's devices come in two steps (a page of devices spans organisations); organisation
/// 2 has one device.
fn two_orgs() -> Vec<Vec<AccountRecord>> {
    vec![
        vec![org("1", &["a"])],
        vec![org("1", &["b"]), org("2", &["c"])],
    ]
}

#[tokio::test]
async fn a_full_walk_merges_every_step_and_records_the_connection() {
    let world = World::new(ScriptedAccounts::new(two_orgs(), Faults::default())).await;

    let run = world
        .sync(scheduled(SyncMode::Incremental), far_deadline())
        .await;

    assert_eq!(run.status, SyncStatus::Succeeded, "{:?}", run.error);
    assert_eq!(run.mode, SyncMode::Full, "never fully synced: full");
    assert_eq!(run.connection_id, Some(ninjaone_id()));
    assert_eq!(world.factory.source.windows_asked()[0], FetchWindow::All);
    assert_eq!(world.devices_of("1").await, ["a", "b"]);
    assert_eq!(world.devices_of("2").await, ["c"]);
    for account in world.accounts().await {
        assert!(
            account.seen_at >= run.started_at,
            "stamped by the sync, not the source"
        );
    }
    let connection = world.connection().await;
    assert_eq!(connection.last_full_sync_at, Some(run.started_at));
    assert_eq!(world.synced_events(), 1, "matching and scoring run");
}

#[tokio::test]
async fn a_completed_walk_sweeps_a_device_and_deletes_an_organisation_it_no_longer_saw() {
    let world = World::new(ScriptedAccounts::new(two_orgs(), Faults::default())).await;
    world.sync(scheduled(SyncMode::Full), far_deadline()).await;

    // Device b left organisation 1; organisation 2 is gone from the platform.
    *world.factory.source.steps.lock().unwrap() = vec![vec![org("1", &["a"])]];
    let run = world
        .sync(scheduled(SyncMode::Incremental), far_deadline())
        .await;

    assert_eq!(run.status, SyncStatus::Succeeded, "{:?}", run.error);
    assert_eq!(run.mode, SyncMode::Incremental);
    let ids: Vec<String> = world
        .accounts()
        .await
        .into_iter()
        .map(|a| a.external_id)
        .collect();
    assert_eq!(ids, ["1"]);
    assert_eq!(world.devices_of("1").await, ["a"]);
    // The incremental walk still re-reads current state: its window starts at the last sync.
    assert!(matches!(
        world.factory.source.windows_asked().last(),
        Some(FetchWindow::ChangedBetween { .. })
    ));
}

#[tokio::test]
async fn a_walk_continued_across_the_deadline_keeps_its_start_and_sweeps_nothing_it_saw() {
    const STEPS: usize = 12;
    let slow = Faults {
        step_delay: Duration::from_millis(40),
        ..Faults::default()
    };
    // Step i shows device d<i> of organisation i % 3: every device is seen once, some early.
    let steps: Vec<Vec<AccountRecord>> = (0..STEPS)
        .map(|i| vec![org(&(i % 3).to_string(), &[&format!("d{i:02}")])])
        .collect();
    let world = World::new(ScriptedAccounts::new(steps, slow)).await;

    let mut request = scheduled(SyncMode::Full);
    let mut invocations = 0;
    let mut started_at = None;
    let run = loop {
        invocations += 1;
        assert!(invocations <= STEPS, "the chain of continuations must end");
        let run = world
            .sync(request.clone(), Instant::now() + Duration::from_millis(250))
            .await;
        assert_eq!(
            *started_at.get_or_insert(run.started_at),
            run.started_at,
            "a continuation keeps its run's start"
        );
        if run.status != SyncStatus::Continued {
            break run;
        }
        assert!(run.cursor.is_some(), "a continued run keeps its cursor");
        request = sync_requests(&world.bus).pop().unwrap();
    };
    assert_eq!(run.status, SyncStatus::Succeeded, "{:?}", run.error);
    assert!(invocations > 1, "the deadline cut the run at least once");

    let mut cursors = world.factory.source.cursors_asked();
    assert_eq!(cursors.len(), STEPS, "each step fetched once");
    cursors.dedup();
    assert_eq!(cursors.len(), STEPS);
    let mut devices: Vec<String> = Vec::new();
    for account in world.accounts().await {
        devices.extend(device_ids(&account));
    }
    devices.sort();
    let every: Vec<String> = (0..STEPS).map(|i| format!("d{i:02}")).collect();
    assert_eq!(devices, every, "nothing seen earlier in the run was swept");
    assert_eq!(world.synced_events(), 1, "one TenantSynced, at the end");
}

#[tokio::test]
async fn a_webhook_fetches_the_named_accounts_and_merges_without_sweeping() {
    let world = World::new(ScriptedAccounts::new(two_orgs(), Faults::default())).await;
    world.sync(scheduled(SyncMode::Full), far_deadline()).await;
    let walked = world.factory.source.cursors_asked().len();
    // The platform now shows organisation 1 with a new device only.
    world
        .factory
        .source
        .by_id
        .lock()
        .unwrap()
        .insert("1".into(), org("1", &["new"]));
    let request = SyncRequested::accounts(
        tenant_id("acme"),
        ninjaone_id(),
        vec!["1".into()],
        Utc::now(),
    );

    let run = world.sync(request, far_deadline()).await;

    assert_eq!(run.status, SyncStatus::Succeeded, "{:?}", run.error);
    assert_eq!(run.mode, SyncMode::Objects);
    assert_eq!(
        world.factory.source.cursors_asked().len(),
        walked,
        "no walk"
    );
    assert_eq!(*world.factory.source.ids_asked.lock().unwrap(), ["1"]);
    assert_eq!(
        world.devices_of("1").await,
        ["a", "b", "new"],
        "merged, nothing swept"
    );
    assert_eq!(world.devices_of("2").await, ["c"], "the others untouched");
}

#[tokio::test]
async fn a_refused_credential_marks_only_the_connection_needs_reauth() {
    let faults = Faults {
        reauth_at: Some(1),
        ..Faults::default()
    };
    let world = World::new(ScriptedAccounts::new(two_orgs(), faults)).await;

    let run = world.sync(scheduled(SyncMode::Full), far_deadline()).await;

    assert_eq!(run.status, SyncStatus::NeedsReauth);
    let connection = world.connection().await;
    assert_eq!(connection.status, ConnectionStatus::NeedsReauth);
    assert!(connection
        .status_reason
        .as_deref()
        .is_some_and(|r| r.contains("invalid_client")));
    let tenant = world.store.get_tenant(&tenant_id("acme")).await.unwrap();
    assert_eq!(tenant.status, TenantStatus::Active, "the tenant untouched");
    assert_eq!(tenant.status_reason, None);
    assert_eq!(world.synced_events(), 0);
    // What the first step saw is kept; nothing is swept by a walk that did not complete.
    assert_eq!(world.devices_of("1").await, ["a"]);
}

#[tokio::test]
async fn a_repeating_cursor_stops_the_walk_with_a_clear_error() {
    let faults = Faults {
        stall_at: Some(1),
        ..Faults::default()
    };
    let steps = (0..4)
        .map(|i| vec![org("1", &[&format!("d{i}")])])
        .collect();
    let world = World::new(ScriptedAccounts::new(steps, faults)).await;

    let run = world.sync(scheduled(SyncMode::Full), far_deadline()).await;

    assert_eq!(run.status, SyncStatus::Failed);
    let error = run.error.as_deref().unwrap_or_default();
    assert!(error.contains("no progress"), "{error}");
    assert_eq!(world.factory.source.cursors_asked().len(), 2);
    assert_eq!(world.connection().await.status, ConnectionStatus::Error);
}

#[tokio::test]
async fn a_platform_missing_from_the_sources_fails_its_run_as_not_configured() {
    let world = World::new(ScriptedAccounts::new(two_orgs(), Faults::default())).await;
    // Built with PayPal's factory only.
    let paypal = crate::payments_support::ScriptedFactory::new(
        crate::payments_support::ScriptedSource::new(Vec::new(), Default::default()),
    );
    let sources = ConnectionSources::new().with_payments(shared::domain::Platform::Paypal, paypal);

    let result = world
        .route(&sources, scheduled(SyncMode::Full), far_deadline())
        .await;

    match result {
        Err(FunctionError::Sync(error @ SyncHandlerError::NotConfigured(_))) => {
            assert!(!error.is_retryable());
            let message = error.to_string();
            assert!(
                message.contains("NinjaOne connections are not configured"),
                "{message}"
            );
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
    let runs = world
        .store
        .list_sync_runs(&tenant_id("acme"), &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(runs.items.len(), 1, "the failed run is recorded");
    assert_eq!(runs.items[0].status, SyncStatus::Failed);
    assert!(runs.items[0]
        .error
        .as_deref()
        .unwrap_or_default()
        .contains("not configured"));
    assert!(world.factory.source.cursors_asked().is_empty());
}
