//! The overview's trends, the settings preview and the sync history's filters and counts.

use super::*;
use shared::domain::{ClientSnapshot, Platform, TrendPoint};
use shared::ports::SnapshotStore;

fn trend_summary(days_ago: i64, clients: u64) -> TenantSummary {
    TenantSummary {
        clients,
        overall_sum: clients * 60,
        clients_by_band: Default::default(),
        open_insights: Default::default(),
        computed_at: now() - Duration::days(days_ago),
        version: 0,
    }
}

#[tokio::test]
async fn trends_list_the_days_asked_for_oldest_first() {
    let api = TestApi::new();
    seed(&api).await;
    let a = tenant_id(TENANT_A);
    for days_ago in [0, 1, 30, 89, 90, 120] {
        let point = TrendPoint::of(&trend_summary(days_ago, days_ago as u64 + 1));
        api.store.put_trend_point(&a, &point, 400).await.unwrap();
    }
    let default = api.get("/v1/overview/trends").await.ok();
    let clients: Vec<u64> = default["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["clients"].as_u64().unwrap())
        .collect();
    // 90 days, today included: 89 days ago is the first.
    assert_eq!(clients, [90, 31, 2, 1]);
    assert_eq!(default["to"], "2026-11-26");
    assert_eq!(default["from"], "2026-08-29");
    assert_eq!(default["points"][3]["average_health"], 60.0);
    assert_eq!(default["points"][3]["day"], "2026-11-26");
    let week = api.get("/v1/overview/trends?days=7").await.ok();
    assert_eq!(week["points"].as_array().unwrap().len(), 2);
    for bad in ["0", "366", "x"] {
        let reply = api.get(&format!("/v1/overview/trends?days={bad}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "days={bad}");
    }
    let other = api
        .call("GET", "/v1/overview/trends", Some(TENANT_B), None)
        .await
        .ok();
    assert_eq!(other["points"], json!([]));
}

/// A customer in touch every day whose contacts never answer: strong on CRM, weak on usage.
fn one_sided(client: &str) -> ClientSnapshot {
    let engagements: Vec<Value> = (0..12)
        .map(|n| {
            json!({"id": format!("{client}-e{n}"), "kind": "email", "direction": "outbound",
                   "occurred_at": (now() - Duration::days(n)).to_rfc3339(),
                   "contact_ids": ["k1"]})
        })
        .collect();
    serde_json::from_value(json!({
        "client_id": client, "name": client, "lifecycle_stage": "customer",
        "contacts": [{"id": "k1"}, {"id": "k2"}, {"id": "k3"}, {"id": "k4"}],
        "engagements": engagements, "updated_at": now().to_rfc3339()
    }))
    .unwrap()
}

fn weights(crm: f64, usage: f64) -> Value {
    let mut settings = serde_json::to_value(ScoringSettings::default()).unwrap();
    settings["weights"] = json!({"crm": crm, "payment": 0.0, "usage": usage, "support": 0.0});
    json!({ "settings": settings })
}

fn band_total(bands: &Value) -> u64 {
    ["healthy", "watch", "at_risk", "critical"]
        .iter()
        .map(|b| bands[b].as_u64().unwrap())
        .sum()
}

#[tokio::test]
async fn a_settings_preview_counts_band_changes_and_saves_nothing() {
    let api = TestApi::new();
    seed(&api).await;
    let a = tenant_id(TENANT_A);
    api.store
        .put_snapshots(&a, &[one_sided("p-1"), one_sided("p-2")])
        .await
        .unwrap();
    let before = api.get("/v1/settings").await.ok();
    let preview = |body: Value| {
        let api = &api;
        async move {
            api.call("POST", "/v1/settings/preview", Some(TENANT_A), Some(body))
                .await
        }
    };

    let same = preview(json!({ "settings": before["settings"] }))
        .await
        .ok();
    assert_eq!(same["clients"], 2);
    assert_eq!(same["clients_changing_band"], 0);
    assert_eq!(same["moves"], json!([]));

    let crm_only = preview(weights(1.0, 0.0)).await.ok();
    let usage_only = preview(weights(0.0, 1.0)).await.ok();
    assert_ne!(crm_only["bands_proposed"], usage_only["bands_proposed"]);
    for reply in [&crm_only, &usage_only] {
        assert_eq!(band_total(&reply["bands_now"]), 2);
        assert_eq!(band_total(&reply["bands_proposed"]), 2);
        let moves = reply["moves"].as_array().unwrap();
        let moved: u64 = moves.iter().map(|m| m["clients"].as_u64().unwrap()).sum();
        assert_eq!(reply["clients_changing_band"].as_u64().unwrap(), moved);
        // Each band after = before - clients leaving it + clients coming in.
        for band in ["healthy", "watch", "at_risk", "critical"] {
            let out: u64 = moves
                .iter()
                .filter(|m| m["from"] == band)
                .map(|m| m["clients"].as_u64().unwrap())
                .sum();
            let came: u64 = moves
                .iter()
                .filter(|m| m["to"] == band)
                .map(|m| m["clients"].as_u64().unwrap())
                .sum();
            assert_eq!(
                reply["bands_proposed"][band].as_u64().unwrap() + out,
                reply["bands_now"][band].as_u64().unwrap() + came,
                "{band}: {reply:#}"
            );
        }
    }
    assert!(
        crm_only["clients_changing_band"].as_u64().unwrap()
            + usage_only["clients_changing_band"].as_u64().unwrap()
            > 0
    );

    // Refused as PUT refuses, naming the field; nothing was saved either way.
    let refused = preview(weights(0.7, 0.7)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.json()["field"], "weights");
    assert_eq!(api.get("/v1/settings").await.ok(), before);
}

#[tokio::test]
async fn sync_runs_filter_by_status_and_connection_and_carry_connection_counts() {
    let api = TestApi::new();
    seed(&api).await;
    let mut paypal = sync_run(
        TENANT_A,
        "20261126T093000000Z-00000003",
        SyncStatus::Succeeded,
        30,
    );
    paypal.connection_id = Some(shared::domain::ConnectionId::parse("paypal-1").unwrap());
    paypal.platform = Some(Platform::Paypal);
    paypal.count_records(&[("seen", 140), ("written", 12), ("removed", 0)]);
    paypal.count_records(&[("seen", 10)]);
    api.store.put_sync_run(&paypal).await.unwrap();

    let all = api.get("/v1/sync-runs").await.ok();
    assert_eq!(all["items"].as_array().unwrap().len(), 3);
    assert_eq!(all["items"][0]["platform"], "paypal");
    assert_eq!(
        all["items"][0]["records"],
        json!({"seen": 150, "written": 12, "removed": 0})
    );
    let failed = api.get("/v1/sync-runs?status=failed").await.ok();
    assert_eq!(ids(&failed), ["20261126T090000000Z-00000002"]);
    let of_paypal = api.get("/v1/sync-runs?connection=paypal-1").await.ok();
    assert_eq!(ids(&of_paypal), ["20261126T093000000Z-00000003"]);
    let of_portal = api
        .get("/v1/sync-runs?connection=hubspot&status=succeeded")
        .await
        .ok();
    assert_eq!(ids(&of_portal), ["20261126T080000000Z-00000001"]);
    let bad = api.get("/v1/sync-runs?status=sleeping").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_settings_preview_scores_a_segment_with_its_own_weights() {
    let api = TestApi::new();
    seed(&api).await;
    api.store
        .put_snapshots(&tenant_id(TENANT_A), &[one_sided("p-1"), one_sided("p-2")])
        .await
        .unwrap();
    let preview = |body: Value| {
        let api = &api;
        async move {
            api.call("POST", "/v1/settings/preview", Some(TENANT_A), Some(body))
                .await
                .ok()
        }
    };
    let crm_only = preview(weights(1.0, 0.0)).await;
    let usage_only = preview(weights(0.0, 1.0)).await;
    assert_ne!(crm_only["bands_proposed"], usage_only["bands_proposed"]);
    // Usage-only for the tenant, CRM-only for its customers (both clients are customers).
    let mut segmented = weights(0.0, 1.0);
    segmented["settings"]["segments"] = json!([{
        "id": "customers", "name": "Customers",
        "rule": {"lifecycle_stages": ["customer"]},
        "weights": {"crm": 1.0, "payment": 0.0, "usage": 0.0, "support": 0.0}
    }]);
    let preview_segmented = preview(segmented).await;
    assert_eq!(
        preview_segmented["bands_proposed"],
        crm_only["bands_proposed"]
    );
}
