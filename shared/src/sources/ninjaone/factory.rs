//! Builds a NinjaOne connection's source. PLACEHOLDER: the contract the wiring builds against; the
//! source itself replaces the bodies.

use crate::domain::{ClientCredentials, Connection, ConnectionSettings, Platform};
use crate::ports::source::{AccountsSource, AccountsSourceFactory, SourceError};
use crate::ports::SecretVault;
use std::sync::Arc;

pub struct NinjaoneSources {
    #[allow(dead_code)]
    http: reqwest::Client,
    #[allow(dead_code)]
    vault: Arc<dyn SecretVault>,
    #[allow(dead_code)]
    base_url_override: Option<String>,
}

impl NinjaoneSources {
    pub fn new(http: reqwest::Client, vault: Arc<dyn SecretVault>) -> Self {
        NinjaoneSources {
            http,
            vault,
            base_url_override: None,
        }
    }

    /// Sends every connection's requests to `base_url` (a simulator), no trailing slash.
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url_override = Some(base_url.into());
        self
    }
}

fn not_built() -> SourceError {
    SourceError::Unavailable {
        message: "NinjaOne connections are not built yet".to_string(),
    }
}

#[async_trait::async_trait]
impl AccountsSourceFactory for NinjaoneSources {
    fn platform(&self) -> Platform {
        Platform::Ninjaone
    }

    async fn check_credentials(
        &self,
        _settings: &ConnectionSettings,
        _credentials: &ClientCredentials,
    ) -> Result<(), SourceError> {
        Err(not_built())
    }

    async fn accounts_source(
        &self,
        _connection: &Connection,
    ) -> Result<Arc<dyn AccountsSource>, SourceError> {
        Err(not_built())
    }
}
