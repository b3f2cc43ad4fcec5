use crate::{get_json, sandbox, token};
use m365_sandbox::Faults;
use std::time::{Duration, Instant};

#[tokio::test]
async fn injected_503s_and_429s_carry_retry_after_then_stop() {
    let sandbox = sandbox(2).await;
    let token = token(&sandbox, &sandbox.tenant_ids()[0]).await;
    sandbox.set_faults(Faults {
        unavailable_next: 1,
        throttle_next: 1,
        retry_after_secs: 7,
        ..Faults::none()
    });
    let response = crate::get(&sandbox, &token, "/subscribedSkus").await;
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers()["retry-after"], "7");
    let response = crate::get(&sandbox, &token, "/subscribedSkus").await;
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    let (status, _) = get_json(&sandbox, &token, "/subscribedSkus").await;
    assert_eq!(status, 200);
    assert_eq!(sandbox.stats().injected_faults, 2);
}

#[tokio::test]
async fn tokens_expire_early_when_asked_and_answers_can_be_slow() {
    let sandbox = sandbox(2).await;
    let tenant = sandbox.tenant_ids()[0].clone();
    sandbox.set_faults(Faults {
        token_valid_for: Some(Duration::from_secs(60)),
        latency: Duration::from_millis(150),
        ..Faults::none()
    });
    let token = token(&sandbox, &tenant).await;
    let started = Instant::now();
    let (status, _) = get_json(&sandbox, &token, "/organization").await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    sandbox.advance_clock(Duration::from_secs(61));
    let (status, body) = get_json(&sandbox, &token, "/organization").await;
    assert_eq!(status, 401, "expired long before its 3599 s");
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
}

#[tokio::test]
async fn the_global_per_second_limit_answers_429() {
    let mut config =
        m365_sandbox::SandboxConfig::for_companies(3, m365_sandbox::CompanySeed::synthetic(2));
    config.limits.global_per_second = 3;
    let sandbox = m365_sandbox::Sandbox::start(config).await.expect("starts");
    let token = token(&sandbox, &sandbox.tenant_ids()[0]).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(get_json(&sandbox, &token, "/subscribedSkus").await.0);
    }
    // The requests may straddle a second boundary: at least one refused, never more than 3 of 6.
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(statuses.iter().filter(|s| **s == 200).count() >= 3);
}
