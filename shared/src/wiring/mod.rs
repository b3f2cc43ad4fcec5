//! One module per function: read its configuration, build its clients once per cold start, and
//! serve. Each function's `main` hands its `serve` to [`run`], so all four start, fail and log the
//! same way: one ERROR line that names the problem, and a non-zero exit.

pub mod api;
mod clients;
pub mod ingest;
pub mod notify;
pub mod score;
pub mod sync;

use crate::config::ConfigError;
use crate::sources::hubspot::AppSecretError;
use std::future::Future;
use std::process::ExitCode;

/// Why a function could not start, or stopped serving.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("the HubSpot app secret {secret_id} (named by {variable}) cannot be used: {source}")]
    AppSecret {
        variable: &'static str,
        secret_id: String,
        source: AppSecretError,
    },
    #[error("the secret {secret_id} (named by {variable}) cannot be read: {message}")]
    Secret {
        variable: &'static str,
        secret_id: String,
        message: String,
    },
    #[error("HTTP client: {0}")]
    Http(String),
    #[error("the Lambda runtime stopped: {0}")]
    Runtime(lambda_runtime::Error),
}

/// Runs a function's `serve`: logs its failure as one line and exits non-zero.
pub async fn run(
    function: &str,
    serve: impl Future<Output = Result<(), StartupError>>,
) -> ExitCode {
    lambda_runtime::tracing::init_default_subscriber();
    match serve.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the {function} function stopped");
            ExitCode::FAILURE
        }
    }
}
