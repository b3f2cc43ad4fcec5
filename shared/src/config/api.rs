//! The api function's environment.

use crate::config::alerts::{alert_email_from, allow_local_http_channels};
use crate::config::common::{EVENT_BUS_NAME, EXPORT_BUCKET_NAME, PUBLIC_BASE_URL, TABLE_NAME};
use crate::config::hubspot::oauth_settings;
use crate::config::sources::AccountHosts;
use crate::config::{ConfigError, Env};
use crate::sources::hubspot::oauth::OAuthSettings;
use url::Url;

/// The JWT claim that carries the tenant id.
pub const TENANT_CLAIM: &str = "TENANT_CLAIM";
/// The JWT claim that carries the caller's role (`viewer`, `editor` or `admin`).
pub const ROLE_CLAIM: &str = "ROLE_CLAIM";
/// Tenants' credentials are stored under `<prefix><tenant id>`.
pub const TENANT_SECRET_PREFIX: &str = "TENANT_SECRET_PREFIX";
/// The dashboard's sign-in (see [`DashboardSignIn`]).
pub const DASHBOARD_CLIENT_ID: &str = "DASHBOARD_CLIENT_ID";
pub const DASHBOARD_OIDC_ISSUER: &str = "DASHBOARD_OIDC_ISSUER";
pub const DASHBOARD_SCOPES: &str = "DASHBOARD_SCOPES";
pub const DASHBOARD_TOKEN_USE: &str = "DASHBOARD_TOKEN_USE";

pub const DEFAULT_TENANT_SECRET_PREFIX: &str = "connected-insights/tenants/";
/// Without `TENANT_CLAIM`, the tenant id is in this claim.
pub const DEFAULT_TENANT_CLAIM: &str = "tenant_id";
/// Without `ROLE_CLAIM`, the role is in this claim; a token without it is a viewer's.
pub const DEFAULT_ROLE_CLAIM: &str = "role";

/// What the router needs to know about its surroundings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiConfig {
    /// Where callers reach the API (`https://insights.example.com`): the OAuth redirect URI is built
    /// from it.
    pub public_base_url: Url,
    /// The HubSpot app the install connects portals with.
    pub hubspot: OAuthSettings,
    /// The JWT claim that carries the tenant id.
    pub tenant_claim: String,
    /// The JWT claim that carries the caller's role.
    pub role_claim: String,
    /// Tenants' HubSpot tokens are stored under `<prefix><tenant id>`.
    pub tenant_secret_prefix: String,
    /// How the dashboard signs people in; `None` keeps the token-in-the-fragment page (local runner).
    pub dashboard_sign_in: Option<DashboardSignIn>,
    /// Host overrides of NinjaOne, Pax8 and Microsoft 365 (simulators); the Microsoft 365 one also
    /// moves the admin-consent page.
    pub account_hosts: AccountHosts,
}

/// Scopes the dashboard asks the identity provider for when none are configured.
pub const DEFAULT_DASHBOARD_SCOPES: &str = "openid email profile";

/// The dashboard's OpenID Connect settings (authorization code flow with PKCE, a public client). None
/// of it is secret: the page receives it from `GET /auth-config.json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DashboardSignIn {
    /// The issuer whose discovery document (`<issuer>/.well-known/openid-configuration`) gives the
    /// endpoints; the same issuer API Gateway's JWT authorizer trusts, exactly as configured (it must
    /// equal the tokens' `iss`, so no trailing slash is added).
    pub issuer: String,
    /// The app client the dashboard signs in as (no client secret).
    pub client_id: String,
    /// Space-separated scopes to ask for.
    pub scopes: String,
    /// Which token the page sends to the API.
    pub token_use: TokenUse,
}

/// Which of the tokens the issuer returns the dashboard sends as its bearer token.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TokenUse {
    /// The ID token: with Cognito, custom attributes such as `custom:tenant_id` are only in it.
    Id,
    /// The access token (Auth0, Okta and Entra ID can put custom claims in it).
    Access,
}

impl DashboardSignIn {
    /// `DASHBOARD_CLIENT_ID` (empty or unset: no sign-in), `DASHBOARD_OIDC_ISSUER` (required with a
    /// client id), `DASHBOARD_SCOPES` and `DASHBOARD_TOKEN_USE` (`id` or `access`, default `id`).
    fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Option<Self>, ConfigError> {
        let Some(client_id) = env
            .optional(DASHBOARD_CLIENT_ID)
            .map(|id| id.trim().to_string())
            .filter(|id| !id.is_empty())
        else {
            return Ok(None);
        };
        let token_use = match env.optional(DASHBOARD_TOKEN_USE).as_deref().map(str::trim) {
            None | Some("") | Some("id") => TokenUse::Id,
            Some("access") => TokenUse::Access,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: DASHBOARD_TOKEN_USE,
                    reason: format!("{other:?} is neither `id` nor `access`"),
                })
            }
        };
        let scopes = env
            .optional(DASHBOARD_SCOPES)
            .unwrap_or_else(|| DEFAULT_DASHBOARD_SCOPES.to_string());
        // Validated as a URL, kept as written.
        env.url(DASHBOARD_OIDC_ISSUER, None)?;
        let issuer = env.required(DASHBOARD_OIDC_ISSUER)?;
        Ok(Some(Self {
            issuer,
            client_id,
            scopes: scopes.split_whitespace().collect::<Vec<_>>().join(" "),
            token_use,
        }))
    }
}

impl ApiConfig {
    /// A configuration with the defaults for everything but the public URL and the app (for the
    /// local runner).
    pub fn new(public_base_url: Url, hubspot: OAuthSettings) -> Self {
        Self {
            public_base_url,
            hubspot,
            tenant_claim: DEFAULT_TENANT_CLAIM.to_string(),
            role_claim: DEFAULT_ROLE_CLAIM.to_string(),
            tenant_secret_prefix: DEFAULT_TENANT_SECRET_PREFIX.to_string(),
            dashboard_sign_in: None,
            account_hosts: AccountHosts::default(),
        }
    }

    /// Reads `PUBLIC_BASE_URL` (required), the HubSpot app's settings (see
    /// [`crate::config::hubspot`]), `TENANT_CLAIM`, `ROLE_CLAIM` and `TENANT_SECRET_PREFIX` (defaulted), and the
    /// dashboard's sign-in settings (see [`DashboardSignIn`]).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env::new(lookup);
        Ok(Self {
            public_base_url: env.url(PUBLIC_BASE_URL, None)?,
            hubspot: oauth_settings(&env)?,
            tenant_claim: env
                .optional(TENANT_CLAIM)
                .unwrap_or_else(|| DEFAULT_TENANT_CLAIM.to_string()),
            role_claim: env
                .optional(ROLE_CLAIM)
                .map(|claim| claim.trim().to_string())
                .filter(|claim| !claim.is_empty())
                .unwrap_or_else(|| DEFAULT_ROLE_CLAIM.to_string()),
            tenant_secret_prefix: env
                .optional(TENANT_SECRET_PREFIX)
                .unwrap_or_else(|| DEFAULT_TENANT_SECRET_PREFIX.to_string()),
            dashboard_sign_in: DashboardSignIn::from_env(&env)?,
            account_hosts: AccountHosts::from_env(&env)?,
        })
    }

    /// Where a person connects (or re-connects) HubSpot.
    pub fn install_url(&self) -> String {
        format!(
            "{}/oauth/install",
            self.public_base_url.as_str().trim_end_matches('/')
        )
    }

    /// The URL HubSpot sends the user back to after consent.
    pub fn oauth_redirect_uri(&self) -> String {
        format!(
            "{}/oauth/callback",
            self.public_base_url.as_str().trim_end_matches('/')
        )
    }
}

/// Everything the api Lambda reads from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFunctionConfig {
    pub table_name: String,
    pub event_bus_name: String,
    pub api: ApiConfig,
    /// One host for every PayPal connection (a simulator's); `None`: PayPal's own.
    pub paypal_api_base_url: Option<url::Url>,
    /// The address test alerts to email channels come from (see [`crate::config::alerts::ALERT_EMAIL_FROM`]).
    pub alert_email_from: Option<String>,
    /// Channel URLs may be plain http on this machine (local runner, system test).
    pub allow_local_http_channels: bool,
    /// The export bucket exports are linked from; `None`: no exports.
    pub export_bucket_name: Option<String>,
}

impl ApiFunctionConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env::new(&lookup);
        Ok(Self {
            table_name: env.required(TABLE_NAME)?,
            event_bus_name: env.required(EVENT_BUS_NAME)?,
            api: ApiConfig::from_lookup(&lookup)?,
            paypal_api_base_url: crate::config::paypal::api_base_url(&env)?,
            alert_email_from: alert_email_from(&env)?,
            allow_local_http_channels: allow_local_http_channels(&env)?,
            export_bucket_name: env.optional(EXPORT_BUCKET_NAME),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const COMPLETE: [(&str, &str); 4] = [
        ("TABLE_NAME", "insights"),
        ("EVENT_BUS_NAME", "bus"),
        ("HUBSPOT_APP_SECRET_ID", "app/hubspot"),
        ("PUBLIC_BASE_URL", "https://insights.example.com/"),
    ];

    #[test]
    fn defaults_fill_the_optional_variables() {
        let config = ApiFunctionConfig::from_lookup(env(&COMPLETE)).unwrap();
        assert_eq!(config.table_name, "insights");
        assert_eq!(config.alert_email_from, None);
        assert_eq!(config.api.tenant_claim, "tenant_id");
        assert_eq!(config.api.role_claim, "role");
        let mut given = COMPLETE.to_vec();
        given.push(("ROLE_CLAIM", "custom:role"));
        let custom = ApiFunctionConfig::from_lookup(env(&given)).unwrap();
        assert_eq!(custom.api.role_claim, "custom:role");
        assert!(config.api.hubspot.scopes.contains(&"oauth".to_string()));
        assert_eq!(
            config.api.hubspot.api_base_url.as_str(),
            "https://api.hubapi.com/"
        );
        assert_eq!(
            config.api.oauth_redirect_uri(),
            "https://insights.example.com/oauth/callback"
        );
        assert_eq!(
            config.api.install_url(),
            "https://insights.example.com/oauth/install"
        );
    }

    #[test]
    fn the_alert_sender_address_is_read_when_set() {
        let mut given = COMPLETE.to_vec();
        given.push(("ALERT_EMAIL_FROM", " alerts@insights.example.com "));
        let config = ApiFunctionConfig::from_lookup(env(&given)).unwrap();
        assert_eq!(
            config.alert_email_from.as_deref(),
            Some("alerts@insights.example.com")
        );
        let mut blank = COMPLETE.to_vec();
        blank.push(("ALERT_EMAIL_FROM", ""));
        let config = ApiFunctionConfig::from_lookup(env(&blank)).unwrap();
        assert_eq!(config.alert_email_from, None);
    }

    #[test]
    fn new_gives_the_same_defaults_as_the_environment() {
        let from_env = ApiFunctionConfig::from_lookup(env(&COMPLETE)).unwrap().api;
        let built = ApiConfig::new(
            from_env.public_base_url.clone(),
            OAuthSettings::new("app/hubspot"),
        );
        assert_eq!(built, from_env);
    }

    #[test]
    fn the_dashboard_signs_in_only_with_a_client_id() {
        let config = ApiFunctionConfig::from_lookup(env(&COMPLETE)).unwrap();
        assert_eq!(config.api.dashboard_sign_in, None);
        let mut blank = COMPLETE.to_vec();
        blank.push(("DASHBOARD_CLIENT_ID", " "));
        blank.push(("DASHBOARD_OIDC_ISSUER", "https://issuer.example.com"));
        let config = ApiFunctionConfig::from_lookup(env(&blank)).unwrap();
        assert_eq!(config.api.dashboard_sign_in, None);

        let mut given = COMPLETE.to_vec();
        given.push(("DASHBOARD_CLIENT_ID", "abc123"));
        given.push(("DASHBOARD_OIDC_ISSUER", "https://issuer.example.com/pool"));
        given.push(("DASHBOARD_SCOPES", ""));
        let sign_in = ApiFunctionConfig::from_lookup(env(&given))
            .unwrap()
            .api
            .dashboard_sign_in
            .unwrap();
        assert_eq!(sign_in.client_id, "abc123");
        assert_eq!(sign_in.issuer, "https://issuer.example.com/pool");
        assert_eq!(sign_in.scopes, "openid email profile");
        assert_eq!(sign_in.token_use, TokenUse::Id);

        given.push(("DASHBOARD_TOKEN_USE", "refresh"));
        assert!(matches!(
            ApiFunctionConfig::from_lookup(env(&given)).unwrap_err(),
            ConfigError::Invalid {
                name: DASHBOARD_TOKEN_USE,
                ..
            }
        ));
        let without_issuer: Vec<_> = given
            .iter()
            .copied()
            .filter(|(k, _)| !k.starts_with("DASHBOARD_OIDC") && *k != "DASHBOARD_TOKEN_USE")
            .collect();
        assert_eq!(
            ApiFunctionConfig::from_lookup(env(&without_issuer)).unwrap_err(),
            ConfigError::Missing {
                name: "DASHBOARD_OIDC_ISSUER"
            }
        );
    }

    #[test]
    fn names_the_missing_or_invalid_variable() {
        let without_table: Vec<_> = COMPLETE
            .iter()
            .copied()
            .filter(|(k, _)| *k != "TABLE_NAME")
            .collect();
        assert_eq!(
            ApiFunctionConfig::from_lookup(env(&without_table)).unwrap_err(),
            ConfigError::Missing { name: "TABLE_NAME" }
        );
        let mut bad_url = COMPLETE.to_vec();
        bad_url.push(("HUBSPOT_API_BASE_URL", "not a url"));
        assert!(matches!(
            ApiFunctionConfig::from_lookup(env(&bad_url)).unwrap_err(),
            ConfigError::Invalid {
                name: "HUBSPOT_API_BASE_URL",
                ..
            }
        ));
    }
}
