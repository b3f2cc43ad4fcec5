//! What the start-up summary says about each simulated source once its first sync and the scoring
//! after it (which runs the matching) are done: records found, matched to clients, waiting for
//! review.

use chrono::{DateTime, Utc};
use shared::domain::{ConnectionId, CorrelationStatus, Platform, SyncRun, SyncStatus, TenantId};
use shared::ports::{AccountStore, CorrelationStore, PageRequest, PayerStore, StoreError};
use shared::store::MemoryStore;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Pages read at most when counting for the summary (200 rows each).
const MAX_COUNT_PAGES: usize = 500;

/// What a platform's records are called in the summary.
pub fn noun(platform: Platform) -> &'static str {
    match platform {
        Platform::Paypal => "payers",
        Platform::Ninjaone => "organisations",
        Platform::Pax8 => "companies",
        Platform::M365 => "customer tenants",
        Platform::Hubspot => "companies",
    }
}

/// One source's line of the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceSummary {
    pub platform: Platform,
    pub records: usize,
    pub linked: usize,
    pub needs_review: usize,
}

impl std::fmt::Display for SourceSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (simulator): {} {} found; {} matched to clients, {} wait for review.",
            self.platform.display_name(),
            self.records,
            noun(self.platform),
            self.linked,
            self.needs_review
        )
    }
}

/// Counts the connection's records (payers or accounts) and its correlations by status.
pub async fn summary(
    store: &MemoryStore,
    tenant_id: &TenantId,
    platform: Platform,
    connection_id: &ConnectionId,
) -> Result<SourceSummary, StoreError> {
    let mut records = 0;
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    for _ in 0..MAX_COUNT_PAGES {
        let next = match platform {
            Platform::Paypal => {
                let listed = store.list_payers(tenant_id, connection_id, &page).await?;
                records += listed.items.len();
                listed.next_cursor
            }
            _ => {
                let listed = store.list_accounts(tenant_id, connection_id, &page).await?;
                records += listed.items.len();
                listed.next_cursor
            }
        };
        match next {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    let mut linked = 0;
    let mut needs_review = 0;
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    for _ in 0..MAX_COUNT_PAGES {
        let listed = store.list_correlations(tenant_id, None, &page).await?;
        for correlation in listed
            .items
            .iter()
            .filter(|c| &c.connection_id == connection_id)
        {
            if correlation.status.is_linked() {
                linked += 1;
            } else if correlation.status == CorrelationStatus::NeedsReview {
                needs_review += 1;
            }
        }
        match listed.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    Ok(SourceSummary {
        platform,
        records,
        linked,
        needs_review,
    })
}

/// Where one connection's first sync is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    Waiting,
    /// Its first sync finished at this time.
    Synced(DateTime<Utc>),
    Reported,
}

/// Tells the person at the terminal what the first sync found: the portal's once a scoring started
/// after it, and each simulated source's once a scoring started after both its sync and the
/// portal's (before the portal's clients exist, matching links nothing).
pub struct FirstSyncReport {
    tenant_id: TenantId,
    /// The portal's first sync (runs that name no connection).
    portal: Mutex<Progress>,
    connections: Mutex<BTreeMap<ConnectionId, (Platform, Progress)>>,
}

impl FirstSyncReport {
    pub fn new(
        tenant_id: TenantId,
        connections: impl Iterator<Item = (Platform, ConnectionId)>,
    ) -> Self {
        Self {
            tenant_id,
            portal: Mutex::new(Progress::Waiting),
            connections: Mutex::new(
                connections
                    .map(|(platform, id)| (id, (platform, Progress::Waiting)))
                    .collect(),
            ),
        }
    }

    /// A sync ended: a finished one (not failed, not continued) counts as the first.
    pub fn synced(&self, run: &SyncRun) {
        if matches!(run.status, SyncStatus::Failed | SyncStatus::Continued) {
            return;
        }
        let at = run.finished_at.unwrap_or_else(Utc::now);
        let mark = |progress: &mut Progress| {
            if *progress == Progress::Waiting {
                *progress = Progress::Synced(at);
            }
        };
        match &run.connection_id {
            None => {
                if let Ok(mut portal) = self.portal.lock() {
                    mark(&mut portal);
                }
            }
            Some(id) => {
                if let Ok(mut connections) = self.connections.lock() {
                    if let Some((_, progress)) = connections.get_mut(id) {
                        mark(progress);
                    }
                }
            }
        }
    }

    /// Whether a scoring that started at `started` is the first after the portal's first sync
    /// (true once).
    pub fn portal_scored(&self, started: DateTime<Utc>) -> bool {
        let Ok(mut portal) = self.portal.lock() else {
            return false;
        };
        match *portal {
            Progress::Synced(at) if at <= started => {
                *portal = Progress::Reported;
                true
            }
            _ => false,
        }
    }

    /// A scoring that started at `started` finished: prints the line of every source whose first
    /// sync, and the portal's, finished before it started.
    pub async fn scored(&self, store: &MemoryStore, started: DateTime<Utc>) {
        let portal_done = match self.portal.lock() {
            Ok(portal) => match *portal {
                Progress::Synced(at) => at <= started,
                Progress::Reported => true,
                Progress::Waiting => false,
            },
            Err(_) => false,
        };
        if !portal_done {
            return;
        }
        let due: Vec<(ConnectionId, Platform)> = match self.connections.lock() {
            Ok(mut connections) => connections
                .iter_mut()
                .filter(
                    |(_, (_, progress))| matches!(progress, Progress::Synced(at) if *at <= started),
                )
                .map(|(id, (platform, progress))| {
                    *progress = Progress::Reported;
                    (id.clone(), *platform)
                })
                .collect(),
            Err(_) => return,
        };
        for (id, platform) in due {
            match summary(store, &self.tenant_id, platform, &id).await {
                Ok(summary) => println!("{summary}"),
                Err(error) => eprintln!(
                    "Could not count the {} records: {error}",
                    platform.display_name()
                ),
            }
        }
    }
}
