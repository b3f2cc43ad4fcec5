//! The HTTP client every HubSpot call goes through: paced by the portal's shared limiter, retried
//! after the rule in `backoff` (HubSpot's rate-limit headers, `Retry-After`, full jitter on 5xx),
//! and counted.

use crate::sources::hubspot::backoff::{self, Decision, RateLimitHeaders};
use crate::sources::hubspot::error::{HubSpotError, RateLimitPolicy};
use crate::sources::hubspot::limiter::{Budget, PortalLimiter};
use crate::sources::hubspot::token_manager::AccessTokenProvider;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use crate::sources::hubspot::backoff::RetryPolicy;

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
    /// Waits for a full window that held every request on a budget (after a 429 saying so, a
    /// `Retry-After` on a 429, or an answer that took the window's last place).
    pub budget_holds: u64,
    /// The longest single wait chosen, a retry's or a budget hold's.
    pub longest_wait: Duration,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    search_requests: AtomicU64,
    retries: AtomicU64,
    rate_limited: AtomicU64,
    transient_failures: AtomicU64,
    budget_holds: AtomicU64,
    longest_wait_micros: AtomicU64,
}

impl Counters {
    fn waited(&self, wait: Duration) {
        let micros = u64::try_from(wait.as_micros()).unwrap_or(u64::MAX);
        self.longest_wait_micros
            .fetch_max(micros, Ordering::Relaxed);
    }
}

/// A refused request: the error, and the rate-limit headers that came with it.
struct Refusal {
    error: HubSpotError,
    limits: RateLimitHeaders,
}

impl From<HubSpotError> for Refusal {
    fn from(error: HubSpotError) -> Self {
        Refusal {
            error,
            limits: RateLimitHeaders::default(),
        }
    }
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
        crate::sources::http_retry::default_http_client()
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
            budget_holds: c.budget_holds.load(Ordering::Relaxed),
            longest_wait: Duration::from_micros(c.longest_wait_micros.load(Ordering::Relaxed)),
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

    /// Sends until HubSpot accepts, or `backoff::decide` says stop. A wait for a full window holds
    /// the budget for every request of the portal; any other wait holds only this request.
    async fn send_with_retries(
        &self,
        token: &SecretString,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&[u8]>,
        budget: Budget,
    ) -> Result<bytes::Bytes, HubSpotError> {
        let inner = &self.inner;
        let mut retries = 0;
        loop {
            let refusal = match self
                .send_once(token, method.clone(), path, query, body, budget)
                .await
            {
                Ok(bytes) => return Ok(bytes),
                Err(refusal) => refusal,
            };
            let decision = backoff::decide(
                &refusal.error,
                &refusal.limits,
                retries,
                &inner.retry,
                &inner.limiter.counted_ages(budget, Instant::now()),
                rand::random::<f64>(),
            );
            let Some(wait) = decision.wait() else {
                return Err(refusal.error);
            };
            retries += 1;
            inner.counters.retries.fetch_add(1, Ordering::Relaxed);
            inner.counters.waited(wait);
            tracing::warn!(error = %refusal.error, ?wait, retries, path = %loggable(path),
                "retrying HubSpot request");
            if let Decision::HoldBudget(_) = decision {
                inner.counters.budget_holds.fetch_add(1, Ordering::Relaxed);
                // `acquire` in the next attempt waits out the hold, with everyone else.
                inner.limiter.hold(budget, wait);
            } else {
                tokio::time::sleep(wait).await;
            }
        }
    }

    async fn send_once(
        &self,
        token: &SecretString,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&[u8]>,
        budget: Budget,
    ) -> Result<bytes::Bytes, Refusal> {
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
        let answered_at = Instant::now();
        let status = response.status();
        let limits = RateLimitHeaders::parse(response.headers(), chrono::Utc::now());
        self.note_counted(budget, status, &limits, answered_at);
        let bytes = response.bytes().await.map_err(transport_error)?;
        if status.is_success() {
            return Ok(bytes);
        }
        let error = HubSpotError::from_response_with_limits(status.as_u16(), &bytes, &limits);
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
        Err(Refusal { error, limits })
    }

    /// Paces to the limit HubSpot states when it is lower than ours, remembers when HubSpot counted
    /// a request (every answer but a 429, which it refused, and a 401, which it refused before
    /// counting), and holds the budget when the answer took the window's last place.
    fn note_counted(
        &self,
        budget: Budget,
        status: reqwest::StatusCode,
        limits: &RateLimitHeaders,
        at: Instant,
    ) {
        let limiter = &self.inner.limiter;
        if let (Some(max), Some(interval)) = (limits.max, limits.interval) {
            let max = u32::try_from(max).unwrap_or(u32::MAX);
            if limiter.adopt_stated_limit(budget, max, interval) {
                tracing::info!(
                    max,
                    ?interval,
                    "HubSpot states a lower limit than the tenant's: pacing to it"
                );
            }
        }
        let refused = matches!(
            status,
            reqwest::StatusCode::TOO_MANY_REQUESTS | reqwest::StatusCode::UNAUTHORIZED
        );
        if refused {
            return;
        }
        limiter.record_counted(budget, at);
        let ages = limiter.counted_ages(budget, at);
        if let Some(wait) = backoff::hold_after_answer(limits, &self.inner.retry, &ages) {
            let counters = &self.inner.counters;
            counters.budget_holds.fetch_add(1, Ordering::Relaxed);
            counters.waited(wait);
            limiter.hold(budget, wait);
        }
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
