//! The sync of a payments connection on the in-process store and bus, against a scripted payments
//! source: steps merged into stored payers, a run cut off by the deadline resumed from its saved
//! cursor with the same result as one uninterrupted run, a refused credential recorded on the
//! connection only, and every walk bounded. The sync of account-like connections, on the same seam,
//! is in `payments_sync/accounts.rs`.

mod accounts_support;
mod payments_support;

use chrono::Utc;
use payments_support::*;
use shared::bus::InProcessBus;
use shared::connector::payments::merge_into_store;
use shared::connector::NoProgress;
use shared::domain::{
    ConnectionStatus, PayerRecord, PaymentRef, Platform, SyncMode, SyncRun, SyncStatus,
    SyncTrigger, TenantStatus,
};
use shared::events::{ProductEvent, SyncRequested};
use shared::handlers::route::{route_sync, FunctionError, Handled, Handlers, Trigger};
use shared::handlers::sync::SyncHandlerError;
use shared::ports::source::{FetchWindow, PaymentsSourceFactory};
use shared::ports::{
    ConnectionSources, ConnectionStore, Lease, PageRequest, PayerStore, SyncStore, TenantStore,
};
use shared::store::MemoryStore;
use std::sync::Arc;
use std::time::{Duration, Instant};
use test_support::fixtures::sync_requests;

struct World {
    store: Arc<MemoryStore>,
    bus: InProcessBus,
    factory: Arc<ScriptedFactory>,
}

impl World {
    async fn new(source: ScriptedSource) -> World {
        let store = Arc::new(seeded_store().await);
        World {
            store,
            bus: InProcessBus::new(),
            factory: ScriptedFactory::new(source),
        }
    }

    async fn route(
        &self,
        request: SyncRequested,
        deadline: Instant,
    ) -> Result<Handled, FunctionError> {
        let connections = ConnectionSources::new().with_payments(
            Platform::Paypal,
            self.factory.clone() as Arc<dyn PaymentsSourceFactory>,
        );
        let handlers = Handlers {
            store: &self.store,
            bus: &self.bus,
            sources: None,
            connections: &connections,
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
        match self.route(request, deadline).await {
            Ok(Handled::Synced(run)) => run,
            other => panic!("expected a sync, got {other:?}"),
        }
    }

    async fn payers(&self) -> Vec<PayerRecord> {
        self.store
            .list_payers(
                &tenant_id("acme"),
                &connection_id(CONNECTION),
                &PageRequest::first(100),
            )
            .await
            .unwrap()
            .items
    }

    async fn connection(&self) -> shared::domain::Connection {
        self.store
            .get_connection(&tenant_id("acme"), &connection_id(CONNECTION))
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

fn scheduled(mode: SyncMode) -> SyncRequested {
    SyncRequested::tenant(tenant_id("acme"), mode, SyncTrigger::Schedule, Utc::now())
        .on_connection(connection_id(CONNECTION))
}

fn far_deadline() -> Instant {
    Instant::now() + Duration::from_secs(600)
}

/// Payers in a comparable form: ordered, and each one's payments ordered by id.
fn normalised(mut payers: Vec<PayerRecord>) -> Vec<PayerRecord> {
    payers.sort_by(|a, b| a.external_id.cmp(&b.external_id));
    for payer in &mut payers {
        payer.payments.sort_by(|a, b| a.id.cmp(&b.id));
    }
    payers
}

#[tokio::test]
async fn a_first_sync_is_full_merges_every_step_and_records_the_connection_not_the_tenant() {
    let world = World::new(ScriptedSource::new(script(5), Faults::default())).await;
    let before = world.store.get_tenant(&tenant_id("acme")).await.unwrap();

    let run = world
        .sync(scheduled(SyncMode::Incremental), far_deadline())
        .await;

    assert_eq!(run.status, SyncStatus::Succeeded, "{:?}", run.error);
    assert_eq!(run.mode, SyncMode::Full, "never fully synced: full");
    assert_eq!(run.connection_id, Some(connection_id(CONNECTION)));
    assert_eq!(run.cursor, None);
    assert_eq!(world.factory.source.windows_asked()[0], FetchWindow::All);
    let payers = world.payers().await;
    assert_eq!(payers.len(), 3);
    // Payer 1 shows in steps 0, 1 (as b and a) and 3, 4: every step's payment is kept.
    let payer_1 = payers.iter().find(|p| p.external_id == "payer-1").unwrap();
    assert_eq!(payer_1.payments.len(), 4);
    let connection = world.connection().await;
    assert_eq!(connection.last_full_sync_at, Some(run.started_at));
    assert_eq!(connection.last_sync_at, Some(run.started_at));
    assert_eq!(world.synced_events(), 1, "scoring runs");
    let stored = world
        .store
        .get_sync_run(&tenant_id("acme"), &run.sync_id)
        .await
        .unwrap();
    assert_eq!(stored.connection_id, Some(connection_id(CONNECTION)));
    let after = world.store.get_tenant(&tenant_id("acme")).await.unwrap();
    assert_eq!(
        after.last_full_sync_at, before.last_full_sync_at,
        "HubSpot's record untouched"
    );
}

#[tokio::test]
async fn the_next_sync_is_incremental_from_the_last_sync() {
    let world = World::new(ScriptedSource::new(script(2), Faults::default())).await;
    let first = world
        .sync(scheduled(SyncMode::Incremental), far_deadline())
        .await;
    let second = world
        .sync(scheduled(SyncMode::Incremental), far_deadline())
        .await;

    assert_eq!(second.mode, SyncMode::Incremental);
    let windows = world.factory.source.windows_asked();
    assert_eq!(
        windows.last(),
        Some(&FetchWindow::ChangedBetween {
            since: first.started_at,
            until: second.started_at,
        })
    );
    assert_eq!(
        world.connection().await.last_sync_at,
        Some(second.started_at)
    );
    assert_eq!(
        world.connection().await.last_full_sync_at,
        Some(first.started_at)
    );
}

#[tokio::test]
async fn a_run_cut_off_by_the_deadline_resumes_from_its_cursor_and_ends_as_one_uninterrupted_run() {
    const STEPS: usize = 12;
    let slow = Faults {
        step_delay: Duration::from_millis(40),
        ..Faults::default()
    };
    let world = World::new(ScriptedSource::new(script(STEPS), slow)).await;

    // Each invocation has 250 ms (50 kept in reserve): a few steps, then a continuation.
    let mut request = scheduled(SyncMode::Full);
    let mut invocations = 0;
    let run = loop {
        invocations += 1;
        assert!(invocations <= STEPS, "the chain of continuations must end");
        let run = world
            .sync(request.clone(), Instant::now() + Duration::from_millis(250))
            .await;
        if run.status != SyncStatus::Continued {
            break run;
        }
        assert!(run.cursor.is_some(), "a continued run keeps its cursor");
        let continuation = sync_requests(&world.bus).pop().unwrap();
        assert_eq!(continuation.connection_id, Some(connection_id(CONNECTION)));
        assert_eq!(continuation.sync_id, Some(run.sync_id.clone()));
        request = continuation;
    };
    assert_eq!(run.status, SyncStatus::Succeeded, "{:?}", run.error);
    assert!(invocations > 1, "the deadline cut the run at least once");

    // Every step was fetched exactly once: each invocation began at the saved cursor.
    let mut cursors = world.factory.source.cursors_asked();
    assert_eq!(cursors.len(), STEPS);
    cursors.dedup();
    assert_eq!(cursors.len(), STEPS);

    let uninterrupted = World::new(ScriptedSource::new(script(STEPS), Faults::default())).await;
    uninterrupted
        .sync(scheduled(SyncMode::Full), far_deadline())
        .await;
    assert_eq!(
        normalised(world.payers().await),
        normalised(uninterrupted.payers().await)
    );
    assert_eq!(world.synced_events(), 1, "one TenantSynced, at the end");
}

#[tokio::test]
async fn a_repeated_step_changes_nothing() {
    let store = MemoryStore::new();
    let step = script(3).remove(1);
    let tenant = tenant_id("acme");
    let connection = connection_id(CONNECTION);

    let first = merge_into_store(&store, &tenant, &connection, step.clone())
        .await
        .unwrap();
    let stored = normalised(
        store
            .list_payers(&tenant, &connection, &PageRequest::first(10))
            .await
            .unwrap()
            .items,
    );
    let again = merge_into_store(&store, &tenant, &connection, step)
        .await
        .unwrap();

    assert_eq!(first.items_written, 2);
    assert_eq!(again.items_written, 0, "{again:?}");
    let after = normalised(
        store
            .list_payers(&tenant, &connection, &PageRequest::first(10))
            .await
            .unwrap()
            .items,
    );
    assert_eq!(after, stored);
}

#[tokio::test]
async fn a_refused_credential_marks_only_the_connection_needs_reauth() {
    let faults = Faults {
        reauth_at: Some(1),
        ..Faults::default()
    };
    let world = World::new(ScriptedSource::new(script(4), faults)).await;

    let run = world.sync(scheduled(SyncMode::Full), far_deadline()).await;

    assert_eq!(run.status, SyncStatus::NeedsReauth);
    let connection = world.connection().await;
    assert_eq!(connection.status, ConnectionStatus::NeedsReauth);
    assert!(connection
        .status_reason
        .as_deref()
        .is_some_and(|r| r.contains("invalid_client")));
    assert_eq!(connection.last_full_sync_at, None);
    let tenant = world.store.get_tenant(&tenant_id("acme")).await.unwrap();
    assert_eq!(
        tenant.status,
        TenantStatus::Active,
        "HubSpot status untouched"
    );
    assert_eq!(tenant.status_reason, None);
    assert_eq!(world.synced_events(), 0);

    // The schedule skips it now, and a request that still arrives fetches nothing.
    let asked = world.factory.source.cursors_asked().len();
    let again = world.sync(scheduled(SyncMode::Full), far_deadline()).await;
    assert_eq!(again.status, SyncStatus::Failed);
    assert_eq!(world.factory.source.cursors_asked().len(), asked);
}

#[tokio::test]
async fn a_walk_that_leads_back_to_its_own_step_stops_with_a_clear_error() {
    let faults = Faults {
        stall_at: Some(2),
        ..Faults::default()
    };
    let world = World::new(ScriptedSource::new(script(6), faults)).await;

    let run = world.sync(scheduled(SyncMode::Full), far_deadline()).await;

    assert_eq!(run.status, SyncStatus::Failed);
    assert!(
        run.error
            .as_deref()
            .unwrap_or_default()
            .contains("no progress"),
        "{:?}",
        run.error
    );
    assert_eq!(world.factory.source.cursors_asked().len(), 3);
    assert_eq!(world.connection().await.status, ConnectionStatus::Error);
}

#[tokio::test]
async fn an_invocation_with_no_time_for_a_step_fails_instead_of_continuing() {
    let world = World::new(ScriptedSource::new(script(3), Faults::default())).await;

    let run = world.sync(scheduled(SyncMode::Full), Instant::now()).await;

    assert_eq!(run.status, SyncStatus::Failed);
    assert!(run.error.as_deref().unwrap_or_default().contains("timeout"));
    assert!(sync_requests(&world.bus).is_empty(), "no continuation");
}

#[tokio::test]
async fn a_webhook_request_fetches_only_the_named_objects() {
    let mut source = ScriptedSource::new(script(3), Faults::default());
    let invoice = PaymentRef::Invoice("INV2-1".into());
    source
        .by_ref
        .insert(invoice.clone(), payer_seen(CONNECTION, 7, 99));
    let world = World::new(source).await;
    let request = SyncRequested::payments(
        tenant_id("acme"),
        connection_id(CONNECTION),
        vec![invoice.clone()],
        Utc::now(),
    );

    let run = world.sync(request, far_deadline()).await;

    assert_eq!(run.status, SyncStatus::Succeeded);
    assert_eq!(run.mode, SyncMode::Objects);
    assert!(world.factory.source.cursors_asked().is_empty(), "no walk");
    assert_eq!(
        *world.factory.source.refs_asked.lock().unwrap(),
        vec![invoice]
    );
    let payers = world.payers().await;
    assert_eq!(payers.len(), 1);
    assert_eq!(payers[0].external_id, "payer-7");
    // A targeted sync covers no window: the next scheduled one is still the first full one.
    assert_eq!(world.connection().await.last_sync_at, None);
    assert_eq!(world.synced_events(), 1);
}

#[tokio::test]
async fn a_paused_connection_is_not_synced() {
    let world = World::new(ScriptedSource::new(script(3), Faults::default())).await;
    let mut connection = world.connection().await;
    connection.status = ConnectionStatus::Paused;
    world.store.update_connection(&connection).await.unwrap();

    let run = world.sync(scheduled(SyncMode::Full), far_deadline()).await;

    assert_eq!(run.status, SyncStatus::Failed);
    assert!(run.error.as_deref().unwrap_or_default().contains("Paused"));
    assert!(world.factory.source.cursors_asked().is_empty());
    assert_eq!(world.connection().await.status, ConnectionStatus::Paused);
}

#[tokio::test]
async fn without_payments_sources_a_connection_request_is_a_configuration_error() {
    let world = World::new(ScriptedSource::new(script(1), Faults::default())).await;
    let handlers = Handlers {
        store: &world.store,
        bus: &world.bus,
        sources: None,
        connections: &ConnectionSources::new(),
    };

    let result = route_sync(
        &handlers,
        Trigger::SyncRequested(scheduled(SyncMode::Full)),
        far_deadline(),
        &NoProgress,
    )
    .await;

    match result {
        Err(FunctionError::Sync(error @ SyncHandlerError::NotConfigured(_))) => {
            assert!(!error.is_retryable());
            assert!(error
                .to_string()
                .contains("PayPal connections are not configured"));
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
    let runs = world
        .store
        .list_sync_runs(&tenant_id("acme"), &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(
        runs.items.len(),
        1,
        "the failed run is recorded with its reason"
    );
    assert_eq!(runs.items[0].status, SyncStatus::Failed);
}

#[tokio::test]
async fn a_connection_syncs_beside_its_tenants_hubspot_sync_but_never_twice_at_once() {
    let world = World::new(ScriptedSource::new(script(2), Faults::default())).await;
    let acme = tenant_id("acme");
    let now = Utc::now();
    let until = now + chrono::Duration::minutes(5);
    // The HubSpot portal's sync is running: the connection's own lease is another.
    assert!(world
        .store
        .acquire_lease(&acme, Lease::Sync.name(), "hubspot-sync", until, now)
        .await
        .unwrap());

    let run = world.sync(scheduled(SyncMode::Full), far_deadline()).await;
    assert_eq!(run.status, SyncStatus::Succeeded, "{:?}", run.error);

    // Another invocation holds this connection's lease: this one does nothing.
    let key = Lease::ConnectionSync.key_on(&connection_id(CONNECTION));
    assert!(world
        .store
        .acquire_lease(&acme, &key, "other-invocation", until, now)
        .await
        .unwrap());
    let asked = world.factory.source.cursors_asked().len();
    let blocked = world.sync(scheduled(SyncMode::Full), far_deadline()).await;
    assert_eq!(blocked.status, SyncStatus::Failed);
    assert!(blocked
        .error
        .as_deref()
        .unwrap_or_default()
        .contains("another sync of this connection"));
    assert_eq!(world.factory.source.cursors_asked().len(), asked);
}

#[path = "payments_sync/accounts.rs"]
mod accounts;
