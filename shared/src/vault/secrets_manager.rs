use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::Client;
use secrecy::{ExposeSecret, SecretString};

use crate::ports::vault::{SecretVault, VaultError, VersionedSecret};

/// The staging label Secrets Manager gives the version that reads return.
const CURRENT_STAGE: &str = "AWSCURRENT";

/// Port method -> the Secrets Manager actions this adapter's implementation of it sends (read by the
/// IAM check of the SAM template; kept next to the calls it describes).
pub const IAM_ACTIONS: &[(&str, &[&str])] = &[
    ("get", &["secretsmanager:GetSecretValue"]),
    ("create", &["secretsmanager:CreateSecret"]),
    (
        "put",
        &[
            "secretsmanager:DescribeSecret",
            "secretsmanager:PutSecretValue",
        ],
    ),
    ("delete", &["secretsmanager:DeleteSecret"]),
];

/// Secrets in AWS Secrets Manager (or moto locally), one secret per id.
///
/// `put` with an `expected_version` reads the version labelled `AWSCURRENT` and refuses with
/// [`VaultError::Conflict`] when it is not the expected one, then writes the new value. Secrets Manager has no
/// conditional write, so this narrows the window in which two writers can both succeed but does not close it:
/// a writer that passes the check can still be overtaken before its `PutSecretValue` lands. Callers that must
/// not lose a value (the connector refreshing a tenant's OAuth tokens) hold the tenant's lease in the store
/// around the read-refresh-write, and use the version check as a second line of defence.
///
/// Values travel only inside `SecretString`; nothing here logs them, and error messages carry only the
/// secret id and the service's error code and message.
#[derive(Debug, Clone)]
pub struct SecretsManagerVault {
    client: Client,
}

impl SecretsManagerVault {
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    pub fn from_config(config: &aws_config::SdkConfig) -> Self {
        Self::new(Client::new(config))
    }

    async fn current_version_id(&self, secret_id: &str) -> Result<String, VaultError> {
        let described = self
            .client
            .describe_secret()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(|e| vault_error(secret_id, e))?;
        described
            .version_ids_to_stages()
            .and_then(|versions| {
                versions
                    .iter()
                    .find(|(_, stages)| stages.iter().any(|stage| stage == CURRENT_STAGE))
                    .map(|(version_id, _)| version_id.clone())
            })
            .ok_or_else(|| VaultError::NotFound(secret_id.to_string()))
    }
}

#[async_trait::async_trait]
impl SecretVault for SecretsManagerVault {
    async fn get(&self, secret_id: &str) -> Result<VersionedSecret, VaultError> {
        let output = self
            .client
            .get_secret_value()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(|e| vault_error(secret_id, e))?;
        let version_id = output
            .version_id()
            .ok_or_else(|| {
                VaultError::Unavailable(format!(
                    "secret {secret_id} was returned without a version id"
                ))
            })?
            .to_string();
        let value = output.secret_string.ok_or_else(|| {
            VaultError::Unavailable(format!(
                "secret {secret_id} holds binary data, not a string"
            ))
        })?;
        Ok(VersionedSecret {
            value: SecretString::from(value),
            version_id,
        })
    }

    async fn create(&self, secret_id: &str, value: &SecretString) -> Result<(), VaultError> {
        self.client
            .create_secret()
            .name(secret_id)
            .secret_string(value.expose_secret())
            .client_request_token(uuid::Uuid::new_v4().to_string())
            .send()
            .await
            .map_err(|e| vault_error(secret_id, e))?;
        Ok(())
    }

    async fn put(
        &self,
        secret_id: &str,
        value: &SecretString,
        expected_version: Option<&str>,
    ) -> Result<String, VaultError> {
        if let Some(expected) = expected_version {
            if self.current_version_id(secret_id).await? != expected {
                return Err(VaultError::Conflict(secret_id.to_string()));
            }
        }
        // The request token becomes the new version's id; a retried request with the same token is not
        // applied twice.
        let version_id = uuid::Uuid::new_v4().to_string();
        let output = self
            .client
            .put_secret_value()
            .secret_id(secret_id)
            .secret_string(value.expose_secret())
            .client_request_token(&version_id)
            .send()
            .await
            .map_err(|e| vault_error(secret_id, e))?;
        Ok(output
            .version_id()
            .map(str::to_string)
            .unwrap_or(version_id))
    }

    async fn delete(&self, secret_id: &str) -> Result<(), VaultError> {
        let deleted = self
            .client
            .delete_secret()
            .secret_id(secret_id)
            .force_delete_without_recovery(true)
            .send()
            .await;
        match deleted.map_err(|e| vault_error(secret_id, e)) {
            Ok(_) | Err(VaultError::NotFound(_)) => Ok(()),
            Err(error) => Err(error),
        }
    }
}

/// Maps a Secrets Manager error to the port's error by its error code.
fn vault_error<E, R>(secret_id: &str, error: SdkError<E, R>) -> VaultError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let id = secret_id.to_string();
    match error.code() {
        Some("ResourceNotFoundException") => VaultError::NotFound(id),
        Some("ResourceExistsException") => VaultError::AlreadyExists(id),
        Some("AccessDeniedException" | "AccessDenied" | "UnrecognizedClientException") => {
            VaultError::AccessDenied(id)
        }
        // Throttling, internal errors, timeouts and connection failures: the caller may retry later.
        _ => VaultError::Unavailable(format!(
            "secret {secret_id}: {}",
            DisplayErrorContext(&error)
        )),
    }
}
