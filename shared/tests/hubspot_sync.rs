//! The HubSpot connector against the sandbox portal: full and incremental syncs, resumption after a
//! deadline, faults, token refresh and the search cap. The store and vault are the in-process ones.

use chrono::{DateTime, Utc};
use hubspot_sandbox::{Faults, Sandbox, SandboxConfig};
use secrecy::{ExposeSecret, SecretString};
use shared::connector::{run_sync, NoProgress, SyncError, SyncOptions, SyncOutcome, SyncPlan};
use shared::domain::{
    AuthKind, ClientId, ClientSnapshot, HubSpotLimits, ObjectType, SyncCheckpoint, SyncId, Tenant,
    TenantId,
};
use shared::ports::source::{CrmSource, FetchWindow};
use shared::ports::{PageRequest, SecretVault, SnapshotStore, SyncStore, TenantStore};
use shared::sources::hubspot::{
    HubSpotClient, HubSpotSource, OAuthClient, PortalLimiter, RefreshPolicy, RetryPolicy,
    StaticToken, StoredCredentials, TokenManager, TokenSet,
};
use shared::store::MemoryStore;
use shared::vault::InProcessVault;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use test_support::fixtures::sandbox_oauth_client;

const ENGAGEMENTS: [&str; 5] = ["calls", "emails", "meetings", "notes", "tasks"];

fn far_deadline() -> Instant {
    Instant::now() + Duration::from_secs(600)
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 10,
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(100),
        rate_limit_delay: Duration::from_millis(20),
        request_timeout: Duration::from_secs(20),
    }
}

fn limits(per_ten_seconds: u32) -> HubSpotLimits {
    HubSpotLimits {
        per_ten_seconds,
        search_per_second: 5,
        daily: None,
    }
}

fn tenant_id() -> TenantId {
    TenantId::parse("acme").unwrap()
}

fn sync_id(n: u32) -> SyncId {
    SyncId::parse(format!("sync-{n:04}")).unwrap()
}

fn private_source(sandbox: &Sandbox, limits: &HubSpotLimits) -> HubSpotSource {
    let client = HubSpotClient::new(
        HubSpotClient::default_http().unwrap(),
        &sandbox.base_url(),
        Arc::new(StaticToken::new(SecretString::from(
            sandbox.private_app_token(),
        ))),
        Arc::new(PortalLimiter::new(limits)),
        fast_retry(),
    );
    HubSpotSource::new(client)
}

/// Test options: flush often so resumption is exercised, no overlap so counts are exact.
fn options() -> SyncOptions {
    SyncOptions {
        flush_every: Duration::from_millis(50),
        deadline_reserve: Duration::ZERO,
        window_overlap: Duration::ZERO,
        pages_in_flight: 8,
    }
}

fn plan_full(n: u32, started_at: DateTime<Utc>) -> SyncPlan {
    SyncPlan {
        options: options(),
        ..SyncPlan::full(sync_id(n), started_at)
    }
}

fn plan_incremental(n: u32, started_at: DateTime<Utc>) -> SyncPlan {
    SyncPlan {
        options: options(),
        ..SyncPlan::incremental(sync_id(n), started_at)
    }
}

async fn all_snapshots(store: &MemoryStore) -> BTreeMap<ClientId, ClientSnapshot> {
    let mut out = BTreeMap::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let got = store.list_snapshots(&tenant_id(), &page).await.unwrap();
        for s in got.items {
            out.insert(s.client_id.clone(), s);
        }
        match got.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => return out,
        }
    }
}

/// What each client should hold, read straight from the portal.
#[derive(Debug, Default, PartialEq)]
struct Expected {
    name: String,
    contacts: BTreeSet<String>,
    deals: BTreeSet<String>,
    tickets: BTreeSet<String>,
    engagements: BTreeSet<String>,
}

fn expected_from_portal(sandbox: &Sandbox) -> BTreeMap<String, Expected> {
    let mut clients: BTreeMap<String, Expected> = BTreeMap::new();
    for company in sandbox.records("companies") {
        let name = company
            .properties
            .get("name")
            .cloned()
            .flatten()
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty());
        clients.insert(
            company.id.clone(),
            Expected {
                name: name.unwrap_or_default(),
                ..Expected::default()
            },
        );
    }
    let mut contact_companies: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for contact in sandbox.records("contacts") {
        let companies = sandbox.associations("contacts", &contact.id, "companies");
        for c in &companies {
            if let Some(e) = clients.get_mut(c) {
                e.contacts.insert(contact.id.clone());
            }
        }
        contact_companies.insert(contact.id.clone(), companies);
    }
    for (kind, pick) in [("deals", 0usize), ("tickets", 1)] {
        for record in sandbox.records(kind) {
            for c in sandbox.associations(kind, &record.id, "companies") {
                if let Some(e) = clients.get_mut(&c) {
                    let set = if pick == 0 {
                        &mut e.deals
                    } else {
                        &mut e.tickets
                    };
                    set.insert(record.id.clone());
                }
            }
        }
    }
    for kind in ENGAGEMENTS {
        for record in sandbox.records(kind) {
            let mut companies = sandbox.associations(kind, &record.id, "companies");
            if companies.is_empty() {
                for contact in sandbox.associations(kind, &record.id, "contacts") {
                    companies.extend(contact_companies.get(&contact).cloned().unwrap_or_default());
                }
            }
            for c in companies {
                if let Some(e) = clients.get_mut(&c) {
                    e.engagements.insert(record.id.clone());
                }
            }
        }
    }
    clients
}

fn held_by_store(snapshots: &BTreeMap<ClientId, ClientSnapshot>) -> BTreeMap<String, Expected> {
    snapshots
        .iter()
        .map(|(id, s)| {
            (
                id.to_string(),
                Expected {
                    name: if s.name.starts_with("Company ") || s.domain.as_deref() == Some(&s.name)
                    {
                        // The connector names unnamed companies; the portal has no name for them.
                        String::new()
                    } else {
                        s.name.clone()
                    },
                    contacts: s.contacts.iter().map(|c| c.id.clone()).collect(),
                    deals: s.deals.iter().map(|d| d.id.clone()).collect(),
                    tickets: s.tickets.iter().map(|t| t.id.clone()).collect(),
                    engagements: s.engagements.iter().map(|e| e.id.clone()).collect(),
                },
            )
        })
        .collect()
}

async fn assert_store_equals_portal(store: &MemoryStore, sandbox: &Sandbox) {
    let expected = expected_from_portal(sandbox);
    let held = held_by_store(&all_snapshots(store).await);
    assert_eq!(
        held.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "the clients differ from the portal's companies"
    );
    for (id, want) in &expected {
        assert_eq!(&held[id], want, "client {id} differs from the portal");
    }
}

async fn full_sync(source: &HubSpotSource, store: &MemoryStore, n: u32) -> SyncOutcome {
    run_sync(
        source,
        store,
        &tenant_id(),
        &plan_full(n, Utc::now()),
        far_deadline(),
        &NoProgress,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn full_sync_equals_the_portal() {
    let sandbox = Sandbox::start(SandboxConfig::small(11)).await.unwrap();
    let store = MemoryStore::new();
    let source = private_source(&sandbox, &limits(190));

    let outcome = full_sync(&source, &store, 1).await;

    assert!(outcome.completed);
    assert!(outcome.reconciled);
    assert_store_equals_portal(&store, &sandbox).await;
    for t in ObjectType::ALL {
        assert_eq!(
            outcome.counts.get(&t).copied().unwrap_or(0),
            sandbox.records(t.as_str()).len() as u64,
            "records fetched for {t:?}"
        );
    }
    assert_eq!(outcome.requests_used, sandbox.stats().requests);
    assert_eq!(sandbox.stats().rate_limited, 0, "our pacing earned a 429");
    let checkpoints = store.checkpoints(&tenant_id()).await.unwrap();
    assert_eq!(checkpoints.len(), ObjectType::ALL.len());
    assert!(checkpoints
        .iter()
        .all(|c| c.cursor.is_none() && c.watermark.is_some()));
    assert_eq!(
        outcome.changed_client_ids.len(),
        sandbox.records("companies").len()
    );

    // A second full sync of an unchanged portal writes nothing.
    let again = full_sync(&source, &store, 2).await;
    assert!(
        again.changed_client_ids.is_empty(),
        "{:?}",
        again.changed_client_ids
    );
    assert_eq!(again.writes.items_written, 0);
}

#[tokio::test]
async fn full_sync_removes_clients_and_records_deleted_in_hubspot() {
    let sandbox = Sandbox::start(SandboxConfig::small(12)).await.unwrap();
    let store = MemoryStore::new();
    let source = private_source(&sandbox, &limits(190));
    full_sync(&source, &store, 1).await;

    let gone_company = sandbox.records("companies")[3].id.clone();
    let gone_deal = sandbox.records("deals")[0].id.clone();
    assert!(sandbox.delete_record("companies", &gone_company));
    assert!(sandbox.delete_record("deals", &gone_deal));
    let outcome = full_sync(&source, &store, 2).await;

    assert_eq!(
        outcome.deleted_client_ids,
        vec![ClientId::parse(gone_company).unwrap()]
    );
    assert_store_equals_portal(&store, &sandbox).await;
}

#[tokio::test]
async fn incremental_sync_picks_up_exactly_the_changes() {
    let sandbox = Sandbox::start(SandboxConfig::small(13)).await.unwrap();
    let store = MemoryStore::new();
    let source = private_source(&sandbox, &limits(190));
    full_sync(&source, &store, 1).await;
    sandbox.reset_stats();

    // Changes after the full sync's start.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let deal = sandbox.records("deals")[0].id.clone();
    assert!(sandbox.update_property("deals", &deal, "amount", Some("123456")));
    let touched_contacts = sandbox.touch_random("contacts", 7);
    let touched_calls = sandbox.touch_random("calls", 4);
    let some_company = sandbox.records("companies")[5].id.clone();
    let mut props = serde_json::Map::new();
    props.insert("amount".into(), "999".into());
    props.insert("dealstage".into(), "closedwon".into());
    let new_deal = sandbox.create_record("deals", props, Some(&some_company));
    let mut props = serde_json::Map::new();
    props.insert("name".into(), "Brand New Ltd".into());
    let new_company = sandbox.create_record("companies", props, None);
    tokio::time::sleep(Duration::from_millis(5)).await;

    let outcome = run_sync(
        &source,
        &store,
        &tenant_id(),
        &plan_incremental(2, Utc::now()),
        far_deadline(),
        &NoProgress,
    )
    .await
    .unwrap();

    assert!(outcome.completed);
    assert_eq!(outcome.counts.get(&ObjectType::Deals), Some(&2));
    assert_eq!(
        outcome.counts.get(&ObjectType::Contacts),
        Some(&(touched_contacts.len() as u64))
    );
    assert_eq!(
        outcome.counts.get(&ObjectType::Calls),
        Some(&(touched_calls.len() as u64))
    );
    assert_eq!(outcome.counts.get(&ObjectType::Companies), Some(&1));
    assert_eq!(
        outcome
            .counts
            .get(&ObjectType::Tickets)
            .copied()
            .unwrap_or(0),
        0
    );

    // Exactly the clients those records belong to changed.
    let mut expected: BTreeSet<String> = BTreeSet::new();
    expected.extend(sandbox.associations("deals", &deal, "companies"));
    expected.extend(sandbox.associations("deals", &new_deal, "companies"));
    expected.insert(new_company.clone());
    for c in &touched_contacts {
        expected.extend(sandbox.associations("contacts", c, "companies"));
    }
    for c in &touched_calls {
        let companies = sandbox.associations("calls", c, "companies");
        expected.extend(companies);
    }
    let changed: BTreeSet<String> = outcome
        .changed_client_ids
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(changed, expected);

    assert_store_equals_portal(&store, &sandbox).await;
    let snapshots = all_snapshots(&store).await;
    let holder = ClientId::parse(some_company).unwrap();
    let new_deal_held = snapshots[&holder].deals.iter().find(|d| d.id == new_deal);
    assert_eq!(
        new_deal_held.map(|d| (d.amount, d.is_closed_won)),
        Some((Some(999.0), true))
    );
}

#[tokio::test]
async fn incremental_sync_with_nothing_changed_costs_one_search_per_type() {
    let sandbox = Sandbox::start(SandboxConfig::small(14)).await.unwrap();
    let store = MemoryStore::new();
    let source = private_source(&sandbox, &limits(190));
    full_sync(&source, &store, 1).await;
    sandbox.reset_stats();

    let outcome = run_sync(
        &source,
        &store,
        &tenant_id(),
        &plan_incremental(2, Utc::now()),
        far_deadline(),
        &NoProgress,
    )
    .await
    .unwrap();

    assert!(outcome.completed);
    assert!(outcome.changed_client_ids.is_empty());
    assert_eq!(outcome.requests_used, ObjectType::ALL.len() as u64);
    assert_eq!(
        sandbox.stats().search_requests,
        ObjectType::ALL.len() as u64
    );
}

#[tokio::test]
async fn a_sync_cut_off_by_the_deadline_and_resumed_equals_a_clean_one() {
    let config = SandboxConfig {
        rate_limit_per_ten_seconds: 400,
        ..SandboxConfig::default()
    };
    let fast = limits(400);
    let sandbox = Sandbox::start(config).await.unwrap();

    let clean_store = MemoryStore::new();
    let clean = full_sync(&private_source(&sandbox, &fast), &clean_store, 1).await;

    let store = MemoryStore::new();
    let source = private_source(&sandbox, &fast);
    let plan = plan_full(2, Utc::now());
    let mut invocations = 0;
    let mut counts: BTreeMap<ObjectType, u64> = BTreeMap::new();
    let mut requests = 0;
    loop {
        invocations += 1;
        assert!(invocations < 500, "the sync never completed");
        let outcome = run_sync(
            &source,
            &store,
            &tenant_id(),
            &plan,
            Instant::now() + Duration::from_millis(300),
            &NoProgress,
        )
        .await
        .unwrap();
        for (t, n) in &outcome.counts {
            *counts.entry(*t).or_default() += n;
        }
        requests += outcome.requests_used;
        if outcome.completed {
            break;
        }
    }

    assert!(
        invocations > 2,
        "the deadline never cut the run ({invocations} invocations)"
    );
    assert_eq!(counts, clean.counts, "records fetched twice or lost");
    assert_eq!(requests, clean.requests_used, "pages fetched twice");
    assert_eq!(
        all_snapshots(&store).await,
        all_snapshots(&clean_store).await
    );
    assert_store_equals_portal(&store, &sandbox).await;
}

#[tokio::test]
async fn injected_429s_and_5xx_at_ten_percent_give_an_identical_result() {
    // Enough pages (about 60) that a 10% fault rate is all but sure to strike: with the small
    // portal's dozen pages, a run without any fault was a real chance.
    let sandbox = Sandbox::start(SandboxConfig {
        engagements: 5_000,
        ..SandboxConfig::small(15)
    })
    .await
    .unwrap();
    let clean_store = MemoryStore::new();
    full_sync(&private_source(&sandbox, &limits(190)), &clean_store, 1).await;

    sandbox.set_faults(Faults {
        server_error_rate: 0.1,
        rate_limit_rate: 0.1,
        locked_rate: 0.02,
        latency_ms: 0,
    });
    sandbox.reset_stats();
    let store = MemoryStore::new();
    let source = private_source(&sandbox, &limits(190));
    let outcome = full_sync(&source, &store, 1).await;

    assert!(outcome.completed);
    assert!(sandbox.stats().injected_faults > 0, "no fault was injected");
    assert!(source.client().stats().retries > 0);
    assert_eq!(
        all_snapshots(&store).await,
        all_snapshots(&clean_store).await
    );

    // Incremental under the same faults.
    let touched = sandbox.touch_random("deals", 10);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let outcome = run_sync(
        &source,
        &store,
        &tenant_id(),
        &plan_incremental(2, Utc::now()),
        far_deadline(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(
        outcome.counts.get(&ObjectType::Deals),
        Some(&(touched.len() as u64))
    );
    assert_store_equals_portal(&store, &sandbox).await;
}

/// The OAuth tenant `acme`, whose access token (30 minutes of life, as HubSpot's) expires in
/// `expires_in` seconds.
async fn oauth_tenant(
    sandbox: &Sandbox,
    store: &MemoryStore,
    vault: &InProcessVault,
    expires_in: i64,
) -> Tenant {
    let tokens = sandbox.issue_oauth_tokens();
    let now = Utc::now();
    let mut set = TokenSet::new(
        SecretString::from(tokens.access_token),
        SecretString::from(tokens.refresh_token),
        1800,
        now - chrono::Duration::seconds(1800 - expires_in),
    );
    set.hub_id = Some(sandbox.portal_id());
    vault
        .create(
            "tenant/acme/hubspot",
            &StoredCredentials::oauth(set).to_secret(),
        )
        .await
        .unwrap();
    let tenant = Tenant::connected(
        tenant_id(),
        "Acme",
        Some(sandbox.portal_id()),
        "tenant/acme/hubspot",
        AuthKind::OAuth,
        now,
    );
    store.create_tenant(&tenant).await.unwrap();
    tenant
}

fn oauth_client(sandbox: &Sandbox) -> OAuthClient {
    sandbox_oauth_client(
        &sandbox.base_url(),
        sandbox.authorize_url_base(),
        fast_retry(),
    )
}

fn oauth_source(
    sandbox: &Sandbox,
    store: &Arc<MemoryStore>,
    vault: &Arc<InProcessVault>,
    tenant: &Tenant,
) -> HubSpotSource {
    let tokens = TokenManager::new(
        tenant.id.clone(),
        tenant.credentials_secret_id.clone(),
        vault.clone(),
        store.clone(),
        Some(oauth_client(sandbox)),
        RefreshPolicy::default(),
    );
    HubSpotSource::new(HubSpotClient::new(
        HubSpotClient::default_http().unwrap(),
        &sandbox.base_url(),
        Arc::new(tokens),
        Arc::new(PortalLimiter::new(&tenant.limits)),
        fast_retry(),
    ))
}

#[tokio::test]
async fn an_expiring_access_token_is_refreshed_ahead_and_written_back() {
    let sandbox = Sandbox::start(SandboxConfig::small(16)).await.unwrap();
    let store = Arc::new(MemoryStore::new());
    let vault = Arc::new(InProcessVault::new());
    // Expires in 60 s: inside the 5-minute margin.
    let tenant = oauth_tenant(&sandbox, &store, &vault, 60).await;
    let before = vault.get(&tenant.credentials_secret_id).await.unwrap();
    // HubSpot would now refuse the old token: a refresh ahead of use is the only way through.
    sandbox.expire_access_tokens();
    sandbox.reset_stats();

    let outcome = run_sync(
        &oauth_source(&sandbox, &store, &vault, &tenant),
        store.as_ref(),
        &tenant.id,
        &plan_full(1, Utc::now()),
        far_deadline(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert!(outcome.completed);

    let after = vault.get(&tenant.credentials_secret_id).await.unwrap();
    assert_ne!(after.version_id, before.version_id);
    let (StoredCredentials::OAuth(old), StoredCredentials::OAuth(new)) = (
        StoredCredentials::from_secret(&before.value).unwrap(),
        StoredCredentials::from_secret(&after.value).unwrap(),
    ) else {
        panic!("OAuth credentials expected");
    };
    assert_ne!(
        new.access_token.expose_secret(),
        old.access_token.expose_secret()
    );
    assert_eq!(
        new.refresh_token.expose_secret(),
        old.refresh_token.expose_secret()
    );
    assert!(new.expires_at > Utc::now() + chrono::Duration::minutes(20));
    assert_eq!(new.hub_id, Some(sandbox.portal_id()));
    assert_eq!(
        sandbox.stats().by_route.get("POST /oauth/v1/token"),
        Some(&1),
        "one refresh, before the first request"
    );
}

#[tokio::test]
async fn concurrent_refreshes_lose_no_token() {
    let sandbox = Sandbox::start(SandboxConfig::small(17)).await.unwrap();
    let store = Arc::new(MemoryStore::new());
    let vault = Arc::new(InProcessVault::new());
    let tenant = oauth_tenant(&sandbox, &store, &vault, 10).await;
    sandbox.expire_access_tokens();

    // Two processes, each with its own token manager, refresh at the same moment.
    let a = oauth_source(&sandbox, &store, &vault, &tenant);
    let b = oauth_source(&sandbox, &store, &vault, &tenant);
    let plan_a = SyncPlan {
        object_types: vec![ObjectType::Companies],
        ..plan_full(1, Utc::now())
    };
    let (ra, rb) = tokio::join!(
        a.fetch_page(ObjectType::Companies, FetchWindow::All, None),
        b.fetch_page(ObjectType::Companies, FetchWindow::All, None),
    );
    assert!(ra.is_ok() && rb.is_ok(), "a refreshed token was refused");
    let stored = StoredCredentials::from_secret(
        &vault
            .get(&tenant.credentials_secret_id)
            .await
            .unwrap()
            .value,
    )
    .unwrap();
    let StoredCredentials::OAuth(stored) = stored else {
        panic!("OAuth credentials expected")
    };
    assert!(stored.expires_at > Utc::now() + chrono::Duration::minutes(20));
    // The stored token works for a later run.
    let c = oauth_source(&sandbox, &store, &vault, &tenant);
    let outcome = run_sync(
        &c,
        store.as_ref(),
        &tenant.id,
        &plan_a,
        far_deadline(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert!(outcome.completed);
}

/// The engine reports it; the sync handler records it on the tenant (see `needs_reauth.rs`).
#[tokio::test]
async fn a_dead_refresh_token_stops_the_sync_as_needs_reauth() {
    let sandbox = Sandbox::start(SandboxConfig::small(18)).await.unwrap();
    let store = Arc::new(MemoryStore::new());
    let vault = Arc::new(InProcessVault::new());
    let tenant = oauth_tenant(&sandbox, &store, &vault, 0).await;
    sandbox.revoke_refresh_tokens();

    let result = run_sync(
        &oauth_source(&sandbox, &store, &vault, &tenant),
        store.as_ref(),
        &tenant.id,
        &plan_full(1, Utc::now()),
        far_deadline(),
        &NoProgress,
    )
    .await;

    let Err(error) = result else {
        panic!("the sync should fail");
    };
    assert!(matches!(error, SyncError::NeedsReauth { .. }), "{error}");
    assert_eq!(error.status(), shared::domain::SyncStatus::NeedsReauth);
    assert!(error.to_string().contains("BAD_REFRESH_TOKEN"), "{error}");
    assert!(all_snapshots(&store).await.is_empty());
}

#[tokio::test]
async fn more_than_ten_thousand_changed_records_in_one_window_are_all_found() {
    let config = SandboxConfig {
        companies: 20,
        contacts: 10_600,
        deals: 0,
        tickets: 0,
        engagements: 0,
        rate_limit_per_ten_seconds: 1_000,
        ..SandboxConfig::small(19)
    };
    let sandbox = Sandbox::start(config).await.unwrap();
    let store = MemoryStore::new();
    let source = private_source(&sandbox, &limits(1_000));
    let start = Utc::now();
    // A watermark from before the changes, as a previous run would have left.
    store
        .put_checkpoint(
            &tenant_id(),
            &SyncCheckpoint {
                object_type: ObjectType::Contacts,
                watermark: Some(start),
                cursor: None,
                sync_id: Some(sync_id(1)),
                updated_at: start,
            },
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let touched = sandbox.touch_random("contacts", 10_400);
    tokio::time::sleep(Duration::from_millis(5)).await;

    let plan = SyncPlan {
        object_types: vec![ObjectType::Contacts],
        ..plan_incremental(2, Utc::now())
    };
    let outcome = run_sync(
        &source,
        &store,
        &tenant_id(),
        &plan,
        far_deadline(),
        &NoProgress,
    )
    .await
    .unwrap();

    assert!(outcome.completed);
    assert_eq!(outcome.counts.get(&ObjectType::Contacts), Some(&10_400));
    let held: BTreeSet<String> = all_snapshots(&store)
        .await
        .values()
        .flat_map(|s| s.contacts.iter().map(|c| c.id.clone()))
        .collect();
    let with_company: BTreeSet<String> = touched
        .iter()
        .filter(|c| !sandbox.associations("contacts", c, "companies").is_empty())
        .cloned()
        .collect();
    assert_eq!(held, with_company);
    assert!(sandbox.stats().search_requests >= 10_400 / 200);
    assert_eq!(sandbox.stats().rate_limited, 0);
}

#[tokio::test]
async fn a_targeted_sync_applies_given_objects_and_removes_deleted_ones() {
    let sandbox = Sandbox::start(SandboxConfig::small(20)).await.unwrap();
    let store = MemoryStore::new();
    let source = private_source(&sandbox, &limits(190));
    full_sync(&source, &store, 1).await;

    let deal = sandbox.records("deals")[1].id.clone();
    assert!(sandbox.update_property("deals", &deal, "amount", Some("4242")));
    let gone_company = sandbox.records("companies")[7].id.clone();
    assert!(sandbox.delete_record("companies", &gone_company));
    let gone_contact = sandbox
        .records("contacts")
        .into_iter()
        .find(|c| {
            !sandbox
                .associations("contacts", &c.id, "companies")
                .is_empty()
        })
        .map(|c| c.id)
        .unwrap();
    let contact_client = sandbox.associations("contacts", &gone_contact, "companies")[0].clone();
    assert!(sandbox.delete_record("contacts", &gone_contact));
    let refs = vec![
        shared::domain::ObjectRef {
            object_type: ObjectType::Deals,
            id: deal.clone(),
        },
        shared::domain::ObjectRef {
            object_type: ObjectType::Companies,
            id: gone_company.clone(),
        },
        shared::domain::ObjectRef {
            object_type: ObjectType::Contacts,
            id: gone_contact.clone(),
        },
    ];

    let outcome = run_sync(
        &source,
        &store,
        &tenant_id(),
        &SyncPlan::objects(sync_id(2), Utc::now(), refs),
        far_deadline(),
        &NoProgress,
    )
    .await
    .unwrap();

    assert!(outcome.completed);
    assert_eq!(outcome.counts.get(&ObjectType::Deals), Some(&1));
    assert_eq!(
        outcome.deleted_client_ids,
        vec![ClientId::parse(gone_company.clone()).unwrap()]
    );
    let snapshots = all_snapshots(&store).await;
    assert!(!snapshots.contains_key(&ClientId::parse(gone_company).unwrap()));
    let holder = &snapshots[&ClientId::parse(contact_client).unwrap()];
    assert!(holder.contacts.iter().all(|c| c.id != gone_contact));
    let amount = snapshots
        .values()
        .flat_map(|s| s.deals.iter())
        .find(|d| d.id == deal)
        .and_then(|d| d.amount);
    assert_eq!(amount, Some(4242.0));
}

#[tokio::test]
async fn the_daily_limit_stops_the_sync_as_rate_limited() {
    let config = SandboxConfig {
        daily_limit: Some(3),
        ..SandboxConfig::small(21)
    };
    let sandbox = Sandbox::start(config).await.unwrap();
    let store = MemoryStore::new();
    let source = private_source(&sandbox, &limits(190));

    let result = run_sync(
        &source,
        &store,
        &tenant_id(),
        &plan_full(1, Utc::now()),
        far_deadline(),
        &NoProgress,
    )
    .await;

    let Err(error) = result else {
        panic!("the sync should stop at the daily limit");
    };
    assert!(
        matches!(error, SyncError::RateLimited { reset_at: Some(at), .. } if at > Utc::now()),
        "{error}"
    );
    assert_eq!(error.status(), shared::domain::SyncStatus::RateLimited);
    assert!(!error.is_retryable());
    // What arrived before the limit is kept, with its cursor.
    let checkpoints = store.checkpoints(&tenant_id()).await.unwrap();
    assert!(!checkpoints.is_empty());
}
