//! Builds a PayPal connection's source from its settings and its secret, checks credentials before
//! a connection is saved, and verifies the connection's webhook deliveries.
//!
//! Clients are kept per connection (until its credentials change), so a warm function reuses the
//! cached token: fetching one per call is a documented cause of PayPal 429s.

use crate::domain::{
    ClientCredentials, Connection, ConnectionId, ConnectionSettings, PaypalEnvironment,
};
use crate::ports::source::{PaymentsSource, PaymentsSourceFactory, SourceError, VerifiedWebhook};
use crate::ports::{SecretVault, VaultError};
use crate::sources::paypal::api;
use crate::sources::paypal::client::{PaypalClient, DEFAULT_REQUESTS_PER_SECOND};
use crate::sources::paypal::normalise::EmailHasher;
use crate::sources::paypal::retry::RetryPolicy;
use crate::sources::paypal::source::{system_clock, Clock, PaypalSource};
use crate::sources::paypal::webhook::{self, ParsedEvent, TransmissionHeaders, WebhookError};
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Connections whose clients are kept at most; past it the cache starts afresh.
const KEPT_CLIENTS: usize = 1_000;

pub struct PaypalSources {
    http: reqwest::Client,
    vault: Arc<dyn SecretVault>,
    hasher: EmailHasher,
    /// Replaces both PayPal hosts (the simulator).
    base_url_override: Option<String>,
    retry: RetryPolicy,
    requests_per_second: Option<u32>,
    clock: Clock,
    clients: Mutex<HashMap<ConnectionId, (DateTime<Utc>, PaypalClient)>>,
}

impl PaypalSources {
    /// `email_hash_key`: the key payer emails are hashed with (the same for every connection, so
    /// hashes compare across them).
    pub fn new(http: reqwest::Client, vault: Arc<dyn SecretVault>, email_hash_key: &[u8]) -> Self {
        PaypalSources {
            http,
            vault,
            hasher: EmailHasher::new(email_hash_key),
            base_url_override: None,
            retry: RetryPolicy::default(),
            requests_per_second: Some(DEFAULT_REQUESTS_PER_SECOND),
            clock: system_clock(),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Sends every connection's requests to `base_url` (a simulator) whatever its environment.
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url_override = Some(base_url.into());
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// `None`: unpaced.
    pub fn with_pacing(mut self, requests_per_second: Option<u32>) -> Self {
        self.requests_per_second = requests_per_second;
        self
    }

    /// Where sources read the time (a simulator's clock).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn base_url(&self, environment: PaypalEnvironment) -> String {
        self.base_url_override
            .clone()
            .unwrap_or_else(|| api::base_url(environment).to_owned())
    }

    fn client_with(
        &self,
        environment: PaypalEnvironment,
        credentials: &ClientCredentials,
    ) -> PaypalClient {
        PaypalClient::new(
            self.http.clone(),
            &self.base_url(environment),
            credentials,
            self.retry,
            self.requests_per_second,
        )
    }

    /// The client of a saved connection: kept from an earlier call while its credentials are the
    /// same, else built from its secret.
    pub async fn client_for(&self, connection: &Connection) -> Result<PaypalClient, SourceError> {
        let ConnectionSettings::Paypal { environment, .. } = &connection.settings else {
            return Err(SourceError::Credentials(format!(
                "connection {} is not a PayPal connection",
                connection.id
            )));
        };
        if let Ok(clients) = self.clients.lock() {
            if let Some((connected_at, client)) = clients.get(&connection.id) {
                if *connected_at == connection.connected_at {
                    return Ok(client.clone());
                }
            }
        }
        let secret = self
            .vault
            .get(&connection.credentials_secret_id)
            .await
            .map_err(|e| vault_error(&connection.id, e))?;
        let credentials: ClientCredentials = serde_json::from_str(secret.value.expose_secret())
            .map_err(|_| {
                SourceError::Credentials(format!(
                    "the secret of connection {} does not hold PayPal client credentials",
                    connection.id
                ))
            })?;
        let client = self.client_with(*environment, &credentials);
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
    pub async fn source(&self, connection: &Connection) -> Result<PaypalSource, SourceError> {
        let client = self.client_for(connection).await?;
        Ok(
            PaypalSource::new(connection.id.clone(), client, self.hasher.clone())
                .with_clock(self.clock.clone()),
        )
    }

    /// Verifies a delivery for `connection` through PayPal and reads it. A delivery PayPal does not
    /// verify is `NotVerified`; one whose type we do not sync comes back with `recognised: false`.
    pub async fn verify_webhook(
        &self,
        connection: &Connection,
        headers: &http::HeaderMap,
        raw_event: &[u8],
    ) -> Result<ParsedEvent, WebhookError> {
        let ConnectionSettings::Paypal {
            webhook_id: Some(webhook_id),
            ..
        } = &connection.settings
        else {
            return Err(WebhookError::NoWebhookId);
        };
        let transmission = TransmissionHeaders::from_headers(headers)?;
        // Read before asking PayPal: a body that is not an event is refused without a request.
        let parsed = webhook::parse_event(raw_event)?;
        let client = self.client_for(connection).await?;
        webhook::verify(&client, &transmission, webhook_id, raw_event).await?;
        Ok(parsed)
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
impl PaymentsSourceFactory for PaypalSources {
    async fn check_credentials(
        &self,
        settings: &ConnectionSettings,
        credentials: &ClientCredentials,
    ) -> Result<(), SourceError> {
        let ConnectionSettings::Paypal { environment, .. } = settings else {
            return Err(SourceError::Credentials(
                "PayPal credentials checked against another platform's settings".into(),
            ));
        };
        self.client_with(*environment, credentials)
            .fetch_token()
            .await
            .map_err(SourceError::from)
    }

    async fn payments_source(
        &self,
        connection: &Connection,
    ) -> Result<Arc<dyn PaymentsSource>, SourceError> {
        Ok(Arc::new(self.source(connection).await?))
    }

    async fn verify_webhook(
        &self,
        connection: &Connection,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<VerifiedWebhook, SourceError> {
        let refused = |message: String| SourceError::Rejected {
            status: 401,
            message,
        };
        let event = PaypalSources::verify_webhook(self, connection, headers, body)
            .await
            .map_err(|error| match error {
                WebhookError::MissingHeader(_)
                | WebhookError::NoWebhookId
                | WebhookError::NotVerified => refused(error.to_string()),
                WebhookError::InvalidEvent(message) => SourceError::InvalidResponse(message),
                WebhookError::Paypal(error) => SourceError::from(error),
                WebhookError::Source(error) => error,
            })?;
        let event_id = event.id.ok_or_else(|| {
            SourceError::InvalidResponse("the PayPal event has no id".to_string())
        })?;
        Ok(VerifiedWebhook {
            event_id,
            event_type: event.event_type,
            refs: event.refs,
            account_ids: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ConnectionStatus, Platform, TenantId};
    use crate::vault::InProcessVault;
    use secrecy::SecretString;

    fn connection(settings: ConnectionSettings) -> Connection {
        let at = Utc::now();
        Connection {
            tenant_id: TenantId::parse("t-1").expect("tenant"),
            id: ConnectionId::parse("paypal-1").expect("connection"),
            platform: Platform::Paypal,
            label: "PayPal".into(),
            status: ConnectionStatus::Active,
            status_reason: None,
            credentials_secret_id: "paypal/1".into(),
            settings,
            connected_at: at,
            last_sync_at: None,
            last_full_sync_at: None,
            created_at: at,
            updated_at: at,
            webhook_registered: None,
            version: 0,
        }
    }

    fn paypal(webhook_id: Option<&str>) -> ConnectionSettings {
        ConnectionSettings::Paypal {
            environment: PaypalEnvironment::Live,
            webhook_id: webhook_id.map(str::to_owned),
        }
    }

    #[tokio::test]
    async fn unreadable_or_missing_credentials_are_clear_errors_that_never_show_the_secret() {
        let vault = InProcessVault::new();
        let sources = PaypalSources::new(reqwest::Client::new(), Arc::new(vault.clone()), b"k");
        let missing = sources.source(&connection(paypal(None))).await;
        assert!(matches!(missing, Err(SourceError::Credentials(_))));
        vault
            .create("paypal/1", &SecretString::from("s3cret-not-json"))
            .await
            .expect("stored");
        let Err(SourceError::Credentials(message)) =
            sources.source(&connection(paypal(None))).await
        else {
            panic!("unreadable credentials");
        };
        assert!(!message.contains("s3cret"), "{message}");
        let hubspot = sources
            .source(&connection(ConnectionSettings::Hubspot))
            .await;
        assert!(matches!(hubspot, Err(SourceError::Credentials(_))));
        let credentials = ClientCredentials {
            client_id: "id".into(),
            client_secret: "secret".into(),
            webhook_secret: None,
        };
        let wrong_platform = sources
            .check_credentials(&ConnectionSettings::Hubspot, &credentials)
            .await;
        assert!(matches!(wrong_platform, Err(SourceError::Credentials(_))));
    }

    #[tokio::test]
    async fn a_webhook_is_refused_without_a_registered_webhook_or_its_headers_before_any_request() {
        let sources = PaypalSources::new(
            reqwest::Client::new(),
            Arc::new(InProcessVault::new()),
            b"k",
        );
        let event = br#"{"event_type":"BILLING.SUBSCRIPTION.CREATED","resource":{"id":"I-1"}}"#;
        let headers = http::HeaderMap::new();
        let none = sources
            .verify_webhook(&connection(paypal(None)), &headers, event)
            .await;
        assert!(matches!(none, Err(WebhookError::NoWebhookId)));
        let unsigned = sources
            .verify_webhook(&connection(paypal(Some("WH-1"))), &headers, event)
            .await;
        assert!(matches!(unsigned, Err(WebhookError::MissingHeader(_))));
        assert_eq!(
            sources.base_url(PaypalEnvironment::Live),
            api::LIVE_BASE_URL
        );
        let simulated = sources.with_base_url("http://127.0.0.1:9");
        assert_eq!(
            simulated.base_url(PaypalEnvironment::Sandbox),
            "http://127.0.0.1:9"
        );
    }
}
