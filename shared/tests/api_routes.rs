//! The API router, driven as API Gateway drives it on Lambda: every request is built from the HTTP API
//! (payload 2.0) sample in `events/`, parsed by `lambda_http::request::from_str`, and sent to the
//! router with `tower::ServiceExt::oneshot`, against the in-memory store and the in-process bus.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Value};
use shared::api::config::ApiConfig;
use shared::api::{router, ApiState, Authenticator};
use shared::bus::InProcessBus;
use shared::domain::{
    AuthKind, ClientId, ConfidenceBand, Dimension, DimensionScore, Factor, HealthBand, HealthScore,
    Impact, Insight, InsightId, InsightRule, InsightStatus, ScorePoint, ScoringSettings, SyncId,
    SyncMode, SyncRun, SyncStatus, SyncTrigger, Tenant, TenantId, TenantStatus, TenantSummary,
    Trend,
};
use shared::events::ProductEvent;
use shared::ports::{
    InsightFilter, InsightStore, PageRequest, ScoreQuery, ScoreStore, SyncStore, TenantStore,
};
use shared::store::MemoryStore;
use shared::vault::InProcessVault;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use tower::ServiceExt;

const TENANT_A: &str = "hs-1001";
const TENANT_B: &str = "hs-2002";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
}

fn config() -> ApiConfig {
    ApiConfig::from_lookup(|name| match name {
        "PUBLIC_BASE_URL" => Some("https://insights.example.com".to_string()),
        "HUBSPOT_APP_SECRET_ID" => Some("app/hubspot".to_string()),
        _ => None,
    })
    .expect("test config is complete")
}

struct TestApi {
    store: MemoryStore,
    bus: InProcessBus,
    vault: InProcessVault,
    router: Router,
}

impl TestApi {
    fn new() -> Self {
        Self::with_config(config())
    }

    fn with_config(config: ApiConfig) -> Self {
        let store = MemoryStore::with_clock(now);
        let bus = InProcessBus::new();
        let vault = InProcessVault::new();
        let state = ApiState::new(
            Arc::new(store.clone()),
            Arc::new(bus.clone()),
            Arc::new(vault.clone()),
            config,
            Authenticator::api_gateway("tenant_id"),
        )
        .with_clock(now);
        Self {
            store,
            bus,
            vault,
            router: router(state),
        }
    }

    /// Sends a request as API Gateway would, with the JWT claims of `tenant` (or none).
    async fn call(
        &self,
        method: &str,
        path_and_query: &str,
        tenant: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let request = apigw_request(method, path_and_query, tenant, body.map(|b| b.to_string()));
        self.send(request).await
    }

    async fn get(&self, path_and_query: &str) -> Reply {
        self.call("GET", path_and_query, Some(TENANT_A), None).await
    }

    async fn send(&self, request: lambda_http::Request) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        Reply::read(response).await
    }
}

#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    async fn read(response: axum::response::Response) -> Self {
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, 16 * 1024 * 1024)
            .await
            .expect("body reads")
            .to_vec();
        Self {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts a problem-details body with this status, and returns it.
    fn problem(&self, status: StatusCode) -> Value {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.content_type(), "application/problem+json");
        let problem = self.json();
        assert_eq!(problem["status"], status.as_u16());
        assert!(problem["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("/problems/")));
        assert!(problem["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(problem["detail"].as_str().is_some_and(|t| !t.is_empty()));
        problem
    }

    fn ok(&self) -> Value {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        self.json()
    }
}

fn fixture(name: &str) -> String {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// The sample API Gateway request with this method, path, query, claims and body.
fn apigw_request(
    method: &str,
    path_and_query: &str,
    tenant: Option<&str>,
    body: Option<String>,
) -> lambda_http::Request {
    let mut event: Value = serde_json::from_str(&fixture("apigw-get-overview.json")).unwrap();
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    event["rawPath"] = json!(path);
    event["rawQueryString"] = json!(query);
    event["requestContext"]["http"]["method"] = json!(method);
    event["requestContext"]["http"]["path"] = json!(path);
    match tenant {
        Some(tenant) => {
            event["requestContext"]["authorizer"]["jwt"]["claims"]["tenant_id"] = json!(tenant);
            event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] =
                json!(format!("user-of-{tenant}"));
        }
        None => {
            event["requestContext"]
                .as_object_mut()
                .unwrap()
                .remove("authorizer");
        }
    }
    if let Some(body) = body {
        event["headers"]["content-type"] = json!("application/json");
        event["body"] = json!(body);
    }
    lambda_http::request::from_str(&event.to_string()).expect("the sample request parses")
}

// ---------------------------------------------------------------------------------------------
// Data

fn tenant_id(id: &str) -> TenantId {
    TenantId::parse(id).unwrap()
}

fn client_id(id: &str) -> ClientId {
    ClientId::parse(id).unwrap()
}

fn tenant(id: &str) -> Tenant {
    Tenant::connected(
        tenant_id(id),
        format!("Tenant {id}"),
        Some(1001),
        format!("connected-insights/tenants/{id}"),
        AuthKind::OAuth,
        now() - Duration::days(10),
    )
}

fn score(client: &str, overall: u8, churn_risk: u8) -> HealthScore {
    HealthScore {
        client_id: client_id(client),
        client_name: format!("Client {client}"),
        overall,
        band: HealthBand::of(overall),
        churn_risk,
        dimensions: Dimension::ALL
            .iter()
            .map(|&dimension| DimensionScore {
                dimension,
                score: Some(overall),
                weight: 0.25,
                factors: vec![Factor {
                    name: format!("{dimension:?} factor"),
                    value: Some(f64::from(overall)),
                    points: f64::from(overall),
                    explanation: "planted for the test".to_string(),
                }],
            })
            .collect(),
        trend: Trend {
            delta_7d: Some(-3),
            delta_30d: Some(-12),
        },
        scored_at: now() - Duration::hours(1),
    }
}

fn insight(
    tenant: &str,
    client: &str,
    rule: InsightRule,
    confidence: u8,
    impact: Impact,
    minutes_ago: i64,
) -> Insight {
    Insight {
        id: InsightId::parse(format!("ins-{client}-{}", rule.as_str())).unwrap(),
        tenant_id: tenant_id(tenant),
        client_id: client_id(client),
        client_name: format!("Client {client}"),
        insight_type: rule.insight_type(),
        rule,
        title: format!("{} for {client}", rule.as_str()),
        description: "planted for the test".to_string(),
        explanation: "planted for the test".to_string(),
        confidence,
        confidence_band: ConfidenceBand::of(confidence),
        impact,
        revenue_at_stake: Some(12_000.0),
        recommendations: vec!["Call them".to_string()],
        evidence: vec![],
        status: InsightStatus::Open,
        created_at: now() - Duration::minutes(minutes_ago),
        updated_at: now() - Duration::minutes(minutes_ago),
        status_changed_at: None,
        status_changed_by: None,
        version: 0,
    }
}

fn sync_run(tenant: &str, id: &str, status: SyncStatus, started_minutes_ago: i64) -> SyncRun {
    SyncRun {
        tenant_id: tenant_id(tenant),
        sync_id: SyncId::parse(id).unwrap(),
        mode: SyncMode::Incremental,
        trigger: SyncTrigger::Schedule,
        started_at: now() - Duration::minutes(started_minutes_ago),
        finished_at: (status != SyncStatus::Running)
            .then(|| now() - Duration::minutes(started_minutes_ago - 2)),
        status,
        counts: Default::default(),
        requests_used: 12,
        error: None,
        connection_id: None,
        cursor: None,
    }
}

/// Tenant A with four scored clients, five insights and two sync runs; tenant B with one insight.
async fn seed(api: &TestApi) {
    let a = tenant_id(TENANT_A);
    let b = tenant_id(TENANT_B);
    api.store.create_tenant(&tenant(TENANT_A)).await.unwrap();
    api.store
        .put_scores(
            &a,
            &[
                score("c-healthy", 90, 5),
                score("c-watch", 60, 30),
                score("c-risk", 40, 55),
                score("c-critical", 10, 90),
            ],
        )
        .await
        .unwrap();
    api.store
        .put_insights(
            &a,
            &[
                insight(
                    TENANT_A,
                    "c-critical",
                    InsightRule::InactiveClient,
                    92,
                    Impact::Critical,
                    1,
                ),
                insight(
                    TENANT_A,
                    "c-critical",
                    InsightRule::MultipleRiskFactors,
                    88,
                    Impact::High,
                    2,
                ),
                insight(
                    TENANT_A,
                    "c-risk",
                    InsightRule::DecliningEngagement,
                    75,
                    Impact::Medium,
                    3,
                ),
                insight(
                    TENANT_A,
                    "c-watch",
                    InsightRule::HighValueLowEngagement,
                    55,
                    Impact::High,
                    4,
                ),
                insight(
                    TENANT_A,
                    "c-healthy",
                    InsightRule::UpsellOpportunity,
                    40,
                    Impact::Low,
                    5,
                ),
            ],
        )
        .await
        .unwrap();
    api.store
        .put_insights(
            &b,
            &[insight(
                TENANT_B,
                "c-b",
                InsightRule::InactiveClient,
                90,
                Impact::High,
                1,
            )],
        )
        .await
        .unwrap();
    api.store
        .append_history(
            &a,
            &[
                point("c-critical", 100, 40),
                point("c-critical", 20, 25),
                point("c-critical", 1, 10),
            ],
            400,
        )
        .await
        .unwrap();
    api.store
        .put_sync_run(&sync_run(
            TENANT_A,
            "20261126T080000000Z-00000001",
            SyncStatus::Succeeded,
            120,
        ))
        .await
        .unwrap();
    api.store
        .put_sync_run(&sync_run(
            TENANT_A,
            "20261126T090000000Z-00000002",
            SyncStatus::Failed,
            60,
        ))
        .await
        .unwrap();
}

fn point(client: &str, days_ago: i64, overall: u8) -> ScorePoint {
    ScorePoint {
        client_id: client_id(client),
        at: now() - Duration::days(days_ago),
        overall,
        churn_risk: 100 - overall,
        crm: Some(overall),
        payment: None,
        usage: Some(overall),
        support: None,
    }
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items is an array")
        .iter()
        .map(|item| {
            item.get("id")
                .or_else(|| item.get("client_id"))
                .or_else(|| item.get("sync_id"))
                .and_then(Value::as_str)
                .expect("item has an id")
                .to_string()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Authentication

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

// ---------------------------------------------------------------------------------------------
// Overview

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

// ---------------------------------------------------------------------------------------------
// Insights

#[tokio::test]
async fn insights_are_listed_newest_first_and_filtered() {
    let api = TestApi::new();
    seed(&api).await;
    let all = api.get("/v1/insights").await.ok();
    assert_eq!(
        ids(&all),
        vec![
            "ins-c-critical-inactive_client",
            "ins-c-critical-multiple_risk_factors",
            "ins-c-risk-declining_engagement",
            "ins-c-watch-high_value_low_engagement",
            "ins-c-healthy-upsell_opportunity",
        ]
    );
    assert_eq!(all["next_cursor"], Value::Null);

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

// ---------------------------------------------------------------------------------------------
// Health scores and clients

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

// ---------------------------------------------------------------------------------------------
// Sync

#[tokio::test]
async fn sync_runs_are_listed_newest_first_and_read_by_id() {
    let api = TestApi::new();
    seed(&api).await;
    let page = api.get("/v1/sync-runs").await.ok();
    assert_eq!(
        ids(&page),
        vec![
            "20261126T090000000Z-00000002",
            "20261126T080000000Z-00000001"
        ]
    );
    let first = api.get("/v1/sync-runs?limit=1").await.ok();
    assert_eq!(ids(&first), vec!["20261126T090000000Z-00000002"]);
    let cursor: String = url::form_urlencoded::byte_serialize(
        first["next_cursor"]
            .as_str()
            .expect("a second page")
            .as_bytes(),
    )
    .collect();
    let second = api
        .get(&format!("/v1/sync-runs?limit=1&cursor={cursor}"))
        .await
        .ok();
    assert_eq!(ids(&second), vec!["20261126T080000000Z-00000001"]);

    let run = api
        .get("/v1/sync-runs/20261126T080000000Z-00000001")
        .await
        .ok();
    assert_eq!(run["status"], "succeeded");
    api.call(
        "GET",
        "/v1/sync-runs/20261126T080000000Z-00000001",
        Some(TENANT_B),
        None,
    )
    .await
    .problem(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_manual_sync_is_recorded_requested_and_refused_while_it_runs() {
    let api = TestApi::new();
    seed(&api).await;
    let reply = api.call("POST", "/v1/sync", Some(TENANT_A), None).await;
    assert_eq!(
        reply.status,
        StatusCode::ACCEPTED,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let run = reply.json();
    let sync_id = run["sync_id"].as_str().unwrap().to_string();
    assert_eq!(run["status"], "running");
    // The tenant has never synced: the run will be full, and says so.
    assert_eq!(run["mode"], "full");
    assert_eq!(
        run["trigger"],
        json!({"kind": "manual", "requested_by": format!("user-of-{TENANT_A}")})
    );
    assert!(sync_id.starts_with("20261126T100000000Z-"), "{sync_id}");
    assert_eq!(
        reply.headers[header::LOCATION],
        format!("/v1/sync-runs/{sync_id}").as_str()
    );

    // The run is stored and can be watched where Location says.
    let watched = api.get(&format!("/v1/sync-runs/{sync_id}")).await.ok();
    assert_eq!(watched["status"], "running");

    // One SyncRequested for this tenant, carrying the run's id.
    let published = api.bus.published();
    assert_eq!(published.len(), 1);
    match published[0].event().unwrap() {
        ProductEvent::SyncRequested(request) => {
            assert_eq!(request.tenant_id, tenant_id(TENANT_A));
            assert_eq!(request.mode, SyncMode::Full);
            assert_eq!(
                request.sync_id.as_ref().map(|s| s.as_str()),
                Some(sync_id.as_str())
            );
        }
        other => panic!("expected SyncRequested, got {other:?}"),
    }

    // A second request while it runs is refused, and publishes nothing.
    let problem = api
        .call("POST", "/v1/sync", Some(TENANT_A), None)
        .await
        .problem(StatusCode::CONFLICT);
    assert!(
        problem["detail"].as_str().unwrap().contains(&sync_id),
        "{problem}"
    );
    assert_eq!(api.bus.published().len(), 1);

    // Another tenant is not blocked by it.
    api.store.create_tenant(&tenant(TENANT_B)).await.unwrap();
    let reply = api.call("POST", "/v1/sync", Some(TENANT_B), None).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn a_running_sync_older_than_an_hour_no_longer_blocks() {
    let api = TestApi::new();
    seed(&api).await;
    api.store
        .put_sync_run(&sync_run(
            TENANT_A,
            "20261126T084500000Z-00000003",
            SyncStatus::Running,
            75,
        ))
        .await
        .unwrap();
    let reply = api.call("POST", "/v1/sync", Some(TENANT_A), None).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);

    api.store
        .put_sync_run(&sync_run(
            TENANT_B,
            "20261126T093000000Z-00000004",
            SyncStatus::Running,
            30,
        ))
        .await
        .unwrap();
    api.store.create_tenant(&tenant(TENANT_B)).await.unwrap();
    api.call("POST", "/v1/sync", Some(TENANT_B), None)
        .await
        .problem(StatusCode::CONFLICT);
}

// ---------------------------------------------------------------------------------------------
// Settings

#[tokio::test]
async fn settings_are_read_and_replaced_with_a_version() {
    let api = TestApi::new();
    seed(&api).await;
    let current = api.get("/v1/settings").await.ok();
    assert_eq!(current["version"], 0);
    assert_eq!(current["settings"]["thresholds"]["inactive_days"], 30);

    let mut settings = current["settings"].clone();
    settings["thresholds"]["inactive_days"] = json!(45);
    let updated = api
        .call(
            "PUT",
            "/v1/settings",
            Some(TENANT_A),
            Some(json!({"settings": settings, "version": 0})),
        )
        .await
        .ok();
    assert_eq!(updated["version"], 1);
    assert_eq!(updated["settings"]["thresholds"]["inactive_days"], 45);
    assert_eq!(updated["settings_changed_at"], "2026-11-26T10:00:00Z");

    let stored = api.store.get_tenant(&tenant_id(TENANT_A)).await.unwrap();
    assert_eq!(stored.settings.thresholds.inactive_days, 45);
    assert_eq!(stored.settings_changed_at, now());

    // Writing against the old version is a conflict and changes nothing.
    settings["thresholds"]["inactive_days"] = json!(60);
    api.call(
        "PUT",
        "/v1/settings",
        Some(TENANT_A),
        Some(json!({"settings": settings, "version": 0})),
    )
    .await
    .problem(StatusCode::CONFLICT);
    let stored = api.store.get_tenant(&tenant_id(TENANT_A)).await.unwrap();
    assert_eq!(stored.settings.thresholds.inactive_days, 45);
}

#[tokio::test]
async fn invalid_settings_name_the_field() {
    let api = TestApi::new();
    seed(&api).await;
    let current = api.get("/v1/settings").await.ok();
    let cases = [
        (
            "/thresholds/inactive_days",
            json!(0),
            "thresholds.inactive_days",
        ),
        ("/weights/crm", json!(0.9), "weights"),
        ("/window_days", json!(1000), "window_days"),
        (
            "/thresholds/low_response_ratio",
            json!(1.5),
            "thresholds.low_response_ratio",
        ),
    ];
    for (pointer, value, field) in cases {
        let mut settings = current["settings"].clone();
        *settings.pointer_mut(pointer).unwrap() = value;
        let problem = api
            .call(
                "PUT",
                "/v1/settings",
                Some(TENANT_A),
                Some(json!({"settings": settings})),
            )
            .await
            .problem(StatusCode::BAD_REQUEST);
        assert_eq!(problem["field"], field, "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(field),
            "{problem}"
        );
    }
    // A member of the wrong type is caught while parsing, naming where.
    let mut settings = current["settings"].clone();
    settings["window_days"] = json!("ninety");
    let problem = api
        .call(
            "PUT",
            "/v1/settings",
            Some(TENANT_A),
            Some(json!({"settings": settings})),
        )
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("settings.window_days"),
        "{problem}"
    );

    let stored = api.store.get_tenant(&tenant_id(TENANT_A)).await.unwrap();
    assert_eq!(stored.version, 0, "nothing was written");
}

#[tokio::test]
async fn settings_of_a_tenant_that_never_connected_are_not_found() {
    let api = TestApi::new();
    api.call("GET", "/v1/settings", Some("hs-nobody"), None)
        .await
        .problem(StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------------------------------
// Routing, service routes and the document

#[tokio::test]
async fn unknown_routes_and_wrong_methods_are_problems() {
    let api = TestApi::new();
    let problem = api
        .get("/v1/nothing-here")
        .await
        .problem(StatusCode::NOT_FOUND);
    assert_eq!(problem["type"], "/problems/route-not-found");
    let problem = api
        .call("DELETE", "/v1/insights/ins-x", Some(TENANT_A), None)
        .await
        .problem(StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(problem["type"], "/problems/method-not-allowed");
    api.call("POST", "/v1/overview", Some(TENANT_A), None)
        .await
        .problem(StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn health_and_dashboard_need_no_credentials() {
    let api = TestApi::new();
    let health = api.call("GET", "/health", None, None).await.ok();
    assert_eq!(health["status"], "ok");
    let page = api.call("GET", "/", None, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.content_type().starts_with("text/html"));
    assert!(String::from_utf8_lossy(&page.body).contains("<html"));
}

/// Every route in the table is in the document with the same method, and the document has no
/// other; and each documented operation is answered by the router (not a 404 or 405 of routing).
#[tokio::test]
async fn the_openapi_document_matches_the_served_routes() {
    let api = TestApi::new();
    let reply = api.call("GET", "/openapi.json", None, None).await;
    let document = reply.ok();
    assert_eq!(document["openapi"], "3.1.0");

    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in item.as_object().unwrap().keys() {
            if [
                "get", "put", "post", "delete", "patch", "head", "options", "trace",
            ]
            .contains(&method.as_str())
            {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let served: BTreeSet<(String, String)> = shared::api::routes::table()
        .iter()
        .map(|route| (route.method.to_string(), route.path.to_string()))
        .collect();
    assert_eq!(documented, served);

    for (method, path) in &served {
        let concrete = path.replace("{id}", "some-id");
        let reply = api
            .call(method, &concrete, Some(TENANT_A), Some(json!({})))
            .await;
        if reply.status == StatusCode::NOT_FOUND || reply.status == StatusCode::METHOD_NOT_ALLOWED {
            let problem = reply.json();
            assert_ne!(
                problem["type"], "/problems/route-not-found",
                "{method} {path}"
            );
            assert_ne!(
                problem["type"], "/problems/method-not-allowed",
                "{method} {path}"
            );
        }
    }

    // The schemas the responses name are in the document.
    let schemas = document["components"]["schemas"]
        .as_object()
        .expect("schemas");
    for name in [
        "Problem",
        "Insight",
        "InsightPage",
        "HealthScore",
        "Overview",
        "SyncRun",
        "SettingsView",
    ] {
        assert!(schemas.contains_key(name), "{name} missing");
    }
    let bearer = &document["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["scheme"], "bearer");
}

// ---------------------------------------------------------------------------------------------
// Onboarding, against the HubSpot sandbox (a real HTTP server speaking HubSpot's OAuth wire format)

mod onboarding {
    use super::*;
    use hubspot_sandbox::{Sandbox, SandboxConfig};
    use secrecy::{ExposeSecret, SecretString};
    use shared::ports::{OAuthState, SecretVault, WebhookStore};
    use shared::sources::hubspot::{OAuthApp, StoredCredentials};

    const APP_SECRET_ID: &str = "app/hubspot";

    async fn onboarding_api() -> (TestApi, Sandbox) {
        let sandbox = Sandbox::start(SandboxConfig::small(11))
            .await
            .expect("the sandbox starts");
        let base_url = sandbox.base_url();
        let authorize_url = sandbox.authorize_url_base();
        let config = ApiConfig::from_lookup(|name| match name {
            "PUBLIC_BASE_URL" => Some("https://insights.example.com".to_string()),
            "HUBSPOT_APP_SECRET_ID" => Some(APP_SECRET_ID.to_string()),
            "HUBSPOT_API_BASE_URL" => Some(base_url.clone()),
            "HUBSPOT_AUTHORIZE_URL" => Some(authorize_url.clone()),
            _ => None,
        })
        .unwrap();
        let api = TestApi::with_config(config);
        let app_secret = json!({
            "client_id": "sandbox-client-id",
            "client_secret": "sandbox-client-secret",
        });
        api.vault
            .create(APP_SECRET_ID, &SecretString::from(app_secret.to_string()))
            .await
            .unwrap();
        (api, sandbox)
    }

    fn query_pairs(url: &str) -> HashMap<String, String> {
        url::Url::parse(url)
            .expect("an absolute URL")
            .query_pairs()
            .into_owned()
            .collect()
    }

    /// `/oauth/install`, then HubSpot's consent page (the sandbox approves at once): the URL HubSpot
    /// sends the user back to.
    async fn consent(api: &TestApi, sandbox: &Sandbox) -> String {
        let install = api.call("GET", "/oauth/install", None, None).await;
        assert_eq!(
            install.status,
            StatusCode::FOUND,
            "{}",
            String::from_utf8_lossy(&install.body)
        );
        let authorize = install.headers[header::LOCATION]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            authorize.starts_with(&sandbox.authorize_url_base()),
            "{authorize}"
        );
        let params = query_pairs(&authorize);
        assert_eq!(params["client_id"], "sandbox-client-id");
        assert_eq!(
            params["redirect_uri"],
            "https://insights.example.com/oauth/callback"
        );
        assert!(params["scope"]
            .split(' ')
            .any(|s| s == "crm.objects.companies.read"));
        assert!(params["state"].contains('.'), "the state is signed");

        let no_redirects = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let response = no_redirects.get(&authorize).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 302);
        response.headers()["location"].to_str().unwrap().to_string()
    }

    fn callback_path(back: &str) -> String {
        let url = url::Url::parse(back).unwrap();
        assert_eq!(url.path(), "/oauth/callback");
        format!("/oauth/callback?{}", url.query().unwrap_or_default())
    }

    #[tokio::test]
    async fn install_and_callback_connect_the_portal_and_store_its_tokens() {
        let (api, sandbox) = onboarding_api().await;
        let back = consent(&api, &sandbox).await;
        let reply = api.call("GET", &callback_path(&back), None, None).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        assert!(reply.content_type().starts_with("text/html"));
        let page = String::from_utf8_lossy(&reply.body).to_string();
        assert!(page.contains("is connected"), "{page}");

        let portal = sandbox.portal_id();
        let tenant = api
            .store
            .get_tenant(&tenant_id(&format!("hs-{portal}")))
            .await
            .expect("the tenant was created");
        assert_eq!(tenant.hubspot_portal_id, Some(portal));
        assert_eq!(tenant.status, TenantStatus::Active);
        assert_eq!(tenant.auth_kind, AuthKind::OAuth);
        assert_eq!(tenant.settings, ScoringSettings::default());
        assert_eq!(
            tenant.credentials_secret_id,
            format!("connected-insights/tenants/hs-{portal}")
        );
        let secret = api.vault.get(&tenant.credentials_secret_id).await.unwrap();
        match StoredCredentials::from_secret(&secret.value).unwrap() {
            StoredCredentials::OAuth(tokens) => {
                assert_eq!(tokens.hub_id, Some(portal));
                assert!(!tokens.refresh_token.expose_secret().is_empty());
            }
            other => panic!("expected OAuth credentials, got {other:?}"),
        }
        assert!(!page.contains(secret.value.expose_secret()));

        // The first sync is requested at once.
        let published = api.bus.published();
        assert_eq!(published.len(), 1);
        match published[0].event().unwrap() {
            ProductEvent::SyncRequested(request) => {
                assert_eq!(request.tenant_id, tenant.id);
                assert_eq!(request.mode, SyncMode::Full);
            }
            other => panic!("expected SyncRequested, got {other:?}"),
        }

        // The same link cannot be used twice.
        let problem = api
            .call("GET", &callback_path(&back), None, None)
            .await
            .problem(StatusCode::BAD_REQUEST);
        assert_eq!(problem["type"], "/problems/oauth-failed");

        // Installing again updates the same tenant and replaces its tokens.
        let back = consent(&api, &sandbox).await;
        api.call("GET", &callback_path(&back), None, None)
            .await
            .ok_html();
        let again = api.store.get_tenant(&tenant.id).await.unwrap();
        assert_eq!(again.version, tenant.version + 1);
        let replaced = api.vault.get(&tenant.credentials_secret_id).await.unwrap();
        assert_ne!(replaced.version_id, secret.version_id);
    }

    #[tokio::test]
    async fn a_forged_refused_or_expired_state_connects_nothing() {
        let (api, sandbox) = onboarding_api().await;
        let back = consent(&api, &sandbox).await;
        let params = query_pairs(&back);

        // A state we did not sign.
        let forged = format!("/oauth/callback?code={}&state=abc.def", params["code"]);
        api.call("GET", &forged, None, None)
            .await
            .problem(StatusCode::BAD_REQUEST);
        // The user refused consent.
        let problem = api
            .call(
                "GET",
                "/oauth/callback?error=access_denied&state=x",
                None,
                None,
            )
            .await
            .problem(StatusCode::BAD_REQUEST);
        assert!(problem["detail"]
            .as_str()
            .unwrap()
            .contains("access_denied"));
        // No code.
        let problem = api
            .call("GET", "/oauth/callback?state=x", None, None)
            .await
            .problem(StatusCode::BAD_REQUEST);
        assert_eq!(problem["parameter"], "code");

        // A properly signed state whose nonce expired.
        let app = OAuthApp {
            client_id: "sandbox-client-id".to_string(),
            client_secret: SecretString::from("sandbox-client-secret".to_string()),
            redirect_uri: "https://insights.example.com/oauth/callback".to_string(),
            scopes: vec![],
            optional_scopes: vec![],
            authorize_url: sandbox.authorize_url_base(),
        };
        api.store
            .put_oauth_state(&OAuthState {
                nonce: "expirednonce".to_string(),
                tenant_id: None,
                created_at: now() - Duration::minutes(20),
                expires_at: now() - Duration::minutes(10),
            })
            .await
            .unwrap();
        let code = sandbox.issue_authorization_code();
        let state: String =
            url::form_urlencoded::byte_serialize(app.sign_state("expirednonce").as_bytes())
                .collect();
        api.call(
            "GET",
            &format!("/oauth/callback?code={code}&state={state}"),
            None,
            None,
        )
        .await
        .problem(StatusCode::BAD_REQUEST);

        assert!(api
            .store
            .tenant_by_portal(sandbox.portal_id())
            .await
            .unwrap()
            .is_none());
        assert!(api.bus.published().is_empty());
    }

    #[tokio::test]
    async fn a_code_hubspot_refuses_is_a_clear_error() {
        let (api, sandbox) = onboarding_api().await;
        let back = consent(&api, &sandbox).await;
        let params = query_pairs(&back);
        let state: String =
            url::form_urlencoded::byte_serialize(params["state"].as_bytes()).collect();
        let problem = api
            .call(
                "GET",
                &format!("/oauth/callback?code=not-a-code&state={state}"),
                None,
                None,
            )
            .await
            .problem(StatusCode::BAD_REQUEST);
        assert!(
            problem["detail"].as_str().unwrap().contains("refused"),
            "{problem}"
        );
    }

    #[tokio::test]
    async fn install_without_the_app_secret_fails_without_internals() {
        let api = TestApi::new();
        let problem = api
            .call("GET", "/oauth/install", None, None)
            .await
            .problem(StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(problem["type"], "/problems/oauth-not-configured");
        assert!(
            !problem["detail"].as_str().unwrap().contains("app/hubspot"),
            "{problem}"
        );
    }
}

impl Reply {
    fn ok_html(&self) -> String {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert!(self.content_type().starts_with("text/html"));
        String::from_utf8_lossy(&self.body).to_string()
    }
}
