//! The generated portal: the same per seed, consistent ids and associations, every story present.

use super::*;
use crate::model::numeric_value;

const ANCHOR: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn config(seed: u64) -> SandboxConfig {
    SandboxConfig {
        seed,
        companies: 300,
        contacts: 1_200,
        deals: 500,
        tickets: 300,
        engagements: 6_000,
        ..SandboxConfig::default()
    }
}

#[test]
fn same_seed_gives_the_same_portal_and_another_seed_does_not() {
    let first = generate(&config(7), ANCHOR);
    assert_eq!(first, generate(&config(7), ANCHOR));
    assert_ne!(first, generate(&config(8), ANCHOR));
}

#[test]
fn sizes_ids_and_associations_are_consistent() {
    let portal = generate(&config(3), ANCHOR);
    assert_eq!(portal.table(ObjectType::Companies).records.len(), 300);
    assert_eq!(portal.table(ObjectType::Contacts).records.len(), 1_200);
    let engagements: usize = ObjectType::ENGAGEMENTS
        .iter()
        .map(|ty| portal.table(*ty).records.len())
        .sum();
    assert_eq!(engagements, 6_000);
    for ty in ObjectType::ALL {
        let records = &portal.table(ty).records;
        assert!(
            records.windows(2).all(|w| w[0].id < w[1].id),
            "{ty:?} not in id order"
        );
        for rec in records {
            assert!(
                rec.updated_ms <= ANCHOR && rec.created_ms <= rec.updated_ms,
                "{ty:?} {}",
                rec.id
            );
            for (other_ty, other_id) in &rec.assoc {
                let other = portal
                    .table(*other_ty)
                    .get(*other_id)
                    .expect("associated record exists");
                assert!(
                    other.assoc.contains(&(ty, rec.id)),
                    "association is stored both ways"
                );
            }
        }
    }
}

fn companies_where(portal: &Portal, keep: impl Fn(&Record) -> bool) -> usize {
    portal
        .table(ObjectType::Companies)
        .records
        .iter()
        .filter(|r| keep(r))
        .count()
}

fn date(rec: &Record, name: &str) -> Option<f64> {
    rec.get(name)
        .and_then(|v| v.as_deref())
        .and_then(numeric_value)
}

#[test]
fn every_client_story_is_present() {
    let portal = generate(&config(11), ANCHOR);
    let days_ago = |ms: f64| (ANCHOR as f64 - ms) / DAY_MS as f64;
    let inactive = companies_where(&portal, |c| {
        date(c, "notes_last_contacted").is_some_and(|ms| (30.0..=400.0).contains(&days_ago(ms)))
    });
    let active = companies_where(&portal, |c| {
        date(c, "notes_last_contacted").is_some_and(|ms| days_ago(ms) < 10.0)
    });
    let rich = companies_where(&portal, |c| {
        date(c, "annualrevenue").is_some_and(|r| r >= 5_000_000.0)
    });
    assert!(
        inactive > 10 && active > 10 && rich > 5,
        "{inactive} {active} {rich}"
    );

    let tickets = &portal.table(ObjectType::Tickets).records;
    let open_urgent = tickets
        .iter()
        .filter(|t| {
            t.get("hs_ticket_priority") == Some(&Some("URGENT".to_owned()))
                && t.get("hs_pipeline_stage") != Some(&Some("4".to_owned()))
        })
        .count();
    assert!(open_urgent > 5, "{open_urgent}");

    let emails = &portal.table(ObjectType::Emails).records;
    let direction = |d: &str| {
        emails
            .iter()
            .filter(|e| e.get("hs_email_direction") == Some(&Some(d.to_owned())))
            .count()
    };
    assert!(direction("EMAIL") > direction("INCOMING_EMAIL") && direction("INCOMING_EMAIL") > 100);

    // Real portals hold junk: epoch-millisecond dates, empty strings and "n/a" numbers.
    let companies = &portal.table(ObjectType::Companies).records;
    let value_is = |name: &str, test: &dyn Fn(&str) -> bool| {
        companies
            .iter()
            .any(|c| c.get(name).and_then(|v| v.as_deref()).is_some_and(test))
    };
    assert!(value_is("notes_last_contacted", &|v| v
        .parse::<i64>()
        .is_ok()));
    assert!(value_is("notes_last_contacted", &|v| v.contains('T')));
    assert!(value_is("annualrevenue", &|v| v == "n/a"));
    assert!(value_is("annualrevenue", &str::is_empty));
}

/// Days before the anchor of each record's date property, per company trajectory.
fn ages_by_trajectory(
    portal: &Portal,
    config: &SandboxConfig,
    ty: ObjectType,
    property: &str,
) -> std::collections::HashMap<Trajectory, Vec<f64>> {
    let trajectory: std::collections::HashMap<u64, Trajectory> =
        trajectories(config).into_iter().collect();
    let mut out: std::collections::HashMap<Trajectory, Vec<f64>> = Default::default();
    for rec in &portal.table(ty).records {
        let Some((_, company)) = rec.assoc.iter().find(|(t, _)| *t == ObjectType::Companies) else {
            continue;
        };
        let (Some(t), Some(ms)) = (trajectory.get(company), date(rec, property)) else {
            continue;
        };
        out.entry(*t)
            .or_default()
            .push((ANCHOR as f64 - ms) / DAY_MS as f64);
    }
    out
}

fn share_between(ages: &[f64], low: f64, high: f64) -> f64 {
    ages.iter().filter(|a| (low..high).contains(*a)).count() as f64 / ages.len().max(1) as f64
}

#[test]
fn every_trajectory_is_present_and_a_few_fall_off_a_cliff() {
    let config = config(5);
    let planned = trajectories(&config);
    let generated: Vec<u64> = generate(&config, ANCHOR)
        .table(ObjectType::Companies)
        .records
        .iter()
        .map(|r| r.id)
        .collect();
    let planned_ids: Vec<u64> = planned.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        planned_ids, generated,
        "the plan names the generated companies"
    );
    let count = |t: Trajectory| planned.iter().filter(|(_, p)| *p == t).count();
    assert!(
        count(Trajectory::Steady) > 90,
        "{}",
        count(Trajectory::Steady)
    );
    assert!(count(Trajectory::Improving) > 25);
    assert!(count(Trajectory::Declining) > 40);
    let cliffs = count(Trajectory::Cliff);
    assert!((3..=40).contains(&cliffs), "a few, not many: {cliffs}");
    assert_eq!(trajectories(&config), planned, "deterministic");
}

#[test]
fn activity_is_backdated_over_months_along_each_trajectory() {
    let config = config(13);
    let portal = generate(&config, ANCHOR);
    let emails = ages_by_trajectory(&portal, &config, ObjectType::Emails, "hs_timestamp");
    let calls = ages_by_trajectory(&portal, &config, ObjectType::Calls, "hs_timestamp");
    let all = |t: Trajectory| -> Vec<f64> {
        let mut out = emails.get(&t).cloned().unwrap_or_default();
        out.extend(calls.get(&t).cloned().unwrap_or_default());
        out
    };
    // Spread over the backfilled 90 days and the scoring window before them, every ten days.
    let every = all(Trajectory::Steady);
    for start in (0..180).step_by(10) {
        let start = f64::from(start);
        assert!(
            share_between(&every, start, start + 10.0) > 0.01,
            "steady activity {start}..{} days ago",
            start + 10.0
        );
    }
    // The last 90 days against the 90 before: steady holds, improving grows, declining shrinks.
    let trend = |t: Trajectory| {
        let ages = all(t);
        share_between(&ages, 0.0, 90.0) / share_between(&ages, 90.0, 180.0).max(1e-9)
    };
    let (steady, improving, declining) = (
        trend(Trajectory::Steady),
        trend(Trajectory::Improving),
        trend(Trajectory::Declining),
    );
    assert!((0.6..1.7).contains(&steady), "steady {steady}");
    assert!(improving > 1.8, "improving {improving}");
    assert!(declining < 0.6, "declining {declining}");
    // After a cliff: nothing in the last five days, where steady clients have some.
    let cliff = all(Trajectory::Cliff);
    assert!(!cliff.is_empty());
    assert!(cliff.iter().all(|age| *age >= 5.0), "{cliff:?}");
    let steady_lately = every.iter().filter(|age| (0.0..5.0).contains(*age)).count();
    assert!(steady_lately >= 5, "{steady_lately}");

    // Tickets: a cliff's arrive lately and stay open and urgent; improving clients' are old.
    let tickets = &portal.table(ObjectType::Tickets).records;
    let trajectory: std::collections::HashMap<u64, Trajectory> =
        trajectories(&config).into_iter().collect();
    let trajectory = &trajectory;
    let of = |t: Trajectory| {
        tickets.iter().filter(move |rec| {
            rec.assoc
                .iter()
                .any(|(ty, id)| *ty == ObjectType::Companies && trajectory.get(id) == Some(&t))
        })
    };
    let value = |rec: &Record, name: &str| rec.get(name).cloned().flatten().unwrap_or_default();
    let recent_urgent_open = of(Trajectory::Cliff)
        .filter(|rec| {
            (ANCHOR as f64 - date(rec, "createdate").unwrap_or(0.0)) < 25.0 * DAY_MS as f64
                && value(rec, "hs_pipeline_stage") != "4"
                && ["URGENT", "HIGH"].contains(&value(rec, "hs_ticket_priority").as_str())
        })
        .count();
    assert!(recent_urgent_open >= 3, "{recent_urgent_open}");
    let improving_open_old = of(Trajectory::Improving)
        .filter(|rec| {
            (ANCHOR as f64 - date(rec, "createdate").unwrap_or(0.0)) > 31.0 * DAY_MS as f64
                && value(rec, "hs_pipeline_stage") != "4"
        })
        .count();
    assert_eq!(improving_open_old, 0);
}

#[test]
fn backdated_dates_keep_hubspot_s_wire_format() {
    let portal = generate(&config(17), ANCHOR);
    // HubSpot writes timestamps as ISO 8601 in UTC with milliseconds: 2025-10-02T14:03:11.512Z.
    let iso = |v: &str| {
        v.len() == 24
            && v.ends_with('Z')
            && chrono::DateTime::parse_from_rfc3339(v).is_ok()
            && v.as_bytes()[19] == b'.'
    };
    for ty in ObjectType::ENGAGEMENTS {
        for rec in &portal.table(ty).records {
            let ts = rec
                .get("hs_timestamp")
                .cloned()
                .flatten()
                .unwrap_or_default();
            assert!(iso(&ts), "{ty:?} {} hs_timestamp {ts:?}", rec.id);
        }
    }
    for rec in &portal.table(ObjectType::Deals).records {
        let close = rec.get("closedate").cloned().flatten().unwrap_or_default();
        assert!(iso(&close), "deal {} closedate {close:?}", rec.id);
        assert!(rec.created_ms <= rec.updated_ms && rec.updated_ms <= ANCHOR);
    }
    for rec in &portal.table(ObjectType::Tickets).records {
        for name in ["createdate", "hs_lastmodifieddate"] {
            let v = rec.get(name).cloned().flatten().unwrap_or_default();
            assert!(iso(&v), "ticket {} {name} {v:?}", rec.id);
        }
    }
}
