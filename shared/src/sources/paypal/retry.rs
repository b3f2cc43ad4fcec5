//! When a refused PayPal request is sent again, and after how long. PayPal publishes no rate-limit
//! numbers or headers; its guidance is: honour `Retry-After` when present, else back off
//! exponentially. So:
//!
//! - spent attempts, or an error that is not transient (4xx, refused credentials): stop;
//! - a `Retry-After` is honoured as given, up to `LONGEST_RETRY_AFTER`; a longer one stops the
//!   request rather than sleep through the run (it folds into a retryable `RateLimited`);
//! - otherwise 429, 5xx, timeouts and connection failures wait a full-jitter backoff whose cap
//!   doubles each retry.

use crate::sources::http_retry::RetryableError;
pub use crate::sources::http_retry::{decide, RetryPolicy};
use crate::sources::paypal::error::PaypalError;
use std::time::Duration;

impl RetryableError for PaypalError {
    fn is_transient(&self) -> bool {
        PaypalError::is_transient(self)
    }

    fn asked_wait(&self) -> Option<Duration> {
        match self {
            PaypalError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::http_retry::LONGEST_RETRY_AFTER;

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
