//! Full and incremental syncs hold exactly what the portal holds, deletions and changes included.

use super::*;

#[tokio::test]
async fn full_sync_equals_the_portal() {
    let sandbox = Sandbox::start(SandboxConfig::small(11)).await.unwrap();
    let store = MemoryStore::new();
    let source = private_source(&sandbox, &limits(190));

    let outcome = full_sync(&source, &store, 1).await;

    assert!(outcome.completed);
    assert!(outcome.reconciled);
    assert_store_equals_portal(&store, &sandbox).await;
    for t in ObjectType::ALL {
        assert_eq!(
            outcome.counts.get(&t).copied().unwrap_or(0),
            sandbox.records(t.as_str()).len() as u64,
            "records fetched for {t:?}"
        );
    }
    assert_eq!(outcome.requests_used, sandbox.stats().requests);
    assert_eq!(sandbox.stats().rate_limited, 0, "our pacing earned a 429");
    let checkpoints = store.checkpoints(&tenant_id()).await.unwrap();
    assert_eq!(checkpoints.len(), ObjectType::ALL.len());
    assert!(checkpoints
        .iter()
        .all(|c| c.cursor.is_none() && c.watermark.is_some()));
    assert_eq!(
        outcome.changed_client_ids.len(),
        sandbox.records("companies").len()
    );

    // Support's satisfaction signals arrive: every company with a sentiment and every contact with
    // an NPS answer in the portal has it in its snapshot.
    let set = |kind: &str, property: &str| {
        sandbox
            .records(kind)
            .iter()
            .filter(|r| r.properties.get(property).cloned().flatten().is_some())
            .count()
    };
    let snapshots = all_snapshots(&store).await;
    let with_sentiment = snapshots
        .values()
        .filter(|s| s.csm_sentiment.is_some())
        .count();
    let nps_answers: BTreeSet<&str> = snapshots
        .values()
        .flat_map(|s| &s.contacts)
        .filter(|c| c.nps_rating.is_some())
        .map(|c| c.id.as_str())
        .collect();
    assert!(with_sentiment > 0 && !nps_answers.is_empty());
    assert_eq!(with_sentiment, set("companies", "hs_csm_sentiment"));
    // Contacts of no company belong to no snapshot.
    let answered_in_portal = sandbox
        .records("contacts")
        .iter()
        .filter(|c| {
            let answered = c.properties.get("hs_feedback_last_nps_rating");
            answered.cloned().flatten().is_some()
                && !sandbox
                    .associations("contacts", &c.id, "companies")
                    .is_empty()
        })
        .count();
    assert_eq!(nps_answers.len(), answered_in_portal);

    // A second full sync of an unchanged portal writes nothing.
    let again = full_sync(&source, &store, 2).await;
    assert!(
        again.changed_client_ids.is_empty(),
        "{:?}",
        again.changed_client_ids
    );
    assert_eq!(again.writes.items_written, 0);
}

#[tokio::test]
async fn full_sync_removes_clients_and_records_deleted_in_hubspot() {
    let sandbox = Sandbox::start(SandboxConfig::small(12)).await.unwrap();
    let store = MemoryStore::new();
    let source = private_source(&sandbox, &limits(190));
    full_sync(&source, &store, 1).await;

    let gone_company = sandbox.records("companies")[3].id.clone();
    let gone_deal = sandbox.records("deals")[0].id.clone();
    assert!(sandbox.delete_record("companies", &gone_company));
    assert!(sandbox.delete_record("deals", &gone_deal));
    let outcome = full_sync(&source, &store, 2).await;

    assert_eq!(
        outcome.deleted_client_ids,
        vec![ClientId::parse(gone_company).unwrap()]
    );
    assert_store_equals_portal(&store, &sandbox).await;
}

#[tokio::test]
async fn incremental_sync_picks_up_exactly_the_changes() {
    let sandbox = Sandbox::start(SandboxConfig::small(13)).await.unwrap();
    let store = MemoryStore::new();
    let source = private_source(&sandbox, &limits(190));
    full_sync(&source, &store, 1).await;
    sandbox.reset_stats();

    // Changes after the full sync's start.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let deal = sandbox.records("deals")[0].id.clone();
    assert!(sandbox.update_property("deals", &deal, "amount", Some("123456")));
    let touched_contacts = sandbox.touch_random("contacts", 7);
    let touched_calls = sandbox.touch_random("calls", 4);
    let some_company = sandbox.records("companies")[5].id.clone();
    let mut props = serde_json::Map::new();
    props.insert("amount".into(), "999".into());
    props.insert("dealstage".into(), "closedwon".into());
    let new_deal = sandbox.create_record("deals", props, Some(&some_company));
    let mut props = serde_json::Map::new();
    props.insert("name".into(), "Brand New Ltd".into());
    let new_company = sandbox.create_record("companies", props, None);
    tokio::time::sleep(Duration::from_millis(5)).await;

    let outcome = run_sync(
        &source,
        &store,
        &tenant_id(),
        &plan_incremental(2, Utc::now()),
        far_deadline(),
        &NoProgress,
    )
    .await
    .unwrap();

    assert!(outcome.completed);
    assert_eq!(outcome.counts.get(&ObjectType::Deals), Some(&2));
    assert_eq!(
        outcome.counts.get(&ObjectType::Contacts),
        Some(&(touched_contacts.len() as u64))
    );
    assert_eq!(
        outcome.counts.get(&ObjectType::Calls),
        Some(&(touched_calls.len() as u64))
    );
    assert_eq!(outcome.counts.get(&ObjectType::Companies), Some(&1));
    assert_eq!(
        outcome
            .counts
            .get(&ObjectType::Tickets)
            .copied()
            .unwrap_or(0),
        0
    );

    // Exactly the clients those records belong to changed.
    let mut expected: BTreeSet<String> = BTreeSet::new();
    expected.extend(sandbox.associations("deals", &deal, "companies"));
    expected.extend(sandbox.associations("deals", &new_deal, "companies"));
    expected.insert(new_company.clone());
    for c in &touched_contacts {
        expected.extend(sandbox.associations("contacts", c, "companies"));
    }
    for c in &touched_calls {
        let companies = sandbox.associations("calls", c, "companies");
        expected.extend(companies);
    }
    let changed: BTreeSet<String> = outcome
        .changed_client_ids
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(changed, expected);

    assert_store_equals_portal(&store, &sandbox).await;
    let snapshots = all_snapshots(&store).await;
    let holder = ClientId::parse(some_company).unwrap();
    let new_deal_held = snapshots[&holder].deals.iter().find(|d| d.id == new_deal);
    assert_eq!(
        new_deal_held.map(|d| (d.amount, d.is_closed_won)),
        Some((Some(999.0), true))
    );
}

#[tokio::test]
async fn incremental_sync_with_nothing_changed_costs_one_search_per_type() {
    let sandbox = Sandbox::start(SandboxConfig::small(14)).await.unwrap();
    let store = MemoryStore::new();
    let source = private_source(&sandbox, &limits(190));
    full_sync(&source, &store, 1).await;
    sandbox.reset_stats();

    let outcome = run_sync(
        &source,
        &store,
        &tenant_id(),
        &plan_incremental(2, Utc::now()),
        far_deadline(),
        &NoProgress,
    )
    .await
    .unwrap();

    assert!(outcome.completed);
    assert!(outcome.changed_client_ids.is_empty());
    assert_eq!(outcome.requests_used, ObjectType::ALL.len() as u64);
    assert_eq!(
        sandbox.stats().search_requests,
        ObjectType::ALL.len() as u64
    );
}
