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
