use crate::{access_token, get, get_json, small, start, token};
use ninjaone_sandbox::{SandboxConfig, PLACEHOLDER_SERIALS};
use serde_json::{json, Value};

#[tokio::test]
async fn both_token_paths_issue_tokens_with_expires_in() {
    let sandbox = start(small()).await;
    for path in ["/ws/oauth/token", "/oauth/token"] {
        let body: Value = token(&sandbox, path).await.json().await.expect("json");
        assert_eq!(body["token_type"], "Bearer", "{path}");
        assert_eq!(body["expires_in"], 3_600, "{path}");
        assert!(body["access_token"].as_str().is_some_and(|t| !t.is_empty()));
    }
    assert_eq!(sandbox.stats().token_requests, 2);
}

#[tokio::test]
async fn organisations_and_devices_page_by_after_and_filter_by_org() {
    let sandbox = start(small()).await;
    let token = access_token(&sandbox).await;
    let truth = sandbox.truth();
    let first = get_json(&sandbox, &token, "/v2/organizations?pageSize=5").await;
    let first = first.as_array().expect("array");
    assert_eq!(first.len(), 5);
    let last = first[4]["id"].as_u64().expect("id");
    let rest = get_json(
        &sandbox,
        &token,
        &format!("/v2/organizations-detailed?pageSize=1000&after={last}"),
    )
    .await;
    assert_eq!(
        first.len() + rest.as_array().expect("array").len(),
        truth.len()
    );
    assert!(
        rest[0]["fields"].is_object(),
        "detailed carries custom fields"
    );

    let org = &truth[0];
    let devices = get_json(
        &sandbox,
        &token,
        &format!("/v2/devices-detailed?df=org%20%3D%20{}", org.external_id),
    )
    .await;
    let devices = devices.as_array().expect("array");
    assert_eq!(devices.len(), org.devices);
    let org_id: u64 = org.external_id.parse().expect("numeric id");
    assert!(devices
        .iter()
        .all(|d| d["organizationId"].as_u64() == Some(org_id)));
    let all: usize = truth.iter().map(|t| t.devices).sum();
    let mut seen = 0;
    let mut after = 0;
    loop {
        let page = get_json(
            &sandbox,
            &token,
            &format!("/v2/devices?pageSize=7&after={after}"),
        )
        .await;
        let page = page.as_array().expect("array").clone();
        seen += page.len();
        match page.last() {
            Some(last) => after = last["id"].as_u64().expect("id"),
            None => break,
        }
    }
    assert_eq!(seen, all);
    let placeholders: usize = truth.iter().map(|t| t.placeholder_serials).sum();
    assert!(placeholders > 0, "some devices carry placeholder serials");
    assert!(PLACEHOLDER_SERIALS.contains(&"To Be Filled By O.E.M."));
    let bad = get(&sandbox, &token, "/v2/devices?df=serial%3D1").await;
    assert_eq!(bad.status(), 400, "unknown filters are refused");
}

#[tokio::test]
async fn page_size_is_capped() {
    let sandbox = start(SandboxConfig {
        max_page_size: 3,
        ..small()
    })
    .await;
    let token = access_token(&sandbox).await;
    let page = get_json(&sandbox, &token, "/v2/organizations?pageSize=1000").await;
    assert_eq!(page.as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn cursor_queries_page_through_every_device() {
    let sandbox = start(small()).await;
    let token = access_token(&sandbox).await;
    let devices: usize = sandbox.truth().iter().map(|t| t.devices).sum();
    let mut seen = 0;
    let mut page = get_json(&sandbox, &token, "/v2/queries/device-health?pageSize=10").await;
    loop {
        let results = page["results"].as_array().expect("results").len();
        assert_eq!(page["cursor"]["count"], json!(results));
        seen += results;
        if results < 10 {
            break;
        }
        let name = page["cursor"]["name"].as_str().expect("name").to_owned();
        page = get_json(
            &sandbox,
            &token,
            &format!("/v2/queries/device-health?cursor={name}"),
        )
        .await;
    }
    assert_eq!(seen, devices);
    let unknown = get(&sandbox, &token, "/v2/queries/antivirus-status?cursor=nope").await;
    assert_eq!(unknown.status(), 400);
}

#[tokio::test]
async fn alerts_carry_severity_and_tickets_page_by_last_cursor_id() {
    let sandbox = start(small()).await;
    let token = access_token(&sandbox).await;
    let truth = sandbox.truth();
    let alerts = get_json(&sandbox, &token, "/v2/alerts").await;
    let alerts = alerts.as_array().expect("array");
    assert_eq!(
        alerts.len(),
        truth.iter().map(|t| t.active_alerts).sum::<usize>()
    );
    assert!(alerts.iter().all(|a| a["data"]["severity"].is_string()));
    let boards = get_json(&sandbox, &token, "/v2/ticketing/trigger/boards").await;
    assert_eq!(boards[0]["name"], "All tickets");
    let http = reqwest::Client::new();
    let mut seen = 0;
    let mut last: Option<u64> = None;
    loop {
        let page: Value = http
            .post(format!(
                "{}/v2/ticketing/trigger/board/1/run",
                sandbox.base_url()
            ))
            .bearer_auth(&token)
            .json(&json!({ "pageSize": 5, "lastCursorId": last }))
            .send()
            .await
            .expect("answer")
            .json()
            .await
            .expect("json");
        let rows = page["data"].as_array().expect("data").clone();
        seen += rows.len();
        if rows.len() < 5 {
            break;
        }
        last = rows.last().and_then(|r| r["id"].as_u64());
    }
    assert_eq!(seen, truth.iter().map(|t| t.tickets).sum::<usize>());
}

#[tokio::test]
async fn the_instance_lines_up_with_the_companies_with_mismatches() {
    let sandbox = start(SandboxConfig::for_companies(
        5,
        ninjaone_sandbox::CompanySeed::synthetic(60),
    ))
    .await;
    let truth = sandbox.truth();
    let matched = truth.iter().filter(|t| t.hubspot_id.is_some()).count();
    assert!(matched < 60, "some companies are absent");
    assert!(truth.iter().any(|t| t.hubspot_id.is_none()));
    assert!(truth.iter().any(|t| t.has_reference));
    assert!(truth
        .iter()
        .any(|t| t.variant != ninjaone_sandbox::NameVariant::Exact && t.hubspot_id.is_some()));
    assert!(truth.iter().any(|t| t.long_offline_devices > 2));
    // Serials follow the formula shared with the Microsoft 365 sandbox.
    let company = truth
        .iter()
        .find(|t| t.hubspot_id.is_some() && t.placeholder_serials == 0)
        .expect("a company with real serials");
    let id = company.hubspot_id.as_deref().unwrap_or_default();
    assert_eq!(company.serials[0], ninjaone_sandbox::serial_of(id, 0));
    let again = start(SandboxConfig::for_companies(
        5,
        ninjaone_sandbox::CompanySeed::synthetic(60),
    ))
    .await;
    assert_eq!(again.truth(), truth, "deterministic from the seed");
}
