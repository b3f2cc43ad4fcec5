//! The server's shared state: portal data, tokens, rate-limit windows and counters.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::rngs::StdRng;

use crate::config::{Faults, SandboxConfig};
use crate::model::Portal;

/// Counters since start or the last reset.
#[derive(Default, Clone, Debug, PartialEq)]
pub struct SandboxStats {
    /// Every request received, including rejected ones.
    pub requests: u64,
    pub search_requests: u64,
    /// 429s caused by real pacing violations (not injected ones).
    pub rate_limited: u64,
    pub injected_faults: u64,
    /// Requests per route, keyed like `GET /crm/v3/objects/companies`.
    pub by_route: BTreeMap<String, u64>,
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Takes a lock even if a panicking thread poisoned it: the data stays usable for a test tool.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Debug)]
pub(crate) struct AccessToken {
    pub expires_at_ms: i64,
    pub force_expired: bool,
    /// Revoked before its expiry: answers 401 INVALID_AUTHENTICATION.
    pub revoked: bool,
    /// Whether the install granted the write scopes (asked for as optional ones).
    pub write_scopes: bool,
}

#[derive(Debug)]
pub(crate) struct RefreshToken {
    pub dead: bool,
}

#[derive(Debug)]
pub(crate) struct AuthCode {
    /// The redirect URI the code was issued for; the exchange must repeat it.
    pub redirect_uri: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct AuthState {
    pub access: HashMap<String, AccessToken>,
    /// Every OAuth access token, even one issued later, answers 401 (a broken install).
    pub refuse_oauth_access: bool,
    /// The private app's token was rotated or the app deleted: it answers 401.
    pub private_app_revoked: bool,
    pub refresh: HashMap<String, RefreshToken>,
    pub codes: HashMap<String, AuthCode>,
    /// Tokens issued while set lack the write scopes (the portal's admin refused the optional
    /// scopes); the private app's token lacks them while set.
    pub write_scopes_refused: bool,
}

/// Which of HubSpot's limits a request broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Policy {
    TenSecondlyRolling,
    Secondly,
    Daily,
}

impl Policy {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Policy::TenSecondlyRolling => "TEN_SECONDLY_ROLLING",
            Policy::Secondly => "SECONDLY",
            Policy::Daily => "DAILY",
        }
    }

    pub(crate) fn message(self) -> &'static str {
        match self {
            Policy::TenSecondlyRolling => "You have reached your ten_secondly_rolling limit.",
            Policy::Secondly => "You have reached your secondly limit.",
            Policy::Daily => "You have reached your daily limit.",
        }
    }
}

/// What the rate-limit headers of an admitted request say.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Budget {
    pub max: u32,
    pub remaining: u32,
    pub daily: u32,
    pub daily_remaining: u32,
}

pub(crate) const WINDOW: Duration = Duration::from_secs(10);
const SEARCH_WINDOW: Duration = Duration::from_secs(1);
/// The daily figure reported when the sandbox enforces none (HubSpot's Enterprise allowance).
const UNENFORCED_DAILY: u32 = 1_000_000;

/// Rolling windows of admitted requests, as HubSpot counts them per portal.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    window: VecDeque<Instant>,
    search_window: VecDeque<Instant>,
    day: i64,
    daily_used: u32,
}

impl Limiter {
    fn roll_day(&mut self, day: i64) {
        if day != self.day {
            self.day = day;
            self.daily_used = 0;
        }
    }

    fn prune(window: &mut VecDeque<Instant>, now: Instant, span: Duration) {
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= span)
        {
            window.pop_front();
        }
    }

    /// Admits a non-search call, or says which limit it breaks. Rejected calls do not use up budget.
    pub(crate) fn admit(
        &mut self,
        now: Instant,
        day: i64,
        max: u32,
        daily_limit: Option<u32>,
    ) -> Result<Budget, (Policy, Budget)> {
        let before = self.check(now, day, max, daily_limit)?;
        self.window.push_back(now);
        self.daily_used = self.daily_used.saturating_add(1);
        Ok(Budget {
            remaining: before.remaining - 1,
            daily_remaining: before.daily_remaining.saturating_sub(1),
            ..before
        })
    }

    /// What [`Limiter::admit`] would say, without admitting: the budget left before this call.
    pub(crate) fn check(
        &mut self,
        now: Instant,
        day: i64,
        max: u32,
        daily_limit: Option<u32>,
    ) -> Result<Budget, (Policy, Budget)> {
        self.roll_day(day);
        Self::prune(&mut self.window, now, WINDOW);
        let daily = daily_limit.unwrap_or(UNENFORCED_DAILY);
        let budget = Budget {
            max,
            remaining: max.saturating_sub(self.window.len() as u32),
            daily,
            daily_remaining: daily.saturating_sub(self.daily_used),
        };
        if daily_limit.is_some_and(|limit| self.daily_used >= limit) {
            return Err((Policy::Daily, budget));
        }
        if budget.remaining == 0 {
            return Err((Policy::TenSecondlyRolling, budget));
        }
        Ok(budget)
    }

    /// What [`Limiter::admit_search`] would say, without admitting.
    pub(crate) fn check_search(
        &mut self,
        now: Instant,
        day: i64,
        per_second: u32,
        daily_limit: Option<u32>,
    ) -> Result<(), Policy> {
        self.roll_day(day);
        Self::prune(&mut self.search_window, now, SEARCH_WINDOW);
        if daily_limit.is_some_and(|limit| self.daily_used >= limit) {
            return Err(Policy::Daily);
        }
        if self.search_window.len() >= per_second as usize {
            return Err(Policy::Secondly);
        }
        Ok(())
    }

    /// Admits a search call on its own per-second budget (it still counts towards the daily limit).
    pub(crate) fn admit_search(
        &mut self,
        now: Instant,
        day: i64,
        per_second: u32,
        daily_limit: Option<u32>,
    ) -> Result<(), Policy> {
        self.check_search(now, day, per_second, daily_limit)?;
        self.search_window.push_back(now);
        self.daily_used = self.daily_used.saturating_add(1);
        Ok(())
    }
}

pub(crate) struct Shared {
    pub config: SandboxConfig,
    pub base_url: String,
    pub private_app_token: String,
    pub faults: Mutex<Faults>,
    pub portal: RwLock<Portal>,
    pub auth: Mutex<AuthState>,
    pub limiter: Mutex<Limiter>,
    pub stats: Mutex<SandboxStats>,
    pub crm_schema: Mutex<crate::crm_schema::CrmSchema>,
    pub rng: Mutex<StdRng>,
    pub http: reqwest::Client,
}

impl Shared {
    pub(crate) fn count(&self, route: String, search: bool) {
        let mut stats = lock(&self.stats);
        stats.requests += 1;
        if search {
            stats.search_requests += 1;
        }
        *stats.by_route.entry(route).or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_second_window_admits_exactly_max_then_rejects_until_the_oldest_call_leaves() {
        let mut limiter = Limiter::default();
        let start = Instant::now();
        for i in 0..5u32 {
            let at = start + Duration::from_millis(u64::from(i) * 100);
            let budget = limiter.admit(at, 1, 5, None).expect("within the limit");
            assert_eq!(budget.remaining, 4 - i);
        }
        let refused = limiter.admit(start + Duration::from_millis(9_999), 1, 5, None);
        assert!(matches!(refused, Err((Policy::TenSecondlyRolling, b)) if b.remaining == 0));
        // The first call (t=0) leaves the window at t=10 s exactly; the second (t=100 ms) is still inside.
        assert!(limiter
            .admit(start + Duration::from_millis(10_000), 1, 5, None)
            .is_ok());
        assert!(limiter
            .admit(start + Duration::from_millis(10_050), 1, 5, None)
            .is_err());
        assert!(limiter
            .admit(start + Duration::from_millis(10_100), 1, 5, None)
            .is_ok());
    }

    #[test]
    fn search_has_its_own_per_second_budget() {
        let mut limiter = Limiter::default();
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.admit(start, 1, 3, None).is_ok());
        }
        assert!(
            limiter.admit(start, 1, 3, None).is_err(),
            "standard budget is used up"
        );
        for _ in 0..5 {
            assert!(
                limiter.admit_search(start, 1, 5, None).is_ok(),
                "search is not affected"
            );
        }
        assert_eq!(
            limiter.admit_search(start + Duration::from_millis(999), 1, 5, None),
            Err(Policy::Secondly)
        );
        assert!(limiter
            .admit_search(start + Duration::from_millis(1_000), 1, 5, None)
            .is_ok());
    }

    #[test]
    fn daily_limit_counts_every_call_and_resets_on_a_new_day() {
        let mut limiter = Limiter::default();
        let start = Instant::now();
        assert!(limiter.admit(start, 7, 100, Some(3)).is_ok());
        assert!(limiter.admit_search(start, 7, 5, Some(3)).is_ok());
        let budget = limiter
            .admit(start, 7, 100, Some(3))
            .expect("third call of the day");
        assert_eq!((budget.daily, budget.daily_remaining), (3, 0));
        assert!(matches!(
            limiter.admit(start, 7, 100, Some(3)),
            Err((Policy::Daily, _))
        ));
        assert_eq!(
            limiter.admit_search(start, 7, 5, Some(3)),
            Err(Policy::Daily)
        );
        assert!(limiter
            .admit(start + Duration::from_secs(11), 8, 100, Some(3))
            .is_ok());
    }
}
