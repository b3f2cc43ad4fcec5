use super::*;
use crate::alerts::conditions::{evaluate, AlertEvent};
use crate::alerts::test_fixtures::*;
use crate::domain::QuietHours;
use chrono::TimeZone;

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn firing() -> Firing {
    let event = health("c1", level(61, 20), level(44, 40));
    evaluate(&band_rule(), &AlertEvent::Health(&event), None, None).unwrap()
}

fn stored(key: &str, alerted_at: DateTime<Utc>) -> AlertState {
    AlertState {
        rule_id: band_rule().id,
        client_id: client("c1"),
        state_key: key.into(),
        alerted_at,
    }
}

fn berlin(quiet: Option<(u8, u8)>) -> AlertingSettings {
    AlertingSettings {
        time_zone: "Europe/Berlin".into(),
        quiet_hours: quiet.map(|(start, end)| QuietHours { start, end }),
        digest_hour: 8,
        burst_digest_threshold: 10,
    }
}

fn decide_at(
    state: Option<&AlertState>,
    snooze: Option<&ClientSnooze>,
    settings: &AlertingSettings,
    rule: &AlertRule,
    now: DateTime<Utc>,
) -> Decision {
    decide(&firing(), state, snooze, settings, rule, now)
}

#[test]
fn no_state_sends_now_and_the_same_state_is_not_repeated() {
    let rule = band_rule();
    let settings = AlertingSettings::default();
    let now = t0();
    assert_eq!(
        decide_at(None, None, &settings, &rule, now),
        Decision::SendNow
    );
    let same = stored("band:at_risk", now - TimeDelta::days(30));
    assert_eq!(
        decide_at(Some(&same), None, &settings, &rule, now),
        Decision::Suppress(SuppressReason::SameState),
        "however long ago"
    );
}

#[test]
fn the_cool_down_ends_exactly_cooldown_minutes_after_the_last_alert() {
    let rule = band_rule(); // 60 minutes
    let settings = AlertingSettings::default();
    let alerted = t0();
    let other = stored("band:watch", alerted);
    let just_before = alerted + TimeDelta::minutes(60) - TimeDelta::seconds(1);
    assert_eq!(
        decide_at(Some(&other), None, &settings, &rule, just_before),
        Decision::Suppress(SuppressReason::CoolingDown)
    );
    assert_eq!(
        decide_at(
            Some(&other),
            None,
            &settings,
            &rule,
            alerted + TimeDelta::minutes(60)
        ),
        Decision::SendNow
    );
}

#[test]
fn a_snoozed_client_is_not_alerted_until_the_snooze_ends() {
    let rule = band_rule();
    let settings = AlertingSettings::default();
    let snooze = ClientSnooze {
        client_id: client("c1"),
        until: t0() + TimeDelta::hours(2),
        reason: None,
        by: "user-1".into(),
        created_at: t0(),
    };
    assert_eq!(
        decide_at(None, Some(&snooze), &settings, &rule, t0()),
        Decision::Suppress(SuppressReason::Snoozed)
    );
    assert_eq!(
        decide_at(None, Some(&snooze), &settings, &rule, snooze.until),
        Decision::SendNow
    );
    let elsewhere = ClientSnooze {
        client_id: client("c2"),
        ..snooze
    };
    assert_eq!(
        decide_at(None, Some(&elsewhere), &settings, &rule, t0()),
        Decision::SendNow,
        "another client's snooze"
    );
}

#[test]
fn quiet_hours_across_midnight_hold_until_their_local_end() {
    let rule = band_rule();
    let settings = berlin(Some((22, 7)));
    // 30 November: Berlin is UTC+1. 23:30 local is quiet; the end is 07:00 local the next day.
    assert_eq!(
        decide_at(None, None, &settings, &rule, at(2026, 11, 30, 22, 30)),
        Decision::HoldUntil(at(2026, 12, 1, 6, 0))
    );
    // 05:00 local, after midnight: the end is the same day.
    assert_eq!(
        decide_at(None, None, &settings, &rule, at(2026, 12, 1, 4, 0)),
        Decision::HoldUntil(at(2026, 12, 1, 6, 0))
    );
    // 07:00 and 21:59 local are not quiet.
    for now in [at(2026, 12, 1, 6, 0), at(2026, 12, 1, 20, 59)] {
        assert_eq!(
            decide_at(None, None, &settings, &rule, now),
            Decision::SendNow
        );
    }
    // Quiet hours within a day (12 to 14 local).
    let lunch = berlin(Some((12, 14)));
    assert_eq!(
        decide_at(None, None, &lunch, &rule, at(2026, 11, 30, 11, 15)),
        Decision::HoldUntil(at(2026, 11, 30, 13, 0))
    );
    assert_eq!(
        decide_at(None, None, &lunch, &rule, at(2026, 11, 30, 13, 0)),
        Decision::SendNow
    );
}

#[test]
fn quiet_hours_end_at_the_local_hour_across_a_daylight_saving_change() {
    let rule = band_rule();
    let settings = berlin(Some((22, 7)));
    // Night of 24-25 October 2026: Berlin falls back from UTC+2 to UTC+1 at 03:00 local. 23:00
    // local (21:00 UTC) is quiet until 07:00 local = 06:00 UTC (not 05:00).
    assert_eq!(
        decide_at(None, None, &settings, &rule, at(2026, 10, 24, 21, 0)),
        Decision::HoldUntil(at(2026, 10, 25, 6, 0))
    );
    // Night of 27-28 March 2027: Berlin springs forward from UTC+1 to UTC+2. 23:00 local
    // (22:00 UTC) is quiet until 07:00 local = 05:00 UTC.
    assert_eq!(
        decide_at(None, None, &settings, &rule, at(2027, 3, 27, 22, 0)),
        Decision::HoldUntil(at(2027, 3, 28, 5, 0))
    );
    // Quiet hours ending at 02:00, an hour the clock skips that night: they end when it jumps to
    // 03:00 local, 01:00 UTC.
    let short = berlin(Some((22, 2)));
    assert_eq!(
        decide_at(None, None, &short, &rule, at(2027, 3, 27, 23, 30)),
        Decision::HoldUntil(at(2027, 3, 28, 1, 0))
    );
}

#[test]
fn a_daily_digest_rule_waits_for_the_next_local_digest_hour() {
    let mut rule = band_rule();
    rule.delivery = DeliveryMode::DailyDigest;
    let settings = berlin(None); // digest at 08:00 local
                                 // 09:00 local: past today's digest, so tomorrow's 08:00 local (07:00 UTC).
    assert_eq!(
        decide_at(None, None, &settings, &rule, at(2026, 11, 30, 8, 0)),
        Decision::DailyDigest(at(2026, 12, 1, 7, 0))
    );
    // 06:00 local: today's.
    assert_eq!(
        decide_at(None, None, &settings, &rule, at(2026, 11, 30, 5, 0)),
        Decision::DailyDigest(at(2026, 11, 30, 7, 0))
    );
    // Exactly at the digest hour: due now.
    assert_eq!(
        decide_at(None, None, &settings, &rule, at(2026, 11, 30, 7, 0)),
        Decision::DailyDigest(at(2026, 11, 30, 7, 0))
    );
    // The same state is still not repeated in a digest.
    let same = stored("band:at_risk", t0() - TimeDelta::days(3));
    assert_eq!(
        decide_at(Some(&same), None, &settings, &rule, t0()),
        Decision::Suppress(SuppressReason::SameState)
    );
}

#[test]
fn the_next_local_hour_is_always_ahead_and_in_the_zone() {
    let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
    // 23:30 UTC is 08:30 in Tokyo: the next 08:00 there is 23:00 UTC the next day.
    assert_eq!(
        next_local_hour(at(2026, 11, 30, 23, 30), tokyo, 8, false),
        at(2026, 12, 1, 23, 0)
    );
    assert_eq!(
        next_local_hour(at(2026, 11, 30, 23, 0), tokyo, 8, false),
        at(2026, 12, 1, 23, 0),
        "strictly after now"
    );
    assert_eq!(
        next_local_hour(at(2026, 11, 30, 23, 0), tokyo, 8, true),
        at(2026, 11, 30, 23, 0)
    );
}

#[test]
fn churn_alerts_on_crossing_and_not_again_while_it_stays_above() {
    use crate::domain::AlertCondition;
    let rule =
        crate::alerts::test_fixtures::rule("churn", AlertCondition::ChurnAbove { percent: 60 });
    let settings = AlertingSettings::default();
    let decide_on = |before: u8, after: u8, state: Option<&AlertState>| {
        let event = health("c1", level(40, before), level(38, after));
        evaluate(&rule, &AlertEvent::Health(&event), None, None)
            .map(|firing| decide(&firing, state, None, &settings, &rule, t0()))
    };
    // Crossing: sent.
    assert_eq!(decide_on(55, 65, None), Some(Decision::SendNow));
    // Staying above after that alert: the state holds it back.
    let alerted = AlertState {
        rule_id: rule.id.clone(),
        client_id: client("c1"),
        state_key: "churn_above:60".into(),
        alerted_at: t0() - TimeDelta::days(1),
    };
    assert_eq!(
        decide_on(65, 75, Some(&alerted)),
        Some(Decision::Suppress(SuppressReason::SameState))
    );
    // Above with no state yet (a rule made while the client was above): alerted once.
    assert_eq!(decide_on(65, 75, None), Some(Decision::SendNow));
    // Falling back under fires nothing.
    assert_eq!(decide_on(75, 55, Some(&alerted)), None);
}
