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
        Self::with(config, Authenticator::api_gateway("tenant_id"))
    }

    fn with_authenticator(authenticator: Authenticator) -> Self {
        Self::with(config(), authenticator)
    }

    fn with(config: ApiConfig, authenticator: Authenticator) -> Self {
        let store = MemoryStore::with_clock(now);
        let bus = InProcessBus::new();
        let vault = InProcessVault::new();
        let state = ApiState::new(
            Arc::new(store.clone()),
            Arc::new(bus.clone()),
            Arc::new(vault.clone()),
            config,
            authenticator,
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

    /// As [`Self::call`], with this role claim (`None`: no role claim at all).
    async fn call_as(
        &self,
        method: &str,
        path_and_query: &str,
        tenant: Option<&str>,
        role: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let request = apigw_request_as(
            method,
            path_and_query,
            tenant,
            role,
            body.map(|b| b.to_string()),
        );
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

/// The sample API Gateway request with this method, path, query, claims and body, from an admin.
fn apigw_request(
    method: &str,
    path_and_query: &str,
    tenant: Option<&str>,
    body: Option<String>,
) -> lambda_http::Request {
    apigw_request_as(method, path_and_query, tenant, Some("admin"), body)
}

/// The same with this role claim (`None`: no role claim).
fn apigw_request_as(
    method: &str,
    path_and_query: &str,
    tenant: Option<&str>,
    role: Option<&str>,
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
            if let Some(role) = role {
                event["requestContext"]["authorizer"]["jwt"]["claims"]["role"] = json!(role);
            }
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

/// An active tenant on portal 1001, connected ten days before `now()`.
fn tenant(id: &str) -> Tenant {
    test_support::fixtures::tenant(
        id,
        Some(1001),
        TenantStatus::Active,
        now() - Duration::days(10),
    )
}

fn score(client: &str, overall: u8, churn_risk: u8) -> HealthScore {
    HealthScore {
        segment: None,
        settings_version: 0,
        sources: Default::default(),
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
                    source: shared::domain::Platform::Hubspot,
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
        overrides: Vec::new(),
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
        sources: Default::default(),
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
        status_reason: None,
        snoozed_until: None,
        revenue_upside: None,
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
        platform: None,
        records: Default::default(),
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
        settings_version: 0,
        as_scored: None,
        client_id: client_id(client),
        at: now() - Duration::days(days_ago),
        overall,
        churn_risk: 100 - overall,
        crm: Some(overall),
        payment: None,
        usage: Some(overall),
        support: None,
        parts: Vec::new(),
        overrides: Vec::new(),
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

// ---- the cases, by subject (one test binary; the modules share the set-up above) ----

#[path = "api_routes/audit.rs"]
mod audit;
#[path = "api_routes/authentication.rs"]
mod authentication;
#[path = "api_routes/calibration.rs"]
mod calibration;
#[path = "api_routes/client_detail.rs"]
mod client_detail;
#[path = "api_routes/clients.rs"]
mod clients;
#[path = "api_routes/health_list.rs"]
mod health_list;
#[path = "api_routes/insights.rs"]
mod insights;
#[path = "api_routes/onboarding.rs"]
mod onboarding;
#[path = "api_routes/overrides.rs"]
mod overrides;
#[path = "api_routes/overview.rs"]
mod overview;
#[path = "api_routes/roles.rs"]
mod roles;
#[path = "api_routes/routes.rs"]
mod routes;
#[path = "api_routes/score_change.rs"]
mod score_change;
#[path = "api_routes/settings.rs"]
mod settings;
#[path = "api_routes/syncs.rs"]
mod syncs;
#[path = "api_routes/trends.rs"]
mod trends;
#[path = "api_routes/triage.rs"]
mod triage;
