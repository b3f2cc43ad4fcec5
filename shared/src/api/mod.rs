//! The HTTP API: one axum router, served inside `lambda_http` by the api function, with `axum::serve`
//! by the local runner, and with `tower::ServiceExt::oneshot` in tests.
//!
//! Every `/v1` route takes its tenant from the authenticated caller ([`auth::Caller`]); errors are
//! problem details ([`error::ApiError`]); the OpenAPI document is generated from the handlers and a
//! test holds it equal to the route table.

pub mod audit;
pub mod auth;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod routes;

pub use crate::config::api as config;
pub use crate::config::{ApiConfig, ApiFunctionConfig, ConfigError};
pub use auth::{Authenticator, Caller};
pub use error::{ApiError, Problem};

use crate::channels::UrlPolicy;
use crate::domain::{AlertChannel, AlertMessage, TenantId};
use crate::ports::{
    AlertSender, ConnectionSources, EventBus, ObjectStore, SecretVault, SendError, SendReceipt,
    Store,
};
use crate::sources::hubspot::oauth::{OAuthApp, OAuthAppCache};
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{Method, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::Router;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tower_http::trace::TraceLayer;

/// The time source; tests pin it.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// What every handler can reach. Cheap to clone (all shared).
#[derive(Clone)]
pub struct ApiState {
    pub store: Arc<dyn Store>,
    pub bus: Arc<dyn EventBus>,
    pub vault: Arc<dyn SecretVault>,
    pub config: Arc<ApiConfig>,
    pub authenticator: Arc<Authenticator>,
    /// Calls HubSpot's OAuth endpoints; built once.
    pub http: reqwest::Client,
    pub clock: Clock,
    /// The HubSpot app's OAuth settings, read from the vault on first use.
    oauth_app: Arc<OAuthAppCache>,
    /// The platforms people can connect (PayPal, NinjaOne, Pax8, Microsoft 365): credentials are
    /// checked and webhooks registered through them. A platform missing here is not configured.
    pub sources: ConnectionSources,
    /// Delivers test alerts to a rule's channels; by default one that refuses (no sending set up).
    pub alert_sender: Arc<dyn AlertSender>,
    /// Which URLs a new alert channel may have: https only, never a private address (the local
    /// runner and tests allow http to this machine).
    pub channel_urls: UrlPolicy,
    /// The export bucket, for links to finished exports; `None`: exports are unavailable (503).
    pub objects: Option<Arc<dyn ObjectStore>>,
}

impl ApiState {
    /// A state with the system clock and a default HTTP client.
    pub fn new(
        store: Arc<dyn Store>,
        bus: Arc<dyn EventBus>,
        vault: Arc<dyn SecretVault>,
        config: ApiConfig,
        authenticator: Authenticator,
    ) -> Self {
        Self {
            store,
            bus,
            vault,
            config: Arc::new(config),
            authenticator: Arc::new(authenticator),
            http: reqwest::Client::new(),
            clock: Arc::new(Utc::now),
            oauth_app: Arc::default(),
            sources: ConnectionSources::new(),
            alert_sender: Arc::new(NoAlertSending),
            channel_urls: UrlPolicy::default(),
            objects: None,
        }
    }

    /// Links finished exports from `objects` (the export bucket); `None` leaves exports off.
    pub fn with_object_store(mut self, objects: Option<Arc<dyn ObjectStore>>) -> Self {
        self.objects = objects;
        self
    }

    /// Lets new alert channels use URLs under `policy` (the local runner: http to this machine).
    pub fn with_channel_urls(mut self, policy: UrlPolicy) -> Self {
        self.channel_urls = policy;
        self
    }

    /// Sends test alerts through `sender` (the channels' real senders in the api function).
    pub fn with_alert_sender(mut self, sender: Arc<dyn AlertSender>) -> Self {
        self.alert_sender = sender;
        self
    }

    /// Lets people connect the platforms of `sources`, their credentials checked through them.
    pub fn with_connection_sources(mut self, sources: ConnectionSources) -> Self {
        self.sources = sources;
        self
    }

    /// Uses these OAuth settings instead of reading the app secret from the vault.
    pub fn with_oauth_app(mut self, app: OAuthApp) -> Self {
        self.oauth_app = Arc::new(OAuthAppCache::with(app));
        self
    }

    pub fn with_clock(mut self, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }
}

/// The sender of a state built without one: every test send reports that sending is not set up.
struct NoAlertSending;

#[async_trait::async_trait]
impl AlertSender for NoAlertSending {
    async fn send(
        &self,
        _tenant_id: &TenantId,
        _channel: &AlertChannel,
        _message: &AlertMessage,
    ) -> Result<SendReceipt, SendError> {
        Err(SendError::Misconfigured(
            "alert sending is not set up on this deployment".to_string(),
        ))
    }
}

/// One served route: the OpenAPI document must list exactly these.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    /// Who may call it: anyone, or a signed-in caller with at least a role.
    pub access: Access,
    pub handler: MethodRouter<ApiState>,
}

/// Who may call a route. The route table is the one place each route's access is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No sign-in: the dashboard page, health, the OpenAPI document, OAuth redirects.
    Public,
    /// A signed-in caller of the tenant with at least this role.
    AtLeast(crate::domain::Role),
}

/// The longest path and query the API reads. API Gateway refuses longer request lines itself; the
/// local server (hyper) answers its own empty 414 only past 64 KiB, so below that this limit gives
/// the problem body.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// The largest request body the API reads; its bodies are small JSON documents.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The router with every route, its state applied. Each route's access (from the table) is
/// enforced here, before its handler runs, and nowhere else.
pub fn router(state: ApiState) -> Router {
    let mut router = Router::new();
    for route in routes::table() {
        let handler = match route.access {
            Access::Public => route.handler,
            Access::AtLeast(required) => {
                let state = state.clone();
                route.handler.route_layer(middleware::from_fn(
                    move |request: Request, next: Next| {
                        require_role(state.clone(), required, request, next)
                    },
                ))
            }
        };
        router = router.route(route.path, handler);
    }
    router
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(refuse_long_uris))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Lets the request through only for a signed-in caller whose role allows `required`: 401 without
/// a caller, 403 naming both roles otherwise.
async fn require_role(
    state: ApiState,
    required: crate::domain::Role,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let Some(caller) = state.authenticator.caller(&parts) else {
        return ApiError::Unauthenticated.into_response();
    };
    if !caller.role.allows(required) {
        tracing::info!(
            tenant_id = %caller.tenant_id,
            required = %required,
            role = %caller.role,
            path = %parts.uri.path(),
            "request refused for its role"
        );
        return ApiError::Forbidden {
            required,
            role: caller.role,
        }
        .into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

async fn refuse_long_uris(request: Request, next: Next) -> Response {
    let length = request
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    if length > MAX_URI_BYTES {
        return ApiError::UriTooLong {
            limit: MAX_URI_BYTES,
        }
        .into_response();
    }
    next.run(request).await
}

async fn route_not_found(uri: Uri) -> ApiError {
    ApiError::RouteNotFound {
        path: uri.path().to_string(),
    }
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
