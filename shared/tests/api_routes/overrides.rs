//! Users' overrides of a client through the API: set, listed, shown on the client, replaced,
//! removed; validated into 400 problems; editors only; audited without the reason's text.

use super::*;

fn body(value: Value, reason: &str, days: i64) -> Value {
    let mut body = value;
    body["reason"] = json!(reason);
    body["expires_at"] = json!((now() + Duration::days(days)).to_rfc3339());
    body
}

async fn put(api: &TestApi, path: &str, body: Value) -> Reply {
    api.call("PUT", path, Some(TENANT_A), Some(body)).await
}

async fn audit_actions(api: &TestApi) -> Vec<Value> {
    let page = api
        .call_as("GET", "/v1/audit", Some(TENANT_A), Some("editor"), None)
        .await
        .ok();
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_override_is_set_listed_shown_on_the_client_and_removed() {
    let api = TestApi::new();
    seed(&api).await;
    let set = put(
        &api,
        "/v1/clients/c-risk/overrides/sentiment",
        body(
            json!({"sentiment": "negative"}),
            "Told us they are leaving",
            30,
        ),
    )
    .await
    .ok();
    assert_eq!(set["kind"], "sentiment");
    assert_eq!(set["value"], json!({"sentiment": "negative"}));
    assert_eq!(set["set_by"], format!("user-of-{TENANT_A}"));
    put(
        &api,
        "/v1/clients/c-risk/overrides/usage",
        body(json!({"score": 35}), "Usage data lags a migration", 10),
    )
    .await
    .ok();

    let listed = api.get("/v1/clients/c-risk/overrides").await.ok();
    let kinds: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["sentiment", "usage"]);
    let detail = api.get("/v1/clients/c-risk").await.ok();
    assert_eq!(detail["overrides"].as_array().unwrap().len(), 2);
    assert_eq!(
        detail["overrides"][1]["reason"],
        "Usage data lags a migration"
    );

    // Setting it again replaces it.
    put(
        &api,
        "/v1/clients/c-risk/overrides/usage",
        body(json!({"score": 50}), "Checked again", 10),
    )
    .await
    .ok();
    let listed = api.get("/v1/clients/c-risk/overrides").await.ok();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    assert_eq!(listed["items"][1]["value"], json!({"score": 50}));

    let removed = api
        .call(
            "DELETE",
            "/v1/clients/c-risk/overrides/usage",
            Some(TENANT_A),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let listed = api.get("/v1/clients/c-risk/overrides").await.ok();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    // Another tenant sees none of them.
    let other = api
        .call("GET", "/v1/clients/c-risk/overrides", Some(TENANT_B), None)
        .await
        .ok();
    assert!(other["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn bad_overrides_are_400_problems_naming_what_is_wrong() {
    let api = TestApi::new();
    seed(&api).await;
    let field = |reply: Reply| reply.problem(StatusCode::BAD_REQUEST);
    let p = field(
        put(
            &api,
            "/v1/clients/c-risk/overrides/overall",
            body(json!({"score": 10}), "r", 5),
        )
        .await,
    );
    assert_eq!(p["parameter"], "kind", "{p}");
    let cases = [
        (
            "sentiment",
            json!({"sentiment": "furious"}),
            "r",
            5,
            "sentiment",
        ),
        ("sentiment", json!({"score": 10}), "r", 5, "sentiment"),
        ("crm", json!({"score": 101}), "r", 5, "score"),
        ("crm", json!({"score": -1}), "r", 5, "score"),
        ("crm", json!({"sentiment": "positive"}), "r", 5, "score"),
        ("crm", json!({"score": 10}), "  ", 5, "reason"),
        ("crm", json!({"score": 10}), "r", -1, "expires_at"),
        ("crm", json!({"score": 10}), "r", 367, "expires_at"),
    ];
    for (kind, value, reason, days, expected) in cases {
        let reply = put(
            &api,
            &format!("/v1/clients/c-risk/overrides/{kind}"),
            body(value.clone(), reason, days),
        )
        .await;
        let p = field(reply);
        assert_eq!(p["field"], expected, "{kind} {value}: {p}");
    }
    let long = "x".repeat(501);
    let p = field(
        put(
            &api,
            "/v1/clients/c-risk/overrides/crm",
            body(json!({"score": 10}), &long, 5),
        )
        .await,
    );
    assert_eq!(p["field"], "reason");
    // Nothing was written, and an unknown client is a 404.
    let listed = api.get("/v1/clients/c-risk/overrides").await.ok();
    assert!(listed["items"].as_array().unwrap().is_empty());
    put(
        &api,
        "/v1/clients/c-nobody/overrides/crm",
        body(json!({"score": 10}), "r", 5),
    )
    .await
    .problem(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn viewers_read_overrides_and_only_editors_change_them() {
    let api = TestApi::new();
    seed(&api).await;
    let path = "/v1/clients/c-risk/overrides/crm";
    let viewer = api
        .call_as(
            "PUT",
            path,
            Some(TENANT_A),
            Some("viewer"),
            Some(body(json!({"score": 10}), "r", 5)),
        )
        .await;
    viewer.problem(StatusCode::FORBIDDEN);
    let viewer_delete = api
        .call_as("DELETE", path, Some(TENANT_A), Some("viewer"), None)
        .await;
    viewer_delete.problem(StatusCode::FORBIDDEN);
    api.call_as(
        "PUT",
        path,
        Some(TENANT_A),
        Some("editor"),
        Some(body(json!({"score": 10}), "r", 5)),
    )
    .await
    .ok();
    api.call_as(
        "GET",
        "/v1/clients/c-risk/overrides",
        Some(TENANT_A),
        Some("viewer"),
        None,
    )
    .await
    .ok();
}

#[tokio::test]
async fn the_audit_trail_records_who_set_and_removed_an_override_never_the_reason() {
    let api = TestApi::new();
    seed(&api).await;
    let path = "/v1/clients/c-risk/overrides/support";
    put(
        &api,
        path,
        body(json!({"score": 20}), "Jane Doe is unhappy", 30),
    )
    .await
    .ok();
    put(
        &api,
        path,
        body(json!({"score": 30}), "Jane Doe calmed down", 30),
    )
    .await
    .ok();
    api.call("DELETE", path, Some(TENANT_A), None).await;
    // Removing what is not there records nothing.
    api.call("DELETE", path, Some(TENANT_A), None).await;

    let entries = audit_actions(&api).await;
    // One clock in the test: the three entries share a time, so they are found by what they hold.
    let mut actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    actions.sort_unstable();
    assert_eq!(
        actions,
        ["override.removed", "override.set", "override.set"]
    );
    let replaced = entries
        .iter()
        .find(|e| e["action"] == "override.set" && e.get("before").is_some())
        .expect("the second set records what it replaced");
    assert_eq!(replaced["entity"], "client_override");
    assert_eq!(replaced["entity_id"], "c-risk/support");
    assert_eq!(replaced["actor"], format!("user-of-{TENANT_A}"));
    assert_eq!(replaced["before"]["value"], json!({"score": 20}));
    assert_eq!(replaced["after"]["value"], json!({"score": 30}));
    assert_eq!(replaced["after"]["reason_given"], true);
    let removed = entries
        .iter()
        .find(|e| e["action"] == "override.removed")
        .unwrap();
    assert_eq!(removed["before"]["value"], json!({"score": 30}));
    let text = serde_json::to_string(&entries).unwrap();
    assert!(
        !text.contains("Jane"),
        "a reason's text reached the audit trail: {text}"
    );
}
