//! Token lifetime, expiry and revocation, refused credentials, 429 and 5xx answers.

mod common;

use std::time::Duration as StdDuration;

use common::{config, get, start, token};
use paypal_sandbox::{Faults, SandboxConfig};
use serde_json::json;

const INVOICES: &str = "/v2/invoicing/invoices?page_size=1";

#[tokio::test]
async fn tokens_expire_after_their_lifetime_and_a_new_one_works() {
    let sandbox = start(SandboxConfig {
        token_ttl_secs: 600,
        ..config(5)
    })
    .await;
    let first = token(&sandbox).await;
    assert_eq!(
        token(&sandbox).await,
        first,
        "the same token while it is valid"
    );
    assert_eq!(get(&sandbox, &first, INVOICES).await.0, 200);
    sandbox.advance_clock(StdDuration::from_secs(601));
    let (status, _, body) = get(&sandbox, &first, INVOICES).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_token");
    assert!(body["error_description"].is_string());
    let second = token(&sandbox).await;
    assert_ne!(second, first);
    assert_eq!(get(&sandbox, &second, INVOICES).await.0, 200);
}

#[tokio::test]
async fn expired_and_revoked_tokens_answer_401_invalid_token() {
    let sandbox = start(config(5)).await;
    let first = token(&sandbox).await;
    sandbox.expire_tokens();
    let (status, _, body) = get(&sandbox, &first, INVOICES).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_token"))
    );
    let second = token(&sandbox).await;
    assert_eq!(get(&sandbox, &second, INVOICES).await.0, 200);
    sandbox.revoke_tokens();
    let (status, _, body) = get(&sandbox, &second, INVOICES).await;
    assert_eq!(status, 401);
    assert_eq!(body["error_description"], "Access Token not found in cache");
    let (status, _, body) = get(&sandbox, "", INVOICES).await;
    assert_eq!(status, 401);
    assert_eq!(body["name"], "AUTHENTICATION_FAILURE");
}

#[tokio::test]
async fn refused_credentials_answer_invalid_client() {
    let sandbox = start(config(5)).await;
    sandbox.refuse_credentials(true);
    let response = common::token_response(&sandbox, &sandbox.client_secret()).await;
    assert_eq!(response.status(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    sandbox.refuse_credentials(false);
    token(&sandbox).await;
}

#[tokio::test]
async fn injected_429_has_paypal_body_and_retry_after_only_when_configured() {
    let sandbox = start(config(5)).await;
    let token = token(&sandbox).await;
    sandbox.set_faults(Faults {
        rate_limit_rate: 1.0,
        retry_after_secs: Some(7),
        ..Faults::none()
    });
    let (status, headers, body) = get(&sandbox, &token, INVOICES).await;
    assert_eq!(status, 429);
    assert_eq!(body["name"], "RATE_LIMIT_REACHED");
    assert_eq!(
        body["message"],
        "Too many requests. Blocked due to rate limiting."
    );
    assert!(body["debug_id"].is_string());
    assert_eq!(headers["retry-after"], "7");
    sandbox.set_faults(Faults {
        rate_limit_rate: 1.0,
        ..Faults::none()
    });
    let (status, headers, _) = get(&sandbox, &token, INVOICES).await;
    assert_eq!(status, 429);
    assert!(headers.get("retry-after").is_none());
    assert_eq!(sandbox.stats().injected_faults, 2);
}

#[tokio::test]
async fn the_rolling_window_counts_token_calls_too() {
    let sandbox = start(SandboxConfig {
        rate_limit_per_minute: Some(4),
        faults: Faults {
            retry_after_secs: Some(1),
            ..Faults::none()
        },
        ..config(5)
    })
    .await;
    let token = token(&sandbox).await;
    for _ in 0..3 {
        assert_eq!(get(&sandbox, &token, INVOICES).await.0, 200);
    }
    let (status, headers, body) = get(&sandbox, &token, INVOICES).await;
    assert_eq!(status, 429);
    assert_eq!(body["name"], "RATE_LIMIT_REACHED");
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(
        (1..=60).contains(&wait),
        "waits until the window has room: {wait}"
    );
    assert_eq!(sandbox.stats().rate_limited, 1);
}

#[tokio::test]
async fn server_errors_carry_a_debug_id() {
    let sandbox = start(config(5)).await;
    let token = token(&sandbox).await;
    sandbox.set_faults(Faults {
        server_error_rate: 1.0,
        ..Faults::none()
    });
    let mut seen = Vec::new();
    for _ in 0..12 {
        let (status, headers, body) = get(&sandbox, &token, INVOICES).await;
        assert!(status == 500 || status == 503, "{status}");
        let name = if status == 500 {
            "INTERNAL_SERVER_ERROR"
        } else {
            "SERVICE_UNAVAILABLE"
        };
        assert_eq!(body["name"], name);
        assert_eq!(
            headers["paypal-debug-id"],
            body["debug_id"].as_str().unwrap()
        );
        seen.push(status);
    }
    assert!(seen.contains(&500));
}

#[tokio::test]
async fn unticked_transaction_search_is_refused_and_leaves_the_scope_out() {
    let sandbox = start(config(5)).await;
    sandbox.set_transaction_search_enabled(false);
    let response = common::token_response(&sandbox, &sandbox.client_secret()).await;
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(!body["scope"]
        .as_str()
        .unwrap()
        .contains("reporting/search/read"));
    let token = body["access_token"].as_str().unwrap();
    let path = common::search_path(
        common::anchor() - chrono::Duration::days(1),
        common::anchor(),
        "",
    );
    let (status, _, body) = get(&sandbox, token, &path).await;
    assert_eq!(status, 403);
    assert_eq!(body["name"], "NOT_AUTHORIZED");
    assert_eq!(
        json!(body["details"][0]["issue"]),
        json!("PERMISSION_DENIED")
    );
}
