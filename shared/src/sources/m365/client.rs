//! Microsoft Graph for one connection (one multi-tenant app): a client-credentials token per
//! customer tenant (cached, fetched again on a 401 once), report requests paced per tenant, 429 and
//! 5xx retried after `Retry-After` (or full-jitter backoff) a bounded number of times, and report
//! CSV files read from their pre-authenticated download URL with no `Authorization` header.

use crate::ports::source::SourceError;
use crate::sources::http_retry::{full_jitter, retry_after, LONGEST_RETRY_AFTER};
use crate::sources::m365::clock::PacingClock;
use crate::sources::m365::pacing::{ReportLimiter, ReportPacing, ReportPermit};
use crate::sources::m365::wire::{Collection, GraphErrorBody, TokenError, TokenResponse};
use chrono::{DateTime, Utc};
use rand::Rng;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub const LOGIN_BASE: &str = "https://login.microsoftonline.com";
pub const GRAPH_BASE: &str = "https://graph.microsoft.com";
const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
/// A token is fetched again this long before Graph says it expires.
const TOKEN_EARLY_REFRESH: chrono::Duration = chrono::Duration::minutes(5);
/// Pages of one collection followed at most (a next link that never ends is an error).
const MAX_PAGES: usize = 500;

/// How failed requests are retried and how long one wait may last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request for 429, 5xx and transport errors (the first one included).
    pub max_attempts: u32,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// The longest wait (a `Retry-After` or a report slot) a request accepts; longer stops the
    /// step with `RateLimited` so a later invocation carries on.
    pub longest_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            longest_wait: LONGEST_RETRY_AFTER,
        }
    }
}

/// Whether a request counts against the reports' per-tenant limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    Plain,
    Report,
}

struct CachedToken {
    value: SecretString,
    refresh_at: DateTime<Utc>,
}

struct Inner {
    /// Follows no redirects: a report's 302 is followed by hand, without the bearer token.
    http: reqwest::Client,
    login_base: String,
    graph_base: String,
    client_id: String,
    client_secret: SecretString,
    tokens: tokio::sync::Mutex<HashMap<String, CachedToken>>,
    limiter: ReportLimiter,
    clock: Arc<dyn PacingClock>,
    retry: RetryPolicy,
    requests: AtomicU64,
    report_requests: AtomicU64,
}

/// Cheap to clone; clones share tokens, the limiter and the counters.
#[derive(Clone)]
pub struct GraphClient {
    inner: Arc<Inner>,
}

/// Where the client sends its requests and how it paces them.
pub struct ClientSettings {
    pub login_base: String,
    pub graph_base: String,
    pub retry: RetryPolicy,
    pub pacing: ReportPacing,
    pub clock: Arc<dyn PacingClock>,
}

fn unavailable(tenant: &str, message: impl std::fmt::Display) -> SourceError {
    SourceError::Unavailable {
        message: format!("Microsoft 365 customer tenant {tenant}: {message}"),
    }
}

impl GraphClient {
    pub fn new(
        http: reqwest::Client,
        client_id: String,
        client_secret: SecretString,
        settings: ClientSettings,
    ) -> Self {
        GraphClient {
            inner: Arc::new(Inner {
                http,
                login_base: settings.login_base.trim_end_matches('/').to_owned(),
                graph_base: settings.graph_base.trim_end_matches('/').to_owned(),
                client_id,
                client_secret,
                tokens: tokio::sync::Mutex::new(HashMap::new()),
                limiter: ReportLimiter::new(settings.pacing),
                clock: settings.clock,
                retry: settings.retry,
                requests: AtomicU64::new(0),
                report_requests: AtomicU64::new(0),
            }),
        }
    }

    /// Every HTTP request sent (tokens, Graph, report downloads, retries included).
    pub fn requests_made(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// Report requests sent (CSV reports and JSON report pages), retries included.
    pub fn report_requests_made(&self) -> u64 {
        self.inner.report_requests.load(Ordering::Relaxed)
    }

    pub fn clock(&self) -> &Arc<dyn PacingClock> {
        &self.inner.clock
    }

    fn sent(&self) {
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// `https://graph.microsoft.com/v1.0` + `path`.
    pub fn graph_url(&self, path: &str) -> String {
        format!("{}/v1.0{path}", self.inner.graph_base)
    }

    /// A wait before retry `attempt` (0-based): Graph's `Retry-After` when sent, else backoff.
    async fn wait_or_stop(
        &self,
        tenant: &str,
        wait: Option<Duration>,
        attempt: u32,
        what: &str,
    ) -> Result<(), SourceError> {
        let retry = self.inner.retry;
        if attempt + 1 >= retry.max_attempts {
            return Err(unavailable(
                tenant,
                format!("{what} after {} attempts", retry.max_attempts),
            ));
        }
        let wait = wait.unwrap_or_else(|| {
            let jitter: f64 = rand::rng().random();
            full_jitter(
                retry.min_backoff,
                retry.max_backoff,
                attempt as usize,
                jitter,
            )
        });
        if wait > retry.longest_wait {
            let reset_at = self.inner.clock.now()
                + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::zero());
            return Err(SourceError::RateLimited {
                reset_at: Some(reset_at),
                message: format!(
                    "Microsoft 365 customer tenant {tenant}: {what}, asked to wait {}s",
                    wait.as_secs()
                ),
            });
        }
        self.inner.clock.sleep(wait).await;
        Ok(())
    }

    /// The tenant's token: the cached one while fresh, else a new one.
    async fn token(&self, tenant: &str) -> Result<SecretString, SourceError> {
        let mut tokens = self.inner.tokens.lock().await;
        let now = self.inner.clock.now();
        if let Some(cached) = tokens.get(tenant) {
            if cached.refresh_at > now {
                return Ok(cached.value.clone());
            }
        }
        let (value, expires_in) = self.fetch_token(tenant).await?;
        let refresh_at = now + chrono::Duration::seconds(expires_in) - TOKEN_EARLY_REFRESH;
        tokens.insert(
            tenant.to_owned(),
            CachedToken {
                value: value.clone(),
                refresh_at,
            },
        );
        Ok(value)
    }

    /// Drops the tenant's cached token when it is still `used` (concurrent requests refused with the
    /// same token fetch one new token between them, not one each).
    async fn forget_token(&self, tenant: &str, used: &SecretString) {
        let mut tokens = self.inner.tokens.lock().await;
        if tokens
            .get(tenant)
            .is_some_and(|cached| cached.value.expose_secret() == used.expose_secret())
        {
            tokens.remove(tenant);
        }
    }

    /// `POST /{tenant}/oauth2/v2.0/token` with the client-credentials grant (auth-v2-service.md).
    pub async fn fetch_token(&self, tenant: &str) -> Result<(SecretString, i64), SourceError> {
        let url = format!("{}/{tenant}/oauth2/v2.0/token", self.inner.login_base);
        let mut attempt = 0;
        loop {
            self.sent();
            let form = [
                ("client_id", self.inner.client_id.as_str()),
                ("client_secret", self.inner.client_secret.expose_secret()),
                ("scope", GRAPH_SCOPE),
                ("grant_type", "client_credentials"),
            ];
            let response = match self.inner.http.post(&url).form(&form).send().await {
                Ok(r) => r,
                Err(e) => {
                    let message = format!("token endpoint unreachable ({})", e.without_url());
                    self.wait_or_stop(tenant, None, attempt, &message).await?;
                    attempt += 1;
                    continue;
                }
            };
            let status = response.status();
            if status.is_success() {
                let token: TokenResponse = response.json().await.map_err(|_| {
                    SourceError::InvalidResponse(format!(
                        "Microsoft 365 customer tenant {tenant}: the token answer is not JSON"
                    ))
                })?;
                // Graph documents 3599 s; a missing value is taken as that.
                let expires_in = token.expires_in.unwrap_or(3599).max(60);
                return Ok((SecretString::from(token.access_token), expires_in));
            }
            if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                let wait = retry_after(response.headers(), self.inner.clock.now());
                let message = format!("token endpoint answered {}", status.as_u16());
                self.wait_or_stop(tenant, wait, attempt, &message).await?;
                attempt += 1;
                continue;
            }
            let body: TokenError = response.json().await.unwrap_or_default();
            return Err(token_refusal(tenant, status.as_u16(), &body));
        }
    }

    /// Sends a GET to Graph for `tenant`, paced when it is a report, with the bearer token, the
    /// 401 refresh and bounded retries. Answers a 2xx or 3xx response.
    pub async fn get(
        &self,
        tenant: &str,
        url: &str,
        kind: RequestKind,
    ) -> Result<reqwest::Response, SourceError> {
        let mut attempt = 0;
        let mut refreshed = false;
        loop {
            // A report request holds the tenant's permit from its wait until its answer.
            let mut permit = match kind {
                RequestKind::Report => Some(self.report_slot(tenant).await?),
                RequestKind::Plain => None,
            };
            let token = self.token(tenant).await?;
            self.sent();
            let sent = self
                .inner
                .http
                .get(url)
                .bearer_auth(token.expose_secret())
                .send()
                .await;
            if let Some(permit) = permit.as_mut() {
                permit.sent(self.inner.clock.now());
                self.inner.report_requests.fetch_add(1, Ordering::Relaxed);
            }
            drop(permit);
            let response = match sent {
                Ok(r) => r,
                Err(e) => {
                    let message = format!("Graph unreachable ({})", e.without_url());
                    self.wait_or_stop(tenant, None, attempt, &message).await?;
                    attempt += 1;
                    continue;
                }
            };
            let status = response.status();
            if status.is_success() || status.is_redirection() {
                return Ok(response);
            }
            if status == StatusCode::UNAUTHORIZED {
                self.forget_token(tenant, &token).await;
                if !refreshed {
                    // Tokens can stop working before `expires_in` says (revocation, key
                    // rollover): one fresh token per request.
                    refreshed = true;
                    continue;
                }
                let body: GraphErrorBody = response.json().await.unwrap_or_default();
                return Err(SourceError::NeedsReauth {
                    reason: format!(
                        "Microsoft 365 customer tenant {tenant}: Graph refused a fresh token ({})",
                        body.error.code
                    ),
                });
            }
            if status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::SERVICE_UNAVAILABLE
                || status == StatusCode::BAD_GATEWAY
                || status == StatusCode::GATEWAY_TIMEOUT
                || status == StatusCode::INTERNAL_SERVER_ERROR
            {
                let wait = retry_after(response.headers(), self.inner.clock.now());
                let message = format!("Graph answered {}", status.as_u16());
                self.wait_or_stop(tenant, wait, attempt, &message).await?;
                attempt += 1;
                continue;
            }
            let body: GraphErrorBody = response.json().await.unwrap_or_default();
            return Err(SourceError::Rejected {
                status: status.as_u16(),
                message: format!(
                    "Microsoft 365 customer tenant {tenant}: {} {}: {}",
                    status.as_u16(),
                    body.error.code,
                    body.error.message
                ),
            });
        }
    }

    /// Waits for the tenant's next report slot, or stops when it is further than a request may
    /// wait. The permit is held until the request is answered.
    async fn report_slot(&self, tenant: &str) -> Result<ReportPermit, SourceError> {
        let mut permit = self.inner.limiter.permit(tenant).await;
        let now = self.inner.clock.now();
        match permit.wait(now, self.inner.retry.longest_wait) {
            Ok(wait) => {
                if !wait.is_zero() {
                    self.inner.clock.sleep(wait).await;
                }
                Ok(permit)
            }
            Err(at) => Err(SourceError::RateLimited {
                reset_at: Some(at),
                message: format!(
                    "Microsoft 365 customer tenant {tenant}: its report requests are spent until {at} (14 per 10 minutes)"
                ),
            }),
        }
    }

    pub async fn get_json<T: DeserializeOwned>(
        &self,
        tenant: &str,
        url: &str,
        kind: RequestKind,
    ) -> Result<T, SourceError> {
        let response = self.get(tenant, url, kind).await?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| unavailable(tenant, format!("reading an answer ({})", e.without_url())))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            SourceError::InvalidResponse(format!(
                "Microsoft 365 customer tenant {tenant}: unreadable answer: {e}"
            ))
        })
    }

    /// Every item of a collection, following `@odata.nextLink` (a link that repeats, or more than
    /// `MAX_PAGES` pages, is an error).
    pub async fn get_all<T: DeserializeOwned>(
        &self,
        tenant: &str,
        first_url: &str,
        kind: RequestKind,
    ) -> Result<Vec<T>, SourceError> {
        let mut items = Vec::new();
        let mut url = first_url.to_owned();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..MAX_PAGES {
            let page: Collection<T> = self.get_json(tenant, &url, kind).await?;
            items.extend(page.value);
            match page.next_link {
                None => return Ok(items),
                Some(next) => {
                    if !seen.insert(next.clone()) {
                        return Err(SourceError::InvalidResponse(format!(
                            "Microsoft 365 customer tenant {tenant}: a next link repeated"
                        )));
                    }
                    url = next;
                }
            }
        }
        Err(SourceError::InvalidResponse(format!(
            "Microsoft 365 customer tenant {tenant}: more than {MAX_PAGES} pages"
        )))
    }

    /// A CSV report: Graph answers 302 to a pre-authenticated URL valid a few minutes, read with
    /// no `Authorization` header. A URL that expired before it was read (403/404) is asked for
    /// again once (one more report request, paced like the others).
    pub async fn get_report_csv(&self, tenant: &str, url: &str) -> Result<String, SourceError> {
        let mut expired_once = false;
        loop {
            let response = self.get(tenant, url, RequestKind::Report).await?;
            if response.status().is_success() {
                return response.text().await.map_err(|e| {
                    unavailable(tenant, format!("reading a report ({})", e.without_url()))
                });
            }
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .ok_or_else(|| {
                    SourceError::InvalidResponse(format!(
                        "Microsoft 365 customer tenant {tenant}: a report redirect without a location"
                    ))
                })?;
            match self.download(tenant, &location).await? {
                Some(text) => return Ok(text),
                None if !expired_once => expired_once = true,
                None => {
                    return Err(unavailable(
                        tenant,
                        "report download URLs expired before they could be read",
                    ))
                }
            }
        }
    }

    /// Reads a pre-authenticated download URL; None when it expired or is gone.
    async fn download(&self, tenant: &str, location: &str) -> Result<Option<String>, SourceError> {
        let mut attempt = 0;
        loop {
            self.sent();
            match self.inner.http.get(location).send().await {
                Ok(r) if r.status().is_success() => {
                    return r.text().await.map(Some).map_err(|e| {
                        unavailable(tenant, format!("reading a report ({})", e.without_url()))
                    })
                }
                Ok(r) if matches!(r.status().as_u16(), 403 | 404) => return Ok(None),
                Ok(r) if r.status().is_server_error() => {
                    let message = format!("report download answered {}", r.status().as_u16());
                    self.wait_or_stop(tenant, None, attempt, &message).await?;
                }
                Ok(r) => {
                    return Err(unavailable(
                        tenant,
                        format!("report download refused ({})", r.status().as_u16()),
                    ))
                }
                Err(e) => {
                    let message = format!("report download failed ({})", e.without_url());
                    self.wait_or_stop(tenant, None, attempt, &message).await?;
                }
            }
            attempt += 1;
        }
    }
}

/// Why the token endpoint refused, in terms a person can act on (never the secret).
fn token_refusal(tenant: &str, status: u16, body: &TokenError) -> SourceError {
    let code = body.error_codes.first().copied().unwrap_or_default();
    let consent_gone = [700016, 65001, 500011, 7000112, 50020];
    let secret_refused = [7000215, 7000222, 7000216];
    let reason = if consent_gone.contains(&code) {
        format!(
            "Microsoft 365 customer tenant {tenant}: the app is not consented there (AADSTS{code}): the customer's admin must grant admin consent again"
        )
    } else if secret_refused.contains(&code) {
        format!("Microsoft 365: the app's client secret was refused (AADSTS{code}) for customer tenant {tenant}")
    } else if code == 90002 {
        format!("Microsoft 365 customer tenant {tenant} was not found (AADSTS90002)")
    } else if matches!(
        body.error.as_str(),
        "invalid_client" | "unauthorized_client" | "invalid_grant"
    ) {
        format!(
            "Microsoft 365 customer tenant {tenant}: the token endpoint refused the app ({}, AADSTS{code})",
            body.error
        )
    } else {
        return SourceError::Rejected {
            status,
            message: format!(
                "Microsoft 365 customer tenant {tenant}: the token endpoint answered {status} ({}, AADSTS{code})",
                body.error
            ),
        };
    };
    SourceError::NeedsReauth { reason }
}
