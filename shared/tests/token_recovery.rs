//! What the HubSpot connector does when its tokens stop working, against the sandbox portal: a token
//! refused before its expiry is refreshed once and the sync carries on; a brand-new token refused too,
//! a refused refresh token, or a refused private-app token stop the run as needing re-auth after one
//! refresh attempt at most; a short-lived token is used for half its life.

use chrono::Utc;
use hubspot_sandbox::{Sandbox, SandboxConfig};
use secrecy::{ExposeSecret, SecretString};
use shared::connector::{run_sync, NoProgress, SyncError, SyncOptions, SyncPlan};
use shared::domain::{AuthKind, ObjectType, SyncId, SyncStatus, Tenant, TenantId};
use shared::ports::source::{CrmSource, FetchWindow};
use shared::ports::SecretVault;
use shared::sources::hubspot::{
    HubSpotClient, HubSpotSource, PortalLimiter, RefreshPolicy, StaticToken, StoredCredentials,
    TokenSet,
};
use shared::store::MemoryStore;
use shared::vault::InProcessVault;
use std::sync::Arc;
use std::time::{Duration, Instant};
use test_support::fixtures::{self, fast_retry, oauth_tenant};

const TOKEN_ROUTE: &str = "POST /oauth/v1/token";
const SECRET_ID: &str = "tenant/acme/hubspot";

fn plan() -> SyncPlan {
    SyncPlan {
        options: SyncOptions {
            flush_every: Duration::from_millis(50),
            deadline_reserve: Duration::ZERO,
            window_overlap: Duration::ZERO,
            pages_in_flight: 8,
        },
        ..SyncPlan::full(SyncId::parse("sync-0001").unwrap(), Utc::now())
    }
}

fn token_requests(sandbox: &Sandbox) -> u64 {
    sandbox
        .stats()
        .by_route
        .get(TOKEN_ROUTE)
        .copied()
        .unwrap_or_default()
}

/// CRM requests: everything but OAuth.
fn crm_requests(sandbox: &Sandbox) -> u64 {
    let stats = sandbox.stats();
    let oauth: u64 = stats
        .by_route
        .iter()
        .filter(|(route, _)| route.contains("/oauth/"))
        .map(|(_, n)| n)
        .sum();
    stats.requests - oauth
}

fn oauth_source(
    sandbox: &Sandbox,
    store: &Arc<MemoryStore>,
    vault: &Arc<InProcessVault>,
    tenant: &Tenant,
) -> HubSpotSource {
    fixtures::oauth_source(sandbox, store, vault, tenant, fast_retry())
}

async fn stored_tokens(vault: &InProcessVault) -> TokenSet {
    let secret = vault.get(SECRET_ID).await.unwrap();
    match StoredCredentials::from_secret(&secret.value).unwrap() {
        StoredCredentials::OAuth(tokens) => tokens,
        other => panic!("OAuth credentials expected, got {other:?}"),
    }
}

async fn sync(
    source: &HubSpotSource,
    store: &MemoryStore,
    tenant: &Tenant,
) -> Result<shared::connector::SyncOutcome, SyncError> {
    run_sync(
        source,
        store,
        &tenant.id,
        &plan(),
        Instant::now() + Duration::from_secs(600),
        &NoProgress,
    )
    .await
}

#[tokio::test]
async fn a_token_refused_before_its_expiry_is_refreshed_once_and_the_sync_carries_on() {
    let sandbox = Sandbox::start(SandboxConfig::small(41)).await.unwrap();
    let store = Arc::new(MemoryStore::new());
    let vault = Arc::new(InProcessVault::new());
    // 25 minutes left: nothing to refresh ahead of time.
    let tenant = oauth_tenant(&sandbox, &store, &vault, 25 * 60).await;
    let before = stored_tokens(&vault).await;
    sandbox.revoke_access_tokens();

    let outcome = sync(
        &oauth_source(&sandbox, &store, &vault, &tenant),
        &store,
        &tenant,
    )
    .await
    .expect("the sync recovers from the refused token");

    assert!(outcome.completed);
    assert_eq!(
        token_requests(&sandbox),
        1,
        "every walk met the refusal, one refresh served them all"
    );
    let after = stored_tokens(&vault).await;
    assert_ne!(
        after.access_token.expose_secret(),
        before.access_token.expose_secret(),
        "the new token is written back for the next run"
    );
    assert!(after.expires_at > Utc::now() + chrono::Duration::minutes(20));
}

#[tokio::test]
async fn two_processes_refused_the_same_token_share_one_refresh() {
    let sandbox = Sandbox::start(SandboxConfig::small(47)).await.unwrap();
    let store = Arc::new(MemoryStore::new());
    let vault = Arc::new(InProcessVault::new());
    let tenant = oauth_tenant(&sandbox, &store, &vault, 25 * 60).await;
    sandbox.revoke_access_tokens();

    // Two sync processes, each with its own token manager, meet the refusal at the same moment.
    let a = oauth_source(&sandbox, &store, &vault, &tenant);
    let b = oauth_source(&sandbox, &store, &vault, &tenant);
    let (ra, rb) = tokio::join!(
        a.fetch_page(ObjectType::Companies, FetchWindow::All, None),
        b.fetch_page(ObjectType::Contacts, FetchWindow::All, None),
    );

    assert!(ra.is_ok() && rb.is_ok(), "{:?} / {:?}", ra.err(), rb.err());
    assert_eq!(
        token_requests(&sandbox),
        1,
        "the lease lets the second process take the first one's token"
    );
}

#[tokio::test]
async fn a_brand_new_token_refused_too_needs_reauth_without_a_second_refresh() {
    let sandbox = Sandbox::start(SandboxConfig::small(42)).await.unwrap();
    let store = Arc::new(MemoryStore::new());
    let vault = Arc::new(InProcessVault::new());
    let tenant = oauth_tenant(&sandbox, &store, &vault, 25 * 60).await;
    sandbox.refuse_access_tokens(true);

    let error = sync(
        &oauth_source(&sandbox, &store, &vault, &tenant),
        &store,
        &tenant,
    )
    .await
    .expect_err("a broken install cannot sync");

    let SyncError::NeedsReauth { reason } = &error else {
        panic!("needs re-auth expected, got {error}");
    };
    assert!(reason.contains("INVALID_AUTHENTICATION"), "{reason}");
    assert_eq!(error.status(), SyncStatus::NeedsReauth);
    assert_eq!(token_requests(&sandbox), 1, "one refresh, not one per walk");
    // Each of the nine walks sends at most its first request and the retry with the new token.
    let crm = crm_requests(&sandbox);
    assert!(crm <= 18, "{crm} CRM requests after the install broke");
}

#[tokio::test]
async fn a_refused_refresh_token_is_asked_once_per_run_and_stops_every_walk() {
    let sandbox = Sandbox::start(SandboxConfig::small(43)).await.unwrap();
    let store = Arc::new(MemoryStore::new());
    let vault = Arc::new(InProcessVault::new());
    // Expired: every walk needs a refresh before its first request.
    let tenant = oauth_tenant(&sandbox, &store, &vault, 0).await;
    sandbox.revoke_refresh_tokens();

    let error = sync(
        &oauth_source(&sandbox, &store, &vault, &tenant),
        &store,
        &tenant,
    )
    .await
    .expect_err("a revoked install cannot sync");

    let SyncError::NeedsReauth { reason } = &error else {
        panic!("needs re-auth expected, got {error}");
    };
    assert!(reason.contains("BAD_REFRESH_TOKEN"), "{reason}");
    assert_eq!(token_requests(&sandbox), 1, "was one attempt per walk");
    assert_eq!(crm_requests(&sandbox), 0);
}

#[tokio::test]
async fn a_refused_refresh_token_behind_a_refused_access_token_needs_reauth() {
    let sandbox = Sandbox::start(SandboxConfig::small(44)).await.unwrap();
    let store = Arc::new(MemoryStore::new());
    let vault = Arc::new(InProcessVault::new());
    // The stored token looks valid for 25 more minutes, but the install was revoked in HubSpot.
    let tenant = oauth_tenant(&sandbox, &store, &vault, 25 * 60).await;
    sandbox.revoke_access_tokens();
    sandbox.revoke_refresh_tokens();

    let error = sync(
        &oauth_source(&sandbox, &store, &vault, &tenant),
        &store,
        &tenant,
    )
    .await
    .expect_err("a revoked install cannot sync");

    assert!(
        matches!(&error, SyncError::NeedsReauth { reason } if reason.contains("BAD_REFRESH_TOKEN")),
        "{error}"
    );
    assert_eq!(token_requests(&sandbox), 1);
}

#[tokio::test]
async fn a_refused_private_app_token_needs_a_new_token_at_once() {
    let sandbox = Sandbox::start(SandboxConfig::small(45)).await.unwrap();
    let store = MemoryStore::new();
    let limits = shared::domain::HubSpotLimits::for_auth(AuthKind::PrivateApp);
    let source = HubSpotSource::new(HubSpotClient::new(
        HubSpotClient::default_http().unwrap(),
        &sandbox.base_url(),
        Arc::new(StaticToken::new(SecretString::from(
            sandbox.private_app_token(),
        ))),
        Arc::new(PortalLimiter::new(&limits)),
        fast_retry(),
    ));
    sandbox.revoke_private_app_token();

    let result = run_sync(
        &source,
        &store,
        &TenantId::parse("acme").unwrap(),
        &plan(),
        Instant::now() + Duration::from_secs(600),
        &NoProgress,
    )
    .await;

    let Err(SyncError::NeedsReauth { reason }) = result else {
        panic!("needs re-auth expected");
    };
    assert!(reason.contains("refused the access token"), "{reason}");
    assert_eq!(token_requests(&sandbox), 0);
    let crm = crm_requests(&sandbox);
    assert!(
        crm <= 9,
        "{crm}: one request per walk at most, none retried"
    );
}

#[tokio::test]
async fn a_token_shorter_lived_than_the_margin_is_used_for_half_its_life() {
    let sandbox = Sandbox::start(SandboxConfig {
        access_token_ttl_secs: 120,
        ..SandboxConfig::small(46)
    })
    .await
    .unwrap();
    let store = Arc::new(MemoryStore::new());
    let vault = Arc::new(InProcessVault::new());
    let tenant = oauth_tenant(&sandbox, &store, &vault, 0).await;

    let outcome = sync(
        &oauth_source(&sandbox, &store, &vault, &tenant),
        &store,
        &tenant,
    )
    .await
    .expect("a 120-second token is usable");

    assert!(outcome.completed);
    assert_eq!(token_requests(&sandbox), 1);
    let stored = stored_tokens(&vault).await;
    let lifetime = stored.issued_at.map(|issued| stored.expires_at - issued);
    assert_eq!(lifetime, Some(chrono::Duration::seconds(120)));
    assert_eq!(
        stored.refresh_margin(RefreshPolicy::default().margin),
        Duration::from_secs(60)
    );
}
