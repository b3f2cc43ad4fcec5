//! A small OpenID Connect issuer for tests, playing what Cognito, Auth0 or Okta do for a public client
//! (OpenID Connect Core 1.0, RFC 6749, RFC 7636 PKCE, RFC 8414 discovery): discovery, JWKS, an authorize
//! page with a "Sign in" button that redirects back with `code` and `state`, a token endpoint for the
//! `authorization_code` grant (S256 PKCE required, single-use codes bound to client and redirect URI)
//! and the `refresh_token` grant (rotated refresh tokens), and an end-session endpoint. Tokens are
//! real RS256 JWTs signed with a fixed test key (`keys/issuer-test-key.pem`, never used anywhere else),
//! because API Gateway's JWT authorizer accepts RSA keys only.

use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

const ISSUER_KEY_PEM: &str = include_str!("../keys/issuer-test-key.pem");
/// Another key, for tokens whose signature the issuer's JWKS does not verify.
const STRANGER_KEY_PEM: &str = include_str!("../keys/stranger-test-key.pem");
/// The issuer key's public modulus (base64url), as its JWK publishes it.
const ISSUER_MODULUS: &str = "yYpToL2G07lXGj824RAhUiJ29dBTuEeTpuTyGa8AfjsTDdV1oHhyTtOCvcBxZZ973ou8_tbPEeoI9hzWKUoX8-CF6U2pcdrExkLMW64H3-NN3FarlvptKMFStzmUI0x2S_4drj-GEami4KbL1SBGqgz4gqJ6Tcn7Xx0cRyMGeHfceWLPgu-_anBApT5hH5PAqBFc2zpi0GPMVWnaS55OV8OezsEI0IG1w4dmUxTzpd1UCeSYp5DpeFtv40zrrtjRdT5EGTRN7rY7MMUdq05UqW5ma2hW-j4Y3cWvp6tM2tcKSwQOfw5v2_P5BUGPgb1oX12UPRPduvNoIzs_sqk8wQ";
/// 65537.
const ISSUER_EXPONENT: &str = "AQAB";
const KEY_ID: &str = "test-issuer-key-1";

/// Who signs in at the issuer and what its tokens say.
#[derive(Debug, Clone)]
pub struct IssuerOptions {
    /// The public client the dashboard signs in as; the ID token's `aud`.
    pub client_id: String,
    /// The claim that carries the tenant (Cognito: `custom:tenant_id`) and its value.
    pub tenant_claim: String,
    pub tenant_id: String,
    /// The claim that carries the role (Cognito: `custom:role`) and its value (`None`: no role
    /// claim, a viewer).
    pub role_claim: String,
    pub role: Option<String>,
    pub subject: String,
    pub email: String,
    /// Lifetime of access and ID tokens in seconds.
    pub token_lifetime_seconds: i64,
}

impl IssuerOptions {
    pub fn new(client_id: &str, tenant_id: &str) -> Self {
        Self {
            client_id: client_id.to_string(),
            tenant_claim: "custom:tenant_id".to_string(),
            tenant_id: tenant_id.to_string(),
            role_claim: "custom:role".to_string(),
            role: Some("admin".to_string()),
            subject: "user-1".to_string(),
            email: "ada@example.com".to_string(),
            token_lifetime_seconds: 3_600,
        }
    }
}

/// What a test asks [`TestIssuer::mint`] for, to exercise a verifier's refusals.
#[derive(Debug, Clone)]
pub struct MintedToken {
    pub audience: String,
    /// Seconds from now; negative for a token that has already expired.
    pub expires_in: i64,
    /// Sign with a key the JWKS does not hold (same `kid`), so the signature does not verify.
    pub signed_by_stranger: bool,
    pub issuer: Option<String>,
}

/// What the issuer has seen, for assertions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssuerCounts {
    pub codes_issued: usize,
    pub code_exchanges: usize,
    pub refreshes: usize,
    pub sign_outs: usize,
}

struct PendingCode {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    nonce: Option<String>,
    scope: String,
}

#[derive(Default)]
struct Sessions {
    codes: HashMap<String, PendingCode>,
    /// Refresh token -> the scope it was granted with.
    refresh_tokens: HashMap<String, String>,
    counts: IssuerCounts,
}

struct Inner {
    issuer: String,
    options: Mutex<IssuerOptions>,
    sessions: Mutex<Sessions>,
}

impl Inner {
    fn options(&self) -> IssuerOptions {
        lock(&self.options).clone()
    }
    fn sessions(&self) -> MutexGuard<'_, Sessions> {
        lock(&self.sessions)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running issuer on 127.0.0.1; stops when dropped.
pub struct TestIssuer {
    inner: Arc<Inner>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestIssuer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestIssuer {
    pub async fn start(options: IssuerOptions) -> std::io::Result<Self> {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
        let issuer = format!("http://{}", listener.local_addr()?);
        let inner = Arc::new(Inner {
            issuer,
            options: Mutex::new(options),
            sessions: Mutex::new(Sessions::default()),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks.json", get(jwks))
            .route("/authorize", get(authorize_page).post(approve))
            .route("/token", axum::routing::post(token))
            .route("/logout", get(logout))
            .with_state(inner.clone())
            // The dashboard reads discovery and JWKS and calls the token endpoint from its own origin,
            // as browsers do with Cognito, Auth0 and Okta, which allow it.
            .layer(tower_http::cors::CorsLayer::permissive());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { inner, server })
    }

    /// The issuer URL (`iss`), without a trailing slash.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    pub fn options(&self) -> IssuerOptions {
        self.inner.options()
    }

    pub fn counts(&self) -> IssuerCounts {
        self.inner.sessions().counts.clone()
    }

    /// Forgets every refresh token, as an issuer does when a session is revoked.
    pub fn revoke_refresh_tokens(&self) {
        self.inner.sessions().refresh_tokens.clear();
    }

    /// An ID token for the configured user, with the given audience, expiry and signing key.
    pub fn mint(&self, spec: &MintedToken) -> String {
        let options = self.inner.options();
        let now = unix_now();
        let mut claims = id_claims(&self.inner.issuer, &options, None, now);
        claims["aud"] = json!(spec.audience);
        claims["exp"] = json!(now + spec.expires_in);
        if let Some(issuer) = &spec.issuer {
            claims["iss"] = json!(issuer);
        }
        let pem = if spec.signed_by_stranger {
            STRANGER_KEY_PEM
        } else {
            ISSUER_KEY_PEM
        };
        sign(&claims, pem)
    }

    /// A valid ID token for the configured client.
    pub fn id_token(&self) -> String {
        self.mint(&MintedToken {
            audience: self.inner.options().client_id,
            expires_in: 600,
            signed_by_stranger: false,
            issuer: None,
        })
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

fn id_claims(issuer: &str, options: &IssuerOptions, nonce: Option<&str>, now: i64) -> Value {
    let mut claims = json!({
        "iss": issuer,
        "sub": options.subject,
        "aud": options.client_id,
        "iat": now,
        "exp": now + options.token_lifetime_seconds,
        "token_use": "id",
        "email": options.email,
    });
    claims[options.tenant_claim.as_str()] = json!(options.tenant_id);
    if let Some(role) = &options.role {
        claims[options.role_claim.as_str()] = json!(role);
    }
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    claims
}

fn sign(claims: &Value, pem: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(KEY_ID.to_string());
    // The keys are fixed files of this crate: failing to read them is a broken checkout, not input.
    let key =
        EncodingKey::from_rsa_pem(pem.as_bytes()).expect("the test issuer's key is valid PEM");
    jsonwebtoken::encode(&header, claims, &key).expect("RS256 signing with a valid key succeeds")
}

fn random_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

async fn discovery(State(inner): State<Arc<Inner>>) -> Json<Value> {
    let issuer = &inner.issuer;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks.json"),
        "end_session_endpoint": format!("{issuer}/logout"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": ["openid", "email", "profile"],
    }))
}

async fn jwks() -> Json<Value> {
    Json(json!({"keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": KEY_ID,
        "n": ISSUER_MODULUS, "e": ISSUER_EXPONENT,
    }]}))
}

#[derive(Debug, Clone, Deserialize)]
struct AuthorizeRequest {
    response_type: String,
    client_id: String,
    redirect_uri: String,
    #[serde(default)]
    scope: String,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// Refusals of an authorize request that must not redirect (RFC 6749 4.1.2.1: an unknown client or
/// redirect URI is shown to the user, never sent back), or `None`.
fn authorize_refusal(inner: &Inner, request: &AuthorizeRequest) -> Option<Response> {
    let options = inner.options();
    if request.client_id != options.client_id {
        return Some(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "unknown client_id",
        ));
    }
    if url::Url::parse(&request.redirect_uri).is_err() {
        return Some(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "redirect_uri is not a URL",
        ));
    }
    if request.response_type != "code"
        || request.code_challenge.as_deref().unwrap_or("").is_empty()
        || request.code_challenge_method.as_deref() != Some("S256")
        || !request.scope.split_whitespace().any(|s| s == "openid")
    {
        return Some(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "needs response_type=code, scope with openid and an S256 code_challenge",
        ));
    }
    None
}

fn escape(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The login page: the request's parameters in hidden fields and one button.
async fn authorize_page(
    State(inner): State<Arc<Inner>>,
    Query(request): Query<AuthorizeRequest>,
) -> Response {
    if let Some(refusal) = authorize_refusal(&inner, &request) {
        return refusal;
    }
    let field = |name: &str, value: Option<&str>| {
        value.map_or(String::new(), |v| {
            format!(
                r#"<input type="hidden" name="{name}" value="{}">"#,
                escape(v)
            )
        })
    };
    let fields = [
        field("response_type", Some(&request.response_type)),
        field("client_id", Some(&request.client_id)),
        field("redirect_uri", Some(&request.redirect_uri)),
        field("scope", Some(&request.scope)),
        field("state", request.state.as_deref()),
        field("nonce", request.nonce.as_deref()),
        field("code_challenge", request.code_challenge.as_deref()),
        field(
            "code_challenge_method",
            request.code_challenge_method.as_deref(),
        ),
    ]
    .concat();
    let email = escape(&inner.options().email);
    Html(format!(
        r#"<!doctype html><html><head><title>Test issuer sign-in</title></head><body>
<h1>Sign in to the test issuer</h1><form method="post" action="/authorize">{fields}
<p>as {email}</p><button id="approve" type="submit">Sign in</button></form></body></html>"#
    ))
    .into_response()
}

/// The button: issue a single-use code and send the browser back with it and the state.
async fn approve(
    State(inner): State<Arc<Inner>>,
    Form(request): Form<AuthorizeRequest>,
) -> Response {
    if let Some(refusal) = authorize_refusal(&inner, &request) {
        return refusal;
    }
    let code = random_token();
    {
        let mut sessions = inner.sessions();
        sessions.codes.insert(
            code.clone(),
            PendingCode {
                client_id: request.client_id.clone(),
                redirect_uri: request.redirect_uri.clone(),
                code_challenge: request.code_challenge.clone().unwrap_or_default(),
                nonce: request.nonce.clone(),
                scope: request.scope.clone(),
            },
        );
        sessions.counts.codes_issued += 1;
    }
    let Ok(mut back) = url::Url::parse(&request.redirect_uri) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "bad redirect_uri",
        );
    };
    back.query_pairs_mut().append_pair("code", &code);
    if let Some(state) = &request.state {
        back.query_pairs_mut().append_pair("state", state);
    }
    Redirect::to(back.as_str()).into_response()
}

#[derive(Debug, Deserialize)]
struct TokenRequest {
    grant_type: String,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
}

fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn token_response(inner: &Inner, nonce: Option<&str>, scope: &str) -> Response {
    let options = inner.options();
    let now = unix_now();
    let id_token = sign(
        &id_claims(&inner.issuer, &options, nonce, now),
        ISSUER_KEY_PEM,
    );
    let mut access = json!({
        "iss": inner.issuer,
        "sub": options.subject,
        "client_id": options.client_id,
        "iat": now,
        "exp": now + options.token_lifetime_seconds,
        "token_use": "access",
        "scope": scope,
    });
    access[options.tenant_claim.as_str()] = json!(options.tenant_id);
    if let Some(role) = &options.role {
        access[options.role_claim.as_str()] = json!(role);
    }
    let refresh_token = random_token();
    inner
        .sessions()
        .refresh_tokens
        .insert(refresh_token.clone(), scope.to_string());
    Json(json!({
        "token_type": "Bearer",
        "expires_in": options.token_lifetime_seconds,
        "id_token": id_token,
        "access_token": sign(&access, ISSUER_KEY_PEM),
        "refresh_token": refresh_token,
        "scope": scope,
    }))
    .into_response()
}

async fn token(State(inner): State<Arc<Inner>>, Form(request): Form<TokenRequest>) -> Response {
    let client_id = inner.options().client_id;
    if request.client_id.as_deref() != Some(client_id.as_str()) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client_id",
        );
    }
    match request.grant_type.as_str() {
        "authorization_code" => {
            // Single use: the code is gone whether or not the exchange succeeds (RFC 6749 4.1.2).
            let pending = request
                .code
                .as_deref()
                .and_then(|code| inner.sessions().codes.remove(code));
            let Some(pending) = pending else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "unknown or used code",
                );
            };
            let verifier = request.code_verifier.as_deref().unwrap_or("");
            if pending.client_id != client_id
                || request.redirect_uri.as_deref() != Some(pending.redirect_uri.as_str())
                || verifier.len() < 43
                || pkce_challenge(verifier) != pending.code_challenge
            {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "redirect_uri or code_verifier does not match the authorization request",
                );
            }
            inner.sessions().counts.code_exchanges += 1;
            token_response(&inner, pending.nonce.as_deref(), &pending.scope)
        }
        "refresh_token" => {
            let scope = request
                .refresh_token
                .as_deref()
                .and_then(|token| inner.sessions().refresh_tokens.remove(token));
            let Some(scope) = scope else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "unknown or revoked refresh token",
                );
            };
            inner.sessions().counts.refreshes += 1;
            token_response(&inner, None, &scope)
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "authorization_code or refresh_token",
        ),
    }
}

#[derive(Debug, Deserialize)]
struct LogoutRequest {
    post_logout_redirect_uri: Option<String>,
}

/// Ends the session (all refresh tokens) and goes back where the client asked.
async fn logout(State(inner): State<Arc<Inner>>, Query(request): Query<LogoutRequest>) -> Response {
    {
        let mut sessions = inner.sessions();
        sessions.refresh_tokens.clear();
        sessions.counts.sign_outs += 1;
    }
    match request
        .post_logout_redirect_uri
        .filter(|uri| url::Url::parse(uri).is_ok())
    {
        Some(uri) => Redirect::to(&uri).into_response(),
        None => Html("<p>Signed out.</p>").into_response(),
    }
}
