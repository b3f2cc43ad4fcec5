use crate::common::{get, start, start_with, token};
use pax8_sandbox::{CompanySeed, Faults, SandboxConfig};
use std::time::{Duration, Instant};

#[tokio::test]
async fn injected_429s_carry_retry_after_only_when_set_and_5xx_come_as_asked() {
    let sandbox = start().await;
    let token = token(&sandbox).await;
    sandbox.set_faults(Faults {
        rate_limit_rate: 1.0,
        ..Faults::none()
    });
    let (status, headers, _) = get(&sandbox, &token, "/v1/companies").await;
    assert_eq!(status, 429);
    assert!(headers.get("retry-after").is_none(), "Pax8 documents none");
    sandbox.set_faults(Faults {
        rate_limit_rate: 1.0,
        retry_after_secs: Some(7),
        ..Faults::none()
    });
    let (_, headers, _) = get(&sandbox, &token, "/v1/companies").await;
    assert_eq!(
        headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("7")
    );
    sandbox.set_faults(Faults {
        server_error_rate: 1.0,
        ..Faults::none()
    });
    let (status, _, _) = get(&sandbox, &token, "/v1/companies").await;
    assert!(status == 500 || status == 503, "{status}");
    sandbox.set_faults(Faults {
        latency_ms: 150,
        ..Faults::none()
    });
    let started = Instant::now();
    assert_eq!(get(&sandbox, &token, "/v1/companies").await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    let stats = sandbox.stats();
    assert_eq!(stats.rate_limited, 2);
    assert_eq!(stats.injected_faults, 3);
}

#[tokio::test]
async fn the_rolling_window_answers_429_past_its_limit() {
    let config = SandboxConfig {
        rate_limit_per_minute: Some(3),
        ..SandboxConfig::for_companies(2, CompanySeed::synthetic(5))
    };
    let sandbox = start_with(config).await;
    let token = token(&sandbox).await;
    assert_eq!(get(&sandbox, &token, "/v1/companies").await.0, 200);
    assert_eq!(get(&sandbox, &token, "/v1/companies").await.0, 200);
    assert_eq!(get(&sandbox, &token, "/v1/companies").await.0, 429);
    assert_eq!(sandbox.stats().rate_limited, 1);
}
