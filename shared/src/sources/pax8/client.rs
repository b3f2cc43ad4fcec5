//! The HTTP client every Pax8 call goes through: a token from the JSON client-credentials grant
//! (audience `https://api.pax8.com`), cached for its 24 hours per connection, replaced once when
//! Pax8 refuses it (a second refusal needs a new connection), paced, retried after `retry`, and
//! counted. Neither the secret nor a token is ever logged.

use crate::domain::ClientCredentials;
use crate::sources::http_retry;
use crate::sources::pax8::api;
use crate::sources::pax8::error::Pax8Error;
use crate::sources::pax8::retry::{decide, RetryPolicy};
use crate::sources::pax8::wire::{TokenRequest, TokenResponse};
use crate::sources::token_slot::{CachedToken, TokenSlot};
use governor::{DefaultDirectRateLimiter, Quota};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Pax8 publishes no rate limit (UNCONFIRMED): this assumed pace (900 a minute) is a setting of the
/// factory (`with_pacing`).
pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 15;

/// Counters since the client was built (shared by its clones).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Every request sent, token requests and retries included.
    pub requests: u64,
    pub token_requests: u64,
    pub retries: u64,
    pub rate_limited: u64,
    /// API calls refused with 401 that got a new token.
    pub token_replacements: u64,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    token_requests: AtomicU64,
    retries: AtomicU64,
    rate_limited: AtomicU64,
    token_replacements: AtomicU64,
}

/// Where a client sends its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// `https://api.pax8.com` or a simulator, no trailing slash.
    pub api_base: String,
    pub token_url: String,
}

struct Inner {
    http: reqwest::Client,
    endpoints: Endpoints,
    client_id: String,
    client_secret: SecretString,
    token: TokenSlot,
    retry: RetryPolicy,
    pacing: Option<DefaultDirectRateLimiter>,
    counters: Counters,
}

/// A cheap-to-clone handle to one Pax8 partner's API; clones share the token, pacing and counters.
#[derive(Clone)]
pub struct Pax8Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Pax8Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pax8Client")
            .field("endpoints", &self.inner.endpoints)
            .field("client_id", &self.inner.client_id)
            .finish_non_exhaustive()
    }
}

enum Body<'a> {
    None,
    Json(&'a [u8]),
}

impl Pax8Client {
    /// `requests_per_second`: `None` sends unpaced.
    pub fn new(
        http: reqwest::Client,
        endpoints: Endpoints,
        credentials: &ClientCredentials,
        retry: RetryPolicy,
        requests_per_second: Option<u32>,
    ) -> Self {
        let pacing = requests_per_second
            .and_then(NonZeroU32::new)
            .map(|rate| governor::RateLimiter::direct(Quota::per_second(rate).allow_burst(rate)));
        Pax8Client {
            inner: Arc::new(Inner {
                http,
                endpoints: Endpoints {
                    api_base: endpoints.api_base.trim_end_matches('/').to_owned(),
                    token_url: endpoints.token_url,
                },
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
            token_replacements: c.token_replacements.load(Ordering::Relaxed),
        }
    }

    /// Fetches a token now (a credential check); it is cached for later calls.
    pub async fn fetch_token(&self) -> Result<(), Pax8Error> {
        self.inner.token.fetch_now(|| self.request_token()).await
    }

    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, Pax8Error> {
        let bytes = self
            .send(reqwest::Method::GET, path, query, Body::None)
            .await?;
        decode(&bytes)
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, Pax8Error> {
        let body = serde_json::to_vec(body).map_err(|e| Pax8Error::Decode(e.to_string()))?;
        let bytes = self
            .send(reqwest::Method::POST, path, &[], Body::Json(&body))
            .await?;
        decode(&bytes)
    }

    pub async fn delete_resource(&self, path: &str) -> Result<(), Pax8Error> {
        self.send(reqwest::Method::DELETE, path, &[], Body::None)
            .await
            .map(|_| ())
    }

    async fn token(&self) -> Result<SecretString, Pax8Error> {
        self.inner.token.current(|| self.request_token()).await
    }

    /// A token to use instead of `refused`: one another request already fetched, or a new one.
    async fn replace_refused(&self, refused: &SecretString) -> Result<SecretString, Pax8Error> {
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

    async fn request_token(&self) -> Result<CachedToken, Pax8Error> {
        let mut retries = 0;
        loop {
            self.inner
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
            tracing::warn!(error = %error, ?wait, retries, "retrying Pax8 token request");
            tokio::time::sleep(wait).await;
        }
    }

    async fn request_token_once(&self) -> Result<CachedToken, Pax8Error> {
        let inner = &self.inner;
        self.pace().await;
        let body = TokenRequest {
            client_id: &inner.client_id,
            client_secret: inner.client_secret.expose_secret(),
            audience: api::PARTNER_AUDIENCE,
            grant_type: "client_credentials",
        };
        let response = inner
            .http
            .post(&inner.endpoints.token_url)
            .header(reqwest::header::ACCEPT, "application/json")
            .json(&body)
            .timeout(inner.retry.request_timeout)
            .send()
            .await
            .map_err(transport_error)?;
        let received = Instant::now();
        let status = response.status();
        let retry_after = http_retry::retry_after(response.headers(), chrono::Utc::now());
        let bytes = response.bytes().await.map_err(transport_error)?;
        if !status.is_success() {
            return Err(Pax8Error::from_token_response(
                status.as_u16(),
                &bytes,
                retry_after,
            ));
        }
        // serde's message could quote the answer (the token): this one says nothing of it.
        let answer: TokenResponse = serde_json::from_slice(&bytes).map_err(|_| {
            Pax8Error::Decode("the token endpoint answered something other than a token".into())
        })?;
        let token = answer
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Pax8Error::Decode("the token answer has no access_token".into()))?;
        // Pax8 documents 86400 seconds; a missing or odd value is read as that.
        let lifetime = answer
            .expires_in
            .filter(|s| s.is_finite() && *s > 0.0)
            .map_or(Duration::from_secs(86_400), Duration::from_secs_f64);
        Ok(CachedToken::new(
            SecretString::from(token),
            received,
            lifetime,
        ))
    }

    /// Sends with retries; on a 401 asks for a replacement token once and sends again with it.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Body<'_>,
    ) -> Result<bytes::Bytes, Pax8Error> {
        let token = self.token().await?;
        match self
            .send_with_retries(&token, method.clone(), path, query, &body)
            .await
        {
            Err(error) if error.is_token_refused() => {
                tracing::info!(%path, "Pax8 refused the access token: fetching a new one");
                let replacement = self.replace_refused(&token).await?;
                self.send_with_retries(&replacement, method, path, query, &body)
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
        body: &Body<'_>,
    ) -> Result<bytes::Bytes, Pax8Error> {
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
            tracing::warn!(error = %error, ?wait, retries, %path, "retrying Pax8 request");
            tokio::time::sleep(wait).await;
        }
    }

    fn note_failure(&self, error: &Pax8Error, retries: usize) -> Option<Duration> {
        let counters = &self.inner.counters;
        if matches!(error, Pax8Error::RateLimited { .. }) {
            counters.rate_limited.fetch_add(1, Ordering::Relaxed);
        }
        let wait = decide(error, retries, &self.inner.retry, rand::random::<f64>())?;
        counters.retries.fetch_add(1, Ordering::Relaxed);
        Some(wait)
    }

    async fn send_once(
        &self,
        token: &SecretString,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: &Body<'_>,
    ) -> Result<bytes::Bytes, Pax8Error> {
        let inner = &self.inner;
        self.pace().await;
        let mut request = inner
            .http
            .request(method, format!("{}{}", inner.endpoints.api_base, path))
            .bearer_auth(token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(inner.retry.request_timeout);
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Body::Json(bytes) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes.to_vec());
        }
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        let retry_after = http_retry::retry_after(response.headers(), chrono::Utc::now());
        let bytes = response.bytes().await.map_err(transport_error)?;
        if status.is_success() {
            return Ok(bytes);
        }
        Err(Pax8Error::from_response(
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

fn transport_error(error: reqwest::Error) -> Pax8Error {
    if error.is_timeout() {
        Pax8Error::Timeout
    } else {
        Pax8Error::Transport(error.without_url().to_string())
    }
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Pax8Error> {
    // An empty answer (204) reads as `null`.
    let bytes: &[u8] = if bytes.is_empty() { b"null" } else { bytes };
    serde_json::from_slice(bytes).map_err(|e| Pax8Error::Decode(e.to_string()))
}
