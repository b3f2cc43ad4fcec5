//! Pacing of report requests per customer tenant: Microsoft Graph allows 14 report requests per
//! 10 minutes per app per tenant (throttling-limits.md, "Reports service limits"). One limiter per
//! connection (one app) keeps a log per tenant, shared by concurrent calls: a report request to a
//! tenant holds the tenant's permit while it waits for a free slot and is sent, and is logged at
//! the time its answer came back (never earlier than Graph saw it, so the log errs on the safe
//! side). Requests to different tenants never wait for each other. A wait longer than the caller
//! may spend stops with `RateLimited` instead of sleeping through an invocation.

use chrono::{DateTime, Utc};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The report limit per tenant.
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

impl ReportPacing {
    fn span(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.window + self.margin).unwrap_or(chrono::Duration::MAX)
    }

    /// The earliest time a request may go given the `log` of earlier ones (ascending), dropping
    /// the entries that left the window by `now`.
    pub fn next_slot(
        &self,
        log: &mut VecDeque<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let span = self.span();
        while log.front().is_some_and(|at| *at + span <= now) {
            log.pop_front();
        }
        let allowed = self.requests_per_window.max(1);
        if log.len() < allowed {
            return now;
        }
        // The request `allowed` places back must have left the window first.
        (log[log.len() - allowed] + span).max(now)
    }
}

type TenantLog = Arc<tokio::sync::Mutex<VecDeque<DateTime<Utc>>>>;

#[derive(Debug, Default)]
pub struct ReportLimiter {
    pacing: ReportPacing,
    tenants: Mutex<HashMap<String, TenantLog>>,
}

/// The right to send one report request to a tenant; log it with [`ReportPermit::sent`].
pub struct ReportPermit {
    pacing: ReportPacing,
    log: tokio::sync::OwnedMutexGuard<VecDeque<DateTime<Utc>>>,
}

impl ReportPermit {
    /// How long to wait from `now` before sending, or when the slot would be if further than
    /// `longest_wait`.
    pub fn wait(
        &mut self,
        now: DateTime<Utc>,
        longest_wait: Duration,
    ) -> Result<Duration, DateTime<Utc>> {
        let at = self.pacing.next_slot(&mut self.log, now);
        let wait = (at - now).to_std().unwrap_or_default();
        if wait > longest_wait {
            Err(at)
        } else {
            Ok(wait)
        }
    }

    /// Logs a request whose answer came back at `answered_at`.
    pub fn sent(&mut self, answered_at: DateTime<Utc>) {
        let at = self
            .log
            .back()
            .map_or(answered_at, |last| answered_at.max(*last));
        self.log.push_back(at);
    }
}

impl ReportLimiter {
    pub fn new(pacing: ReportPacing) -> Self {
        ReportLimiter {
            pacing,
            tenants: Mutex::default(),
        }
    }

    /// Waits until no other report request to `tenant` is waiting or in flight.
    pub async fn permit(&self, tenant: &str) -> ReportPermit {
        let log = {
            let mut tenants = self
                .tenants
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            tenants.entry(tenant.to_owned()).or_default().clone()
        };
        ReportPermit {
            pacing: self.pacing,
            log: log.lock_owned().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    #[tokio::test]
    async fn fourteen_go_at_once_the_fifteenth_waits_for_the_window_per_tenant() {
        let limiter = ReportLimiter::new(ReportPacing::default());
        let long = Duration::from_secs(3600);
        for _ in 0..14 {
            let mut permit = limiter.permit("a").await;
            assert_eq!(permit.wait(t0(), long), Ok(Duration::ZERO));
            permit.sent(t0());
        }
        let mut permit = limiter.permit("a").await;
        assert_eq!(permit.wait(t0(), long), Ok(Duration::from_secs(601)));
        assert_eq!(
            permit.wait(t0(), Duration::from_secs(60)),
            Err(t0() + chrono::Duration::seconds(601))
        );
        drop(permit);
        // Another tenant has its own log.
        let mut other = limiter.permit("b").await;
        assert_eq!(other.wait(t0(), long), Ok(Duration::ZERO));
        // Once the window rolled, requests go at once again.
        let mut permit = limiter.permit("a").await;
        let later = t0() + chrono::Duration::seconds(601);
        assert_eq!(permit.wait(later, long), Ok(Duration::ZERO));
    }

    #[test]
    fn never_more_than_the_limit_in_any_window() {
        let pacing = ReportPacing {
            requests_per_window: 3,
            window: Duration::from_secs(10),
            margin: Duration::ZERO,
        };
        let mut log = VecDeque::new();
        let mut now = t0();
        let mut times = Vec::new();
        for _ in 0..10 {
            now = pacing.next_slot(&mut log, now);
            log.push_back(now);
            times.push(now);
        }
        for (i, at) in times.iter().enumerate() {
            let in_window = times[i..]
                .iter()
                .filter(|t| **t < *at + chrono::Duration::seconds(10))
                .count();
            assert!(in_window <= 3, "{in_window} requests within 10 s of {at}");
        }
        assert_eq!(times[9], t0() + chrono::Duration::seconds(30));
    }
}
