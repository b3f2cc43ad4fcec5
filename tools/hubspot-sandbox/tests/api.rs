//! The sandbox served over HTTP, exercised with reqwest as the connector will.

use std::collections::{BTreeSet, HashSet};

use hubspot_sandbox::{Faults, Sandbox, SandboxConfig};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client builds")
}

async fn get(sandbox: &Sandbox, token: &str, path_and_query: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path_and_query}", sandbox.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("sandbox answers")
}

async fn post(sandbox: &Sandbox, token: &str, path: &str, body: &Value) -> reqwest::Response {
    client()
        .post(format!("{}{path}", sandbox.base_url()))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("sandbox answers")
}

async fn body(response: reqwest::Response) -> Value {
    response.json().await.expect("JSON body")
}

fn fast(mut config: SandboxConfig) -> SandboxConfig {
    config.rate_limit_per_ten_seconds = 100_000;
    config.search_per_second = 100_000;
    config
}

/// Walks a list endpoint to the end, returning every record and the number of pages.
async fn walk(sandbox: &Sandbox, object_type: &str, query: &str) -> (Vec<Value>, usize) {
    let token = sandbox.private_app_token();
    let mut records = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let cursor = after
            .as_ref()
            .map(|a| format!("&after={a}"))
            .unwrap_or_default();
        let response = get(
            sandbox,
            &token,
            &format!("/crm/v3/objects/{object_type}?{query}{cursor}"),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        let page = body(response).await;
        pages += 1;
        records.extend(page["results"].as_array().expect("results").iter().cloned());
        match page["paging"]["next"]["after"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
    }
    (records, pages)
}

#[tokio::test]
async fn paging_walks_every_record_exactly_once() {
    let sandbox = Sandbox::start(fast(SandboxConfig::small(5)))
        .await
        .expect("starts");
    for object_type in [
        "companies",
        "contacts",
        "deals",
        "tickets",
        "calls",
        "emails",
        "meetings",
        "notes",
        "tasks",
    ] {
        let expected: Vec<String> = sandbox
            .records(object_type)
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert!(!expected.is_empty(), "{object_type} generated");
        let (records, pages) = walk(&sandbox, object_type, "limit=7").await;
        let ids: Vec<String> = records
            .iter()
            .map(|r| r["id"].as_str().expect("id").to_owned())
            .collect();
        assert_eq!(
            ids, expected,
            "{object_type}: every record once, in id order"
        );
        assert_eq!(
            pages,
            expected.len().div_ceil(7),
            "{object_type}: no empty trailing page"
        );
    }
}

#[tokio::test]
async fn list_returns_requested_properties_and_embedded_associations() {
    let sandbox = Sandbox::start(fast(SandboxConfig::small(6)))
        .await
        .expect("starts");
    let (records, _) = walk(
        &sandbox,
        "contacts",
        "limit=100&properties=email,hs_email_replied,no_such_property&associations=companies",
    )
    .await;
    let portal: Vec<_> = sandbox.records("contacts");
    assert_eq!(records.len(), portal.len());
    for (served, held) in records.iter().zip(&portal) {
        let props = served["properties"].as_object().expect("properties");
        assert_eq!(
            props.get("email").and_then(Value::as_str),
            held.properties.get("email").cloned().flatten().as_deref()
        );
        assert!(props.contains_key("lastmodifieddate") && props.contains_key("hs_object_id"));
        assert!(!props.contains_key("no_such_property") && !props.contains_key("firstname"));
        assert!(served["createdAt"]
            .as_str()
            .is_some_and(|d| d.ends_with('Z')));
        let embedded: Vec<String> = served["associations"]["companies"]["results"]
            .as_array()
            .map(|links| {
                links
                    .iter()
                    .inspect(|l| assert_eq!(l["type"], "contact_to_company"))
                    .map(|l| l["id"].as_str().expect("id").to_owned())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            embedded,
            sandbox.associations("contacts", &held.id, "companies")
        );
    }
    let too_big = get(
        &sandbox,
        &sandbox.private_app_token(),
        "/crm/v3/objects/contacts?limit=101",
    )
    .await;
    assert_eq!(too_big.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body(too_big).await["category"], "VALIDATION_ERROR");
}

#[tokio::test]
async fn batch_read_and_v4_associations_follow_the_portal() {
    let sandbox = Sandbox::start(fast(SandboxConfig::small(8)))
        .await
        .expect("starts");
    let token = sandbox.private_app_token();
    let deals = sandbox.records("deals");
    let wanted: Vec<&str> = deals.iter().take(3).map(|d| d.id.as_str()).collect();
    let ok = post(
        &sandbox,
        &token,
        "/crm/v3/objects/deals/batch/read",
        &json!({"inputs": wanted.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(), "properties": ["amount"]}),
    )
    .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let ok = body(ok).await;
    let got: BTreeSet<&str> = ok["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(got, wanted.iter().copied().collect());

    let partial = post(
        &sandbox,
        &token,
        "/crm/v3/objects/deals/batch/read",
        &json!({"inputs": [{"id": wanted[0]}, {"id": "999"}]}),
    )
    .await;
    assert_eq!(partial.status(), StatusCode::MULTI_STATUS);
    let partial = body(partial).await;
    assert_eq!(partial["numErrors"], 1);
    assert_eq!(partial["errors"][0]["context"]["ids"], json!(["999"]));
    assert_eq!(partial["results"].as_array().map(Vec::len), Some(1));

    let contacts = sandbox.records("contacts");
    let inputs: Vec<Value> = contacts.iter().map(|c| json!({"id": c.id})).collect();
    let links = post(
        &sandbox,
        &token,
        "/crm/v4/associations/contacts/companies/batch/read",
        &json!({"inputs": inputs}),
    )
    .await;
    assert!(links.status() == StatusCode::OK || links.status() == StatusCode::MULTI_STATUS);
    let links = body(links).await;
    let mut seen = 0;
    for result in links["results"].as_array().expect("results") {
        let from = result["from"]["id"].as_str().expect("from id");
        let to: Vec<String> = result["to"]
            .as_array()
            .expect("to")
            .iter()
            .map(|t| {
                t["toObjectId"]
                    .as_u64()
                    .expect("numeric toObjectId")
                    .to_string()
            })
            .collect();
        assert_eq!(to, sandbox.associations("contacts", from, "companies"));
        assert!(result["to"][0]["associationTypes"]
            .as_array()
            .is_some_and(|t| !t.is_empty()));
        seen += 1;
    }
    let without = contacts
        .iter()
        .filter(|c| {
            sandbox
                .associations("contacts", &c.id, "companies")
                .is_empty()
        })
        .count();
    assert_eq!(seen + without, contacts.len());
    assert_eq!(links["errors"].as_array().map_or(0, Vec::len), without);
}

async fn search(sandbox: &Sandbox, object_type: &str, request: &Value) -> (StatusCode, Value) {
    let response = post(
        sandbox,
        &sandbox.private_app_token(),
        &format!("/crm/v3/objects/{object_type}/search"),
        request,
    )
    .await;
    assert!(
        response.headers().get("x-hubspot-ratelimit-max").is_none(),
        "search carries no rate-limit headers"
    );
    let status = response.status();
    (status, body(response).await)
}

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
async fn rate_limit_answers_429_with_hubspots_body_and_headers_when_exceeded_and_not_before() {
    let config = SandboxConfig {
        rate_limit_per_ten_seconds: 12,
        ..SandboxConfig::small(11)
    };
    let sandbox = Sandbox::start(config).await.expect("starts");
    let token = sandbox.private_app_token();
    for i in 0..12u32 {
        let response = get(&sandbox, &token, "/crm/v3/objects/companies?limit=1").await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "call {i} is within the limit"
        );
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(header("x-hubspot-ratelimit-max").as_deref(), Some("12"));
        assert_eq!(
            header("x-hubspot-ratelimit-remaining"),
            Some((11 - i).to_string())
        );
        assert_eq!(
            header("x-hubspot-ratelimit-interval-milliseconds").as_deref(),
            Some("10000")
        );
        assert!(
            header("x-hubspot-ratelimit-daily").is_some()
                && header("x-hubspot-ratelimit-daily-remaining").is_some()
        );
    }
    let refused = get(&sandbox, &token, "/crm/v3/objects/companies?limit=1").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        refused
            .headers()
            .get("x-hubspot-ratelimit-remaining")
            .and_then(|v| v.to_str().ok()),
        Some("0")
    );
    let refused = body(refused).await;
    let keys: BTreeSet<&str> = refused
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "status",
            "message",
            "errorType",
            "correlationId",
            "policyName"
        ])
    );
    assert_eq!(refused["status"], "error");
    assert_eq!(
        refused["message"],
        "You have reached your ten_secondly_rolling limit."
    );
    assert_eq!(refused["errorType"], "RATE_LIMIT");
    assert_eq!(refused["policyName"], "TEN_SECONDLY_ROLLING");
    let stats = sandbox.stats();
    assert_eq!((stats.requests, stats.rate_limited), (13, 1));

    // Search keeps its own budget: the exhausted 10-second window does not block it.
    let (status, _) = search(&sandbox, "companies", &json!({"limit": 1})).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn search_beyond_its_per_second_budget_gets_secondly_429() {
    let config = SandboxConfig {
        search_per_second: 1,
        ..SandboxConfig::small(12)
    };
    let sandbox = Sandbox::start(config).await.expect("starts");
    let started = std::time::Instant::now();
    let mut admitted = 0u64;
    let mut refusals = Vec::new();
    for _ in 0..6 {
        let (status, page) = search(&sandbox, "deals", &json!({})).await;
        match status {
            StatusCode::OK => admitted += 1,
            _ => refusals.push((status, page)),
        }
    }
    // One search per rolling second: however slow the machine, no more than that can have passed.
    assert!(
        admitted <= started.elapsed().as_secs() + 1,
        "{admitted} searches admitted"
    );
    assert!(!refusals.is_empty());
    for (status, refused) in refusals {
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused["policyName"], "SECONDLY");
        assert_eq!(refused["errorType"], "RATE_LIMIT");
        assert_eq!(refused["status"], "error");
    }
    let stats = sandbox.stats();
    assert_eq!(stats.search_requests, 6);
    assert_eq!(stats.rate_limited, 6 - admitted);
}

#[tokio::test]
async fn daily_limit_gives_daily_429() {
    let config = SandboxConfig {
        daily_limit: Some(3),
        ..SandboxConfig::small(13)
    };
    let sandbox = Sandbox::start(config).await.expect("starts");
    let token = sandbox.private_app_token();
    for _ in 0..3 {
        assert_eq!(
            get(&sandbox, &token, "/crm/v3/objects/deals")
                .await
                .status(),
            StatusCode::OK
        );
    }
    let refused = get(&sandbox, &token, "/crm/v3/objects/deals").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body(refused).await["policyName"], "DAILY");
}

#[tokio::test]
async fn oauth_code_exchange_refresh_expiry_and_revocation() {
    let sandbox = Sandbox::start(fast(SandboxConfig::small(14)))
        .await
        .expect("starts");
    let http = client();
    let redirect = "http://localhost:9/callback";
    let authorize = http
        .get(sandbox.authorize_url_base())
        .query(&[
            ("client_id", "sandbox-client-id"),
            ("redirect_uri", redirect),
            ("scope", "oauth"),
            ("state", "s t/1"),
        ])
        .send()
        .await
        .expect("authorize answers");
    assert_eq!(authorize.status(), StatusCode::FOUND);
    let location = authorize
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("location")
        .to_owned();
    let location = url::Url::parse(&location).expect("redirect URL");
    assert_eq!(location.path(), "/callback");
    let param = |name: &str| {
        location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("state").as_deref(), Some("s t/1"));
    let code = param("code").expect("code");

    let token_url = format!("{}/oauth/v1/token", sandbox.base_url());
    let exchange = |code: String, redirect_uri: &'static str| {
        let http = http.clone();
        let token_url = token_url.clone();
        async move {
            http.post(token_url)
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", redirect_uri),
                    ("client_id", "sandbox-client-id"),
                    ("client_secret", "sandbox-client-secret"),
                ])
                .send()
                .await
                .expect("token endpoint answers")
        }
    };
    let wrong_redirect = exchange(code.clone(), "http://elsewhere/callback").await;
    assert_eq!(wrong_redirect.status(), StatusCode::BAD_REQUEST);
    let tokens = exchange(code.clone(), "http://localhost:9/callback").await;
    // The failed attempt spent the code; a fresh one is needed.
    assert_eq!(tokens.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body(tokens).await["status"], "BAD_AUTH_CODE");
    let tokens = exchange(
        sandbox.issue_authorization_code(),
        "http://localhost:9/callback",
    )
    .await;
    assert_eq!(tokens.status(), StatusCode::OK);
    let tokens = body(tokens).await;
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["expires_in"], 1800);
    let access = tokens["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();

    let with_oauth = get(&sandbox, &access, "/crm/v3/objects/companies").await;
    assert_eq!(with_oauth.status(), StatusCode::OK);
    assert!(with_oauth.headers().contains_key("x-hubspot-ratelimit-max"));
    assert!(
        !with_oauth
            .headers()
            .contains_key("x-hubspot-ratelimit-daily"),
        "the daily headers are for private apps only"
    );
    let info = body(
        http.get(format!(
            "{}/oauth/v1/access-tokens/{access}",
            sandbox.base_url()
        ))
        .send()
        .await
        .expect("info"),
    )
    .await;
    assert_eq!(info["hub_id"], sandbox.portal_id());
    assert!(info["expires_in"]
        .as_i64()
        .is_some_and(|s| s > 1700 && s <= 1800));

    sandbox.expire_access_tokens();
    let expired = get(&sandbox, &access, "/crm/v3/objects/companies").await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body(expired).await["category"], "EXPIRED_AUTHENTICATION");
    let unknown = get(&sandbox, "not-a-token", "/crm/v3/objects/companies").await;
    assert_eq!(body(unknown).await["category"], "INVALID_AUTHENTICATION");

    let refresh_with = |refresh: String| {
        let http = http.clone();
        let token_url = token_url.clone();
        async move {
            http.post(token_url)
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh.as_str()),
                    ("client_id", "sandbox-client-id"),
                    ("client_secret", "sandbox-client-secret"),
                ])
                .send()
                .await
                .expect("token endpoint answers")
        }
    };
    let refreshed = refresh_with(refresh.clone()).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let fresh = body(refreshed).await["access_token"]
        .as_str()
        .expect("new access token")
        .to_owned();
    assert_ne!(fresh, access);
    assert_eq!(
        get(&sandbox, &fresh, "/crm/v3/objects/companies")
            .await
            .status(),
        StatusCode::OK
    );

    sandbox.revoke_refresh_tokens();
    let dead = refresh_with(refresh).await;
    assert_eq!(dead.status(), StatusCode::BAD_REQUEST);
    let dead = body(dead).await;
    assert_eq!(
        (dead["error"].as_str(), dead["status"].as_str()),
        (Some("invalid_grant"), Some("BAD_REFRESH_TOKEN"))
    );
}

#[tokio::test]
async fn access_tokens_expire_after_their_lifetime() {
    let config = SandboxConfig {
        access_token_ttl_secs: 1,
        ..fast(SandboxConfig::small(15))
    };
    let sandbox = Sandbox::start(config).await.expect("starts");
    let tokens = sandbox.issue_oauth_tokens();
    assert_eq!(tokens.expires_in, 1);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let expired = get(&sandbox, &tokens.access_token, "/crm/v3/objects/companies").await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body(expired).await["category"], "EXPIRED_AUTHENTICATION");
}

#[tokio::test]
async fn same_seed_serves_the_same_portal() {
    let a = Sandbox::start(SandboxConfig::small(21))
        .await
        .expect("starts");
    let b = Sandbox::start(SandboxConfig::small(21))
        .await
        .expect("starts");
    let c = Sandbox::start(SandboxConfig::small(22))
        .await
        .expect("starts");
    for object_type in ["companies", "contacts", "deals", "emails"] {
        assert_eq!(a.records(object_type), b.records(object_type));
    }
    assert_eq!(a.private_app_token(), b.private_app_token());
    assert_ne!(a.records("companies"), c.records("companies"));
}

#[tokio::test]
async fn changes_show_in_search_and_deletions_leave_every_endpoint() {
    let sandbox = Sandbox::start(fast(SandboxConfig::small(16)))
        .await
        .expect("starts");
    let before = chrono::Utc::now().timestamp_millis();
    let touched = sandbox.touch_random("deals", 4);
    let company = sandbox.records("companies")[0].id.clone();
    assert!(sandbox.update_property("companies", &company, "lifecyclestage", Some("evangelist")));
    let mut properties = serde_json::Map::new();
    properties.insert("email".into(), json!("new.person@example.com"));
    let created = sandbox.create_record("contacts", properties, Some(&company));
    assert!(sandbox
        .associations("companies", &company, "contacts")
        .contains(&created));

    let changed_since = |object_type: &'static str, property: &'static str| {
        let sandbox = sandbox.clone();
        async move {
            let (status, page) = search(
                &sandbox,
                object_type,
                &json!({"filterGroups": [{"filters": [{"propertyName": property, "operator": "GTE", "value": before.to_string()}]}], "limit": 100}),
            )
            .await;
            assert_eq!(status, StatusCode::OK);
            page["results"]
                .as_array()
                .expect("results")
                .iter()
                .filter_map(|r| r["id"].as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        }
    };
    let mut deals = changed_since("deals", "hs_lastmodifieddate").await;
    deals.sort();
    assert_eq!(deals, touched);
    assert_eq!(
        changed_since("companies", "hs_lastmodifieddate").await,
        vec![company.clone()]
    );
    assert_eq!(
        changed_since("contacts", "lastmodifieddate").await,
        vec![created.clone()]
    );

    let gone = touched[0].clone();
    assert!(sandbox.delete_record("deals", &gone));
    assert!(!sandbox.delete_record("deals", &gone), "already archived");
    let (listed, _) = walk(&sandbox, "deals", "limit=100").await;
    assert!(listed.iter().all(|d| d["id"] != gone.as_str()));
    let (archived, _) = walk(&sandbox, "deals", "limit=100&archived=true").await;
    assert_eq!(archived.len(), 1);
    assert_eq!(archived[0]["archived"], true);
    assert!(!changed_since("deals", "hs_lastmodifieddate")
        .await
        .contains(&gone));
    let batch = post(
        &sandbox,
        &sandbox.private_app_token(),
        "/crm/v3/objects/deals/batch/read",
        &json!({"inputs": [{"id": gone}]}),
    )
    .await;
    assert_eq!(batch.status(), StatusCode::MULTI_STATUS);
    assert!(sandbox
        .associations("companies", &company, "deals")
        .iter()
        .all(|d| *d != gone));
}

#[tokio::test]
async fn injected_faults_answer_5xx_423_and_429() {
    let sandbox = Sandbox::start(fast(SandboxConfig::small(17)))
        .await
        .expect("starts");
    let token = sandbox.private_app_token();
    sandbox.set_faults(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    let mut seen = HashSet::new();
    for _ in 0..30 {
        seen.insert(
            get(&sandbox, &token, "/crm/v3/objects/companies")
                .await
                .status()
                .as_u16(),
        );
    }
    assert!(
        seen.iter().all(|s| [500, 502, 504].contains(s)) && seen.len() >= 2,
        "{seen:?}"
    );
    sandbox.set_faults(Faults {
        locked_rate: 1.0,
        ..Faults::default()
    });
    assert_eq!(
        get(&sandbox, &token, "/crm/v3/objects/companies")
            .await
            .status(),
        StatusCode::LOCKED
    );
    sandbox.set_faults(Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    });
    let limited = get(&sandbox, &token, "/crm/v3/objects/companies").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body(limited).await["policyName"], "TEN_SECONDLY_ROLLING");
    sandbox.set_faults(Faults::none());
    assert_eq!(
        get(&sandbox, &token, "/crm/v3/objects/companies")
            .await
            .status(),
        StatusCode::OK
    );
    let stats = sandbox.stats();
    assert_eq!((stats.injected_faults, stats.rate_limited), (32, 0));
    sandbox.reset_stats();
    assert_eq!(sandbox.stats().requests, 0);
}

#[tokio::test]
async fn webhooks_arrive_signed_with_v3_and_v1() {
    use axum::body::Bytes;
    use axum::http::HeaderMap;

    let sandbox = Sandbox::start(SandboxConfig::small(18))
        .await
        .expect("starts");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(HeaderMap, Bytes)>();
    let app = axum::Router::new().route(
        "/hooks/hubspot",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let tx = tx.clone();
            async move {
                let _ = tx.send((headers, body));
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let url = format!(
        "http://{}/hooks/hubspot?tenant=1",
        listener.local_addr().expect("addr")
    );
    tokio::spawn(async move { axum::serve(listener, app).await });

    let company = sandbox.records("companies")[0].id.clone();
    let events = vec![
        sandbox.webhook_event("company.propertyChange", &company),
        sandbox.webhook_event("company.deletion", &company),
    ];
    assert_ne!(events[0]["eventId"], events[1]["eventId"]);
    assert_eq!(
        events[0]["objectId"].as_u64().map(|id| id.to_string()),
        Some(company.clone())
    );
    assert_eq!(events[0]["portalId"], sandbox.portal_id());
    assert_eq!(events[0]["propertyName"], "lifecyclestage");
    let status = sandbox
        .send_webhooks(&url, &events)
        .await
        .expect("delivered");
    assert_eq!(status, 204);
    let (headers, body) = rx.recv().await.expect("received");
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .expect(name)
            .to_owned()
    };
    let timestamp = header("x-hubspot-request-timestamp");
    assert_eq!(
        header("x-hubspot-signature-v3"),
        hubspot_sandbox::signature_v3("sandbox-client-secret", "POST", &url, &body, &timestamp)
    );
    assert_eq!(
        header("x-hubspot-signature"),
        hubspot_sandbox::signature_v1("sandbox-client-secret", &body)
    );
    assert_eq!(header("x-hubspot-signature-version"), "v1");
    let received: Vec<Value> = serde_json::from_slice(&body).expect("JSON array");
    assert_eq!(received, events);
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

#[tokio::test]
async fn unknown_object_types_and_bad_bodies_get_hubspot_errors() {
    let sandbox = Sandbox::start(fast(SandboxConfig::small(20)))
        .await
        .expect("starts");
    let token = sandbox.private_app_token();
    let unknown = get(&sandbox, &token, "/crm/v3/objects/widgets").await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    let unknown = body(unknown).await;
    assert_eq!(unknown["status"], "error");
    assert!(unknown["message"]
        .as_str()
        .is_some_and(|m| m.contains("widgets")));
    let bad = client()
        .post(format!(
            "{}/crm/v3/objects/deals/search",
            sandbox.base_url()
        ))
        .bearer_auth(&token)
        .body("{not json")
        .send()
        .await
        .expect("answers");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body(bad).await["category"], "VALIDATION_ERROR");
    let too_many: Vec<Value> = (0..101).map(|i| json!({"id": i.to_string()})).collect();
    let refused = post(
        &sandbox,
        &token,
        "/crm/v3/objects/deals/batch/read",
        &json!({"inputs": too_many}),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let missing_auth = client()
        .get(format!("{}/crm/v3/objects/deals", sandbox.base_url()))
        .send()
        .await
        .expect("answers");
    assert_eq!(missing_auth.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        body(missing_auth).await["category"],
        "INVALID_AUTHENTICATION"
    );
}
