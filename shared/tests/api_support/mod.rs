//! A small harness for the API tests that live outside `api_routes.rs`: the router on the in-memory
//! store, driven with plain `http::Request`s (a development token stands for the caller).

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use secrecy::SecretString;
use serde_json::Value;
use shared::api::config::ApiConfig;
use shared::api::{router, ApiState, Authenticator};
use shared::bus::InProcessBus;
use shared::domain::{Tenant, TenantId, TenantStatus};
use shared::store::MemoryStore;
use shared::vault::InProcessVault;
use std::sync::Arc;
use tower::ServiceExt;

pub const TENANT: &str = "hs-1001";
pub const TOKEN: &str = "test-development-token";
pub const APP_SECRET_ID: &str = "app/hubspot";

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
}

pub fn config_with(extra: impl Fn(&str) -> Option<String>) -> ApiConfig {
    ApiConfig::from_lookup(|name| match name {
        "PUBLIC_BASE_URL" => Some("https://insights.example.com".to_string()),
        "HUBSPOT_APP_SECRET_ID" => Some(APP_SECRET_ID.to_string()),
        other => extra(other),
    })
    .expect("test config is complete")
}

pub struct Api {
    pub store: MemoryStore,
    pub bus: InProcessBus,
    pub vault: InProcessVault,
    pub router: Router,
}

impl Api {
    pub fn new() -> Self {
        Self::with_config(config_with(|_| None))
    }

    pub fn with_config(config: ApiConfig) -> Self {
        Self::with_state(config, |state| state)
    }

    /// An API whose state `adjust` finishes (e.g. with a payments source factory).
    pub fn with_state(config: ApiConfig, adjust: impl FnOnce(ApiState) -> ApiState) -> Self {
        let store = MemoryStore::with_clock(now);
        let bus = InProcessBus::new();
        let vault = InProcessVault::new();
        let state = ApiState::new(
            Arc::new(store.clone()),
            Arc::new(bus.clone()),
            Arc::new(vault.clone()),
            config,
            Authenticator::DevelopmentToken {
                token: SecretString::from(TOKEN),
                tenant_id: tenant_id(TENANT),
                subject: "tester".to_string(),
            },
        )
        .with_clock(now);
        let state = adjust(state);
        Self {
            store,
            bus,
            vault,
            router: router(state),
        }
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, 64 * 1024 * 1024)
            .await
            .expect("body reads")
            .to_vec();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// `method path` as the tenant's caller, with an optional JSON body.
    pub async fn call(&self, method: &str, path: &str, json: Option<&str>) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
        if json.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let body = json.map(|j| Body::from(j.to_string())).unwrap_or_default();
        self.send(request.body(body).unwrap()).await
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    /// The body as a problem of this status, checked to be `application/problem+json` with the
    /// members RFC 9457 asks for.
    pub fn problem(&self, status: StatusCode) -> Value {
        assert_eq!(self.status, status, "{}", self.text());
        assert_problem(self);
        self.json()
    }
}

/// An error answer is a problem document: the content type, and `type`, `title`, `status` (equal to
/// the HTTP status) and `detail`.
pub fn assert_problem(reply: &Reply) {
    assert_eq!(
        reply.content_type(),
        "application/problem+json",
        "{} {}",
        reply.status,
        reply.text()
    );
    let problem = reply.json();
    assert_eq!(problem["status"], reply.status.as_u16(), "{problem}");
    for member in ["type", "title", "detail"] {
        assert!(problem[member].is_string(), "{member} missing: {problem}");
    }
}

pub fn tenant_id(id: &str) -> TenantId {
    TenantId::parse(id).unwrap()
}

/// An active tenant on portal 1001, connected at `now()`.
pub fn tenant(id: &str) -> Tenant {
    test_support::fixtures::tenant(id, Some(1001), TenantStatus::Active, now())
}
