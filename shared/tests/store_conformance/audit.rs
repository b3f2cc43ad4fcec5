//! The conformance cases of the audit trail (run against both adapters by the `conformance!` list
//! of `store_conformance.rs`).

use super::*;
use serde_json::json;
use shared::domain::{AuditActor, AuditChange, AuditEntityKind, AuditEntry, AuditFilter, Role};

fn entry(
    tenant: &TenantId,
    minutes_ago: i64,
    action: &str,
    entity: AuditEntityKind,
    entity_id: &str,
    actor: Option<&str>,
) -> AuditEntry {
    let actor = match actor {
        Some(subject) => AuditActor::Person {
            subject: subject.to_string(),
            role: Role::Editor,
        },
        None => AuditActor::System,
    };
    let change = AuditChange::new(action, entity, entity_id)
        .before(&json!({"status": "open", "version": 3}))
        .after(
            &json!({"status": "acknowledged", "nested": {"list": [1, 2.5, null], "flag": true}}),
        );
    let request_id = actor_request(&actor);
    AuditEntry::of(
        tenant.clone(),
        actor,
        change,
        Utc::now() - Duration::minutes(minutes_ago),
        request_id,
    )
}

fn actor_request(actor: &AuditActor) -> Option<String> {
    matches!(actor, AuditActor::Person { .. }).then(|| "req-1".to_string())
}

async fn listed<S: Store>(store: &S, tenant: &TenantId, filter: &AuditFilter) -> Vec<String> {
    walk(2, |page| async move {
        store.list_audit(tenant, filter, &page).await
    })
    .await
    .into_iter()
    .map(|e| e.action)
    .collect()
}

pub(super) async fn audit_entries_list_newest_first_with_filters<S: Store>(store: &S) {
    let acme = &tid("acme");
    let other = &tid("other");
    let entries = [
        entry(
            acme,
            50,
            "settings.updated",
            AuditEntityKind::Settings,
            "acme",
            Some("ada"),
        ),
        entry(
            acme,
            40,
            "insight.acknowledged",
            AuditEntityKind::Insight,
            "ins-1",
            Some("ada"),
        ),
        entry(
            acme,
            30,
            "insight.dismissed",
            AuditEntityKind::Insight,
            "ins-2",
            Some("bob"),
        ),
        entry(
            acme,
            20,
            "sync_run.succeeded",
            AuditEntityKind::SyncRun,
            "s-1",
            None,
        ),
        entry(
            acme,
            10,
            "scoring_run.finished",
            AuditEntityKind::ScoringRun,
            "s-1",
            None,
        ),
    ];
    for e in &entries {
        store.append_audit(e, 365).await.unwrap();
    }
    store
        .append_audit(
            &entry(
                other,
                5,
                "settings.updated",
                AuditEntityKind::Settings,
                "other",
                Some("eve"),
            ),
            365,
        )
        .await
        .unwrap();

    // Newest first, every page within its limit, each entry once.
    let all = listed(store, acme, &AuditFilter::default()).await;
    assert_eq!(
        all,
        [
            "scoring_run.finished",
            "sync_run.succeeded",
            "insight.dismissed",
            "insight.acknowledged",
            "settings.updated"
        ]
    );
    // The entry comes back as written: actor, role, request id, before and after.
    let page = store
        .list_audit(acme, &AuditFilter::default(), &PageRequest::first(200))
        .await
        .unwrap();
    let written = entries.iter().rev().cloned().collect::<Vec<_>>();
    assert_eq!(page.items, written);
    assert_eq!(page.items[4].role, Some(Role::Editor));
    assert_eq!(page.items[4].request_id.as_deref(), Some("req-1"));
    assert_eq!(page.items[0].actor, "system");
    assert_eq!(page.next_cursor, None);

    let by = |f: AuditFilter| async move { listed(store, acme, &f).await };
    assert_eq!(
        by(AuditFilter {
            entity: Some(AuditEntityKind::Insight),
            ..Default::default()
        })
        .await,
        ["insight.dismissed", "insight.acknowledged"]
    );
    assert_eq!(
        by(AuditFilter {
            action: Some("insight.acknowledged".into()),
            ..Default::default()
        })
        .await,
        ["insight.acknowledged"]
    );
    assert_eq!(
        by(AuditFilter {
            actor: Some("ada".into()),
            ..Default::default()
        })
        .await,
        ["insight.acknowledged", "settings.updated"]
    );
    assert_eq!(
        by(AuditFilter {
            actor: Some("system".into()),
            entity_id: Some("s-1".into()),
            ..Default::default()
        })
        .await,
        ["scoring_run.finished", "sync_run.succeeded"]
    );
    // A time range is inclusive at both ends.
    assert_eq!(
        by(AuditFilter {
            from: Some(entries[1].at),
            to: Some(entries[3].at),
            ..Default::default()
        })
        .await,
        [
            "sync_run.succeeded",
            "insight.dismissed",
            "insight.acknowledged"
        ]
    );
    // The other tenant sees only its own.
    assert_eq!(
        listed(store, other, &AuditFilter::default()).await,
        ["settings.updated"]
    );
}

pub(super) async fn audit_entries_are_written_once_and_expire_after_retention<S: Store>(store: &S) {
    let acme = &tid("acme");
    let kept = entry(
        acme,
        1,
        "insight.acknowledged",
        AuditEntityKind::Insight,
        "ins-1",
        Some("ada"),
    );
    store.append_audit(&kept, 30).await.unwrap();
    assert!(
        matches!(
            store.append_audit(&kept, 30).await,
            Err(StoreError::Conflict { .. })
        ),
        "an entry is never rewritten"
    );
    // Older than its retention: expired, even before TTL deletes it.
    let old = entry(
        acme,
        40 * 24 * 60,
        "settings.updated",
        AuditEntityKind::Settings,
        "acme",
        Some("ada"),
    );
    store.append_audit(&old, 30).await.unwrap();
    let mut longer = old.clone();
    longer.id = "kept-longer".to_string();
    store.append_audit(&longer, 90).await.unwrap();
    let ids: Vec<String> = store
        .list_audit(acme, &AuditFilter::default(), &PageRequest::first(10))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, [kept.id.clone(), "kept-longer".to_string()]);
    // A cursor of one tenant is refused for another.
    for n in 0..3 {
        let mut e = kept.clone();
        e.id = format!("more-{n}");
        store.append_audit(&e, 30).await.unwrap();
    }
    let page = store
        .list_audit(acme, &AuditFilter::default(), &PageRequest::first(1))
        .await
        .unwrap();
    let cursor = page.next_cursor.expect("more than one page");
    assert!(is_invalid_input(
        store
            .list_audit(
                &tid("other"),
                &AuditFilter::default(),
                &PageRequest {
                    limit: 1,
                    cursor: Some(cursor)
                }
            )
            .await
    ));
}
