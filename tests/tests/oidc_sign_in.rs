//! Signing in with OpenID Connect, without a browser: the test issuer (test_support::oidc) runs the
//! authorization code flow with PKCE, and the local runner in `--oidc-issuer` mode checks its JWTs the
//! way API Gateway's JWT authorizer does before the api's own tenant extraction runs on the claims.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};
use system_tests::local_runner::LocalRunner;
use test_support::oidc::{IssuerOptions, MintedToken, TestIssuer};

const CLIENT_ID: &str = "dashboard-client";
/// The tenant the runner keeps the demo portal under.
const SANDBOX_TENANT: &str = "local-sandbox";

async fn issuer() -> TestIssuer {
    TestIssuer::start(IssuerOptions::new(CLIENT_ID, SANDBOX_TENANT))
        .await
        .unwrap()
}

async fn runner_for(issuer: &TestIssuer) -> LocalRunner {
    LocalRunner::start(&[
        "--demo-size",
        "small",
        "--oidc-issuer",
        issuer.issuer(),
        "--oidc-audience",
        CLIENT_ID,
        "--oidc-tenant-claim",
        "custom:tenant_id",
        "--oidc-role-claim",
        "custom:role",
    ])
    .await
    .unwrap_or_else(|e| panic!("the local runner did not start: {e}"))
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn overview_status(runner: &LocalRunner, token: Option<&str>) -> (u16, Value) {
    let mut request = http().get(format!("{}/v1/overview", runner.base_url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get_json(url: &str) -> Value {
    let response = http().get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "GET {url}");
    response.json().await.unwrap()
}

/// The browser's part of the flow: the authorize page's button, then the code for tokens.
async fn sign_in(issuer: &TestIssuer, verifier: &str, sent_verifier: &str) -> (u16, Value) {
    let client = http();
    let discovery = get_json(&format!(
        "{}/.well-known/openid-configuration",
        issuer.issuer()
    ))
    .await;
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let redirect_uri = "http://127.0.0.1:1/";
    let approved = client
        .post(discovery["authorization_endpoint"].as_str().unwrap())
        .form(&[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", redirect_uri),
            ("scope", "openid email profile"),
            ("state", "state-1"),
            ("nonce", "nonce-1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status().as_u16(), 303);
    let back = url::Url::parse(approved.headers()["location"].to_str().unwrap()).unwrap();
    let query: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(query["state"], "state-1", "the state comes back unchanged");
    let response = client
        .post(discovery["token_endpoint"].as_str().unwrap())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &query["code"]),
            ("redirect_uri", redirect_uri),
            ("client_id", CLIENT_ID),
            ("code_verifier", sent_verifier),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn claims_of(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_of_the_issuer_reach_the_tenant_in_their_claim_and_bad_ones_are_401() {
    let issuer = issuer().await;
    let runner = runner_for(&issuer).await;

    // The dashboard learns how to sign in from the public config.
    let config = get_json(&format!("{}/auth-config.json", runner.base_url)).await;
    assert_eq!(config["sign_in"]["client_id"], CLIENT_ID);
    assert_eq!(config["sign_in"]["issuer"], issuer.issuer());
    assert_eq!(config["sign_in"]["token_use"], "id");

    let verifier = "a-verifier-of-at-least-forty-three-characters-0123456789";
    let (status, tokens) = sign_in(&issuer, verifier, verifier).await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(claims_of(id_token)["nonce"], "nonce-1");
    assert_eq!(claims_of(id_token)["custom:tenant_id"], SANDBOX_TENANT);
    assert_eq!(claims_of(id_token)["custom:role"], "admin");
    // The role claim reaches the api: the audit trail is for editors and admins only.
    let audit = http()
        .get(format!("{}/v1/audit", runner.base_url))
        .bearer_auth(id_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        audit.status().as_u16(),
        200,
        "an admin reads the audit trail"
    );

    let (status, overview) = overview_status(&runner, Some(id_token)).await;
    assert_eq!(status, 200, "{overview}");
    assert!(overview["connection"]["name"].is_string(), "{overview}");
    // Cognito-like access tokens carry the audience in client_id; API Gateway accepts them too.
    let access_token = tokens["access_token"].as_str().unwrap();
    assert_eq!(overview_status(&runner, Some(access_token)).await.0, 200);

    // Refresh: a new ID token, and the old refresh token is spent.
    let token_endpoint = format!("{}/token", issuer.issuer());
    let refresh = |token: String| {
        let token_endpoint = token_endpoint.clone();
        async move {
            http()
                .post(token_endpoint)
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", token.as_str()),
                    ("client_id", CLIENT_ID),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_string();
    let refreshed: Value = refresh(refresh_token.clone()).await.json().await.unwrap();
    let new_id_token = refreshed["id_token"].as_str().unwrap();
    assert_eq!(overview_status(&runner, Some(new_id_token)).await.0, 200);
    assert_eq!(refresh(refresh_token).await.status().as_u16(), 400);

    let mint = |audience: &str, expires_in: i64, stranger: bool, iss: Option<&str>| {
        issuer.mint(&MintedToken {
            audience: audience.to_string(),
            expires_in,
            signed_by_stranger: stranger,
            issuer: iss.map(str::to_string),
        })
    };
    assert_eq!(
        overview_status(&runner, Some(&mint(CLIENT_ID, 600, false, None)))
            .await
            .0,
        200,
        "a minted valid token passes, so the refusals below are for their one fault"
    );
    let refused = [
        ("no token", None),
        (
            "another audience",
            Some(mint("someone-else", 600, false, None)),
        ),
        ("expired", Some(mint(CLIENT_ID, -120, false, None))),
        ("a bad signature", Some(mint(CLIENT_ID, 600, true, None))),
        (
            "another issuer",
            Some(mint(
                CLIENT_ID,
                600,
                false,
                Some("http://127.0.0.1:9/other"),
            )),
        ),
        ("not a JWT", Some("not-a-jwt".to_string())),
        ("the development token", Some(runner.token.clone())),
    ];
    for (what, token) in refused {
        let (status, body) = overview_status(&runner, token.as_deref()).await;
        assert_eq!(status, 401, "{what}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_issuer_refuses_a_code_without_the_matching_verifier() {
    let issuer = issuer().await;
    let (status, body) = sign_in(
        &issuer,
        "the-verifier-the-challenge-was-made-from-0123456789",
        "another-verifier-of-enough-length-to-be-valid-012345",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(issuer.counts().code_exchanges, 0);
}
