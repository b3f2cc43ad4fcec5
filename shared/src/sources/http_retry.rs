//! What every HTTP source shares, whatever its platform: the HTTP client's settings, reading
//! `Retry-After`, the longest wait a source accepts from it, and full-jitter exponential backoff.
//! Each platform keeps its own decision (which answers are retried, which hold a whole budget) and
//! calls into these.

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use std::time::Duration;

/// A reqwest client with rustls and sensible connection settings, shared by a function's sources.
pub fn default_http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(concat!("connected-insights/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// A `Retry-After` longer than this stops the request: the run fails as retryable and a later run
/// carries on, instead of one request sleeping through a Lambda's time.
pub const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(60);

/// `Retry-After: 3` or `Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`; a date in the past is zero.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// The `Retry-After` of an answer, when sent and readable.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, now))
}

/// A uniform wait in `[0, cap)` where the cap starts at `min_delay` and doubles each retry, up to
/// `max_delay` (full jitter: concurrent clients that failed together do not retry together).
pub fn full_jitter(
    min_delay: Duration,
    max_delay: Duration,
    retries: usize,
    jitter: f64,
) -> Duration {
    let doublings = u32::try_from(retries).unwrap_or(u32::MAX).min(30);
    let cap = min_delay.saturating_mul(1u32 << doublings).min(max_delay);
    cap.mul_f64(jitter.clamp(0.0, 1.0))
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Sends after the first one, whatever the failures.
    pub max_retries: usize,
    /// Cap of the first full-jitter wait; doubles each retry.
    pub min_delay: Duration,
    /// The cap never grows past this.
    pub max_delay: Duration,
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    /// Five retries from up to 500 ms, capped at 8 s: a few seconds of waiting on average, about
    /// twenty at worst, well inside a sync Lambda's time.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            request_timeout: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Retries as many, with waits of at most a few milliseconds (tests and the simulator's
    /// benchmarks).
    pub fn fast(max_retries: usize) -> Self {
        RetryPolicy {
            max_retries,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// An error a retry rule can read: whether sending again may help, and how long the platform asked
/// us to wait (its `Retry-After`).
pub trait RetryableError {
    fn is_transient(&self) -> bool;
    fn asked_wait(&self) -> Option<Duration>;
}

/// The retry rule of the client-credentials sources (PayPal, NinjaOne, Pax8): `Some(wait)` to send
/// again after `wait`, `None` to give up. `retries` is how many retries this request has had;
/// `jitter` a uniform sample from `[0, 1)`.
///
/// - spent attempts, or an error that is not transient (4xx, refused credentials): stop;
/// - a `Retry-After` is honoured as given, up to [`LONGEST_RETRY_AFTER`]; a longer one stops the
///   request rather than sleep through the run;
/// - otherwise a full-jitter backoff whose cap doubles each retry.
pub fn decide<E: RetryableError>(
    error: &E,
    retries: usize,
    policy: &RetryPolicy,
    jitter: f64,
) -> Option<Duration> {
    if retries >= policy.max_retries || !error.is_transient() {
        return None;
    }
    if let Some(asked) = error.asked_wait() {
        return (asked <= LONGEST_RETRY_AFTER).then_some(asked);
    }
    Some(full_jitter(
        policy.min_delay,
        policy.max_delay,
        retries,
        jitter,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn reads_both_forms_of_retry_after_and_ignores_garbage() {
        let now = DateTime::parse_from_rfc3339("2026-11-30T10:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Mon, 30 Nov 2026 10:00:04 GMT", now),
            Some(Duration::from_secs(4))
        );
        assert_eq!(
            parse_retry_after("Mon, 30 Nov 2026 09:59:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers, now), None);
        headers.insert("Retry-After", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(2)));
    }

    #[test]
    fn full_jitter_stays_under_a_cap_that_doubles_up_to_the_maximum() {
        let (min, max) = (Duration::from_millis(200), Duration::from_secs(5));
        assert_eq!(full_jitter(min, max, 0, 0.0), Duration::ZERO);
        assert_eq!(full_jitter(min, max, 0, 0.5), Duration::from_millis(100));
        assert_eq!(full_jitter(min, max, 3, 0.5), Duration::from_millis(800));
        assert_eq!(full_jitter(min, max, 40, 1.0), max);
        assert_eq!(full_jitter(min, max, 2, 7.0), Duration::from_millis(800));
    }
}
