//! The queries behind the port's list operations, as data: which index, which partition, which sort
//! key condition and direction. Both adapters run these same plans, so they list the same items in
//! the same order, and cursors name the plan they belong to.

use crate::domain::{
    ClientId, ConnectionId, CorrelationStatus, Insight, InsightStatus, TenantId,
    TRIAGE_INDEX_PREFIX,
};
use crate::ports::{InsightFilter, PageRequest, ScoreOrder, ScoreQuery, StoreError};
use crate::store::cursor::CursorScope;
use crate::store::keys::{self, Index};
use chrono::{DateTime, Utc};

/// Items a `BatchWriteItem` takes at most.
pub const WRITE_BATCH: usize = 25;
/// Keys a `BatchGetItem` takes at most.
pub const READ_BATCH: usize = 100;

/// A condition on the sort key of the queried index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortCondition {
    Any,
    BeginsWith(String),
    /// Inclusive on both ends, as DynamoDB's `BETWEEN`.
    Between(String, String),
}

impl SortCondition {
    pub fn accepts(&self, sort_key: &str) -> bool {
        match self {
            SortCondition::Any => true,
            SortCondition::BeginsWith(prefix) => sort_key.starts_with(prefix.as_str()),
            SortCondition::Between(low, high) => {
                low.as_str() <= sort_key && sort_key <= high.as_str()
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryPlan {
    /// The tenant the results belong to; `None` only for the cross-tenant tenant directory.
    pub tenant: Option<TenantId>,
    pub index: Index,
    pub partition: String,
    pub condition: SortCondition,
    /// Ascending sort key order when true.
    pub forward: bool,
    /// Names the query and its key conditions, for binding cursors.
    pub name: String,
}

impl QueryPlan {
    pub fn cursor_scope(&self) -> CursorScope<'_> {
        CursorScope {
            tenant: self.tenant.as_ref(),
            query: &self.name,
            index: self.index,
            partition: &self.partition,
        }
    }

    fn new(
        tenant: Option<&TenantId>,
        index: Index,
        partition: String,
        condition: SortCondition,
        forward: bool,
        what: &str,
    ) -> Self {
        let name = match &condition {
            SortCondition::Any => format!("{what}|{}", forward as u8),
            SortCondition::BeginsWith(p) => format!("{what}|{}|^{p}", forward as u8),
            SortCondition::Between(l, h) => format!("{what}|{}|{l}..{h}", forward as u8),
        };
        Self {
            tenant: tenant.cloned(),
            index,
            partition,
            condition,
            forward,
            name,
        }
    }
}

/// The page size asked for: at least one, at most [`PageRequest::MAX_LIMIT`] (larger asks are cut).
pub fn page_limit(page: &PageRequest) -> Result<usize, StoreError> {
    if page.limit == 0 {
        return Err(StoreError::InvalidInput(
            "page limit must be at least 1".to_owned(),
        ));
    }
    Ok(page.limit.min(PageRequest::MAX_LIMIT) as usize)
}

pub fn active_tenants() -> QueryPlan {
    QueryPlan::new(
        None,
        Index::Gsi2,
        keys::active_tenants_partition(),
        SortCondition::Any,
        true,
        "active_tenants",
    )
}

pub fn tenants_by_portal(portal_id: u64) -> QueryPlan {
    QueryPlan::new(
        None,
        Index::Gsi1,
        keys::portal_partition(portal_id),
        SortCondition::Any,
        true,
        "tenants_by_portal",
    )
}

pub fn snapshots(tenant_id: &TenantId) -> QueryPlan {
    QueryPlan::new(
        Some(tenant_id),
        Index::Table,
        keys::tenant_partition(tenant_id),
        SortCondition::BeginsWith(keys::SNAPSHOT_PREFIX.to_owned()),
        true,
        "snapshots",
    )
}

/// Scores by overall; a band and a maximum become a range of the sort key, churn risk stays a
/// filter.
pub fn scores(tenant_id: &TenantId, query: &ScoreQuery) -> QueryPlan {
    let (low, high) = query.band.map_or((0, 100), band_range);
    let high = query.max_overall.map_or(high, |max| high.min(max));
    let condition = if query.band.is_none() && query.max_overall.is_none() {
        SortCondition::Any
    } else if high < low {
        // Nothing can match (a band above the maximum): a range holding no key, as DynamoDB
        // refuses a BETWEEN whose bounds are reversed.
        let (lower, _) = keys::overall_bounds(low, low);
        SortCondition::Between(lower.clone(), lower)
    } else {
        let (lower, upper) = keys::overall_bounds(low, high);
        SortCondition::Between(lower, upper)
    };
    QueryPlan::new(
        Some(tenant_id),
        Index::Gsi1,
        keys::scores_by_overall_partition(tenant_id),
        condition,
        query.order == ScoreOrder::OverallAscending,
        "scores",
    )
}

fn band_range(band: crate::domain::HealthBand) -> (u8, u8) {
    use crate::domain::HealthBand;
    match band {
        HealthBand::Healthy => (75, 100),
        HealthBand::Watch => (50, 74),
        HealthBand::AtRisk => (25, 49),
        HealthBand::Critical => (0, 24),
    }
}

pub fn history(
    tenant_id: &TenantId,
    client_id: &ClientId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryPlan {
    let (low, high) = keys::history_range(client_id, from, to);
    QueryPlan::new(
        Some(tenant_id),
        Index::Table,
        keys::tenant_partition(tenant_id),
        SortCondition::Between(low, high),
        true,
        "history",
    )
}

/// The tenant's trend points of the days `[from, to]`, oldest first.
pub fn trends(tenant_id: &TenantId, from: chrono::NaiveDate, to: chrono::NaiveDate) -> QueryPlan {
    QueryPlan::new(
        Some(tenant_id),
        Index::Table,
        keys::tenant_partition(tenant_id),
        SortCondition::Between(keys::trend_sort_key(from), keys::trend_sort_key(to)),
        true,
        "trends",
    )
}

/// Insights newest first, all of the tenant's on `gsi2`; the filter (its status too) is applied to
/// the items the query reads.
pub fn insights(tenant_id: &TenantId, _filter: &InsightFilter) -> QueryPlan {
    QueryPlan::new(
        Some(tenant_id),
        Index::Gsi2,
        keys::insights_partition(tenant_id),
        SortCondition::Any,
        false,
        "insights",
    )
}

/// Every insight the filter matches, in no promised order: one status's partition of `gsi1` when a
/// status is asked for, else all of the tenant's on `gsi2`.
pub fn matching_insights(tenant_id: &TenantId, filter: &InsightFilter) -> QueryPlan {
    match filter.status {
        Some(status) => QueryPlan::new(
            Some(tenant_id),
            Index::Gsi1,
            keys::insights_by_status_partition(tenant_id, status),
            SortCondition::Any,
            true,
            "insights_by_status",
        ),
        None => insights(tenant_id, filter),
    }
}

/// Insights of one status in triage order (`gsi1`'s sort key is the triage key), starting after
/// the triage key `after` when given.
pub fn insights_in_triage_order(
    tenant_id: &TenantId,
    status: InsightStatus,
    after: Option<&str>,
) -> QueryPlan {
    // The smallest string above `after`, and one above every triage key.
    let low = after.map_or_else(
        || TRIAGE_INDEX_PREFIX.to_owned(),
        |after| format!("{after}\u{1}"),
    );
    QueryPlan::new(
        Some(tenant_id),
        Index::Gsi1,
        keys::insights_by_status_partition(tenant_id, status),
        SortCondition::Between(low, TRIAGE_INDEX_END.to_owned()),
        true,
        "insights_in_triage_order",
    )
}

/// Insights of one status still indexed by their update time (written before the triage key):
/// their keys start with a digit.
pub fn insights_outside_triage_order(tenant_id: &TenantId, status: InsightStatus) -> QueryPlan {
    QueryPlan::new(
        Some(tenant_id),
        Index::Gsi1,
        keys::insights_by_status_partition(tenant_id, status),
        SortCondition::Between("0".to_owned(), "9\u{10FFFF}".to_owned()),
        true,
        "insights_outside_triage_order",
    )
}

/// Above every triage key (they all start with [`TRIAGE_INDEX_PREFIX`], `T#`).
const TRIAGE_INDEX_END: &str = "T$";

pub fn client_insights(tenant_id: &TenantId, client_id: &ClientId) -> QueryPlan {
    QueryPlan::new(
        Some(tenant_id),
        Index::Gsi3,
        keys::client_insights_partition(tenant_id, client_id),
        SortCondition::Any,
        true,
        "client_insights",
    )
}

/// Every insight of the tenant, in id order (for reading the insights of many clients at once).
pub fn all_insights(tenant_id: &TenantId) -> QueryPlan {
    QueryPlan::new(
        Some(tenant_id),
        Index::Table,
        keys::tenant_partition(tenant_id),
        SortCondition::BeginsWith(keys::INSIGHT_PREFIX.to_owned()),
        true,
        "all_insights",
    )
}

pub fn sync_runs(tenant_id: &TenantId) -> QueryPlan {
    QueryPlan::new(
        Some(tenant_id),
        Index::Gsi1,
        keys::sync_runs_partition(tenant_id),
        SortCondition::Any,
        false,
        "sync_runs",
    )
}

pub fn checkpoints(tenant_id: &TenantId) -> QueryPlan {
    QueryPlan::new(
        Some(tenant_id),
        Index::Table,
        keys::tenant_partition(tenant_id),
        SortCondition::BeginsWith(keys::CHECKPOINT_PREFIX.to_owned()),
        true,
        "checkpoints",
    )
}

/// A tenant's export jobs, newest first (their ids sort by request time).
pub fn exports(tenant_id: &TenantId) -> QueryPlan {
    QueryPlan::new(
        Some(tenant_id),
        Index::Table,
        keys::tenant_partition(tenant_id),
        SortCondition::BeginsWith(keys::EXPORT_PREFIX.to_owned()),
        false,
        "exports",
    )
}

/// A tenant's settings versions, newest first.
pub fn settings_versions(tenant_id: &TenantId) -> QueryPlan {
    QueryPlan::new(
        Some(tenant_id),
        Index::Table,
        keys::tenant_partition(tenant_id),
        SortCondition::BeginsWith(keys::SETTINGS_VERSION_PREFIX.to_owned()),
        false,
        "settings_versions",
    )
}

/// A tenant's connections, by id.
pub fn connections(tenant_id: &TenantId) -> QueryPlan {
    QueryPlan::new(
        Some(tenant_id),
        Index::Table,
        keys::tenant_partition(tenant_id),
        SortCondition::BeginsWith(keys::CONNECTION_PREFIX.to_owned()),
        true,
        "connections",
    )
}

/// One connection's payer records, by external id.
pub fn payers(tenant_id: &TenantId, connection_id: &ConnectionId) -> QueryPlan {
    QueryPlan::new(
        Some(tenant_id),
        Index::Table,
        keys::tenant_partition(tenant_id),
        SortCondition::BeginsWith(keys::payers_prefix(connection_id)),
        true,
        "payers",
    )
}

/// One connection's account records, by external id.
pub fn accounts(tenant_id: &TenantId, connection_id: &ConnectionId) -> QueryPlan {
    QueryPlan::new(
        Some(tenant_id),
        Index::Table,
        keys::tenant_partition(tenant_id),
        SortCondition::BeginsWith(keys::accounts_prefix(connection_id)),
        true,
        "accounts",
    )
}

/// Correlations in key order (connection, external id, client): of one status on `gsi1`, else
/// all of them in the table.
pub fn correlations(tenant_id: &TenantId, status: Option<CorrelationStatus>) -> QueryPlan {
    match status {
        Some(status) => QueryPlan::new(
            Some(tenant_id),
            Index::Gsi1,
            keys::correlations_by_status_partition(tenant_id, status),
            SortCondition::Any,
            true,
            "correlations_by_status",
        ),
        None => QueryPlan::new(
            Some(tenant_id),
            Index::Table,
            keys::tenant_partition(tenant_id),
            SortCondition::BeginsWith(keys::CORRELATION_PREFIX.to_owned()),
            true,
            "correlations",
        ),
    }
}

pub fn client_correlations(tenant_id: &TenantId, client_id: &ClientId) -> QueryPlan {
    QueryPlan::new(
        Some(tenant_id),
        Index::Gsi3,
        keys::client_correlations_partition(tenant_id, client_id),
        SortCondition::Any,
        true,
        "client_correlations",
    )
}

/// Correlations under one sort-key prefix: of a connection, or of one of its records.
pub fn correlations_under(tenant_id: &TenantId, prefix: String) -> QueryPlan {
    QueryPlan::new(
        Some(tenant_id),
        Index::Table,
        keys::tenant_partition(tenant_id),
        SortCondition::BeginsWith(prefix),
        true,
        "correlations_under",
    )
}

/// Every item of the tenant's partition, in key order (an erasure's walk: a client's or a contact's
/// items are spread over the partition). No sort-key condition: DynamoDB refuses `begins_with ""`.
pub fn every_tenant_item(tenant_id: &TenantId) -> QueryPlan {
    QueryPlan::new(
        Some(tenant_id),
        Index::Table,
        keys::tenant_partition(tenant_id),
        SortCondition::Any,
        true,
        "erasure",
    )
}

/// The tenant's items under one table sort-key prefix, in key order (alert rules, a rule's states
/// or pending alerts, snoozes, due markers).
pub fn tenant_items_under(tenant_id: &TenantId, prefix: String, what: &str) -> QueryPlan {
    QueryPlan::new(
        Some(tenant_id),
        Index::Table,
        keys::tenant_partition(tenant_id),
        SortCondition::BeginsWith(prefix),
        true,
        what,
    )
}

/// The tenant's pending alerts due at `now`, by due time.
pub fn due_pending_alerts(tenant_id: &TenantId, now: DateTime<Utc>) -> QueryPlan {
    let (low, high) = keys::pending_due_range(now);
    QueryPlan::new(
        Some(tenant_id),
        Index::Gsi1,
        keys::pending_by_due_partition(tenant_id),
        SortCondition::Between(low, high),
        true,
        "due_pending_alerts",
    )
}

/// The due markers of every tenant for the hours up to `now`'s, oldest hour first.
pub fn alerts_due(now: DateTime<Utc>) -> QueryPlan {
    let (low, high) = keys::alerts_due_range(now);
    QueryPlan::new(
        None,
        Index::Gsi2,
        keys::alerts_due_partition(),
        SortCondition::Between(low, high),
        true,
        "alerts_due",
    )
}

/// The tenant's delivery log, newest first.
pub fn deliveries(tenant_id: &TenantId) -> QueryPlan {
    QueryPlan::new(
        Some(tenant_id),
        Index::Gsi1,
        keys::deliveries_partition(tenant_id),
        SortCondition::Any,
        false,
        "deliveries",
    )
}

/// Above this many clients, reading the tenant's whole insight range costs fewer requests than one
/// query per client.
pub const CLIENT_QUERIES_MAX: usize = 16;

/// Refuses an entity that names another tenant than the one the call is for.
pub fn same_tenant(expected: &TenantId, actual: &TenantId, what: &str) -> Result<(), StoreError> {
    if expected == actual {
        Ok(())
    } else {
        Err(StoreError::InvalidInput(format!(
            "{what} belongs to tenant {actual}, not {expected}"
        )))
    }
}

/// The insights of one `put_insights` call, each once (the last wins), after checking that every
/// one is the tenant's.
pub fn insights_to_put<'a>(
    tenant_id: &TenantId,
    insights: &'a [Insight],
) -> Result<Vec<&'a Insight>, StoreError> {
    for insight in insights {
        same_tenant(tenant_id, &insight.tenant_id, "insight")?;
    }
    Ok(last_wins(insights.iter(), |i| i.id.clone()))
}

/// The version to store an insight under, given the version its writer read (`carried`) and the
/// stored one: the next, or `None` when the stored insight changed after the writer read it.
pub fn insight_version_to_write(carried: u64, stored: Option<u64>) -> Option<u64> {
    match stored {
        None => Some(carried),
        Some(stored) if stored == carried => Some(stored + 1),
        Some(_) => None,
    }
}

/// History kept for zero days would expire as it is written.
pub fn require_history_retention(retention_days: u32) -> Result<(), StoreError> {
    if retention_days == 0 {
        return Err(StoreError::InvalidInput(
            "history retention must be at least one day".to_owned(),
        ));
    }
    Ok(())
}

/// The epoch second a history point expires.
pub fn history_expiry(at: DateTime<Utc>, retention_days: u32) -> i64 {
    at.timestamp() + i64::from(retention_days) * 86_400
}

/// Keeps the last of items sharing a key (a batch may not name one item twice), in first-seen order.
pub fn last_wins<T, K: Eq + std::hash::Hash + Clone>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> K,
) -> Vec<T> {
    let mut order: Vec<K> = Vec::new();
    let mut latest: std::collections::HashMap<K, T> = std::collections::HashMap::new();
    for item in items {
        let k = key(&item);
        if latest.insert(k.clone(), item).is_none() {
            order.push(k);
        }
    }
    order
        .into_iter()
        .filter_map(|k| latest.remove(&k))
        .collect()
}

/// Write requests a number of batched item writes takes.
pub fn batch_requests(items: usize) -> u64 {
    items.div_ceil(WRITE_BATCH) as u64
}

/// A tenant's client outcomes, by client id.
pub fn outcomes(tenant_id: &TenantId) -> QueryPlan {
    QueryPlan::new(
        Some(tenant_id),
        Index::Table,
        keys::tenant_partition(tenant_id),
        SortCondition::BeginsWith(keys::OUTCOME_PREFIX.to_owned()),
        true,
        "outcomes",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_insight_keeps_its_version_and_a_stored_one_moves_on_only_from_the_version_read() {
        assert_eq!(insight_version_to_write(0, None), Some(0));
        assert_eq!(insight_version_to_write(3, Some(3)), Some(4));
        // A user changed it after the writer read version 3.
        assert_eq!(insight_version_to_write(3, Some(4)), None);
        assert_eq!(insight_version_to_write(5, Some(4)), None);
    }

    #[test]
    fn history_needs_at_least_a_day() {
        assert!(matches!(
            require_history_retention(0),
            Err(StoreError::InvalidInput(_))
        ));
        assert!(require_history_retention(1).is_ok());
    }
}
