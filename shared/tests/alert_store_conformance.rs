//! One conformance suite for the `AlertStore` port, run against both adapters: `MemoryStore` and
//! `DynamoStore` on DynamoDB Local (a fresh table per test, created from `table_definition()`).
//! The DynamoDB half needs `AWS_ENDPOINT_URL_DYNAMODB` and fails without it.
//!
//! Times the store compares with its own clock (delivery expiry) are near `Utc::now()`; the rest
//! are fixed.

use chrono::{DateTime, Duration, TimeZone, Utc};
use shared::domain::{
    AlertChange, AlertChannel, AlertChannelId, AlertCondition, AlertItem, AlertRule, AlertRuleId,
    AlertScope, AlertState, ChannelKind, ClientId, ClientSnooze, DeliveryMode, DeliveryRecord,
    DeliveryStatus, HealthBand, HealthLevel, PendingAlert, TenantId,
};
use shared::ports::{Page, PageRequest, Store, StoreError};
use std::collections::BTreeSet;
use std::future::Future;

// ---- fixtures ------------------------------------------------------------------------------------

fn tid(id: &str) -> TenantId {
    TenantId::parse(id).unwrap()
}

fn cid(n: usize) -> ClientId {
    ClientId::parse(format!("client-{n:04}")).unwrap()
}

fn rid(id: &str) -> AlertRuleId {
    AlertRuleId::parse(id).unwrap()
}

fn chid(id: &str) -> AlertChannelId {
    AlertChannelId::parse(id).unwrap()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap()
}

fn rule(tenant_id: &TenantId, id: &str) -> AlertRule {
    AlertRule {
        id: rid(id),
        tenant_id: tenant_id.clone(),
        name: format!("Rule {id}"),
        enabled: true,
        condition: AlertCondition::BandEntered {
            bands: vec![HealthBand::AtRisk, HealthBand::Critical],
        },
        scope: AlertScope::LifecycleStages {
            stages: vec!["customer".into()],
        },
        channels: vec![AlertChannel {
            id: chid("slack-1"),
            kind: ChannelKind::Slack,
            secret_id: Some(format!("ci/{tenant_id}/alerts/{id}/slack-1")),
            recipients: vec![],
            display: "hooks.slack.com/…/x9Qa".into(),
        }],
        cooldown_minutes: 60,
        delivery: DeliveryMode::Immediate,
        disabled_reason: None,
        created_at: t0(),
        updated_at: t0(),
        version: 0,
    }
}

fn level(overall: u8) -> HealthLevel {
    HealthLevel {
        overall,
        band: HealthBand::of(overall),
        churn_risk: 100 - overall,
    }
}

fn item(n: usize, at: DateTime<Utc>) -> AlertItem {
    AlertItem {
        client_id: cid(n),
        client_name: format!("Client {n}"),
        headline: format!("Client {n} moved from Watch to At risk (61 → 44)"),
        change: AlertChange::Health {
            before: level(61),
            after: level(44),
            fell_by: None,
        },
        top_factors: vec![],
        link: Some(format!("https://app.example/#/clients/client-{n:04}")),
        occurred_at: at,
    }
}

fn pending(rule_id: &str, channel: &str, n: usize, due_at: DateTime<Utc>) -> PendingAlert {
    PendingAlert {
        rule_id: rid(rule_id),
        channel_id: chid(channel),
        item: item(n, due_at - Duration::hours(1)),
        queued_at: due_at - Duration::hours(1),
        due_at,
    }
}

fn state(rule_id: &str, n: usize, key: &str) -> AlertState {
    AlertState {
        rule_id: rid(rule_id),
        client_id: cid(n),
        state_key: key.into(),
        alerted_at: t0(),
    }
}

fn delivery(tenant_id: &TenantId, id: &str, created_at: DateTime<Utc>) -> DeliveryRecord {
    DeliveryRecord {
        id: id.into(),
        tenant_id: tenant_id.clone(),
        rule_id: Some(rid("rule-1")),
        rule_name: "Rule rule-1".into(),
        channel_id: chid("slack-1"),
        channel_kind: ChannelKind::Slack,
        client_ids: vec![cid(1)],
        alerts: 1,
        digest: false,
        test: false,
        status: DeliveryStatus::Sent,
        attempts: 1,
        last_error: None,
        created_at,
        updated_at: created_at,
    }
}

/// Walks every page of a listing and returns all items, failing on a repeated cursor.
async fn walk<T, F, Fut>(limit: u32, mut list: F) -> Vec<T>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, StoreError>>,
{
    let mut items = Vec::new();
    let mut cursor = None;
    let mut seen_cursors = BTreeSet::new();
    loop {
        let page = list(PageRequest {
            limit,
            cursor: cursor.clone(),
        })
        .await
        .unwrap();
        assert!(page.items.len() <= limit as usize, "page over its limit");
        items.extend(page.items);
        match page.next_cursor {
            None => return items,
            Some(next) => {
                assert!(seen_cursors.insert(next.clone()), "cursor repeated");
                cursor = Some(next);
            }
        }
    }
}

fn clients_of(alerts: &[PendingAlert]) -> Vec<(String, String, ClientId)> {
    let mut found: Vec<_> = alerts
        .iter()
        .map(|a| {
            (
                a.rule_id.to_string(),
                a.channel_id.to_string(),
                a.item.client_id.clone(),
            )
        })
        .collect();
    found.sort();
    found
}

// ---- the cases -----------------------------------------------------------------------------------

async fn rules_are_created_once_updated_by_version_and_kept_per_tenant(store: &impl Store) {
    let acme = tid("acme");
    let other = tid("other");
    let first = rule(&acme, "rule-1");
    store.create_alert_rule(&first).await.unwrap();
    store
        .create_alert_rule(&rule(&acme, "rule-2"))
        .await
        .unwrap();
    store
        .create_alert_rule(&rule(&other, "rule-1"))
        .await
        .unwrap();
    assert!(matches!(
        store.create_alert_rule(&first).await,
        Err(StoreError::Conflict { .. })
    ));

    let stored = store.get_alert_rule(&acme, &rid("rule-1")).await.unwrap();
    assert_eq!(stored, first, "the rule round-trips whole");
    let mut renamed = stored.clone();
    renamed.name = "Renamed".into();
    renamed.enabled = false;
    renamed.disabled_reason = Some("Slack answered 410 Gone".into());
    let updated = store.update_alert_rule(&renamed).await.unwrap();
    assert_eq!(updated.version, stored.version + 1);
    assert!(
        matches!(
            store.update_alert_rule(&renamed).await,
            Err(StoreError::Conflict { .. })
        ),
        "a write from a stale version is refused"
    );
    let read = store.get_alert_rule(&acme, &rid("rule-1")).await.unwrap();
    assert_eq!(read, updated);
    assert!(matches!(
        store.update_alert_rule(&rule(&acme, "missing")).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.get_alert_rule(&acme, &rid("missing")).await,
        Err(StoreError::NotFound { .. })
    ));

    let listed: Vec<String> = store
        .list_alert_rules(&acme)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id.to_string())
        .collect();
    assert_eq!(listed, ["rule-1", "rule-2"]);
    assert_eq!(store.list_alert_rules(&other).await.unwrap().len(), 1);
}

async fn deleting_a_rule_removes_its_states_and_pending_alerts_only(store: &impl Store) {
    let acme = tid("acme");
    store
        .create_alert_rule(&rule(&acme, "rule-1"))
        .await
        .unwrap();
    store
        .create_alert_rule(&rule(&acme, "rule-2"))
        .await
        .unwrap();
    let states = [
        state("rule-1", 1, "band:at_risk"),
        state("rule-1", 2, "band:critical"),
        state("rule-2", 1, "band:at_risk"),
    ];
    store.put_alert_states(&acme, &states).await.unwrap();
    let due = t0() + Duration::hours(3);
    store
        .put_pending_alerts(
            &acme,
            &[
                pending("rule-1", "slack-1", 1, due),
                pending("rule-2", "slack-1", 2, due),
            ],
        )
        .await
        .unwrap();

    store
        .delete_alert_rule(&acme, &rid("rule-1"))
        .await
        .unwrap();
    assert!(matches!(
        store.get_alert_rule(&acme, &rid("rule-1")).await,
        Err(StoreError::NotFound { .. })
    ));
    let keys = [
        (rid("rule-1"), cid(1)),
        (rid("rule-1"), cid(2)),
        (rid("rule-2"), cid(1)),
    ];
    let left = store.alert_states(&acme, &keys).await.unwrap();
    assert_eq!(
        left,
        [states[2].clone()],
        "only the other rule's state is left"
    );
    let left = store.due_pending_alerts(&acme, due).await.unwrap();
    assert_eq!(
        clients_of(&left),
        [("rule-2".into(), "slack-1".into(), cid(2))]
    );
    assert_eq!(store.list_alert_rules(&acme).await.unwrap().len(), 1);
    // Deleting again is harmless.
    store
        .delete_alert_rule(&acme, &rid("rule-1"))
        .await
        .unwrap();
}

async fn states_are_put_read_and_forgotten(store: &impl Store) {
    let acme = tid("acme");
    let other = tid("other");
    let keys = [(rid("rule-1"), cid(1)), (rid("rule-1"), cid(2))];
    assert!(store.alert_states(&acme, &keys).await.unwrap().is_empty());
    store
        .put_alert_states(&acme, &[state("rule-1", 1, "band:at_risk")])
        .await
        .unwrap();
    // A later state of the same (rule, client) replaces the earlier; in one call the last wins.
    store
        .put_alert_states(
            &acme,
            &[
                state("rule-1", 1, "band:watch"),
                state("rule-1", 1, "band:critical"),
                state("rule-1", 2, "churn_above:60"),
            ],
        )
        .await
        .unwrap();
    let mut found = store.alert_states(&acme, &keys).await.unwrap();
    found.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    assert_eq!(
        found
            .iter()
            .map(|s| s.state_key.as_str())
            .collect::<Vec<_>>(),
        ["band:critical", "churn_above:60"]
    );
    assert!(store.alert_states(&other, &keys).await.unwrap().is_empty());

    store.delete_alert_states(&acme, &keys[..1]).await.unwrap();
    let found = store.alert_states(&acme, &keys).await.unwrap();
    assert_eq!(found, [state("rule-1", 2, "churn_above:60")]);
    store.delete_alert_states(&acme, &[]).await.unwrap();
    store.put_alert_states(&acme, &[]).await.unwrap();
}

async fn snoozes_are_active_until_they_end(store: &impl Store) {
    let acme = tid("acme");
    let now = t0();
    let snooze = |n: usize, until: DateTime<Utc>| ClientSnooze {
        client_id: cid(n),
        until,
        reason: Some("renewal call booked".into()),
        by: "user-1".into(),
        created_at: now - Duration::days(1),
    };
    store
        .put_snooze(&acme, &snooze(1, now + Duration::days(2)))
        .await
        .unwrap();
    store
        .put_snooze(&acme, &snooze(2, now - Duration::minutes(1)))
        .await
        .unwrap();
    store
        .put_snooze(&acme, &snooze(3, now + Duration::hours(1)))
        .await
        .unwrap();
    store
        .put_snooze(&tid("other"), &snooze(4, now + Duration::days(2)))
        .await
        .unwrap();

    let acme = &acme;
    let active = |at: DateTime<Utc>| async move {
        let mut ids: Vec<ClientId> = store
            .active_snoozes(acme, at)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.client_id)
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(active(now).await, [cid(1), cid(3)]);
    assert_eq!(
        active(now + Duration::hours(1)).await,
        [cid(1)],
        "a snooze has ended at its `until`"
    );
    // A new snooze replaces the client's earlier one.
    store
        .put_snooze(acme, &snooze(1, now + Duration::minutes(5)))
        .await
        .unwrap();
    assert_eq!(active(now + Duration::minutes(10)).await, [cid(3)]);
    store.delete_snooze(acme, &cid(3)).await.unwrap();
    assert_eq!(active(now).await, [cid(1)]);
    let full = store.active_snoozes(acme, now).await.unwrap();
    assert_eq!(full[0].reason.as_deref(), Some("renewal call booked"));
}

async fn pending_alerts_replace_fall_due_and_are_released(store: &impl Store) {
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

async fn tenants_with_due_alerts_are_paged(store: &impl Store) {
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

async fn deliveries_list_newest_first_with_a_cursor(store: &impl Store) {
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

async fn concurrent_send_slots_are_distinct_and_spaced(store: &impl Store) {
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

// ---- running it against both adapters ------------------------------------------------------------

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(&shared::store::MemoryStore::new()).await;
                }
            )*
        }

        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let store = super::fresh_dynamo_store().await;
                    super::$case(&store).await;
                }
            )*
        }
    };
}

/// A `DynamoStore` on its own new table in DynamoDB Local; fails when `AWS_ENDPOINT_URL_DYNAMODB` is
/// not set.
async fn fresh_dynamo_store() -> shared::store::DynamoStore {
    let client = test_support::dynamodb().await;
    let name = test_support::unique_name("alert-store");
    shared::store::table::create_table(&client, &name)
        .await
        .unwrap_or_else(|e| panic!("cannot create table {name} in DynamoDB Local: {e}"));
    shared::store::DynamoStore::new(client, name)
}

conformance!(
    rules_are_created_once_updated_by_version_and_kept_per_tenant,
    deleting_a_rule_removes_its_states_and_pending_alerts_only,
    states_are_put_read_and_forgotten,
    snoozes_are_active_until_they_end,
    pending_alerts_replace_fall_due_and_are_released,
    tenants_with_due_alerts_are_paged,
    deliveries_list_newest_first_with_a_cursor,
    concurrent_send_slots_are_distinct_and_spaced,
);
