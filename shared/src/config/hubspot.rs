//! The HubSpot app's settings, as the functions that talk to HubSpot read them. What they mean lives
//! with the source ([`crate::sources::hubspot::oauth::OAuthSettings`]); only their variables are
//! here.

use crate::config::{ConfigError, Env};
use crate::sources::hubspot::api::{DEFAULT_API_BASE_URL, DEFAULT_AUTHORIZE_URL};
use crate::sources::hubspot::oauth::{
    scope_list, OAuthSettings, DEFAULT_OAUTH_OPTIONAL_SCOPES, DEFAULT_OAUTH_SCOPES,
};
use url::Url;

/// Secrets Manager id of the app's `{client_id, client_secret}` (sync, api, ingest).
pub const HUBSPOT_APP_SECRET_ID: &str = "HUBSPOT_APP_SECRET_ID";
/// HubSpot's API host; the sandbox's in tests (sync, api).
pub const HUBSPOT_API_BASE_URL: &str = "HUBSPOT_API_BASE_URL";
/// HubSpot's consent page (api).
pub const HUBSPOT_AUTHORIZE_URL: &str = "HUBSPOT_AUTHORIZE_URL";
/// Space-separated scopes the install asks for, and the optional ones (api).
pub const HUBSPOT_OAUTH_SCOPES: &str = "HUBSPOT_OAUTH_SCOPES";
pub const HUBSPOT_OAUTH_OPTIONAL_SCOPES: &str = "HUBSPOT_OAUTH_OPTIONAL_SCOPES";

/// The app secret's id (required).
pub fn app_secret_id<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<String, ConfigError> {
    env.required(HUBSPOT_APP_SECRET_ID)
}

/// HubSpot's API host, production's by default.
pub fn api_base_url<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Url, ConfigError> {
    env.url(HUBSPOT_API_BASE_URL, Some(DEFAULT_API_BASE_URL))
}

/// Everything the install needs to know about the app besides its credentials.
pub fn oauth_settings<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<OAuthSettings, ConfigError> {
    let scopes = |name: &'static str, default: &str| {
        scope_list(env.optional(name).as_deref().unwrap_or(default))
    };
    Ok(OAuthSettings {
        app_secret_id: app_secret_id(env)?,
        api_base_url: api_base_url(env)?,
        authorize_url: env.url(HUBSPOT_AUTHORIZE_URL, Some(DEFAULT_AUTHORIZE_URL))?,
        scopes: scopes(HUBSPOT_OAUTH_SCOPES, DEFAULT_OAUTH_SCOPES),
        optional_scopes: scopes(HUBSPOT_OAUTH_OPTIONAL_SCOPES, DEFAULT_OAUTH_OPTIONAL_SCOPES),
    })
}
