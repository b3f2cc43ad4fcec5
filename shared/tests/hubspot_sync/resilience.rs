//! Syncs that meet trouble: the deadline, injected faults, the search cap, targeted objects and the
//! daily limit.

use super::*;

#[tokio::test]
async fn a_sync_cut_off_by_the_deadline_and_resumed_equals_a_clean_one() {
    let config = SandboxConfig {
        rate_limit_per_ten_seconds: 400,
        ..SandboxConfig::default()
    };
    let fast = limits(400);
    let sandbox = Sandbox::start(config).await.unwrap();

    let clean_store = MemoryStore::new();
    let clean = full_sync(&private_source(&sandbox, &fast), &clean_store, 1).await;

    let store = MemoryStore::new();
    let source = private_source(&sandbox, &fast);
    let plan = plan_full(2, Utc::now());
    let mut invocations = 0;
    let mut counts: BTreeMap<ObjectType, u64> = BTreeMap::new();
    let mut requests = 0;
    loop {
        invocations += 1;
        assert!(invocations < 500, "the sync never completed");
        let outcome = run_sync(
            &source,
            &store,
            &tenant_id(),
            &plan,
            Instant::now() + Duration::from_millis(300),
            &NoProgress,
        )
        .await
        .unwrap();
        for (t, n) in &outcome.counts {
            *counts.entry(*t).or_default() += n;
        }
        requests += outcome.requests_used;
        if outcome.completed {
            break;
        }
    }

    assert!(
        invocations > 2,
        "the deadline never cut the run ({invocations} invocations)"
    );
    assert_eq!(counts, clean.counts, "records fetched twice or lost");
    assert_eq!(requests, clean.requests_used, "pages fetched twice");
    assert_eq!(
        all_snapshots(&store).await,
        all_snapshots(&clean_store).await
    );
    assert_store_equals_portal(&store, &sandbox).await;
}

#[tokio::test]
async fn injected_429s_and_5xx_at_ten_percent_give_an_identical_result() {
    // Enough pages (about 60) that a 10% fault rate is all but sure to strike: with the small
    // portal's dozen pages, a run without any fault was a real chance.
    let sandbox = Sandbox::start(SandboxConfig {
        engagements: 5_000,
        ..SandboxConfig::small(15)
    })
    .await
    .unwrap();
    let clean_store = MemoryStore::new();
    full_sync(&private_source(&sandbox, &limits(190)), &clean_store, 1).await;

    sandbox.set_faults(Faults {
        server_error_rate: 0.1,
        rate_limit_rate: 0.1,
        locked_rate: 0.02,
        latency_ms: 0,
    });
    sandbox.reset_stats();
    let store = MemoryStore::new();
    let source = private_source(&sandbox, &limits(190));
    let outcome = full_sync(&source, &store, 1).await;

    assert!(outcome.completed);
    assert!(sandbox.stats().injected_faults > 0, "no fault was injected");
    assert!(source.client().stats().retries > 0);
    assert_eq!(
        all_snapshots(&store).await,
        all_snapshots(&clean_store).await
    );

    // Incremental under the same faults.
    let touched = sandbox.touch_random("deals", 10);
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
    assert_eq!(
        outcome.counts.get(&ObjectType::Deals),
        Some(&(touched.len() as u64))
    );
    assert_store_equals_portal(&store, &sandbox).await;
}

#[tokio::test]
async fn more_than_ten_thousand_changed_records_in_one_window_are_all_found() {
    let config = SandboxConfig {
        companies: 20,
        contacts: 10_600,
        deals: 0,
        tickets: 0,
        engagements: 0,
        rate_limit_per_ten_seconds: 1_000,
        ..SandboxConfig::small(19)
    };
    let sandbox = Sandbox::start(config).await.unwrap();
    let store = MemoryStore::new();
    let source = private_source(&sandbox, &limits(1_000));
    let start = Utc::now();
    // A watermark from before the changes, as a previous run would have left.
    store
        .put_checkpoint(
            &tenant_id(),
            &SyncCheckpoint {
                object_type: ObjectType::Contacts,
                watermark: Some(start),
                cursor: None,
                sync_id: Some(sync_id(1)),
                updated_at: start,
            },
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let touched = sandbox.touch_random("contacts", 10_400);
    tokio::time::sleep(Duration::from_millis(5)).await;

    let plan = SyncPlan {
        object_types: vec![ObjectType::Contacts],
        ..plan_incremental(2, Utc::now())
    };
    let outcome = run_sync(
        &source,
        &store,
        &tenant_id(),
        &plan,
        far_deadline(),
        &NoProgress,
    )
    .await
    .unwrap();

    assert!(outcome.completed);
    assert_eq!(outcome.counts.get(&ObjectType::Contacts), Some(&10_400));
    let held: BTreeSet<String> = all_snapshots(&store)
        .await
        .values()
        .flat_map(|s| s.contacts.iter().map(|c| c.id.clone()))
        .collect();
    let with_company: BTreeSet<String> = touched
        .iter()
        .filter(|c| !sandbox.associations("contacts", c, "companies").is_empty())
        .cloned()
        .collect();
    assert_eq!(held, with_company);
    assert!(sandbox.stats().search_requests >= 10_400 / 200);
    assert_eq!(sandbox.stats().rate_limited, 0);
}

#[tokio::test]
async fn a_targeted_sync_applies_given_objects_and_removes_deleted_ones() {
    let sandbox = Sandbox::start(SandboxConfig::small(20)).await.unwrap();
    let store = MemoryStore::new();
    let source = private_source(&sandbox, &limits(190));
    full_sync(&source, &store, 1).await;

    let deal = sandbox.records("deals")[1].id.clone();
    assert!(sandbox.update_property("deals", &deal, "amount", Some("4242")));
    let gone_company = sandbox.records("companies")[7].id.clone();
    assert!(sandbox.delete_record("companies", &gone_company));
    let gone_contact = sandbox
        .records("contacts")
        .into_iter()
        .find(|c| {
            !sandbox
                .associations("contacts", &c.id, "companies")
                .is_empty()
        })
        .map(|c| c.id)
        .unwrap();
    let contact_client = sandbox.associations("contacts", &gone_contact, "companies")[0].clone();
    assert!(sandbox.delete_record("contacts", &gone_contact));
    let refs = vec![
        shared::domain::ObjectRef {
            object_type: ObjectType::Deals,
            id: deal.clone(),
        },
        shared::domain::ObjectRef {
            object_type: ObjectType::Companies,
            id: gone_company.clone(),
        },
        shared::domain::ObjectRef {
            object_type: ObjectType::Contacts,
            id: gone_contact.clone(),
        },
    ];

    let outcome = run_sync(
        &source,
        &store,
        &tenant_id(),
        &SyncPlan::objects(sync_id(2), Utc::now(), refs),
        far_deadline(),
        &NoProgress,
    )
    .await
    .unwrap();

    assert!(outcome.completed);
    assert_eq!(outcome.counts.get(&ObjectType::Deals), Some(&1));
    assert_eq!(
        outcome.deleted_client_ids,
        vec![ClientId::parse(gone_company.clone()).unwrap()]
    );
    let snapshots = all_snapshots(&store).await;
    assert!(!snapshots.contains_key(&ClientId::parse(gone_company).unwrap()));
    let holder = &snapshots[&ClientId::parse(contact_client).unwrap()];
    assert!(holder.contacts.iter().all(|c| c.id != gone_contact));
    let amount = snapshots
        .values()
        .flat_map(|s| s.deals.iter())
        .find(|d| d.id == deal)
        .and_then(|d| d.amount);
    assert_eq!(amount, Some(4242.0));
}

#[tokio::test]
async fn the_daily_limit_stops_the_sync_as_rate_limited() {
    let config = SandboxConfig {
        daily_limit: Some(3),
        ..SandboxConfig::small(21)
    };
    let sandbox = Sandbox::start(config).await.unwrap();
    let store = MemoryStore::new();
    let source = private_source(&sandbox, &limits(190));

    let result = run_sync(
        &source,
        &store,
        &tenant_id(),
        &plan_full(1, Utc::now()),
        far_deadline(),
        &NoProgress,
    )
    .await;

    let Err(error) = result else {
        panic!("the sync should stop at the daily limit");
    };
    assert!(
        matches!(error, SyncError::RateLimited { reset_at: Some(at), .. } if at > Utc::now()),
        "{error}"
    );
    assert_eq!(error.status(), shared::domain::SyncStatus::RateLimited);
    assert!(!error.is_retryable());
    // What arrived before the limit is kept, with its cursor.
    let checkpoints = store.checkpoints(&tenant_id()).await.unwrap();
    assert!(!checkpoints.is_empty());
}
