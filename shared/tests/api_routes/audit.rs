//! The audit trail through the API: each change records one entry (who, role, before and after,
//! the request), `GET /v1/audit` lists them newest first with filters, and the retention is a
//! validated setting.

use super::*;

async fn audit(api: &TestApi, query: &str) -> Value {
    api.call_as(
        "GET",
        &format!("/v1/audit{query}"),
        Some(TENANT_A),
        Some("editor"),
        None,
    )
    .await
    .ok()
}

#[tokio::test]
async fn a_settings_change_writes_one_entry_with_before_after_and_the_request() {
    let api = TestApi::new();
    seed(&api).await;
    let current = api.get("/v1/settings").await.ok();
    let mut settings = current["settings"].clone();
    settings["thresholds"]["inactive_days"] = json!(45);
    api.call(
        "PUT",
        "/v1/settings",
        Some(TENANT_A),
        Some(json!({"settings": settings, "version": 0})),
    )
    .await
    .ok();

    let page = audit(&api, "").await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    let entry = &items[0];
    assert_eq!(entry["action"], "settings.updated");
    assert_eq!(entry["entity"], "settings");
    assert_eq!(entry["entity_id"], TENANT_A);
    assert_eq!(entry["actor"], format!("user-of-{TENANT_A}"));
    assert_eq!(entry["role"], "admin");
    assert_eq!(entry["at"], "2026-11-26T10:00:00Z");
    // API Gateway's request id of the sample request.
    assert_eq!(entry["request_id"], "K9xQ1jY2IAMEb7A=");
    // Only the section that changed, before and after.
    assert_eq!(
        entry["before"]["settings"]["thresholds"]["inactive_days"],
        30
    );
    assert_eq!(
        entry["after"]["settings"]["thresholds"]["inactive_days"],
        45
    );
    assert!(entry["before"].get("alerting").is_none(), "{entry}");

    // The same settings again change nothing, and record nothing.
    api.call(
        "PUT",
        "/v1/settings",
        Some(TENANT_A),
        Some(json!({"settings": settings})),
    )
    .await
    .ok();
    assert_eq!(audit(&api, "").await["items"].as_array().unwrap().len(), 1);
    // The other tenant's trail is its own.
    let other = api
        .call_as("GET", "/v1/audit", Some(TENANT_B), Some("admin"), None)
        .await
        .ok();
    assert_eq!(other["items"], json!([]));
}

#[tokio::test]
async fn triage_is_recorded_and_the_trail_filters_and_pages() {
    let api = TestApi::new();
    seed(&api).await;
    for (id, status) in [
        ("ins-c-critical-inactive_client", "acknowledged"),
        ("ins-c-risk-declining_engagement", "dismissed"),
        ("ins-c-critical-inactive_client", "open"),
    ] {
        api.call_as(
            "PATCH",
            &format!("/v1/insights/{id}"),
            Some(TENANT_A),
            Some("editor"),
            Some(json!({"status": status})),
        )
        .await
        .ok();
    }
    api.call_as("POST", "/v1/sync", Some(TENANT_A), Some("editor"), None)
        .await;

    let page = audit(&api, "?entity=insight").await;
    // The test clock is pinned, so the three entries share one time: their order among themselves
    // is the entry ids'. What is checked is that all three are there, each once.
    let mut actions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    actions.sort_unstable();
    assert_eq!(
        actions,
        [
            "insight.acknowledged",
            "insight.dismissed",
            "insight.reopened"
        ]
    );
    let first = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "insight.acknowledged")
        .unwrap();
    assert_eq!(first["role"], "editor");
    assert_eq!(first["before"]["status"], "open");
    assert_eq!(first["after"]["status"], "acknowledged");

    let one = audit(&api, "?action=insight.dismissed").await;
    assert_eq!(
        one["items"][0]["entity_id"],
        "ins-c-risk-declining_engagement"
    );
    let by_id = audit(
        &api,
        "?entity=insight&entity_id=ins-c-critical-inactive_client",
    )
    .await;
    assert_eq!(by_id["items"].as_array().unwrap().len(), 2);
    let nobody = audit(&api, "?actor=someone-else").await;
    assert_eq!(nobody["items"], json!([]));

    // Paging: one at a time, each once.
    let mut seen = Vec::new();
    let mut query = "?limit=1&entity=insight".to_string();
    loop {
        let page = audit(&api, &query).await;
        seen.push(page["items"][0]["id"].as_str().unwrap().to_string());
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("?limit=1&entity=insight&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 3);
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 3);

    // A time range after every entry is empty; before is refused when from > to.
    let later = audit(&api, "?from=2026-11-27T00:00:00Z").await;
    assert_eq!(later["items"], json!([]));
    let problem = api
        .call_as(
            "GET",
            "/v1/audit?from=2026-11-27T00:00:00Z&to=2026-11-26T00:00:00Z",
            Some(TENANT_A),
            Some("editor"),
            None,
        )
        .await
        .problem(StatusCode::BAD_REQUEST);
    assert_eq!(problem["parameter"], "from");
    api.call_as(
        "GET",
        "/v1/audit?entity=nope",
        Some(TENANT_A),
        Some("editor"),
        None,
    )
    .await
    .problem(StatusCode::BAD_REQUEST);

    // Viewers do not read the trail.
    let problem = api
        .call_as("GET", "/v1/audit", Some(TENANT_A), Some("viewer"), None)
        .await
        .problem(StatusCode::FORBIDDEN);
    assert_eq!(problem["required_role"], "editor");
}

#[tokio::test]
async fn the_audit_retention_is_a_validated_setting() {
    let api = TestApi::new();
    seed(&api).await;
    let current = api.get("/v1/settings").await.ok();
    assert_eq!(current["audit"]["retention_days"], 365);
    for bad in [0, 29, 3651] {
        let problem = api
            .call(
                "PUT",
                "/v1/settings",
                Some(TENANT_A),
                Some(json!({"settings": current["settings"], "audit": {"retention_days": bad}})),
            )
            .await
            .problem(StatusCode::BAD_REQUEST);
        assert_eq!(problem["field"], "audit.retention_days");
    }
    let updated = api
        .call(
            "PUT",
            "/v1/settings",
            Some(TENANT_A),
            Some(json!({"settings": current["settings"], "audit": {"retention_days": 730}})),
        )
        .await
        .ok();
    assert_eq!(updated["audit"]["retention_days"], 730);
    let stored = api.store.get_tenant(&tenant_id(TENANT_A)).await.unwrap();
    assert_eq!(stored.audit.retention_days, 730);
    let entry = &audit(&api, "?action=settings.updated").await["items"][0];
    assert_eq!(entry["before"]["audit"]["retention_days"], 365);
    assert_eq!(entry["after"]["audit"]["retention_days"], 730);
}
