//! HubSpot: the first `CrmSource`. The HTTP client (paced, retried, counted), the OAuth and token
//! code, and the mapping of HubSpot's records into the connector's platform-neutral records.

pub mod api;
pub mod app;
pub mod backoff;
pub mod client;
pub mod error;
pub mod factory;
pub mod limiter;
mod normalise;
pub mod props;
pub mod source;
pub mod token_manager;
pub mod tokens;
pub mod webhook;
mod wire;

pub use app::{AppCredentials, AppSecretError};
pub use client::{ClientStats, HubSpotClient, RetryPolicy};
pub use error::{HubSpotError, RateLimitPolicy};
pub use factory::HubSpotSources;
pub use limiter::{Budget, Pacing, PortalLimiter};
pub use source::HubSpotSource;
pub use token_manager::{AccessTokenProvider, RefreshPolicy, StaticToken, TokenManager};
pub use tokens::{OAuthApp, OAuthClient, StoredCredentials, TokenSet};
pub use wire::TokenInfo;
