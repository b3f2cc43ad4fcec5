//! The access token of one client-credentials app (PayPal, NinjaOne, Pax8), cached in memory until
//! near its expiry. Fetching a token per call is a documented cause of PayPal's 429s, so every
//! request of a connection shares one, and concurrent requests that find it missing or refused wait
//! for a single fetch ([`TokenSlot`]).

use secrecy::{ExposeSecret, SecretString};
use std::future::Future;
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
    /// A token received at `received` that the platform says lives `lifetime`.
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

/// The one token of a client, shared by its concurrent requests: the lock is held across a fetch,
/// so requests that find no fresh token (or find the one they were refused with) wait for a single
/// fetch instead of each asking for its own.
#[derive(Debug, Default)]
pub struct TokenSlot {
    cached: tokio::sync::Mutex<Option<CachedToken>>,
}

impl TokenSlot {
    pub fn new() -> Self {
        Self::default()
    }

    /// The cached token, or the one `fetch` gets when none is fresh.
    pub async fn current<E, Fut>(&self, fetch: impl FnOnce() -> Fut) -> Result<SecretString, E>
    where
        Fut: Future<Output = Result<CachedToken, E>>,
    {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| t.is_fresh(Instant::now())) {
            return Ok(token.token.clone());
        }
        let fresh = fetch().await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    /// Fetches a token now whatever is cached (a credential check), and keeps it.
    pub async fn fetch_now<E, Fut>(&self, fetch: impl FnOnce() -> Fut) -> Result<(), E>
    where
        Fut: Future<Output = Result<CachedToken, E>>,
    {
        let mut cached = self.cached.lock().await;
        *cached = Some(fetch().await?);
        Ok(())
    }

    /// A token to use instead of `refused`: the one another request already fetched, or the one
    /// `fetch` gets (called only then, so it may count the replacement).
    pub async fn replace_refused<E, Fut>(
        &self,
        refused: &SecretString,
        fetch: impl FnOnce() -> Fut,
    ) -> Result<SecretString, E>
    where
        Fut: Future<Output = Result<CachedToken, E>>,
    {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| !t.is(refused)) {
            return Ok(token.token.clone());
        }
        *cached = None;
        let fresh = fetch().await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(value: &str) -> CachedToken {
        CachedToken::new(
            SecretString::from(value),
            Instant::now(),
            Duration::from_secs(3_600),
        )
    }

    #[tokio::test]
    async fn one_fetch_serves_until_the_token_is_refused() {
        let slot = TokenSlot::new();
        let fetches = std::sync::atomic::AtomicU32::new(0);
        let fetch = |value: &'static str| {
            fetches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            async move { Ok::<_, ()>(token(value)) }
        };
        let first = slot.current(|| fetch("one")).await.unwrap();
        let again = slot.current(|| fetch("unused")).await.unwrap();
        assert_eq!(again.expose_secret(), first.expose_secret());
        // Refused: replaced once; a second request refused with the same old token gets the new one.
        let second = slot.replace_refused(&first, || fetch("two")).await.unwrap();
        let also = slot
            .replace_refused(&first, || fetch("three"))
            .await
            .unwrap();
        assert_eq!(second.expose_secret(), "two");
        assert_eq!(also.expose_secret(), "two");
        assert_eq!(fetches.load(std::sync::atomic::Ordering::Relaxed), 2);
    }

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
