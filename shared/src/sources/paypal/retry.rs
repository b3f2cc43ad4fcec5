//! When a refused PayPal request is sent again, and after how long. PayPal publishes no rate-limit
//! numbers or headers; its guidance is: honour `Retry-After` when present, else back off
//! exponentially. So:
//!
//! - spent attempts, or an error that is not transient (4xx, refused credentials): stop;
//! - a `Retry-After` is honoured as given, up to [`LONGEST_RETRY_AFTER`]; a longer one stops the
//!   request rather than sleep through the run (it folds into a retryable `RateLimited`);
//! - otherwise 429, 5xx, timeouts and connection failures wait a full-jitter backoff whose cap
//!   doubles each retry.

use crate::sources::http_retry::{full_jitter, LONGEST_RETRY_AFTER};
use crate::sources::paypal::error::PaypalError;
use std::time::Duration;

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

/// The rule: `Some(wait)` to send again after `wait`, `None` to give up. `retries` is how many
/// retries this request has had; `jitter` a uniform sample from `[0, 1)`.
pub fn decide(
    error: &PaypalError,
    retries: usize,
    policy: &RetryPolicy,
    jitter: f64,
) -> Option<Duration> {
    if retries >= policy.max_retries || !error.is_transient() {
        return None;
    }
    if let PaypalError::RateLimited {
        retry_after: Some(asked),
        ..
    } = error
    {
        return (*asked <= LONGEST_RETRY_AFTER).then_some(*asked);
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

    fn limited(retry_after: Option<Duration>) -> PaypalError {
        PaypalError::RateLimited {
            message: "Too many requests".into(),
            debug_id: None,
            retry_after,
        }
    }

    fn api(status: u16) -> PaypalError {
        PaypalError::Api {
            status,
            name: None,
            message: "x".into(),
            debug_id: None,
        }
    }

    #[test]
    fn retry_after_is_honoured_and_a_very_long_one_stops() {
        let policy = RetryPolicy::default();
        let three = Duration::from_secs(3);
        assert_eq!(decide(&limited(Some(three)), 0, &policy, 0.9), Some(three));
        let too_long = LONGEST_RETRY_AFTER + Duration::from_secs(1);
        assert_eq!(decide(&limited(Some(too_long)), 0, &policy, 0.9), None);
    }

    #[test]
    fn without_retry_after_429_and_5xx_back_off_exponentially_with_jitter() {
        let policy = RetryPolicy::default();
        assert_eq!(
            decide(&limited(None), 0, &policy, 0.5),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            decide(&api(503), 2, &policy, 0.5),
            Some(Duration::from_millis(1_000))
        );
        assert_eq!(
            decide(&PaypalError::Timeout, 4, &policy, 1.0),
            Some(Duration::from_secs(8))
        );
    }

    #[test]
    fn client_errors_and_spent_attempts_stop() {
        let policy = RetryPolicy::default();
        assert_eq!(decide(&api(400), 0, &policy, 0.5), None);
        assert_eq!(decide(&api(401), 0, &policy, 0.5), None);
        assert_eq!(decide(&api(500), policy.max_retries, &policy, 0.5), None);
        assert!(decide(&api(500), policy.max_retries - 1, &policy, 0.5).is_some());
    }
}
