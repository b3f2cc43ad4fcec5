//! The access token of one PayPal app, cached in memory until near its expiry. Fetching a token per
//! call is a documented cause of 429s, so every request of a connection shares one, and concurrent
//! requests that find it missing or refused wait for a single fetch.

use secrecy::{ExposeSecret, SecretString};
use std::time::{Duration, Instant};

/// The longest margin before expiry at which a token is replaced.
pub const MAX_REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// How long before its expiry a token of `lifetime` is replaced: the lesser of five minutes and half
/// its lifetime (so a short-lived token is still used for a while).
pub fn refresh_margin(lifetime: Duration) -> Duration {
    MAX_REFRESH_MARGIN.min(lifetime / 2)
}

/// A token and when it stops being used.
#[derive(Clone)]
pub struct CachedToken {
    pub token: SecretString,
    pub replace_at: Instant,
}

impl std::fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedToken")
            .field("token", &"<redacted>")
            .field("replace_at", &self.replace_at)
            .finish()
    }
}

impl CachedToken {
    /// A token received at `received` that PayPal says lives `lifetime`.
    pub fn new(token: SecretString, received: Instant, lifetime: Duration) -> Self {
        CachedToken {
            token,
            replace_at: received + lifetime.saturating_sub(refresh_margin(lifetime)),
        }
    }

    pub fn is_fresh(&self, now: Instant) -> bool {
        now < self.replace_at
    }

    /// Whether this is the token a request was refused with.
    pub fn is(&self, other: &SecretString) -> bool {
        self.token.expose_secret() == other.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_margin_is_five_minutes_or_half_a_short_lifetime() {
        assert_eq!(
            refresh_margin(Duration::from_secs(32_400)),
            Duration::from_secs(300)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(240)),
            Duration::from_secs(120)
        );
        assert_eq!(refresh_margin(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn a_token_is_replaced_before_it_expires_and_never_shown() {
        let start = Instant::now();
        let token = CachedToken::new(
            SecretString::from("A21AAF-secret-token"),
            start,
            Duration::from_secs(32_400),
        );
        assert!(token.is_fresh(start + Duration::from_secs(32_000)));
        assert!(!token.is_fresh(start + Duration::from_secs(32_100)));
        assert!(token.is(&SecretString::from("A21AAF-secret-token")));
        assert!(!format!("{token:?}").contains("secret-token"));
    }
}
