use crate::common::{get, start, token, token_with};
use serde_json::{json, Value};

#[tokio::test]
async fn the_token_endpoint_takes_json_credentials_and_an_audience() {
    let sandbox = start().await;
    let answer: Value = token_with(&sandbox, "https://api.pax8.com")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(answer["expires_in"], 86_400);
    assert_eq!(answer["token_type"], "Bearer");
    // The spec's other path answers the same way.
    let other = reqwest::Client::new()
        .post(format!("{}/v1/token", sandbox.base_url()))
        .json(
            &json!({"client_id": sandbox.client_id(), "client_secret": sandbox.client_secret(),
            "audience": "https://api.pax8.com", "grant_type": "client_credentials"}),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(other.status(), 200);
    // Wrong secret, unknown audience, a form body: refused.
    let wrong = reqwest::Client::new()
        .post(format!("{}/oauth/token", sandbox.base_url()))
        .json(
            &json!({"client_id": sandbox.client_id(), "client_secret": "nope",
            "audience": "https://api.pax8.com", "grant_type": "client_credentials"}),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(wrong.status(), 401);
    let body: Value = wrong.json().await.expect("json");
    assert_eq!(body["error"], "access_denied");
    assert_eq!(
        token_with(&sandbox, "https://example.com").await.status(),
        401
    );
    let form = reqwest::Client::new()
        .post(format!("{}/oauth/token", sandbox.base_url()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("request");
    assert_eq!(form.status(), 400);
    // Another documented audience gets a token that does not open the partner endpoints.
    let usage: Value = token_with(&sandbox, "api://usage")
        .await
        .json()
        .await
        .expect("json");
    let usage_token = usage["access_token"].as_str().expect("token");
    assert_eq!(get(&sandbox, usage_token, "/v1/companies").await.0, 401);
}

#[tokio::test]
async fn tokens_expire_are_revoked_and_credentials_can_be_refused() {
    let sandbox = start().await;
    let first = token(&sandbox).await;
    assert_eq!(get(&sandbox, &first, "/v1/companies").await.0, 200);
    assert_eq!(get(&sandbox, "eyJ-made-up", "/v1/companies").await.0, 401);
    sandbox.advance_clock(std::time::Duration::from_secs(86_401));
    let (status, _, body) = get(&sandbox, &first, "/v1/companies").await;
    assert_eq!(status, 401);
    assert_eq!(body["type"], "UNAUTHORIZED");
    let second = token(&sandbox).await;
    assert_eq!(get(&sandbox, &second, "/v1/companies").await.0, 200);
    sandbox.revoke_tokens();
    assert_eq!(get(&sandbox, &second, "/v1/companies").await.0, 401);
    let third = token(&sandbox).await;
    sandbox.expire_tokens();
    assert_eq!(get(&sandbox, &third, "/v1/companies").await.0, 401);
    sandbox.refuse_credentials(true);
    assert_eq!(
        token_with(&sandbox, "https://api.pax8.com").await.status(),
        401
    );
    sandbox.refuse_credentials(false);
    assert_eq!(
        token_with(&sandbox, "https://api.pax8.com").await.status(),
        200
    );
    assert_eq!(sandbox.stats().token_requests, 5);
}
