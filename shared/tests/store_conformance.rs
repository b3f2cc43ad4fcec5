//! One conformance suite for the store port, run against both adapters: `MemoryStore` and
//! `DynamoStore` on DynamoDB Local (a fresh table per test, created from `table_definition()`).
//! The DynamoDB half needs `AWS_ENDPOINT_URL_DYNAMODB` and fails without it.

use chrono::{DateTime, Duration, TimeZone, Utc};
use shared::domain::{
    ClientId, ClientSnapshot, CompanyActivity, ConfidenceBand, Dimension, DimensionScore,
    Engagement, EngagementKind, Evidence, Factor, HealthBand, HealthScore, Impact, Insight,
    InsightId, InsightRule, InsightStatus, InsightType, ObjectType, ScorePoint, SyncCheckpoint,
    SyncId, SyncMode, SyncRun, SyncStatus, SyncTrigger, Tenant, TenantId, TenantStatus,
    TenantSummary, Trend, TrendPoint,
};
use shared::ports::{
    InsightFilter, Lease, OAuthState, Page, PageRequest, ScoreOrder, ScoreQuery, ScoreStore,
    StatusChange, Store, StoreError, SyncStore, TenantStore,
};
use std::collections::BTreeSet;
use std::future::Future;

// ---- fixtures ------------------------------------------------------------------------------------

fn tid(id: &str) -> TenantId {
    TenantId::parse(id).unwrap()
}

fn cid(n: usize) -> ClientId {
    ClientId::parse(format!("client-{n:04}")).unwrap()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap()
}

fn tenant(id: &str, portal: Option<u64>, status: TenantStatus) -> Tenant {
    test_support::fixtures::tenant(id, portal, status, t0())
}

fn score(n: usize, overall: u8, churn_risk: u8) -> HealthScore {
    HealthScore {
        segment: None,
        settings_version: 0,
        sources: Default::default(),
        client_id: cid(n),
        client_name: format!("Client {n}"),
        overall,
        band: HealthBand::of(overall),
        churn_risk,
        dimensions: vec![DimensionScore {
            dimension: Dimension::Crm,
            score: Some(overall),
            weight: 0.3,
            factors: vec![Factor {
                source: shared::domain::Platform::Hubspot,
                name: "days_since_activity".into(),
                value: Some(12.0),
                points: 20.0,
                explanation: "Last activity 12 days ago".into(),
            }],
        }],
        trend: Trend {
            delta_7d: Some(-3),
            delta_30d: None,
        },
        scored_at: t0(),
        overrides: Vec::new(),
    }
}

fn insight(tenant_id: &TenantId, n: usize, rule: InsightRule, minutes: i64) -> Insight {
    let confidence = 40 + (n % 60) as u8;
    Insight {
        sources: Default::default(),
        id: InsightId::parse(format!("{tenant_id}.client-{n:04}.{}", rule.as_str())).unwrap(),
        tenant_id: tenant_id.clone(),
        client_id: cid(n),
        client_name: format!("Client {n}"),
        insight_type: rule.insight_type(),
        rule,
        title: format!("{} for client {n}", rule.as_str()),
        description: "description".into(),
        explanation: "explanation".into(),
        confidence,
        confidence_band: ConfidenceBand::of(confidence),
        impact: if n.is_multiple_of(2) {
            Impact::High
        } else {
            Impact::Low
        },
        revenue_at_stake: Some(1000.0 * n as f64),
        recommendations: vec!["Call them".into()],
        evidence: vec![Evidence {
            name: "days_inactive".into(),
            value: 45.0,
            unit: Some("days".into()),
        }],
        status: InsightStatus::Open,
        created_at: t0(),
        updated_at: t0() + Duration::minutes(minutes),
        status_changed_at: None,
        status_changed_by: None,
        status_reason: None,
        snoozed_until: None,
        revenue_upside: None,
        version: 0,
    }
}

fn snapshot(n: usize, engagements: usize) -> ClientSnapshot {
    ClientSnapshot {
        client_id: cid(n),
        name: format!("Client {n}"),
        domain: Some(format!("client{n}.example")),
        lifecycle_stage: Some("customer".into()),
        activity: CompanyActivity::default(),
        reported_revenue: Some(5000.0),
        contacts: vec![],
        deals: vec![],
        tickets: vec![],
        engagements: (0..engagements)
            .map(|e| Engagement {
                id: format!("eng-{n}-{e}"),
                kind: EngagementKind::Email,
                direction: None,
                occurred_at: t0() - Duration::hours(e as i64),
                completed: e % 3 == 0,
                contact_ids: vec![format!("contact-{}", e % 17)],
            })
            .collect(),
        sources: vec!["hubspot".into()],
        updated_at: t0(),
        csm_sentiment: None,
    }
}

fn point(n: usize, at: DateTime<Utc>, overall: u8) -> ScorePoint {
    ScorePoint {
        settings_version: 0,
        as_scored: None,
        client_id: cid(n),
        at,
        overall,
        churn_risk: 100 - overall,
        crm: Some(overall),
        payment: None,
        usage: Some(50),
        support: None,
        parts: Vec::new(),
        overrides: Vec::new(),
    }
}

fn sync_run(tenant_id: &TenantId, n: usize) -> SyncRun {
    SyncRun {
        tenant_id: tenant_id.clone(),
        sync_id: SyncId::parse(format!("sync-{n:03}")).unwrap(),
        mode: SyncMode::Incremental,
        trigger: SyncTrigger::Schedule,
        // Ids and start times in different orders, so the listing must sort by time.
        started_at: t0() + Duration::minutes(((n * 7) % 23) as i64),
        finished_at: None,
        status: SyncStatus::Succeeded,
        counts: [(ObjectType::Companies, n as u64)].into_iter().collect(),
        requests_used: 3,
        error: None,
        connection_id: None,
        platform: None,
        records: Default::default(),
        cursor: None,
    }
}

/// Walks every page of a listing and returns all items, failing on a repeated cursor.
async fn walk<T, F, Fut>(limit: u32, mut list: F) -> Vec<T>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, StoreError>>,
{
    let mut items = Vec::new();
    let mut cursor = None;
    let mut seen_cursors = BTreeSet::new();
    loop {
        let page = list(PageRequest {
            limit,
            cursor: cursor.clone(),
        })
        .await
        .unwrap();
        assert!(page.items.len() <= limit as usize, "page over its limit");
        items.extend(page.items);
        match page.next_cursor {
            None => return items,
            Some(next) => {
                assert!(seen_cursors.insert(next.clone()), "cursor repeated");
                cursor = Some(next);
            }
        }
    }
}

fn is_invalid_input<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::InvalidInput(_)))
}

// ---- the cases, by subject (one test binary; the modules share the set-up above) ----

#[path = "store_conformance/tenants.rs"]
mod tenants;
use tenants::*;
#[path = "store_conformance/scores.rs"]
mod scores;
use scores::*;
#[path = "store_conformance/insights.rs"]
mod insights;
use insights::*;
#[path = "store_conformance/history.rs"]
mod history;
use history::*;
#[path = "store_conformance/syncs.rs"]
mod syncs;
use syncs::*;
#[path = "store_conformance/isolation.rs"]
mod isolation;
use isolation::*;
#[path = "store_conformance/memory_store.rs"]
mod memory_store;

#[path = "store_conformance/connections.rs"]
mod connections;
use connections::*;
#[path = "store_conformance/accounts.rs"]
mod accounts;

#[path = "store_conformance/exports.rs"]
mod exports;
use accounts::*;
use exports::*;
#[path = "store_conformance/audit.rs"]
mod audit;

#[path = "store_conformance/overrides.rs"]
mod overrides;
use audit::*;
#[path = "store_conformance/outcomes.rs"]
mod outcomes;
use outcomes::*;
#[path = "store_conformance/dispatch.rs"]
mod dispatch;
use dispatch::*;
#[path = "store_conformance/settings_history.rs"]
mod settings_history;
use overrides::*;
use settings_history::*;

// ---- running it against both adapters ------------------------------------------------------------

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(&shared::store::MemoryStore::new()).await;
                }
            )*
        }

        mod dynamodb {
            $(
                #[tokio::test]
                async fn $case() {
                    let store = super::fresh_dynamo_store().await;
                    super::$case(&store).await;
                }
            )*
        }
    };
}

/// A `DynamoStore` on its own new table in DynamoDB Local; fails when `AWS_ENDPOINT_URL_DYNAMODB` is
/// not set.
async fn fresh_dynamo_store() -> shared::store::DynamoStore {
    let client = test_support::dynamodb().await;
    let name = test_support::unique_name("store-conformance");
    shared::store::table::create_table(&client, &name)
        .await
        .unwrap_or_else(|e| panic!("cannot create table {name} in DynamoDB Local: {e}"));
    shared::store::DynamoStore::new(client, name)
}

conformance!(
    tenants_are_created_once_and_updated_by_version,
    a_full_sync_is_recorded_without_moving_the_tenant_version,
    the_summary_is_versioned_and_kept_per_tenant,
    scores_of_gone_clients_are_deleted,
    tenants_are_found_by_portal_and_listed_while_active,
    unchanged_scores_are_not_written_again,
    scores_list_by_overall_with_band_and_churn_filters,
    pagination_walks_everything_exactly_once,
    insights_list_newest_first_by_status_and_filters,
    matching_insights_reads_every_match_and_keeps_snoozes,
    open_insights_are_read_a_page_at_a_time_in_triage_order,
    insights_of_clients_few_or_many,
    insight_status_changes_check_the_version,
    history_reads_a_time_range_oldest_first,
    history_keeps_weights_and_factor_points_and_trends_one_point_a_day,
    snapshots_and_contact_index_round_trip,
    sync_runs_newest_first_and_checkpoints,
    leases_are_exclusive_until_they_expire_or_are_released,
    a_lease_is_renewed_only_by_its_holder_before_it_expires,
    webhook_event_ids_are_recorded_once,
    oauth_state_is_taken_once,
    tenants_are_isolated,
    connections_are_created_once_updated_by_version_and_deleted,
    unchanged_payer_records_are_not_written_again,
    payer_records_of_a_connection_are_listed_and_deleted_alone,
    correlations_list_by_status_by_client_and_by_record,
    cross_platform_entities_are_kept_per_tenant,
    unchanged_account_records_are_not_written_again,
    account_records_are_listed_deleted_and_kept_whole,
    export_jobs_are_kept_per_tenant_and_listed_newest_first,
    audit_entries_list_newest_first_with_filters,
    outcomes_and_calibration_round_trip_per_tenant,
    audit_entries_are_written_once_and_expire_after_retention,
    settings_versions_are_kept_once_per_tenant_newest_first,
    the_reweigh_state_is_one_item_per_tenant,
    overrides_are_one_per_client_and_kind_and_kept_per_tenant,
    an_expired_override_is_not_read,
    dispatch_progress_is_one_versioned_item_per_slot_that_expires,
);

/// DynamoDB only (the memory store consumes no capacity): a save reports the write units DynamoDB
/// says it consumed, split by table and index, and taking the report resets it.
#[tokio::test]
async fn dynamodb_a_save_reports_the_write_units_it_consumed() {
    let store = fresh_dynamo_store().await;
    store.capacity_report(true);
    let written = store
        .put_scores(&tid("acme"), &[score(1, 40, 70), score(2, 90, 5)])
        .await
        .unwrap();
    assert_eq!(written.items_written, 2);
    let capacity = store.capacity_report(true);
    assert!(capacity.total.write_units > 0.0, "{capacity:?}");
    let table = capacity
        .by_index
        .iter()
        .find(|(label, _)| *label == "table")
        .map(|(_, units)| *units)
        .unwrap_or_default();
    assert!(table.write_units > 0.0, "{capacity:?}");
    let split: f64 = capacity.by_index.iter().map(|(_, u)| u.write_units).sum();
    assert!(
        (split - capacity.total.write_units).abs() < 1e-6,
        "the split adds up to the total: {capacity:?}"
    );
    assert_eq!(
        store.capacity_report(false).total,
        shared::store::ConsumedCapacityTotals::default()
    );
}
