//! When the backfill runs: after the portal's first sync (the snapshots exist) and the connections'
//! first syncs (their records are linked to clients in the past days' scores too, so today's scores
//! do not jump when they join), and before any scoring, which waits at the gate meanwhile.

use crate::timers::stopping;
use shared::domain::{ConnectionId, SyncStatus, TenantId};
use shared::store::MemoryStore;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify};

/// How long the backfill waits for the connections' first syncs once the portal's is done: a source
/// that is slow or broken must not hold the demo's first scores for long.
const CONNECTIONS_WAIT: Duration = Duration::from_secs(60);
/// How often the wait looks again when nothing happened (for `CONNECTIONS_WAIT` to run out).
const RECHECK: Duration = Duration::from_millis(500);

#[derive(Debug, Default)]
struct State {
    /// The portal's first sync ended: whether it finished, and when.
    portal: Option<(bool, Instant)>,
    /// Connections whose first sync has not ended yet.
    waiting: BTreeSet<ConnectionId>,
}

/// Holds scoring until the backfill ran (or was not needed).
pub struct Gate {
    store: Arc<MemoryStore>,
    tenant_id: TenantId,
    open: watch::Sender<bool>,
    state: Mutex<State>,
    changed: Notify,
}

impl Gate {
    /// A closed gate for `tenant_id`, waiting for the portal's first sync and `connections`'.
    pub fn new(
        store: Arc<MemoryStore>,
        tenant_id: TenantId,
        connections: impl IntoIterator<Item = ConnectionId>,
    ) -> Arc<Gate> {
        Arc::new(Gate {
            store,
            tenant_id,
            open: watch::channel(false).0,
            state: Mutex::new(State {
                portal: None,
                waiting: connections.into_iter().collect(),
            }),
            changed: Notify::new(),
        })
    }

    /// Waits until scoring may run.
    pub async fn wait(&self) {
        let mut open = self.open.subscribe();
        // An error means the gate is gone with the runner: nothing left to wait for.
        let _ = open.wait_for(|open| *open).await;
    }

    /// A sync of the portal (`connection` `None`) or of a connection ended with `status`, or with
    /// an error (`None`). A run that continues itself has not ended.
    pub fn sync_ended(&self, connection: Option<&ConnectionId>, status: Option<SyncStatus>) {
        let finished = match status {
            Some(SyncStatus::Running | SyncStatus::Continued) => return,
            Some(SyncStatus::Succeeded) => true,
            Some(SyncStatus::Failed | SyncStatus::RateLimited | SyncStatus::NeedsReauth) | None => {
                false
            }
        };
        if let Ok(mut state) = self.state.lock() {
            match connection {
                None if state.portal.is_none() => state.portal = Some((finished, Instant::now())),
                None => {}
                Some(id) => {
                    state.waiting.remove(id);
                }
            }
        }
        self.changed.notify_one();
    }

    /// Whether to backfill now (`Some(true)`), never (`Some(false)`: the portal's first sync
    /// failed, so there is nothing to build on) or later (`None`).
    fn due(&self) -> Option<bool> {
        let state = self.state.lock().ok()?;
        match state.portal {
            None => None,
            Some((false, _)) => Some(false),
            Some((true, at)) if state.waiting.is_empty() || at.elapsed() >= CONNECTIONS_WAIT => {
                Some(true)
            }
            Some(_) => None,
        }
    }

    /// Waits for the first syncs, runs the backfill and opens the gate; returns early when the
    /// runner stops.
    pub async fn run(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        let backfill = loop {
            if let Some(backfill) = self.due() {
                break backfill;
            }
            tokio::select! {
                () = stopping(&mut stopped) => return,
                () = self.changed.notified() => {}
                () = tokio::time::sleep(RECHECK) => {}
            }
        };
        if backfill {
            match super::backfill(
                &self.store,
                &self.tenant_id,
                super::DAYS,
                chrono::Utc::now(),
            )
            .await
            {
                Ok(Some(done)) => println!("{done}"),
                Ok(None) => {}
                // The live scores still come; only the past is missing.
                Err(error) => eprintln!("History backfill failed: {error}"),
            }
        }
        self.open.send_replace(true);
    }
}
