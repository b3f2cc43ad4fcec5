//! The HubSpot public app as the install sees it: its settings (where its credentials are kept,
//! HubSpot's endpoints, the scopes an install asks for), and the [`OAuthApp`] built from them and the
//! app secret's `{client_id, client_secret}`.
//!
//! A deployment without usable app credentials (no secret, a malformed one, one the function may not
//! read, or the template's `set-me` placeholders) cannot connect a portal: [`OAuthAppCache::get`]
//! says why ([`AppNotConfigured`]) and logs it once per process, not per request. The secret is read
//! again on the next call, so setting it needs no redeploy.

use crate::ports::{SecretVault, VaultError};
use crate::sources::hubspot::api::{DEFAULT_API_BASE_URL, DEFAULT_AUTHORIZE_URL};
use crate::sources::hubspot::error::HubSpotError;
use crate::sources::hubspot::{AppCredentials, AppSecretError, PLACEHOLDER_VALUE};
use secrecy::SecretString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::OnceCell;
use url::Url;

/// What the sync reads: companies, contacts, deals and tickets (engagements come with contacts).
pub const DEFAULT_OAUTH_SCOPES: &str =
    "oauth crm.objects.companies.read crm.objects.contacts.read crm.objects.deals.read tickets";
/// Email engagements' direction and status need `sales-email-read`; without it they are redacted,
/// not refused. Write-back needs the write scopes (company properties and their definitions, and tasks,
/// which HubSpot guards with the contacts write scope): optional, so a portal whose admin declines
/// them still installs, and enabling write-back then says to reinstall.
pub const DEFAULT_OAUTH_OPTIONAL_SCOPES: &str = "sales-email-read crm.objects.companies.write crm.schemas.companies.write crm.objects.contacts.write";

/// The app's OAuth configuration: none of it secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthSettings {
    /// Secrets Manager id of the app's `{client_id, client_secret}`.
    pub app_secret_id: String,
    pub api_base_url: Url,
    /// HubSpot's consent page (`https://app.hubspot.com/oauth/authorize`); the sandbox has its own.
    pub authorize_url: Url,
    /// Scopes the install asks for, and the optional ones.
    pub scopes: Vec<String>,
    pub optional_scopes: Vec<String>,
}

impl OAuthSettings {
    /// HubSpot's production endpoints and the default scopes.
    pub fn new(app_secret_id: &str) -> Self {
        Self {
            app_secret_id: app_secret_id.to_string(),
            api_base_url: Url::parse(DEFAULT_API_BASE_URL)
                .unwrap_or_else(|_| unreachable!("the default API URL is valid")),
            authorize_url: Url::parse(DEFAULT_AUTHORIZE_URL)
                .unwrap_or_else(|_| unreachable!("the default authorize URL is valid")),
            scopes: scope_list(DEFAULT_OAUTH_SCOPES),
            optional_scopes: scope_list(DEFAULT_OAUTH_OPTIONAL_SCOPES),
        }
    }

    /// The app these settings describe, with its credentials and the callback HubSpot returns to.
    pub fn app(&self, credentials: AppCredentials, redirect_uri: String) -> OAuthApp {
        OAuthApp {
            client_id: credentials.client_id,
            client_secret: credentials.client_secret,
            redirect_uri,
            scopes: self.scopes.clone(),
            optional_scopes: self.optional_scopes.clone(),
            authorize_url: self.authorize_url.to_string(),
        }
    }
}

/// Space-separated scopes as a list.
pub fn scope_list(scopes: &str) -> Vec<String> {
    scopes.split_whitespace().map(str::to_string).collect()
}

/// The public app's OAuth settings (client secret from `HUBSPOT_APP_SECRET_ID`).
#[derive(Debug, Clone)]
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: SecretString,
    /// `PUBLIC_BASE_URL` + the callback route.
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub optional_scopes: Vec<String>,
    /// `api::DEFAULT_AUTHORIZE_URL`, or the sandbox's.
    pub authorize_url: String,
}

impl OAuthApp {
    /// An app that only refreshes tokens (the sync): installs go through the api function, so it
    /// needs no callback and no scopes.
    pub fn for_refresh(credentials: AppCredentials) -> Self {
        OAuthApp {
            client_id: credentials.client_id,
            client_secret: credentials.client_secret,
            redirect_uri: String::new(),
            scopes: Vec::new(),
            optional_scopes: Vec::new(),
            authorize_url: DEFAULT_AUTHORIZE_URL.to_string(),
        }
    }

    /// Where to send the user to install the app, with the signed state.
    pub fn authorize_url(&self, nonce: &str) -> Result<String, HubSpotError> {
        let mut params: Vec<(&str, String)> = vec![
            ("client_id", self.client_id.clone()),
            ("redirect_uri", self.redirect_uri.clone()),
            ("scope", self.scopes.join(" ")),
        ];
        if !self.optional_scopes.is_empty() {
            params.push(("optional_scope", self.optional_scopes.join(" ")));
        }
        params.push(("state", self.sign_state(nonce)));
        url::Url::parse_with_params(&self.authorize_url, &params)
            .map(String::from)
            .map_err(|e| HubSpotError::Credentials(format!("bad authorize URL: {e}")))
    }
}

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

/// Why the app could not be loaded: an operator must act, or the vault is briefly unavailable.
#[derive(Debug, thiserror::Error)]
pub enum AppLoadError {
    #[error(transparent)]
    NotConfigured(#[from] AppNotConfigured),
    /// Unavailable and the like: transient, worth retrying.
    #[error(transparent)]
    Vault(VaultError),
}

/// Reads the app's credentials and builds the app from them and the settings.
pub async fn load_app(
    vault: &dyn SecretVault,
    settings: &OAuthSettings,
    redirect_uri: String,
) -> Result<OAuthApp, AppLoadError> {
    let secret_id = settings.app_secret_id.clone();
    let credentials = match AppCredentials::load(vault, &secret_id).await {
        Ok(credentials) => credentials,
        Err(AppSecretError::Vault(VaultError::NotFound(_))) => {
            return Err(AppNotConfigured::Missing { secret_id }.into())
        }
        Err(AppSecretError::Vault(VaultError::AccessDenied(_))) => {
            return Err(AppNotConfigured::AccessDenied { secret_id }.into())
        }
        Err(AppSecretError::Malformed(reason)) => {
            return Err(AppNotConfigured::Malformed { secret_id, reason }.into())
        }
        Err(AppSecretError::Placeholder) => {
            return Err(AppNotConfigured::Placeholder { secret_id }.into())
        }
        Err(AppSecretError::Vault(other)) => return Err(AppLoadError::Vault(other)),
    };
    Ok(settings.app(credentials, redirect_uri))
}

/// The app, read on first success and kept for the life of the process, and whether a refusal was
/// already logged.
#[derive(Default)]
pub struct OAuthAppCache {
    app: OnceCell<Arc<OAuthApp>>,
    refusal_logged: AtomicBool,
}

impl OAuthAppCache {
    /// A cache that already holds this app (tests, the local runner).
    pub fn with(app: OAuthApp) -> Self {
        Self {
            app: OnceCell::new_with(Some(Arc::new(app))),
            refusal_logged: AtomicBool::new(false),
        }
    }

    /// The cached app, or one loaded now. The first refusal is logged at ERROR (the operator must
    /// act), later ones not at all.
    pub async fn get(
        &self,
        vault: &dyn SecretVault,
        settings: &OAuthSettings,
        redirect_uri: String,
    ) -> Result<Arc<OAuthApp>, AppLoadError> {
        self.app
            .get_or_try_init(|| async {
                load_app(vault, settings, redirect_uri)
                    .await
                    .map(Arc::new)
                    .inspect_err(|error| self.log_refusal(error))
            })
            .await
            .cloned()
    }

    fn log_refusal(&self, error: &AppLoadError) {
        let AppLoadError::NotConfigured(problem) = error else {
            return;
        };
        if !self.refusal_logged.swap(true, Ordering::SeqCst) {
            tracing::error!(
                error = %problem,
                "HubSpot OAuth is not configured: /oauth/install and /oauth/callback answer 503 \
                 until the app secret holds the app's client_id and client_secret"
            );
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::vault::InProcessVault;

    pub(crate) fn app() -> OAuthApp {
        OAuthApp {
            client_id: "client-1".into(),
            client_secret: SecretString::from("s3cret".to_owned()),
            redirect_uri: "https://example.com/oauth/callback".into(),
            scopes: vec!["crm.objects.companies.read".into(), "oauth".into()],
            optional_scopes: vec![],
            authorize_url: DEFAULT_AUTHORIZE_URL.into(),
        }
    }

    #[test]
    fn authorize_url_carries_client_scopes_redirect_and_state() {
        let app = app();
        let url = app.authorize_url("n1").unwrap();
        let parsed = url::Url::parse(&url).unwrap();
        let pairs: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
        assert_eq!(pairs["client_id"], "client-1");
        assert_eq!(pairs["scope"], "crm.objects.companies.read oauth");
        assert_eq!(pairs["redirect_uri"], "https://example.com/oauth/callback");
        assert_eq!(app.verify_state(&pairs["state"]), Some("n1"));
    }

    #[test]
    fn the_default_install_asks_write_scopes_as_optional_ones() {
        let settings = OAuthSettings::new("app/hubspot");
        let credentials = AppCredentials {
            client_id: "client-1".into(),
            client_secret: SecretString::from("s3cret".to_owned()),
        };
        let app = settings.app(credentials, "https://example.com/cb".into());
        let url = url::Url::parse(&app.authorize_url("n1").unwrap()).unwrap();
        let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        let optional: Vec<&str> = pairs["optional_scope"].split(' ').collect();
        for scope in crate::sources::hubspot::writeback::WRITE_SCOPES {
            assert!(optional.contains(&scope), "{scope} in {optional:?}");
            assert!(!pairs["scope"].contains(scope), "{scope} is not required");
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
        let cache = OAuthAppCache::default();
        let vault = InProcessVault::new();
        let settings = OAuthSettings::new("app/hubspot");
        for _ in 0..5 {
            let error = cache
                .get(&vault, &settings, String::new())
                .await
                .unwrap_err();
            assert!(
                matches!(
                    error,
                    AppLoadError::NotConfigured(AppNotConfigured::Missing { .. })
                ),
                "{error:?}"
            );
        }
        assert_eq!(errors.0.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_placeholder_is_refused_and_a_real_secret_set_later_is_read() {
        let cache = OAuthAppCache::default();
        let vault = InProcessVault::new();
        let settings = OAuthSettings::new("app/hubspot");
        vault
            .create(
                "app/hubspot",
                &SecretString::from(r#"{"client_id":"set-me","client_secret":"set-me"}"#),
            )
            .await
            .unwrap();
        let error = cache
            .get(&vault, &settings, String::new())
            .await
            .unwrap_err();
        assert!(error.to_string().contains("placeholder"), "{error}");
        vault
            .put(
                "app/hubspot",
                &SecretString::from(r#"{"client_id":"id-1","client_secret":"real"}"#),
                None,
            )
            .await
            .unwrap();
        let app = cache
            .get(&vault, &settings, "https://x.example/oauth/callback".into())
            .await
            .unwrap();
        assert_eq!(app.client_id, "id-1");
        assert_eq!(app.scopes, scope_list(DEFAULT_OAUTH_SCOPES));
    }
}
