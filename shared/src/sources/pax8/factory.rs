//! Builds a Pax8 connection's source from its secret, checks credentials before a connection is
//! saved, registers the connection's webhook and verifies its deliveries.
//!
//! Clients are kept per connection (until it is connected again), so a warm function reuses the
//! cached 24-hour token instead of asking for one per run.

use crate::domain::{ClientCredentials, Connection, ConnectionId, ConnectionSettings, Platform};
use crate::ports::source::{AccountsSource, AccountsSourceFactory, SourceError, VerifiedWebhook};
use crate::ports::{SecretVault, VaultError};
use crate::sources::pax8::api;
use crate::sources::pax8::client::{Endpoints, Pax8Client, DEFAULT_REQUESTS_PER_SECOND};
use crate::sources::pax8::retry::RetryPolicy;
use crate::sources::pax8::source::Pax8Source;
use crate::sources::pax8::webhook::{self, WebhookError};
use crate::sources::pax8::wire::{CreateWebhook, Page, WebhookTopic, WireWebhook};
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Connections whose clients are kept at most; past it the cache starts afresh.
const KEPT_CLIENTS: usize = 1_000;

/// The name our webhooks carry in Pax8.
pub const WEBHOOK_NAME: &str = "Connected Insights";

pub struct Pax8Sources {
    http: reqwest::Client,
    vault: Arc<dyn SecretVault>,
    base_url_override: Option<String>,
    token_url_override: Option<String>,
    retry: RetryPolicy,
    requests_per_second: Option<u32>,
    clients: Mutex<HashMap<ConnectionId, (DateTime<Utc>, Pax8Client)>>,
}

impl Pax8Sources {
    pub fn new(http: reqwest::Client, vault: Arc<dyn SecretVault>) -> Self {
        Pax8Sources {
            http,
            vault,
            base_url_override: None,
            token_url_override: None,
            retry: RetryPolicy::default(),
            requests_per_second: Some(DEFAULT_REQUESTS_PER_SECOND),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Sends every connection's requests, token requests included (at `/oauth/token`), to
    /// `base_url` (a simulator), no trailing slash.
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url_override = Some(base_url.into().trim_end_matches('/').to_owned());
        self
    }

    /// The token endpoint, whatever the base URL: the host is UNCONFIRMED (see `api::TOKEN_URL`).
    pub fn with_token_url(mut self, token_url: impl Into<String>) -> Self {
        self.token_url_override = Some(token_url.into());
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Requests per second per connection; `None`: unpaced. Pax8's limits are UNCONFIRMED.
    pub fn with_pacing(mut self, requests_per_second: Option<u32>) -> Self {
        self.requests_per_second = requests_per_second;
        self
    }

    pub fn endpoints(&self) -> Endpoints {
        let api_base = self
            .base_url_override
            .clone()
            .unwrap_or_else(|| api::API_BASE_URL.to_owned());
        let token_url = match (&self.token_url_override, &self.base_url_override) {
            (Some(url), _) => url.clone(),
            (None, Some(base)) => format!("{base}{}", api::TOKEN_PATH),
            (None, None) => api::TOKEN_URL.to_owned(),
        };
        Endpoints {
            api_base,
            token_url,
        }
    }

    pub fn client_with(&self, credentials: &ClientCredentials) -> Pax8Client {
        Pax8Client::new(
            self.http.clone(),
            self.endpoints(),
            credentials,
            self.retry,
            self.requests_per_second,
        )
    }

    async fn credentials(&self, connection: &Connection) -> Result<ClientCredentials, SourceError> {
        if !matches!(connection.settings, ConnectionSettings::Pax8) {
            return Err(SourceError::Credentials(format!(
                "connection {} is not a Pax8 connection",
                connection.id
            )));
        }
        let secret = self
            .vault
            .get(&connection.credentials_secret_id)
            .await
            .map_err(|e| vault_error(&connection.id, e))?;
        serde_json::from_str(secret.value.expose_secret()).map_err(|_| {
            SourceError::Credentials(format!(
                "the secret of connection {} does not hold Pax8 client credentials",
                connection.id
            ))
        })
    }

    /// The client of a saved connection: kept from an earlier call while it was not connected
    /// again, else built from its secret.
    pub async fn client_for(&self, connection: &Connection) -> Result<Pax8Client, SourceError> {
        if let Ok(clients) = self.clients.lock() {
            if let Some((connected_at, client)) = clients.get(&connection.id) {
                if *connected_at == connection.connected_at {
                    return Ok(client.clone());
                }
            }
        }
        let client = self.client_with(&self.credentials(connection).await?);
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
    pub async fn source(&self, connection: &Connection) -> Result<Pax8Source, SourceError> {
        Ok(Pax8Source::new(
            connection.id.clone(),
            self.client_for(connection).await?,
        ))
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
impl AccountsSourceFactory for Pax8Sources {
    fn platform(&self) -> Platform {
        Platform::Pax8
    }

    async fn check_credentials(
        &self,
        settings: &ConnectionSettings,
        credentials: &ClientCredentials,
    ) -> Result<(), SourceError> {
        if !matches!(settings, ConnectionSettings::Pax8) {
            return Err(SourceError::Credentials(
                "Pax8 credentials checked against another platform's settings".into(),
            ));
        }
        self.client_with(credentials)
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

    /// Creates a webhook on the subscription topic whose deliveries carry the connection's
    /// `webhook_secret` as their `Authorization` header, replacing an earlier one for the same URL
    /// (so a rotated secret takes effect).
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
        let client = self.client_with(credentials);
        let existing: Page<WireWebhook> = client
            .get(api::WEBHOOKS, &api::page_query(0))
            .await
            .map_err(SourceError::from)?;
        for old in existing
            .content
            .iter()
            .filter(|w| w.url.as_deref() == Some(url))
        {
            if let Some(id) = &old.id {
                client
                    .delete(&api::webhook(id))
                    .await
                    .map_err(SourceError::from)?;
            }
        }
        let body = CreateWebhook {
            display_name: WEBHOOK_NAME,
            url,
            authorization: secret,
            active: true,
            error_threshold: 3,
            webhook_topics: vec![WebhookTopic {
                topic: api::SUBSCRIPTION_TOPIC,
                filters: Vec::new(),
            }],
        };
        let _created: WireWebhook = client
            .post(api::WEBHOOKS, &body)
            .await
            .map_err(SourceError::from)?;
        Ok(true)
    }

    async fn verify_webhook(
        &self,
        connection: &Connection,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<VerifiedWebhook, SourceError> {
        let credentials = self.credentials(connection).await?;
        let secret = credentials.webhook_secret.unwrap_or_default();
        let fold = |error: WebhookError| match error {
            WebhookError::InvalidEvent(message) => SourceError::InvalidResponse(message),
            refused => SourceError::Rejected {
                status: 401,
                message: refused.to_string(),
            },
        };
        webhook::check_authorization(headers, &secret).map_err(fold)?;
        webhook::parse_event(body).map_err(fold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ConnectionStatus, TenantId};
    use crate::vault::InProcessVault;
    use secrecy::SecretString;

    fn connection() -> Connection {
        let at = Utc::now();
        Connection {
            tenant_id: TenantId::parse("t-1").expect("tenant"),
            id: ConnectionId::parse("pax8-1").expect("connection"),
            platform: Platform::Pax8,
            label: "Pax8".into(),
            status: ConnectionStatus::Active,
            status_reason: None,
            credentials_secret_id: "pax8/1".into(),
            settings: ConnectionSettings::Pax8,
            connected_at: at,
            last_sync_at: None,
            last_full_sync_at: None,
            created_at: at,
            updated_at: at,
            version: 0,
        }
    }

    #[test]
    fn the_token_host_is_a_setting_and_a_simulator_serves_both() {
        let sources = Pax8Sources::new(reqwest::Client::new(), Arc::new(InProcessVault::new()));
        assert_eq!(sources.endpoints().token_url, api::TOKEN_URL);
        assert_eq!(sources.endpoints().api_base, api::API_BASE_URL);
        let sources = sources.with_token_url(api::ALTERNATE_TOKEN_URL);
        assert_eq!(sources.endpoints().token_url, api::ALTERNATE_TOKEN_URL);
        let simulated = Pax8Sources::new(reqwest::Client::new(), Arc::new(InProcessVault::new()))
            .with_base_url("http://127.0.0.1:9/");
        assert_eq!(
            simulated.endpoints(),
            Endpoints {
                api_base: "http://127.0.0.1:9".into(),
                token_url: "http://127.0.0.1:9/oauth/token".into(),
            }
        );
    }

    #[tokio::test]
    async fn missing_or_unreadable_credentials_and_a_missing_webhook_secret_are_clear_errors() {
        let vault = InProcessVault::new();
        let sources = Pax8Sources::new(reqwest::Client::new(), Arc::new(vault.clone()));
        assert!(matches!(
            sources.source(&connection()).await,
            Err(SourceError::Credentials(_))
        ));
        vault
            .create("pax8/1", &SecretString::from("s3cret-not-json"))
            .await
            .expect("stored");
        let Err(SourceError::Credentials(message)) = sources.source(&connection()).await else {
            panic!("unreadable credentials");
        };
        assert!(!message.contains("s3cret"), "{message}");
        let wrong_platform = sources
            .check_credentials(
                &ConnectionSettings::Hubspot,
                &ClientCredentials::new("id", "secret"),
            )
            .await;
        assert!(matches!(wrong_platform, Err(SourceError::Credentials(_))));
        // A connection whose secret holds no webhook secret refuses every delivery.
        let vault = InProcessVault::new();
        let plain = serde_json::to_string(&ClientCredentials::new("id", "secret")).expect("json");
        vault
            .create("pax8/1", &SecretString::from(plain))
            .await
            .expect("stored");
        let sources = Pax8Sources::new(reqwest::Client::new(), Arc::new(vault));
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_static(""),
        );
        let refused = sources
            .verify_webhook(&connection(), &headers, br#"{"id":"e"}"#)
            .await;
        assert!(matches!(
            refused,
            Err(SourceError::Rejected { status: 401, .. })
        ));
    }
}
