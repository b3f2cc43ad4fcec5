//! The OAuth routes never answer 500, whatever the request and whatever state the app's credentials
//! are in: missing, the template's placeholders, malformed, or real (the HubSpot sandbox's). A
//! deployment without usable credentials answers 503 `/problems/oauth-not-configured`, which says
//! what to do and names no secret.

mod api_support;

use api_support::{assert_problem, config_with, Api, APP_SECRET_ID, TOKEN};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use hubspot_sandbox::{Sandbox, SandboxConfig};
use proptest::prelude::*;
use secrecy::SecretString;
use shared::ports::SecretVault;
use shared::sources::hubspot::OAuthApp;

#[derive(Debug, Clone, Copy)]
enum AppSecret {
    Missing,
    Placeholder,
    Malformed,
    Sandbox,
}

async fn api_with(secret: AppSecret, sandbox: &Sandbox) -> Api {
    let base_url = sandbox.base_url();
    let authorize_url = sandbox.authorize_url_base();
    let api = Api::with_config(config_with(|name| match name {
        "HUBSPOT_API_BASE_URL" => Some(base_url.clone()),
        "HUBSPOT_AUTHORIZE_URL" => Some(authorize_url.clone()),
        _ => None,
    }));
    let value = match secret {
        AppSecret::Missing => None,
        AppSecret::Placeholder => Some(r#"{"client_id":"set-me","client_secret":"set-me"}"#),
        AppSecret::Malformed => Some(r#"{"client_id":"sandbox-client-id"}"#),
        AppSecret::Sandbox => {
            Some(r#"{"client_id":"sandbox-client-id","client_secret":"sandbox-client-secret"}"#)
        }
    };
    if let Some(value) = value {
        api.vault
            .create(APP_SECRET_ID, &SecretString::from(value))
            .await
            .unwrap();
    }
    api
}

#[derive(Debug, Clone)]
enum StateParam {
    Absent,
    Empty,
    Random(String),
    /// Signed with the sandbox app's secret, for a nonce nobody stored.
    SignedUnknown(String),
    /// Signed with another secret.
    ForeignSigned(String),
}

#[derive(Debug, Clone)]
enum CodeParam {
    Absent,
    Empty,
    Random(String),
    /// A code the sandbox issued.
    Issued,
}

#[derive(Debug, Clone)]
struct OAuthRequest {
    install: bool,
    with_token: bool,
    state: StateParam,
    code: CodeParam,
    error: Option<String>,
    junk: Vec<(String, String)>,
}

fn app(secret: &str) -> OAuthApp {
    OAuthApp {
        client_id: "sandbox-client-id".to_string(),
        client_secret: SecretString::from(secret.to_string()),
        redirect_uri: "https://insights.example.com/oauth/callback".to_string(),
        scopes: vec![],
        optional_scopes: vec![],
        authorize_url: String::new(),
    }
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn request_strategy() -> impl Strategy<Value = OAuthRequest> {
    let text = "[ -~]{0,30}";
    let state = prop_oneof![
        Just(StateParam::Absent),
        Just(StateParam::Empty),
        text.prop_map(StateParam::Random),
        "[a-z0-9]{1,20}".prop_map(StateParam::SignedUnknown),
        "[a-z0-9]{1,20}".prop_map(StateParam::ForeignSigned),
    ];
    let code = prop_oneof![
        Just(CodeParam::Absent),
        Just(CodeParam::Empty),
        text.prop_map(CodeParam::Random),
        Just(CodeParam::Issued),
    ];
    (
        prop::bool::ANY,
        prop::bool::ANY,
        state,
        code,
        prop::option::of(text),
        prop::collection::vec(("[a-z_]{1,10}", text), 0..3),
    )
        .prop_map(
            |(install, with_token, state, code, error, junk)| OAuthRequest {
                install,
                with_token,
                state,
                code,
                error,
                junk,
            },
        )
}

fn build(case: &OAuthRequest, sandbox: &Sandbox) -> Request<Body> {
    let mut query: Vec<String> = Vec::new();
    match &case.state {
        StateParam::Absent => {}
        StateParam::Empty => query.push("state=".into()),
        StateParam::Random(s) => query.push(format!("state={}", encode(s))),
        StateParam::SignedUnknown(nonce) => query.push(format!(
            "state={}",
            encode(&app("sandbox-client-secret").sign_state(nonce))
        )),
        StateParam::ForeignSigned(nonce) => query.push(format!(
            "state={}",
            encode(&app("another-secret").sign_state(nonce))
        )),
    }
    match &case.code {
        CodeParam::Absent => {}
        CodeParam::Empty => query.push("code=".into()),
        CodeParam::Random(c) => query.push(format!("code={}", encode(c))),
        CodeParam::Issued => query.push(format!("code={}", sandbox.issue_authorization_code())),
    }
    if let Some(error) = &case.error {
        query.push(format!("error={}", encode(error)));
    }
    for (name, value) in &case.junk {
        query.push(format!("{}={}", encode(name), encode(value)));
    }
    let path = if case.install {
        "/oauth/install"
    } else {
        "/oauth/callback"
    };
    let mut request = Request::builder()
        .method("GET")
        .uri(format!("{path}?{}", query.join("&")));
    if case.with_token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
    }
    request.body(Body::empty()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn no_oauth_request_is_answered_500(
        cases in prop::collection::vec(request_strategy(), 1..8)
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let sandbox = Sandbox::start(SandboxConfig::small(3)).await.unwrap();
            for secret in [
                AppSecret::Missing,
                AppSecret::Placeholder,
                AppSecret::Malformed,
                AppSecret::Sandbox,
            ] {
                let api = api_with(secret, &sandbox).await;
                for case in &cases {
                    let reply = api.send(build(case, &sandbox)).await;
                    assert!(
                        !reply.status.is_server_error()
                            || reply.status == StatusCode::SERVICE_UNAVAILABLE,
                        "{secret:?} {case:?}: {} {}",
                        reply.status,
                        reply.text()
                    );
                    if reply.status.is_client_error() || reply.status.is_server_error() {
                        assert_problem(&reply);
                    }
                    if reply.status == StatusCode::SERVICE_UNAVAILABLE {
                        assert_eq!(reply.json()["type"], "/problems/oauth-not-configured", "{secret:?}");
                        assert!(!matches!(secret, AppSecret::Sandbox), "{case:?}");
                    }
                    if case.install && matches!(secret, AppSecret::Sandbox) {
                        assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.text());
                    }
                }
            }
            sandbox.shutdown().await;
        });
    }
}

#[tokio::test]
async fn unusable_app_credentials_answer_a_503_that_says_what_to_do() {
    let sandbox = Sandbox::start(SandboxConfig::small(4)).await.unwrap();
    for secret in [
        AppSecret::Missing,
        AppSecret::Placeholder,
        AppSecret::Malformed,
    ] {
        let api = api_with(secret, &sandbox).await;
        for path in ["/oauth/install", "/oauth/callback?code=c&state=a.b"] {
            let problem = api
                .send(Request::get(path).body(Body::empty()).unwrap())
                .await
                .problem(StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(problem["type"], "/problems/oauth-not-configured");
            let detail = problem["detail"].as_str().unwrap();
            assert!(detail.contains("client_id"), "{detail}");
            assert!(detail.contains("operator"), "{detail}");
            assert!(!detail.contains(APP_SECRET_ID), "{detail}");
        }
    }

    // Once the operator sets the secret, the install works without a restart.
    let api = api_with(AppSecret::Placeholder, &sandbox).await;
    api.send(Request::get("/oauth/install").body(Body::empty()).unwrap())
        .await
        .problem(StatusCode::SERVICE_UNAVAILABLE);
    api.vault
        .put(
            APP_SECRET_ID,
            &SecretString::from(
                r#"{"client_id":"sandbox-client-id","client_secret":"sandbox-client-secret"}"#,
            ),
            None,
        )
        .await
        .unwrap();
    let reply = api
        .send(Request::get("/oauth/install").body(Body::empty()).unwrap())
        .await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.text());
    sandbox.shutdown().await;
}
