//! The runner's clocks and signals: the schedule's timer and the stop signals.

use shared::bus::InProcessBus;
use shared::connector::engine::NoProgress;
use shared::domain::{SyncStatus, TenantId};
use shared::handlers::route::{route, Handlers, Trigger};
use shared::ports::{ConnectionSources, PageRequest, SyncStore};
use shared::store::MemoryStore;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The EventBridge schedule's stand-in: every `interval`, the sync function's fan-out. A tick is
/// skipped while a sync is still running, so a short interval does not pile up refused runs.
pub async fn schedule(
    store: Arc<MemoryStore>,
    bus: InProcessBus,
    tenant_id: TenantId,
    interval: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            () = stopping(&mut stopped) => break,
            _ = ticks.tick() => {
                let running = store
                    .list_sync_runs(&tenant_id, &PageRequest::first(1))
                    .await
                    .map(|runs| runs.items.iter().any(|r| r.status == SyncStatus::Running))
                    .unwrap_or(false);
                if running {
                    tracing::info!("a sync is still running; this tick is skipped");
                    continue;
                }
                let connections = ConnectionSources::new();
                let handlers = Handlers { store: &store, bus: &bus, sources: None, connections: &connections, objects: None, erasure: None, schedule: shared::domain::schedule_slot::ScheduleTicks::EVERY_TICK };
                // A Lambda's 15 minutes: the fan-out stops early only when its deadline nears.
                let deadline = Instant::now() + Duration::from_secs(900);
                let trigger = Trigger::Schedule { slot: chrono::Utc::now() };
                let tick = route(&handlers, trigger, deadline, &NoProgress).await;
                if let Err(error) = tick {
                    eprintln!("The scheduled sync could not be requested: {error}");
                }
            }
        }
    }
}

/// Resolves once the runner is stopping (the guard `wait_for` returns is not `Send`: drop it here).
pub async fn stopping(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await.map(|_| ());
}

/// Ctrl-C, or SIGTERM (what `kill` and service managers send).
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            eprintln!("Cannot listen for Ctrl-C: {error}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                eprintln!("Cannot listen for SIGTERM: {error}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
