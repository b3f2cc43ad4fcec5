//! The HubSpot connector against the sandbox portal: full and incremental syncs, resumption after a
//! deadline, faults, token refresh and the search cap. The store and vault are the in-process ones.

use chrono::{DateTime, Utc};
use hubspot_sandbox::{Faults, Sandbox, SandboxConfig};
use secrecy::{ExposeSecret, SecretString};
use shared::connector::{run_sync, NoProgress, SyncError, SyncOptions, SyncOutcome, SyncPlan};
use shared::domain::{
    ClientId, ClientSnapshot, HubSpotLimits, ObjectType, SyncCheckpoint, SyncId, Tenant, TenantId,
};
use shared::ports::source::{CrmSource, FetchWindow};
use shared::ports::{PageRequest, SecretVault, SnapshotStore, SyncStore};
use shared::sources::hubspot::{
    HubSpotClient, HubSpotSource, PortalLimiter, RetryPolicy, StaticToken, StoredCredentials,
};
use shared::store::MemoryStore;
use shared::vault::InProcessVault;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use test_support::fixtures::{self, oauth_tenant};

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

// ---- the cases, by subject (one test binary; the modules share the set-up above) ----

#[path = "hubspot_sync/full_and_incremental.rs"]
mod full_and_incremental;
#[path = "hubspot_sync/held.rs"]
mod held;
#[path = "hubspot_sync/resilience.rs"]
mod resilience;
#[path = "hubspot_sync/tokens.rs"]
mod tokens;
