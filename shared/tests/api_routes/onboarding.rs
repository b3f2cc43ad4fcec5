//! Onboarding, against the HubSpot sandbox (a real HTTP server speaking HubSpot's OAuth wire format).

use super::*;
use hubspot_sandbox::{Sandbox, SandboxConfig};
use secrecy::{ExposeSecret, SecretString};
use shared::ports::{OAuthState, SecretVault, WebhookStore};
use shared::sources::hubspot::{OAuthApp, StoredCredentials};

const APP_SECRET_ID: &str = "app/hubspot";

async fn onboarding_api() -> (TestApi, Sandbox) {
    let sandbox = Sandbox::start(SandboxConfig::small(11))
        .await
        .expect("the sandbox starts");
    let base_url = sandbox.base_url();
    let authorize_url = sandbox.authorize_url_base();
    let config = ApiConfig::from_lookup(|name| match name {
        "PUBLIC_BASE_URL" => Some("https://insights.example.com".to_string()),
        "HUBSPOT_APP_SECRET_ID" => Some(APP_SECRET_ID.to_string()),
        "HUBSPOT_API_BASE_URL" => Some(base_url.clone()),
        "HUBSPOT_AUTHORIZE_URL" => Some(authorize_url.clone()),
        _ => None,
    })
    .unwrap();
    let api = TestApi::with_config(config);
    let app_secret = json!({
        "client_id": "sandbox-client-id",
        "client_secret": "sandbox-client-secret",
    });
    api.vault
        .create(APP_SECRET_ID, &SecretString::from(app_secret.to_string()))
        .await
        .unwrap();
    (api, sandbox)
}

fn query_pairs(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .expect("an absolute URL")
        .query_pairs()
        .into_owned()
        .collect()
}

/// `/oauth/install`, then HubSpot's consent page (the sandbox approves at once): the URL HubSpot
/// sends the user back to.
async fn consent(api: &TestApi, sandbox: &Sandbox) -> String {
    let install = api.call("GET", "/oauth/install", None, None).await;
    assert_eq!(
        install.status,
        StatusCode::FOUND,
        "{}",
        String::from_utf8_lossy(&install.body)
    );
    let authorize = install.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        authorize.starts_with(&sandbox.authorize_url_base()),
        "{authorize}"
    );
    let params = query_pairs(&authorize);
    assert_eq!(params["client_id"], "sandbox-client-id");
    assert_eq!(
        params["redirect_uri"],
        "https://insights.example.com/oauth/callback"
    );
    assert!(params["scope"]
        .split(' ')
        .any(|s| s == "crm.objects.companies.read"));
    assert!(params["state"].contains('.'), "the state is signed");

    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirects.get(&authorize).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 302);
    response.headers()["location"].to_str().unwrap().to_string()
}

fn callback_path(back: &str) -> String {
    let url = url::Url::parse(back).unwrap();
    assert_eq!(url.path(), "/oauth/callback");
    format!("/oauth/callback?{}", url.query().unwrap_or_default())
}

#[tokio::test]
async fn install_and_callback_connect_the_portal_and_store_its_tokens() {
    let (api, sandbox) = onboarding_api().await;
    let back = consent(&api, &sandbox).await;
    let reply = api.call("GET", &callback_path(&back), None, None).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert!(reply.content_type().starts_with("text/html"));
    let page = String::from_utf8_lossy(&reply.body).to_string();
    assert!(page.contains("is connected"), "{page}");

    let portal = sandbox.portal_id();
    let tenant = api
        .store
        .get_tenant(&tenant_id(&format!("hs-{portal}")))
        .await
        .expect("the tenant was created");
    assert_eq!(tenant.hubspot_portal_id, Some(portal));
    assert_eq!(tenant.status, TenantStatus::Active);
    assert_eq!(tenant.auth_kind, AuthKind::OAuth);
    assert_eq!(tenant.settings, ScoringSettings::default());
    assert_eq!(
        tenant.credentials_secret_id,
        format!("connected-insights/tenants/hs-{portal}")
    );
    let secret = api.vault.get(&tenant.credentials_secret_id).await.unwrap();
    match StoredCredentials::from_secret(&secret.value).unwrap() {
        StoredCredentials::OAuth(tokens) => {
            assert_eq!(tokens.hub_id, Some(portal));
            assert!(!tokens.refresh_token.expose_secret().is_empty());
        }
        other => panic!("expected OAuth credentials, got {other:?}"),
    }
    assert!(!page.contains(secret.value.expose_secret()));

    // The first sync is requested at once.
    let published = api.bus.published();
    assert_eq!(published.len(), 1);
    match published[0].event().unwrap() {
        ProductEvent::SyncRequested(request) => {
            assert_eq!(request.tenant_id, tenant.id);
            assert_eq!(request.mode, SyncMode::Full);
        }
        other => panic!("expected SyncRequested, got {other:?}"),
    }

    // The same link cannot be used twice.
    let problem = api
        .call("GET", &callback_path(&back), None, None)
        .await
        .problem(StatusCode::BAD_REQUEST);
    assert_eq!(problem["type"], "/problems/oauth-failed");

    // Installing again updates the same tenant and replaces its tokens.
    let back = consent(&api, &sandbox).await;
    api.call("GET", &callback_path(&back), None, None)
        .await
        .ok_html();
    let again = api.store.get_tenant(&tenant.id).await.unwrap();
    assert_eq!(again.version, tenant.version + 1);
    let replaced = api.vault.get(&tenant.credentials_secret_id).await.unwrap();
    assert_ne!(replaced.version_id, secret.version_id);
}

#[tokio::test]
async fn a_forged_refused_or_expired_state_connects_nothing() {
    let (api, sandbox) = onboarding_api().await;
    let back = consent(&api, &sandbox).await;
    let params = query_pairs(&back);

    // A state we did not sign.
    let forged = format!("/oauth/callback?code={}&state=abc.def", params["code"]);
    api.call("GET", &forged, None, None)
        .await
        .problem(StatusCode::BAD_REQUEST);
    // The user refused consent.
    let problem = api
        .call(
            "GET",
            "/oauth/callback?error=access_denied&state=x",
            None,
            None,
        )
        .await
        .problem(StatusCode::BAD_REQUEST);
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("access_denied"));
    // No code.
    let problem = api
        .call("GET", "/oauth/callback?state=x", None, None)
        .await
        .problem(StatusCode::BAD_REQUEST);
    assert_eq!(problem["parameter"], "code");

    // A properly signed state whose nonce expired.
    let app = OAuthApp {
        client_id: "sandbox-client-id".to_string(),
        client_secret: SecretString::from("sandbox-client-secret".to_string()),
        redirect_uri: "https://insights.example.com/oauth/callback".to_string(),
        scopes: vec![],
        optional_scopes: vec![],
        authorize_url: sandbox.authorize_url_base(),
    };
    api.store
        .put_oauth_state(&OAuthState {
            nonce: "expirednonce".to_string(),
            tenant_id: None,
            created_at: now() - Duration::minutes(20),
            expires_at: now() - Duration::minutes(10),
        })
        .await
        .unwrap();
    let code = sandbox.issue_authorization_code();
    let state: String =
        url::form_urlencoded::byte_serialize(app.sign_state("expirednonce").as_bytes()).collect();
    api.call(
        "GET",
        &format!("/oauth/callback?code={code}&state={state}"),
        None,
        None,
    )
    .await
    .problem(StatusCode::BAD_REQUEST);

    assert!(api
        .store
        .tenant_by_portal(sandbox.portal_id())
        .await
        .unwrap()
        .is_none());
    assert!(api.bus.published().is_empty());
}

#[tokio::test]
async fn a_code_hubspot_refuses_is_a_clear_error() {
    let (api, sandbox) = onboarding_api().await;
    let back = consent(&api, &sandbox).await;
    let params = query_pairs(&back);
    let state: String = url::form_urlencoded::byte_serialize(params["state"].as_bytes()).collect();
    let problem = api
        .call(
            "GET",
            &format!("/oauth/callback?code=not-a-code&state={state}"),
            None,
            None,
        )
        .await
        .problem(StatusCode::BAD_REQUEST);
    assert!(
        problem["detail"].as_str().unwrap().contains("refused"),
        "{problem}"
    );
}

#[tokio::test]
async fn install_without_the_app_secret_fails_without_internals() {
    let api = TestApi::new();
    let problem = api
        .call("GET", "/oauth/install", None, None)
        .await
        .problem(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(problem["type"], "/problems/oauth-not-configured");
    assert!(
        !problem["detail"].as_str().unwrap().contains("app/hubspot"),
        "{problem}"
    );
}

impl Reply {
    fn ok_html(&self) -> String {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert!(self.content_type().starts_with("text/html"));
        String::from_utf8_lossy(&self.body).to_string()
    }
}
