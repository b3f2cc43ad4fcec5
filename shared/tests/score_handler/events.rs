//! What the score handler puts on the bus across runs, on the in-process store and bus: nothing but
//! `ScoresUpdated` at a first scoring or when nothing changed; a `ClientHealthChanged` for a client
//! whose band dropped, an `InsightOpened` when its insight opens and an `InsightResolved` when it
//! resolves; always in one publish, `ScoresUpdated` last, every detail valid against its schema.

use super::*;
use chrono::DateTime;
use chrono::Utc;
use serde_json::Value;
use shared::domain::{HealthBand, HealthScore, MAX_MOVED_FACTORS};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn synced_as(sync: &str) -> TenantSynced {
    TenantSynced {
        sync_id: SyncId::parse(sync).unwrap(),
        changed_client_ids: Vec::new(),
        changed_clients: 0,
        ..synced()
    }
}

fn schema_errors(detail_type: &str, detail: &Value) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../events/schemas")
        .join(format!("{detail_type}.schema.json"));
    let text = std::fs::read_to_string(&path).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(detail)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect()
}

/// Scores the tenant at `at` and returns what that run published, checking what every run must
/// hold: each detail valid against its schema, exactly one `ScoresUpdated`, and it last.
async fn score(store: &MemoryStore, bus: &InProcessBus, at: DateTime<Utc>) -> Vec<ProductEvent> {
    let already = bus.published().len();
    let updated = handle_tenant_synced(store, bus, &synced_as("sync-x"), at)
        .await
        .unwrap();
    let delivered = bus.published().split_off(already);
    for event in &delivered {
        let errors = schema_errors(&event.detail_type, &event.detail);
        assert!(errors.is_empty(), "{}: {errors:?}", event.detail_type);
    }
    let events: Vec<ProductEvent> = delivered.iter().map(|d| d.event().unwrap()).collect();
    assert_eq!(
        events.last(),
        Some(&ProductEvent::ScoresUpdated(updated.clone())),
        "ScoresUpdated comes last"
    );
    let scores_updated = events
        .iter()
        .filter(|e| matches!(e, ProductEvent::ScoresUpdated(_)))
        .count();
    assert_eq!(scores_updated, 1);
    events
}

fn detail_types(events: &[ProductEvent]) -> Vec<&'static str> {
    events.iter().map(ProductEvent::detail_type).collect()
}

#[tokio::test]
async fn a_first_scoring_and_a_rerun_without_changes_emit_only_scores_updated() {
    let store = tenant_with(&[busy("busy"), dormant("dormant")]).await;
    let bus = InProcessBus::new();

    let first = score(&store, &bus, now()).await;
    // The dormant client's insight opened, but at its first scoring: that is the baseline.
    let ProductEvent::ScoresUpdated(updated) = &first[0] else {
        panic!("{first:?}")
    };
    assert!(updated.insights_opened >= 1);
    assert_eq!(detail_types(&first), ["ScoresUpdated"]);

    let again = score(&store, &bus, now() + Duration::minutes(5)).await;
    assert_eq!(detail_types(&again), ["ScoresUpdated"]);
}

#[tokio::test]
async fn a_band_drop_is_one_health_change_and_the_insight_opens_then_resolves() {
    let store = tenant_with(&[busy("a"), busy("b")]).await;
    let bus = InProcessBus::new();
    score(&store, &bus, now()).await;
    let before = store.get_score(&tenant(), &id("a")).await.unwrap().unwrap();

    // "a" goes quiet; "b" does not change.
    store
        .put_snapshots(&tenant(), &[dormant("a")])
        .await
        .unwrap();
    let quiet = score(&store, &bus, now() + Duration::hours(1)).await;

    let after = store.get_score(&tenant(), &id("a")).await.unwrap().unwrap();
    let changes: Vec<_> = quiet
        .iter()
        .filter_map(|e| match e {
            ProductEvent::ClientHealthChanged(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(changes.len(), 1, "{quiet:?}");
    let changed = changes[0];
    assert_eq!(changed.client_id, id("a"));
    assert_eq!(changed.sync_id.as_str(), "sync-x");
    assert_eq!(changed.lifecycle_stage.as_deref(), Some("customer"));
    assert_eq!(
        (
            changed.before.overall,
            changed.before.band,
            changed.before.churn_risk
        ),
        (before.overall, before.band, before.churn_risk)
    );
    assert_eq!(
        (
            changed.after.overall,
            changed.after.band,
            changed.after.churn_risk
        ),
        (after.overall, after.band, after.churn_risk)
    );
    assert!(changed.band_changed(), "{changed:?}");
    assert_eq!(before.band, HealthBand::Healthy);
    assert!(changed.overall_delta() <= -15, "{changed:?}");
    assert!(!changed.moved_factors.is_empty());
    let sizes: Vec<f64> = changed
        .moved_factors
        .iter()
        .map(|m| (m.points_after.unwrap_or(0.0) - m.points_before.unwrap_or(0.0)).abs())
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    assert!(sizes.iter().all(|s| *s >= 0.5), "{sizes:?}");
    // The listed moves are the largest of all the factors' moves in the stored scores.
    let points = |score: &HealthScore| -> BTreeMap<(String, String), f64> {
        score
            .dimensions
            .iter()
            .flat_map(|d| {
                d.factors
                    .iter()
                    .map(move |f| ((format!("{:?}", d.dimension), f.name.clone()), f.points))
            })
            .collect()
    };
    let (was, is) = (points(&before), points(&after));
    let mut all_moves: Vec<f64> = was
        .keys()
        .chain(is.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|k| (is.get(k).unwrap_or(&0.0) - was.get(k).unwrap_or(&0.0)).abs())
        .filter(|m| *m >= 0.5)
        .collect();
    all_moves.sort_by(|a, b| b.total_cmp(a));
    all_moves.truncate(MAX_MOVED_FACTORS);
    assert_eq!(sizes, all_moves);

    let inactive = insight_id(&tenant(), &id("a"), InsightRule::InactiveClient);
    let opened: Vec<_> = quiet
        .iter()
        .filter_map(|e| match e {
            ProductEvent::InsightOpened(o) => Some(&o.insight),
            _ => None,
        })
        .collect();
    assert!(
        opened.iter().any(|i| i.insight_id == inactive),
        "{opened:?}"
    );
    assert!(opened.iter().all(|i| i.client_id == id("a")));
    assert!(!quiet
        .iter()
        .any(|e| matches!(e, ProductEvent::InsightResolved(_))));
    // The change events come before ScoresUpdated, health first.
    assert_eq!(detail_types(&quiet)[0], "ClientHealthChanged");

    // "a" is back in touch: its inactivity insight resolves.
    store.put_snapshots(&tenant(), &[busy("a")]).await.unwrap();
    let back = score(&store, &bus, now() + Duration::hours(2)).await;

    let resolved: Vec<_> = back
        .iter()
        .filter_map(|e| match e {
            ProductEvent::InsightResolved(r) => Some(&r.insight),
            _ => None,
        })
        .collect();
    assert!(
        resolved.iter().any(|i| i.insight_id == inactive),
        "{resolved:?}"
    );
    assert!(!back
        .iter()
        .any(|e| matches!(e, ProductEvent::InsightOpened(_))));
    let recovered = back.iter().find_map(|e| match e {
        ProductEvent::ClientHealthChanged(c) if c.client_id == id("a") => Some(c),
        _ => None,
    });
    assert!(recovered.is_some_and(|c| c.overall_delta() > 0), "{back:?}");

    // Nothing changed since: only ScoresUpdated.
    let quiet_again = score(
        &store,
        &bus,
        now() + Duration::hours(2) + Duration::minutes(5),
    )
    .await;
    assert_eq!(detail_types(&quiet_again), ["ScoresUpdated"]);
}
