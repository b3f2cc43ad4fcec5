//! Matching after a sync: the tenant's records of other platforms (PayPal payers; NinjaOne, Pax8 and
//! Microsoft 365 accounts) against its clients,
//! written as correlations. Runs in the score function before scoring, so a new link counts in the
//! same scoring run. The rules are in `crate::matching`; this only reads, runs them and writes.

use crate::domain::{ClientSnapshot, Correlation, CorrelationStatus, Platform, Tenant};
use crate::matching::{
    is_dormant, match_records_linked, reconcile, ClientProfile, Matcher, RecordProfile,
};
use crate::ports::{AccountStore, ConnectionStore, CorrelationStore, PayerStore, StoreError};
use crate::store::{every_page, every_page_mapped};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

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
///
/// `snapshots` are the tenant's clients, which the caller (the score handler) has read already.
pub async fn correlate_tenant<S>(
    store: &S,
    tenant: &Tenant,
    snapshots: &[ClientSnapshot],
    now: DateTime<Utc>,
) -> Result<CorrelateReport, StoreError>
where
    S: ConnectionStore + PayerStore + AccountStore + CorrelationStore + ?Sized,
{
    let clients: Vec<ClientProfile> = snapshots.iter().map(ClientProfile::from).collect();
    correlate_profiles(store, tenant, &clients, now).await
}

/// Whether the tenant has connections whose records are matched to its clients (any but HubSpot):
/// a run that reads its clients a page at a time keeps their profiles only then.
pub async fn has_records_to_match<S: ConnectionStore + ?Sized>(
    store: &S,
    tenant: &Tenant,
) -> Result<bool, StoreError> {
    Ok(store
        .list_connections(&tenant.id)
        .await?
        .iter()
        .any(|c| c.platform != Platform::Hubspot))
}

/// [`correlate_tenant`] from the clients' profiles alone (what matching reads of a snapshot), for a
/// run that reads its clients a page at a time.
pub async fn correlate_profiles<S>(
    store: &S,
    tenant: &Tenant,
    clients: &[ClientProfile],
    now: DateTime<Utc>,
) -> Result<CorrelateReport, StoreError>
where
    S: ConnectionStore + PayerStore + AccountStore + CorrelationStore + ?Sized,
{
    let connections: Vec<_> = store
        .list_connections(&tenant.id)
        .await?
        .into_iter()
        .filter(|c| c.platform != Platform::Hubspot)
        .collect();
    if connections.is_empty() {
        return Ok(CorrelateReport::default());
    }
    let mut records: Vec<RecordProfile> = Vec::new();
    for connection in &connections {
        let (tenant_id, connection_id) = (&tenant.id, &connection.id);
        // Profiles are kept, not records: an account holding thousands of devices is read a page
        // at a time.
        let profiles = match connection.platform {
            Platform::Hubspot => Vec::new(),
            Platform::Paypal => {
                every_page_mapped(
                    |page| async move { store.list_payers(tenant_id, connection_id, &page).await },
                    |payer| RecordProfile::from(&payer),
                )
                .await?
            }
            Platform::Ninjaone | Platform::Pax8 | Platform::M365 => every_page_mapped(
                |page| async move { store.list_accounts(tenant_id, connection_id, &page).await },
                |account| RecordProfile::from(&account),
            )
            .await?,
        };
        records.extend(profiles);
    }
    let existing: Vec<Correlation> =
        every_page(|page| async move { store.list_correlations(&tenant.id, None, &page).await })
            .await?;

    // The tenant's own domains are not known yet: free-mail and shared domains are still refused.
    let matcher = Matcher::new(clients, &[], tenant.matching);
    // Links people confirmed vouch for records of other platforms sharing their device serials.
    let runs = match_records_linked(&matcher, &records, &existing);
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
