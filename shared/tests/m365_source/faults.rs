use crate::{connection, credentials, factory, retry, sandbox, source, walk};
use m365_sandbox::Faults;
use shared::domain::{ClientCredentials, ConnectionSettings};
use shared::ports::source::{AccountsSource, AccountsSourceFactory, FetchWindow, SourceError};
use std::time::Duration;

#[tokio::test]
async fn a_token_that_expires_early_is_fetched_again_once() {
    let sandbox = sandbox(41, 3).await;
    sandbox.set_faults(Faults {
        token_valid_for: Some(Duration::from_secs(60)),
        ..Faults::none()
    });
    let (source, _) = source(&sandbox).await;
    let ids = vec![sandbox.tenant_ids()[0].clone()];
    source.fetch_accounts(&ids).await.expect("first read");
    let tokens_before = sandbox.stats().token_requests;
    sandbox.advance_clock(Duration::from_secs(120));
    let records = source
        .fetch_accounts(&ids)
        .await
        .expect("read after expiry");
    assert_eq!(records.len(), 1);
    let stats = sandbox.stats();
    assert!(stats.unauthorized >= 1, "Graph refused the stale token");
    assert_eq!(stats.token_requests, tokens_before + 1, "one new token");
}

#[tokio::test]
async fn revoked_consent_stops_with_needs_reauth_naming_the_tenant() {
    let sandbox = sandbox(42, 4).await;
    let ids = sandbox.tenant_ids();
    let (source, _) = source(&sandbox).await;
    walk(&source, FetchWindow::All)
        .await
        .expect("the first walk");
    sandbox.revoke_consent(&ids[2]);
    match walk(&source, FetchWindow::All).await {
        Err(SourceError::NeedsReauth { reason }) => {
            assert!(reason.contains(&ids[2]), "{reason}");
            assert!(reason.contains("AADSTS700016"), "{reason}");
            assert!(!reason.contains(&sandbox.client_secret()));
        }
        other => panic!("expected NeedsReauth, got {other:?}"),
    }
}

#[tokio::test]
async fn check_credentials_tries_each_customer_tenant() {
    let sandbox = sandbox(43, 4).await;
    let ids = sandbox.tenant_ids();
    let (factory, _) = factory(&sandbox, retry(Duration::from_secs(60))).await;
    let settings = connection(&ids).settings;
    factory
        .check_credentials(&settings, &credentials(&sandbox))
        .await
        .expect("good credentials");
    let tokens = sandbox.stats().token_requests;
    assert_eq!(tokens, ids.len() as u64, "a token per customer tenant");

    let wrong = ClientCredentials::new(sandbox.client_id(), "not-the-secret");
    match factory.check_credentials(&settings, &wrong).await {
        Err(SourceError::NeedsReauth { reason }) => {
            assert!(reason.contains("AADSTS7000215") && !reason.contains("not-the-secret"))
        }
        other => panic!("expected NeedsReauth, got {other:?}"),
    }
    sandbox.revoke_consent(&ids[1]);
    match factory
        .check_credentials(&settings, &credentials(&sandbox))
        .await
    {
        Err(SourceError::NeedsReauth { reason }) => assert!(reason.contains(&ids[1]), "{reason}"),
        other => panic!("expected NeedsReauth, got {other:?}"),
    }
    // None listed yet: nothing can be checked with client credentials, and no request is made.
    let before = sandbox.stats().token_requests;
    let empty = ConnectionSettings::M365 {
        customer_tenants: Vec::new(),
    };
    factory
        .check_credentials(&empty, &credentials(&sandbox))
        .await
        .expect("nothing to check yet");
    assert_eq!(sandbox.stats().token_requests, before);
}

#[tokio::test]
async fn retry_after_of_429_and_503_is_honoured() {
    let sandbox = sandbox(44, 3).await;
    let (source, clock) = source(&sandbox).await;
    let ids = vec![sandbox.tenant_ids()[0].clone()];
    source.fetch_accounts(&ids).await.expect("warm");
    sandbox.set_faults(Faults {
        unavailable_next: 1,
        throttle_next: 1,
        retry_after_secs: 7,
        ..Faults::none()
    });
    let records = source
        .fetch_accounts(&ids)
        .await
        .expect("read after the faults");
    assert_eq!(records.len(), 1);
    assert_eq!(sandbox.stats().injected_faults, 2);
    let slept = clock.slept.lock().map(|s| s.clone()).unwrap_or_default();
    assert_eq!(
        slept
            .iter()
            .filter(|d| **d == Duration::from_secs(7))
            .count(),
        2,
        "waited as told: {slept:?}"
    );
}

#[tokio::test]
async fn retries_are_bounded_and_a_long_retry_after_stops_with_rate_limited() {
    let sandbox = sandbox(45, 3).await;
    let (source, _) = source(&sandbox).await;
    let ids = vec![sandbox.tenant_ids()[0].clone()];
    source.fetch_accounts(&ids).await.expect("warm");

    sandbox.set_faults(Faults {
        unavailable_next: 1_000,
        retry_after_secs: 1,
        ..Faults::none()
    });
    sandbox.reset_stats();
    // Another tenant: its report window is fresh, so only the retry bound can stop the read.
    let other = vec![sandbox.tenant_ids()[1].clone()];
    let outcome = source.fetch_accounts(&other).await;
    assert!(
        matches!(outcome, Err(SourceError::Unavailable { .. })),
        "{outcome:?}"
    );
    // Each concurrent request of the read gives up after 4 attempts.
    assert!(
        sandbox.stats().requests <= 4 * 8,
        "{}",
        sandbox.stats().requests
    );

    sandbox.set_faults(Faults {
        throttle_next: 1,
        retry_after_secs: 600,
        ..Faults::none()
    });
    match source.fetch_accounts(&ids).await {
        Err(SourceError::RateLimited { reset_at, .. }) => {
            assert!(reset_at.is_some_and(|at| at > sandbox.now() + chrono::Duration::minutes(9)))
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
}
