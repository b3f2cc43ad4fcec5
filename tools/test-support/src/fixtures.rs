//! Domain fixtures the test binaries share, so each writes its own setup once instead of a copy of
//! these: a connected tenant, the sync requests an in-process bus carried, and the OAuth client that
//! refreshes tokens against the HubSpot sandbox.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use shared::bus::InProcessBus;
use shared::domain::{AuthKind, Tenant, TenantId, TenantStatus};
use shared::events::{ProductEvent, SyncRequested};
use shared::sources::hubspot::{HubSpotClient, OAuthApp, OAuthClient, RetryPolicy};
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
