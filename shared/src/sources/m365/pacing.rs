//! Pacing of report requests per customer tenant: Microsoft Graph allows 14 report requests per
//! 10 minutes per app per tenant (throttling-limits.md, "Reports service limits"). One limiter per
//! connection (one app) keeps a rolling log per tenant, shared by concurrent calls: a caller
//! reserves the earliest slot the window allows and waits for it; a wait longer than the caller may
//! spend stops with `RateLimited` instead of sleeping through an invocation.

use chrono::{DateTime, Utc};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

/// The report limit and how long one wait may last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportPacing {
    /// Report requests allowed per window per tenant (documented: 14).
    pub requests_per_window: usize,
    /// The rolling window (documented: 10 minutes).
    pub window: Duration,
    /// Added to the window so clock skew between us and Graph never lets a 15th request in.
    pub margin: Duration,
}

impl Default for ReportPacing {
    fn default() -> Self {
        ReportPacing {
            requests_per_window: 14,
            window: Duration::from_secs(600),
            margin: Duration::from_secs(1),
        }
    }
}

/// When a report request may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// Now, or after this wait (already reserved).
    After(Duration),
    /// Not before `at`, which is further than the caller may wait (nothing reserved).
    TooFar { at: DateTime<Utc> },
}

#[derive(Debug, Default)]
pub struct ReportLimiter {
    pacing: ReportPacing,
    /// Reserved request times per tenant, ascending (past and future).
    log: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
}

impl ReportLimiter {
    pub fn new(pacing: ReportPacing) -> Self {
        ReportLimiter {
            pacing,
            log: Mutex::default(),
        }
    }

    pub fn pacing(&self) -> ReportPacing {
        self.pacing
    }

    /// Reserves the earliest slot for a report request to `tenant` at or after `now`, unless it is
    /// more than `longest_wait` away.
    pub fn reserve(&self, tenant: &str, now: DateTime<Utc>, longest_wait: Duration) -> Slot {
        let allowed = self.pacing.requests_per_window.max(1);
        let span = chrono::Duration::from_std(self.pacing.window + self.pacing.margin)
            .unwrap_or(chrono::Duration::MAX);
        let mut log = self
            .log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entries = log.entry(tenant.to_owned()).or_default();
        while entries.front().is_some_and(|at| *at + span <= now) {
            entries.pop_front();
        }
        let at = if entries.len() < allowed {
            now
        } else {
            // The request `allowed` places back must have left the window first.
            entries[entries.len() - allowed] + span
        };
        let at = at.max(now);
        let wait = (at - now).to_std().unwrap_or_default();
        if wait > longest_wait {
            return Slot::TooFar { at };
        }
        entries.push_back(at);
        Slot::After(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    #[test]
    fn fourteen_go_at_once_the_fifteenth_waits_for_the_window_and_a_far_wait_reserves_nothing() {
        let limiter = ReportLimiter::new(ReportPacing::default());
        let long = Duration::from_secs(3600);
        for _ in 0..14 {
            assert_eq!(
                limiter.reserve("a", t0(), long),
                Slot::After(Duration::ZERO)
            );
        }
        assert_eq!(
            limiter.reserve("a", t0(), long),
            Slot::After(Duration::from_secs(601))
        );
        // Another tenant has its own window.
        assert_eq!(
            limiter.reserve("b", t0(), long),
            Slot::After(Duration::ZERO)
        );
        let short = Duration::from_secs(60);
        assert!(matches!(
            limiter.reserve("a", t0(), short),
            Slot::TooFar { at } if at == t0() + chrono::Duration::seconds(601)
        ));
        // Nothing was reserved by the refused call: the next one gets the same slot as before
        // would have (the 16th request, at 601 s too, since the second request also left then).
        assert_eq!(
            limiter.reserve("a", t0(), long),
            Slot::After(Duration::from_secs(601))
        );
        // Once the window rolled, requests go at once again.
        let later = t0() + chrono::Duration::seconds(1300);
        assert_eq!(
            limiter.reserve("a", later, long),
            Slot::After(Duration::ZERO)
        );
    }

    #[test]
    fn never_more_than_the_limit_in_any_window() {
        let pacing = ReportPacing {
            requests_per_window: 3,
            window: Duration::from_secs(10),
            margin: Duration::ZERO,
        };
        let limiter = ReportLimiter::new(pacing);
        let mut times = Vec::new();
        for _ in 0..10 {
            if let Slot::After(wait) = limiter.reserve("a", t0(), Duration::from_secs(100)) {
                times.push(t0() + chrono::Duration::from_std(wait).unwrap_or_default());
            }
        }
        assert_eq!(times.len(), 10);
        for (i, at) in times.iter().enumerate() {
            let in_window = times[i..]
                .iter()
                .filter(|t| **t < *at + chrono::Duration::seconds(10))
                .count();
            assert!(in_window <= 3, "{in_window} requests within 10 s of {at}");
        }
    }
}
