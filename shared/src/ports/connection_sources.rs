//! The source factories a function was built with, by platform: what the connection sync, the
//! connections API and the webhook ingest ask when they meet a connection. Which kind of port a
//! platform sits behind (payments, accounts) is decided here once.

use crate::domain::{ClientCredentials, Connection, ConnectionSettings, Platform};
use crate::ports::source::{
    AccountsSourceFactory, PaymentsSourceFactory, SourceError, VerifiedWebhook,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The factory of one platform, by the kind of records it yields.
#[derive(Clone)]
pub enum PlatformSources {
    /// PayPal: payer records.
    Payments(Arc<dyn PaymentsSourceFactory>),
    /// NinjaOne, Pax8, Microsoft 365: account records.
    Accounts(Arc<dyn AccountsSourceFactory>),
}

/// Every non-HubSpot platform a function can reach. A platform missing here is "not configured"
/// in this function (its connections' syncs fail saying so; the API refuses to connect it).
#[derive(Clone, Default)]
pub struct ConnectionSources {
    by_platform: BTreeMap<Platform, PlatformSources>,
}

impl ConnectionSources {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the payments factory of `platform`.
    pub fn with_payments(
        mut self,
        platform: Platform,
        factory: Arc<dyn PaymentsSourceFactory>,
    ) -> Self {
        self.by_platform
            .insert(platform, PlatformSources::Payments(factory));
        self
    }

    /// Adds (or replaces) an accounts factory, under the platform it names.
    pub fn with_accounts(mut self, factory: Arc<dyn AccountsSourceFactory>) -> Self {
        self.by_platform
            .insert(factory.platform(), PlatformSources::Accounts(factory));
        self
    }

    pub fn get(&self, platform: Platform) -> Option<&PlatformSources> {
        self.by_platform.get(&platform)
    }

    /// The platforms this function can reach, in order.
    pub fn platforms(&self) -> impl Iterator<Item = Platform> + '_ {
        self.by_platform.keys().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.by_platform.is_empty()
    }

    fn not_configured(platform: Platform) -> SourceError {
        SourceError::Rejected {
            status: 501,
            message: format!(
                "{} connections are not configured in this deployment",
                platform.display_name()
            ),
        }
    }

    /// Tries `credentials` with the platform `settings` name.
    pub async fn check_credentials(
        &self,
        settings: &ConnectionSettings,
        credentials: &ClientCredentials,
    ) -> Result<(), SourceError> {
        let platform = settings.platform();
        match self.get(platform) {
            Some(PlatformSources::Payments(f)) => f.check_credentials(settings, credentials).await,
            Some(PlatformSources::Accounts(f)) => f.check_credentials(settings, credentials).await,
            None => Err(Self::not_configured(platform)),
        }
    }

    /// Verifies a webhook delivery to `connection` with its platform's rule.
    pub async fn verify_webhook(
        &self,
        connection: &Connection,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<VerifiedWebhook, SourceError> {
        match self.get(connection.platform) {
            Some(PlatformSources::Payments(f)) => f.verify_webhook(connection, headers, body).await,
            Some(PlatformSources::Accounts(f)) => f.verify_webhook(connection, headers, body).await,
            None => Err(Self::not_configured(connection.platform)),
        }
    }
}
