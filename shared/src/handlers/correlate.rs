//! Matching after a sync: the tenant's records of other platforms (PayPal payers) against its clients,
//! written as correlations. Runs in the score function before scoring, so a new link counts in the
//! same scoring run. The rules are in `crate::matching`; this only reads, runs them and writes.

use crate::domain::{Correlation, CorrelationStatus, Platform, Tenant};
use crate::matching::{
    is_dormant, match_records, reconcile, ClientProfile, Matcher, RecordProfile,
};
use crate::ports::{
    ConnectionStore, CorrelationStore, Page, PageRequest, PayerStore, SnapshotStore, StoreError,
};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

/// Rows read per page; the store's largest page.
const PAGE: u32 = PageRequest::MAX_LIMIT;
/// Correlations written per call (the store batches them further).
const WRITE_CHUNK: usize = 500;

/// What one matching run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CorrelateReport {
    pub clients: usize,
    pub records: usize,
    /// Correlation rows written (new or changed).
    pub written: usize,
    /// Records linked to a client after the run (automatically or by a person).
    pub linked: usize,
    /// Rows waiting for a person.
    pub needs_review: usize,
}

/// Matches every record of the tenant's non-HubSpot connections against its clients and writes what
/// changed. A tenant without such connections costs one read.
pub async fn correlate_tenant<S>(
    store: &S,
    tenant: &Tenant,
    now: DateTime<Utc>,
) -> Result<CorrelateReport, StoreError>
where
    S: SnapshotStore + ConnectionStore + PayerStore + CorrelationStore + ?Sized,
{
    let connections: Vec<_> = store
        .list_connections(&tenant.id)
        .await?
        .into_iter()
        .filter(|c| c.platform == Platform::Paypal)
        .collect();
    if connections.is_empty() {
        return Ok(CorrelateReport::default());
    }
    let clients: Vec<ClientProfile> =
        read_all(|page| async move { store.list_snapshots(&tenant.id, &page).await })
            .await?
            .iter()
            .map(ClientProfile::from)
            .collect();
    let mut records: Vec<RecordProfile> = Vec::new();
    for connection in &connections {
        let payers =
            read_all(
                |page| async move { store.list_payers(&tenant.id, &connection.id, &page).await },
            )
            .await?;
        records.extend(payers.iter().map(RecordProfile::from));
    }
    let existing: Vec<Correlation> =
        read_all(|page| async move { store.list_correlations(&tenant.id, None, &page).await })
            .await?;

    // The tenant's own domains are not known yet: free-mail and shared domains are still refused.
    let matcher = Matcher::new(&clients, &[], tenant.matching);
    let runs = match_records(&matcher, &records);
    let writes = reconcile(&tenant.id, &existing, &runs, &tenant.matching, now);
    for chunk in writes.chunks(WRITE_CHUNK) {
        store.put_correlations(&tenant.id, chunk).await?;
    }

    let mut report = CorrelateReport {
        clients: clients.len(),
        records: records.len(),
        written: writes.len(),
        ..CorrelateReport::default()
    };
    // The state after the run: stored rows overlaid with what was written.
    let mut after: BTreeMap<(String, String, String), &Correlation> =
        existing.iter().map(|c| (row_key(c), c)).collect();
    for row in &writes {
        after.insert(row_key(row), row);
    }
    let linked: BTreeSet<(&str, &str)> = after
        .values()
        .filter(|c| c.status.is_linked())
        .map(|c| (c.connection_id.as_str(), c.external_id.as_str()))
        .collect();
    report.linked = linked.len();
    report.needs_review = after
        .values()
        .filter(|c| c.status == CorrelationStatus::NeedsReview && !is_dormant(c))
        .count();
    tracing::info!(
        tenant = %tenant.id,
        clients = report.clients,
        records = report.records,
        written = report.written,
        linked = report.linked,
        needs_review = report.needs_review,
        "matched records of other platforms to clients"
    );
    Ok(report)
}

fn row_key(c: &Correlation) -> (String, String, String) {
    (
        c.connection_id.to_string(),
        c.external_id.clone(),
        c.client_id.to_string(),
    )
}

/// Every item of a paged listing. Bounded: each page must move the cursor on, or the walk stops with
/// an error instead of asking for the same page forever.
async fn read_all<T, F, Fut>(mut list: F) -> Result<Vec<T>, StoreError>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, StoreError>>,
{
    let mut items = Vec::new();
    let mut page = PageRequest::first(PAGE);
    loop {
        let Page {
            items: mut batch,
            next_cursor,
        } = list(page.clone()).await?;
        items.append(&mut batch);
        match next_cursor {
            Some(cursor) if page.cursor.as_deref() != Some(cursor.as_str()) => {
                page.cursor = Some(cursor);
            }
            Some(_) => {
                return Err(StoreError::Corrupt(
                    "a listing returned the same cursor twice".into(),
                ))
            }
            None => return Ok(items),
        }
    }
}
