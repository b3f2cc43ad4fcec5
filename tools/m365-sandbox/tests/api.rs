//! The Microsoft Graph simulator on its own: the identity platform's token endpoint, the Graph
//! resources, the reports and their throttling, the faults a test switches on, and generation.

mod api {
    mod auth;
    mod faults;
    mod generation;
    mod reports;
    mod resources;
}

use m365_sandbox::{CompanySeed, Sandbox, SandboxConfig};
use serde_json::Value;

pub async fn sandbox(companies: usize) -> Sandbox {
    Sandbox::start(SandboxConfig::for_companies(
        11,
        CompanySeed::synthetic(companies),
    ))
    .await
    .expect("the sandbox starts")
}

/// A client that follows no redirects, as a Graph client reading reports must be.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

pub async fn token_response(sandbox: &Sandbox, tenant: &str, secret: &str) -> (u16, Value) {
    let response = http()
        .post(format!("{}/{tenant}/oauth2/v2.0/token", sandbox.base_url()))
        .form(&[
            ("client_id", sandbox.client_id().as_str()),
            ("client_secret", secret),
            ("scope", "https://graph.microsoft.com/.default"),
            ("grant_type", "client_credentials"),
        ])
        .send()
        .await
        .expect("the token endpoint answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub async fn token(sandbox: &Sandbox, tenant: &str) -> String {
    let (status, body) = token_response(sandbox, tenant, &sandbox.client_secret()).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap_or_default().to_owned()
}

pub async fn get(sandbox: &Sandbox, token: &str, path: &str) -> reqwest::Response {
    let url = if path.starts_with("http") {
        path.to_owned()
    } else {
        format!("{}/v1.0{path}", sandbox.base_url())
    };
    http()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("Graph answers")
}

pub async fn get_json(sandbox: &Sandbox, token: &str, path: &str) -> (u16, Value) {
    let response = get(sandbox, token, path).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}
