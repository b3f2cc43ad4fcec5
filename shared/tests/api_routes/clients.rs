//! Health scores and one client's detail.

use super::*;

#[tokio::test]
async fn health_scores_sort_and_filter() {
    let api = TestApi::new();
    seed(&api).await;
    let ascending = api.get("/v1/health-scores").await.ok();
    assert_eq!(
        ids(&ascending),
        vec!["c-critical", "c-risk", "c-watch", "c-healthy"]
    );
    assert_eq!(
        ascending["items"][0]["dimensions"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let descending = api.get("/v1/health-scores?sort=overall_desc").await.ok();
    assert_eq!(
        ids(&descending),
        vec!["c-healthy", "c-watch", "c-risk", "c-critical"]
    );
    let at_risk = api.get("/v1/health-scores?band=at_risk").await.ok();
    assert_eq!(ids(&at_risk), vec!["c-risk"]);
    let churning = api
        .get("/v1/health-scores?min_churn_risk=50&sort=overall_desc")
        .await
        .ok();
    assert_eq!(ids(&churning), vec!["c-risk", "c-critical"]);

    let first = api.get("/v1/health-scores?limit=3").await.ok();
    assert_eq!(ids(&first), vec!["c-critical", "c-risk", "c-watch"]);
    let cursor: String = url::form_urlencoded::byte_serialize(
        first["next_cursor"]
            .as_str()
            .expect("a second page")
            .as_bytes(),
    )
    .collect();
    let second = api
        .get(&format!("/v1/health-scores?limit=3&cursor={cursor}"))
        .await
        .ok();
    assert_eq!(ids(&second), vec!["c-healthy"]);
    assert_eq!(second["next_cursor"], Value::Null);

    let other = api
        .call("GET", "/v1/health-scores", Some(TENANT_B), None)
        .await
        .ok();
    assert_eq!(ids(&other), Vec::<String>::new());
}

#[tokio::test]
async fn a_client_shows_its_factors_trend_history_and_open_insights() {
    let api = TestApi::new();
    seed(&api).await;
    let client = api.get("/v1/clients/c-critical").await.ok();
    assert_eq!(client["score"]["overall"], 10);
    assert_eq!(
        client["score"]["dimensions"][0]["factors"][0]["explanation"],
        "planted for the test"
    );
    assert_eq!(client["trend"], json!({"delta_7d": -3, "delta_30d": -12}));
    // The default range is 90 days: the point 100 days ago is outside it.
    let history: Vec<i64> = client["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["overall"].as_i64().unwrap())
        .collect();
    assert_eq!(history, vec![25, 10]);
    assert_eq!(client["history_from"], "2026-08-28T10:00:00Z");
    assert_eq!(client["history_to"], "2026-11-26T10:00:00Z");
    let open: Vec<&str> = client["open_insights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        open,
        vec![
            "ins-c-critical-inactive_client",
            "ins-c-critical-multiple_risk_factors"
        ]
    );

    let ranged = api
        .get("/v1/clients/c-critical?from=2026-07-01T00:00:00Z&to=2026-11-10T00:00:00Z")
        .await
        .ok();
    let history: Vec<i64> = ranged["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["overall"].as_i64().unwrap())
        .collect();
    assert_eq!(history, vec![40, 25]);

    // Dismissing an insight takes it off the client's open list.
    api.call(
        "PATCH",
        "/v1/insights/ins-c-critical-inactive_client",
        Some(TENANT_A),
        Some(json!({"status": "dismissed"})),
    )
    .await
    .ok();
    let client = api.get("/v1/clients/c-critical").await.ok();
    assert_eq!(client["open_insights"].as_array().unwrap().len(), 1);

    api.get("/v1/clients/c-unknown")
        .await
        .problem(StatusCode::NOT_FOUND);
    api.call("GET", "/v1/clients/c-critical", Some(TENANT_B), None)
        .await
        .problem(StatusCode::NOT_FOUND);
}
