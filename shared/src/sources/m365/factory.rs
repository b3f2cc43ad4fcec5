//! Builds a Microsoft 365 connection's source: one multi-tenant app (client id and secret in the
//! connection's secret) reaching each customer tenant that consented it, with a client-credentials
//! token per customer tenant (SOURCES.md §4, option (a)).
//!
//! Clients are kept per connection (until its credentials change), so a warm function reuses the
//! cached tokens and, above all, the per-tenant report limiter: Graph allows 14 report requests per
//! 10 minutes per app per tenant, across invocations.
//!
//! No webhooks: Graph has no change notifications for these resources (`register_webhook` and
//! `verify_webhook` keep the trait's defaults).

use crate::domain::{ClientCredentials, Connection, ConnectionId, ConnectionSettings, Platform};
use crate::ports::source::{AccountsSource, AccountsSourceFactory, SourceError};
use crate::ports::{SecretVault, VaultError};
use crate::sources::m365::client::{
    ClientSettings, GraphClient, RetryPolicy, GRAPH_BASE, LOGIN_BASE,
};
use crate::sources::m365::clock::{system_clock, PacingClock};
use crate::sources::m365::consent::{admin_consent_url, ConsentError};
use crate::sources::m365::pacing::ReportPacing;
use crate::sources::m365::source::M365Source;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Connections whose clients are kept at most; past it the cache starts afresh.
const KEPT_CLIENTS: usize = 1_000;

pub struct M365Sources {
    /// The given client, for what needs no redirect handling.
    #[allow(dead_code)]
    http: reqwest::Client,
    /// A client that follows no redirects: report 302s are followed by hand, without the token.
    graph_http: reqwest::Client,
    vault: Arc<dyn SecretVault>,
    /// Replaces both `login.microsoftonline.com` and `graph.microsoft.com` (a simulator).
    base_url_override: Option<String>,
    retry: RetryPolicy,
    pacing: ReportPacing,
    clock: Arc<dyn PacingClock>,
    clients: Mutex<HashMap<ConnectionId, (DateTime<Utc>, GraphClient)>>,
}

impl M365Sources {
    pub fn new(http: reqwest::Client, vault: Arc<dyn SecretVault>) -> Self {
        let graph_http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(60))
            .user_agent(concat!("connected-insights/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|error| {
                // Only fails when the TLS backend cannot start; the given client then serves,
                // following redirects itself (reqwest drops the token on a change of host).
                tracing::warn!(%error, "no redirect-free HTTP client; using the shared one");
                http.clone()
            });
        M365Sources {
            http,
            graph_http,
            vault,
            base_url_override: None,
            retry: RetryPolicy::default(),
            pacing: ReportPacing::default(),
            clock: system_clock(),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Sends every connection's requests to `base_url` (a simulator), no trailing slash.
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url_override = Some(base_url.into());
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The report limit per customer tenant (documented: 14 per 10 minutes).
    pub fn with_pacing(mut self, pacing: ReportPacing) -> Self {
        self.pacing = pacing;
        self
    }

    /// Where sources read the time and wait (a simulator's clock).
    pub fn with_clock(mut self, clock: Arc<dyn PacingClock>) -> Self {
        self.clock = clock;
        self
    }

    fn login_base(&self) -> &str {
        self.base_url_override.as_deref().unwrap_or(LOGIN_BASE)
    }

    fn graph_base(&self) -> &str {
        self.base_url_override.as_deref().unwrap_or(GRAPH_BASE)
    }

    /// The URL a customer's admin opens to consent the app (see [`admin_consent_url`]), on the
    /// overridden host when there is one.
    pub fn admin_consent_url(
        &self,
        tenant: Option<&str>,
        client_id: &str,
        redirect_uri: &str,
        state: &str,
    ) -> Result<String, ConsentError> {
        admin_consent_url(
            Some(self.login_base()),
            tenant,
            client_id,
            redirect_uri,
            state,
        )
    }

    fn client_with(&self, credentials: &ClientCredentials) -> GraphClient {
        GraphClient::new(
            self.graph_http.clone(),
            credentials.client_id.clone(),
            SecretString::from(credentials.client_secret.clone()),
            ClientSettings {
                login_base: self.login_base().to_owned(),
                graph_base: self.graph_base().to_owned(),
                retry: self.retry,
                pacing: self.pacing,
                clock: self.clock.clone(),
            },
        )
    }

    /// The client of a saved connection: kept from an earlier call while its credentials are the
    /// same, else built from its secret.
    pub async fn client_for(&self, connection: &Connection) -> Result<GraphClient, SourceError> {
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
                    "the secret of connection {} does not hold Microsoft 365 app credentials",
                    connection.id
                ))
            })?;
        let client = self.client_with(&credentials);
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

    /// The source of a saved connection, as a concrete type (benchmarks read its client).
    pub async fn source(&self, connection: &Connection) -> Result<M365Source, SourceError> {
        let ConnectionSettings::M365 { customer_tenants } = &connection.settings else {
            return Err(SourceError::Credentials(format!(
                "connection {} is not a Microsoft 365 connection",
                connection.id
            )));
        };
        let client = self.client_for(connection).await?;
        Ok(M365Source::new(
            connection.id.clone(),
            customer_tenants.clone(),
            client,
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
impl AccountsSourceFactory for M365Sources {
    fn platform(&self) -> Platform {
        Platform::M365
    }

    /// Fetches a token from each customer tenant listed. With none listed yet nothing can be
    /// checked, and this answers Ok: the client-credentials grant needs a concrete tenant
    /// (`organizations` and `common` cannot issue app-only tokens) and the app's home tenant id is
    /// not part of the credentials. The credentials are then checked by the first customer
    /// tenant's consent callback and sync, which name the tenant when they fail.
    async fn check_credentials(
        &self,
        settings: &ConnectionSettings,
        credentials: &ClientCredentials,
    ) -> Result<(), SourceError> {
        let ConnectionSettings::M365 { customer_tenants } = settings else {
            return Err(SourceError::Credentials(
                "Microsoft 365 credentials checked against another platform's settings".into(),
            ));
        };
        if credentials.client_id.trim().is_empty() || credentials.client_secret.is_empty() {
            return Err(SourceError::NeedsReauth {
                reason: "Microsoft 365: the app's client id and secret are both needed".into(),
            });
        }
        let client = self.client_with(credentials);
        for tenant in customer_tenants {
            client
                .fetch_token(tenant.tenant_id.trim())
                .await
                .map(|_| ())?;
        }
        Ok(())
    }

    async fn accounts_source(
        &self,
        connection: &Connection,
    ) -> Result<Arc<dyn AccountsSource>, SourceError> {
        Ok(Arc::new(self.source(connection).await?))
    }
}
