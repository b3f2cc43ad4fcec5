//! Scoring settings: read, replaced with a version, validated.

use super::*;
use shared::ports::SettingsHistoryStore;

#[tokio::test]
async fn settings_are_read_and_replaced_with_a_version() {
    let api = TestApi::new();
    seed(&api).await;
    let current = api.get("/v1/settings").await.ok();
    assert_eq!(current["version"], 0);
    assert_eq!(current["settings"]["thresholds"]["inactive_days"], 30);

    let mut settings = current["settings"].clone();
    settings["thresholds"]["inactive_days"] = json!(45);
    let updated = api
        .call(
            "PUT",
            "/v1/settings",
            Some(TENANT_A),
            Some(json!({"settings": settings, "version": 0})),
        )
        .await
        .ok();
    assert_eq!(updated["version"], 1);
    assert_eq!(updated["settings"]["thresholds"]["inactive_days"], 45);
    assert_eq!(updated["settings_changed_at"], "2026-11-26T10:00:00Z");

    let stored = api.store.get_tenant(&tenant_id(TENANT_A)).await.unwrap();
    assert_eq!(stored.settings.thresholds.inactive_days, 45);
    assert_eq!(stored.settings_changed_at, now());

    // Writing against the old version is a conflict and changes nothing.
    settings["thresholds"]["inactive_days"] = json!(60);
    api.call(
        "PUT",
        "/v1/settings",
        Some(TENANT_A),
        Some(json!({"settings": settings, "version": 0})),
    )
    .await
    .problem(StatusCode::CONFLICT);
    let stored = api.store.get_tenant(&tenant_id(TENANT_A)).await.unwrap();
    assert_eq!(stored.settings.thresholds.inactive_days, 45);
}

#[tokio::test]
async fn invalid_settings_name_the_field() {
    let api = TestApi::new();
    seed(&api).await;
    let current = api.get("/v1/settings").await.ok();
    let cases = [
        (
            "/thresholds/inactive_days",
            json!(0),
            "thresholds.inactive_days",
        ),
        ("/weights/crm", json!(0.9), "weights"),
        ("/window_days", json!(1000), "window_days"),
        (
            "/thresholds/low_response_ratio",
            json!(1.5),
            "thresholds.low_response_ratio",
        ),
    ];
    for (pointer, value, field) in cases {
        let mut settings = current["settings"].clone();
        *settings.pointer_mut(pointer).unwrap() = value;
        let problem = api
            .call(
                "PUT",
                "/v1/settings",
                Some(TENANT_A),
                Some(json!({"settings": settings})),
            )
            .await
            .problem(StatusCode::BAD_REQUEST);
        assert_eq!(problem["field"], field, "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(field),
            "{problem}"
        );
    }
    // A member of the wrong type is caught while parsing, naming where.
    let mut settings = current["settings"].clone();
    settings["window_days"] = json!("ninety");
    let problem = api
        .call(
            "PUT",
            "/v1/settings",
            Some(TENANT_A),
            Some(json!({"settings": settings})),
        )
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("settings.window_days"),
        "{problem}"
    );

    let stored = api.store.get_tenant(&tenant_id(TENANT_A)).await.unwrap();
    assert_eq!(stored.version, 0, "nothing was written");
}

#[tokio::test]
async fn settings_of_a_tenant_that_never_connected_are_not_found() {
    let api = TestApi::new();
    api.call("GET", "/v1/settings", Some("hs-nobody"), None)
        .await
        .problem(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn each_accepted_change_is_a_kept_version_listed_newest_first() {
    let api = TestApi::new();
    seed(&api).await;
    let current = api.get("/v1/settings").await.ok();
    assert_eq!(current["settings"]["version"], 0);
    let put = |body: Value| {
        let api = &api;
        async move {
            api.call("PUT", "/v1/settings", Some(TENANT_A), Some(body))
                .await
                .ok()
        }
    };
    let mut settings = current["settings"].clone();
    settings["thresholds"]["inactive_days"] = json!(45);
    // A version sent by the caller is not kept: the store sets it.
    settings["version"] = json!(77);
    let first = put(json!({ "settings": settings })).await;
    assert_eq!(first["settings"]["version"], 1);
    // The same settings again change nothing: no new version.
    let same = put(json!({ "settings": first["settings"] })).await;
    assert_eq!(same["settings"]["version"], 1);
    let alerting_only = put(json!({
        "settings": first["settings"],
        "alerting": {"time_zone": "Europe/Paris", "digest_hour": 8, "burst_digest_threshold": 10}
    }))
    .await;
    assert_eq!(alerting_only["settings"]["version"], 2);

    let versions = api.get("/v1/settings/versions").await.ok();
    let items = versions["items"].as_array().unwrap();
    let numbers: Vec<u64> = items
        .iter()
        .map(|v| v["version"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [2, 1, 0]);
    assert_eq!(items[0]["sections"], json!(["alerting"]));
    assert_eq!(items[1]["sections"], json!(["settings"]));
    assert!(items[1]["changed_by"].is_string());
    assert_eq!(items[2]["changed_by"], Value::Null);
    let kept = api
        .store
        .get_settings_version(&tenant_id(TENANT_A), 1)
        .await
        .unwrap();
    assert_eq!(kept.settings.thresholds.inactive_days, 45);
    let before = api
        .store
        .get_settings_version(&tenant_id(TENANT_A), 0)
        .await
        .unwrap();
    assert_eq!(before.settings.thresholds.inactive_days, 30);
}

#[tokio::test]
async fn a_bad_segment_is_refused_naming_it() {
    let api = TestApi::new();
    seed(&api).await;
    let mut settings = api.get("/v1/settings").await.ok()["settings"].clone();
    settings["segments"] = json!([{
        "id": "gold", "name": "Gold",
        "rule": {"revenue_min": 100000.0},
        "weights": {"crm": 0.9, "payment": 0.9, "usage": 0.0, "support": 0.0}
    }]);
    let problem = api
        .call(
            "PUT",
            "/v1/settings",
            Some(TENANT_A),
            Some(json!({ "settings": settings })),
        )
        .await
        .problem(StatusCode::BAD_REQUEST);
    assert_eq!(problem["field"], "segments", "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("segment 1 (`gold`)"),
        "{problem}"
    );
}
