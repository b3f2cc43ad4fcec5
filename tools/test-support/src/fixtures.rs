//! Domain fixtures the test binaries share, so each writes its own setup once instead of a copy of
//! these: a connected tenant, the sync requests an in-process bus carried, and the OAuth client that
//! refreshes tokens against the HubSpot sandbox.

use chrono::{DateTime, Utc};
use hubspot_sandbox::{OAuthTokens, Sandbox};
use secrecy::SecretString;
use shared::bus::InProcessBus;
use shared::domain::{AuthKind, Tenant, TenantId, TenantStatus};
use shared::events::{ProductEvent, SyncRequested};
use shared::ports::{SecretVault, TenantStore};
use shared::sources::hubspot::{
    HubSpotClient, HubSpotSource, OAuthApp, OAuthClient, PortalLimiter, RefreshPolicy, RetryPolicy,
    StoredCredentials, TokenManager, TokenSet,
};
use shared::store::MemoryStore;
use shared::vault::InProcessVault;
use std::sync::Arc;
use std::time::Duration;

/// The app credentials tests install with (the sandbox accepts any client).
pub const SANDBOX_CLIENT_ID: &str = "sandbox-client-id";
pub const SANDBOX_CLIENT_SECRET: &str = "sandbox-client-secret";

/// A tenant connected through the OAuth app at `connected_at`, in `status`, named `Tenant <id>`,
/// its tokens under `ci/<id>/hubspot`. Panics on an id the domain refuses (a test's own typo).
pub fn tenant(
    id: &str,
    portal: Option<u64>,
    status: TenantStatus,
    connected_at: DateTime<Utc>,
) -> Tenant {
    let tenant_id = TenantId::parse(id).unwrap_or_else(|e| panic!("fixture tenant id {id:?}: {e}"));
    Tenant {
        status,
        ..Tenant::connected(
            tenant_id,
            format!("Tenant {id}"),
            portal,
            format!("ci/{id}/hubspot"),
            AuthKind::OAuth,
            connected_at,
        )
    }
}

/// Every `SyncRequested` the bus carried, in order; other events are left out.
pub fn sync_requests(bus: &InProcessBus) -> Vec<SyncRequested> {
    bus.published()
        .iter()
        .filter_map(|delivered| match delivered.event() {
            Ok(ProductEvent::SyncRequested(request)) => Some(request),
            _ => None,
        })
        .collect()
}

/// Retries quick enough for tests against the sandbox: three, 5 to 50 ms apart (20 ms after a 429),
/// each request given 20 seconds.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        rate_limit_delay: Duration::from_millis(20),
        request_timeout: Duration::from_secs(20),
    }
}

/// The OAuth client a sync refreshes tokens with, against the sandbox at `base_url` (its consent page
/// at `authorize_url`).
pub fn sandbox_oauth_client(
    base_url: &str,
    authorize_url: String,
    retry: RetryPolicy,
) -> OAuthClient {
    let http = HubSpotClient::default_http()
        .unwrap_or_else(|e| panic!("the test HTTP client cannot be built: {e}"));
    OAuthClient::new(
        http,
        base_url,
        Arc::new(OAuthApp {
            client_id: SANDBOX_CLIENT_ID.into(),
            client_secret: SecretString::from(SANDBOX_CLIENT_SECRET.to_owned()),
            redirect_uri: "http://localhost/oauth/callback".into(),
            scopes: vec!["oauth".into()],
            optional_scopes: vec![],
            authorize_url,
        }),
        retry,
    )
}

/// Where `oauth_tenant` stores the tenant's tokens.
pub const OAUTH_TENANT_SECRET_ID: &str = "tenant/acme/hubspot";

/// The OAuth tenant `acme` of the sandbox's portal, created in `store` now, with tokens the sandbox
/// issued stored in `vault` under `OAUTH_TENANT_SECRET_ID`: 30 minutes of life (as
/// HubSpot's), the access token expiring in `expires_in` seconds.
pub async fn oauth_tenant(
    sandbox: &Sandbox,
    store: &MemoryStore,
    vault: &InProcessVault,
    expires_in: i64,
) -> Tenant {
    let portal_id = sandbox.portal_id();
    let OAuthTokens {
        access_token,
        refresh_token,
        ..
    } = sandbox.issue_oauth_tokens();
    let now = Utc::now();
    let mut set = TokenSet::new(
        SecretString::from(access_token),
        SecretString::from(refresh_token),
        1800,
        now - chrono::Duration::seconds(1800 - expires_in),
    );
    set.hub_id = Some(portal_id);
    vault
        .create(
            OAUTH_TENANT_SECRET_ID,
            &StoredCredentials::oauth(set).to_secret(),
        )
        .await
        .unwrap_or_else(|e| panic!("the fixture tokens cannot be stored: {e}"));
    let tenant_id = TenantId::parse("acme").unwrap_or_else(|e| panic!("fixture tenant id: {e}"));
    let tenant = Tenant::connected(
        tenant_id,
        "Acme",
        Some(portal_id),
        OAUTH_TENANT_SECRET_ID,
        AuthKind::OAuth,
        now,
    );
    store
        .create_tenant(&tenant)
        .await
        .unwrap_or_else(|e| panic!("the fixture tenant cannot be created: {e}"));
    tenant
}

/// The HubSpot source of an OAuth `tenant` against `sandbox`: its tokens read from
/// `vault` and refreshed with `sandbox_oauth_client`, both clients retrying by `retry`.
pub fn oauth_source(
    sandbox: &Sandbox,
    store: &Arc<MemoryStore>,
    vault: &Arc<InProcessVault>,
    tenant: &Tenant,
    retry: RetryPolicy,
) -> HubSpotSource {
    let tokens = TokenManager::new(
        tenant.id.clone(),
        tenant.credentials_secret_id.clone(),
        vault.clone(),
        store.clone(),
        Some(sandbox_oauth_client(
            &sandbox.base_url(),
            sandbox.authorize_url_base(),
            retry,
        )),
        RefreshPolicy::default(),
    );
    let http = HubSpotClient::default_http()
        .unwrap_or_else(|e| panic!("the test HTTP client cannot be built: {e}"));
    HubSpotSource::new(HubSpotClient::new(
        http,
        &sandbox.base_url(),
        Arc::new(tokens),
        Arc::new(PortalLimiter::new(&tenant.limits)),
        retry,
    ))
}
