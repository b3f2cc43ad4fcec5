//! When a refused Pax8 request is sent again, and after how long. Pax8 documents the 429 but no
//! numbers and no rate headers (UNCONFIRMED), so: a `Retry-After`, when one comes, is honoured up to
//! [`LONGEST_RETRY_AFTER`] (a longer one stops the request as a retryable `RateLimited`); otherwise
//! 429, 5xx, timeouts and connection failures wait a full-jitter backoff whose cap doubles; other
//! errors and spent attempts stop.

use crate::sources::http_retry::{full_jitter, LONGEST_RETRY_AFTER};
use crate::sources::pax8::error::Pax8Error;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Sends after the first one, whatever the failures.
    pub max_retries: usize,
    /// Cap of the first full-jitter wait; doubles each retry.
    pub min_delay: Duration,
    pub max_delay: Duration,
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
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
    /// As many retries with waits of a few milliseconds (tests, benchmarks).
    pub fn fast(max_retries: usize) -> Self {
        RetryPolicy {
            max_retries,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            request_timeout: Duration::from_secs(10),
        }
    }

    /// `Some(wait)` to send again after `wait`, `None` to give up; `jitter` uniform in `[0, 1)`.
    pub fn decide(&self, error: &Pax8Error, retries: usize, jitter: f64) -> Option<Duration> {
        if retries >= self.max_retries || !error.is_transient() {
            return None;
        }
        if let Pax8Error::RateLimited {
            retry_after: Some(asked),
            ..
        } = error
        {
            return (*asked <= LONGEST_RETRY_AFTER).then_some(*asked);
        }
        Some(full_jitter(self.min_delay, self.max_delay, retries, jitter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limited(retry_after: Option<Duration>) -> Pax8Error {
        Pax8Error::RateLimited {
            message: "Too Many Requests".into(),
            retry_after,
        }
    }

    #[test]
    fn retry_after_is_honoured_a_long_one_stops_and_client_errors_stop() {
        let policy = RetryPolicy::default();
        let two = Duration::from_secs(2);
        assert_eq!(policy.decide(&limited(Some(two)), 0, 0.3), Some(two));
        let too_long = LONGEST_RETRY_AFTER + Duration::from_secs(1);
        assert_eq!(policy.decide(&limited(Some(too_long)), 0, 0.3), None);
        assert_eq!(
            policy.decide(&limited(None), 1, 0.5),
            Some(Duration::from_millis(500))
        );
        let bad = Pax8Error::Api {
            status: 400,
            kind: None,
            message: "x".into(),
            instance: None,
        };
        assert_eq!(policy.decide(&bad, 0, 0.5), None);
        assert_eq!(
            policy.decide(&Pax8Error::Timeout, policy.max_retries, 0.5),
            None
        );
    }
}
