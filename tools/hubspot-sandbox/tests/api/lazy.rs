//! The lazily built largest preset (scaled down) over HTTP: the same endpoints, caps and limits as
//! the eager presets, with nothing held but what the run changed.

use super::*;

/// 500 companies, 5,000 contacts, 1,000 deals, 500 tickets and 25,000 engagements, lazily.
fn lazy_portal() -> SandboxConfig {
    fast(SandboxConfig::largest_scaled(4, 0.005))
}

fn ids_of(records: &[Value]) -> Vec<u64> {
    records
        .iter()
        .filter_map(|r| r["id"].as_str()?.parse().ok())
        .collect()
}

#[tokio::test]
async fn a_lazy_portal_lists_every_record_once_with_associations_both_ways() {
    let sandbox = Sandbox::start(lazy_portal()).await.expect("starts");
    assert_eq!(sandbox.record_count("contacts"), 5_000);
    let (contacts, pages) = walk(&sandbox, "contacts", "limit=100&associations=companies").await;
    assert_eq!((contacts.len(), pages), (5_000, 50));
    let ids = ids_of(&contacts);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "in id order, once each"
    );

    let token = sandbox.private_app_token();
    let linked: Vec<(&Value, String)> = contacts
        .iter()
        .filter_map(|c| {
            let company = c["associations"]["companies"]["results"][0]["id"].as_str()?;
            Some((c, company.to_owned()))
        })
        .take(20)
        .collect();
    assert_eq!(linked.len(), 20);
    for (contact, company) in linked {
        let response = get(
            &sandbox,
            &token,
            &format!("/crm/v3/objects/companies/{company}?associations=contacts"),
        )
        .await;
        let company = body(response).await;
        let back: Vec<&str> = company["associations"]["contacts"]["results"]
            .as_array()
            .expect("the company lists contacts")
            .iter()
            .filter_map(|a| a["id"].as_str())
            .collect();
        assert!(back.contains(&contact["id"].as_str().unwrap_or_default()));
    }
    assert_eq!(sandbox.materialised_records(), 0, "reading holds nothing");
}

#[tokio::test]
async fn an_incremental_search_on_a_lazy_portal_finds_what_changed_within_the_cap() {
    let sandbox = Sandbox::start(lazy_portal()).await.expect("starts");
    let since = chrono::Utc::now().timestamp_millis() - 1_000;
    let touched = sandbox.touch_random("deals", 7);
    assert_eq!(sandbox.materialised_records(), 7);
    let (status, page) = search(
        &sandbox,
        "deals",
        &json!({
            "filterGroups": [{"filters": [
                {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": since.to_string()}
            ]}],
            "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
            "limit": 200
        }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 7);
    let found: Vec<String> = ids_of(page["results"].as_array().expect("results"))
        .into_iter()
        .map(|id| id.to_string())
        .collect();
    assert_eq!(found, touched);

    // Over the whole base: the total, and nothing past 10,000 results however it is paged.
    let sandbox = Sandbox::start(fast(SandboxConfig::largest_scaled(4, 0.01)))
        .await
        .expect("starts");
    let (status, page) = search(&sandbox, "emails", &json!({"limit": 200, "after": 9_900})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        page["total"], 17_500,
        "35 % of 50,000 engagements are emails"
    );
    assert_eq!(page["results"].as_array().map(Vec::len), Some(100));
    assert!(page["paging"]["next"]["after"].is_string());
    let (status, _) = search(&sandbox, "emails", &json!({"limit": 10, "after": 10_000})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_lazy_portal_keeps_the_rate_limit() {
    let sandbox = Sandbox::start(SandboxConfig {
        rate_limit_per_ten_seconds: 3,
        ..SandboxConfig::largest_scaled(4, 0.001)
    })
    .await
    .expect("starts");
    let token = sandbox.private_app_token();
    for _ in 0..3 {
        let response = get(&sandbox, &token, "/crm/v3/objects/companies?limit=100").await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let refused = get(&sandbox, &token, "/crm/v3/objects/companies?limit=100").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        refused
            .headers()
            .get("x-hubspot-ratelimit-remaining")
            .and_then(|v| v.to_str().ok()),
        Some("0")
    );
}
