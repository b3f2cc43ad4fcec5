//! Which bearer token a request carries, and when a tenant's OAuth token is refreshed.
//!
//! The policy (also in the README, "Tokens"):
//! - Ahead of expiry: a token is refreshed once it expires within its margin, the lesser of
//!   [`RefreshPolicy::margin`] (5 minutes) and half its lifetime.
//! - On a 401 to a token believed valid (HubSpot revoked or expired it early, clocks drift): one
//!   refresh, and the request is sent again with the new token. If HubSpot refuses that brand-new
//!   token too, the install is broken: no further refresh, the sync stops as needing re-auth.
//!   A private app's static token has nothing to refresh: its 401 needs a new token at once.
//! - A refused refresh token (`BAD_REFRESH_TOKEN`, `invalid_grant`) is asked once: the manager
//!   remembers the refusal and answers every later call with it, without asking HubSpot again.
//!   Recording the tenant as `needs_reauth` is the sync handler's job.
//!
//! Every refresh runs under the tenant's `token-refresh` lease, re-reads the secret first (another
//! process may have refreshed already), and writes the new tokens back with a compare-and-set on
//! the version it read, so concurrent refreshes cannot lose a token.

use crate::domain::TenantId;
use crate::ports::{Lease, SecretVault, SyncStore, VaultError};
use crate::sources::hubspot::error::HubSpotError;
use crate::sources::hubspot::{OAuthClient, StoredCredentials};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;

/// Gives the bearer token for the next request.
#[async_trait::async_trait]
pub trait AccessTokenProvider: Send + Sync {
    async fn access_token(&self) -> Result<SecretString, HubSpotError>;

    /// HubSpot refused `rejected` (a 401, `refusal`) although it was believed valid. The token to
    /// send the request again with, or `None` when there is none: a static token, or `rejected` was
    /// itself the new token a refusal led to (the install is broken).
    async fn replace_refused(
        &self,
        rejected: &SecretString,
        refusal: &HubSpotError,
    ) -> Result<Option<SecretString>, HubSpotError>;
}

/// A private app's static token.
pub struct StaticToken(SecretString);

impl StaticToken {
    pub fn new(token: SecretString) -> Self {
        StaticToken(token)
    }
}

#[async_trait::async_trait]
impl AccessTokenProvider for StaticToken {
    async fn access_token(&self) -> Result<SecretString, HubSpotError> {
        Ok(self.0.clone())
    }

    async fn replace_refused(
        &self,
        _rejected: &SecretString,
        _refusal: &HubSpotError,
    ) -> Result<Option<SecretString>, HubSpotError> {
        Ok(None)
    }
}

/// How the token manager refreshes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RefreshPolicy {
    /// Refresh when the access token expires within this margin (or within half its lifetime, when
    /// that is shorter).
    pub margin: Duration,
    /// How long a refresh may hold the lease before another process may take it.
    pub lease_ttl: Duration,
    /// How long to wait for another process's refresh before giving up.
    pub wait_for_other: Duration,
    pub poll_interval: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        RefreshPolicy {
            margin: Duration::from_secs(5 * 60),
            lease_ttl: Duration::from_secs(60),
            wait_for_other: Duration::from_secs(30),
            poll_interval: Duration::from_millis(250),
        }
    }
}

/// HubSpot's refusal that ends this manager's use of the tenant's credentials, kept to answer every
/// later call with the same error.
#[derive(Debug, Clone)]
enum Refusal {
    RefreshToken {
        status: String,
        message: String,
    },
    AccessToken {
        message: String,
        category: Option<String>,
        correlation_id: Option<String>,
    },
}

impl Refusal {
    fn of(error: &HubSpotError) -> Option<Self> {
        match error {
            HubSpotError::BadRefreshToken { status, message } => Some(Refusal::RefreshToken {
                status: status.clone(),
                message: message.clone(),
            }),
            HubSpotError::Api {
                status: 401,
                message,
                category,
                correlation_id,
            } => Some(Refusal::AccessToken {
                message: message.clone(),
                category: category.clone(),
                correlation_id: correlation_id.clone(),
            }),
            _ => None,
        }
    }

    fn error(&self) -> HubSpotError {
        match self.clone() {
            Refusal::RefreshToken { status, message } => {
                HubSpotError::BadRefreshToken { status, message }
            }
            Refusal::AccessToken {
                message,
                category,
                correlation_id,
            } => HubSpotError::Api {
                status: 401,
                message,
                category,
                correlation_id,
            },
        }
    }
}

#[derive(Default)]
struct State {
    credentials: Option<StoredCredentials>,
    /// The token a 401 made this manager switch to: HubSpot refusing it too means the install is
    /// broken.
    replacement: Option<SecretString>,
    refusal: Option<Refusal>,
}

fn same_token(a: &SecretString, b: &SecretString) -> bool {
    a.expose_secret() == b.expose_secret()
}

/// Gives a tenant's access token, refreshing it ahead of expiry and once after a 401 (see the module
/// docs). One manager serves one sync run; its walks share it.
pub struct TokenManager<S: ?Sized> {
    tenant_id: TenantId,
    secret_id: String,
    vault: Arc<dyn SecretVault>,
    store: Arc<S>,
    oauth: Option<OAuthClient>,
    policy: RefreshPolicy,
    holder: String,
    state: tokio::sync::Mutex<State>,
}

impl<S> TokenManager<S>
where
    S: SyncStore + ?Sized + 'static,
{
    /// `oauth` may be `None` for private-app tenants (an OAuth secret then fails to refresh with a
    /// clear error).
    pub fn new(
        tenant_id: TenantId,
        secret_id: impl Into<String>,
        vault: Arc<dyn SecretVault>,
        store: Arc<S>,
        oauth: Option<OAuthClient>,
        policy: RefreshPolicy,
    ) -> Self {
        TokenManager {
            tenant_id,
            secret_id: secret_id.into(),
            vault,
            store,
            oauth,
            policy,
            holder: format!("token-manager-{}", uuid::Uuid::new_v4().simple()),
            state: tokio::sync::Mutex::new(State::default()),
        }
    }

    async fn read_secret(&self) -> Result<(StoredCredentials, String), HubSpotError> {
        let secret = self.vault.get(&self.secret_id).await.map_err(vault_error)?;
        let credentials = StoredCredentials::from_secret(&secret.value)?;
        Ok((credentials, secret.version_id))
    }

    /// The access token of `credentials` if it is not within its refresh margin, and is not the one
    /// HubSpot refused.
    fn usable(
        &self,
        credentials: &StoredCredentials,
        refused: Option<&SecretString>,
    ) -> Option<SecretString> {
        let token = match credentials {
            StoredCredentials::PrivateApp { access_token } => access_token,
            StoredCredentials::OAuth(tokens)
                if !tokens.needs_refresh(Utc::now(), self.policy.margin) =>
            {
                &tokens.access_token
            }
            StoredCredentials::OAuth(_) => return None,
        };
        match refused {
            Some(refused) if same_token(token, refused) => None,
            _ => Some(token.clone()),
        }
    }

    /// The current token set (after any refresh), for callers that store the portal id.
    pub async fn credentials(&self) -> Result<StoredCredentials, HubSpotError> {
        self.access_token().await?;
        let state = self.state.lock().await;
        state
            .credentials
            .clone()
            .ok_or_else(|| HubSpotError::Credentials("no credentials loaded".to_owned()))
    }

    /// Refreshes (see [`Self::refresh_under_lease`]) and remembers a refused refresh token.
    async fn refresh(
        &self,
        state: &mut State,
        refused: Option<&SecretString>,
    ) -> Result<(StoredCredentials, SecretString), HubSpotError> {
        let credentials = match self.refresh_under_lease(refused).await {
            Ok(credentials) => credentials,
            Err(error) => {
                if let HubSpotError::BadRefreshToken { .. } = error {
                    tracing::warn!(tenant = %self.tenant_id, %error, "HubSpot refused the refresh token");
                    state.refusal = Refusal::of(&error);
                }
                return Err(error);
            }
        };
        let token = self.usable(&credentials, refused).ok_or_else(|| {
            HubSpotError::Credentials("the refreshed token is already expiring".to_owned())
        })?;
        state.credentials = Some(credentials.clone());
        Ok((credentials, token))
    }

    /// A fresh token set: another process's, if it wrote one meanwhile, else HubSpot's. `refused`
    /// is a token HubSpot refused, which does not count as fresh whatever its expiry says.
    async fn refresh_under_lease(
        &self,
        refused: Option<&SecretString>,
    ) -> Result<StoredCredentials, HubSpotError> {
        let started = std::time::Instant::now();
        loop {
            let now = Utc::now();
            let until = now
                + chrono::Duration::from_std(self.policy.lease_ttl)
                    .unwrap_or(chrono::Duration::seconds(60));
            let acquired = self
                .store
                .acquire_lease(
                    &self.tenant_id,
                    Lease::TokenRefresh.name(),
                    &self.holder,
                    until,
                    now,
                )
                .await
                .map_err(|e| HubSpotError::Credentials(format!("token-refresh lease: {e}")))?;
            if acquired {
                let result = self.refresh_holding_lease(refused).await;
                if let Err(error) = self
                    .store
                    .release_lease(&self.tenant_id, Lease::TokenRefresh.name(), &self.holder)
                    .await
                {
                    // The lease expires by itself; the refresh result stands.
                    tracing::warn!(%error, tenant = %self.tenant_id, "could not release the token-refresh lease");
                }
                return result;
            }
            // Someone else is refreshing: use their token as soon as it is written.
            tokio::time::sleep(self.policy.poll_interval).await;
            let (credentials, _) = self.read_secret().await?;
            if self.usable(&credentials, refused).is_some() {
                return Ok(credentials);
            }
            if started.elapsed() > self.policy.wait_for_other {
                return Err(HubSpotError::Credentials(
                    "another process holds the token-refresh lease and has not written a new token"
                        .to_owned(),
                ));
            }
        }
    }

    async fn refresh_holding_lease(
        &self,
        refused: Option<&SecretString>,
    ) -> Result<StoredCredentials, HubSpotError> {
        let (current, version) = self.read_secret().await?;
        if self.usable(&current, refused).is_some() {
            return Ok(current);
        }
        let StoredCredentials::OAuth(tokens) = &current else {
            return Ok(current);
        };
        let oauth = self.oauth.as_ref().ok_or_else(|| {
            HubSpotError::Credentials("OAuth credentials but no OAuth app configured".to_owned())
        })?;
        let fresh = StoredCredentials::OAuth(oauth.refresh(tokens).await?);
        match self
            .vault
            .put(&self.secret_id, &fresh.to_secret(), Some(&version))
            .await
        {
            Ok(_) => Ok(fresh),
            Err(VaultError::Conflict(_)) => {
                // Someone wrote the secret although we held the lease (it expired under us). HubSpot's
                // refresh tokens do not rotate, so either access token works: prefer what is stored if
                // it is fresh, else write ours on top of it.
                let (stored, stored_version) = self.read_secret().await?;
                if self.usable(&stored, refused).is_some() {
                    return Ok(stored);
                }
                self.vault
                    .put(&self.secret_id, &fresh.to_secret(), Some(&stored_version))
                    .await
                    .map_err(vault_error)?;
                Ok(fresh)
            }
            Err(error) => {
                // The new token works even if it could not be stored; the next run refreshes again.
                tracing::warn!(%error, tenant = %self.tenant_id, "could not store the refreshed token");
                Ok(fresh)
            }
        }
    }
}

fn vault_error(error: VaultError) -> HubSpotError {
    HubSpotError::Credentials(error.to_string())
}

#[async_trait::async_trait]
impl<S> AccessTokenProvider for TokenManager<S>
where
    S: SyncStore + ?Sized + 'static,
{
    async fn access_token(&self) -> Result<SecretString, HubSpotError> {
        // One refresh at a time within the process; the lease covers other processes.
        let mut state = self.state.lock().await;
        if let Some(refusal) = &state.refusal {
            return Err(refusal.error());
        }
        if let Some(token) = state
            .credentials
            .as_ref()
            .and_then(|c| self.usable(c, None))
        {
            return Ok(token);
        }
        let (stored, _) = self.read_secret().await?;
        if let Some(token) = self.usable(&stored, None) {
            state.credentials = Some(stored);
            return Ok(token);
        }
        let (_, token) = self.refresh(&mut state, None).await?;
        Ok(token)
    }

    async fn replace_refused(
        &self,
        rejected: &SecretString,
        refusal: &HubSpotError,
    ) -> Result<Option<SecretString>, HubSpotError> {
        let mut state = self.state.lock().await;
        if let Some(known) = &state.refusal {
            return Err(known.error());
        }
        let current = match &state.credentials {
            Some(credentials) => credentials.clone(),
            None => self.read_secret().await?.0,
        };
        if let StoredCredentials::PrivateApp { .. } = current {
            // Nothing to refresh: only a new token helps, so stop sending this one.
            state.refusal = Refusal::of(refusal);
            return Ok(None);
        }
        // Another request of this run met the same refusal and already replaced the token.
        if let Some(token) = self.usable(&current, Some(rejected)) {
            return Ok(Some(token));
        }
        if state
            .replacement
            .as_ref()
            .is_some_and(|replacement| same_token(replacement, rejected))
        {
            tracing::warn!(tenant = %self.tenant_id, %refusal,
                "HubSpot refused a newly refreshed access token as well: the install is broken");
            state.refusal = Refusal::of(refusal);
            return Ok(None);
        }
        tracing::warn!(tenant = %self.tenant_id, %refusal,
            "HubSpot refused an access token before its expiry; refreshing it once");
        let (_, token) = self.refresh(&mut state, Some(rejected)).await?;
        state.replacement = Some(token.clone());
        Ok(Some(token))
    }
}
