//! The lease that keeps one sync per tenant: short, renewed while the sync works, and given up when
//! another holder takes it.

use super::*;

#[tokio::test]
async fn a_tenant_whose_sync_holds_the_lease_is_not_synced_twice() {
    let portal = portal(33).await;
    let now = Utc::now();
    let held = portal
        .store
        .acquire_lease(
            &tenant_id("acme"),
            Lease::Sync.name(),
            "another-run",
            now + Days::minutes(10),
            now,
        )
        .await
        .unwrap();
    assert!(held);

    let run = portal
        .sync(
            &requested("acme", SyncMode::Full, SyncTrigger::Schedule),
            far_deadline(),
        )
        .await;

    assert_eq!(run.status, SyncStatus::Failed);
    let reason = run.error.unwrap_or_default();
    assert!(reason.contains("another sync"), "{reason}");
    assert!(portal.bus.published().is_empty(), "nothing is emitted");
    assert!(portal
        .store
        .checkpoints(&tenant_id("acme"))
        .await
        .unwrap()
        .is_empty());
    let tenant = portal.store.get_tenant(&tenant_id("acme")).await.unwrap();
    assert_eq!(tenant.last_full_sync_at, None);
}

#[tokio::test]
async fn a_killed_sync_blocks_the_next_one_for_one_short_lease_term_at_most() {
    let portal = slow_portal(37, 200).await;
    let request = requested("acme", SyncMode::Full, SyncTrigger::Schedule);

    // The invocation dies mid-sync (a Lambda killed at its timeout, a runner killed with kill -9):
    // it neither renews nor releases its lease.
    let killed = tokio::time::timeout(
        Duration::from_millis(500),
        portal.sync(&request, far_deadline()),
    )
    .await;
    assert!(killed.is_err(), "the sync was still running when killed");

    let acme = tenant_id("acme");
    let sync = Lease::Sync.name();
    let now = Utc::now();
    let next = now + Days::seconds(1);
    assert!(
        !portal
            .store
            .acquire_lease(&acme, sync, "next-run", next, now)
            .await
            .unwrap(),
        "still held right after"
    );
    let after_one_term = now + Days::from_std(LeaseTerms::SYNC.term).unwrap() + Days::seconds(1);
    assert!(
        LeaseTerms::SYNC.term <= Duration::from_secs(120),
        "a dead holder blocks for two minutes at most"
    );
    assert!(
        portal
            .store
            .acquire_lease(&acme, sync, "next-run", after_one_term, after_one_term)
            .await
            .unwrap(),
        "free once one term has passed"
    );
}

/// Lease terms short enough for a test to outlast: a term of 300 ms renewed every 100 ms.
const QUICK_LEASE: LeaseTerms = LeaseTerms {
    term: Duration::from_millis(300),
    renew_every: Duration::from_millis(100),
};

#[tokio::test]
async fn a_sync_longer_than_its_lease_term_keeps_renewing_the_lease() {
    let portal = slow_portal(38, 200).await;
    let request = requested("acme", SyncMode::Full, SyncTrigger::Schedule);
    let acme = tenant_id("acme");
    let sync = Lease::Sync.name();

    let done = AtomicBool::new(false);
    let started = Instant::now();
    let syncing = async {
        let run = handle_sync_requested_with(
            &portal.store,
            &portal.bus,
            &portal.sources,
            &request,
            far_deadline(),
            &NoProgress,
            QUICK_LEASE,
        )
        .await;
        done.store(true, Ordering::SeqCst);
        run
    };
    let contender = async {
        // Tries for the lease all along the sync, well past its first term.
        let mut got_it = false;
        tokio::time::sleep(Duration::from_millis(50)).await;
        while !done.load(Ordering::SeqCst) {
            let now = Utc::now();
            got_it |= portal
                .store
                .acquire_lease(&acme, sync, "contender", now + Days::milliseconds(1), now)
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        got_it
    };
    let (run, contender_got_it) = tokio::join!(syncing, contender);

    assert!(
        started.elapsed() > QUICK_LEASE.term * 3,
        "the sync outlasted three lease terms ({:?})",
        started.elapsed()
    );
    let run = run.unwrap();
    assert!(!contender_got_it, "the running sync kept its lease");
    assert_eq!(run.status, SyncStatus::Succeeded, "{run:?}");
    let now = Utc::now();
    assert!(
        portal
            .store
            .acquire_lease(&acme, sync, "after", now + Days::seconds(1), now)
            .await
            .unwrap(),
        "released at the end"
    );
}

#[tokio::test]
async fn a_sync_whose_lease_is_taken_over_stops_and_records_why() {
    let portal = slow_portal(39, 200).await;
    let request = requested("acme", SyncMode::Full, SyncTrigger::Schedule);
    let acme = tenant_id("acme");
    let sync = Lease::Sync.name();

    let usurper = async {
        // Another process whose clock runs a minute ahead sees the lease as run out and takes it.
        tokio::time::sleep(Duration::from_millis(150)).await;
        let ahead = Utc::now() + Days::minutes(1);
        portal
            .store
            .acquire_lease(&acme, sync, "usurper", ahead + Days::minutes(1), ahead)
            .await
            .unwrap()
    };
    let syncing = handle_sync_requested_with(
        &portal.store,
        &portal.bus,
        &portal.sources,
        &request,
        far_deadline(),
        &NoProgress,
        QUICK_LEASE,
    );
    let (run, usurped) = tokio::join!(syncing, usurper);

    assert!(usurped);
    let run = run.unwrap();
    assert_eq!(run.status, SyncStatus::Failed, "{run:?}");
    let reason = run.error.unwrap_or_default();
    assert!(reason.contains("lease was taken over"), "{reason}");
    assert!(
        portal.bus.published().is_empty(),
        "a stopped sync emits nothing"
    );
    assert!(
        !portal
            .store
            .acquire_lease(
                &acme,
                sync,
                "third",
                Utc::now() + Days::seconds(1),
                Utc::now()
            )
            .await
            .unwrap(),
        "the stopped sync left the new holder's lease alone"
    );
}
