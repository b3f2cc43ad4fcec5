//! The paged score run (`score_in_pages`) against the whole-tenant run it replaced
//! (`handle_tenant_synced_whole`) on generated tenants: the same scores, insights, summary, history,
//! outcomes and events, whatever the page size (1, a few, larger than the tenant), on a first run and
//! on a second after clients changed and some left the CRM.

use chrono::{DateTime, Duration, DurationRound, Utc};
use shared::bus::InProcessBus;
use shared::domain::{
    ClientId, ClientOutcomeRecord, HealthScore, Insight, InsightRule, ScorePoint, SyncId, SyncMode,
    TenantId, TenantSummary,
};
use shared::events::{ProductEvent, ScoresUpdated, TenantSynced, SCHEMA_VERSION};
use shared::handlers::score_pages::score_in_pages;
use shared::handlers::score_whole::handle_tenant_synced_whole;
use shared::ports::{InsightStore, OutcomeStore, ScoreStore, SnapshotStore, TenantStore};
use shared::store::{every_score, MemoryStore};
use std::collections::BTreeMap;
use test_support::scored_tenant::{client_id, history, snapshot, tenant_record};

const SEED: u64 = 19;

fn tenant() -> TenantId {
    TenantId::parse("paged-tenant").unwrap()
}

fn synced(sync: &str) -> TenantSynced {
    TenantSynced {
        schema_version: SCHEMA_VERSION,
        tenant_id: tenant(),
        sync_id: SyncId::parse(sync).unwrap(),
        mode: SyncMode::Full,
        started_at: Utc::now(),
        finished_at: Utc::now(),
        counts: Default::default(),
        changed_client_ids: Vec::new(),
        changed_clients: 0,
    }
}

/// Now to the second, so stored times compare equal; the store's clock is the real one, which
/// hides history older than its retention.
fn now() -> DateTime<Utc> {
    Utc::now().duration_trunc(Duration::seconds(1)).unwrap()
}

async fn seeded(clients: usize, now: DateTime<Utc>) -> MemoryStore {
    let store = MemoryStore::new();
    let record = tenant_record(&tenant(), now);
    let retention = record.settings.history_retention_days;
    store.create_tenant(&record).await.unwrap();
    let snapshots: Vec<_> = (0..clients).map(|i| snapshot(i, SEED, 20, now)).collect();
    store.put_snapshots(&tenant(), &snapshots).await.unwrap();
    let points: Vec<ScorePoint> = (0..clients)
        .flat_map(|i| history(i, SEED, 91, now))
        .collect();
    store
        .append_history(&tenant(), &points, retention)
        .await
        .unwrap();
    store
}

/// A day later: every third client's CRM record changed, every fifth left the CRM (all of them with
/// `all_leave`).
async fn change(store: &MemoryStore, clients: usize, all_leave: bool, later: DateTime<Utc>) {
    let changed: Vec<_> = (0..clients)
        .filter(|i| i % 3 == 0)
        .map(|i| snapshot(i, SEED + 1, 12, later))
        .collect();
    store.put_snapshots(&tenant(), &changed).await.unwrap();
    let gone: Vec<ClientId> = (0..clients)
        .filter(|i| all_leave || i % 5 == 2)
        .map(client_id)
        .collect();
    store.delete_snapshots(&tenant(), &gone).await.unwrap();
}

/// Everything a run leaves behind, in a fixed order.
#[derive(Debug, PartialEq)]
struct Outcome {
    updated: ScoresUpdated,
    scores: Vec<HealthScore>,
    insights: Vec<Insight>,
    summary: Option<TenantSummary>,
    histories: BTreeMap<ClientId, Vec<ScorePoint>>,
    outcomes: Vec<ClientOutcomeRecord>,
    /// Events of each kind published, in order within the kind (pages interleave the kinds).
    events: BTreeMap<String, Vec<String>>,
}

async fn outcome(
    store: &MemoryStore,
    bus: &InProcessBus,
    mut updated: ScoresUpdated,
    clients: usize,
    now: DateTime<Utc>,
) -> Outcome {
    let ids: Vec<ClientId> = (0..clients).map(client_id).collect();
    let mut scores = every_score(store, &tenant()).await.unwrap();
    scores.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    let mut insights = store.insights_for_clients(&tenant(), &ids).await.unwrap();
    insights.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    let mut histories = BTreeMap::new();
    for id in &ids {
        let points = store
            .history(&tenant(), id, now - Duration::days(200), now)
            .await
            .unwrap();
        histories.insert(id.clone(), points);
    }
    let mut outcomes = store.outcomes(&tenant()).await.unwrap();
    outcomes.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    let mut events: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for delivered in bus.published() {
        let event = delivered.event().unwrap();
        let kind = match &event {
            ProductEvent::ClientHealthChanged(_) => "health_changed",
            ProductEvent::InsightOpened(_) => "insight_opened",
            ProductEvent::InsightResolved(_) => "insight_resolved",
            ProductEvent::ScoresUpdated(_) => "scores_updated",
            _ => "other",
        };
        events
            .entry(kind.to_owned())
            .or_default()
            .push(format!("{event:?}"));
    }
    // Kinds stay in order within a page; across pages, sort for the comparison.
    for list in events.values_mut() {
        list.sort();
    }
    updated
        .score_drops
        .sort_by(|a, b| a.client_id.cmp(&b.client_id));
    Outcome {
        updated,
        scores,
        insights,
        summary: store.get_summary(&tenant()).await.unwrap(),
        histories,
        outcomes,
        events,
    }
}

/// Runs both twice (a first run, then a day later after `change`) and compares after each.
async fn assert_paged_equals_whole(clients: usize, page_size: usize, all_leave: bool) {
    let first = now();
    let later = first + Duration::days(1);
    let whole = seeded(clients, first).await;
    let paged = seeded(clients, first).await;
    for (round, at) in [(1, first), (2, later)] {
        if round == 2 {
            change(&whole, clients, all_leave, at).await;
            change(&paged, clients, all_leave, at).await;
        }
        let sync = format!("sync-{round}");
        let (whole_bus, paged_bus) = (InProcessBus::new(), InProcessBus::new());
        let by_whole = handle_tenant_synced_whole(&whole, &whole_bus, &synced(&sync), at)
            .await
            .unwrap();
        let by_pages = score_in_pages(&paged, &paged_bus, &synced(&sync), at, page_size)
            .await
            .unwrap();
        let expected = outcome(&whole, &whole_bus, by_whole, clients, at).await;
        let got = outcome(&paged, &paged_bus, by_pages, clients, at).await;
        assert!(
            !expected.scores.is_empty() || clients == 0 || (round == 2 && all_leave),
            "the tenant was scored"
        );
        assert_eq!(
            got, expected,
            "{clients} clients in pages of {page_size}, run {round}"
        );
    }
}

#[tokio::test]
async fn paged_runs_score_like_the_whole_tenant_run_at_every_page_size() {
    for page_size in [1, 4, 25, 1_000] {
        assert_paged_equals_whole(60, page_size, false).await;
    }
}

#[tokio::test]
async fn a_tenant_whose_clients_all_left_resolves_them_page_by_page() {
    for page_size in [1, 3, 100] {
        assert_paged_equals_whole(13, page_size, true).await;
    }
}

#[tokio::test]
async fn an_empty_tenant_and_a_single_client_score_alike() {
    for page_size in [1, 2] {
        assert_paged_equals_whole(0, page_size, false).await;
        assert_paged_equals_whole(1, page_size, false).await;
    }
}

#[tokio::test]
async fn the_generated_tenant_opens_insights_and_drops_scores() {
    // Without findings and drops, the comparisons above would compare little.
    let at = now();
    let store = seeded(60, at).await;
    let bus = InProcessBus::new();
    let updated = score_in_pages(&store, &bus, &synced("sync-1"), at, 7)
        .await
        .unwrap();
    assert_eq!(updated.clients_scored, 60);
    assert!(updated.insights_opened >= 10, "{updated:?}");
    let ids: Vec<ClientId> = (0..60).map(client_id).collect();
    let insights = store.insights_for_clients(&tenant(), &ids).await.unwrap();
    // Upsell compares with the healthy clients' median revenue: the one figure the paged run learns
    // in its second pass.
    assert!(
        insights
            .iter()
            .any(|i| i.rule == InsightRule::UpsellOpportunity),
        "no upsell among {} insights",
        insights.len()
    );
    let summary = store.get_summary(&tenant()).await.unwrap().unwrap();
    assert!(summary.clients_by_band.healthy > 0, "{summary:?}");
    assert!(summary.clients_at_risk() > 0, "{summary:?}");
}
