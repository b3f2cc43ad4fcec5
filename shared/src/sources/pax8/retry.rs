//! When a refused Pax8 request is sent again, and after how long. Pax8 documents the 429 but no
//! numbers and no rate headers (UNCONFIRMED), so: a `Retry-After`, when one comes, is honoured up to
//! `LONGEST_RETRY_AFTER` (a longer one stops the request as a retryable `RateLimited`); otherwise
//! 429, 5xx, timeouts and connection failures wait a full-jitter backoff whose cap doubles; other
//! errors and spent attempts stop.

use crate::sources::http_retry::RetryableError;
pub use crate::sources::http_retry::{decide, RetryPolicy};
use crate::sources::pax8::error::Pax8Error;
use std::time::Duration;

impl RetryableError for Pax8Error {
    fn is_transient(&self) -> bool {
        Pax8Error::is_transient(self)
    }

    fn asked_wait(&self) -> Option<Duration> {
        match self {
            Pax8Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::http_retry::LONGEST_RETRY_AFTER;

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
        assert_eq!(decide(&limited(Some(two)), 0, &policy, 0.3), Some(two));
        let too_long = LONGEST_RETRY_AFTER + Duration::from_secs(1);
        assert_eq!(decide(&limited(Some(too_long)), 0, &policy, 0.3), None);
        assert_eq!(
            decide(&limited(None), 1, &policy, 0.5),
            Some(Duration::from_millis(500))
        );
        let bad = Pax8Error::Api {
            status: 400,
            kind: None,
            message: "x".into(),
            instance: None,
        };
        assert_eq!(decide(&bad, 0, &policy, 0.5), None);
        assert_eq!(
            decide(&Pax8Error::Timeout, policy.max_retries, &policy, 0.5),
            None
        );
    }
}
