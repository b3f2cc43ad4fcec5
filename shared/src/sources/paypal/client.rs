//! The HTTP client every PayPal call goes through: OAuth2 client credentials with the token cached
//! until near expiry, one token replacement when PayPal refuses a token, paced, retried after the
//! rule in `retry`, and counted. Neither the secret nor a token is ever logged.

use crate::domain::ClientCredentials;
use crate::sources::http_retry;
use crate::sources::paypal::error::PaypalError;
use crate::sources::paypal::retry::{self, RetryPolicy};
use crate::sources::paypal::wire::TokenResponse;
use crate::sources::token_slot::{CachedToken, TokenSlot};
use governor::{DefaultDirectRateLimiter, Quota};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const TOKEN_PATH: &str = "/v1/oauth2/token";

/// Counters since the client was built (shared by its clones).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Every request sent, token requests and retries included.
    pub requests: u64,
    pub token_requests: u64,
    pub retries: u64,
    pub rate_limited: u64,
    /// 5xx, timeouts, connection failures.
    pub transient_failures: u64,
    /// API calls refused with 401 that got a new token.
    pub token_replacements: u64,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    token_requests: AtomicU64,
    retries: AtomicU64,
    rate_limited: AtomicU64,
    transient_failures: AtomicU64,
    token_replacements: AtomicU64,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    client_id: String,
    client_secret: SecretString,
    token: TokenSlot,
    retry: RetryPolicy,
    pacing: Option<DefaultDirectRateLimiter>,
    counters: Counters,
}

/// A cheap-to-clone handle to one PayPal app's API; clones share the token, pacing and counters.
#[derive(Clone)]
pub struct PaypalClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PaypalClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaypalClient")
            .field("base_url", &self.inner.base_url)
            .field("client_id", &self.inner.client_id)
            .finish_non_exhaustive()
    }
}

/// PayPal states no limits; this default pace keeps one connection's walk well clear of the
/// "too many requests in a short time" 429s its guidance warns of.
pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 20;

impl PaypalClient {
    /// `http`: one client for all of a function's sources (`http_retry::default_http_client`).
    /// `base_url`: `https://api-m.sandbox.paypal.com`, `https://api-m.paypal.com`, or a simulator.
    /// `requests_per_second`: `None` sends unpaced.
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        credentials: &ClientCredentials,
        retry: RetryPolicy,
        requests_per_second: Option<u32>,
    ) -> Self {
        let pacing = requests_per_second
            .and_then(NonZeroU32::new)
            .map(|rate| governor::RateLimiter::direct(Quota::per_second(rate).allow_burst(rate)));
        PaypalClient {
            inner: Arc::new(Inner {
                http,
                base_url: base_url.trim_end_matches('/').to_owned(),
                client_id: credentials.client_id.clone(),
                client_secret: SecretString::from(credentials.client_secret.clone()),
                token: TokenSlot::new(),
                retry,
                pacing,
                counters: Counters::default(),
            }),
        }
    }

    pub fn stats(&self) -> ClientStats {
        let c = &self.inner.counters;
        ClientStats {
            requests: c.requests.load(Ordering::Relaxed),
            token_requests: c.token_requests.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            rate_limited: c.rate_limited.load(Ordering::Relaxed),
            transient_failures: c.transient_failures.load(Ordering::Relaxed),
            token_replacements: c.token_replacements.load(Ordering::Relaxed),
        }
    }

    /// Fetches a token now (a credential check); the token is cached for later calls.
    pub async fn fetch_token(&self) -> Result<(), PaypalError> {
        self.inner.token.fetch_now(|| self.request_token()).await
    }

    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, PaypalError> {
        let bytes = self.send(reqwest::Method::GET, path, query, None).await?;
        decode(&bytes)
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        body: &B,
    ) -> Result<T, PaypalError> {
        let body = serde_json::to_vec(body).map_err(|e| PaypalError::Decode(e.to_string()))?;
        self.post_bytes(path, query, body).await
    }

    /// POSTs a JSON body already encoded (a webhook event kept exactly as received).
    pub async fn post_bytes<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<T, PaypalError> {
        let bytes = self
            .send(reqwest::Method::POST, path, query, Some(&body))
            .await?;
        decode(&bytes)
    }

    /// The cached token, or a new one when none is fresh.
    async fn token(&self) -> Result<SecretString, PaypalError> {
        self.inner.token.current(|| self.request_token()).await
    }

    /// A token to use instead of `refused`: the one another request already fetched, or a new one.
    async fn replace_refused(&self, refused: &SecretString) -> Result<SecretString, PaypalError> {
        self.inner
            .token
            .replace_refused(refused, || {
                self.inner
                    .counters
                    .token_replacements
                    .fetch_add(1, Ordering::Relaxed);
                self.request_token()
            })
            .await
    }

    /// `POST /v1/oauth2/token` with HTTP Basic and `grant_type=client_credentials`, retried on 429
    /// and 5xx like any call; refused credentials stop at once.
    async fn request_token(&self) -> Result<CachedToken, PaypalError> {
        let inner = &self.inner;
        let mut retries = 0;
        loop {
            inner
                .counters
                .token_requests
                .fetch_add(1, Ordering::Relaxed);
            let error = match self.request_token_once().await {
                Ok(token) => return Ok(token),
                Err(error) => error,
            };
            let Some(wait) = self.note_failure(&error, retries) else {
                return Err(error);
            };
            retries += 1;
            tracing::warn!(error = %error, ?wait, retries, "retrying PayPal token request");
            tokio::time::sleep(wait).await;
        }
    }

    async fn request_token_once(&self) -> Result<CachedToken, PaypalError> {
        let inner = &self.inner;
        self.pace().await;
        let response = inner
            .http
            .post(format!("{}{TOKEN_PATH}", inner.base_url))
            .basic_auth(&inner.client_id, Some(inner.client_secret.expose_secret()))
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&[("grant_type", "client_credentials")])
            .timeout(inner.retry.request_timeout)
            .send()
            .await
            .map_err(transport_error)?;
        let received = Instant::now();
        let status = response.status();
        let retry_after = http_retry::retry_after(response.headers(), chrono::Utc::now());
        let bytes = response.bytes().await.map_err(transport_error)?;
        if !status.is_success() {
            return Err(PaypalError::from_token_response(
                status.as_u16(),
                &bytes,
                retry_after,
            ));
        }
        // serde's message could quote a field of the answer: this one says nothing of it.
        let answer: TokenResponse = serde_json::from_slice(&bytes).map_err(|_| {
            PaypalError::Decode("the token endpoint answered something other than a token".into())
        })?;
        let token = answer
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| PaypalError::Decode("the token answer has no access_token".into()))?;
        // PayPal says tokens typically live nine hours; without `expires_in`, assume an hour.
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3_600));
        Ok(CachedToken::new(
            SecretString::from(token),
            received,
            lifetime,
        ))
    }

    /// Sends with retries. When PayPal refuses the token (401), asks for a replacement once and
    /// sends again with it; a refusal of the replacement is returned.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&[u8]>,
    ) -> Result<bytes::Bytes, PaypalError> {
        let token = self.token().await?;
        match self
            .send_with_retries(&token, method.clone(), path, query, body)
            .await
        {
            Err(error) if error.is_token_refused() => {
                tracing::info!(%path, "PayPal refused the access token: fetching a new one");
                let replacement = self.replace_refused(&token).await?;
                self.send_with_retries(&replacement, method, path, query, body)
                    .await
            }
            answer => answer,
        }
    }

    async fn send_with_retries(
        &self,
        token: &SecretString,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&[u8]>,
    ) -> Result<bytes::Bytes, PaypalError> {
        let mut retries = 0;
        loop {
            let error = match self
                .send_once(token, method.clone(), path, query, body)
                .await
            {
                Ok(bytes) => return Ok(bytes),
                Err(error) => error,
            };
            let Some(wait) = self.note_failure(&error, retries) else {
                return Err(error);
            };
            retries += 1;
            tracing::warn!(error = %error, ?wait, retries, %path, "retrying PayPal request");
            tokio::time::sleep(wait).await;
        }
    }

    /// Counts a failure and says whether (and after how long) to send again.
    fn note_failure(&self, error: &PaypalError, retries: usize) -> Option<Duration> {
        let counters = &self.inner.counters;
        match error {
            PaypalError::RateLimited { .. } => {
                counters.rate_limited.fetch_add(1, Ordering::Relaxed);
            }
            e if e.is_transient() => {
                counters.transient_failures.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
        let wait = retry::decide(error, retries, &self.inner.retry, rand::random::<f64>())?;
        counters.retries.fetch_add(1, Ordering::Relaxed);
        Some(wait)
    }

    async fn send_once(
        &self,
        token: &SecretString,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&[u8]>,
    ) -> Result<bytes::Bytes, PaypalError> {
        let inner = &self.inner;
        self.pace().await;
        let mut request = inner
            .http
            .request(method, format!("{}{}", inner.base_url, path))
            .bearer_auth(token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(inner.retry.request_timeout);
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        let retry_after = http_retry::retry_after(response.headers(), chrono::Utc::now());
        let bytes = response.bytes().await.map_err(transport_error)?;
        if status.is_success() {
            return Ok(bytes);
        }
        Err(PaypalError::from_response(
            status.as_u16(),
            &bytes,
            retry_after,
        ))
    }

    async fn pace(&self) {
        if let Some(pacing) = &self.inner.pacing {
            pacing.until_ready().await;
        }
        self.inner.counters.requests.fetch_add(1, Ordering::Relaxed);
    }
}

fn transport_error(error: reqwest::Error) -> PaypalError {
    if error.is_timeout() {
        PaypalError::Timeout
    } else {
        PaypalError::Transport(error.without_url().to_string())
    }
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, PaypalError> {
    serde_json::from_slice(bytes).map_err(|e| PaypalError::Decode(e.to_string()))
}
