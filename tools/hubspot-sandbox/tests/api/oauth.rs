//! OAuth: code exchange, refresh, expiry and revocation.

use super::*;

#[tokio::test]
async fn oauth_code_exchange_refresh_expiry_and_revocation() {
    let sandbox = Sandbox::start(fast(SandboxConfig::small(14)))
        .await
        .expect("starts");
    let http = client();
    let redirect = "http://localhost:9/callback";
    let authorize = http
        .get(sandbox.authorize_url_base())
        .query(&[
            ("client_id", "sandbox-client-id"),
            ("redirect_uri", redirect),
            ("scope", "oauth"),
            ("state", "s t/1"),
        ])
        .send()
        .await
        .expect("authorize answers");
    assert_eq!(authorize.status(), StatusCode::FOUND);
    let location = authorize
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("location")
        .to_owned();
    let location = url::Url::parse(&location).expect("redirect URL");
    assert_eq!(location.path(), "/callback");
    let param = |name: &str| {
        location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("state").as_deref(), Some("s t/1"));
    let code = param("code").expect("code");

    let token_url = format!("{}/oauth/v1/token", sandbox.base_url());
    let exchange = |code: String, redirect_uri: &'static str| {
        let http = http.clone();
        let token_url = token_url.clone();
        async move {
            http.post(token_url)
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", redirect_uri),
                    ("client_id", "sandbox-client-id"),
                    ("client_secret", "sandbox-client-secret"),
                ])
                .send()
                .await
                .expect("token endpoint answers")
        }
    };
    let wrong_redirect = exchange(code.clone(), "http://elsewhere/callback").await;
    assert_eq!(wrong_redirect.status(), StatusCode::BAD_REQUEST);
    let tokens = exchange(code.clone(), "http://localhost:9/callback").await;
    // The failed attempt spent the code; a fresh one is needed.
    assert_eq!(tokens.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body(tokens).await["status"], "BAD_AUTH_CODE");
    let tokens = exchange(
        sandbox.issue_authorization_code(),
        "http://localhost:9/callback",
    )
    .await;
    assert_eq!(tokens.status(), StatusCode::OK);
    let tokens = body(tokens).await;
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["expires_in"], 1800);
    let access = tokens["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();

    let with_oauth = get(&sandbox, &access, "/crm/v3/objects/companies").await;
    assert_eq!(with_oauth.status(), StatusCode::OK);
    assert!(with_oauth.headers().contains_key("x-hubspot-ratelimit-max"));
    assert!(
        !with_oauth
            .headers()
            .contains_key("x-hubspot-ratelimit-daily"),
        "the daily headers are for private apps only"
    );
    let info = body(
        http.get(format!(
            "{}/oauth/v1/access-tokens/{access}",
            sandbox.base_url()
        ))
        .send()
        .await
        .expect("info"),
    )
    .await;
    assert_eq!(info["hub_id"], sandbox.portal_id());
    assert!(info["expires_in"]
        .as_i64()
        .is_some_and(|s| s > 1700 && s <= 1800));

    sandbox.expire_access_tokens();
    let expired = get(&sandbox, &access, "/crm/v3/objects/companies").await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body(expired).await["category"], "EXPIRED_AUTHENTICATION");
    let unknown = get(&sandbox, "not-a-token", "/crm/v3/objects/companies").await;
    assert_eq!(body(unknown).await["category"], "INVALID_AUTHENTICATION");

    let refresh_with = |refresh: String| {
        let http = http.clone();
        let token_url = token_url.clone();
        async move {
            http.post(token_url)
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh.as_str()),
                    ("client_id", "sandbox-client-id"),
                    ("client_secret", "sandbox-client-secret"),
                ])
                .send()
                .await
                .expect("token endpoint answers")
        }
    };
    let refreshed = refresh_with(refresh.clone()).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let fresh = body(refreshed).await["access_token"]
        .as_str()
        .expect("new access token")
        .to_owned();
    assert_ne!(fresh, access);
    assert_eq!(
        get(&sandbox, &fresh, "/crm/v3/objects/companies")
            .await
            .status(),
        StatusCode::OK
    );

    sandbox.revoke_refresh_tokens();
    let dead = refresh_with(refresh).await;
    assert_eq!(dead.status(), StatusCode::BAD_REQUEST);
    let dead = body(dead).await;
    assert_eq!(
        (dead["error"].as_str(), dead["status"].as_str()),
        (Some("invalid_grant"), Some("BAD_REFRESH_TOKEN"))
    );
}

#[tokio::test]
async fn access_tokens_expire_after_their_lifetime() {
    let config = SandboxConfig {
        access_token_ttl_secs: 1,
        ..fast(SandboxConfig::small(15))
    };
    let sandbox = Sandbox::start(config).await.expect("starts");
    let tokens = sandbox.issue_oauth_tokens();
    assert_eq!(tokens.expires_in, 1);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let expired = get(&sandbox, &tokens.access_token, "/crm/v3/objects/companies").await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body(expired).await["category"], "EXPIRED_AUTHENTICATION");
}
