//! Retrying HubSpot, against the sandbox and with the production retry policy: refused requests
//! lose no record, and no wait lasts longer than HubSpot's answer asked for. How fast a faulty sync
//! runs is the `hubspot_sync` benchmark's business (`-- --faults`), not a test's.

use chrono::Utc;
use hubspot_sandbox::{Faults, Sandbox, SandboxConfig};
use secrecy::SecretString;
use shared::connector::{run_sync, NoProgress, SyncOutcome, SyncPlan};
use shared::domain::{ClientId, ClientSnapshot, HubSpotLimits, ObjectType, SyncId, TenantId};
use shared::ports::{PageRequest, SnapshotStore};
use shared::sources::hubspot::{
    Budget, HubSpotClient, HubSpotSource, Pacing, PortalLimiter, RetryPolicy, StaticToken,
};
use shared::store::MemoryStore;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the sandbox states in `X-HubSpot-RateLimit-Interval-Milliseconds`.
const STATED_WINDOW: Duration = Duration::from_millis(10_000);

fn tenant_id() -> TenantId {
    TenantId::parse("acme").unwrap()
}

/// A private-app source whose tenant setting allows `per_ten_seconds`, retrying as in production.
fn source(sandbox: &Sandbox, per_ten_seconds: u32) -> HubSpotSource {
    let limits = HubSpotLimits {
        per_ten_seconds,
        search_per_second: 5,
        daily: None,
    };
    HubSpotSource::new(HubSpotClient::new(
        HubSpotClient::default_http().unwrap(),
        &sandbox.base_url(),
        Arc::new(StaticToken::new(SecretString::from(
            sandbox.private_app_token(),
        ))),
        Arc::new(PortalLimiter::new(&limits)),
        RetryPolicy::default(),
    ))
}

async fn full_sync(source: &HubSpotSource, store: &MemoryStore) -> SyncOutcome {
    run_sync(
        source,
        store,
        &tenant_id(),
        &SyncPlan::full(SyncId::parse("sync-0001").unwrap(), Utc::now()),
        Instant::now() + Duration::from_secs(600),
        &NoProgress,
    )
    .await
    .unwrap()
}

fn portal_counts(sandbox: &Sandbox) -> BTreeMap<ObjectType, u64> {
    ObjectType::ALL
        .into_iter()
        .map(|t| (t, sandbox.records(t.as_str()).len() as u64))
        .filter(|(_, n)| *n > 0)
        .collect()
}

async fn snapshots(store: &MemoryStore) -> BTreeMap<ClientId, ClientSnapshot> {
    let mut out = BTreeMap::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let got = store.list_snapshots(&tenant_id(), &page).await.unwrap();
        out.extend(got.items.into_iter().map(|s| (s.client_id.clone(), s)));
        match got.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => return out,
        }
    }
}

#[tokio::test]
async fn with_a_fifth_of_requests_refused_every_record_arrives_and_no_wait_outlasts_what_hubspot_asked(
) {
    // About 60 requests, so that both kinds of fault all but surely strike.
    let sandbox = Sandbox::start(SandboxConfig {
        engagements: 5_000,
        ..SandboxConfig::small(31)
    })
    .await
    .unwrap();
    let clean_store = MemoryStore::new();
    let clean = full_sync(&source(&sandbox, 190), &clean_store).await;

    sandbox.set_faults(Faults {
        server_error_rate: 0.1,
        rate_limit_rate: 0.1,
        ..Faults::none()
    });
    sandbox.reset_stats();
    let store = MemoryStore::new();
    let faulty = source(&sandbox, 190);
    let outcome = full_sync(&faulty, &store).await;

    assert!(outcome.completed);
    assert_eq!(outcome.counts, portal_counts(&sandbox));
    assert_eq!(outcome.counts, clean.counts);
    assert_eq!(snapshots(&store).await, snapshots(&clean_store).await);
    let served = sandbox.stats();
    let client = faulty.client().stats();
    assert!(served.injected_faults > 0, "no fault was injected");
    assert_eq!(served.rate_limited, 0, "our pacing earned a real 429");
    // Each refusal was followed by exactly one more try.
    assert_eq!(client.retries, served.injected_faults);
    assert!(client.rate_limited + client.transient_failures == served.injected_faults);
    // The injected 429s came with headers showing room in the window: no reason to hold the portal,
    // nor to wait a window's length (the old client waited ten seconds on each).
    assert_eq!(client.budget_holds, 0);
    assert!(
        client.longest_wait <= RetryPolicy::default().max_delay,
        "a wait of {:?}",
        client.longest_wait
    );
}

#[tokio::test]
async fn a_window_really_full_is_waited_out_just_until_it_frees_and_the_sync_completes() {
    // The tenant setting says 190 requests a 10 s; the portal allows far fewer than a full sync
    // needs. HubSpot's headers, not our pacing, must carry the sync through.
    let config = SandboxConfig::small(32);
    let needed = {
        let probe = Sandbox::start(config.clone()).await.unwrap();
        full_sync(&source(&probe, 190), &MemoryStore::new()).await;
        probe.stats().requests
    };
    let allowed = u32::try_from(needed).unwrap() - 3;
    let sandbox = Sandbox::start(SandboxConfig {
        rate_limit_per_ten_seconds: allowed,
        ..config
    })
    .await
    .unwrap();
    let source = source(&sandbox, 190);
    let store = MemoryStore::new();
    let outcome = full_sync(&source, &store).await;

    assert!(outcome.completed);
    assert_eq!(outcome.counts, portal_counts(&sandbox));
    let client = source.client().stats();
    assert!(client.budget_holds > 0, "the full window went unnoticed");
    // Whatever the window held, no wait was longer than the window HubSpot states.
    assert!(
        client.longest_wait <= STATED_WINDOW,
        "a wait of {:?}",
        client.longest_wait
    );
    assert!(
        client.longest_wait > Duration::ZERO,
        "the window was never waited for"
    );
    // The lower limit HubSpot states is now the pace.
    assert_eq!(
        source.client().limiter().pacing(Budget::General),
        Pacing::for_window(allowed, STATED_WINDOW)
    );
}
