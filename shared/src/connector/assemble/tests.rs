//! The working set's folding, one behaviour a test.

use super::*;
use crate::domain::{Direction, EngagementKind, ObjectType};

fn at(secs: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(1_700_000_000 + secs, 0)
}

fn cid(id: &str) -> ClientId {
    ClientId::parse(id).unwrap()
}

fn company(id: &str, name: &str) -> CrmRecord {
    CrmRecord {
        object_type: ObjectType::Companies,
        id: id.into(),
        modified_at: at(1),
        body: RecordBody::Company(CompanyFields {
            name: name.into(),
            ..CompanyFields::default()
        }),
        company_ids: vec![],
        contact_ids: vec![],
    }
}

fn contact(id: &str, companies: &[&str]) -> CrmRecord {
    CrmRecord {
        object_type: ObjectType::Contacts,
        id: id.into(),
        modified_at: at(2),
        body: RecordBody::Contact(ContactSummary {
            id: id.into(),
            lifecycle_stage: None,
            nps_rating: None,
        }),
        company_ids: companies.iter().map(|c| c.to_string()).collect(),
        contact_ids: vec![],
    }
}

fn email(id: &str, companies: &[&str], contacts: &[&str]) -> CrmRecord {
    CrmRecord {
        object_type: ObjectType::Emails,
        id: id.into(),
        modified_at: at(3),
        body: RecordBody::Engagement(Engagement {
            id: id.into(),
            kind: EngagementKind::Email,
            direction: Some(Direction::Outbound),
            occurred_at: at(3).unwrap(),
            completed: false,
            contact_ids: vec![],
        }),
        company_ids: companies.iter().map(|c| c.to_string()).collect(),
        contact_ids: contacts.iter().map(|c| c.to_string()).collect(),
    }
}

/// Loads what the records need (from `stored`) and applies them, as the engine does.
fn absorb(set: &mut WorkingSet, stored: &[ClientSnapshot], records: &[CrmRecord]) {
    let asked = set.unknown_contacts(records);
    let index: Vec<(String, Vec<ClientId>)> = stored
        .iter()
        .flat_map(|s| {
            s.contacts
                .iter()
                .map(|c| (c.id.clone(), vec![s.client_id.clone()]))
        })
        .filter(|(id, _)| asked.contains(id))
        .collect();
    set.learn_contact_links(&asked, index);
    let wanted = set.clients_to_load(records);
    let found = stored
        .iter()
        .filter(|s| wanted.contains(&s.client_id))
        .cloned()
        .collect();
    set.load(&wanted, found);
    for r in records {
        set.apply(r);
    }
}

#[test]
fn a_rebuild_builds_clients_and_resolves_engagements_through_contacts() {
    let mut set = WorkingSet::new(AssemblyMode::Rebuild, "hubspot");
    absorb(&mut set, &[], &[company("1", "Acme"), company("2", "Beta")]);
    absorb(&mut set, &[], &[contact("10", &["1"]), contact("11", &[])]);
    absorb(
        &mut set,
        &[],
        &[
            email("100", &["2"], &[]),
            email("101", &[], &["10"]),
            email("102", &[], &["11"]),
        ],
    );
    let writes = set.take_writes(true);
    let by_id: HashMap<_, _> = writes
        .snapshots
        .iter()
        .map(|s| (s.client_id.to_string(), s))
        .collect();
    assert_eq!(by_id["1"].name, "Acme");
    assert_eq!(by_id["1"].contacts.len(), 1);
    assert_eq!(by_id["1"].engagements[0].id, "101");
    assert_eq!(by_id["1"].engagements[0].contact_ids, vec!["10".to_owned()]);
    assert_eq!(by_id["2"].engagements[0].id, "100");
    assert_eq!(set.unresolved_engagements(), 1);
    assert_eq!(set.changed_clients(), vec![cid("1"), cid("2")]);
}

#[test]
fn an_unfinished_rebuild_overlays_the_stored_snapshot_and_a_finished_one_replaces_it() {
    let mut stored = empty_snapshot(cid("1"), "hubspot");
    stored.name = "Acme".into();
    stored.engagements = vec![match email("99", &["1"], &[]).body {
        RecordBody::Engagement(e) => e,
        _ => unreachable!(),
    }];
    stored.updated_at = at(1).unwrap();
    let mut set = WorkingSet::new(AssemblyMode::Rebuild, "hubspot");
    absorb(
        &mut set,
        std::slice::from_ref(&stored),
        &[company("1", "Acme Ltd")],
    );

    let partial = set.take_writes(false);
    assert_eq!(partial.snapshots.len(), 1);
    assert_eq!(partial.snapshots[0].name, "Acme Ltd");
    assert_eq!(
        partial.snapshots[0].engagements.len(),
        1,
        "stored engagement kept until the rebuild ends"
    );

    let done = set.take_writes(true);
    assert_eq!(done.snapshots.len(), 1);
    assert!(
        done.snapshots[0].engagements.is_empty(),
        "engagement 99 is gone from the source"
    );
}

#[test]
fn merging_moves_a_contact_between_clients_and_skips_unchanged_records() {
    let mut a = empty_snapshot(cid("1"), "hubspot");
    a.name = "A".into();
    a.contacts = vec![ContactSummary {
        id: "10".into(),
        lifecycle_stage: None,
        nps_rating: None,
    }];
    a.updated_at = at(2).unwrap();
    let mut b = empty_snapshot(cid("2"), "hubspot");
    b.name = "B".into();
    b.updated_at = at(2).unwrap();
    let stored = vec![a, b];

    let mut set = WorkingSet::new(AssemblyMode::Merge, "hubspot");
    absorb(&mut set, &stored, &[contact("10", &["1"])]);
    assert!(
        set.take_writes(false).snapshots.is_empty(),
        "nothing changed"
    );

    absorb(&mut set, &stored, &[contact("10", &["2"])]);
    let writes = set.take_writes(false);
    let by_id: HashMap<_, _> = writes
        .snapshots
        .iter()
        .map(|s| (s.client_id.to_string(), s))
        .collect();
    assert!(by_id["1"].contacts.is_empty());
    assert_eq!(by_id["2"].contacts[0].id, "10");
    assert_eq!(
        writes.contact_links,
        vec![("10".to_owned(), vec![cid("2")])]
    );
}

#[test]
fn a_deleted_company_is_removed_and_reported() {
    let mut set = WorkingSet::new(AssemblyMode::Merge, "hubspot");
    set.delete_client(&cid("5"));
    let writes = set.take_writes(false);
    assert_eq!(writes.deletions, vec![cid("5")]);
    assert_eq!(set.deleted_clients(), vec![cid("5")]);
}

#[test]
fn past_the_bound_a_flushed_set_sheds_its_clients_and_reloads_them_from_the_store() {
    let mut set = WorkingSet::new(AssemblyMode::Rebuild, "hubspot");
    absorb(
        &mut set,
        &[],
        &[company("1", "A"), company("2", "B"), company("3", "C")],
    );
    absorb(&mut set, &[], &[email("100", &["1"], &[])]);
    assert_eq!(set.shed(2), 0, "dirty clients are never dropped");
    // The store after the flush.
    let stored = set.take_writes(false).snapshots;
    assert_eq!(set.shed(3), 0, "within the bound");
    assert_eq!(set.shed(2), 3);
    assert_eq!(set.clients_held(), 0);
    assert_eq!(
        set.mode(),
        AssemblyMode::Merge,
        "a rebuild past the bound merges"
    );
    assert_eq!(set.changed_clients(), vec![cid("1"), cid("2"), cid("3")]);

    absorb(&mut set, &stored, &[email("101", &["1"], &[])]);
    let writes = set.take_writes(false);
    assert_eq!(writes.snapshots.len(), 1);
    let ids: Vec<&str> = writes.snapshots[0]
        .engagements
        .iter()
        .map(|e| e.id.as_str())
        .collect();
    assert_eq!(ids, ["100", "101"], "reloaded with what was flushed");
    assert_eq!(writes.snapshots[0].name, "A");
}
