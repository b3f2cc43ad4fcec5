//! HubSpot credentials: the OAuth install flow (authorize URL with a signed state, code exchange,
//! token info, refresh) and the tenant's stored credentials. The token manager that decides when to
//! refresh lives in `token_manager`.
//!
//! # The tenant's secret
//! One secret per tenant (the tenant's `credentials_secret_id`) holds JSON, written and read only
//! through [`StoredCredentials`]:
//! ```json
//! {"version":1,"kind":"oauth","access_token":"...","refresh_token":"...",
//!  "expires_at":"2026-11-26T10:30:00Z","issued_at":"2026-11-26T10:00:00Z",
//!  "hub_id":12345678,"scopes":["crm.objects.companies.read"]}
//! {"version":1,"kind":"private_app","access_token":"pat-na1-..."}
//! ```
//! `expires_at` is computed from HubSpot's `expires_in` when the token was issued, at `issued_at`
//! (their difference is the token's lifetime, which sets the refresh margin). Secrets written before
//! `issued_at` existed read with it unset.

use crate::sources::hubspot::api;
use crate::sources::hubspot::client::RetryPolicy;
use crate::sources::hubspot::error::HubSpotError;
use crate::sources::hubspot::wire::{TokenInfo, TokenResponse};
use backon::{ExponentialBuilder, Retryable};
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;

/// OAuth tokens of one portal. `Debug` shows no token.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: SecretString,
    pub refresh_token: SecretString,
    pub expires_at: DateTime<Utc>,
    /// When HubSpot issued the access token; `None` for credentials stored before this was kept.
    pub issued_at: Option<DateTime<Utc>>,
    /// The portal (HubSpot's `hub_id`), once token info has been read.
    pub hub_id: Option<u64>,
    pub scopes: Vec<String>,
}

impl TokenSet {
    /// Builds a token set from what the OAuth callback or a test obtained; `expires_in` in seconds.
    pub fn new(
        access_token: SecretString,
        refresh_token: SecretString,
        expires_in: u64,
        now: DateTime<Utc>,
    ) -> Self {
        TokenSet {
            access_token,
            refresh_token,
            expires_at: now + chrono::Duration::seconds(expires_in.min(i64::MAX as u64) as i64),
            issued_at: Some(now),
            hub_id: None,
            scopes: Vec::new(),
        }
    }

    /// How long before its expiry the access token is refreshed: `max_margin`, or half the token's
    /// lifetime when that is shorter, so a short-lived token is still used for half its life instead
    /// of counting as expiring the moment it is issued. An unknown lifetime (credentials stored
    /// before `issued_at` was kept) gets `max_margin`.
    pub fn refresh_margin(&self, max_margin: Duration) -> Duration {
        let half_life = self
            .issued_at
            .and_then(|issued| (self.expires_at - issued).to_std().ok())
            .map(|lifetime| lifetime / 2);
        match half_life {
            Some(half) => half.min(max_margin),
            None => max_margin,
        }
    }

    /// Whether the access token expires within its refresh margin (see [`Self::refresh_margin`])
    /// of `now`, or already has.
    pub fn needs_refresh(&self, now: DateTime<Utc>, max_margin: Duration) -> bool {
        let margin = chrono::Duration::from_std(self.refresh_margin(max_margin))
            .unwrap_or(chrono::Duration::zero());
        self.expires_at - margin <= now
    }
}

/// What a tenant's secret holds. Build one with [`StoredCredentials::oauth`] or
/// [`StoredCredentials::private_app`] and store [`StoredCredentials::to_secret`].
#[derive(Debug, Clone)]
pub enum StoredCredentials {
    OAuth(TokenSet),
    PrivateApp { access_token: SecretString },
}

#[derive(serde::Serialize, serde::Deserialize)]
struct SecretJson {
    version: u32,
    kind: String,
    access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    issued_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hub_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    scopes: Vec<String>,
}

const SECRET_VERSION: u32 = 1;

impl StoredCredentials {
    pub fn oauth(tokens: TokenSet) -> Self {
        StoredCredentials::OAuth(tokens)
    }

    pub fn private_app(access_token: SecretString) -> Self {
        StoredCredentials::PrivateApp { access_token }
    }

    /// The secret's JSON (see the module docs).
    pub fn to_secret(&self) -> SecretString {
        let json = match self {
            StoredCredentials::OAuth(tokens) => SecretJson {
                version: SECRET_VERSION,
                kind: "oauth".to_owned(),
                access_token: tokens.access_token.expose_secret().to_owned(),
                refresh_token: Some(tokens.refresh_token.expose_secret().to_owned()),
                expires_at: Some(tokens.expires_at),
                issued_at: tokens.issued_at,
                hub_id: tokens.hub_id,
                scopes: tokens.scopes.clone(),
            },
            StoredCredentials::PrivateApp { access_token } => SecretJson {
                version: SECRET_VERSION,
                kind: "private_app".to_owned(),
                access_token: access_token.expose_secret().to_owned(),
                refresh_token: None,
                expires_at: None,
                issued_at: None,
                hub_id: None,
                scopes: Vec::new(),
            },
        };
        // Serialising plain strings and numbers cannot fail; an empty secret would be refused on read.
        SecretString::from(serde_json::to_string(&json).unwrap_or_default())
    }

    pub fn from_secret(secret: &SecretString) -> Result<Self, HubSpotError> {
        // The parser's message could quote the secret: keep only its position.
        let json: SecretJson = serde_json::from_str(secret.expose_secret()).map_err(|e| {
            HubSpotError::Credentials(format!(
                "stored credentials are not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        if json.access_token.is_empty() {
            return Err(HubSpotError::Credentials(
                "stored credentials have no access token".to_owned(),
            ));
        }
        match json.kind.as_str() {
            "oauth" => {
                let refresh_token =
                    json.refresh_token
                        .filter(|t| !t.is_empty())
                        .ok_or_else(|| {
                            HubSpotError::Credentials(
                                "stored OAuth credentials have no refresh token".into(),
                            )
                        })?;
                Ok(StoredCredentials::OAuth(TokenSet {
                    access_token: SecretString::from(json.access_token),
                    refresh_token: SecretString::from(refresh_token),
                    // Unknown expiry: refresh before first use.
                    expires_at: json.expires_at.unwrap_or(DateTime::UNIX_EPOCH),
                    issued_at: json.issued_at,
                    hub_id: json.hub_id,
                    scopes: json.scopes,
                }))
            }
            "private_app" => Ok(StoredCredentials::PrivateApp {
                access_token: SecretString::from(json.access_token),
            }),
            other => Err(HubSpotError::Credentials(format!(
                "unknown credentials kind {other:?}"
            ))),
        }
    }
}

/// The public app's OAuth settings (client secret from `HUBSPOT_APP_SECRET_ID`).
#[derive(Debug, Clone)]
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: SecretString,
    /// `PUBLIC_BASE_URL` + the callback route.
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub optional_scopes: Vec<String>,
    /// `api::DEFAULT_AUTHORIZE_URL`, or the sandbox's.
    pub authorize_url: String,
}

type HmacSha256 = Hmac<Sha256>;

impl OAuthApp {
    /// A fresh random nonce for the state (store it with `WebhookStore::put_oauth_state`).
    pub fn new_nonce() -> String {
        uuid::Uuid::new_v4().simple().to_string()
    }

    /// `nonce.signature`, the signature an HMAC-SHA256 of the nonce keyed by the client secret.
    pub fn sign_state(&self, nonce: &str) -> String {
        let signature = self.state_mac(nonce).finalize().into_bytes();
        format!(
            "{nonce}.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signature)
        )
    }

    /// The nonce of a state this app signed; `None` for anything else (compared in constant time).
    pub fn verify_state<'a>(&self, state: &'a str) -> Option<&'a str> {
        let (nonce, signature) = state.rsplit_once('.')?;
        if nonce.is_empty() {
            return None;
        }
        let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature)
            .ok()?;
        self.state_mac(nonce)
            .verify_slice(&signature)
            .ok()
            .map(|()| nonce)
    }

    fn state_mac(&self, nonce: &str) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(self.client_secret.expose_secret().as_bytes())
                .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(nonce.as_bytes());
        mac
    }

    /// Where to send the user to install the app, with the signed state.
    pub fn authorize_url(&self, nonce: &str) -> Result<String, HubSpotError> {
        let mut params: Vec<(&str, String)> = vec![
            ("client_id", self.client_id.clone()),
            ("redirect_uri", self.redirect_uri.clone()),
            ("scope", self.scopes.join(" ")),
        ];
        if !self.optional_scopes.is_empty() {
            params.push(("optional_scope", self.optional_scopes.join(" ")));
        }
        params.push(("state", self.sign_state(nonce)));
        url::Url::parse_with_params(&self.authorize_url, &params)
            .map(String::from)
            .map_err(|e| HubSpotError::Credentials(format!("bad authorize URL: {e}")))
    }
}

/// HubSpot's OAuth endpoints.
#[derive(Clone)]
pub struct OAuthClient {
    http: reqwest::Client,
    base_url: String,
    app: Arc<OAuthApp>,
    retry: RetryPolicy,
}

impl OAuthClient {
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        app: Arc<OAuthApp>,
        retry: RetryPolicy,
    ) -> Self {
        OAuthClient {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            app,
            retry,
        }
    }

    pub fn app(&self) -> &OAuthApp {
        &self.app
    }

    /// Exchanges the callback's code for tokens, and reads the portal id they belong to.
    pub async fn exchange_code(&self, code: &str) -> Result<TokenSet, HubSpotError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.app.redirect_uri.as_str()),
            ("client_id", self.app.client_id.as_str()),
            ("client_secret", self.app.client_secret.expose_secret()),
        ];
        let response = self.token_request(&form).await?;
        let refresh_token = response.refresh_token.ok_or_else(|| {
            HubSpotError::Decode("the code exchange returned no refresh token".to_owned())
        })?;
        let mut tokens = TokenSet::new(
            response.access_token,
            refresh_token,
            response.expires_in,
            Utc::now(),
        );
        let info = self.token_info(&tokens.access_token).await?;
        tokens.hub_id = Some(info.hub_id);
        tokens.scopes = info.scopes;
        Ok(tokens)
    }

    /// A new access token from `current`'s refresh token; keeps the refresh token when HubSpot does
    /// not send a new one, and the portal id and scopes.
    pub async fn refresh(&self, current: &TokenSet) -> Result<TokenSet, HubSpotError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", current.refresh_token.expose_secret()),
            ("client_id", self.app.client_id.as_str()),
            ("client_secret", self.app.client_secret.expose_secret()),
        ];
        let url = format!("{}{}", self.base_url, api::oauth_token());
        let response: TokenResponse = self
            .send_json(
                || self.http.post(&url).form(&form),
                HubSpotError::from_refresh_response,
            )
            .await?;
        let mut tokens = TokenSet::new(
            response.access_token,
            response
                .refresh_token
                .unwrap_or_else(|| current.refresh_token.clone()),
            response.expires_in,
            Utc::now(),
        );
        tokens.hub_id = current.hub_id;
        tokens.scopes = current.scopes.clone();
        Ok(tokens)
    }

    pub async fn token_info(&self, access_token: &SecretString) -> Result<TokenInfo, HubSpotError> {
        let url = format!(
            "{}{}",
            self.base_url,
            api::oauth_token_info(access_token.expose_secret())
        );
        self.send_json(|| self.http.get(&url), plain_error).await
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> Result<TokenResponse, HubSpotError> {
        let url = format!("{}{}", self.base_url, api::oauth_token());
        self.send_json(|| self.http.post(&url).form(form), plain_error)
            .await
    }

    /// Sends the request `build` makes (again on each retry) and decodes its JSON answer; `refused`
    /// reads an error answer.
    async fn send_json<T: serde::de::DeserializeOwned>(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
        refused: fn(u16, &[u8]) -> HubSpotError,
    ) -> Result<T, HubSpotError> {
        let bytes = self
            .with_retries(|| async {
                let response = build().timeout(self.retry.request_timeout).send().await;
                read_response(response, refused).await
            })
            .await?;
        // serde's message for a missing field names the field, never a value.
        serde_json::from_slice(&bytes).map_err(|e| HubSpotError::Decode(e.to_string()))
    }

    async fn with_retries<F, Fut>(&self, attempt: F) -> Result<bytes::Bytes, HubSpotError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<bytes::Bytes, HubSpotError>>,
    {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.retry.min_delay)
            .with_max_delay(self.retry.max_delay)
            .with_max_times(self.retry.max_retries)
            .with_jitter();
        attempt
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(HubSpotError::is_transient)
            .notify(|error, delay| tracing::warn!(%error, ?delay, "retrying HubSpot OAuth request"))
            .await
    }
}

fn plain_error(status: u16, body: &[u8]) -> HubSpotError {
    HubSpotError::from_response(status, body, None)
}

async fn read_response(
    response: Result<reqwest::Response, reqwest::Error>,
    refused: fn(u16, &[u8]) -> HubSpotError,
) -> Result<bytes::Bytes, HubSpotError> {
    let response = response.map_err(|e| {
        if e.is_timeout() {
            HubSpotError::Timeout
        } else {
            // Without the URL: the token-info URL carries the token.
            HubSpotError::Transport(e.without_url().to_string())
        }
    })?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| HubSpotError::Transport(e.without_url().to_string()))?;
    if status.is_success() {
        Ok(bytes)
    } else {
        Err(refused(status.as_u16(), &bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> OAuthApp {
        OAuthApp {
            client_id: "client-1".into(),
            client_secret: SecretString::from("s3cret".to_owned()),
            redirect_uri: "https://example.com/oauth/callback".into(),
            scopes: vec!["crm.objects.companies.read".into(), "oauth".into()],
            optional_scopes: vec![],
            authorize_url: api::DEFAULT_AUTHORIZE_URL.into(),
        }
    }

    #[test]
    fn a_signed_state_verifies_and_a_tampered_one_does_not() {
        let app = app();
        let state = app.sign_state("nonce123");
        assert_eq!(app.verify_state(&state), Some("nonce123"));
        assert_eq!(
            app.verify_state(&state.replace("nonce123", "nonce124")),
            None
        );
        assert_eq!(app.verify_state("nonce123"), None);
        assert_eq!(app.verify_state("nonce123.AAAA"), None);
        let other = OAuthApp {
            client_secret: SecretString::from("other".to_owned()),
            ..app.clone()
        };
        assert_eq!(other.verify_state(&state), None);
    }

    #[test]
    fn authorize_url_carries_client_scopes_redirect_and_state() {
        let app = app();
        let url = app.authorize_url("n1").unwrap();
        let parsed = url::Url::parse(&url).unwrap();
        let pairs: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
        assert_eq!(pairs["client_id"], "client-1");
        assert_eq!(pairs["scope"], "crm.objects.companies.read oauth");
        assert_eq!(pairs["redirect_uri"], "https://example.com/oauth/callback");
        assert_eq!(app.verify_state(&pairs["state"]), Some("n1"));
    }

    #[test]
    fn credentials_round_trip_and_never_debug_print_tokens() {
        let now = Utc::now();
        let mut tokens = TokenSet::new(
            SecretString::from("access-abc".to_owned()),
            SecretString::from("refresh-xyz".to_owned()),
            1800,
            now,
        );
        tokens.hub_id = Some(42);
        let stored = StoredCredentials::oauth(tokens);
        assert!(stored.to_secret().expose_secret().contains("issued_at"));
        let debug = format!("{stored:?}");
        assert!(
            !debug.contains("access-abc") && !debug.contains("refresh-xyz"),
            "{debug}"
        );
        let back = StoredCredentials::from_secret(&stored.to_secret()).unwrap();
        let StoredCredentials::OAuth(back) = back else {
            panic!("expected OAuth credentials");
        };
        assert_eq!(back.access_token.expose_secret(), "access-abc");
        assert_eq!(back.refresh_token.expose_secret(), "refresh-xyz");
        assert_eq!(back.hub_id, Some(42));
        assert_eq!(
            back.issued_at.map(|t| t.timestamp_millis()),
            Some(now.timestamp_millis())
        );
        assert!(!back.needs_refresh(now, Duration::from_secs(300)));
        assert!(back.needs_refresh(
            now + chrono::Duration::seconds(1501),
            Duration::from_secs(300)
        ));

        let private = StoredCredentials::private_app(SecretString::from("pat-1".to_owned()));
        assert!(matches!(
            StoredCredentials::from_secret(&private.to_secret()),
            Ok(StoredCredentials::PrivateApp { .. })
        ));
    }

    #[test]
    fn the_refresh_margin_is_five_minutes_or_half_a_short_tokens_life() {
        let now = Utc::now();
        let token = |expires_in| {
            TokenSet::new(
                SecretString::from("a".to_owned()),
                SecretString::from("r".to_owned()),
                expires_in,
                now,
            )
        };
        let five_minutes = Duration::from_secs(300);
        assert_eq!(token(1800).refresh_margin(five_minutes), five_minutes);
        assert_eq!(
            token(120).refresh_margin(five_minutes),
            Duration::from_secs(60)
        );
        // A 120 s token is used for its first minute, then refreshed.
        let short = token(120);
        assert!(!short.needs_refresh(now, five_minutes));
        assert!(!short.needs_refresh(now + chrono::Duration::seconds(59), five_minutes));
        assert!(short.needs_refresh(now + chrono::Duration::seconds(60), five_minutes));
        assert!(token(0).needs_refresh(now, five_minutes));
    }

    #[test]
    fn secrets_stored_before_issued_at_read_with_the_full_margin() {
        let old = SecretString::from(
            r#"{"version":1,"kind":"oauth","access_token":"a","refresh_token":"r","expires_at":"2026-11-26T10:30:00Z","hub_id":7}"#
                .to_owned(),
        );
        let StoredCredentials::OAuth(tokens) = StoredCredentials::from_secret(&old).unwrap() else {
            panic!("OAuth credentials expected");
        };
        assert_eq!(tokens.issued_at, None);
        assert_eq!(tokens.hub_id, Some(7));
        let five_minutes = Duration::from_secs(300);
        assert_eq!(tokens.refresh_margin(five_minutes), five_minutes);
        // Written back, it keeps what it had and gains nothing it did not have.
        let again = StoredCredentials::OAuth(tokens).to_secret();
        assert!(!again.expose_secret().contains("issued_at"));
    }

    #[test]
    fn malformed_secrets_are_refused_without_echoing_them() {
        let bad = SecretString::from("{\"kind\":\"oauth\",\"access_token\":\"leak-me\"".to_owned());
        let error = StoredCredentials::from_secret(&bad)
            .unwrap_err()
            .to_string();
        assert!(!error.contains("leak-me"), "{error}");
        let no_refresh =
            SecretString::from(r#"{"version":1,"kind":"oauth","access_token":"a"}"#.to_owned());
        assert!(StoredCredentials::from_secret(&no_refresh).is_err());
    }
}
