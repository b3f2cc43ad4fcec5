//! The HTTP client every HubSpot call goes through: paced by the portal's shared limiter, retried
//! with exponential backoff and jitter on transient failures, and counted.

use crate::hubspot::error::{HubSpotError, RateLimitPolicy};
use crate::hubspot::limiter::{Budget, PortalLimiter};
use crate::hubspot::token_manager::AccessTokenProvider;
use backon::{ExponentialBuilder, Retryable};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How failed requests are retried. The defaults follow HubSpot's own SDKs: six retries, 5xx with
/// growing delays, a rolling-window 429 after about ten seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    pub max_retries: usize,
    /// First delay after a 5xx, 423 or timeout; doubles each retry, with jitter.
    pub min_delay: Duration,
    pub max_delay: Duration,
    /// First delay after a 429 that is not `DAILY`, when HubSpot sends no `Retry-After`.
    pub rate_limit_delay: Duration,
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 6,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            rate_limit_delay: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// Counters since the client was built (shared by its clones).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Every request sent, retries included.
    pub requests: u64,
    pub search_requests: u64,
    pub retries: u64,
    /// 429 answers of any policy.
    pub rate_limited: u64,
    /// 5xx, 423 and timeouts.
    pub transient_failures: u64,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    search_requests: AtomicU64,
    retries: AtomicU64,
    rate_limited: AtomicU64,
    transient_failures: AtomicU64,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    auth: Arc<dyn AccessTokenProvider>,
    limiter: Arc<PortalLimiter>,
    retry: RetryPolicy,
    counters: Counters,
}

/// A cheap-to-clone handle; clones share the limiter, the token provider and the counters.
#[derive(Clone)]
pub struct HubSpotClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for HubSpotClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubSpotClient")
            .field("base_url", &self.inner.base_url)
            .field("limiter", &self.inner.limiter)
            .finish_non_exhaustive()
    }
}

impl HubSpotClient {
    /// `base_url` is `https://api.hubapi.com` in production (see `api::DEFAULT_API_BASE_URL`).
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        auth: Arc<dyn AccessTokenProvider>,
        limiter: Arc<PortalLimiter>,
        retry: RetryPolicy,
    ) -> Self {
        HubSpotClient {
            inner: Arc::new(Inner {
                http,
                base_url: base_url.trim_end_matches('/').to_owned(),
                auth,
                limiter,
                retry,
                counters: Counters::default(),
            }),
        }
    }

    /// A reqwest client with rustls and sensible connection settings, to share between the API
    /// client and the OAuth client.
    pub fn default_http() -> Result<reqwest::Client, HubSpotError> {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("connected-insights/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HubSpotError::Transport(e.to_string()))
    }

    pub fn stats(&self) -> ClientStats {
        let c = &self.inner.counters;
        ClientStats {
            requests: c.requests.load(Ordering::Relaxed),
            search_requests: c.search_requests.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            rate_limited: c.rate_limited.load(Ordering::Relaxed),
            transient_failures: c.transient_failures.load(Ordering::Relaxed),
        }
    }

    pub fn limiter(&self) -> &Arc<PortalLimiter> {
        &self.inner.limiter
    }

    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, HubSpotError> {
        let bytes = self
            .send(reqwest::Method::GET, path, query, None, Budget::General)
            .await?;
        decode(&bytes)
    }

    /// POSTs JSON. A 207 (partial success) is a success: the body carries the `errors`.
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        budget: Budget,
    ) -> Result<T, HubSpotError> {
        let body = serde_json::to_vec(body).map_err(|e| HubSpotError::Decode(e.to_string()))?;
        let bytes = self
            .send(reqwest::Method::POST, path, &[], Some(&body), budget)
            .await?;
        decode(&bytes)
    }

    /// Sends with retries. When HubSpot refuses the access token (401) although it was believed
    /// valid, asks the token provider for a replacement once and sends again with it; a refusal of
    /// the replacement, or of a token that has none, is returned.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&[u8]>,
        budget: Budget,
    ) -> Result<bytes::Bytes, HubSpotError> {
        let auth = &self.inner.auth;
        let token = auth.access_token().await?;
        let refusal = match self
            .send_with_retries(&token, method.clone(), path, query, body, budget)
            .await
        {
            Err(refusal) if refusal.is_token_refused() => refusal,
            answer => return answer,
        };
        match auth.replace_refused(&token, &refusal).await? {
            Some(replacement) => {
                self.send_with_retries(&replacement, method, path, query, body, budget)
                    .await
            }
            None => Err(refusal),
        }
    }

    async fn send_with_retries(
        &self,
        token: &SecretString,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&[u8]>,
        budget: Budget,
    ) -> Result<bytes::Bytes, HubSpotError> {
        let retry = self.inner.retry;
        let backoff = ExponentialBuilder::default()
            .with_min_delay(retry.min_delay)
            .with_max_delay(retry.max_delay)
            .with_max_times(retry.max_retries)
            .with_jitter();
        let attempt = || self.send_once(token, method.clone(), path, query, body, budget);
        attempt
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(HubSpotError::is_transient)
            .adjust(|error, delay| match error {
                HubSpotError::RateLimited { retry_after, .. } => {
                    let wait = retry_after
                        .unwrap_or_else(|| delay.unwrap_or_default().max(retry.rate_limit_delay));
                    // Everyone on this portal waits, not just this request.
                    self.inner.limiter.pause_for(wait);
                    // `None` from the backoff means retries are spent: keep it that way.
                    delay.map(|_| wait)
                }
                _ => delay,
            })
            .notify(|error, delay| {
                self.inner.counters.retries.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%error, ?delay, path = %loggable(path), "retrying HubSpot request");
            })
            .await
    }

    async fn send_once(
        &self,
        token: &SecretString,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&[u8]>,
        budget: Budget,
    ) -> Result<bytes::Bytes, HubSpotError> {
        let inner = &self.inner;
        inner.limiter.acquire(budget).await;
        inner.counters.requests.fetch_add(1, Ordering::Relaxed);
        if budget == Budget::Search {
            inner
                .counters
                .search_requests
                .fetch_add(1, Ordering::Relaxed);
        }
        let mut request = inner
            .http
            .request(method, format!("{}{}", inner.base_url, path))
            .bearer_auth(token.expose_secret())
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
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = response.bytes().await.map_err(transport_error)?;
        if status.is_success() {
            return Ok(bytes);
        }
        let error = HubSpotError::from_response(status.as_u16(), &bytes, retry_after);
        match &error {
            HubSpotError::RateLimited { policy, .. } => {
                inner.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
                if *policy == RateLimitPolicy::Other {
                    tracing::warn!(path = %loggable(path), "HubSpot 429 without a known policy");
                }
            }
            HubSpotError::DailyLimitReached { .. } => {
                inner.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
            }
            e if e.is_transient() => {
                inner
                    .counters
                    .transient_failures
                    .fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
        Err(error)
    }
}

fn transport_error(error: reqwest::Error) -> HubSpotError {
    if error.is_timeout() {
        HubSpotError::Timeout
    } else {
        // reqwest's message can include the URL; ours carry no secrets (tokens travel in headers).
        HubSpotError::Transport(error.without_url().to_string())
    }
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, HubSpotError> {
    serde_json::from_slice(bytes).map_err(|e| HubSpotError::Decode(e.to_string()))
}

/// Paths are safe to log except the token-info path, which carries the token.
fn loggable(path: &str) -> &str {
    if path.starts_with("/oauth/") {
        "/oauth/..."
    } else {
        path
    }
}
