//! Shared helpers: a sandbox with a fixed anchor, and a token.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use paypal_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;

/// A fixed anchor, so every run of a test sees the same account.
pub fn anchor() -> DateTime<Utc> {
    let now = Utc::now().timestamp();
    DateTime::from_timestamp(now - now.rem_euclid(3_600), 0).unwrap_or_default()
}

pub fn config(seed: u64) -> SandboxConfig {
    SandboxConfig {
        anchor: Some(anchor()),
        ..SandboxConfig::small(seed)
    }
}

pub async fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("sandbox starts")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

pub async fn token(sandbox: &Sandbox) -> String {
    let response = client()
        .post(format!("{}/v1/oauth2/token", sandbox.base_url()))
        .basic_auth(sandbox.client_id(), Some(sandbox.client_secret()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token call");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("token json");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// GET with a bearer token; returns the status, the headers and the JSON body.
pub async fn get(
    sandbox: &Sandbox,
    token: &str,
    path_and_query: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = client()
        .get(format!("{}{path_and_query}", sandbox.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

pub async fn post(
    sandbox: &Sandbox,
    token: &str,
    path_and_query: &str,
    body: &Value,
) -> (u16, Value) {
    let response = client()
        .post(format!("{}{path_and_query}", sandbox.base_url()))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// RFC 3339 with seconds, URL-safe enough for a query (`Z`, no `+`).
pub fn at(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The transaction search path for a window.
pub fn search_path(start: DateTime<Utc>, end: DateTime<Utc>, extra: &str) -> String {
    format!(
        "/v1/reporting/transactions?start_date={}&end_date={}{extra}",
        at(start),
        at(end)
    )
}
