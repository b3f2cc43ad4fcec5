use pax8_sandbox::{CompanySeed, Sandbox, SandboxConfig};
use serde_json::{json, Value};

pub async fn start() -> Sandbox {
    start_with(SandboxConfig::for_companies(21, CompanySeed::synthetic(30))).await
}

pub async fn start_with(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("the simulator starts")
}

pub async fn token_with(sandbox: &Sandbox, audience: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/oauth/token", sandbox.base_url()))
        .json(&json!({
            "client_id": sandbox.client_id(),
            "client_secret": sandbox.client_secret(),
            "audience": audience,
            "grant_type": "client_credentials",
        }))
        .send()
        .await
        .expect("token request")
}

pub async fn token(sandbox: &Sandbox) -> String {
    let body: Value = token_with(sandbox, "https://api.pax8.com")
        .await
        .json()
        .await
        .expect("token json");
    body["access_token"].as_str().expect("a token").to_owned()
}

pub async fn get(
    sandbox: &Sandbox,
    token: &str,
    path: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", sandbox.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}
