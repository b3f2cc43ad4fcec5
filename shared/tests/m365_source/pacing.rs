use crate::{connection, factory, retry, sandbox, walk};
use shared::ports::source::{AccountsSource, FetchWindow, SourceError};
use std::time::Duration;

#[tokio::test]
async fn repeated_walks_of_many_tenants_stay_under_fourteen_reports_per_ten_minutes() {
    let sandbox = sandbox(31, 30).await;
    let ids = sandbox.tenant_ids();
    // Waiting up to 11 minutes is allowed here (the simulated clock makes it instant).
    let (factory, clock) = factory(&sandbox, retry(Duration::from_secs(660))).await;
    let source = factory.source(&connection(&ids)).await.expect("source");
    let started = sandbox.now();
    for _ in 0..6 {
        let records = walk(&source, FetchWindow::All).await.expect("the walk");
        assert_eq!(records.len(), ids.len());
    }
    let stats = sandbox.stats();
    assert_eq!(stats.throttled, 0, "paced: Graph never had to refuse");
    assert!(
        stats.reports_by_tenant.values().all(|n| *n >= 18),
        "every tenant read more reports than one window allows: {:?}",
        stats.reports_by_tenant
    );
    assert!(
        sandbox.now() - started >= chrono::Duration::minutes(10),
        "the walks waited for the windows"
    );
    assert!(clock.total_slept() >= Duration::from_secs(590));
}

#[tokio::test]
async fn concurrent_reads_of_one_tenant_share_its_limiter() {
    let sandbox = sandbox(32, 3).await;
    let ids = sandbox.tenant_ids();
    let (factory, _) = factory(&sandbox, retry(Duration::from_secs(660))).await;
    let source = factory.source(&connection(&ids)).await.expect("source");
    let one = vec![ids[0].clone()];
    let reads = (0..6).map(|_| source.fetch_accounts(&one));
    let results = futures::future::join_all(reads).await;
    assert!(results
        .iter()
        .all(|r| r.as_ref().is_ok_and(|v| v.len() == 1)));
    assert_eq!(sandbox.stats().throttled, 0);
    assert!(sandbox.stats().reports_by_tenant[&ids[0]] >= 18);
}

#[tokio::test]
async fn a_wait_longer_than_the_invocation_allows_stops_with_rate_limited_naming_the_tenant() {
    let sandbox = sandbox(33, 3).await;
    let ids = sandbox.tenant_ids();
    let (factory, clock) = factory(&sandbox, retry(Duration::from_secs(60))).await;
    let source = factory.source(&connection(&ids)).await.expect("source");
    let mut outcome = Ok(Vec::new());
    for _ in 0..10 {
        outcome = walk(&source, FetchWindow::All).await;
        if outcome.is_err() {
            break;
        }
    }
    match outcome {
        Err(SourceError::RateLimited { reset_at, message }) => {
            assert!(message.contains(&ids[0]), "{message}");
            let reset_at = reset_at.expect("when to come back");
            assert!(reset_at > sandbox.now() + chrono::Duration::minutes(5));
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert_eq!(sandbox.stats().throttled, 0, "stopped before Graph refused");
    assert_eq!(clock.total_slept(), Duration::ZERO, "no wait was started");
}

#[tokio::test]
async fn graphs_own_429_on_the_report_limit_is_waited_out_when_our_pacing_lets_too_many_through() {
    // Another app of the same publisher, or a pacing set too loose: Graph refuses and says when.
    let sandbox = sandbox(34, 3).await;
    let ids = sandbox.tenant_ids();
    let (factory, clock) = factory(&sandbox, retry(Duration::from_secs(660))).await;
    let factory = factory.with_pacing(shared::sources::m365::ReportPacing {
        requests_per_window: 1_000,
        ..Default::default()
    });
    let source = factory.source(&connection(&ids)).await.expect("source");
    let one = vec![ids[0].clone()];
    for _ in 0..6 {
        let records = source.fetch_accounts(&one).await.expect("read");
        assert_eq!(records.len(), 1);
    }
    let stats = sandbox.stats();
    assert!(stats.throttled >= 1, "Graph refused past 14");
    let slept = clock.slept.lock().map(|s| s.clone()).unwrap_or_default();
    assert!(
        slept.iter().any(|d| *d >= Duration::from_secs(500)),
        "waited the Retry-After Graph sent: {slept:?}"
    );
}
