use crate::{access_token, get, small, start, token};
use ninjaone_sandbox::{Faults, SandboxConfig, Ticketing};
use std::time::Duration;

#[tokio::test]
async fn expired_and_revoked_tokens_are_refused_and_new_ones_work() {
    let sandbox = start(small()).await;
    let first = access_token(&sandbox).await;
    assert_eq!(
        get(&sandbox, &first, "/v2/organizations").await.status(),
        200
    );
    sandbox.expire_tokens();
    assert_eq!(
        get(&sandbox, &first, "/v2/organizations").await.status(),
        401
    );
    let second = access_token(&sandbox).await;
    assert_eq!(
        get(&sandbox, &second, "/v2/organizations").await.status(),
        200
    );
    sandbox.revoke_tokens();
    assert_eq!(
        get(&sandbox, &second, "/v2/organizations").await.status(),
        401
    );
    sandbox.advance_clock(Duration::from_secs(3_601));
    let third = access_token(&sandbox).await;
    assert_eq!(
        get(&sandbox, &third, "/v2/organizations").await.status(),
        200
    );
    assert_eq!(sandbox.stats().unauthorized, 2);
}

#[tokio::test]
async fn refused_credentials_get_invalid_client() {
    let sandbox = start(small()).await;
    sandbox.refuse_credentials(true);
    let refused = token(&sandbox, "/oauth/token").await;
    assert_eq!(refused.status(), 401);
    let body: serde_json::Value = refused.json().await.expect("json");
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn throttling_sends_retry_after_and_server_errors_are_5xx() {
    let sandbox = start(small()).await;
    let token = access_token(&sandbox).await;
    sandbox.set_faults(Faults {
        throttle_next: 1,
        fail_next: 1,
        retry_after_secs: 2,
        ..Faults::none()
    });
    let limited = get(&sandbox, &token, "/v2/organizations").await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "2");
    assert_eq!(
        get(&sandbox, &token, "/v2/organizations").await.status(),
        500
    );
    assert_eq!(
        get(&sandbox, &token, "/v2/organizations").await.status(),
        200
    );
    let stats = sandbox.stats();
    assert_eq!((stats.rate_limited, stats.server_errors), (1, 1));
}

#[tokio::test]
async fn the_rate_limit_window_answers_429_with_retry_after() {
    let sandbox = start(SandboxConfig {
        rate_limit_per_minute: Some(3),
        ..small()
    })
    .await;
    let token = access_token(&sandbox).await;
    for _ in 0..3 {
        assert_eq!(
            get(&sandbox, &token, "/v2/organizations").await.status(),
            200
        );
    }
    let limited = get(&sandbox, &token, "/v2/organizations").await;
    assert_eq!(limited.status(), 429);
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait));
}

#[tokio::test]
async fn latency_slows_answers() {
    let sandbox = start(small()).await;
    let token = access_token(&sandbox).await;
    sandbox.set_faults(Faults {
        latency_ms: 150,
        ..Faults::none()
    });
    let started = std::time::Instant::now();
    assert_eq!(get(&sandbox, &token, "/v2/alerts").await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn an_instance_without_ticketing_refuses_the_boards() {
    let sandbox = start(small()).await;
    let token = access_token(&sandbox).await;
    sandbox.set_ticketing(Ticketing::Forbidden);
    assert_eq!(
        get(&sandbox, &token, "/v2/ticketing/trigger/boards")
            .await
            .status(),
        403
    );
    sandbox.set_ticketing(Ticketing::NotFound);
    assert_eq!(
        get(&sandbox, &token, "/v2/ticketing/trigger/boards")
            .await
            .status(),
        404
    );
}
