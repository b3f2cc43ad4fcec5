//! One portal's request budget, shared by every concurrent request of a sync.
//!
//! HubSpot counts requests in a rolling window (10 s for the general budget, 1 s for search). A GCRA
//! limiter with burst `B` and emission interval `T` admits at most `B + W/T` requests in any window
//! of length `W`, so `T` is derived from the limit minus the burst minus a margin for network jitter:
//! no rolling window can then exceed HubSpot's limit, and our own pacing never earns a 429.
//!
//! Our pacing cannot see what else spends the portal's budget, nor a limit set too high for the
//! portal; HubSpot's answers can. So each budget also remembers when HubSpot counted our requests
//! (to know when a full window frees) and can be held while it is full.

use crate::domain::HubSpotLimits;
use governor::{DefaultDirectRateLimiter, Quota};
use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, RwLock};
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

/// How long we remember when HubSpot counted our requests: longer than any window it states.
const COUNTED_MEMORY: Duration = Duration::from_secs(30);
/// At most this many remembered per budget (HubSpot's largest window allowance is 190 a 10 s).
const COUNTED_KEPT: usize = 1_024;

/// A limit of `limit` requests per `window`, and the GCRA limiter pacing to it.
struct Paced {
    limit: u32,
    window: Duration,
    pacing: Pacing,
    limiter: DefaultDirectRateLimiter,
}

impl Paced {
    fn new(limit: u32, window: Duration) -> Arc<Self> {
        let pacing = Pacing::for_window(limit, window);
        Arc::new(Paced {
            limit,
            window,
            pacing,
            limiter: governor::RateLimiter::direct(pacing.quota()),
        })
    }

    fn per_second(&self) -> f64 {
        f64::from(self.limit) / self.window.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

/// One budget's pacing, the hold a full window puts on it, and when our requests on it were counted.
struct BudgetState {
    paced: RwLock<Arc<Paced>>,
    held_until: Mutex<Option<Instant>>,
    counted: Mutex<VecDeque<Instant>>,
}

impl BudgetState {
    fn new(limit: u32, window: Duration) -> Self {
        BudgetState {
            paced: RwLock::new(Paced::new(limit, window)),
            held_until: Mutex::new(None),
            counted: Mutex::new(VecDeque::new()),
        }
    }

    fn paced(&self) -> Option<Arc<Paced>> {
        self.paced.read().ok().map(|paced| Arc::clone(&paced))
    }

    fn held_for(&self, now: Instant) -> Option<Duration> {
        let until = self.held_until.lock().map(|guard| *guard).unwrap_or(None)?;
        (until > now).then(|| until - now)
    }

    async fn wait_while_held(&self) {
        // A hold can be extended while we sleep: look again until none is left.
        while let Some(wait) = self.held_for(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }
}

/// The general and search budgets of one portal. Each is paced on its own, and a full window
/// (a 429 that says so, or an answer that took the last place) holds only its own budget.
pub struct PortalLimiter {
    general: BudgetState,
    search: BudgetState,
}

impl std::fmt::Debug for PortalLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalLimiter")
            .field("general", &self.pacing(Budget::General))
            .field("search", &self.pacing(Budget::Search))
            .finish()
    }
}

impl PortalLimiter {
    pub fn new(limits: &HubSpotLimits) -> Self {
        PortalLimiter {
            general: BudgetState::new(limits.per_ten_seconds, Duration::from_secs(10)),
            search: BudgetState::new(limits.search_per_second, Duration::from_secs(1)),
        }
    }

    fn budget(&self, budget: Budget) -> &BudgetState {
        match budget {
            Budget::General => &self.general,
            Budget::Search => &self.search,
        }
    }

    pub fn pacing(&self, budget: Budget) -> Pacing {
        self.budget(budget)
            .paced()
            .map_or(Pacing::for_window(1, Duration::from_secs(10)), |paced| {
                paced.pacing
            })
    }

    /// Paces `budget` to the limit HubSpot states (`X-HubSpot-RateLimit-Max` per
    /// `-Interval-Milliseconds`) when it is lower than the one we were given (a tenant setting
    /// above the portal's real allowance); never faster than we were given. Says whether it changed.
    pub fn adopt_stated_limit(&self, budget: Budget, limit: u32, window: Duration) -> bool {
        if limit == 0 || window.is_zero() {
            return false;
        }
        let stated_per_second = f64::from(limit) / window.as_secs_f64();
        let Ok(mut paced) = self.budget(budget).paced.write() else {
            return false;
        };
        if stated_per_second >= paced.per_second() {
            return false;
        }
        *paced = Paced::new(limit, window);
        true
    }

    /// Waits until a request may be sent on `budget`. Search requests also spend the general budget
    /// only if HubSpot counted them there; it does not, so they do not.
    pub async fn acquire(&self, budget: Budget) {
        let state = self.budget(budget);
        state.wait_while_held().await;
        if let Some(paced) = state.paced() {
            paced.limiter.until_ready().await;
        }
        // A hold set while this request waited for its turn applies to it too.
        state.wait_while_held().await;
    }

    /// Holds every request on `budget` back for `duration` (the window is full); a longer hold
    /// already in place stays.
    pub fn hold(&self, budget: Budget, duration: Duration) {
        let until = Instant::now() + duration;
        if let Ok(mut guard) = self.budget(budget).held_until.lock() {
            if guard.is_none_or(|current| current < until) {
                *guard = Some(until);
            }
        }
    }

    /// How much longer `budget` is held, if it is.
    pub fn held_for(&self, budget: Budget) -> Option<Duration> {
        self.budget(budget).held_for(Instant::now())
    }

    /// Notes that HubSpot answered (and so counted) a request on `budget` at `at`. Taking the time
    /// of the answer, not of the sending, errs on the late side: the window is never thought to
    /// free before it does.
    pub fn record_counted(&self, budget: Budget, at: Instant) {
        if let Ok(mut counted) = self.budget(budget).counted.lock() {
            while counted
                .front()
                .is_some_and(|t| at.saturating_duration_since(*t) > COUNTED_MEMORY)
                || counted.len() >= COUNTED_KEPT
            {
                counted.pop_front();
            }
            counted.push_back(at);
        }
    }

    /// The ages, at `now`, of our requests on `budget` that HubSpot counted recently.
    pub fn counted_ages(&self, budget: Budget, now: Instant) -> Vec<Duration> {
        self.budget(budget)
            .counted
            .lock()
            .map(|counted| {
                counted
                    .iter()
                    .map(|t| now.saturating_duration_since(*t))
                    .filter(|age| *age <= COUNTED_MEMORY)
                    .collect()
            })
            .unwrap_or_default()
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
            .filter(|_| {
                limiter
                    .general
                    .paced()
                    .is_some_and(|p| p.limiter.check().is_ok())
            })
            .count();
        assert_eq!(admitted as u32, burst);
        let search = limiter.search.paced().expect("search pacing");
        assert!(search.limiter.check().is_ok());
        assert!(search.limiter.check().is_err());
    }

    fn limiter() -> PortalLimiter {
        PortalLimiter::new(&HubSpotLimits {
            per_ten_seconds: 190,
            search_per_second: 5,
            daily: None,
        })
    }

    #[test]
    fn a_hold_on_one_budget_leaves_the_other_free_and_only_grows() {
        let limiter = limiter();
        limiter.hold(Budget::General, Duration::from_secs(5));
        limiter.hold(Budget::General, Duration::from_secs(1));
        let held = limiter.held_for(Budget::General).unwrap_or_default();
        assert!(held > Duration::from_secs(4), "{held:?}");
        assert_eq!(limiter.held_for(Budget::Search), None);
    }

    #[test]
    fn counted_requests_are_remembered_by_budget_for_a_while_only() {
        let limiter = limiter();
        let start = Instant::now();
        limiter.record_counted(Budget::General, start);
        limiter.record_counted(Budget::General, start + Duration::from_secs(4));
        limiter.record_counted(Budget::Search, start + Duration::from_secs(5));
        let later = start + Duration::from_secs(6);
        let mut ages = limiter.counted_ages(Budget::General, later);
        ages.sort();
        assert_eq!(ages, vec![Duration::from_secs(2), Duration::from_secs(6)]);
        limiter.record_counted(
            Budget::General,
            start + COUNTED_MEMORY + Duration::from_secs(2),
        );
        let ages = limiter.counted_ages(
            Budget::General,
            start + COUNTED_MEMORY + Duration::from_secs(2),
        );
        assert_eq!(ages.len(), 2, "the first one is forgotten: {ages:?}");
    }

    #[test]
    fn a_lower_limit_stated_by_hubspot_is_adopted_and_a_higher_one_is_not() {
        let limiter = limiter();
        let given = limiter.pacing(Budget::General);
        assert!(!limiter.adopt_stated_limit(Budget::General, 250, Duration::from_secs(10)));
        assert!(!limiter.adopt_stated_limit(Budget::General, 190, Duration::from_secs(10)));
        assert_eq!(limiter.pacing(Budget::General), given);
        assert!(limiter.adopt_stated_limit(Budget::General, 100, Duration::from_secs(10)));
        assert_eq!(
            limiter.pacing(Budget::General),
            Pacing::for_window(100, Duration::from_secs(10))
        );
        assert!(!limiter.adopt_stated_limit(Budget::General, 0, Duration::from_secs(10)));
    }
}
