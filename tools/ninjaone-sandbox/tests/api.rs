//! The simulator's own tests: it plays NinjaOne's documented wire format and failure modes.

mod api {
    pub mod faults;
    pub mod listing;
    pub mod webhooks;
}

use ninjaone_sandbox::{CompanySeed, Sandbox, SandboxConfig};
use serde_json::Value;

pub async fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("sandbox starts")
}

pub fn small() -> SandboxConfig {
    SandboxConfig::for_companies(3, CompanySeed::synthetic(12))
}

pub async fn token(sandbox: &Sandbox, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", sandbox.base_url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", sandbox.client_id().as_str()),
            ("client_secret", sandbox.client_secret().as_str()),
            ("scope", "monitoring management"),
        ])
        .send()
        .await
        .expect("token answer")
}

pub async fn access_token(sandbox: &Sandbox) -> String {
    let body: Value = token(sandbox, "/ws/oauth/token")
        .await
        .json()
        .await
        .expect("json");
    body["access_token"].as_str().expect("token").to_owned()
}

pub async fn get(sandbox: &Sandbox, token: &str, path_and_query: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}{path_and_query}", sandbox.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("answer")
}

pub async fn get_json(sandbox: &Sandbox, token: &str, path_and_query: &str) -> Value {
    let response = get(sandbox, token, path_and_query).await;
    assert_eq!(response.status(), 200, "{path_and_query}");
    response.json().await.expect("json")
}
