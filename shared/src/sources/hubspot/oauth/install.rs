//! Connecting a portal: HubSpot's OAuth install and callback, without the HTTP around them.
//!
//! [`Installer::start`] stores a single-use nonce (10 minutes) and gives HubSpot's consent URL with
//! the nonce signed by the app's client secret as `state`. [`Installer::complete`] checks the
//! signature, takes the nonce once, exchanges the code, and creates or updates the portal's tenant
//! with its tokens in the vault, then asks for a first sync.

use crate::domain::{AuthKind, SyncMode, SyncTrigger, Tenant, TenantId};
use crate::events::{ProductEvent, SyncRequested};
use crate::ports::{EventBus, OAuthState, SecretVault, Store, StoreError, VaultError};
use crate::sources::hubspot::oauth::{OAuthApp, OAuthClient, OAUTH_STATE_LIFETIME};
use crate::sources::hubspot::{HubSpotError, RetryPolicy, StoredCredentials};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Why an install could not finish. The variants a person can fix by starting again come first.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("the install link was not issued by us")]
    ForeignState,
    #[error("the install link has expired or was already used")]
    StateExpiredOrUsed,
    #[error("HubSpot refused the authorization code: {0}")]
    CodeRefused(HubSpotError),
    #[error("the portal is connected to another tenant")]
    PortalTaken,
    /// Transient ones are worth retrying ([`HubSpotError::is_transient`]).
    #[error(transparent)]
    HubSpot(HubSpotError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("{0}")]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

/// A portal connected to its tenant.
#[derive(Debug, Clone)]
pub struct Connected {
    pub tenant: Tenant,
    pub portal_id: u64,
}

/// What an install touches: the store (the state nonce, the tenant), the vault (the tenant's
/// tokens), the bus (the first sync) and HubSpot's OAuth endpoints.
pub struct Installer<'a> {
    pub store: &'a dyn Store,
    pub vault: &'a dyn SecretVault,
    pub bus: &'a dyn EventBus,
    pub http: &'a reqwest::Client,
    pub api_base_url: &'a str,
    /// Tenants' tokens are stored under `<prefix><tenant id>`.
    pub tenant_secret_prefix: &'a str,
}

/// A person is waiting on the callback, and API Gateway gives up after 30 seconds: retry HubSpot
/// briefly, then let the user try again.
fn callback_retry_policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        min_delay: std::time::Duration::from_millis(200),
        max_delay: std::time::Duration::from_secs(1),
        rate_limit_delay: std::time::Duration::from_secs(1),
        request_timeout: std::time::Duration::from_secs(8),
    }
}

impl Installer<'_> {
    /// HubSpot's consent URL with a signed, single-use state; `tenant_id` is the tenant
    /// re-authorising, if a signed-in one started it.
    pub async fn start(
        &self,
        app: &OAuthApp,
        tenant_id: Option<TenantId>,
        now: DateTime<Utc>,
    ) -> Result<String, InstallError> {
        let nonce = OAuthApp::new_nonce();
        self.store
            .put_oauth_state(&OAuthState {
                nonce: nonce.clone(),
                tenant_id,
                created_at: now,
                expires_at: now + OAUTH_STATE_LIFETIME,
            })
            .await?;
        app.authorize_url(&nonce)
            .map_err(|e| InstallError::Internal(Box::new(e)))
    }

    /// Checks the state, exchanges the code, stores the tokens and connects the portal's tenant.
    pub async fn complete(
        &self,
        app: Arc<OAuthApp>,
        signed_state: &str,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<Connected, InstallError> {
        let nonce = app
            .verify_state(signed_state)
            .ok_or(InstallError::ForeignState)?;
        let remembered = self
            .store
            .take_oauth_state(nonce, now)
            .await?
            .ok_or(InstallError::StateExpiredOrUsed)?;

        let client = OAuthClient::new(
            self.http.clone(),
            self.api_base_url,
            app,
            callback_retry_policy(),
        );
        let tokens = client
            .exchange_code(code)
            .await
            .map_err(|error| match error {
                HubSpotError::Api { status, .. } if (400..500).contains(&status) => {
                    InstallError::CodeRefused(error)
                }
                error => InstallError::HubSpot(error),
            })?;
        let portal_id = tokens.hub_id.ok_or_else(|| {
            InstallError::Internal(Box::new(HubSpotError::Decode(
                "token info carried no hub_id".to_string(),
            )))
        })?;
        let portal_name = match client.token_info(&tokens.access_token).await {
            Ok(info) => info.hub_domain.filter(|d| !d.trim().is_empty()),
            Err(error) => {
                tracing::warn!(error = %error, "could not read the portal's domain");
                None
            }
        }
        .unwrap_or_else(|| format!("HubSpot portal {portal_id}"));

        let tenant_id = self
            .tenant_for_portal(remembered.tenant_id, portal_id)
            .await?;
        let secret_id = format!("{}{}", self.tenant_secret_prefix, tenant_id);
        self.store_credentials(&secret_id, &StoredCredentials::oauth(tokens))
            .await?;
        let tenant = self
            .connect_tenant(&tenant_id, portal_id, &portal_name, &secret_id, now)
            .await?;
        tracing::info!(tenant_id = %tenant.id, portal_id, "HubSpot portal connected");
        self.request_first_sync(&tenant.id, now).await;
        Ok(Connected { tenant, portal_id })
    }

    /// The tenant a portal belongs to: the one re-authorising, the one already connected to the
    /// portal, or a new one named after the portal.
    async fn tenant_for_portal(
        &self,
        reauthorising: Option<TenantId>,
        portal_id: u64,
    ) -> Result<TenantId, InstallError> {
        let connected = self.store.tenant_by_portal(portal_id).await?;
        match (reauthorising, connected) {
            (Some(wanted), Some(existing)) if existing.id != wanted => {
                Err(InstallError::PortalTaken)
            }
            (Some(wanted), _) => Ok(wanted),
            (None, Some(existing)) => Ok(existing.id),
            (None, None) => TenantId::parse(format!("hs-{portal_id}"))
                .map_err(|e| InstallError::Internal(Box::new(e))),
        }
    }

    async fn store_credentials(
        &self,
        secret_id: &str,
        credentials: &StoredCredentials,
    ) -> Result<(), InstallError> {
        let value = credentials.to_secret();
        match self.vault.create(secret_id, &value).await {
            Ok(()) => Ok(()),
            Err(VaultError::AlreadyExists(_)) => {
                self.vault.put(secret_id, &value, None).await?;
                Ok(())
            }
            Err(other) => Err(other.into()),
        }
    }

    async fn connect_tenant(
        &self,
        tenant_id: &TenantId,
        portal_id: u64,
        portal_name: &str,
        secret_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Tenant, InstallError> {
        match self.store.get_tenant(tenant_id).await {
            Ok(mut tenant) => {
                tenant.reconnect(Some(portal_id), secret_id, AuthKind::OAuth, now);
                Ok(self.store.update_tenant(&tenant).await?)
            }
            Err(StoreError::NotFound { .. }) => {
                let tenant = Tenant::connected(
                    tenant_id.clone(),
                    portal_name.to_string(),
                    Some(portal_id),
                    secret_id.to_string(),
                    AuthKind::OAuth,
                    now,
                );
                self.store.create_tenant(&tenant).await?;
                Ok(self.store.get_tenant(tenant_id).await?)
            }
            Err(other) => Err(other.into()),
        }
    }

    /// A new connection should not wait for the hourly schedule; if the request is lost, the
    /// schedule still syncs the tenant.
    async fn request_first_sync(&self, tenant_id: &TenantId, now: DateTime<Utc>) {
        let event = ProductEvent::SyncRequested(SyncRequested::tenant(
            tenant_id.clone(),
            SyncMode::Full,
            SyncTrigger::Manual {
                requested_by: "oauth-install".to_string(),
            },
            now,
        ));
        if let Err(error) = self.bus.publish(&[event]).await {
            tracing::warn!(error = %error, "could not request the first sync");
        }
    }
}
