//! The Lambda deadline: a run cut off continues under its id after some progress, and stops when it
//! cannot make any.

use super::*;

/// The deadline of an invocation that has time for one page of the slow portal (200 ms a call),
/// far shorter than the fixed 10 s the engine used to keep in reserve.
fn one_page_deadline() -> Instant {
    Instant::now() + Duration::from_millis(250)
}

#[tokio::test]
async fn a_run_cut_off_by_the_deadline_continues_under_the_same_id_and_is_not_a_finished_full_sync()
{
    let portal = slow_portal(34, 200).await;

    let run = portal
        .sync(
            &requested("acme", SyncMode::Full, SyncTrigger::Schedule),
            one_page_deadline(),
        )
        .await;

    assert_eq!(run.status, SyncStatus::Continued);
    assert!(
        run.counts.values().sum::<u64>() > 0,
        "the cut-off invocation fetched something: {run:?}"
    );
    let continuations = sync_requests(&portal.bus);
    assert_eq!(continuations.len(), 1);
    let continuation = &continuations[0];
    assert_eq!(continuation.mode, SyncMode::Full);
    assert_eq!(continuation.sync_id.as_ref(), Some(&run.sync_id));
    assert_eq!(
        continuation.requested_by,
        SyncTrigger::Continuation {
            previous_sync_id: run.sync_id.to_string()
        }
    );
    assert_eq!(synced_events(&portal.bus), 0);
    let tenant = portal.store.get_tenant(&tenant_id("acme")).await.unwrap();
    assert_eq!(tenant.last_full_sync_at, None);

    // The continuation finishes the run, and only then is the full sync recorded.
    let finished = portal.sync(continuation, far_deadline()).await;
    assert_eq!(finished.sync_id, run.sync_id);
    assert_eq!(finished.status, SyncStatus::Succeeded);
    assert_eq!(synced_events(&portal.bus), 1);
    let tenant = portal.store.get_tenant(&tenant_id("acme")).await.unwrap();
    assert!(tenant.last_full_sync_at.is_some());
}

#[tokio::test]
async fn invocations_shorter_than_the_old_fixed_reserve_each_make_progress_and_the_chain_ends() {
    let portal = slow_portal(35, 200).await;
    let mut request = requested("acme", SyncMode::Full, SyncTrigger::Schedule);
    let mut invocations = 0;

    let finished = loop {
        invocations += 1;
        assert!(
            invocations <= 10,
            "ten invocations of 250 ms and the sync has not finished"
        );
        let run = portal.sync(&request, one_page_deadline()).await;
        assert!(
            run.counts.values().sum::<u64>() > 0,
            "invocation {invocations} fetched nothing: {run:?}"
        );
        match run.status {
            SyncStatus::Continued => {
                request = sync_requests(&portal.bus)
                    .pop()
                    .expect("a continued run emits its continuation");
            }
            _ => break run,
        }
    };

    assert_eq!(finished.status, SyncStatus::Succeeded, "{finished:?}");
    assert!(invocations > 1, "the deadline cut the run at least once");
    assert_eq!(synced_events(&portal.bus), 1);
}

#[test]
fn the_deadline_reserve_scales_with_the_invocation_up_to_its_bound() {
    let most = SyncOptions::default().deadline_reserve;
    assert_eq!(most, Duration::from_secs(10));
    let reserve = |budget| deadline_reserve(budget, most);
    // The Lambda's 15 minutes: the bound.
    assert_eq!(reserve(Duration::from_secs(15 * 60)), most);
    // A user's 3 s timeout keeps a fifth and fetches for the rest.
    assert_eq!(reserve(Duration::from_secs(3)), Duration::from_millis(600));
    assert_eq!(reserve(Duration::ZERO), Duration::ZERO);
}

#[tokio::test]
async fn an_invocation_with_no_time_to_fetch_fails_the_run_instead_of_continuing_it() {
    let portal = portal(36).await;

    let run = portal
        .sync(
            &requested("acme", SyncMode::Full, SyncTrigger::Schedule),
            Instant::now(),
        )
        .await;

    assert_eq!(run.status, SyncStatus::Failed);
    let reason = run.error.unwrap_or_default();
    assert!(reason.contains("fetched no page"), "{reason}");
    assert!(
        reason.contains("raise the sync function's timeout"),
        "{reason}"
    );
    assert!(
        portal.bus.published().is_empty(),
        "no continuation, no TenantSynced"
    );
}
