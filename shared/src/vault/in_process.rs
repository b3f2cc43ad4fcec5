use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use secrecy::SecretString;

use crate::ports::vault::{SecretVault, VaultError, VersionedSecret};

/// Secrets held in memory, with an exact compare-and-set on `put`. Clones share the same secrets.
#[derive(Debug, Clone, Default)]
pub struct InProcessVault {
    secrets: Arc<Mutex<HashMap<String, VersionedSecret>>>,
}

impl InProcessVault {
    pub fn new() -> Self {
        Self::default()
    }

    fn with_secrets<T>(&self, f: impl FnOnce(&mut HashMap<String, VersionedSecret>) -> T) -> T {
        // A panic while the lock was held cannot leave a half-written entry: every change is one insert.
        let mut secrets = self.secrets.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut secrets)
    }
}

fn new_version_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[async_trait::async_trait]
impl SecretVault for InProcessVault {
    async fn get(&self, secret_id: &str) -> Result<VersionedSecret, VaultError> {
        self.with_secrets(|secrets| secrets.get(secret_id).cloned())
            .ok_or_else(|| VaultError::NotFound(secret_id.to_string()))
    }

    async fn create(&self, secret_id: &str, value: &SecretString) -> Result<(), VaultError> {
        self.with_secrets(|secrets| {
            if secrets.contains_key(secret_id) {
                return Err(VaultError::AlreadyExists(secret_id.to_string()));
            }
            let secret = VersionedSecret {
                value: value.clone(),
                version_id: new_version_id(),
            };
            secrets.insert(secret_id.to_string(), secret);
            Ok(())
        })
    }

    async fn put(
        &self,
        secret_id: &str,
        value: &SecretString,
        expected_version: Option<&str>,
    ) -> Result<String, VaultError> {
        self.with_secrets(|secrets| {
            let current = secrets
                .get(secret_id)
                .ok_or_else(|| VaultError::NotFound(secret_id.to_string()))?;
            if let Some(expected) = expected_version {
                if current.version_id != expected {
                    return Err(VaultError::Conflict(secret_id.to_string()));
                }
            }
            let version_id = new_version_id();
            let secret = VersionedSecret {
                value: value.clone(),
                version_id: version_id.clone(),
            };
            secrets.insert(secret_id.to_string(), secret);
            Ok(version_id)
        })
    }

    async fn delete(&self, secret_id: &str) -> Result<(), VaultError> {
        self.with_secrets(|secrets| secrets.remove(secret_id));
        Ok(())
    }
}
