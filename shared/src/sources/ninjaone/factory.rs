//! Builds a NinjaOne connection's source from its settings (the regional host) and its secret,
//! checks credentials before a connection is saved, registers its webhook and verifies deliveries.
//!
//! Clients are kept per connection (until its credentials change), so a warm function reuses the
//! cached token instead of fetching one per call.

use crate::domain::{ClientCredentials, Connection, ConnectionId, ConnectionSettings, Platform};
use crate::ports::source::{AccountsSource, AccountsSourceFactory, SourceError, VerifiedWebhook};
use crate::ports::{SecretVault, VaultError};
use crate::sources::ninjaone::client::NinjaClient;
use crate::sources::ninjaone::settings::NinjaoneSettings;
use crate::sources::ninjaone::source::NinjaoneSource;
use crate::sources::ninjaone::webhook::{self, WebhookError};
use crate::sources::paypal::source::{system_clock, Clock};
use crate::sources::paypal::RetryPolicy;
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Connections whose clients are kept at most; past it the cache starts afresh.
const KEPT_CLIENTS: usize = 1_000;

pub struct NinjaoneSources {
    http: reqwest::Client,
    vault: Arc<dyn SecretVault>,
    /// Replaces every region's host (a simulator).
    base_url_override: Option<String>,
    settings: NinjaoneSettings,
    retry: RetryPolicy,
    clock: Clock,
    clients: Mutex<HashMap<ConnectionId, (DateTime<Utc>, NinjaClient)>>,
}

impl NinjaoneSources {
    pub fn new(http: reqwest::Client, vault: Arc<dyn SecretVault>) -> Self {
        NinjaoneSources {
            http,
            vault,
            base_url_override: None,
            settings: NinjaoneSettings::default(),
            retry: RetryPolicy::default(),
            clock: system_clock(),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Sends every connection's requests to `base_url` (a simulator), no trailing slash.
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url_override = Some(base_url.into());
        self
    }

    /// The unconfirmed facts this source assumes (token path, scopes, reference field, sizes).
    pub fn with_settings(mut self, settings: NinjaoneSettings) -> Self {
        self.settings = settings;
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// `None`: unpaced.
    pub fn with_pacing(mut self, requests_per_second: Option<u32>) -> Self {
        self.settings.requests_per_second = requests_per_second;
        self
    }

    /// Where sources read the time (a simulator's clock).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The connection's host: the override, else its region's.
    pub fn base_url(&self, settings: &ConnectionSettings) -> Result<String, SourceError> {
        let ConnectionSettings::Ninjaone { region } = settings else {
            return Err(SourceError::Credentials(
                "NinjaOne asked for with another platform's settings".into(),
            ));
        };
        Ok(self
            .base_url_override
            .clone()
            .unwrap_or_else(|| format!("https://{}", region.host())))
    }

    fn client_with(
        &self,
        settings: &ConnectionSettings,
        credentials: &ClientCredentials,
    ) -> Result<NinjaClient, SourceError> {
        Ok(NinjaClient::new(
            self.http.clone(),
            &self.base_url(settings)?,
            credentials,
            self.settings.clone(),
            self.retry,
        ))
    }

    async fn credentials(&self, connection: &Connection) -> Result<ClientCredentials, SourceError> {
        let secret = self
            .vault
            .get(&connection.credentials_secret_id)
            .await
            .map_err(|e| vault_error(&connection.id, e))?;
        serde_json::from_str(secret.value.expose_secret()).map_err(|_| {
            SourceError::Credentials(format!(
                "the secret of connection {} does not hold NinjaOne client credentials",
                connection.id
            ))
        })
    }

    /// The client of a saved connection: kept from an earlier call while its credentials are the
    /// same, else built from its secret.
    pub async fn client_for(&self, connection: &Connection) -> Result<NinjaClient, SourceError> {
        if let Ok(clients) = self.clients.lock() {
            if let Some((connected_at, client)) = clients.get(&connection.id) {
                if *connected_at == connection.connected_at {
                    return Ok(client.clone());
                }
            }
        }
        self.base_url(&connection.settings)?;
        let credentials = self.credentials(connection).await?;
        let client = self.client_with(&connection.settings, &credentials)?;
        if let Ok(mut clients) = self.clients.lock() {
            if clients.len() >= KEPT_CLIENTS {
                clients.clear();
            }
            clients.insert(
                connection.id.clone(),
                (connection.connected_at, client.clone()),
            );
        }
        Ok(client)
    }

    /// The source of a saved connection, as a concrete type (benchmarks read its client's stats).
    pub async fn source(&self, connection: &Connection) -> Result<NinjaoneSource, SourceError> {
        let client = self.client_for(connection).await?;
        Ok(NinjaoneSource::new(connection.id.clone(), client).with_clock(self.clock.clone()))
    }
}

fn vault_error(connection: &ConnectionId, error: VaultError) -> SourceError {
    match error {
        VaultError::Unavailable(message) => SourceError::Unavailable {
            message: format!("secret store: {message}"),
        },
        other => {
            SourceError::Credentials(format!("credentials of connection {connection}: {other}"))
        }
    }
}

#[async_trait::async_trait]
impl AccountsSourceFactory for NinjaoneSources {
    fn platform(&self) -> Platform {
        Platform::Ninjaone
    }

    async fn check_credentials(
        &self,
        settings: &ConnectionSettings,
        credentials: &ClientCredentials,
    ) -> Result<(), SourceError> {
        self.client_with(settings, credentials)?
            .fetch_token()
            .await
            .map_err(SourceError::from)
    }

    async fn accounts_source(
        &self,
        connection: &Connection,
    ) -> Result<Arc<dyn AccountsSource>, SourceError> {
        Ok(Arc::new(self.source(connection).await?))
    }

    async fn register_webhook(
        &self,
        connection: &Connection,
        credentials: &ClientCredentials,
        url: &str,
    ) -> Result<bool, SourceError> {
        let secret = credentials
            .webhook_secret
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                SourceError::Credentials(format!(
                    "connection {} has no webhook secret to register",
                    connection.id
                ))
            })?;
        let client = self.client_with(&connection.settings, credentials)?;
        let configuration = webhook::configuration(url, secret);
        client
            .send_ignoring_body(reqwest::Method::PUT, "/v2/webhook", Some(&configuration))
            .await?;
        Ok(true)
    }

    async fn verify_webhook(
        &self,
        connection: &Connection,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<VerifiedWebhook, SourceError> {
        let credentials = self.credentials(connection).await?;
        webhook::verify(headers, body, credentials.webhook_secret.as_deref()).map_err(|error| {
            match error {
                WebhookError::NotAuthentic | WebhookError::NoSecret => SourceError::Rejected {
                    status: 401,
                    message: error.to_string(),
                },
                WebhookError::InvalidActivity(message) => SourceError::InvalidResponse(message),
            }
        })
    }
}
