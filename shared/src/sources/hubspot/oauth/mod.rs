//! HubSpot OAuth: the public app and its settings (`app`), the signed install state (`state`),
//! HubSpot's OAuth endpoints (`client`), and connecting a portal (`install`). The api function's
//! routes only parse the request and answer; the sync uses the client to refresh tokens.

pub mod app;
pub mod client;
pub mod install;
pub mod state;

pub use app::{
    load_app, scope_list, AppLoadError, AppNotConfigured, OAuthApp, OAuthAppCache, OAuthSettings,
    DEFAULT_OAUTH_OPTIONAL_SCOPES, DEFAULT_OAUTH_SCOPES,
};
pub use client::OAuthClient;
pub use install::{Connected, InstallError, Installer};
pub use state::OAUTH_STATE_LIFETIME;
