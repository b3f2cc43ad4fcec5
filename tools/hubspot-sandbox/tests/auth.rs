//! The sandbox's authentication failure modes, as HubSpot documents them: tokens revoked before
//! their expiry, an install whose every access token is refused, a rotated private-app token, and a
//! configurable access-token lifetime.

use hubspot_sandbox::{Sandbox, SandboxConfig};
use reqwest::StatusCode;
use serde_json::Value;

const COMPANIES: &str = "/crm/v3/objects/companies?limit=1";

async fn get(sandbox: &Sandbox, token: &str, path: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", sandbox.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("sandbox answers");
    let status = response.status();
    (status, response.json().await.expect("JSON body"))
}

/// A refresh through the token endpoint, as the connector does it.
async fn refresh(sandbox: &Sandbox, refresh_token: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/oauth/v1/token", sandbox.base_url()))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", "sandbox-client-id"),
            ("client_secret", "sandbox-client-secret"),
        ])
        .send()
        .await
        .expect("token endpoint answers");
    let status = response.status();
    (status, response.json().await.expect("JSON body"))
}

/// HubSpot's error body for a refused token: 401, `status: error`, a category and a correlation id.
fn assert_refused(status: StatusCode, body: &Value, category: &str) {
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["status"], "error");
    assert_eq!(body["category"], category);
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(body["correlationId"]
        .as_str()
        .is_some_and(|c| !c.is_empty()));
}

#[tokio::test]
async fn a_revoked_access_token_is_refused_and_a_refreshed_one_works() {
    let sandbox = Sandbox::start(SandboxConfig::small(31)).await.unwrap();
    let tokens = sandbox.issue_oauth_tokens();
    assert_eq!(
        get(&sandbox, &tokens.access_token, COMPANIES).await.0,
        StatusCode::OK
    );

    sandbox.revoke_access_tokens();
    let (status, body) = get(&sandbox, &tokens.access_token, COMPANIES).await;
    assert_refused(status, &body, "INVALID_AUTHENTICATION");

    let (status, fresh) = refresh(&sandbox, &tokens.refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    let fresh = fresh["access_token"].as_str().unwrap().to_owned();
    assert_eq!(get(&sandbox, &fresh, COMPANIES).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_broken_install_refuses_even_a_freshly_refreshed_token_until_it_is_mended() {
    let sandbox = Sandbox::start(SandboxConfig::small(32)).await.unwrap();
    let tokens = sandbox.issue_oauth_tokens();
    sandbox.refuse_access_tokens(true);
    let (status, body) = get(&sandbox, &tokens.access_token, COMPANIES).await;
    assert_refused(status, &body, "INVALID_AUTHENTICATION");

    let (status, fresh) = refresh(&sandbox, &tokens.refresh_token).await;
    assert_eq!(status, StatusCode::OK, "the refresh token still works");
    let fresh = fresh["access_token"].as_str().unwrap().to_owned();
    let (status, body) = get(&sandbox, &fresh, COMPANIES).await;
    assert_refused(status, &body, "INVALID_AUTHENTICATION");
    // The private app's token is not part of the OAuth install.
    assert_eq!(
        get(&sandbox, &sandbox.private_app_token(), COMPANIES)
            .await
            .0,
        StatusCode::OK
    );

    sandbox.refuse_access_tokens(false);
    assert_eq!(get(&sandbox, &fresh, COMPANIES).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_revoked_private_app_token_is_refused() {
    let sandbox = Sandbox::start(SandboxConfig::small(33)).await.unwrap();
    let token = sandbox.private_app_token();
    assert_eq!(get(&sandbox, &token, COMPANIES).await.0, StatusCode::OK);
    sandbox.revoke_private_app_token();
    let (status, body) = get(&sandbox, &token, COMPANIES).await;
    assert_refused(status, &body, "INVALID_AUTHENTICATION");
}

#[tokio::test]
async fn the_token_lifetime_is_configurable_and_a_refresh_gets_it_too() {
    let config = SandboxConfig {
        access_token_ttl_secs: 120,
        ..SandboxConfig::small(34)
    };
    let sandbox = Sandbox::start(config).await.unwrap();
    let tokens = sandbox.issue_oauth_tokens();
    assert_eq!(tokens.expires_in, 120);
    let (status, fresh) = refresh(&sandbox, &tokens.refresh_token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fresh["expires_in"], 120);

    sandbox.revoke_refresh_tokens();
    let (status, dead) = refresh(&sandbox, &tokens.refresh_token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        (dead["status"].as_str(), dead["error"].as_str()),
        (Some("BAD_REFRESH_TOKEN"), Some("invalid_grant"))
    );
}
