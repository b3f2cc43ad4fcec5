//! The factory that builds a tenant's HubSpot source from configuration: the paced, retrying client
//! with its leased token manager. The next platforms (NinjaOne, PayPal, Pax8, Microsoft 365) each
//! bring their own factory in their own folder under `sources/`; the engine sees only the port.

use crate::domain::Tenant;
use crate::ports::source::SourceFactory;
use crate::ports::source::{CrmSource, SourceError};
use crate::ports::{SecretVault, SyncStore, TenantStore};
use crate::sources::hubspot::{
    HubSpotClient, HubSpotSource, OAuthClient, PortalLimiter, RefreshPolicy, RetryPolicy,
    TokenManager,
};
use std::sync::Arc;

/// Builds a paced, retrying HubSpot source for a tenant, with tokens refreshed ahead of expiry from
/// the tenant's secret.
pub struct HubSpotSources<S: ?Sized> {
    http: reqwest::Client,
    api_base_url: String,
    oauth: Option<OAuthClient>,
    vault: Arc<dyn SecretVault>,
    store: Arc<S>,
    retry: RetryPolicy,
}

impl<S: ?Sized> HubSpotSources<S> {
    /// `oauth` is `None` where only private-app tenants exist (an OAuth tenant's refresh then fails
    /// with a clear error).
    pub fn new(
        http: reqwest::Client,
        api_base_url: impl Into<String>,
        oauth: Option<OAuthClient>,
        vault: Arc<dyn SecretVault>,
        store: Arc<S>,
    ) -> Self {
        Self {
            http,
            api_base_url: api_base_url.into(),
            oauth,
            vault,
            store,
            retry: RetryPolicy::default(),
        }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
}

impl<S> HubSpotSources<S>
where
    S: SyncStore + TenantStore + ?Sized + 'static,
{
    /// The tenant's token manager: tokens from its secret, refreshed ahead of expiry under the lease.
    pub fn tokens_for(&self, tenant: &Tenant) -> TokenManager<S> {
        TokenManager::new(
            tenant.id.clone(),
            tenant.credentials_secret_id.clone(),
            self.vault.clone(),
            self.store.clone(),
            self.oauth.clone(),
            RefreshPolicy::default(),
        )
    }

    /// A paced, retrying client of the tenant's portal (at the tenant's limits) sending `tokens`.
    pub fn client_for(&self, tenant: &Tenant, tokens: TokenManager<S>) -> HubSpotClient {
        HubSpotClient::new(
            self.http.clone(),
            &self.api_base_url,
            Arc::new(tokens),
            Arc::new(PortalLimiter::new(&tenant.limits)),
            self.retry,
        )
    }
}

#[async_trait::async_trait]
impl<S> SourceFactory for HubSpotSources<S>
where
    S: SyncStore + TenantStore + ?Sized + 'static,
{
    async fn source_for(&self, tenant: &Tenant) -> Result<Arc<dyn CrmSource>, SourceError> {
        let client = self.client_for(tenant, self.tokens_for(tenant));
        Ok(Arc::new(HubSpotSource::new(client)))
    }
}
