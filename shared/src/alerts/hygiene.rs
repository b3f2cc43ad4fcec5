//! What happens to a firing: held back (the same state as last time, a cool-down, a snoozed
//! client), sent now, held until quiet hours end, or kept for the daily digest. Local hours are in
//! the tenant's IANA time zone, so quiet hours and the digest hour follow daylight saving time.

use super::conditions::Firing;
use crate::domain::{AlertRule, AlertState, AlertingSettings, ClientSnooze, DeliveryMode};
use chrono::{DateTime, Days, LocalResult, NaiveTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// Why a firing is not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressReason {
    /// The rule already alerted about this client in this state.
    SameState,
    /// The rule alerted about this client less than its cool-down ago.
    CoolingDown,
    /// Someone snoozed the client.
    Snoozed,
}

/// What to do with a firing. For every decision but `Suppress`, the handler records the new state
/// (so the same state is not queued or sent twice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Suppress(SuppressReason),
    SendNow,
    /// Quiet hours: queue it until `due_at`, their end.
    HoldUntil(DateTime<Utc>),
    /// The rule delivers once a day: queue it until `due_at`, the next digest hour.
    DailyDigest(DateTime<Utc>),
}

/// Decides what happens to `firing`, given the rule's stored state for the client, the client's
/// snooze (if any), the tenant's settings and the time. The cool-down ends exactly
/// `cooldown_minutes` after the last alert; a snooze ends at its `until`.
pub fn decide(
    firing: &Firing,
    stored_state: Option<&AlertState>,
    snooze: Option<&ClientSnooze>,
    settings: &AlertingSettings,
    rule: &AlertRule,
    now: DateTime<Utc>,
) -> Decision {
    if let Some(stored) = stored_state {
        if stored.state_key == firing.state_key {
            return Decision::Suppress(SuppressReason::SameState);
        }
    }
    if snooze.is_some_and(|s| s.client_id == firing.client_id && s.until > now) {
        return Decision::Suppress(SuppressReason::Snoozed);
    }
    if let Some(stored) = stored_state {
        let cooldown = TimeDelta::minutes(i64::from(rule.cooldown_minutes));
        if now < stored.alerted_at + cooldown {
            return Decision::Suppress(SuppressReason::CoolingDown);
        }
    }
    let tz = settings.tz();
    if rule.delivery == DeliveryMode::DailyDigest {
        return Decision::DailyDigest(next_local_hour(now, tz, settings.digest_hour, true));
    }
    if let Some(end) = quiet_hours_end(settings, now) {
        return Decision::HoldUntil(end);
    }
    Decision::SendNow
}

/// When the quiet hours `now` falls in end (in UTC), or `None` outside them. `start` after `end`
/// spans midnight; equal hours make no quiet hours (validation refuses them).
pub fn quiet_hours_end(settings: &AlertingSettings, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let quiet = settings.quiet_hours?;
    let tz = settings.tz();
    let hour = now.with_timezone(&tz).hour();
    let (start, end) = (u32::from(quiet.start), u32::from(quiet.end));
    let quiet_now = if start < end {
        (start..end).contains(&hour)
    } else if start > end {
        hour >= start || hour < end
    } else {
        false
    };
    quiet_now.then(|| next_local_hour(now, tz, quiet.end, false))
}

/// The next time the local clock in `tz` reads `hour`:00 after `now` (or at `now`, when
/// `at_or_after`). An hour that the clock skips (the spring-forward gap) is the first instant after
/// the gap; an hour it passes twice (falling back) is the first of them.
pub fn next_local_hour(now: DateTime<Utc>, tz: Tz, hour: u8, at_or_after: bool) -> DateTime<Utc> {
    let local_now = now.with_timezone(&tz);
    let time = NaiveTime::from_hms_opt(u32::from(hour.min(23)), 0, 0).unwrap_or(NaiveTime::MIN);
    let today = local_now.date_naive();
    // Today's and the next two days' candidates: one of them is after `now` (a day has at most 25
    // hours), so this ends.
    for days in 0..3 {
        let Some(date) = today.checked_add_days(Days::new(days)) else {
            break;
        };
        let at = local_instant(tz, date.and_time(time));
        if at > now || (at_or_after && at == now) {
            return at;
        }
    }
    now
}

/// The instant the local clock reads `local`; in a gap, the first instant after it.
fn local_instant(tz: Tz, local: chrono::NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) => at.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Gaps are an hour or less in every IANA zone, so the local time an hour later is
            // real: where the gap ends for the hour-long gaps of nearly every zone (Lord Howe's
            // half-hour gap ends half an hour before it).
            let after = local + TimeDelta::hours(1);
            tz.from_local_datetime(&after)
                .earliest()
                .map(|at| at.with_timezone(&Utc))
                .unwrap_or_else(|| Utc.from_utc_datetime(&local))
        }
    }
}

#[cfg(test)]
#[path = "hygiene_tests.rs"]
mod tests;
