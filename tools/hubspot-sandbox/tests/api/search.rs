//! Search: filters, sorts, paging, the 10,000-result cap and the lag of fresh writes.

use super::*;

#[tokio::test]
async fn search_filters_sorts_and_pages_like_hubspot() {
    let sandbox = Sandbox::start(fast(SandboxConfig::demo(9)))
        .await
        .expect("starts");
    let companies = sandbox.records("companies");
    // A modified-date window, walked in hs_object_id order, finds exactly the companies modified in it.
    let mut dates: Vec<i64> = companies
        .iter()
        .map(|c| c.updated_at.timestamp_millis())
        .collect();
    dates.sort_unstable();
    let (low, high) = (dates[dates.len() / 4], dates[dates.len() * 3 / 4]);
    let expected: Vec<String> = companies
        .iter()
        .filter(|c| (low..=high).contains(&c.updated_at.timestamp_millis()))
        .map(|c| c.id.clone())
        .collect();
    let mut found = Vec::new();
    let mut after = 0usize;
    loop {
        let (status, page) = search(
            &sandbox,
            "companies",
            &json!({
                "filterGroups": [{"filters": [
                    {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": low.to_string()},
                    {"propertyName": "hs_lastmodifieddate", "operator": "LTE", "value": high.to_string()}
                ]}],
                "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                "properties": ["name"], "limit": 30, "after": after.to_string()
            }),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(page["total"].as_u64(), Some(expected.len() as u64));
        found.extend(
            page["results"]
                .as_array()
                .expect("results")
                .iter()
                .map(|r| r["id"].as_str().expect("id").to_owned()),
        );
        match page["paging"]["next"]["after"].as_str() {
            Some(next) => after = next.parse().expect("integer after"),
            None => break,
        }
    }
    assert_eq!(found, expected);

    // OR of groups, IN, and a descending sort on a numeric property.
    let (status, page) = search(
        &sandbox,
        "tickets",
        &json!({
            "filterGroups": [
                {"filters": [{"propertyName": "hs_ticket_priority", "operator": "IN", "values": ["URGENT", "HIGH"]}]},
                {"filters": [{"propertyName": "hs_pipeline_stage", "operator": "EQ", "value": "1"}]}
            ],
            "sorts": [{"propertyName": "createdate", "direction": "DESCENDING"}],
            "properties": ["hs_ticket_priority", "hs_pipeline_stage"], "limit": 200
        }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let tickets = sandbox.records("tickets");
    let prop = |r: &hubspot_sandbox::SandboxRecord, n: &str| {
        r.properties.get(n).cloned().flatten().unwrap_or_default()
    };
    let mut expected: Vec<_> = tickets
        .iter()
        .filter(|t| {
            ["URGENT", "HIGH"].contains(&prop(t, "hs_ticket_priority").as_str())
                || prop(t, "hs_pipeline_stage") == "1"
        })
        .collect();
    expected.sort_by_key(|t| {
        std::cmp::Reverse((t.created_at, t.id.parse::<u64>().unwrap_or_default()))
    });
    let ids: Vec<&str> = page["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    let expected_ids: Vec<&str> = expected.iter().take(200).map(|t| t.id.as_str()).collect();
    assert!(!ids.is_empty());
    assert_eq!(ids, expected_ids);

    let (status, error) = search(&sandbox, "tickets", &json!({"limit": 201})).await;
    assert_eq!(
        (status, error["category"].as_str()),
        (StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"))
    );
    let (status, _) = search(
        &sandbox,
        "tickets",
        &json!({"sorts": ["createdate", "-hs_object_id"]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn search_stops_at_ten_thousand_results_with_a_400() {
    let config = SandboxConfig {
        contacts: 10_050,
        ..fast(SandboxConfig::small(10))
    };
    let sandbox = Sandbox::start(config).await.expect("starts");
    let (status, page) = search(
        &sandbox,
        "contacts",
        &json!({"limit": 200, "after": "9900"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 10_050);
    assert_eq!(
        page["results"].as_array().map(Vec::len),
        Some(100),
        "results end at the 10,000th"
    );
    assert_eq!(page["paging"]["next"]["after"], "10000");
    let (status, error) = search(
        &sandbox,
        "contacts",
        &json!({"limit": 10, "after": "10000"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["status"], "error");
    assert_eq!(error["category"], "VALIDATION_ERROR");
    assert!(error["correlationId"]
        .as_str()
        .is_some_and(|c| c.len() == 36));
    assert!(error["message"]
        .as_str()
        .is_some_and(|m| m.contains("10000")));
}

#[tokio::test]
async fn fresh_writes_stay_out_of_search_for_the_configured_lag() {
    let config = SandboxConfig {
        search_lag_ms: 60_000,
        ..fast(SandboxConfig::small(19))
    };
    let sandbox = Sandbox::start(config).await.expect("starts");
    let before = chrono::Utc::now().timestamp_millis();
    let deal = sandbox.records("deals")[0].id.clone();
    assert!(sandbox.update_property("deals", &deal, "amount", Some("123")));
    let changed = sandbox
        .records("deals")
        .into_iter()
        .find(|d| d.id == deal)
        .expect("still there");
    assert_eq!(
        changed.properties.get("amount"),
        Some(&Some("123".to_owned()))
    );
    assert!(changed.updated_at.timestamp_millis() >= before);
    let request = json!({"filterGroups": [{"filters": [
        {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": before.to_string()}
    ]}]});
    let (status, page) = search(&sandbox, "deals", &request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 0, "the index has not caught up yet");
    // Reading the record itself sees the change at once.
    let path = format!("/crm/v3/objects/deals/{deal}?properties=amount");
    let read = body(get(&sandbox, &sandbox.private_app_token(), &path).await).await;
    assert_eq!(read["properties"]["amount"], "123");
}
