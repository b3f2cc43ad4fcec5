//! One conformance suite for the store port, run against both adapters: `MemoryStore` and
//! `DynamoStore` on DynamoDB Local (a fresh table per test, created from `table_definition()`).
//! The DynamoDB half needs `AWS_ENDPOINT_URL_DYNAMODB` and fails without it.

use chrono::{DateTime, Duration, TimeZone, Utc};
use shared::domain::{
    AuthKind, ClientId, ClientSnapshot, CompanyActivity, ConfidenceBand, Dimension, DimensionScore,
    Engagement, EngagementKind, Evidence, Factor, HealthBand, HealthScore, Impact, Insight,
    InsightId, InsightRule, InsightStatus, InsightType, ObjectType, ScorePoint, SyncCheckpoint,
    SyncId, SyncMode, SyncRun, SyncStatus, SyncTrigger, Tenant, TenantId, TenantStatus,
    TenantSummary, Trend,
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
    Tenant {
        status,
        ..Tenant::connected(
            tid(id),
            format!("Tenant {id}"),
            portal,
            format!("ci/{id}/hubspot"),
            AuthKind::OAuth,
            t0(),
        )
    }
}

fn score(n: usize, overall: u8, churn_risk: u8) -> HealthScore {
    HealthScore {
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
    }
}

fn insight(tenant_id: &TenantId, n: usize, rule: InsightRule, minutes: i64) -> Insight {
    let confidence = 40 + (n % 60) as u8;
    Insight {
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
    }
}

fn point(n: usize, at: DateTime<Utc>, overall: u8) -> ScorePoint {
    ScorePoint {
        client_id: cid(n),
        at,
        overall,
        churn_risk: 100 - overall,
        crm: Some(overall),
        payment: None,
        usage: Some(50),
        support: None,
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

// ---- the suite -----------------------------------------------------------------------------------

async fn tenants_are_created_once_and_updated_by_version<S: Store>(store: &S) {
    let acme = tenant("acme", Some(4242), TenantStatus::Active);
    store.create_tenant(&acme).await.unwrap();
    assert!(matches!(
        store.create_tenant(&acme).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.get_tenant(&acme.id).await.unwrap(), acme);

    let mut renamed = acme.clone();
    renamed.name = "Acme Ltd".into();
    let updated = store.update_tenant(&renamed).await.unwrap();
    assert_eq!(updated.version, acme.version + 1);
    assert_eq!(store.get_tenant(&acme.id).await.unwrap(), updated);

    // A writer still holding the old version loses.
    let mut stale = acme.clone();
    stale.name = "Stale".into();
    assert!(matches!(
        store.update_tenant(&stale).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.get_tenant(&acme.id).await.unwrap().name, "Acme Ltd");

    let ghost = tenant("ghost", None, TenantStatus::Active);
    assert!(matches!(
        store.update_tenant(&ghost).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.get_tenant(&ghost.id).await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn a_full_sync_is_recorded_without_moving_the_tenant_version<S: Store>(store: &S) {
    let acme = tenant("acme", Some(4242), TenantStatus::Active);
    store.create_tenant(&acme).await.unwrap();
    let finished = t0() + Duration::hours(5);

    store.record_full_sync(&acme.id, finished).await.unwrap();

    let stored = store.get_tenant(&acme.id).await.unwrap();
    assert_eq!(stored.last_full_sync_at, Some(finished));
    assert_eq!(stored.version, acme.version);
    assert_eq!(stored.name, acme.name);
    // A settings change made against the version read before the sync still lands, and keeps it.
    let mut renamed = acme.clone();
    renamed.name = "Acme Ltd".into();
    renamed.last_full_sync_at = stored.last_full_sync_at;
    store.update_tenant(&renamed).await.unwrap();
    let stored = store.get_tenant(&acme.id).await.unwrap();
    assert_eq!(stored.last_full_sync_at, Some(finished));
    // The fan-out sees it through the active-tenant index too.
    let listed = store
        .list_active_tenants(&PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(listed.items[0].last_full_sync_at, Some(finished));

    assert!(matches!(
        store.record_full_sync(&tid("ghost"), finished).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.get_tenant(&tid("ghost")).await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn the_summary_is_versioned_and_kept_per_tenant<S: Store>(store: &S) {
    let acme = tid("acme");
    assert_eq!(store.get_summary(&acme).await.unwrap(), None);
    let summary = TenantSummary::of(&[score(1, 40, 70), score(2, 90, 5)], [], t0());

    // Conditional on "nothing stored" (version 0) works once.
    let first = store.put_summary(&acme, &summary, true).await.unwrap();
    assert_eq!(first.version, 1);
    assert_eq!(store.get_summary(&acme).await.unwrap(), Some(first.clone()));
    assert!(matches!(
        store.put_summary(&acme, &summary, true).await,
        Err(StoreError::Conflict { .. })
    ));

    // A writer holding the current version wins; one holding an older version loses.
    let mut moved = first.clone();
    moved.clients = 7;
    let second = store.put_summary(&acme, &moved, true).await.unwrap();
    assert_eq!(second.version, 2);
    assert!(matches!(
        store.put_summary(&acme, &first, true).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        store.get_summary(&acme).await.unwrap().map(|s| s.clients),
        Some(7)
    );

    // The whole rewrite ignores the stored version.
    let rewritten = store.put_summary(&acme, &summary, false).await.unwrap();
    assert_eq!(rewritten.version, 1);
    assert_eq!(
        store.get_summary(&acme).await.unwrap().map(|s| s.clients),
        Some(2)
    );

    assert_eq!(store.get_summary(&tid("globex")).await.unwrap(), None);
}

async fn scores_of_gone_clients_are_deleted<S: Store>(store: &S) {
    let acme = tid("acme");
    store
        .put_scores(
            &acme,
            &[score(1, 40, 70), score(2, 90, 5), score(3, 60, 20)],
        )
        .await
        .unwrap();

    let report = store
        .delete_scores(&acme, &[cid(1), cid(3), cid(9)])
        .await
        .unwrap();

    assert_eq!(report.items_written, 2);
    let left = store
        .list_scores(&acme, &ScoreQuery::default(), &PageRequest::first(10))
        .await
        .unwrap();
    let left: Vec<_> = left.items.iter().map(|s| s.client_id.clone()).collect();
    assert_eq!(left, vec![cid(2)]);
    assert_eq!(store.get_score(&acme, &cid(1)).await.unwrap(), None);
}

async fn tenants_are_found_by_portal_and_listed_while_active<S: Store>(store: &S) {
    for i in 0..7 {
        let status = if i % 3 == 2 {
            TenantStatus::Disabled
        } else {
            TenantStatus::Active
        };
        store
            .create_tenant(&tenant(&format!("t{i}"), Some(1000 + i), status))
            .await
            .unwrap();
    }
    let found = store.tenant_by_portal(1004).await.unwrap().unwrap();
    assert_eq!(found.id, tid("t4"));
    assert_eq!(store.tenant_by_portal(999).await.unwrap(), None);

    let active = walk(
        2,
        |page| async move { store.list_active_tenants(&page).await },
    )
    .await;
    let ids: Vec<_> = active.iter().map(|t| t.id.to_string()).collect();
    assert_eq!(ids, ["t0", "t1", "t3", "t4", "t6"]);

    // Disabling takes a tenant off the schedule.
    let mut t0 = store.get_tenant(&tid("t0")).await.unwrap();
    t0.status = TenantStatus::NeedsReauth;
    store.update_tenant(&t0).await.unwrap();
    let active = walk(
        10,
        |page| async move { store.list_active_tenants(&page).await },
    )
    .await;
    assert!(active.iter().all(|t| t.id != tid("t0")));
    assert_eq!(active.len(), 4);
}

async fn unchanged_scores_are_not_written_again<S: Store>(store: &S) {
    let acme = &tid("acme");
    let scores: Vec<_> = (0..60).map(|n| score(n, (n % 100) as u8, 10)).collect();
    let first = store.put_scores(acme, &scores).await.unwrap();
    assert_eq!(first.items_written, 60);
    assert_eq!(first.items_unchanged, 0);
    assert_eq!(first.write_requests, 3, "60 items go in 3 batches of 25");

    // Scored again an hour later with the same result: nothing to write.
    let rescored: Vec<_> = scores
        .iter()
        .cloned()
        .map(|mut s| {
            s.scored_at += Duration::hours(1);
            s
        })
        .collect();
    let second = store.put_scores(acme, &rescored).await.unwrap();
    assert_eq!(second.items_written, 0);
    assert_eq!(second.items_unchanged, 60);
    assert_eq!(second.write_requests, 0);

    let mut one_changed = rescored.clone();
    one_changed[7].overall = 99;
    let third = store.put_scores(acme, &one_changed).await.unwrap();
    assert_eq!((third.items_written, third.write_requests), (1, 1));
    assert_eq!(
        store
            .get_score(acme, &cid(7))
            .await
            .unwrap()
            .unwrap()
            .overall,
        99
    );
    // The unchanged ones keep their first `scored_at`.
    assert_eq!(
        store
            .get_score(acme, &cid(8))
            .await
            .unwrap()
            .unwrap()
            .scored_at,
        t0()
    );
}

async fn scores_list_by_overall_with_band_and_churn_filters<S: Store>(store: &S) {
    let acme = &tid("acme");
    let scores: Vec<_> = (0..40)
        .map(|n| score(n, ((n * 37) % 101) as u8, (n * 13 % 100) as u8))
        .collect();
    store.put_scores(acme, &scores).await.unwrap();

    let ascending = walk(7, |page| async move {
        store.list_scores(acme, &ScoreQuery::default(), &page).await
    })
    .await;
    let overalls: Vec<u8> = ascending.iter().map(|s| s.overall).collect();
    let mut sorted = overalls.clone();
    sorted.sort();
    assert_eq!(overalls, sorted);
    assert_eq!(ascending.len(), 40);

    let descending_query = ScoreQuery {
        order: ScoreOrder::OverallDescending,
        ..ScoreQuery::default()
    };
    let descending = walk(9, |page| {
        let q = descending_query.clone();
        async move { store.list_scores(acme, &q, &page).await }
    })
    .await;
    let mut reversed: Vec<u8> = descending.iter().map(|s| s.overall).collect();
    reversed.reverse();
    assert_eq!(reversed, sorted);

    let at_risk = ScoreQuery {
        band: Some(HealthBand::AtRisk),
        min_churn_risk: Some(30),
        ..ScoreQuery::default()
    };
    let listed = walk(3, |page| {
        let q = at_risk.clone();
        async move { store.list_scores(acme, &q, &page).await }
    })
    .await;
    let expected: BTreeSet<_> = scores
        .iter()
        .filter(|s| (25..50).contains(&s.overall) && s.churn_risk >= 30)
        .map(|s| s.client_id.clone())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(
        listed
            .iter()
            .map(|s| s.client_id.clone())
            .collect::<BTreeSet<_>>(),
        expected
    );
    assert_eq!(listed.len(), expected.len());

    let some = store
        .get_scores(acme, &[cid(3), cid(999), cid(1)])
        .await
        .unwrap();
    assert_eq!(
        some.iter().map(|s| s.client_id.clone()).collect::<Vec<_>>(),
        [cid(3), cid(1)]
    );
}

async fn pagination_walks_everything_exactly_once<S: Store>(store: &S) {
    let acme = &tid("acme");
    let scores: Vec<_> = (0..57).map(|n| score(n, 50, 10)).collect();
    store.put_scores(acme, &scores).await.unwrap();
    for limit in [1, 10, 57, 200] {
        let all = walk(limit, |page| async move {
            store.list_scores(acme, &ScoreQuery::default(), &page).await
        })
        .await;
        let ids: BTreeSet<_> = all.iter().map(|s| s.client_id.clone()).collect();
        assert_eq!(all.len(), 57, "limit {limit}");
        assert_eq!(ids.len(), 57, "limit {limit}");
    }
    let first = store
        .list_scores(acme, &ScoreQuery::default(), &PageRequest::first(57))
        .await
        .unwrap();
    assert_eq!(first.next_cursor, None, "no cursor when nothing follows");

    let snapshots: Vec<_> = (0..23).map(|n| snapshot(n, 2)).collect();
    store.put_snapshots(acme, &snapshots).await.unwrap();
    let listed = walk(
        5,
        |page| async move { store.list_snapshots(acme, &page).await },
    )
    .await;
    assert_eq!(listed, snapshots);

    assert!(is_invalid_input(
        store
            .list_scores(acme, &ScoreQuery::default(), &PageRequest::first(0))
            .await
    ));
    let garbage = PageRequest {
        limit: 5,
        cursor: Some("bm90IGEgY3Vyc29y".into()),
    };
    assert!(is_invalid_input(store.list_snapshots(acme, &garbage).await));
}

async fn insights_list_newest_first_by_status_and_filters<S: Store>(store: &S) {
    let acme = &tid("acme");
    let rules = [
        InsightRule::InactiveClient,
        InsightRule::DecliningEngagement,
        InsightRule::UpsellOpportunity,
    ];
    let insights: Vec<_> = (0..30)
        .flat_map(|n| {
            rules.iter().enumerate().map(move |(r, rule)| {
                insight(&tid("acme"), n, *rule, ((n * 11 + r * 5) % 97) as i64)
            })
        })
        .collect();
    let report = store.put_insights(acme, &insights).await.unwrap();
    assert_eq!(report.items_written, 90);
    assert_eq!(report.write_requests, 4);
    assert_eq!(
        store
            .put_insights(acme, &insights)
            .await
            .unwrap()
            .items_written,
        0
    );

    let all = walk(8, |page| async move {
        store
            .list_insights(acme, &InsightFilter::default(), &page)
            .await
    })
    .await;
    assert_eq!(all.len(), 90);
    assert!(
        all.windows(2).all(|w| w[0].updated_at >= w[1].updated_at),
        "newest first"
    );

    // Acknowledge a few, then list by status.
    for insight in all.iter().take(5) {
        let change = StatusChange {
            status: InsightStatus::Acknowledged,
            changed_by: "user@acme".into(),
            changed_at: t0() + Duration::days(1),
            expected_version: insight.version,
        };
        store
            .change_insight_status(acme, &insight.id, &change)
            .await
            .unwrap();
    }
    let acknowledged = InsightFilter {
        status: Some(InsightStatus::Acknowledged),
        ..InsightFilter::default()
    };
    let listed = walk(2, |page| {
        let f = acknowledged.clone();
        async move { store.list_insights(acme, &f, &page).await }
    })
    .await;
    assert_eq!(listed.len(), 5);
    assert!(listed
        .iter()
        .all(|i| i.status == InsightStatus::Acknowledged
            && i.status_changed_by.as_deref() == Some("user@acme")));

    let narrow = InsightFilter {
        status: Some(InsightStatus::Open),
        insight_type: Some(InsightType::ChurnRisk),
        impact: Some(Impact::High),
        min_confidence: Some(60),
        band: None,
        client_id: None,
    };
    let listed = walk(3, |page| {
        let f = narrow.clone();
        async move { store.list_insights(acme, &f, &page).await }
    })
    .await;
    let current = walk(50, |page| async move {
        store
            .list_insights(acme, &InsightFilter::default(), &page)
            .await
    })
    .await;
    let expected: Vec<_> = current
        .iter()
        .filter(|i| narrow.matches(i))
        .map(|i| i.id.clone())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(
        listed.iter().map(|i| i.id.clone()).collect::<Vec<_>>(),
        expected
    );

    let by_band_and_client = InsightFilter {
        band: Some(ConfidenceBand::of(40 + 4)),
        client_id: Some(cid(4)),
        ..InsightFilter::default()
    };
    let listed = store
        .list_insights(acme, &by_band_and_client, &PageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 3);
    assert!(listed.items.iter().all(|i| i.client_id == cid(4)));
}

async fn insights_of_clients_few_or_many<S: Store>(store: &S) {
    let acme = &tid("acme");
    let insights: Vec<_> = (0..80)
        .flat_map(|n| {
            [InsightRule::InactiveClient, InsightRule::UpsellOpportunity]
                .map(|rule| insight(&tid("acme"), n, rule, n as i64))
        })
        .collect();
    store.put_insights(acme, &insights).await.unwrap();
    let ids = |found: Vec<Insight>| found.into_iter().map(|i| i.id).collect::<BTreeSet<_>>();

    let few = store
        .insights_for_clients(acme, &[cid(3), cid(5), cid(500)])
        .await
        .unwrap();
    let expected: BTreeSet<_> = insights
        .iter()
        .filter(|i| [cid(3), cid(5)].contains(&i.client_id))
        .map(|i| i.id.clone())
        .collect();
    assert_eq!(ids(few), expected);

    let many_clients: Vec<_> = (0..70).map(cid).collect();
    let many = store
        .insights_for_clients(acme, &many_clients)
        .await
        .unwrap();
    assert_eq!(many.len(), 140);
    assert!(many.iter().all(|i| many_clients.contains(&i.client_id)));
}

async fn insight_status_changes_check_the_version<S: Store>(store: &S) {
    let acme = &tid("acme");
    let original = insight(acme, 1, InsightRule::InactiveClient, 0);
    store
        .put_insights(acme, std::slice::from_ref(&original))
        .await
        .unwrap();
    let stored = store.get_insight(acme, &original.id).await.unwrap();
    let change = StatusChange {
        status: InsightStatus::Dismissed,
        changed_by: "ops@acme".into(),
        changed_at: t0() + Duration::hours(2),
        expected_version: stored.version,
    };
    let changed = store
        .change_insight_status(acme, &original.id, &change)
        .await
        .unwrap();
    assert_eq!(changed.status, InsightStatus::Dismissed);
    assert_eq!(changed.version, stored.version + 1);
    assert_eq!(changed.status_changed_at, Some(change.changed_at));
    assert_eq!(
        store.get_insight(acme, &original.id).await.unwrap(),
        changed
    );

    // The same change again carries a version that has moved.
    assert!(matches!(
        store
            .change_insight_status(acme, &original.id, &change)
            .await,
        Err(StoreError::Conflict { .. })
    ));
    let missing = InsightId::parse("acme.nobody.inactive_client").unwrap();
    assert!(matches!(
        store.change_insight_status(acme, &missing, &change).await,
        Err(StoreError::NotFound { .. })
    ));

    // A re-run that changes the finding moves the version again.
    let mut rerun = changed.clone();
    rerun.confidence = 99;
    let report = store
        .put_insights(acme, std::slice::from_ref(&rerun))
        .await
        .unwrap();
    assert_eq!(report.items_written, 1);
    let after = store.get_insight(acme, &original.id).await.unwrap();
    assert_eq!((after.confidence, after.version), (99, changed.version + 1));

    // A scoring run that read the insight before a user dismissed it does not undo the dismissal.
    let read_by_score = after.clone();
    let dismissed = store
        .change_insight_status(
            acme,
            &original.id,
            &StatusChange {
                expected_version: after.version,
                ..change.clone()
            },
        )
        .await
        .unwrap();
    let reopened_by_score = Insight {
        status: InsightStatus::Open,
        confidence: 42,
        ..read_by_score
    };
    let report = store
        .put_insights(acme, std::slice::from_ref(&reopened_by_score))
        .await
        .unwrap();
    assert_eq!((report.items_stale, report.items_written), (1, 0));
    assert_eq!(
        store.get_insight(acme, &original.id).await.unwrap(),
        dismissed
    );

    // An insight naming another tenant is refused.
    let foreign = insight(&tid("other"), 2, InsightRule::InactiveClient, 0);
    assert!(is_invalid_input(store.put_insights(acme, &[foreign]).await));
}

async fn history_reads_a_time_range_oldest_first<S: Store>(store: &S) {
    let acme = &tid("acme");
    let now = Utc::now();
    let points: Vec<_> = (0..10)
        .map(|d| point(1, now - Duration::days(d), 50 + d as u8))
        .chain([point(2, now, 10)])
        .collect();
    let report = store.append_history(acme, &points, 30).await.unwrap();
    assert_eq!(report.items_written, 11);
    assert_eq!(
        store
            .append_history(acme, &points, 30)
            .await
            .unwrap()
            .items_written,
        0,
        "the same points again change nothing"
    );

    let range = store
        .history(
            acme,
            &cid(1),
            now - Duration::days(5),
            now - Duration::days(2),
        )
        .await
        .unwrap();
    let overalls: Vec<u8> = range.iter().map(|p| p.overall).collect();
    assert_eq!(overalls, [55, 54, 53, 52]);
    assert!(range.iter().all(|p| p.client_id == cid(1)));

    // A point older than its retention has expired, even before TTL deletes it.
    let old = point(3, now - Duration::days(40), 70);
    store.append_history(acme, &[old], 30).await.unwrap();
    assert!(store
        .history(acme, &cid(3), now - Duration::days(60), now)
        .await
        .unwrap()
        .is_empty());
    assert!(is_invalid_input(
        store.append_history(acme, &points, 0).await
    ));
}

async fn snapshots_and_contact_index_round_trip<S: Store>(store: &S) {
    let acme = &tid("acme");
    // Thousands of engagements: well over 400 KB as JSON.
    let big = snapshot(1, 4000);
    assert!(serde_json::to_vec(&big).unwrap().len() > 400 * 1024);
    let small = snapshot(2, 3);
    let report = store
        .put_snapshots(acme, &[big.clone(), small.clone()])
        .await
        .unwrap();
    assert_eq!(report.items_written, 2);
    let got = store
        .get_snapshots(acme, &[cid(2), cid(1), cid(3)])
        .await
        .unwrap();
    assert_eq!(got, vec![small.clone(), big.clone()]);
    assert_eq!(
        store
            .put_snapshots(acme, &[big.clone(), small.clone()])
            .await
            .unwrap()
            .items_written,
        0
    );
    let deleted = store
        .delete_snapshots(acme, &[cid(1), cid(9)])
        .await
        .unwrap();
    assert_eq!((deleted.items_written, deleted.items_unchanged), (1, 1));
    assert_eq!(
        store.get_snapshots(acme, &[cid(1), cid(2)]).await.unwrap(),
        vec![small]
    );

    let links = vec![
        ("c-1".to_owned(), vec![cid(1), cid(2)]),
        ("c-2".to_owned(), vec![cid(3)]),
    ];
    assert_eq!(
        store
            .put_contact_clients(acme, &links)
            .await
            .unwrap()
            .items_written,
        2
    );
    assert_eq!(
        store
            .put_contact_clients(acme, &links)
            .await
            .unwrap()
            .items_written,
        0
    );
    store
        .put_contact_clients(acme, &[("c-2".to_owned(), vec![])])
        .await
        .unwrap();
    let found = store
        .contact_clients(acme, &["c-2".into(), "c-1".into(), "c-9".into()])
        .await
        .unwrap();
    assert_eq!(found, vec![("c-1".to_owned(), vec![cid(1), cid(2)])]);
}

async fn sync_runs_newest_first_and_checkpoints<S: Store>(store: &S) {
    let acme = &tid("acme");
    let runs: Vec<_> = (0..12).map(|n| sync_run(acme, n)).collect();
    for run in &runs {
        store.put_sync_run(run).await.unwrap();
    }
    let listed = walk(
        5,
        |page| async move { store.list_sync_runs(acme, &page).await },
    )
    .await;
    assert_eq!(listed.len(), 12);
    assert!(listed
        .windows(2)
        .all(|w| w[0].started_at >= w[1].started_at));
    let mut finished = runs[4].clone();
    finished.status = SyncStatus::Failed;
    finished.error = Some("HubSpot 500".into());
    store.put_sync_run(&finished).await.unwrap();
    assert_eq!(
        store.get_sync_run(acme, &finished.sync_id).await.unwrap(),
        finished
    );
    assert!(matches!(
        store
            .get_sync_run(acme, &SyncId::parse("nope").unwrap())
            .await,
        Err(StoreError::NotFound { .. })
    ));

    let checkpoint = |object_type, cursor: Option<&str>| SyncCheckpoint {
        object_type,
        watermark: Some(t0()),
        cursor: cursor.map(str::to_owned),
        sync_id: Some(SyncId::parse("sync-001").unwrap()),
        updated_at: t0(),
    };
    store
        .put_checkpoint(acme, &checkpoint(ObjectType::Deals, Some("after-100")))
        .await
        .unwrap();
    store
        .put_checkpoint(acme, &checkpoint(ObjectType::Companies, None))
        .await
        .unwrap();
    store
        .put_checkpoint(acme, &checkpoint(ObjectType::Deals, Some("after-200")))
        .await
        .unwrap();
    let mut stored = store.checkpoints(acme).await.unwrap();
    stored.sort_by_key(|c| c.object_type);
    assert_eq!(
        stored,
        vec![
            checkpoint(ObjectType::Companies, None),
            checkpoint(ObjectType::Deals, Some("after-200"))
        ]
    );
    store
        .clear_checkpoint(acme, ObjectType::Deals)
        .await
        .unwrap();
    assert_eq!(store.checkpoints(acme).await.unwrap().len(), 1);
}

async fn leases_are_exclusive_until_they_expire_or_are_released<S: Store>(store: &S) {
    let acme = &tid("acme");
    let now = t0();
    let until = now + Duration::minutes(15);
    assert!(store
        .acquire_lease(acme, "sync", "worker-a", until, now)
        .await
        .unwrap());
    assert!(!store
        .acquire_lease(acme, "sync", "worker-b", until, now + Duration::minutes(1))
        .await
        .unwrap());
    // The holder may extend its own lease; other names and tenants are separate.
    assert!(store
        .acquire_lease(acme, "sync", "worker-a", until + Duration::minutes(5), now)
        .await
        .unwrap());
    assert!(store
        .acquire_lease(acme, Lease::TokenRefresh.name(), "worker-b", until, now)
        .await
        .unwrap());
    assert!(store
        .acquire_lease(&tid("other"), "sync", "worker-b", until, now)
        .await
        .unwrap());
    // Released by someone else: still held.
    store.release_lease(acme, "sync", "worker-b").await.unwrap();
    assert!(!store
        .acquire_lease(acme, "sync", "worker-b", until, now + Duration::minutes(2))
        .await
        .unwrap());
    // Expired: free for the next one.
    assert!(store
        .acquire_lease(
            acme,
            "sync",
            "worker-b",
            now + Duration::hours(2),
            until + Duration::minutes(6)
        )
        .await
        .unwrap());
    store.release_lease(acme, "sync", "worker-b").await.unwrap();
    assert!(store
        .acquire_lease(acme, "sync", "worker-c", until, now)
        .await
        .unwrap());
}

async fn a_lease_is_renewed_only_by_its_holder_before_it_expires<S: Store>(store: &S) {
    let acme = &tid("acme");
    let now = t0();
    let sync = Lease::Sync.name();
    assert!(
        !store
            .renew_lease(acme, sync, "worker-a", now + Duration::seconds(90), now)
            .await
            .unwrap(),
        "no lease to renew"
    );
    assert!(store
        .acquire_lease(acme, sync, "worker-a", now + Duration::seconds(90), now)
        .await
        .unwrap());
    // The holder pushes the end out while it works...
    let later = now + Duration::seconds(60);
    assert!(store
        .renew_lease(acme, sync, "worker-a", later + Duration::seconds(90), later)
        .await
        .unwrap());
    // ... so a newcomer after the first term still finds it held.
    let after_first_term = now + Duration::seconds(100);
    assert!(!store
        .acquire_lease(acme, sync, "worker-b", after_first_term, after_first_term)
        .await
        .unwrap());
    assert!(
        !store
            .renew_lease(acme, sync, "worker-b", later, now)
            .await
            .unwrap(),
        "only the holder renews"
    );
    // A holder that let its lease lapse has lost it, even if nobody took it since.
    let lapsed = later + Duration::seconds(91);
    assert!(!store
        .renew_lease(
            acme,
            sync,
            "worker-a",
            lapsed + Duration::seconds(90),
            lapsed
        )
        .await
        .unwrap());
    // Taken over after it lapsed: the old holder's renewal fails and its release does nothing.
    assert!(store
        .acquire_lease(
            acme,
            sync,
            "worker-b",
            lapsed + Duration::seconds(90),
            lapsed
        )
        .await
        .unwrap());
    assert!(!store
        .renew_lease(
            acme,
            sync,
            "worker-a",
            lapsed + Duration::seconds(90),
            lapsed
        )
        .await
        .unwrap());
    store.release_lease(acme, sync, "worker-a").await.unwrap();
    assert!(store
        .renew_lease(
            acme,
            sync,
            "worker-b",
            lapsed + Duration::seconds(120),
            lapsed
        )
        .await
        .unwrap());
}

async fn webhook_event_ids_are_recorded_once<S: Store>(store: &S) {
    let acme = &tid("acme");
    let expires = Utc::now() + Duration::days(3);
    assert!(store
        .record_webhook_event(acme, "12345", expires)
        .await
        .unwrap());
    assert!(!store
        .record_webhook_event(acme, "12345", expires)
        .await
        .unwrap());
    assert!(store
        .record_webhook_event(&tid("other"), "12345", expires)
        .await
        .unwrap());
    // A record past its expiry no longer counts.
    let past = Utc::now() - Duration::minutes(1);
    assert!(store.record_webhook_event(acme, "777", past).await.unwrap());
    assert!(store
        .record_webhook_event(acme, "777", expires)
        .await
        .unwrap());
    assert!(is_invalid_input(
        store.record_webhook_event(acme, "", expires).await
    ));
    // Forgotten (its publish failed): the redelivery is processed.
    store.forget_webhook_event(acme, "12345").await.unwrap();
    assert!(store
        .record_webhook_event(acme, "12345", expires)
        .await
        .unwrap());
    assert!(!store
        .record_webhook_event(&tid("other"), "12345", expires)
        .await
        .unwrap());
    store
        .forget_webhook_event(acme, "never-seen")
        .await
        .unwrap();
}

async fn oauth_state_is_taken_once<S: Store>(store: &S) {
    let now = Utc::now();
    let state = OAuthState {
        nonce: format!("nonce-{}", uuid_like()),
        tenant_id: Some(tid("acme")),
        created_at: now,
        expires_at: now + Duration::minutes(10),
    };
    store.put_oauth_state(&state).await.unwrap();
    assert!(matches!(
        store.put_oauth_state(&state).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        store.take_oauth_state(&state.nonce, now).await.unwrap(),
        Some(state.clone())
    );
    assert_eq!(
        store.take_oauth_state(&state.nonce, now).await.unwrap(),
        None
    );
    assert_eq!(store.take_oauth_state("unknown", now).await.unwrap(), None);

    let late = OAuthState {
        nonce: format!("nonce-{}", uuid_like()),
        ..state.clone()
    };
    store.put_oauth_state(&late).await.unwrap();
    assert_eq!(
        store
            .take_oauth_state(&late.nonce, now + Duration::minutes(11))
            .await
            .unwrap(),
        None
    );
}

fn uuid_like() -> String {
    format!("{:x}", rand_u64())
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

/// Everything written for tenant A is invisible through every read of tenant B, cursors included.
async fn tenants_are_isolated<S: Store>(store: &S) {
    let a = &tid("alpha");
    let b = &tid("beta");
    store
        .create_tenant(&tenant("alpha", Some(1), TenantStatus::Active))
        .await
        .unwrap();
    let scores: Vec<_> = (0..12).map(|n| score(n, 40, 50)).collect();
    store.put_scores(a, &scores).await.unwrap();
    let insights: Vec<_> = (0..12)
        .map(|n| insight(a, n, InsightRule::InactiveClient, n as i64))
        .collect();
    store.put_insights(a, &insights).await.unwrap();
    store
        .put_snapshots(a, &(0..12).map(|n| snapshot(n, 1)).collect::<Vec<_>>())
        .await
        .unwrap();
    let now = Utc::now();
    store
        .append_history(a, &[point(1, now, 40)], 30)
        .await
        .unwrap();
    for n in 0..12 {
        store.put_sync_run(&sync_run(a, n)).await.unwrap();
    }
    store
        .put_checkpoint(
            a,
            &SyncCheckpoint {
                object_type: ObjectType::Deals,
                watermark: None,
                cursor: None,
                sync_id: None,
                updated_at: now,
            },
        )
        .await
        .unwrap();
    store
        .put_contact_clients(a, &[("c1".into(), vec![cid(1)])])
        .await
        .unwrap();

    let ids: Vec<_> = (0..12).map(cid).collect();
    assert!(matches!(
        store.get_tenant(b).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(store.get_score(b, &cid(1)).await.unwrap(), None);
    assert!(store.get_scores(b, &ids).await.unwrap().is_empty());
    assert!(store.get_snapshots(b, &ids).await.unwrap().is_empty());
    assert!(store
        .contact_clients(b, &["c1".into()])
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .insights_for_clients(b, &ids)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        store.get_insight(b, &insights[0].id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(store
        .history(b, &cid(1), now - Duration::days(1), now + Duration::days(1))
        .await
        .unwrap()
        .is_empty());
    assert!(store.checkpoints(b).await.unwrap().is_empty());
    assert!(matches!(
        store.get_sync_run(b, &sync_run(a, 1).sync_id).await,
        Err(StoreError::NotFound { .. })
    ));
    let first = PageRequest::first(5);
    let b_scores = store
        .list_scores(b, &ScoreQuery::default(), &first)
        .await
        .unwrap();
    assert!(b_scores.items.is_empty() && b_scores.next_cursor.is_none());
    assert!(store
        .list_insights(b, &InsightFilter::default(), &first)
        .await
        .unwrap()
        .items
        .is_empty());
    assert!(store
        .list_snapshots(b, &first)
        .await
        .unwrap()
        .items
        .is_empty());
    assert!(store
        .list_sync_runs(b, &first)
        .await
        .unwrap()
        .items
        .is_empty());
    let status_change = StatusChange {
        status: InsightStatus::Resolved,
        changed_by: "intruder".into(),
        changed_at: now,
        expected_version: insights[0].version,
    };
    assert!(matches!(
        store
            .change_insight_status(b, &insights[0].id, &status_change)
            .await,
        Err(StoreError::NotFound { .. })
    ));

    // A's cursors are refused for B.
    let a_scores = store
        .list_scores(a, &ScoreQuery::default(), &first)
        .await
        .unwrap();
    let a_insights = store
        .list_insights(a, &InsightFilter::default(), &first)
        .await
        .unwrap();
    let a_snapshots = store.list_snapshots(a, &first).await.unwrap();
    let a_runs = store.list_sync_runs(a, &first).await.unwrap();
    let with = |cursor: Option<String>| PageRequest {
        limit: 5,
        cursor: Some(cursor.expect("A has a second page")),
    };
    assert!(is_invalid_input(
        store
            .list_scores(
                b,
                &ScoreQuery::default(),
                &with(a_scores.next_cursor.clone())
            )
            .await
    ));
    assert!(is_invalid_input(
        store
            .list_insights(b, &InsightFilter::default(), &with(a_insights.next_cursor))
            .await
    ));
    assert!(is_invalid_input(
        store
            .list_snapshots(b, &with(a_snapshots.next_cursor))
            .await
    ));
    assert!(is_invalid_input(
        store.list_sync_runs(b, &with(a_runs.next_cursor)).await
    ));
    // ... and by another query of A's own.
    assert!(is_invalid_input(
        store.list_sync_runs(a, &with(a_scores.next_cursor)).await
    ));
}

// ---- connections, payer records and correlations (their own file) --------------------------------

#[path = "store_conformance/connections.rs"]
mod connections;
use connections::*;

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
    insights_of_clients_few_or_many,
    insight_status_changes_check_the_version,
    history_reads_a_time_range_oldest_first,
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
);

#[test]
fn memory_store_persists_to_its_file() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = std::env::temp_dir().join(format!("store-conformance-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("store.json");
    runtime.block_on(async {
        let store = shared::store::MemoryStore::open(&path).unwrap();
        store
            .create_tenant(&tenant("acme", Some(9), TenantStatus::Active))
            .await
            .unwrap();
        store
            .put_scores(&tid("acme"), &[score(1, 33, 60)])
            .await
            .unwrap();
        store.save().unwrap();

        let reopened = shared::store::MemoryStore::open(&path).unwrap();
        assert_eq!(
            reopened.tenant_by_portal(9).await.unwrap().map(|t| t.id),
            Some(tid("acme"))
        );
        let listed = reopened
            .list_scores(&tid("acme"), &ScoreQuery::default(), &PageRequest::first(5))
            .await
            .unwrap();
        assert_eq!(listed.items, vec![score(1, 33, 60)]);
    });
    std::fs::write(&path, b"not json").unwrap();
    assert!(matches!(
        shared::store::MemoryStore::open(&path),
        Err(StoreError::Corrupt(_))
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn memory_store_saves_from_many_threads_at_once_leave_a_whole_file() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = std::env::temp_dir().join(format!("store-conformance-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("store.json");
    let store = shared::store::MemoryStore::open(&path).unwrap();
    runtime.block_on(async {
        store
            .create_tenant(&tenant("acme", Some(9), TenantStatus::Active))
            .await
            .unwrap();
        let scores: Vec<_> = (0..500).map(|n| score(n, 40, 10)).collect();
        store.put_scores(&tid("acme"), &scores).await.unwrap();
    });

    // The periodic save, the save after scoring and the save after a user's change may all run at
    // once: each must succeed, and the file must always be one whole save.
    let savers: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            std::thread::spawn(move || (0..10).map(|_| store.save()).collect::<Vec<_>>())
        })
        .collect();
    for saver in savers {
        for saved in saver.join().unwrap() {
            saved.unwrap();
        }
    }

    let reopened = shared::store::MemoryStore::open(&path).unwrap();
    runtime.block_on(async {
        let (reopened, acme) = (&reopened, &tid("acme"));
        let listed = walk(200, |page| async move {
            reopened
                .list_scores(acme, &ScoreQuery::default(), &page)
                .await
        })
        .await;
        assert_eq!(listed.len(), 500);
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn memory_store_clears_the_leases_of_a_process_that_is_gone() {
    let store = shared::store::MemoryStore::new();
    let now = Utc::now();
    let until = now + Duration::hours(1);
    for (tenant, lease) in [
        ("acme", Lease::Sync),
        ("acme", Lease::TokenRefresh),
        ("other", Lease::Sync),
    ] {
        assert!(store
            .acquire_lease(&tid(tenant), lease.name(), "dead-process", until, now)
            .await
            .unwrap());
    }
    store
        .create_tenant(&tenant("acme", Some(9), TenantStatus::Active))
        .await
        .unwrap();

    assert_eq!(store.clear_leases().unwrap(), 3);

    for tenant in ["acme", "other"] {
        assert!(store
            .acquire_lease(&tid(tenant), Lease::Sync.name(), "new-process", until, now)
            .await
            .unwrap());
    }
    assert!(
        store.get_tenant(&tid("acme")).await.is_ok(),
        "only leases are cleared"
    );
}
