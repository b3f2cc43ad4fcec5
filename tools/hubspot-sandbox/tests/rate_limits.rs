//! The sandbox's 429s, as HubSpot documents them: the body names the policy, the rate-limit headers
//! tell the window's true state (the daily pair for private apps only), and a refused call does not
//! use up budget, whether the window refused it or a fault was injected.

use hubspot_sandbox::{Faults, Sandbox, SandboxConfig};
use reqwest::StatusCode;
use serde_json::Value;

async fn get(sandbox: &Sandbox, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!(
            "{}/crm/v3/objects/companies?limit=1",
            sandbox.base_url()
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("sandbox answers")
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn an_injected_429_tells_the_windows_true_state_and_uses_no_budget() {
    let sandbox = Sandbox::start(SandboxConfig {
        rate_limit_per_ten_seconds: 12,
        ..SandboxConfig::small(41)
    })
    .await
    .expect("starts");
    let token = sandbox.private_app_token();
    for _ in 0..3 {
        assert_eq!(get(&sandbox, &token).await.status(), StatusCode::OK);
    }

    sandbox.set_faults(Faults {
        rate_limit_rate: 1.0,
        ..Faults::none()
    });
    let refused = get(&sandbox, &token).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        header(&refused, "x-hubspot-ratelimit-max").as_deref(),
        Some("12")
    );
    assert_eq!(
        header(&refused, "x-hubspot-ratelimit-remaining").as_deref(),
        Some("9"),
        "three calls of twelve were made: the window has room"
    );
    assert_eq!(
        header(&refused, "x-hubspot-ratelimit-interval-milliseconds").as_deref(),
        Some("10000")
    );
    assert!(header(&refused, "x-hubspot-ratelimit-daily-remaining").is_some());
    let body: Value = refused.json().await.expect("JSON body");
    assert_eq!(body["policyName"], "TEN_SECONDLY_ROLLING");
    assert_eq!(body["errorType"], "RATE_LIMIT");
    assert_eq!(body["status"], "error");
    assert!(body["correlationId"].is_string());

    sandbox.set_faults(Faults::none());
    let next = get(&sandbox, &token).await;
    assert_eq!(next.status(), StatusCode::OK);
    assert_eq!(
        header(&next, "x-hubspot-ratelimit-remaining").as_deref(),
        Some("8"),
        "the refused call was not counted"
    );
    let stats = sandbox.stats();
    assert_eq!((stats.injected_faults, stats.rate_limited), (1, 0));
}

#[tokio::test]
async fn a_429_sends_the_daily_headers_to_private_apps_only() {
    let sandbox = Sandbox::start(SandboxConfig {
        rate_limit_per_ten_seconds: 1,
        ..SandboxConfig::small(42)
    })
    .await
    .expect("starts");
    let oauth = sandbox.issue_oauth_tokens().access_token;
    assert_eq!(get(&sandbox, &oauth).await.status(), StatusCode::OK);

    let refused = get(&sandbox, &oauth).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        header(&refused, "x-hubspot-ratelimit-remaining").as_deref(),
        Some("0")
    );
    assert_eq!(header(&refused, "x-hubspot-ratelimit-daily"), None);
    assert_eq!(
        header(&refused, "x-hubspot-ratelimit-daily-remaining"),
        None
    );

    let refused = get(&sandbox, &sandbox.private_app_token()).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(header(&refused, "x-hubspot-ratelimit-daily").is_some());
}
