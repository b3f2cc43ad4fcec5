//! Adapters of the [`SecretVault`](crate::ports::SecretVault) port: AWS Secrets Manager, and an in-process
//! vault for the local runner and tests. `shared/tests/vault_conformance.rs` runs one suite against both.

mod in_process;
mod secrets_manager;

pub use in_process::InProcessVault;
pub use secrets_manager::{SecretsManagerVault, IAM_ACTIONS as SECRETS_MANAGER_IAM_ACTIONS};
