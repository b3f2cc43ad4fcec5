//! The HTTP client every NinjaOne call goes through: OAuth2 client credentials (form-encoded) with
//! the token cached per connection until near its `expires_in`, one new token when an API call is
//! refused with 401 (then `TokenRefused`: the connection needs re-authorising), paced, retried with
//! bounded backoff that honours `Retry-After`, and counted. Neither the secret nor a token is logged.

use crate::domain::ClientCredentials;
use crate::sources::http_retry::{self, decide, RetryableError};
use crate::sources::ninjaone::error::NinjaError;
use crate::sources::ninjaone::settings::NinjaoneSettings;
use crate::sources::paypal::RetryPolicy;
use crate::sources::token_slot::{CachedToken, TokenSlot};
use governor::{DefaultDirectRateLimiter, Quota};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

struct Inner {
    http: reqwest::Client,
    base_url: String,
    settings: NinjaoneSettings,
    client_id: String,
    client_secret: SecretString,
    token: TokenSlot,
    retry: RetryPolicy,
    pacing: Option<DefaultDirectRateLimiter>,
    counters: Counters,
}

/// A cheap-to-clone handle to one NinjaOne app's API; clones share the token, pacing and counters.
#[derive(Clone)]
pub struct NinjaClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for NinjaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NinjaClient")
            .field("base_url", &self.inner.base_url)
            .field("client_id", &self.inner.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    expires_in: Option<u64>,
}

/// Without `expires_in`, a token is assumed to live this long (3600 s in third-party docs).
const ASSUMED_TOKEN_LIFETIME: Duration = Duration::from_secs(3_600);

impl NinjaClient {
    /// `base_url`: `https://eu.ninjarmm.com` (a region's host) or a simulator, no trailing slash.
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        credentials: &ClientCredentials,
        settings: NinjaoneSettings,
        retry: RetryPolicy,
    ) -> Self {
        let pacing = settings
            .requests_per_second
            .and_then(NonZeroU32::new)
            .map(|rate| governor::RateLimiter::direct(Quota::per_second(rate).allow_burst(rate)));
        NinjaClient {
            inner: Arc::new(Inner {
                http,
                base_url: base_url.trim_end_matches('/').to_owned(),
                settings,
                client_id: credentials.client_id.clone(),
                client_secret: SecretString::from(credentials.client_secret.clone()),
                token: TokenSlot::new(),
                retry,
                pacing,
                counters: Counters::default(),
            }),
        }
    }

    pub fn settings(&self) -> &NinjaoneSettings {
        &self.inner.settings
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
    pub async fn fetch_token(&self) -> Result<(), NinjaError> {
        self.inner.token.fetch_now(|| self.request_token()).await
    }

    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, NinjaError> {
        let bytes = self.send(reqwest::Method::GET, path, query, None).await?;
        decode(&bytes)
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, NinjaError> {
        let body = serde_json::to_vec(body).map_err(|e| NinjaError::Decode(e.to_string()))?;
        let bytes = self
            .send(reqwest::Method::POST, path, &[], Some(&body))
            .await?;
        decode(&bytes)
    }

    /// A call whose answer has no body worth reading (`PUT`/`DELETE /v2/webhook`: 204).
    pub async fn send_ignoring_body<B: Serialize>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<(), NinjaError> {
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| NinjaError::Decode(e.to_string()))?;
        self.send(method, path, &[], body.as_deref()).await?;
        Ok(())
    }

    async fn token(&self) -> Result<SecretString, NinjaError> {
        self.inner.token.current(|| self.request_token()).await
    }

    /// A token instead of `refused`: one another request already fetched, or a new one.
    async fn replace_refused(&self, refused: &SecretString) -> Result<SecretString, NinjaError> {
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

    async fn request_token(&self) -> Result<CachedToken, NinjaError> {
        let path = self.inner.settings.token_path.clone();
        self.with_retries(&path, || {
            self.inner
                .counters
                .token_requests
                .fetch_add(1, Ordering::Relaxed);
            self.request_token_once()
        })
        .await
    }

    async fn request_token_once(&self) -> Result<CachedToken, NinjaError> {
        let inner = &self.inner;
        self.pace().await;
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", inner.client_id.as_str()),
            ("client_secret", inner.client_secret.expose_secret()),
            ("scope", inner.settings.scope.as_str()),
        ];
        let response = inner
            .http
            .post(format!("{}{}", inner.base_url, inner.settings.token_path))
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form)
            .timeout(inner.retry.request_timeout)
            .send()
            .await
            .map_err(transport_error)?;
        let received = Instant::now();
        let status = response.status().as_u16();
        let retry_after = http_retry::retry_after(response.headers(), chrono::Utc::now());
        let bytes = response.bytes().await.map_err(transport_error)?;
        if matches!(status, 400 | 401 | 403) {
            let code = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned));
            return Err(NinjaError::CredentialsRefused { status, code });
        }
        if !(200..300).contains(&status) {
            return Err(NinjaError::from_response(status, &bytes, retry_after));
        }
        // serde's message could quote the answer (a token): this one says nothing of it.
        let answer: TokenAnswer = serde_json::from_slice(&bytes).map_err(|_| {
            NinjaError::Decode("the token endpoint answered something other than a token".into())
        })?;
        let token = answer
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| NinjaError::Decode("the token answer has no access_token".into()))?;
        let lifetime = answer
            .expires_in
            .map_or(ASSUMED_TOKEN_LIFETIME, Duration::from_secs);
        Ok(CachedToken::new(
            SecretString::from(token),
            received,
            lifetime,
        ))
    }

    /// Sends with retries; on 401 gets one new token and sends again; a second 401 is `TokenRefused`.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&[u8]>,
    ) -> Result<bytes::Bytes, NinjaError> {
        let path = format!("{}{path}", self.inner.settings.api_prefix);
        let token = self.token().await?;
        match self
            .send_with_retries(&token, method.clone(), &path, query, body)
            .await
        {
            Err(error) if error.is_unauthorized() => {
                tracing::info!(%path, "NinjaOne refused the access token: fetching a new one");
                let replacement = self.replace_refused(&token).await?;
                self.send_with_retries(&replacement, method, &path, query, body)
                    .await
                    .map_err(|error| {
                        if error.is_unauthorized() {
                            NinjaError::TokenRefused
                        } else {
                            error
                        }
                    })
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
    ) -> Result<bytes::Bytes, NinjaError> {
        self.with_retries(path, || {
            self.send_once(token, method.clone(), path, query, body)
        })
        .await
    }

    /// Runs `attempt` until it succeeds or [`decide`] says to stop, sleeping between tries.
    async fn with_retries<T, F, Fut>(&self, path: &str, mut attempt: F) -> Result<T, NinjaError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, NinjaError>>,
    {
        let mut retries = 0;
        loop {
            let error = match attempt().await {
                Ok(answer) => return Ok(answer),
                Err(error) => error,
            };
            let wait = self.note_failure(&error, retries).ok_or(error)?;
            retries += 1;
            tracing::warn!(?wait, retries, %path, "retrying NinjaOne request");
            tokio::time::sleep(wait).await;
        }
    }

    /// Counts a failure and says whether (and after how long) to send again: transient failures up
    /// to the policy's retries; a `Retry-After` is honoured as given unless longer than
    /// [`LONGEST_RETRY_AFTER`] (then the request stops as `RateLimited`); else full-jitter backoff.
    fn note_failure(&self, error: &NinjaError, retries: usize) -> Option<Duration> {
        let counters = &self.inner.counters;
        if matches!(error, NinjaError::RateLimited { .. }) {
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
        body: Option<&[u8]>,
    ) -> Result<bytes::Bytes, NinjaError> {
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
        let status = response.status().as_u16();
        let retry_after = http_retry::retry_after(response.headers(), chrono::Utc::now());
        let bytes = response.bytes().await.map_err(transport_error)?;
        if (200..300).contains(&status) {
            return Ok(bytes);
        }
        Err(NinjaError::from_response(status, &bytes, retry_after))
    }

    async fn pace(&self) {
        if let Some(pacing) = &self.inner.pacing {
            pacing.until_ready().await;
        }
        self.inner.counters.requests.fetch_add(1, Ordering::Relaxed);
    }
}

impl RetryableError for NinjaError {
    fn is_transient(&self) -> bool {
        NinjaError::is_transient(self)
    }

    fn asked_wait(&self) -> Option<Duration> {
        match self {
            NinjaError::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}

fn transport_error(error: reqwest::Error) -> NinjaError {
    if error.is_timeout() {
        NinjaError::Timeout
    } else {
        NinjaError::Transport(error.without_url().to_string())
    }
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, NinjaError> {
    serde_json::from_slice(bytes).map_err(|e| NinjaError::Decode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_honoured_a_long_one_stops_and_client_errors_stop() {
        let policy = RetryPolicy::default();
        let limited = |s| NinjaError::RateLimited {
            retry_after: Some(Duration::from_secs(s)),
        };
        assert_eq!(
            decide(&limited(3), 0, &policy, 0.5),
            Some(Duration::from_secs(3))
        );
        assert_eq!(decide(&limited(3_600), 0, &policy, 0.5), None);
        let api = |status| NinjaError::Api {
            status,
            message: String::new(),
        };
        assert_eq!(decide(&api(404), 0, &policy, 0.5), None);
        assert!(decide(&api(503), 0, &policy, 0.5).is_some());
        assert_eq!(decide(&api(503), policy.max_retries, &policy, 0.5), None);
    }
}
