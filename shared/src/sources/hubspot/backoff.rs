//! When a refused HubSpot request is sent again, and after how long: one pure rule, fed by what
//! HubSpot answered (status, policy, rate-limit headers), how many retries were made, and when our
//! own recent requests were counted.
//!
//! - A `DAILY` 429, a 4xx, or spent attempts: stop. The daily limit only resets at the portal's
//!   midnight.
//! - `Retry-After`, when HubSpot sends one (it does not promise to), is honoured as given, up to
//!   [`LONGEST_RETRY_AFTER`]; a longer one stops the request rather than sleep through the run.
//! - A rolling-window 429 whose headers say the window is full (`X-HubSpot-RateLimit-Remaining: 0`,
//!   or no headers at all, as on search) holds the whole budget just until the window frees: HubSpot
//!   counts requests in a rolling window, so a place opens when the oldest counted request leaves
//!   it. The oldest we know is our own; with none in the window, a whole window.
//! - A 429 whose headers show room left was not caused by the window: it is retried like a 5xx.
//! - 5xx, timeouts and connection failures back off with full jitter (a uniform wait between zero
//!   and a cap that doubles each retry), for that request only: the other walks go on.
//! - 423: HubSpot locks the record for two seconds.

use crate::sources::hubspot::error::{HubSpotError, RateLimitPolicy};
use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use std::time::Duration;

/// How failed requests are retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Sends after the first one, whatever the failures.
    pub max_retries: usize,
    /// Cap of the first full-jitter wait after a 5xx, a timeout or a 429 with room left; the cap
    /// doubles each retry.
    pub min_delay: Duration,
    /// The cap never grows past this.
    pub max_delay: Duration,
    /// The length of a rolling window HubSpot does not state (no
    /// `X-HubSpot-RateLimit-Interval-Milliseconds`): the longest a rolling-window 429 waits.
    pub rate_limit_delay: Duration,
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    /// Six retries, as HubSpot's SDKs make; 5xx waits from up to 200 ms, capped at 5 s (about 6 s
    /// of waiting on average if all six are needed); HubSpot's ten-second window.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 6,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            rate_limit_delay: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
        }
    }
}

pub use crate::sources::http_retry::{parse_retry_after, LONGEST_RETRY_AFTER};

/// How long HubSpot locks a record after a 423.
pub const LOCKED_FOR: Duration = Duration::from_secs(2);

/// The search budget's window (HubSpot sends no rate-limit headers on search).
pub const SECONDLY_WINDOW: Duration = Duration::from_secs(1);

/// HubSpot's rate-limit headers and `Retry-After`, as far as they were sent and readable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimitHeaders {
    /// `X-HubSpot-RateLimit-Max`: requests allowed per interval.
    pub max: Option<u64>,
    /// `X-HubSpot-RateLimit-Remaining`: requests left in the current interval.
    pub remaining: Option<u64>,
    /// `X-HubSpot-RateLimit-Interval-Milliseconds`: the rolling window.
    pub interval: Option<Duration>,
    /// `X-HubSpot-RateLimit-Daily` (private apps only).
    pub daily: Option<u64>,
    /// `X-HubSpot-RateLimit-Daily-Remaining` (private apps only).
    pub daily_remaining: Option<u64>,
    /// `Retry-After`, in seconds or as an HTTP date (relative to `now` when parsed).
    pub retry_after: Option<Duration>,
}

impl RateLimitHeaders {
    pub fn parse(headers: &HeaderMap, now: DateTime<Utc>) -> Self {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let number = |name: &str| text(name).and_then(|v| v.parse::<u64>().ok());
        RateLimitHeaders {
            max: number("x-hubspot-ratelimit-max"),
            remaining: number("x-hubspot-ratelimit-remaining"),
            interval: number("x-hubspot-ratelimit-interval-milliseconds")
                .filter(|ms| *ms > 0)
                .map(Duration::from_millis),
            daily: number("x-hubspot-ratelimit-daily"),
            daily_remaining: number("x-hubspot-ratelimit-daily-remaining"),
            retry_after: text("retry-after").and_then(|v| parse_retry_after(v, now)),
        }
    }
}

/// What to do with a refused request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send it again after the wait; the portal's other requests go on meanwhile.
    RetryAfter(Duration),
    /// The portal's window on this budget is full: hold every request on it for the wait, then
    /// send this one again.
    HoldBudget(Duration),
    /// Give up and report the error.
    Stop,
}

impl Decision {
    pub fn wait(&self) -> Option<Duration> {
        match self {
            Decision::RetryAfter(wait) | Decision::HoldBudget(wait) => Some(*wait),
            Decision::Stop => None,
        }
    }
}

/// The rule. `retries` is how many retries this request has had; `counted_ages` are the ages of
/// our requests on the same budget that HubSpot answered (and so counted), in any order; `jitter`
/// is a uniform sample from `[0, 1)`.
pub fn decide(
    error: &HubSpotError,
    limits: &RateLimitHeaders,
    retries: usize,
    policy: &RetryPolicy,
    counted_ages: &[Duration],
    jitter: f64,
) -> Decision {
    if retries >= policy.max_retries || !error.is_transient() {
        return Decision::Stop;
    }
    if let Some(asked) = limits.retry_after {
        if asked > LONGEST_RETRY_AFTER {
            return Decision::Stop;
        }
        return match error {
            HubSpotError::RateLimited { .. } => Decision::HoldBudget(asked),
            _ => Decision::RetryAfter(asked),
        };
    }
    match error {
        HubSpotError::RateLimited { policy: named, .. } => {
            if limits.remaining.is_some_and(|left| left > 0) {
                return Decision::RetryAfter(full_jitter(policy, retries, jitter));
            }
            let window = limits.interval.unwrap_or(match named {
                RateLimitPolicy::Secondly => SECONDLY_WINDOW,
                _ => policy.rate_limit_delay,
            });
            Decision::HoldBudget(window_frees_in(window, counted_ages))
        }
        HubSpotError::Api { status: 423, .. } => {
            Decision::RetryAfter(LOCKED_FOR.min(policy.max_delay))
        }
        _ => Decision::RetryAfter(full_jitter(policy, retries, jitter)),
    }
}

/// After an answer that took the window's last place (`Remaining: 0`), how long every request on
/// the budget should wait so that the next one is not refused; `None` while there is room.
pub fn hold_after_answer(
    limits: &RateLimitHeaders,
    policy: &RetryPolicy,
    counted_ages: &[Duration],
) -> Option<Duration> {
    (limits.remaining == Some(0)).then(|| {
        window_frees_in(
            limits.interval.unwrap_or(policy.rate_limit_delay),
            counted_ages,
        )
    })
}

/// When a full rolling window of length `window` next has a place: when the oldest request we know
/// is in it leaves. Without one of ours in it, the window's whole length.
pub fn window_frees_in(window: Duration, counted_ages: &[Duration]) -> Duration {
    counted_ages
        .iter()
        .filter(|age| **age < window)
        .max()
        .map_or(window, |oldest| window - *oldest)
}

/// A uniform wait in `[0, cap)` where the cap starts at `min_delay` and doubles each retry, up to
/// `max_delay`.
pub fn full_jitter(policy: &RetryPolicy, retries: usize, jitter: f64) -> Duration {
    crate::sources::http_retry::full_jitter(policy.min_delay, policy.max_delay, retries, jitter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn rate_limited(policy: RateLimitPolicy) -> HubSpotError {
        HubSpotError::RateLimited {
            policy,
            message: "You have reached your ten_secondly_rolling limit.".to_owned(),
            correlation_id: None,
            retry_after: None,
        }
    }

    fn api(status: u16) -> HubSpotError {
        HubSpotError::Api {
            status,
            message: "x".to_owned(),
            category: None,
            correlation_id: None,
        }
    }

    fn window(max: u64, remaining: u64) -> RateLimitHeaders {
        RateLimitHeaders {
            max: Some(max),
            remaining: Some(remaining),
            interval: Some(Duration::from_secs(10)),
            ..RateLimitHeaders::default()
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_full_window_holds_the_budget_until_our_oldest_counted_request_leaves_it() {
        let policy = RetryPolicy::default();
        // Counted 9.2 s, 4 s and 0.5 s ago; one 12 s ago has already left the window.
        let ages = [ms(4_000), ms(12_000), ms(9_200), ms(500)];
        let decision = decide(
            &rate_limited(RateLimitPolicy::TenSecondlyRolling),
            &window(100, 0),
            0,
            &policy,
            &ages,
            0.5,
        );
        assert_eq!(decision, Decision::HoldBudget(ms(800)));
    }

    #[test]
    fn a_full_window_with_none_of_ours_in_it_waits_the_stated_interval_and_no_more() {
        let policy = RetryPolicy::default();
        let mut limits = window(100, 0);
        limits.interval = Some(ms(3_000));
        let decision = decide(
            &rate_limited(RateLimitPolicy::TenSecondlyRolling),
            &limits,
            0,
            &policy,
            &[],
            0.9,
        );
        assert_eq!(decision, Decision::HoldBudget(ms(3_000)));
        // Without headers, the policy's window: ten seconds by default.
        let decision = decide(
            &rate_limited(RateLimitPolicy::TenSecondlyRolling),
            &RateLimitHeaders::default(),
            0,
            &policy,
            &[],
            0.9,
        );
        assert_eq!(decision, Decision::HoldBudget(Duration::from_secs(10)));
    }

    #[test]
    fn a_429_with_room_left_in_the_window_is_retried_briefly_for_that_request_only() {
        let policy = RetryPolicy::default();
        let decision = decide(
            &rate_limited(RateLimitPolicy::TenSecondlyRolling),
            &window(190, 150),
            0,
            &policy,
            &[ms(100)],
            0.5,
        );
        assert_eq!(decision, Decision::RetryAfter(ms(100)));
    }

    #[test]
    fn a_secondly_429_on_search_waits_at_most_one_second() {
        let policy = RetryPolicy::default();
        let decision = decide(
            &rate_limited(RateLimitPolicy::Secondly),
            &RateLimitHeaders::default(),
            0,
            &policy,
            &[ms(700), ms(100)],
            0.5,
        );
        assert_eq!(decision, Decision::HoldBudget(ms(300)));
    }

    #[test]
    fn retry_after_is_honoured_as_given_and_a_very_long_one_stops() {
        let policy = RetryPolicy::default();
        let asked = RateLimitHeaders {
            retry_after: Some(Duration::from_secs(3)),
            ..window(100, 0)
        };
        let error = rate_limited(RateLimitPolicy::TenSecondlyRolling);
        assert_eq!(
            decide(&error, &asked, 0, &policy, &[ms(9_900)], 0.5),
            Decision::HoldBudget(Duration::from_secs(3))
        );
        assert_eq!(
            decide(&api(503), &asked, 0, &policy, &[], 0.5),
            Decision::RetryAfter(Duration::from_secs(3))
        );
        let too_long = RateLimitHeaders {
            retry_after: Some(LONGEST_RETRY_AFTER + Duration::from_secs(1)),
            ..RateLimitHeaders::default()
        };
        assert_eq!(
            decide(&error, &too_long, 0, &policy, &[], 0.5),
            Decision::Stop
        );
    }

    #[test]
    fn a_daily_429_and_client_errors_stop_at_once() {
        let policy = RetryPolicy::default();
        let daily = HubSpotError::DailyLimitReached {
            reset_at: Utc::now(),
            message: "You have reached your daily limit.".to_owned(),
        };
        let asked = RateLimitHeaders {
            retry_after: Some(Duration::from_secs(1)),
            ..RateLimitHeaders::default()
        };
        assert_eq!(decide(&daily, &asked, 0, &policy, &[], 0.5), Decision::Stop);
        assert_eq!(
            decide(
                &api(400),
                &RateLimitHeaders::default(),
                0,
                &policy,
                &[],
                0.5
            ),
            Decision::Stop
        );
    }

    #[test]
    fn server_errors_back_off_with_full_jitter_under_a_doubling_cap() {
        let policy = RetryPolicy::default();
        let none = RateLimitHeaders::default();
        let wait = |retries, jitter| decide(&api(502), &none, retries, &policy, &[], jitter);
        assert_eq!(wait(0, 0.0), Decision::RetryAfter(Duration::ZERO));
        assert_eq!(wait(0, 0.5), Decision::RetryAfter(ms(100)));
        assert_eq!(wait(1, 0.5), Decision::RetryAfter(ms(200)));
        assert_eq!(wait(3, 0.5), Decision::RetryAfter(ms(800)));
        // The cap stops at max_delay however many retries came before.
        assert_eq!(wait(5, 0.75), Decision::RetryAfter(ms(3_750)));
        assert_eq!(
            decide(&HubSpotError::Timeout, &none, 2, &policy, &[], 1.0),
            Decision::RetryAfter(ms(800))
        );
        assert_eq!(
            decide(&api(423), &none, 0, &policy, &[], 0.1),
            Decision::RetryAfter(LOCKED_FOR)
        );
    }

    #[test]
    fn attempts_are_bounded_whatever_the_failure() {
        let policy = RetryPolicy::default();
        for error in [
            api(500),
            HubSpotError::Timeout,
            rate_limited(RateLimitPolicy::TenSecondlyRolling),
        ] {
            assert_ne!(
                decide(&error, &window(10, 0), 5, &policy, &[], 0.5),
                Decision::Stop
            );
            assert_eq!(
                decide(&error, &window(10, 0), 6, &policy, &[], 0.5),
                Decision::Stop
            );
        }
        assert_eq!(full_jitter(&policy, usize::MAX, 0.5), ms(2_500));
    }

    #[test]
    fn an_answer_that_took_the_last_place_holds_the_budget_until_the_window_frees() {
        let policy = RetryPolicy::default();
        assert_eq!(
            hold_after_answer(&window(100, 0), &policy, &[ms(6_000), ms(10)]),
            Some(ms(4_000))
        );
        assert_eq!(
            hold_after_answer(&window(100, 1), &policy, &[ms(6_000)]),
            None
        );
        assert_eq!(
            hold_after_answer(&RateLimitHeaders::default(), &policy, &[]),
            None
        );
    }

    #[test]
    fn reads_hubspots_headers_and_both_forms_of_retry_after() {
        let now = DateTime::parse_from_rfc3339("2026-11-30T10:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("X-HubSpot-RateLimit-Max", "190"),
            ("X-HubSpot-RateLimit-Remaining", "0"),
            ("X-HubSpot-RateLimit-Interval-Milliseconds", "10000"),
            ("X-HubSpot-RateLimit-Daily", "1000000"),
            ("X-HubSpot-RateLimit-Daily-Remaining", "999000"),
            ("Retry-After", "Mon, 30 Nov 2026 10:00:04 GMT"),
        ] {
            headers.insert(name, HeaderValue::from_static(value));
        }
        let limits = RateLimitHeaders::parse(&headers, now);
        assert_eq!(
            limits,
            RateLimitHeaders {
                max: Some(190),
                remaining: Some(0),
                interval: Some(Duration::from_secs(10)),
                daily: Some(1_000_000),
                daily_remaining: Some(999_000),
                retry_after: Some(Duration::from_secs(4)),
            }
        );
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Mon, 30 Nov 2026 09:59:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        headers.insert(
            "X-HubSpot-RateLimit-Remaining",
            HeaderValue::from_static("-3"),
        );
        assert_eq!(RateLimitHeaders::parse(&headers, now).remaining, None);
    }
}
