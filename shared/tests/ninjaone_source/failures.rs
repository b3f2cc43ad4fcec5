use crate::{
    connection, credentials, factory_with, full_walk, sandbox, small_config, source, walk,
};
use ninjaone_sandbox::Faults;
use shared::domain::ConnectionSettings;
use shared::ports::source::{AccountsSource, AccountsSourceFactory, FetchWindow, SourceError};
use shared::sources::ninjaone::NinjaoneSettings;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_token_that_expires_early_is_replaced_once_and_the_walk_goes_on() {
    let sandbox = sandbox(small_config()).await;
    let source = source(&sandbox).await;
    let mut accounts = BTreeMap::new();
    let cursor = walk(&source, None, 1, &mut accounts).await.expect("a step");
    sandbox.expire_tokens();
    let rest = walk(&source, cursor, 1_000, &mut accounts)
        .await
        .expect("the walk goes on with a new token");
    assert!(rest.is_none());
    assert_eq!(accounts.len(), sandbox.truth().len());
    assert_eq!(source.client().stats().token_replacements, 1);
    assert_eq!(sandbox.stats().unauthorized, 1);
    assert_eq!(sandbox.stats().token_requests, 2);
}

#[tokio::test]
async fn tokens_are_cached_until_expires_in_says_otherwise() {
    let sandbox = sandbox(small_config()).await;
    let source = source(&sandbox).await;
    full_walk(&source).await;
    assert_eq!(sandbox.stats().token_requests, 1, "one token for the walk");
}

#[tokio::test]
async fn revoked_access_with_refused_credentials_needs_reauthorising() {
    let sandbox = sandbox(small_config()).await;
    let source = source(&sandbox).await;
    let mut accounts = BTreeMap::new();
    let cursor = walk(&source, None, 1, &mut accounts).await.expect("a step");
    sandbox.revoke_tokens();
    sandbox.refuse_credentials(true);
    let refused = source.fetch_step(FetchWindow::All, cursor.as_deref()).await;
    let Err(SourceError::NeedsReauth { reason }) = refused else {
        panic!("NeedsReauth expected, got {refused:?}");
    };
    assert!(!reason.contains(&sandbox.client_secret()), "{reason}");
}

#[tokio::test]
async fn check_credentials_fetches_a_token_on_either_path_and_refuses_bad_ones() {
    let sandbox = sandbox(small_config()).await;
    let settings = connection().settings;
    for token_path in ["/ws/oauth/token", "/oauth/token"] {
        let factory = factory_with(
            &sandbox,
            NinjaoneSettings {
                token_path: token_path.to_owned(),
                ..NinjaoneSettings::default()
            },
            2,
        )
        .await;
        factory
            .check_credentials(&settings, &credentials(&sandbox))
            .await
            .expect("good credentials");
    }
    let factory = factory_with(&sandbox, NinjaoneSettings::default(), 2).await;
    let mut wrong = credentials(&sandbox);
    wrong.client_secret = "not-the-secret".into();
    let refused = factory.check_credentials(&settings, &wrong).await;
    assert!(
        matches!(refused, Err(SourceError::NeedsReauth { .. })),
        "{refused:?}"
    );
    let other = factory
        .check_credentials(&ConnectionSettings::Pax8, &credentials(&sandbox))
        .await;
    assert!(matches!(other, Err(SourceError::Credentials(_))));
}

#[tokio::test]
async fn a_429_waits_as_retry_after_says() {
    let sandbox = sandbox(small_config()).await;
    let source = source(&sandbox).await;
    sandbox.set_faults(Faults {
        throttle_next: 1,
        retry_after_secs: 1,
        ..Faults::none()
    });
    let started = Instant::now();
    let accounts = full_walk(&source).await;
    assert_eq!(accounts.len(), sandbox.truth().len());
    assert!(started.elapsed() >= Duration::from_secs(1), "waited");
    assert_eq!(sandbox.stats().rate_limited, 1);
    assert_eq!(source.client().stats().rate_limited, 1);
}

#[tokio::test]
async fn a_retry_after_longer_than_a_run_can_wait_stops_as_rate_limited() {
    let sandbox = sandbox(small_config()).await;
    let source = source(&sandbox).await;
    sandbox.set_faults(Faults {
        throttle_next: 1,
        retry_after_secs: 3_600,
        ..Faults::none()
    });
    let limited = source.fetch_step(FetchWindow::All, None).await;
    let Err(error @ SourceError::RateLimited { .. }) = limited else {
        panic!("RateLimited expected, got {limited:?}");
    };
    assert!(error.is_retryable());
}

#[tokio::test]
async fn server_errors_are_retried_and_retries_are_bounded() {
    let sandbox = sandbox(small_config()).await;
    let source = source(&sandbox).await;
    sandbox.set_faults(Faults {
        fail_next: 2,
        ..Faults::none()
    });
    let accounts = full_walk(&source).await;
    assert_eq!(accounts.len(), sandbox.truth().len());
    assert_eq!(source.client().stats().retries, 2);

    sandbox.set_faults(Faults {
        fail_next: 1_000,
        ..Faults::none()
    });
    sandbox.reset_stats();
    let failed = source.fetch_step(FetchWindow::All, None).await;
    assert!(
        matches!(failed, Err(SourceError::Unavailable { .. })),
        "{failed:?}"
    );
    // The factory's policy allows four retries: five sends, then it stops.
    assert_eq!(sandbox.stats().server_errors, 5);
}

#[tokio::test]
async fn slow_answers_still_complete() {
    let sandbox = sandbox(small_config()).await;
    let source = source(&sandbox).await;
    sandbox.set_faults(Faults {
        latency_ms: 20,
        ..Faults::none()
    });
    let accounts = full_walk(&source).await;
    assert_eq!(accounts.len(), sandbox.truth().len());
}

#[tokio::test]
async fn each_region_has_its_host_unless_a_simulator_replaces_them() {
    let vault = std::sync::Arc::new(shared::vault::InProcessVault::new());
    let sources = shared::sources::ninjaone::NinjaoneSources::new(reqwest::Client::new(), vault);
    for (region, host) in [
        (
            shared::domain::NinjaoneRegion::Eu,
            "https://eu.ninjarmm.com",
        ),
        (
            shared::domain::NinjaoneRegion::Us,
            "https://app.ninjarmm.com",
        ),
        (
            shared::domain::NinjaoneRegion::Ca,
            "https://ca.ninjarmm.com",
        ),
    ] {
        let settings = ConnectionSettings::Ninjaone { region };
        assert_eq!(sources.base_url(&settings).expect("a host"), host);
    }
    let simulated = sources.with_base_url("http://127.0.0.1:9");
    let settings = ConnectionSettings::Ninjaone {
        region: shared::domain::NinjaoneRegion::Oc,
    };
    assert_eq!(
        simulated.base_url(&settings).expect("a host"),
        "http://127.0.0.1:9"
    );
    assert!(simulated.base_url(&ConnectionSettings::Pax8).is_err());
}
