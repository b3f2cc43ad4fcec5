//! Tests of account records: merging steps, sweeping, daily history, quantities over time.

use super::*;
use chrono::TimeZone;

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, hour, 0, 0).unwrap()
}

fn device(id: &str, serial: &str) -> ManagedDevice {
    ManagedDevice {
        id: id.into(),
        serial: Some(serial.into()),
        offline: false,
        last_contact: None,
        health: None,
        failed_patches: 0,
        antivirus_problem: false,
        seen_at: at(0),
    }
}

fn org(devices: Vec<ManagedDevice>) -> AccountRecord {
    AccountRecord {
        connection_id: ConnectionId::parse("ninjaone-1").unwrap(),
        platform: Platform::Ninjaone,
        external_id: "7".into(),
        name: "Acme".into(),
        identity: AccountIdentity::default(),
        signals: AccountSignals::ItManagement(ItManagement {
            devices,
            ..ItManagement::default()
        }),
        seen_at: at(0),
        updated_at: at(0),
    }
}

#[test]
fn a_walk_merges_steps_and_sweeps_what_it_did_not_see() {
    let mut stored = org(vec![device("1", "A"), device("2", "B")]);
    stored.stamp_seen(at(1));
    // The next walk starts at 2 and sees device 1 again, in two steps, and device 3.
    let mut step = org(vec![device("1", "A2")]);
    step.stamp_seen(at(3));
    stored.merge(step.clone());
    stored.merge(step);
    let mut step = org(vec![device("3", "C")]);
    step.stamp_seen(at(4));
    stored.merge(step);
    assert!(stored.sweep(at(2)));
    let AccountSignals::ItManagement(it) = &stored.signals else {
        panic!("kind changed");
    };
    let ids: Vec<&str> = it.devices.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["1", "3"]);
    assert_eq!(stored.device_serials(), ["A2", "C"]);
    assert!(stored.seen_since(at(2)));
    assert!(!stored.sweep(at(2)), "a second sweep drops nothing");
}

#[test]
fn daily_activity_is_history_kept_for_180_days() {
    let record = |days: Vec<DailyActivity>| AccountRecord {
        signals: AccountSignals::Productivity(Productivity {
            daily: days,
            ..Productivity::default()
        }),
        ..org(Vec::new())
    };
    let day = |offset: i64, users: u32| DailyActivity {
        date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(offset),
        active_users: Some(users),
        ..DailyActivity::default()
    };
    let mut stored = record(vec![day(0, 5), day(1, 6)]);
    stored.merge(record(vec![day(1, 7), day(200, 9)]));
    assert!(!stored.sweep(at(23)), "history is never swept");
    let AccountSignals::Productivity(p) = &stored.signals else {
        panic!("kind changed");
    };
    let kept: Vec<(i64, Option<u32>)> = p
        .daily
        .iter()
        .map(|d| ((d.date - day(0, 0).date).num_days(), d.active_users))
        .collect();
    assert_eq!(kept, [(200, Some(9))]);
}

#[test]
fn quantity_at_reads_the_history() {
    let subscription = CloudSubscription {
        id: "s".into(),
        product_id: "p".into(),
        product_name: "Microsoft 365 Business Premium".into(),
        vendor: None,
        quantity: 8.0,
        status: CloudSubscriptionStatus::Active,
        billing_term: None,
        start_date: None,
        end_date: None,
        unit_price: None,
        updated_at: None,
        quantity_history: vec![
            QuantityChange {
                at: at(2),
                quantity: 10.0,
            },
            QuantityChange {
                at: at(5),
                quantity: 8.0,
            },
        ],
        seen_at: at(6),
    };
    assert_eq!(subscription.quantity_at(at(1)), 10.0);
    // A newer row read without its history keeps the stored one.
    let record = |rows: Vec<CloudSubscription>| AccountRecord {
        signals: AccountSignals::CloudSubscriptions(CloudSubscriptions {
            subscriptions: rows,
        }),
        ..org(Vec::new())
    };
    let mut stored = record(vec![subscription.clone()]);
    stored.merge(record(vec![CloudSubscription {
        quantity: 9.0,
        quantity_history: Vec::new(),
        ..subscription.clone()
    }]));
    let AccountSignals::CloudSubscriptions(subs) = &stored.signals else {
        panic!("kind changed");
    };
    assert_eq!(subs.subscriptions[0].quantity, 9.0);
    assert_eq!(subs.subscriptions[0].quantity_history.len(), 2);
    assert_eq!(subscription.quantity_at(at(3)), 10.0);
    assert_eq!(subscription.quantity_at(at(6)), 8.0);
}
