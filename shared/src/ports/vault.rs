use secrecy::SecretString;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("secret {0} not found")]
    NotFound(String),
    #[error("secret {0} already exists")]
    AlreadyExists(String),
    #[error("secret {0} was changed by someone else")]
    Conflict(String),
    #[error("secret store unavailable: {0}")]
    Unavailable(String),
    #[error("access to secret {0} denied")]
    AccessDenied(String),
}

/// A secret's value and the version it was read at.
#[derive(Debug, Clone)]
pub struct VersionedSecret {
    pub value: SecretString,
    pub version_id: String,
}

/// Holds tenants' credentials and the app's client secret. Values are `SecretString`, never printed.
#[async_trait::async_trait]
pub trait SecretVault: Send + Sync {
    async fn get(&self, secret_id: &str) -> Result<VersionedSecret, VaultError>;
    async fn create(&self, secret_id: &str, value: &SecretString) -> Result<(), VaultError>;
    /// Writes a new value. When `expected_version` is given and the current version differs, the
    /// write is refused with `Conflict`, so two concurrent token refreshes cannot lose a token.
    async fn put(
        &self,
        secret_id: &str,
        value: &SecretString,
        expected_version: Option<&str>,
    ) -> Result<String, VaultError>;
    /// Deletes the secret at once, with no recovery window (a deleted connection's credentials must
    /// be gone, not merely scheduled to go). Deleting one that does not exist is not an error, so a
    /// deletion that stopped half-way can simply run again.
    async fn delete(&self, secret_id: &str) -> Result<(), VaultError>;
}
