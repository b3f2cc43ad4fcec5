//! The sandbox served over HTTP, exercised with reqwest as the connector will.

use std::collections::{BTreeSet, HashSet};

use hubspot_sandbox::{Faults, Sandbox, SandboxConfig};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client builds")
}

async fn get(sandbox: &Sandbox, token: &str, path_and_query: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path_and_query}", sandbox.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("sandbox answers")
}

async fn post(sandbox: &Sandbox, token: &str, path: &str, body: &Value) -> reqwest::Response {
    client()
        .post(format!("{}{path}", sandbox.base_url()))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("sandbox answers")
}

async fn body(response: reqwest::Response) -> Value {
    response.json().await.expect("JSON body")
}

fn fast(mut config: SandboxConfig) -> SandboxConfig {
    config.rate_limit_per_ten_seconds = 100_000;
    config.search_per_second = 100_000;
    config
}

/// Walks a list endpoint to the end, returning every record and the number of pages.
async fn walk(sandbox: &Sandbox, object_type: &str, query: &str) -> (Vec<Value>, usize) {
    let token = sandbox.private_app_token();
    let mut records = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let cursor = after
            .as_ref()
            .map(|a| format!("&after={a}"))
            .unwrap_or_default();
        let response = get(
            sandbox,
            &token,
            &format!("/crm/v3/objects/{object_type}?{query}{cursor}"),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        let page = body(response).await;
        pages += 1;
        records.extend(page["results"].as_array().expect("results").iter().cloned());
        match page["paging"]["next"]["after"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
    }
    (records, pages)
}

async fn search(sandbox: &Sandbox, object_type: &str, request: &Value) -> (StatusCode, Value) {
    let response = post(
        sandbox,
        &sandbox.private_app_token(),
        &format!("/crm/v3/objects/{object_type}/search"),
        request,
    )
    .await;
    assert!(
        response.headers().get("x-hubspot-ratelimit-max").is_none(),
        "search carries no rate-limit headers"
    );
    let status = response.status();
    (status, body(response).await)
}

// ---- the cases, by subject (one test binary; the modules share the set-up above) ----

#[path = "api/errors.rs"]
mod errors;
#[path = "api/lazy.rs"]
mod lazy;
#[path = "api/limits.rs"]
mod limits;
#[path = "api/oauth.rs"]
mod oauth;
#[path = "api/objects.rs"]
mod objects;
#[path = "api/portal.rs"]
mod portal;
#[path = "api/search.rs"]
mod search;
