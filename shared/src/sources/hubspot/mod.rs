//! HubSpot: the first `CrmSource`. The HTTP client (paced, retried, counted), OAuth (`oauth`: the
//! app, install and callback, the token endpoints), the stored credentials and the token manager, and the mapping of HubSpot's records into the connector's platform-neutral records.

pub mod api;
pub mod app;
pub mod backoff;
pub mod client;
pub mod credentials;
pub mod error;
pub mod factory;
pub mod limiter;
pub mod links;
mod normalise;
pub mod oauth;
pub mod props;
pub mod source;
pub mod token_manager;
pub mod webhook;
mod wire;
pub mod writeback;

pub use app::{AppCredentials, AppSecretError, PLACEHOLDER_VALUE};
pub use client::{ClientStats, HubSpotClient, RetryPolicy};
pub use credentials::{StoredCredentials, TokenSet};
pub use error::{HubSpotError, RateLimitPolicy};
pub use factory::HubSpotSources;
pub use limiter::{Budget, Pacing, PortalLimiter};
pub use oauth::{OAuthApp, OAuthClient};
pub use source::HubSpotSource;
pub use token_manager::{AccessTokenProvider, RefreshPolicy, StaticToken, TokenManager};
pub use wire::TokenInfo;
pub use writeback::{HubSpotWriteback, HubSpotWritebacks};
