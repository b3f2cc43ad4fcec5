//! Each failure mode of the simulator met by the source: token expiry and revocation, refused
//! credentials, 429s with and without Retry-After, 5xx, slow answers, the page-size cap, and
//! secrets kept out of Debug and errors.

use crate::common::{connection, credentials, factory, sandbox, walk};
use pax8_sandbox::{CompanySeed, Faults, SandboxConfig};
use shared::domain::{ClientCredentials, ConnectionSettings};
use shared::ports::source::{AccountsSource, AccountsSourceFactory, FetchWindow, SourceError};
use shared::sources::pax8::RetryPolicy;
use std::time::Duration;

fn small() -> SandboxConfig {
    SandboxConfig::for_companies(5, CompanySeed::synthetic(12))
}

#[tokio::test]
async fn an_expired_or_revoked_token_is_replaced_once_and_the_walk_goes_on() {
    let sandbox = sandbox(small()).await;
    let sources = factory(&sandbox, 1).await;
    let source = sources.source(&connection()).await.expect("source");
    let first = source
        .fetch_step(FetchWindow::All, None)
        .await
        .expect("first step");
    sandbox.expire_tokens();
    let second = source
        .fetch_step(FetchWindow::All, first.next_cursor.as_deref())
        .await
        .expect("a new token after expiry");
    sandbox.revoke_tokens();
    source
        .fetch_step(FetchWindow::All, second.next_cursor.as_deref())
        .await
        .expect("a new token after revocation");
    let stats = source.client().stats();
    assert_eq!(stats.token_requests, 3);
    assert_eq!(stats.token_replacements, 2);
}

#[tokio::test]
async fn refused_credentials_need_a_new_connection() {
    let sandbox = sandbox(small()).await;
    let sources = factory(&sandbox, 1).await;
    sources
        .check_credentials(&ConnectionSettings::Pax8, &credentials(&sandbox))
        .await
        .expect("the right credentials pass");
    let wrong = ClientCredentials::new(sandbox.client_id(), "not-the-secret".to_owned());
    let refused = sources
        .check_credentials(&ConnectionSettings::Pax8, &wrong)
        .await;
    let Err(SourceError::NeedsReauth { reason }) = refused else {
        panic!("wrong credentials need a new connection: {refused:?}");
    };
    assert!(!reason.contains("not-the-secret"), "{reason}");
    // A working token, then revoked, and the credentials refused too: no way on.
    let source = sources.source(&connection()).await.expect("source");
    source
        .fetch_step(FetchWindow::All, None)
        .await
        .expect("first step");
    sandbox.revoke_tokens();
    sandbox.refuse_credentials(true);
    let dead = source.fetch_step(FetchWindow::All, None).await;
    assert!(
        matches!(dead, Err(SourceError::NeedsReauth { .. })),
        "{dead:?}"
    );
}

#[tokio::test]
async fn rate_limits_are_waited_out_and_a_long_retry_after_stops_the_run() {
    let sandbox = sandbox(small()).await;
    let sources = factory(&sandbox, 6).await;
    let source = sources.source(&connection()).await.expect("source");
    sandbox.set_faults(Faults {
        rate_limit_rate: 0.3,
        retry_after_secs: Some(0),
        ..Faults::none()
    });
    let walked = walk(&source, FetchWindow::All)
        .await
        .expect("walked through 429s");
    assert!(!walked.accounts.is_empty());
    assert!(source.client().stats().rate_limited > 0);
    assert_eq!(
        source.client().stats().rate_limited,
        sandbox.stats().rate_limited
    );
    sandbox.set_faults(Faults {
        rate_limit_rate: 1.0,
        retry_after_secs: Some(3_600),
        ..Faults::none()
    });
    let started = std::time::Instant::now();
    let stopped = source.fetch_step(FetchWindow::All, None).await;
    assert!(
        matches!(
            stopped,
            Err(SourceError::RateLimited {
                reset_at: Some(_),
                ..
            })
        ),
        "{stopped:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no hour-long sleep"
    );
    // Without Retry-After the retries are bounded.
    sandbox.set_faults(Faults {
        rate_limit_rate: 1.0,
        ..Faults::none()
    });
    let spent = source.fetch_step(FetchWindow::All, None).await;
    assert!(
        matches!(spent, Err(SourceError::RateLimited { .. })),
        "{spent:?}"
    );
}

#[tokio::test]
async fn server_errors_are_retried_and_a_lasting_outage_is_unavailable() {
    let sandbox = sandbox(small()).await;
    let sources = factory(&sandbox, 6).await;
    let source = sources.source(&connection()).await.expect("source");
    sandbox.set_faults(Faults {
        server_error_rate: 0.3,
        ..Faults::none()
    });
    walk(&source, FetchWindow::All)
        .await
        .expect("walked through 5xx");
    assert!(source.client().stats().retries > 0);
    sandbox.set_faults(Faults {
        server_error_rate: 1.0,
        ..Faults::none()
    });
    let down = source.fetch_step(FetchWindow::All, None).await;
    let Err(error) = down else {
        panic!("a lasting outage fails");
    };
    assert!(
        matches!(error, SourceError::Unavailable { .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_slow_answer_times_out_as_unavailable() {
    let sandbox = sandbox(small()).await;
    let sources = factory(&sandbox, 1).await.with_retry(RetryPolicy {
        request_timeout: Duration::from_millis(100),
        ..RetryPolicy::fast(1)
    });
    let source = sources.source(&connection()).await.expect("source");
    sandbox.set_faults(Faults {
        latency_ms: 400,
        ..Faults::none()
    });
    let slow = source.fetch_step(FetchWindow::All, None).await;
    assert!(
        matches!(slow, Err(SourceError::Unavailable { .. })),
        "{slow:?}"
    );
    sandbox.set_faults(Faults {
        latency_ms: 20,
        ..Faults::none()
    });
    source
        .fetch_step(FetchWindow::All, None)
        .await
        .expect("a slow but timely answer");
}

#[tokio::test]
async fn more_companies_than_a_page_holds_are_paged_at_200() {
    let mut config = SandboxConfig::for_companies(8, CompanySeed::synthetic(240));
    config.subscriptions_per_company = 1;
    let sandbox = sandbox(config).await;
    let sources = factory(&sandbox, 1).await;
    let source = sources.source(&connection()).await.expect("source");
    let walked = walk(&source, FetchWindow::All).await.expect("walk");
    let live = sandbox
        .truth()
        .iter()
        .filter(|c| c.status != "Deleted")
        .count();
    assert!(live > 200);
    assert_eq!(walked.accounts.len(), live);
    assert_eq!(
        sandbox.stats().by_route.get("GET /v1/companies").copied(),
        Some(2)
    );
}

#[tokio::test]
async fn debug_output_and_errors_never_show_a_secret() {
    let sandbox = sandbox(small()).await;
    let sources = factory(&sandbox, 1).await;
    let client = sources.client_with(&credentials(&sandbox));
    client.fetch_token().await.expect("token");
    let shown = format!("{client:?} {:?}", credentials(&sandbox));
    assert!(!shown.contains(&sandbox.client_secret()), "{shown}");
    assert!(!shown.contains(crate::common::WEBHOOK_SECRET), "{shown}");
    assert!(!shown.contains("eyJ"), "no token: {shown}");
}
