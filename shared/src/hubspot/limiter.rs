//! One portal's request budget, shared by every concurrent request of a sync.
//!
//! HubSpot counts requests in a rolling window (10 s for the general budget, 1 s for search). A GCRA
//! limiter with burst `B` and emission interval `T` admits at most `B + W/T` requests in any window
//! of length `W`, so `T` is derived from the limit minus the burst minus a margin for network jitter:
//! no rolling window can then exceed HubSpot's limit, and our own pacing never earns a 429.

use crate::domain::HubSpotLimits;
use governor::{DefaultDirectRateLimiter, Quota};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Which budget a request spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    General,
    Search,
}

/// The pacing derived from a limit of `limit` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pacing {
    pub burst: u32,
    pub interval: Duration,
}

impl Pacing {
    /// Burst of about 5 % of the limit, and a margin of 2 % for requests that leave together and
    /// arrive apart (large limits only: at 5 a second one request of margin would cost 20 %).
    pub fn for_window(limit: u32, window: Duration) -> Self {
        let limit = limit.max(1);
        let burst = (limit / 20).max(1);
        let margin = limit / 50;
        let steady = limit.saturating_sub(burst + margin).max(1);
        Pacing {
            burst,
            interval: window / steady,
        }
    }

    /// The most requests this pacing admits in any window of length `window`.
    pub fn max_in_window(&self, window: Duration) -> u64 {
        let steady = window.as_nanos() / self.interval.as_nanos().max(1);
        u64::from(self.burst) + steady as u64
    }

    fn quota(&self) -> Quota {
        let burst = NonZeroU32::new(self.burst).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(self.interval)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst)
    }
}

/// The general and search limiters of one portal, plus a pause that a real 429 sets for everyone.
pub struct PortalLimiter {
    general: DefaultDirectRateLimiter,
    search: DefaultDirectRateLimiter,
    general_pacing: Pacing,
    search_pacing: Pacing,
    paused_until: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for PortalLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalLimiter")
            .field("general", &self.general_pacing)
            .field("search", &self.search_pacing)
            .finish()
    }
}

impl PortalLimiter {
    pub fn new(limits: &HubSpotLimits) -> Self {
        let general_pacing = Pacing::for_window(limits.per_ten_seconds, Duration::from_secs(10));
        let search_pacing = Pacing::for_window(limits.search_per_second, Duration::from_secs(1));
        PortalLimiter {
            general: governor::RateLimiter::direct(general_pacing.quota()),
            search: governor::RateLimiter::direct(search_pacing.quota()),
            general_pacing,
            search_pacing,
            paused_until: Mutex::new(None),
        }
    }

    pub fn pacing(&self, budget: Budget) -> Pacing {
        match budget {
            Budget::General => self.general_pacing,
            Budget::Search => self.search_pacing,
        }
    }

    /// Waits until a request may be sent on `budget`. Search requests also spend the general budget
    /// only if HubSpot counted them there; it does not, so they do not.
    pub async fn acquire(&self, budget: Budget) {
        let pause = self.paused_until.lock().map(|guard| *guard).unwrap_or(None);
        if let Some(until) = pause {
            let now = Instant::now();
            if until > now {
                tokio::time::sleep(until - now).await;
            }
        }
        match budget {
            Budget::General => self.general.until_ready().await,
            Budget::Search => self.search.until_ready().await,
        }
    }

    /// Holds every request back for `duration` (after a 429 that was not injected by us).
    pub fn pause_for(&self, duration: Duration) {
        let until = Instant::now() + duration;
        if let Ok(mut guard) = self.paused_until.lock() {
            if guard.is_none_or(|current| current < until) {
                *guard = Some(until);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_rolling_window_can_exceed_the_limit() {
        for limit in [100u32, 110, 190, 5, 1] {
            let window = if limit <= 5 {
                Duration::from_secs(1)
            } else {
                Duration::from_secs(10)
            };
            let pacing = Pacing::for_window(limit, window);
            assert!(
                pacing.max_in_window(window) <= u64::from(limit) || limit == 1,
                "limit {limit}: {pacing:?} admits {}",
                pacing.max_in_window(window)
            );
            assert!(pacing.burst >= 1);
        }
    }

    #[test]
    fn pacing_stays_close_to_the_limit() {
        let pacing = Pacing::for_window(190, Duration::from_secs(10));
        // 190 per 10 s is 52.6 ms a request; we pace within 10 % of it.
        assert!(
            pacing.interval < Duration::from_micros(58_000),
            "{pacing:?}"
        );
        assert!(
            pacing.interval > Duration::from_micros(52_600),
            "{pacing:?}"
        );
    }

    #[test]
    fn the_burst_is_spent_then_requests_wait() {
        let limits = HubSpotLimits {
            per_ten_seconds: 100,
            search_per_second: 5,
            daily: None,
        };
        let limiter = PortalLimiter::new(&limits);
        let burst = limiter.pacing(Budget::General).burst;
        let admitted = (0..burst + 5)
            .filter(|_| limiter.general.check().is_ok())
            .count();
        assert_eq!(admitted as u32, burst);
        assert!(limiter.search.check().is_ok());
        assert!(limiter.search.check().is_err());
    }
}
