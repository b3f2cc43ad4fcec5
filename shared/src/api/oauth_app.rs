//! The HubSpot app's OAuth settings (`HUBSPOT_APP_SECRET_ID`'s `{client_id, client_secret}` plus the
//! config), read from the vault on first use and kept for the life of the process.
//!
//! A deployment without usable app credentials (no secret, a malformed one, one the function may not
//! read, or the template's `set-me` placeholders) cannot connect a portal: the OAuth routes answer
//! 503 `/problems/oauth-not-configured`, and the reason is logged once per process, not per request.
//! The secret is read again on the next request, so setting it needs no redeploy.

use crate::api::error::ApiError;
use crate::api::ApiState;
use crate::ports::VaultError;
use crate::sources::hubspot::{AppCredentials, AppSecretError, OAuthApp};
use secrecy::ExposeSecret;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::OnceCell;

/// The value `infra/template.yaml` creates the app secret with, to be replaced after the first deploy.
pub const PLACEHOLDER_VALUE: &str = "set-me";

/// Why the app's credentials cannot be used. The messages name the problem, never a value.
#[derive(Debug, thiserror::Error)]
pub enum AppNotConfigured {
    #[error("the app secret {secret_id} does not exist")]
    Missing { secret_id: String },
    #[error("the app secret {secret_id} may not be read by this function")]
    AccessDenied { secret_id: String },
    #[error("the app secret {secret_id} is malformed: {reason}")]
    Malformed { secret_id: String, reason: String },
    #[error(
        "the app secret {secret_id} still holds the template's placeholder `{PLACEHOLDER_VALUE}`"
    )]
    Placeholder { secret_id: String },
}

/// Whether these credentials are the template's placeholders rather than a real app's.
pub fn is_placeholder(credentials: &AppCredentials) -> bool {
    let placeholder = |value: &str| value.trim().eq_ignore_ascii_case(PLACEHOLDER_VALUE);
    placeholder(&credentials.client_id) || placeholder(credentials.client_secret.expose_secret())
}

/// The cached app and whether a refusal was already logged. Shared by every clone of the state.
#[derive(Default)]
pub(crate) struct OAuthAppSlot {
    app: OnceCell<Arc<OAuthApp>>,
    refusal_logged: AtomicBool,
}

impl OAuthAppSlot {
    pub(crate) fn with(app: OAuthApp) -> Self {
        Self {
            app: OnceCell::new_with(Some(Arc::new(app))),
            refusal_logged: AtomicBool::new(false),
        }
    }

    /// Logs the first refusal at ERROR (the operator must act), later ones not at all.
    fn log_refusal(&self, problem: &AppNotConfigured) {
        if !self.refusal_logged.swap(true, Ordering::SeqCst) {
            tracing::error!(
                error = %problem,
                "HubSpot OAuth is not configured: /oauth/install and /oauth/callback answer 503 \
                 until the app secret holds the app's client_id and client_secret"
            );
        }
    }
}

/// The app's OAuth settings from the `{client_id, client_secret}` secret and the config.
async fn load(state: &ApiState) -> Result<OAuthApp, ApiError> {
    let config = &state.config;
    let secret_id = config.hubspot_app_secret_id.clone();
    let credentials = match AppCredentials::load(state.vault.as_ref(), &secret_id).await {
        Ok(credentials) => credentials,
        Err(AppSecretError::Vault(VaultError::NotFound(_))) => {
            return Err(not_configured(
                state,
                AppNotConfigured::Missing { secret_id },
            ))
        }
        Err(AppSecretError::Vault(VaultError::AccessDenied(_))) => {
            return Err(not_configured(
                state,
                AppNotConfigured::AccessDenied { secret_id },
            ))
        }
        Err(AppSecretError::Malformed(reason)) => {
            return Err(not_configured(
                state,
                AppNotConfigured::Malformed { secret_id, reason },
            ))
        }
        // Unavailable and the like: transient, a 503 that is worth retrying.
        Err(AppSecretError::Vault(other)) => return Err(other.into()),
    };
    if is_placeholder(&credentials) {
        return Err(not_configured(
            state,
            AppNotConfigured::Placeholder { secret_id },
        ));
    }
    Ok(OAuthApp {
        client_id: credentials.client_id,
        client_secret: credentials.client_secret,
        redirect_uri: config.oauth_redirect_uri(),
        scopes: config.oauth_scopes.clone(),
        optional_scopes: config.oauth_optional_scopes.clone(),
        authorize_url: config.hubspot_authorize_url.to_string(),
    })
}

fn not_configured(state: &ApiState, problem: AppNotConfigured) -> ApiError {
    state.oauth_app.log_refusal(&problem);
    ApiError::OAuthNotConfigured {
        reason: problem.to_string(),
    }
}

impl ApiState {
    /// The app's OAuth settings, read from the vault on first success and kept.
    pub async fn oauth_app(&self) -> Result<Arc<OAuthApp>, ApiError> {
        self.oauth_app
            .app
            .get_or_try_init(|| async { load(self).await.map(Arc::new) })
            .await
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn credentials(client_id: &str, client_secret: &str) -> AppCredentials {
        AppCredentials {
            client_id: client_id.to_string(),
            client_secret: SecretString::from(client_secret.to_string()),
        }
    }

    /// Counts ERROR events, to see that a refusal is logged once and not per request.
    #[derive(Clone, Default)]
    struct ErrorCount(Arc<std::sync::atomic::AtomicUsize>);

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ErrorCount {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            if *event.metadata().level() == tracing::Level::ERROR {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_missing_app_secret_is_logged_once_not_per_request() {
        use tracing_subscriber::layer::SubscriberExt;
        let errors = ErrorCount::default();
        let _guard =
            tracing::subscriber::set_default(tracing_subscriber::registry().with(errors.clone()));
        let config = crate::api::ApiConfig::new(
            url::Url::parse("https://insights.example.com").unwrap(),
            url::Url::parse("https://api.hubapi.com").unwrap(),
            "app/hubspot",
        );
        let state = ApiState::new(
            Arc::new(crate::store::MemoryStore::new()),
            Arc::new(crate::bus::InProcessBus::new()),
            Arc::new(crate::vault::InProcessVault::new()),
            config,
            crate::api::Authenticator::api_gateway("tenant_id"),
        );
        for _ in 0..5 {
            let error = state.clone().oauth_app().await.unwrap_err();
            assert!(
                matches!(error, ApiError::OAuthNotConfigured { .. }),
                "{error:?}"
            );
        }
        assert_eq!(errors.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn the_template_placeholder_in_either_member_is_not_an_app() {
        assert!(is_placeholder(&credentials("set-me", "set-me")));
        assert!(is_placeholder(&credentials("real-id", " set-me ")));
        assert!(is_placeholder(&credentials("SET-ME", "real")));
        assert!(!is_placeholder(&credentials("real-id", "real-secret")));
    }
}
