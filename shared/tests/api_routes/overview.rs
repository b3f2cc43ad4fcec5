//! The overview: counts, the stored summary, an empty tenant.

use super::*;

#[tokio::test]
async fn overview_counts_clients_health_insights_and_the_last_sync() {
    let api = TestApi::new();
    seed(&api).await;
    let overview = api.get("/v1/overview").await.ok();
    assert_eq!(overview["clients"], 4);
    assert_eq!(overview["average_health"], 50.0);
    assert_eq!(overview["clients_at_risk"], 2);
    assert_eq!(
        overview["clients_by_band"],
        json!({"healthy": 1, "watch": 1, "at_risk": 1, "critical": 1})
    );
    assert_eq!(overview["open_insights"], 5);
    assert_eq!(
        overview["open_insights_by_type"],
        json!({"client_health": 1, "revenue_optimization": 1, "churn_risk": 2, "upsell_opportunity": 1})
    );
    assert_eq!(
        overview["open_insights_by_impact"],
        json!({"low": 1, "medium": 1, "high": 2, "critical": 1})
    );
    assert_eq!(overview["open_insights_needing_review"], 1);
    assert_eq!(
        overview["last_sync"]["sync_id"],
        "20261126T090000000Z-00000002"
    );
    assert_eq!(overview["last_sync"]["status"], "failed");
    assert_eq!(overview["connection"]["status"], "active");
}

/// The summary score would write for the seeded data.
async fn seed_summary(api: &TestApi) {
    let a = tenant_id(TENANT_A);
    let scores = api
        .store
        .list_scores(&a, &ScoreQuery::default(), &PageRequest::first(100))
        .await
        .unwrap()
        .items;
    let insights = api
        .store
        .list_insights(&a, &InsightFilter::default(), &PageRequest::first(100))
        .await
        .unwrap()
        .items;
    let summary = TenantSummary::of(&scores, &insights, now());
    api.store.put_summary(&a, &summary, false).await.unwrap();
}

#[tokio::test]
async fn overview_reads_the_summary_and_follows_status_changes() {
    let api = TestApi::new();
    seed(&api).await;
    seed_summary(&api).await;
    let live = api.get("/v1/overview").await.ok();
    // Once there is a summary, scores written behind score's back are not counted.
    api.store
        .put_scores(&tenant_id(TENANT_A), &[score("c-unscored", 99, 1)])
        .await
        .unwrap();
    let overview = api.get("/v1/overview").await.ok();
    assert_eq!(overview, live);
    assert_eq!(overview["clients"], 4);
    assert_eq!(overview["open_insights"], 5);

    let path = "/v1/insights/ins-c-critical-multiple_risk_factors";
    let dismiss = json!({"status": "dismissed"});
    api.call("PATCH", path, Some(TENANT_A), Some(dismiss))
        .await
        .ok();
    let overview = api.get("/v1/overview").await.ok();
    assert_eq!(overview["open_insights"], 4);
    assert_eq!(overview["open_insights_by_type"]["churn_risk"], 1);
    assert_eq!(overview["open_insights_by_impact"]["high"], 1);

    // Dismissed to acknowledged keeps it out; reopening brings it back.
    let acknowledge = json!({"status": "acknowledged"});
    api.call("PATCH", path, Some(TENANT_A), Some(acknowledge))
        .await
        .ok();
    assert_eq!(api.get("/v1/overview").await.ok()["open_insights"], 4);
    let reopen = json!({"status": "open"});
    api.call("PATCH", path, Some(TENANT_A), Some(reopen))
        .await
        .ok();
    assert_eq!(api.get("/v1/overview").await.ok(), live);
}

#[tokio::test]
async fn overview_of_a_tenant_without_data_is_empty_not_an_error() {
    let api = TestApi::new();
    let overview = api
        .call("GET", "/v1/overview", Some("hs-new"), None)
        .await
        .ok();
    assert_eq!(overview["clients"], 0);
    assert_eq!(overview["average_health"], Value::Null);
    assert_eq!(overview["last_sync"], Value::Null);
    assert_eq!(overview["connection"], Value::Null);
}
