//! Who may call: API Gateway's JWT claims, the tenant claim, the local development token.

use super::*;

#[tokio::test]
async fn every_v1_route_answers_401_without_claims() {
    let api = TestApi::new();
    seed(&api).await;
    for (method, path) in [
        ("GET", "/v1/overview"),
        ("GET", "/v1/insights"),
        ("GET", "/v1/insights/ins-c-critical-inactive_client"),
        ("PATCH", "/v1/insights/ins-c-critical-inactive_client"),
        ("GET", "/v1/health-scores"),
        ("GET", "/v1/clients/c-critical"),
        ("GET", "/v1/sync-runs"),
        ("GET", "/v1/sync-runs/20261126T090000000Z-00000002"),
        ("POST", "/v1/sync"),
        ("GET", "/v1/settings"),
        ("PUT", "/v1/settings"),
    ] {
        let reply = api
            .call(method, path, None, Some(json!({"status": "dismissed"})))
            .await;
        let problem = reply.problem(StatusCode::UNAUTHORIZED);
        assert_eq!(
            problem["type"], "/problems/unauthenticated",
            "{method} {path}"
        );
        assert_eq!(reply.headers[header::WWW_AUTHENTICATE], "Bearer");
    }
    // Nothing was changed by the refused requests.
    let insight = api
        .store
        .get_insight(
            &tenant_id(TENANT_A),
            &InsightId::parse("ins-c-critical-inactive_client").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(insight.status, InsightStatus::Open);
    assert!(api.bus.published().is_empty());
}

#[tokio::test]
async fn claims_come_from_a_real_api_gateway_request() {
    let api = TestApi::new();
    seed(&api).await;
    // The sample carries tenant_id hs-12345678 and asks for churn_risk with min_confidence=70.
    let other = tenant_id("hs-12345678");
    api.store
        .put_insights(
            &other,
            &[
                insight(
                    "hs-12345678",
                    "c-x",
                    InsightRule::InactiveClient,
                    90,
                    Impact::High,
                    1,
                ),
                insight(
                    "hs-12345678",
                    "c-x",
                    InsightRule::DecliningEngagement,
                    80,
                    Impact::High,
                    2,
                ),
                insight(
                    "hs-12345678",
                    "c-y",
                    InsightRule::DecliningEngagement,
                    60,
                    Impact::High,
                    3,
                ),
            ],
        )
        .await
        .unwrap();
    let request = lambda_http::request::from_str(&fixture("apigw-list-insights.json")).unwrap();
    let reply = api.send(request).await;
    let page = reply.ok();
    assert_eq!(ids(&page), vec!["ins-c-x-declining_engagement"]);

    let request =
        lambda_http::request::from_str(&fixture("apigw-get-overview-unauthenticated.json"))
            .unwrap();
    api.send(request).await.problem(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_claim_that_is_not_a_tenant_id_is_refused() {
    let api = TestApi::new();
    api.call("GET", "/v1/overview", Some("a#b"), None)
        .await
        .problem(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_tenant_claim_name_is_configurable() {
    let mut config = config();
    config.tenant_claim = "custom:org".to_string();
    let store = MemoryStore::with_clock(now);
    let state = ApiState::new(
        Arc::new(store.clone()),
        Arc::new(InProcessBus::new()),
        Arc::new(InProcessVault::new()),
        config.clone(),
        Authenticator::api_gateway(config.tenant_claim.clone()),
    );
    store.create_tenant(&tenant(TENANT_B)).await.unwrap();
    let router = router(state);
    let mut event: Value = serde_json::from_str(&fixture("apigw-get-overview.json")).unwrap();
    event["rawPath"] = json!("/v1/settings");
    event["requestContext"]["authorizer"]["jwt"]["claims"]["custom:org"] = json!(TENANT_B);
    let reply = Reply::read(
        router
            .clone()
            .oneshot(lambda_http::request::from_str(&event.to_string()).unwrap())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.ok()["version"], 0);
    // The default claim alone is not enough once another is configured.
    event["requestContext"]["authorizer"]["jwt"]["claims"]
        .as_object_mut()
        .unwrap()
        .remove("custom:org");
    let reply = Reply::read(
        router
            .oneshot(lambda_http::request::from_str(&event.to_string()).unwrap())
            .await
            .unwrap(),
    )
    .await;
    reply.problem(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_development_token_stands_in_for_claims_locally() {
    let store = MemoryStore::with_clock(now);
    store.create_tenant(&tenant(TENANT_A)).await.unwrap();
    let state = ApiState::new(
        Arc::new(store),
        Arc::new(InProcessBus::new()),
        Arc::new(InProcessVault::new()),
        config(),
        Authenticator::DevelopmentToken {
            token: "dev-token-123".to_string().into(),
            tenant_id: tenant_id(TENANT_A),
            subject: "developer".to_string(),
        },
    );
    let router = router(state);
    let request = |token: Option<&str>| {
        let mut builder = Request::get("/v1/settings");
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        builder.body(Body::empty()).unwrap()
    };
    let reply = Reply::read(
        router
            .clone()
            .oneshot(request(Some("dev-token-123")))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.ok()["settings"]["window_days"], 90);
    for wrong in [None, Some("dev-token-12"), Some("dev-token-1234")] {
        let reply = Reply::read(router.clone().oneshot(request(wrong)).await.unwrap()).await;
        reply.problem(StatusCode::UNAUTHORIZED);
    }
}
