//! Insights: listing, paging, reading one, and status changes by the caller.

use super::*;

#[tokio::test]
async fn insights_are_listed_in_triage_order_or_newest_first_and_filtered() {
    let api = TestApi::new();
    seed(&api).await;
    let all = api.get("/v1/insights").await.ok();
    // Impact first; the two high ones (same amount at stake) by confidence.
    assert_eq!(
        ids(&all),
        vec![
            "ins-c-critical-inactive_client",
            "ins-c-critical-multiple_risk_factors",
            "ins-c-watch-high_value_low_engagement",
            "ins-c-risk-declining_engagement",
            "ins-c-healthy-upsell_opportunity",
        ]
    );
    assert_eq!(all["next_cursor"], Value::Null);
    assert_eq!(all["total"], 5);
    let newest = api.get("/v1/insights?sort=updated").await.ok();
    assert_eq!(
        ids(&newest),
        vec![
            "ins-c-critical-inactive_client",
            "ins-c-critical-multiple_risk_factors",
            "ins-c-risk-declining_engagement",
            "ins-c-watch-high_value_low_engagement",
            "ins-c-healthy-upsell_opportunity",
        ]
    );

    let cases: [(&str, Vec<&str>); 7] = [
        (
            "type=churn_risk",
            vec![
                "ins-c-critical-multiple_risk_factors",
                "ins-c-risk-declining_engagement",
            ],
        ),
        (
            "impact=high",
            vec![
                "ins-c-critical-multiple_risk_factors",
                "ins-c-watch-high_value_low_engagement",
            ],
        ),
        (
            "min_confidence=80",
            vec![
                "ins-c-critical-inactive_client",
                "ins-c-critical-multiple_risk_factors",
            ],
        ),
        ("band=lower", vec!["ins-c-watch-high_value_low_engagement"]),
        (
            "band=needs_review",
            vec!["ins-c-healthy-upsell_opportunity"],
        ),
        (
            "client=c-critical&impact=critical",
            vec!["ins-c-critical-inactive_client"],
        ),
        ("status=dismissed", vec![]),
    ];
    for (query, expected) in cases {
        let page = api.get(&format!("/v1/insights?{query}")).await.ok();
        assert_eq!(ids(&page), expected, "{query}");
    }
}

#[tokio::test]
async fn insight_pages_follow_the_cursor_to_the_end() {
    let api = TestApi::new();
    seed(&api).await;
    let mut seen = Vec::new();
    let mut next = "/v1/insights?limit=2".to_string();
    let mut pages = 0;
    loop {
        let page = api.get(&next).await.ok();
        pages += 1;
        let items = ids(&page);
        assert!(items.len() <= 2);
        seen.extend(items);
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                next = format!(
                    "/v1/insights?limit=2&cursor={}",
                    url::form_urlencoded::byte_serialize(cursor.as_bytes()).collect::<String>()
                )
            }
            None => break,
        }
        assert!(pages < 10, "the cursor never ends");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 5);
    assert_eq!(
        seen.iter().collect::<BTreeSet<_>>().len(),
        5,
        "no insight twice: {seen:?}"
    );
}

#[tokio::test]
async fn a_cursor_from_another_tenant_is_a_bad_parameter() {
    let api = TestApi::new();
    seed(&api).await;
    let page = api.get("/v1/insights?limit=1").await.ok();
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_string();
    let encoded: String = url::form_urlencoded::byte_serialize(cursor.as_bytes()).collect();
    let reply = api
        .call(
            "GET",
            &format!("/v1/insights?limit=1&cursor={encoded}"),
            Some(TENANT_B),
            None,
        )
        .await;
    let problem = reply.problem(StatusCode::BAD_REQUEST);
    assert_eq!(problem["parameter"], "cursor");
    let garbage = api.get("/v1/insights?cursor=not-a-cursor").await;
    assert_eq!(
        garbage.problem(StatusCode::BAD_REQUEST)["parameter"],
        "cursor"
    );
}

#[tokio::test]
async fn bad_query_parameters_are_named() {
    let api = TestApi::new();
    seed(&api).await;
    for (query, parameter) in [
        ("/v1/insights?type=gossip", "type"),
        ("/v1/insights?impact=enormous", "impact"),
        ("/v1/insights?min_confidence=high", "min_confidence"),
        ("/v1/insights?min_confidence=101", "min_confidence"),
        ("/v1/insights?band=great", "band"),
        ("/v1/insights?client=a%23b", "client"),
        ("/v1/insights?limit=0", "limit"),
        ("/v1/insights?limit=201", "limit"),
        ("/v1/insights?tenant=hs-2002", "tenant"),
        ("/v1/health-scores?sort=name", "sort"),
        ("/v1/health-scores?min_churn_risk=-1", "min_churn_risk"),
        ("/v1/clients/c-critical?from=yesterday", "from"),
        (
            "/v1/clients/c-critical?from=2026-11-20T00:00:00Z&to=2026-11-01T00:00:00Z",
            "from",
        ),
        ("/v1/sync-runs?limit=x", "limit"),
    ] {
        let reply = api.get(query).await;
        let problem = reply.problem(StatusCode::BAD_REQUEST);
        assert_eq!(problem["parameter"], parameter, "{query}: {problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(parameter),
            "{query}: {problem}"
        );
    }
}

#[tokio::test]
async fn one_insight_is_read_by_id_only_within_its_tenant() {
    let api = TestApi::new();
    seed(&api).await;
    let insight = api
        .get("/v1/insights/ins-c-critical-inactive_client")
        .await
        .ok();
    assert_eq!(insight["client_id"], "c-critical");
    assert_eq!(insight["type"], "client_health");
    assert_eq!(insight["confidence_band"], "high");

    // Tenant B's insight does not exist for tenant A, and the reverse.
    let problem = api
        .get("/v1/insights/ins-c-b-inactive_client")
        .await
        .problem(StatusCode::NOT_FOUND);
    assert_eq!(problem["type"], "/problems/not-found");
    api.call(
        "GET",
        "/v1/insights/ins-c-critical-inactive_client",
        Some(TENANT_B),
        None,
    )
    .await
    .problem(StatusCode::NOT_FOUND);
    // Nor can B change it.
    api.call(
        "PATCH",
        "/v1/insights/ins-c-critical-inactive_client",
        Some(TENANT_B),
        Some(json!({"status": "dismissed"})),
    )
    .await
    .problem(StatusCode::NOT_FOUND);

    let problem = api
        .get("/v1/insights/a.b%23c")
        .await
        .problem(StatusCode::BAD_REQUEST);
    assert_eq!(problem["parameter"], "id");
}

#[tokio::test]
async fn insights_are_acknowledged_dismissed_and_reopened_by_the_caller() {
    let api = TestApi::new();
    seed(&api).await;
    let path = "/v1/insights/ins-c-risk-declining_engagement";
    let acknowledged = api
        .call(
            "PATCH",
            path,
            Some(TENANT_A),
            Some(json!({"status": "acknowledged", "version": 0})),
        )
        .await
        .ok();
    assert_eq!(acknowledged["status"], "acknowledged");
    assert_eq!(
        acknowledged["status_changed_by"],
        format!("user-of-{TENANT_A}")
    );
    assert_eq!(acknowledged["status_changed_at"], "2026-11-26T10:00:00Z");
    let version = acknowledged["version"].as_u64().unwrap();
    assert_eq!(version, 1);

    let dismissed = api
        .call(
            "PATCH",
            path,
            Some(TENANT_A),
            Some(json!({"status": "dismissed"})),
        )
        .await
        .ok();
    assert_eq!(dismissed["status"], "dismissed");
    let reopened = api
        .call(
            "PATCH",
            path,
            Some(TENANT_A),
            Some(json!({"status": "open", "version": 2})),
        )
        .await
        .ok();
    assert_eq!(reopened["status"], "open");

    let stored = api
        .store
        .get_insight(
            &tenant_id(TENANT_A),
            &InsightId::parse("ins-c-risk-declining_engagement").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(stored.status, InsightStatus::Open);
    assert_eq!(stored.version, 3);
    // A dismissed insight leaves the open list, and comes back when reopened.
    let open = api.get("/v1/insights?status=open").await.ok();
    assert!(ids(&open).contains(&"ins-c-risk-declining_engagement".to_string()));
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_and_changes_nothing() {
    let api = TestApi::new();
    seed(&api).await;
    let path = "/v1/insights/ins-c-watch-high_value_low_engagement";
    api.call(
        "PATCH",
        path,
        Some(TENANT_A),
        Some(json!({"status": "acknowledged", "version": 0})),
    )
    .await
    .ok();
    let problem = api
        .call(
            "PATCH",
            path,
            Some(TENANT_A),
            Some(json!({"status": "dismissed", "version": 0})),
        )
        .await
        .problem(StatusCode::CONFLICT);
    assert_eq!(problem["type"], "/problems/conflict");
    let current = api.get(path).await.ok();
    assert_eq!(current["status"], "acknowledged");
}

#[tokio::test]
async fn a_resolved_insight_cannot_be_changed_by_hand() {
    let api = TestApi::new();
    seed(&api).await;
    let mut resolved = insight(
        TENANT_A,
        "c-old",
        InsightRule::InactiveClient,
        90,
        Impact::High,
        30,
    );
    resolved.status = InsightStatus::Resolved;
    api.store
        .put_insights(&tenant_id(TENANT_A), &[resolved])
        .await
        .unwrap();
    api.call(
        "PATCH",
        "/v1/insights/ins-c-old-inactive_client",
        Some(TENANT_A),
        Some(json!({"status": "open"})),
    )
    .await
    .problem(StatusCode::CONFLICT);
}

#[tokio::test]
async fn bad_patch_bodies_are_refused_with_a_clear_message() {
    let api = TestApi::new();
    seed(&api).await;
    let path = "/v1/insights/ins-c-risk-declining_engagement";
    // Not JSON at all.
    let request = apigw_request("PATCH", path, Some(TENANT_A), Some("{status:".to_string()));
    let problem = api.send(request).await.problem(StatusCode::BAD_REQUEST);
    assert_eq!(problem["type"], "/problems/bad-body");
    // JSON, but `resolved` is the engine's to set.
    let problem = api
        .call(
            "PATCH",
            path,
            Some(TENANT_A),
            Some(json!({"status": "resolved"})),
        )
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["detail"].as_str().unwrap().contains("status"),
        "{problem}"
    );
    // An unknown member.
    let problem = api
        .call(
            "PATCH",
            path,
            Some(TENANT_A),
            Some(json!({"status": "open", "tenant_id": TENANT_B})),
        )
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["detail"].as_str().unwrap().contains("tenant_id"),
        "{problem}"
    );
}
