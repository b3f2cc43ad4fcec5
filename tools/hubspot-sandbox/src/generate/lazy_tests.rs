//! The lazy portal: records are pure functions of (seed, type, index), links hold both ways, the
//! memory held does not grow with the portal, and the run's changes live in an overlay.

use super::*;
use std::collections::HashSet;

const ANCHOR: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn config(seed: u64) -> SandboxConfig {
    SandboxConfig {
        seed,
        companies: 120,
        contacts: 1_000,
        deals: 300,
        tickets: 150,
        engagements: 5_000,
        lazy: true,
        ..SandboxConfig::default()
    }
}

fn all(portal: &Portal, ty: ObjectType) -> Vec<Record> {
    let mut out = Vec::new();
    portal.walk(ty, 0, &|_| true, &mut |r| {
        out.push(r.into_owned());
        true
    });
    out
}

#[test]
fn a_record_is_a_pure_function_of_seed_type_and_index() {
    let first = generate_lazy(&config(7), ANCHOR);
    let again = generate_lazy(&config(7), ANCHOR);
    let other = generate_lazy(&config(8), ANCHOR);
    for ty in ObjectType::ALL {
        let records = all(&first, ty);
        assert!(!records.is_empty(), "{ty:?} has records");
        assert_eq!(
            records,
            all(&again, ty),
            "{ty:?} differs between two builds"
        );
        // Built in any order, alone: the same record.
        for rec in records.iter().rev().step_by(7) {
            assert_eq!(first.record(ty, rec.id).as_deref(), Some(rec));
        }
        assert_ne!(
            records,
            all(&other, ty),
            "{ty:?} is the same for another seed"
        );
    }
}

#[test]
fn counts_ids_and_dates_follow_the_config() {
    let portal = generate_lazy(&config(3), ANCHOR);
    let count = |ty| all(&portal, ty).len();
    assert_eq!(count(ObjectType::Companies), 120);
    assert_eq!(count(ObjectType::Contacts), 1_000);
    assert_eq!(count(ObjectType::Deals), 300);
    assert_eq!(count(ObjectType::Tickets), 150);
    let engagements: usize = ObjectType::ENGAGEMENTS.iter().map(|t| count(*t)).sum();
    assert_eq!(engagements, 5_000);
    let mut ids = HashSet::new();
    for ty in ObjectType::ALL {
        assert_eq!(portal.live_count(ty), count(ty));
        for rec in all(&portal, ty) {
            assert!(ids.insert(rec.id), "id {} used twice", rec.id);
            assert!(rec.created_ms <= rec.updated_ms && rec.updated_ms <= ANCHOR);
            assert_eq!(
                rec.get("hs_object_id").cloned().flatten(),
                Some(rec.id.to_string())
            );
        }
    }
    assert!(ids.iter().all(|id| *id < portal.next_id));
}

#[test]
fn associations_hold_both_ways_and_every_child_has_one_company() {
    let portal = generate_lazy(&config(5), ANCHOR);
    let mut links = 0;
    for ty in ObjectType::ALL {
        for rec in all(&portal, ty) {
            let companies = rec
                .assoc
                .iter()
                .filter(|(t, _)| *t == ObjectType::Companies)
                .count();
            if ty != ObjectType::Companies && ty != ObjectType::Contacts {
                assert_eq!(companies, 1, "{ty:?} {} has one company", rec.id);
            }
            for (other_ty, other_id) in &rec.assoc {
                let other = portal
                    .record(*other_ty, *other_id)
                    .expect("the associated record exists");
                assert!(
                    other.assoc.contains(&(ty, rec.id)),
                    "{ty:?} {} -> {other_ty:?} {other_id} is not stored back",
                    rec.id
                );
                links += 1;
            }
        }
    }
    assert!(links > 10_000, "only {links} links");
    // A company's rolled-up contact count is its contacts.
    for company in all(&portal, ObjectType::Companies) {
        let contacts = company
            .assoc
            .iter()
            .filter(|(t, _)| *t == ObjectType::Contacts)
            .count();
        assert_eq!(
            company.get("num_associated_contacts").cloned().flatten(),
            Some(contacts.to_string())
        );
    }
}

#[test]
fn memory_stays_small_at_the_largest_size_and_paging_builds_nothing_to_keep() {
    let largest = generate_lazy(&SandboxConfig::largest(1), ANCHOR);
    let records: usize = ObjectType::ALL.iter().map(|t| largest.live_count(*t)).sum();
    assert_eq!(records, 6_400_000);
    let lazy = largest.lazy.as_ref().expect("lazy base");
    // One u32 slot start per company and child type: 3.2 MB for 6.4 million records.
    assert!(
        lazy.footprint_bytes() < 4_000_000,
        "{}",
        lazy.footprint_bytes()
    );
    assert_eq!(largest.materialised(), 0);
    // A record from deep in each range builds on its own.
    for ty in ObjectType::ALL {
        let range = lazy.id_range(ty);
        let rec = largest.record(ty, range.end - 1).expect("last record");
        assert_eq!(rec.id, range.end - 1);
    }

    // Page through every contact of a smaller portal as the list endpoint does (100 a page, each
    // from the last id + 1): each once, in id order, and nothing held afterwards.
    let portal = generate_lazy(&SandboxConfig::largest_scaled(2, 0.01), ANCHOR);
    let mut after = 0;
    let mut seen = 0usize;
    let mut last = 0;
    loop {
        let mut page = Vec::new();
        portal.walk(ObjectType::Contacts, after, &|_| true, &mut |r| {
            page.push(r.id);
            page.len() <= 100
        });
        let next = (page.len() > 100).then(|| page[100]);
        page.truncate(100);
        for id in &page {
            assert!(*id > last, "ids ascend");
            last = *id;
        }
        seen += page.len();
        match next {
            Some(next) => after = next,
            None => break,
        }
    }
    assert_eq!(seen, 10_000);
    assert_eq!(portal.materialised(), 0);
}

#[test]
fn changes_are_kept_in_an_overlay_over_the_base() {
    let mut portal = generate_lazy(&config(9), ANCHOR);
    let contacts = all(&portal, ObjectType::Contacts);
    let contact = contacts
        .iter()
        .find(|c| c.assoc.iter().any(|(t, _)| *t == ObjectType::Companies))
        .expect("a contact with a company")
        .clone();
    let company_id = contact
        .assoc
        .iter()
        .find(|(t, _)| *t == ObjectType::Companies)
        .map(|(_, id)| *id)
        .expect("company");
    portal.touch(ObjectType::Contacts, contact.id, ANCHOR + 1_000);
    assert_eq!(portal.materialised(), 1);
    let touched = portal
        .record(ObjectType::Contacts, contact.id)
        .expect("still there");
    assert_eq!(touched.updated_ms, ANCHOR + 1_000);
    assert_eq!(touched.assoc, contact.assoc);

    assert!(portal.archive(ObjectType::Contacts, contact.id, ANCHOR + 2_000));
    let company = portal
        .record(ObjectType::Companies, company_id)
        .expect("company");
    assert!(!company.assoc.contains(&(ObjectType::Contacts, contact.id)));
    assert_eq!(portal.live_count(ObjectType::Contacts), contacts.len() - 1);
    assert!(!portal.live_ids(ObjectType::Contacts).contains(&contact.id));
    // Every other record the archive unlinked is in the overlay too, linked consistently.
    for ty in ObjectType::ALL {
        for rec in all(&portal, ty).iter().filter(|r| r.is_live()) {
            assert!(!rec.assoc.contains(&(ObjectType::Contacts, contact.id)));
        }
    }
}
