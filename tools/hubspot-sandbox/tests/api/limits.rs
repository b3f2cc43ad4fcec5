//! Rate limits: the ten-second, per-second search and daily budgets answer HubSpot's 429s.

use super::*;

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
