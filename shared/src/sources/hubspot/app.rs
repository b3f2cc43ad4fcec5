//! The HubSpot app's own credentials (`HUBSPOT_APP_SECRET_ID` in Secrets Manager holds
//! `{"client_id": "...", "client_secret": "..."}`): the OAuth client and the key of webhook signatures.
//! `infra/template.yaml` creates that secret with [`PLACEHOLDER_VALUE`] in both members, to be
//! replaced after the first deploy; reading it refuses the placeholder as it refuses a malformed
//! value, so every function says the same thing about it.

use crate::ports::{SecretVault, VaultError};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum AppSecretError {
    #[error("reading the app secret failed: {0}")]
    Vault(#[from] VaultError),
    /// The message names the problem, never the value.
    #[error("the app secret is not JSON {{client_id, client_secret}}: {0}")]
    Malformed(String),
    #[error("the app secret still holds the template's placeholder `{PLACEHOLDER_VALUE}`")]
    Placeholder,
}

/// The value `infra/template.yaml` creates the app secret with.
pub const PLACEHOLDER_VALUE: &str = "set-me";

/// Whether a member of the app secret is the template's placeholder rather than a real app's value.
fn is_placeholder(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case(PLACEHOLDER_VALUE)
}

/// `Debug` shows the client id only.
#[derive(Clone)]
pub struct AppCredentials {
    pub client_id: String,
    pub client_secret: SecretString,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl AppCredentials {
    pub fn from_secret(value: &SecretString) -> Result<Self, AppSecretError> {
        #[derive(Deserialize)]
        struct Stored {
            client_id: String,
            client_secret: String,
        }
        // serde_json's messages can quote the value, so only its category and position are kept.
        let stored: Stored = serde_json::from_str(value.expose_secret()).map_err(|e| {
            AppSecretError::Malformed(format!(
                "{:?} error at line {} column {}",
                e.classify(),
                e.line(),
                e.column()
            ))
        })?;
        if stored.client_id.trim().is_empty() {
            return Err(AppSecretError::Malformed("client_id is empty".to_string()));
        }
        if stored.client_secret.trim().is_empty() {
            return Err(AppSecretError::Malformed(
                "client_secret is empty".to_string(),
            ));
        }
        if is_placeholder(&stored.client_id) || is_placeholder(&stored.client_secret) {
            return Err(AppSecretError::Placeholder);
        }
        Ok(Self {
            client_id: stored.client_id,
            client_secret: SecretString::from(stored.client_secret),
        })
    }

    /// Reads and parses the app secret from the vault.
    pub async fn load(vault: &dyn SecretVault, secret_id: &str) -> Result<Self, AppSecretError> {
        let secret = vault.get(secret_id).await?;
        Self::from_secret(&secret.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_app_secret_and_hides_the_client_secret() {
        let parsed = AppCredentials::from_secret(&SecretString::from(
            r#"{"client_id":"abc","client_secret":"s3cr3t-value"}"#,
        ))
        .unwrap();
        assert_eq!(parsed.client_id, "abc");
        assert_eq!(parsed.client_secret.expose_secret(), "s3cr3t-value");
        assert!(!format!("{parsed:?}").contains("s3cr3t"));
    }

    #[test]
    fn malformed_secrets_are_named_without_their_value() {
        for bad in [
            r#"{"client_id":"abc"}"#,
            r#"{"client_id":"","client_secret":"x"}"#,
            r#"{"client_id":"abc","client_secret":" "}"#,
            "s3cr3t-not-json",
        ] {
            let err = AppCredentials::from_secret(&SecretString::from(bad)).unwrap_err();
            assert!(matches!(err, AppSecretError::Malformed(_)), "{bad}");
            assert!(!err.to_string().contains("s3cr3t"), "{err}");
        }
    }

    #[test]
    fn the_template_placeholder_in_either_member_is_not_an_app() {
        for placeholder in [
            r#"{"client_id":"set-me","client_secret":"set-me"}"#,
            r#"{"client_id":"real-id","client_secret":" set-me "}"#,
            r#"{"client_id":"SET-ME","client_secret":"real"}"#,
        ] {
            let err = AppCredentials::from_secret(&SecretString::from(placeholder)).unwrap_err();
            assert!(matches!(err, AppSecretError::Placeholder), "{placeholder}");
        }
        assert!(AppCredentials::from_secret(&SecretString::from(
            r#"{"client_id":"real-id","client_secret":"real-secret"}"#
        ))
        .is_ok());
    }
}
