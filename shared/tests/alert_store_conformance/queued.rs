//! Pending alerts and the release, the delivery log, and send slots.

use super::*;

pub async fn pending_alerts_replace_fall_due_and_are_released(store: &impl Store) {
    let acme = tid("acme");
    let now = t0();
    let soon = now + Duration::hours(2);
    let tomorrow = now + Duration::hours(20);
    store
        .put_pending_alerts(
            &acme,
            &[
                pending("rule-1", "slack-1", 1, soon),
                pending("rule-1", "slack-1", 2, soon),
                pending("rule-1", "email-1", 1, tomorrow),
            ],
        )
        .await
        .unwrap();
    assert!(store
        .due_pending_alerts(&acme, now)
        .await
        .unwrap()
        .is_empty());
    assert!(
        store
            .tenants_with_due_alerts(now, &PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty(),
        "nothing is due yet"
    );
    let due = store.due_pending_alerts(&acme, soon).await.unwrap();
    assert_eq!(
        clients_of(&due),
        [
            ("rule-1".into(), "slack-1".into(), cid(1)),
            ("rule-1".into(), "slack-1".into(), cid(2)),
        ]
    );
    // A newer alert for (rule-1, slack-1, client 1) replaces the one queued before it, and its due
    // time moves with it.
    let mut newer = pending("rule-1", "slack-1", 1, tomorrow);
    newer.item.headline = "Client 1 moved from At risk to Critical (44 → 20)".into();
    store
        .put_pending_alerts(&acme, &[newer.clone()])
        .await
        .unwrap();
    let due = store.due_pending_alerts(&acme, soon).await.unwrap();
    assert_eq!(
        clients_of(&due),
        [("rule-1".into(), "slack-1".into(), cid(2))]
    );
    let all = store.due_pending_alerts(&acme, tomorrow).await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.contains(&newer), "the newer alert is kept whole");

    // The release: tenants with alerts due, then their alerts, then deleting what went out.
    let tenants = store
        .tenants_with_due_alerts(soon, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(tenants.items, std::slice::from_ref(&acme));
    store.delete_pending_alerts(&acme, &due).await.unwrap();
    assert!(store
        .due_pending_alerts(&acme, soon)
        .await
        .unwrap()
        .is_empty());
    assert!(
        store
            .tenants_with_due_alerts(soon, &PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty(),
        "a tenant whose due alerts went out is not listed again"
    );
    let tenants = store
        .tenants_with_due_alerts(tomorrow, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(tenants.items, std::slice::from_ref(&acme));
    store.delete_pending_alerts(&acme, &all).await.unwrap();
    assert!(store
        .tenants_with_due_alerts(tomorrow + Duration::days(1), &PageRequest::first(10))
        .await
        .unwrap()
        .items
        .is_empty());
}

pub async fn tenants_with_due_alerts_are_paged(store: &impl Store) {
    let now = t0();
    let tenants: Vec<TenantId> = (0..5).map(|n| tid(&format!("tenant-{n}"))).collect();
    for (n, tenant) in tenants.iter().enumerate() {
        // Due in different past hours; one tenant in two, one not due yet.
        let due = now - Duration::hours(n as i64);
        let mut alerts = vec![pending("rule-1", "slack-1", n, due)];
        if n == 1 {
            alerts.push(pending("rule-1", "slack-1", 9, due - Duration::hours(5)));
        }
        store.put_pending_alerts(tenant, &alerts).await.unwrap();
    }
    store
        .put_pending_alerts(
            &tid("later"),
            &[pending("rule-1", "slack-1", 1, now + Duration::hours(2))],
        )
        .await
        .unwrap();

    let listed = walk(2, |page| async move {
        store.tenants_with_due_alerts(now, &page).await
    })
    .await;
    let distinct: BTreeSet<TenantId> = listed.iter().cloned().collect();
    assert_eq!(distinct, tenants.iter().cloned().collect::<BTreeSet<_>>());
    assert!(listed.len() <= tenants.len() + 1, "at most once per marker");
    let one_page = store
        .tenants_with_due_alerts(now, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(
        one_page.items.len(),
        tenants.len(),
        "each tenant once in a page"
    );
    assert!(matches!(
        store
            .tenants_with_due_alerts(
                now,
                &PageRequest {
                    limit: 2,
                    cursor: Some("forged".into())
                }
            )
            .await,
        Err(StoreError::InvalidInput(_))
    ));
}

pub async fn deliveries_list_newest_first_with_a_cursor(store: &impl Store) {
    let acme = tid("acme");
    let other = tid("other");
    let now = Utc::now();
    for n in 0..7 {
        // Ids in another order than times, so the listing must sort by time.
        let id = format!("delivery-{}", (n * 3) % 7);
        store
            .put_delivery(&delivery(&acme, &id, now - Duration::minutes(n)))
            .await
            .unwrap();
    }
    store
        .put_delivery(&delivery(&other, "delivery-x", now))
        .await
        .unwrap();
    // Upserting a record (a retry) keeps one record.
    let mut retried = delivery(&acme, "delivery-0", now);
    retried.status = DeliveryStatus::Failed;
    retried.attempts = 3;
    retried.last_error = Some("the channel is unavailable: 503".into());
    retried.updated_at = now + Duration::seconds(5);
    store.put_delivery(&retried).await.unwrap();

    let listed = walk(3, |page| {
        let acme = acme.clone();
        async move { store.list_deliveries(&acme, &page).await }
    })
    .await;
    assert_eq!(listed.len(), 7);
    let times: Vec<DateTime<Utc>> = listed.iter().map(|d| d.created_at).collect();
    let mut newest_first = times.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, newest_first);
    assert_eq!(listed[0], retried);
    assert_eq!(
        store.get_delivery(&acme, "delivery-0").await.unwrap(),
        Some(retried)
    );
    assert_eq!(store.get_delivery(&acme, "delivery-x").await.unwrap(), None);
    assert!(matches!(
        store.get_delivery(&acme, "").await,
        Err(StoreError::InvalidInput(_))
    ));
    // A cursor of one tenant is refused for another.
    let first = store
        .list_deliveries(&acme, &PageRequest::first(2))
        .await
        .unwrap();
    let stolen = PageRequest {
        limit: 2,
        cursor: first.next_cursor,
    };
    assert!(matches!(
        store.list_deliveries(&other, &stolen).await,
        Err(StoreError::InvalidInput(_))
    ));
}

pub async fn concurrent_send_slots_are_distinct_and_spaced(store: &impl Store) {
    let acme = tid("acme");
    let now = Utc::now();
    let interval = std::time::Duration::from_millis(1000);
    let first = store
        .reserve_send_slot(&acme, "slack-1", interval, now)
        .await
        .unwrap();
    assert_eq!(first, now, "a channel's first slot is now");
    let reservations = (0..10).map(|_| store.reserve_send_slot(&acme, "slack-1", interval, now));
    let mut slots: Vec<DateTime<Utc>> = futures::future::try_join_all(reservations).await.unwrap();
    slots.sort();
    let distinct: BTreeSet<_> = slots.iter().collect();
    assert_eq!(distinct.len(), 10, "every caller has its own slot");
    assert!(slots[0] >= first + Duration::seconds(1));
    for pair in slots.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::seconds(1),
            "slots {} and {} are closer than the interval",
            pair[0],
            pair[1]
        );
    }
    // Another channel, and the same channel long after, start at now.
    let other = store
        .reserve_send_slot(&acme, "slack-2", interval, now)
        .await
        .unwrap();
    assert_eq!(other, now);
    let later = now + Duration::minutes(5);
    assert_eq!(
        store
            .reserve_send_slot(&acme, "slack-1", interval, later)
            .await
            .unwrap(),
        later
    );
}
