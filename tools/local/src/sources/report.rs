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

/// Tells the person at the terminal what each simulated source's first sync found, once it and a
/// scoring after it are done.
pub struct FirstSyncReport {
    tenant_id: TenantId,
    connections: Mutex<BTreeMap<ConnectionId, (Platform, Progress)>>,
}

impl FirstSyncReport {
    pub fn new(
        tenant_id: TenantId,
        connections: impl Iterator<Item = (Platform, ConnectionId)>,
    ) -> Self {
        Self {
            tenant_id,
            connections: Mutex::new(
                connections
                    .map(|(platform, id)| (id, (platform, Progress::Waiting)))
                    .collect(),
            ),
        }
    }

    /// A sync finished (a failure is told by the caller).
    pub fn synced(&self, run: &SyncRun) {
        let Some(id) = &run.connection_id else { return };
        if run.status == SyncStatus::Failed {
            return;
        }
        if let Ok(mut connections) = self.connections.lock() {
            if let Some((_, progress)) = connections.get_mut(id) {
                if *progress == Progress::Waiting {
                    *progress = Progress::Synced(run.finished_at.unwrap_or_else(Utc::now));
                }
            }
        }
    }

    /// A scoring that started at `started` finished: the first one that started after a source's
    /// first sync (so it matched that sync's records) prints that source's line.
    pub async fn scored(&self, store: &MemoryStore, started: DateTime<Utc>) {
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
