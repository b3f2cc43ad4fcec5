//! `--oidc-issuer`: the runner checks bearer JWTs the way API Gateway's JWT authorizer does before the
//! api function runs (signature against the issuer's JWKS, RS256 only, `iss`, `aud` or `client_id`
//! among the audiences, `exp`), then hands the claims to the api in the same request context Lambda
//! gives it, so the api's own tenant extraction (`Authenticator::ApiGatewayJwt`) runs on them. A request
//! without a valid token gets no claims, and every /v1 route answers 401.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::Response;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;
use serde_json::{json, Value};
use shared::api::config::{DashboardSignIn, TokenUse, DEFAULT_DASHBOARD_SCOPES};
use shared::api::Authenticator;
use std::collections::HashMap;
use std::sync::Arc;

/// The `--oidc-*` flags.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    pub issuer: String,
    pub audience: String,
    pub client_id: String,
    pub tenant_claim: String,
    pub role_claim: String,
}

impl OidcSettings {
    /// The api's authenticator: trust the claims the check put in the request context.
    pub fn authenticator(&self) -> Authenticator {
        Authenticator::api_gateway(self.tenant_claim.clone())
            .with_role_claim(self.role_claim.clone())
    }

    /// What the dashboard signs in with.
    pub fn dashboard_sign_in(&self) -> DashboardSignIn {
        DashboardSignIn {
            issuer: self.issuer.clone(),
            client_id: self.client_id.clone(),
            scopes: DEFAULT_DASHBOARD_SCOPES.to_string(),
            token_use: TokenUse::Id,
        }
    }
}

/// Verifies tokens of one issuer with the keys its JWKS held at start-up.
#[derive(Clone)]
pub struct JwtCheck {
    issuer: String,
    audiences: Vec<String>,
    keys: Arc<HashMap<String, DecodingKey>>,
}

impl JwtCheck {
    /// Reads the issuer's discovery document and JWKS, as API Gateway does when the authorizer is
    /// created. The discovery document must name the same issuer (OpenID Connect Discovery 4.3).
    pub async fn discover(http: &reqwest::Client, settings: &OidcSettings) -> Result<Self, String> {
        let issuer = settings.issuer.trim_end_matches('/');
        let discovery_url = format!("{issuer}/.well-known/openid-configuration");
        let discovery: Value = fetch_json(http, &discovery_url).await?;
        if discovery["issuer"].as_str() != Some(settings.issuer.as_str()) {
            return Err(format!(
                "{discovery_url} names the issuer {}, not {}",
                discovery["issuer"], settings.issuer
            ));
        }
        let jwks_uri = discovery["jwks_uri"]
            .as_str()
            .ok_or_else(|| format!("{discovery_url} has no jwks_uri"))?;
        let jwks: JwkSet = serde_json::from_value(fetch_json(http, jwks_uri).await?)
            .map_err(|e| format!("{jwks_uri} is not a JWK set: {e}"))?;
        Ok(Self::from_jwks(
            &settings.issuer,
            std::slice::from_ref(&settings.audience),
            &jwks,
        ))
    }

    /// The RSA signing keys of `jwks` by key id; other keys are skipped (API Gateway accepts RSA only).
    pub fn from_jwks(issuer: &str, audiences: &[String], jwks: &JwkSet) -> Self {
        let keys = jwks
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                let is_rsa = matches!(
                    jwk.algorithm,
                    jsonwebtoken::jwk::AlgorithmParameters::RSA(_)
                );
                let key = DecodingKey::from_jwk(jwk).ok()?;
                is_rsa.then_some((kid, key))
            })
            .collect();
        Self {
            issuer: issuer.to_string(),
            audiences: audiences.to_vec(),
            keys: Arc::new(keys),
        }
    }

    /// The token's claims as API Gateway passes them (every value a string), or `None` when the token
    /// is not acceptable.
    pub fn claims(&self, token: &str) -> Option<HashMap<String, String>> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        let key = self.keys.get(header.kid.as_deref()?)?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iss"]);
        validation.leeway = 0;
        // API Gateway accepts the audience in `aud` or, for access tokens such as Cognito's, in
        // `client_id`: checked below.
        validation.validate_aud = false;
        let data =
            jsonwebtoken::decode::<serde_json::Map<String, Value>>(token, key, &validation).ok()?;
        let claims = data.claims;
        let audience_matches = |value: Option<&Value>| match value {
            Some(Value::String(one)) => self.audiences.contains(one),
            Some(Value::Array(many)) => many.iter().any(|v| {
                v.as_str()
                    .is_some_and(|a| self.audiences.iter().any(|x| x == a))
            }),
            _ => false,
        };
        if !audience_matches(claims.get("aud")) && !audience_matches(claims.get("client_id")) {
            return None;
        }
        Some(
            claims
                .into_iter()
                .map(|(name, value)| match value {
                    Value::String(text) => (name, text),
                    other => (name, other.to_string()),
                })
                .collect(),
        )
    }
}

async fn fetch_json(http: &reqwest::Client, url: &str) -> Result<Value, String> {
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("{url} answered {}", response.status()));
    }
    response
        .json()
        .await
        .map_err(|e| format!("{url} is not JSON: {e}"))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The request context API Gateway (payload 2.0) gives the function after its JWT authorizer passed,
/// with a request id of its own as API Gateway gives each request (the audit trail records it).
fn authorized_context(claims: HashMap<String, String>) -> Option<RequestContext> {
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    let context: ApiGatewayV2httpRequestContext = serde_json::from_value(json!({
        "requestId": request_id,
        "authorizer": {"jwt": {"claims": claims, "scopes": null}},
        "http": {"method": "GET", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": ""},
        "timeEpoch": 0,
    }))
    .ok()?;
    Some(RequestContext::ApiGatewayV2(context))
}

/// The check the flags ask for (`None` without `--oidc-issuer`), its keys read from the issuer.
pub async fn discover(
    settings: &Option<OidcSettings>,
) -> Result<Option<JwtCheck>, crate::runner::RunnerError> {
    let Some(settings) = settings else {
        return Ok(None);
    };
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()?;
    JwtCheck::discover(&http, settings)
        .await
        .map(Some)
        .map_err(crate::runner::RunnerError::Oidc)
}

/// `app` behind the check when there is one.
pub fn layer(app: axum::Router, check: Option<JwtCheck>) -> axum::Router {
    match check {
        Some(check) => app.layer(axum::middleware::from_fn_with_state(check, attach_claims)),
        None => app,
    }
}

/// Middleware: a request with an acceptable bearer JWT carries its claims on to the api.
pub async fn attach_claims(
    State(check): State<JwtCheck>,
    mut request: Request,
    next: Next,
) -> Response {
    // Only this layer may put an authorizer context on a request.
    request.extensions_mut().remove::<RequestContext>();
    let context = bearer(request.headers())
        .and_then(|token| check.claims(token))
        .and_then(authorized_context);
    if let Some(context) = context {
        request.extensions_mut().insert(context);
    }
    next.run(request).await
}
