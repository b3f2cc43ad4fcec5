//! Spreading the schedule over each tenant's interval (issue 19). The schedule ticks often (every 5
//! minutes on AWS by default) and each tick asks only the tenants whose slot it is to sync, so an
//! hourly tenant is synced once an hour, always at the same minutes past, and the sync function
//! never faces every tenant's request at once: `tools/simulate` finds 5 to 9 slots of reserved
//! concurrency enough for 10,000 tenants spread over the hour, where one fan-out of all of them at
//! the top of the hour needs up to 69 (a long daily full sync and its continuations waiting behind
//! thousands of short syncs).
//!
//! Pure: a tick's time, the tick length and the tenant's interval decide it.

use crate::domain::TenantId;
use chrono::{DateTime, Utc};

/// How a tenant's interval falls on the schedule's ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleTicks {
    /// Minutes between two ticks of the schedule; `None` when not known (a cron expression): then
    /// every tick asks every tenant, as before issue 19.
    pub tick_minutes: Option<u32>,
}

impl ScheduleTicks {
    /// Every tenant at every tick.
    pub const EVERY_TICK: ScheduleTicks = ScheduleTicks { tick_minutes: None };

    /// The ticks of an EventBridge schedule expression: `rate(N minute[s]|hour[s]|day[s])` has
    /// them every N units; anything else (a `cron(...)`) is treated as unknown.
    pub fn of_expression(expression: &str) -> ScheduleTicks {
        let minutes = (|| {
            let inner = expression.trim().strip_prefix("rate(")?.strip_suffix(')')?;
            let (value, unit) = inner.trim().split_once(' ')?;
            let value: u32 = value.trim().parse().ok()?;
            let per_unit = match unit.trim() {
                "minute" | "minutes" => 1,
                "hour" | "hours" => 60,
                "day" | "days" => 24 * 60,
                _ => return None,
            };
            value.checked_mul(per_unit).filter(|m| *m > 0)
        })();
        ScheduleTicks {
            tick_minutes: minutes,
        }
    }

    /// Whether the tick at `tick` asks `tenant_id` (synced every `interval_minutes`) to sync: the
    /// interval is cut into ticks, and the tenant's slot among them is a stable hash of its id. A
    /// tick's time is rounded to the nearest minute, so a schedule event a few seconds late still
    /// names its tick.
    pub fn is_due(&self, tenant_id: &TenantId, interval_minutes: u32, tick: DateTime<Utc>) -> bool {
        let Some(tick_minutes) = self.tick_minutes else {
            return true;
        };
        let tick_minutes = u64::from(tick_minutes.max(1));
        let ticks_per_interval = u64::from(interval_minutes).div_ceil(tick_minutes).max(1);
        if ticks_per_interval == 1 {
            return true;
        }
        let minute = (tick.timestamp() + 30).div_euclid(60);
        let tick_index = u64::try_from(minute).unwrap_or(0) / tick_minutes;
        tick_index % ticks_per_interval == slot_hash(tenant_id.as_str()) % ticks_per_interval
    }
}

/// FNV-1a, 64-bit: stable across Rust releases and platforms (std's `DefaultHasher` is not), so a
/// tenant keeps its slot from one deployment to the next. Eight lines are not worth a crate.
fn slot_hash(text: &str) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    text.bytes().fold(OFFSET, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn tenant(n: usize) -> TenantId {
        TenantId::parse(format!("hs-{}", 1000 + n)).unwrap()
    }

    fn hour_start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
    }

    #[test]
    fn rate_expressions_give_their_tick_and_others_none() {
        for (expression, minutes) in [
            ("rate(5 minutes)", Some(5)),
            ("rate(1 minute)", Some(1)),
            ("rate(1 hour)", Some(60)),
            ("rate(2 hours)", Some(120)),
            ("rate(1 day)", Some(1440)),
            ("cron(0 * * * ? *)", None),
            ("rate(0 minutes)", None),
            ("rate(five minutes)", None),
            ("", None),
        ] {
            assert_eq!(
                ScheduleTicks::of_expression(expression).tick_minutes,
                minutes,
                "{expression}"
            );
        }
    }

    #[test]
    fn over_one_interval_every_tenant_is_due_exactly_once_and_slots_are_even() {
        let ticks = ScheduleTicks::of_expression("rate(5 minutes)");
        let mut per_tick = [0usize; 12];
        for n in 0..6_000 {
            let id = tenant(n);
            let due: Vec<usize> = (0..12)
                .filter(|k| ticks.is_due(&id, 60, hour_start() + Duration::minutes(5 * *k as i64)))
                .collect();
            assert_eq!(due.len(), 1, "{id}: {due:?}");
            per_tick[due[0]] += 1;
            // The next hour, the same slot.
            let next = hour_start() + Duration::minutes(60 + 5 * due[0] as i64);
            assert!(ticks.is_due(&id, 60, next));
        }
        // 500 expected a tick; a fair hash stays well within 20 % of it.
        assert!(
            per_tick.iter().all(|n| (400..=600).contains(n)),
            "{per_tick:?}"
        );
    }

    #[test]
    fn a_late_tick_still_names_its_slot_and_other_intervals_follow_their_own_length() {
        let ticks = ScheduleTicks::of_expression("rate(5 minutes)");
        let id = tenant(7);
        let slot = (0..12)
            .find(|k| ticks.is_due(&id, 60, hour_start() + Duration::minutes(5 * k)))
            .unwrap();
        let on_time = hour_start() + Duration::minutes(5 * slot);
        assert!(ticks.is_due(&id, 60, on_time + Duration::seconds(20)));
        // Every 15 minutes: due at 4 ticks an hour; every 5 minutes or less: every tick.
        let quarter = (0..12)
            .filter(|k| ticks.is_due(&id, 15, hour_start() + Duration::minutes(5 * k)))
            .count();
        assert_eq!(quarter, 4);
        assert!((0..12).all(|k| ticks.is_due(&id, 5, hour_start() + Duration::minutes(5 * k))));
        assert!((0..12).all(|k| ticks.is_due(&id, 0, hour_start() + Duration::minutes(5 * k))));
        // Hourly ticks, hourly tenants: every tick, as before the spread.
        let hourly = ScheduleTicks::of_expression("rate(1 hour)");
        assert!((0..5).all(|h| hourly.is_due(&id, 60, hour_start() + Duration::hours(h))));
        assert!(ScheduleTicks::EVERY_TICK.is_due(&id, 60, on_time + Duration::minutes(1)));
    }
}
