//! The score function's handler on the in-process store and bus: what a `TenantSynced` writes, what
//! a repeat leaves alone, and how insights resolve and score drops are reported as clients change.

mod scoring_support;

use chrono::Duration;
use scoring_support::{client, days_ago, now, tenant};
use shared::bus::InProcessBus;
use shared::domain::{
    AuthKind, ClientId, ClientSnapshot, InsightRule, InsightStatus, SyncId, SyncMode, Tenant,
    TenantSummary,
};
use shared::events::{ProductEvent, ScoresUpdated, TenantSynced, SCHEMA_VERSION};
use shared::handlers::score::handle_tenant_synced;
use shared::ports::{InsightStore, ScoreStore, SnapshotStore, TenantStore};
use shared::scoring::insight_id;
use shared::store::MemoryStore;

fn id(client: &str) -> ClientId {
    ClientId::parse(client).unwrap()
}

fn synced() -> TenantSynced {
    TenantSynced {
        schema_version: SCHEMA_VERSION,
        tenant_id: tenant(),
        sync_id: SyncId::parse("sync-1").unwrap(),
        mode: SyncMode::Full,
        started_at: now() - Duration::minutes(2),
        finished_at: now() - Duration::minutes(1),
        counts: Default::default(),
        changed_client_ids: vec![id("busy"), id("dormant")],
        changed_clients: 2,
    }
}

/// A client in touch with us every few days.
fn busy(name: &str) -> ClientSnapshot {
    client(name)
        .contacts(3)
        .sent_emails(10)
        .received_emails(8)
        .last_contacted(1.0)
        .build()
}

/// A client nobody has heard from in 45 days.
fn dormant(name: &str) -> ClientSnapshot {
    client(name)
        .contacts(2)
        .last_contacted(45.0)
        .note(45.0)
        .build()
}

async fn tenant_with(snapshots: &[ClientSnapshot]) -> MemoryStore {
    let store = MemoryStore::new();
    let record = Tenant::connected(
        tenant(),
        "Tenant",
        Some(1),
        "s",
        AuthKind::OAuth,
        days_ago(90.0),
    );
    store.create_tenant(&record).await.unwrap();
    store.put_snapshots(&tenant(), snapshots).await.unwrap();
    store
}

fn last_scores_updated(bus: &InProcessBus) -> ScoresUpdated {
    bus.published()
        .iter()
        .rev()
        .find_map(|delivered| match delivered.event() {
            Ok(ProductEvent::ScoresUpdated(updated)) => Some(updated),
            _ => None,
        })
        .expect("a ScoresUpdated was published")
}

/// The summary score wrote must equal what counting every score and open insight gives.
async fn assert_summary_is_live(store: &MemoryStore) -> TenantSummary {
    let summary = store
        .get_summary(&tenant())
        .await
        .unwrap()
        .expect("score writes the summary");
    let clients = [id("busy"), id("dormant")];
    let scores = store.get_scores(&tenant(), &clients).await.unwrap();
    let insights = store
        .insights_for_clients(&tenant(), &clients)
        .await
        .unwrap();
    let live = TenantSummary::of(&scores, &insights, summary.computed_at);
    assert_eq!(
        TenantSummary {
            version: summary.version,
            ..live
        },
        summary
    );
    summary
}

async fn history_len(store: &MemoryStore, client: &str) -> usize {
    store
        .history(
            &tenant(),
            &id(client),
            now() - Duration::days(60),
            now() + Duration::days(1),
        )
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn every_client_is_scored_and_the_dormant_one_gets_its_inactive_insight() {
    let store = tenant_with(&[busy("busy"), dormant("dormant")]).await;
    let bus = InProcessBus::new();

    let updated = handle_tenant_synced(&store, &bus, &synced(), now())
        .await
        .unwrap();

    assert_eq!(updated.clients_scored, 2);
    assert_eq!(last_scores_updated(&bus), updated);
    let busy_score = store
        .get_score(&tenant(), &id("busy"))
        .await
        .unwrap()
        .unwrap();
    let dormant_score = store
        .get_score(&tenant(), &id("dormant"))
        .await
        .unwrap()
        .unwrap();
    assert!(
        busy_score.overall > dormant_score.overall,
        "busy {} vs dormant {}",
        busy_score.overall,
        dormant_score.overall
    );
    let inactive = store
        .get_insight(
            &tenant(),
            &insight_id(&tenant(), &id("dormant"), InsightRule::InactiveClient),
        )
        .await
        .unwrap();
    assert_eq!(inactive.status, InsightStatus::Open);
    let busy_insights = store
        .insights_for_clients(&tenant(), &[id("busy")])
        .await
        .unwrap();
    assert!(busy_insights
        .iter()
        .all(|i| i.rule != InsightRule::InactiveClient));
    assert!(updated.insights_opened >= 1);
    assert_eq!(history_len(&store, "busy").await, 1);
    assert_eq!(history_len(&store, "dormant").await, 1);
    let summary = assert_summary_is_live(&store).await;
    assert_eq!(summary.clients, 2);
    assert!(summary.open_insights.total >= 1);
}

/// Open insights stored before the triage index (their index key was the update time) are moved
/// into it by the next scoring runs, unchanged.
#[tokio::test]
async fn a_run_moves_open_insights_stored_before_the_triage_index_into_it() {
    use shared::store::row::{Condition, Record, Row};
    use shared::store::Table;
    let store = tenant_with(&[busy("busy"), dormant("dormant")]).await;
    let bus = InProcessBus::new();
    handle_tenant_synced(&store, &bus, &synced(), now())
        .await
        .unwrap();
    let open = store
        .insights_for_clients(&tenant(), &[id("dormant")])
        .await
        .unwrap();
    assert!(!open.is_empty());
    for insight in &open {
        let mut keys = shared::store::keys::insight(insight);
        if let Some(gsi1) = keys.gsi1.as_mut() {
            gsi1.sk = format!("2026-11-01T00:00:00.000000Z#{}", insight.id);
        }
        let row = Row::new(
            keys,
            Record::Insight {
                insight: insight.clone(),
            },
        );
        store
            .table()
            .put_row_if(row, Condition::Always)
            .await
            .unwrap();
    }
    assert!(store
        .has_insights_outside_triage_order(&tenant(), InsightStatus::Open)
        .await
        .unwrap());

    handle_tenant_synced(&store, &bus, &synced(), now() + Duration::minutes(5))
        .await
        .unwrap();
    assert!(!store
        .has_insights_outside_triage_order(&tenant(), InsightStatus::Open)
        .await
        .unwrap());
    let after = store
        .insights_for_clients(&tenant(), &[id("dormant")])
        .await
        .unwrap();
    assert_eq!(after, open);
}

#[tokio::test]
async fn scoring_the_same_data_again_opens_nothing_and_adds_no_history() {
    let store = tenant_with(&[busy("busy"), dormant("dormant")]).await;
    let bus = InProcessBus::new();
    let first = handle_tenant_synced(&store, &bus, &synced(), now())
        .await
        .unwrap();
    let before = store
        .insights_for_clients(&tenant(), &[id("busy"), id("dormant")])
        .await
        .unwrap();

    let again = handle_tenant_synced(&store, &bus, &synced(), now() + Duration::minutes(5))
        .await
        .unwrap();

    assert_eq!(again.clients_scored, first.clients_scored);
    assert_eq!(again.insights_opened, 0);
    assert_eq!(again.insights_resolved, 0);
    assert!(again.score_drops.is_empty());
    let after = store
        .insights_for_clients(&tenant(), &[id("busy"), id("dormant")])
        .await
        .unwrap();
    assert_eq!(after.len(), before.len());
    assert_eq!(history_len(&store, "busy").await, 1);
    assert_eq!(history_len(&store, "dormant").await, 1);
}

#[tokio::test]
async fn a_client_back_in_touch_resolves_its_insight_and_one_gone_quiet_is_a_score_drop() {
    let store = tenant_with(&[busy("busy"), dormant("dormant")]).await;
    let bus = InProcessBus::new();
    handle_tenant_synced(&store, &bus, &synced(), now())
        .await
        .unwrap();
    let busy_before = store
        .get_score(&tenant(), &id("busy"))
        .await
        .unwrap()
        .unwrap();

    // The two clients swap: the dormant one is in touch again, the busy one went quiet.
    store
        .put_snapshots(&tenant(), &[dormant("busy"), busy("dormant")])
        .await
        .unwrap();
    let an_hour_later = now() + Duration::hours(1);
    let updated = handle_tenant_synced(&store, &bus, &synced(), an_hour_later)
        .await
        .unwrap();

    let resolved = store
        .get_insight(
            &tenant(),
            &insight_id(&tenant(), &id("dormant"), InsightRule::InactiveClient),
        )
        .await
        .unwrap();
    assert_eq!(resolved.status, InsightStatus::Resolved);
    assert!(updated.insights_resolved >= 1);
    let busy_after = store
        .get_score(&tenant(), &id("busy"))
        .await
        .unwrap()
        .unwrap();
    assert!(
        busy_before.overall >= busy_after.overall + 15,
        "{} -> {}",
        busy_before.overall,
        busy_after.overall
    );
    let drop = updated
        .score_drops
        .iter()
        .find(|d| d.client_id == id("busy"))
        .expect("busy's fall is reported");
    assert_eq!(
        (drop.previous, drop.current),
        (busy_before.overall, busy_after.overall)
    );
    assert!(updated
        .score_drops
        .iter()
        .all(|d| d.client_id != id("dormant")));
    // A changed score is a new history point at once.
    assert_eq!(history_len(&store, "busy").await, 2);
    // The summary is rewritten whole, as the next version.
    let summary = assert_summary_is_live(&store).await;
    assert_eq!(summary.version, 2);
}

#[tokio::test]
async fn a_client_gone_from_the_crm_loses_its_score_and_its_insights_resolve() {
    let store = tenant_with(&[busy("busy"), dormant("dormant")]).await;
    let bus = InProcessBus::new();
    handle_tenant_synced(&store, &bus, &synced(), now())
        .await
        .unwrap();
    let inactive = insight_id(&tenant(), &id("dormant"), InsightRule::InactiveClient);
    assert_eq!(
        store
            .get_insight(&tenant(), &inactive)
            .await
            .unwrap()
            .status,
        InsightStatus::Open
    );

    // Sync removed the company: its snapshot is gone.
    store
        .delete_snapshots(&tenant(), &[id("dormant")])
        .await
        .unwrap();
    let updated = handle_tenant_synced(&store, &bus, &synced(), now() + Duration::hours(1))
        .await
        .unwrap();

    assert_eq!(updated.clients_scored, 1);
    assert_eq!(
        store.get_score(&tenant(), &id("dormant")).await.unwrap(),
        None
    );
    assert!(store
        .get_score(&tenant(), &id("busy"))
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        store
            .get_insight(&tenant(), &inactive)
            .await
            .unwrap()
            .status,
        InsightStatus::Resolved
    );
    assert!(updated.insights_resolved >= 1);
    let summary = store.get_summary(&tenant()).await.unwrap().unwrap();
    assert_eq!(summary.clients, 1);
    let open_left = store
        .insights_for_clients(&tenant(), &[id("busy"), id("dormant")])
        .await
        .unwrap()
        .iter()
        .filter(|i| i.status == InsightStatus::Open)
        .count() as u64;
    assert_eq!(summary.open_insights.total, open_left);
}

#[path = "score_handler/accountability.rs"]
mod accountability;
#[path = "score_handler/events.rs"]
mod events;
#[path = "score_handler/overrides.rs"]
mod overrides;
#[path = "score_handler/trends.rs"]
mod trends;

// --- clients linked to payer records --------------------------------------------------------------

mod linked_payers {
    use super::*;
    use scoring_support::payers::{correlation, payer};
    use shared::domain::{CorrelationStatus, DisputeStage, Platform};
    use shared::ports::{CorrelationStore, PayerStore};

    async fn tenant_with_payers() -> MemoryStore {
        let store = tenant_with(&[busy("busy"), dormant("dormant")]).await;
        let owing = payer("OWING")
            .paid(500.0, 20.0)
            .invoice(900.0, 30, None)
            .dispute(DisputeStage::Inquiry, "OPEN", 5.0)
            .build();
        let unsure = payer("UNSURE").invoice(400.0, 60, None).build();
        store.put_payers(&tenant(), &[owing, unsure]).await.unwrap();
        store
            .put_correlations(
                &tenant(),
                &[
                    correlation("busy", "OWING", CorrelationStatus::Auto, 0.93),
                    // Waiting for review: its record must not count for the client yet.
                    correlation("dormant", "UNSURE", CorrelationStatus::NeedsReview, 0.7),
                ],
            )
            .await
            .unwrap();
        store
    }

    async fn open_rules(store: &MemoryStore, client: &str) -> Vec<InsightRule> {
        let mut rules: Vec<InsightRule> = store
            .insights_for_clients(&tenant(), &[id(client)])
            .await
            .unwrap()
            .into_iter()
            .filter(|i| i.status == InsightStatus::Open)
            .map(|i| i.rule)
            .collect();
        rules.sort();
        rules
    }

    #[tokio::test]
    async fn a_payer_naming_the_company_is_matched_by_the_score_run_itself() {
        use shared::domain::MatchMethod;
        use shared::ports::ConnectionStore;
        let store = tenant_with(&[busy("busy"), dormant("dormant")]).await;
        let connection = test_support::cross_platform::paypal_connection(
            &tenant(),
            scoring_support::payers::connection().as_str(),
            now(),
        );
        store.create_connection(&connection).await.unwrap();
        let mut named = payer("NAMED")
            .paid(500.0, 3.0)
            .dispute(DisputeStage::Inquiry, "OPEN", 2.0)
            .build();
        named.reference_ids = vec!["busy".into()];
        store.put_payers(&tenant(), &[named]).await.unwrap();

        handle_tenant_synced(&store, &InProcessBus::new(), &synced(), now())
            .await
            .unwrap();

        let links = store
            .correlations_for_clients(&tenant(), &[id("busy")])
            .await
            .unwrap();
        assert_eq!(links.len(), 1, "{links:?}");
        assert_eq!(links[0].status, CorrelationStatus::Auto);
        assert_eq!(links[0].method, MatchMethod::ExplicitId);
        let score = store
            .get_score(&tenant(), &id("busy"))
            .await
            .unwrap()
            .unwrap();
        let platforms: Vec<Platform> = score.sources.iter().map(|s| s.platform).collect();
        assert_eq!(platforms, vec![Platform::Hubspot, Platform::Paypal]);
        assert!(open_rules(&store, "busy")
            .await
            .contains(&InsightRule::PaymentDispute));
    }

    #[tokio::test]
    async fn a_linked_payer_feeds_the_score_and_opens_payment_insights() {
        let store = tenant_with_payers().await;
        let bus = InProcessBus::new();
        handle_tenant_synced(&store, &bus, &synced(), now())
            .await
            .unwrap();

        let score = store
            .get_score(&tenant(), &id("busy"))
            .await
            .unwrap()
            .unwrap();
        let platforms: Vec<Platform> = score.sources.iter().map(|s| s.platform).collect();
        assert_eq!(platforms, vec![Platform::Hubspot, Platform::Paypal]);
        assert_eq!(score.sources[1].match_confidence, Some(0.93));
        let payment = score.dimension(shared::domain::Dimension::Payment).unwrap();
        assert!(payment.factors.iter().any(|f| f.source == Platform::Paypal));
        let busy_rules = open_rules(&store, "busy").await;
        assert!(
            busy_rules.contains(&InsightRule::OverdueInvoices),
            "{busy_rules:?}"
        );
        assert!(
            busy_rules.contains(&InsightRule::PaymentDispute),
            "{busy_rules:?}"
        );
        let dispute = store
            .get_insight(
                &tenant(),
                &insight_id(&tenant(), &id("busy"), InsightRule::PaymentDispute),
            )
            .await
            .unwrap();
        assert_eq!(dispute.sources[0].platform, Platform::Paypal);
        assert!(!open_rules(&store, "dormant")
            .await
            .contains(&InsightRule::OverdueInvoices));
        let dormant = store
            .get_score(&tenant(), &id("dormant"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            dormant.sources.len(),
            1,
            "a match under review links nothing"
        );
        let summary = assert_summary_is_live(&store).await;
        assert_eq!(summary.open_insights.by_type.payment_risk, 2);

        // The same data again writes no new insight.
        let again = handle_tenant_synced(&store, &bus, &synced(), now() + Duration::minutes(5))
            .await
            .unwrap();
        assert_eq!((again.insights_opened, again.insights_resolved), (0, 0));
    }

    #[tokio::test]
    async fn rejecting_the_match_resolves_the_payment_insights() {
        let store = tenant_with_payers().await;
        let bus = InProcessBus::new();
        handle_tenant_synced(&store, &bus, &synced(), now())
            .await
            .unwrap();
        store
            .put_correlations(
                &tenant(),
                &[correlation(
                    "busy",
                    "OWING",
                    CorrelationStatus::Rejected,
                    0.93,
                )],
            )
            .await
            .unwrap();
        let updated = handle_tenant_synced(&store, &bus, &synced(), now() + Duration::hours(1))
            .await
            .unwrap();
        assert!(updated.insights_resolved >= 2);
        assert!(open_rules(&store, "busy").await.is_empty());
        let score = store
            .get_score(&tenant(), &id("busy"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(score.sources.len(), 1);
    }
}

#[path = "score_handler/linked_accounts.rs"]
mod linked_accounts;
