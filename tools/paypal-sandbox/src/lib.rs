//! A PayPal REST API simulator for tests, benchmarks and the local demo. Never linked into a Lambda.
//!
//! [`Sandbox::start`] generates a seeded merchant account whose payers line up with given CRM companies
//! (see [`Alignment`]) and serves it over HTTP in PayPal's wire format: OAuth2 client credentials,
//! Transaction Search, Invoicing v2, Disputes, Subscriptions and webhook signature verification, with
//! PayPal's limits and error bodies, a controllable clock, injected faults and signed webhook
//! deliveries. Written from PayPal's published OpenAPI specifications (see README.md).

mod config;
mod generate;
mod model;
mod mutate;
mod routes;
mod state;
mod truth;
mod webhook;
mod wire;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{CompanySeed, Faults, SandboxConfig};
pub use model::{Alignment, PaymentStory};
pub use state::SandboxStats;
pub use truth::{PayerTruth, TransactionFact, WebhookDelivery};

use model::datetime;
use state::{lock, real_now_ms, Shared};

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot bind the sandbox server to {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("account generation failed: {0}")]
    Generation(String),
    #[error("webhook delivery to {url} failed: {source}")]
    Webhook { url: String, source: reqwest::Error },
    #[error("cannot encode the webhook body: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("cannot build the HTTP client: {0}")]
    Client(reqwest::Error),
}

struct Running {
    shared: Arc<Shared>,
    shutdown: Mutex<Option<oneshot::Sender<()>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = lock(&self.shutdown).take() {
            let _ = stop.send(());
        }
    }
}

/// A running sandbox account. Cheap to clone; the server stops when the last clone is dropped or on
/// [`Sandbox::shutdown`].
#[derive(Clone)]
pub struct Sandbox {
    running: Arc<Running>,
}

/// The start of the current UTC hour: a seed gives the same account all hour long.
fn default_anchor_ms() -> i64 {
    let now = real_now_ms();
    now - now.rem_euclid(3_600_000)
}

impl Sandbox {
    /// Generates the account and serves it on an ephemeral port of 127.0.0.1.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    pub async fn start_on(
        config: SandboxConfig,
        addr: SocketAddr,
    ) -> Result<Sandbox, SandboxError> {
        let anchor_ms = config
            .anchor
            .map(|a| a.timestamp_millis())
            .unwrap_or_else(default_anchor_ms);
        let generation_config = config.clone();
        let world =
            tokio::task::spawn_blocking(move || generate::generate(&generation_config, anchor_ms))
                .await
                .map_err(|e| SandboxError::Generation(e.to_string()))?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| SandboxError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| SandboxError::Bind { addr, source })?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(SandboxError::Client)?;
        let mut rng = StdRng::seed_from_u64(config.seed.wrapping_add(0x9e37_79b9));
        let webhook_secret: [u8; 32] = rng.random();
        let shared = Arc::new(Shared {
            base_url: format!("http://{local}"),
            world: RwLock::new(world),
            faults: Mutex::new(config.faults),
            auth: Mutex::default(),
            window: Mutex::default(),
            stats: Mutex::default(),
            rng: Mutex::new(rng),
            clock_offset_ms: AtomicI64::new(0),
            transaction_search_enabled: AtomicBool::new(config.transaction_search_enabled),
            webhook_secret,
            deliveries: Mutex::new(HashMap::new()),
            http,
            config,
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let app = routes::router(shared.clone());
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(error) = serve.await {
                tracing::warn!(%error, "paypal sandbox server stopped with an error");
            }
        });
        Ok(Sandbox {
            running: Arc::new(Running {
                shared,
                shutdown: Mutex::new(Some(stop)),
                task: Mutex::new(Some(task)),
            }),
        })
    }

    fn shared(&self) -> &Shared {
        &self.running.shared
    }

    /// `http://127.0.0.1:<port>`: use it where `https://api-m.sandbox.paypal.com` would go.
    pub fn base_url(&self) -> String {
        self.shared().base_url.clone()
    }

    pub fn client_id(&self) -> String {
        self.shared().config.client_id.clone()
    }

    pub fn client_secret(&self) -> String {
        self.shared().config.client_secret.clone()
    }

    /// The webhook id deliveries are made for; verify-webhook-signature accepts only this one.
    pub fn webhook_id(&self) -> String {
        self.shared().config.webhook_id.clone()
    }

    /// The instant generated dates are relative to.
    pub fn anchor(&self) -> DateTime<Utc> {
        datetime(self.shared().world_anchor())
    }

    /// The sandbox's clock (the real one plus [`Sandbox::advance_clock`]s).
    pub fn now(&self) -> DateTime<Utc> {
        datetime(self.shared().now_ms())
    }

    /// Moves the sandbox's clock forward: late transactions become visible, tokens expire.
    pub fn advance_clock(&self, by: Duration) {
        self.shared()
            .clock_offset_ms
            .fetch_add(by.as_millis() as i64, Ordering::Relaxed);
    }

    /// Every token issued so far answers 401 `invalid_token` as expired; new ones can be fetched.
    pub fn expire_tokens(&self) {
        let now = self.shared().now_ms();
        let mut auth = lock(&self.shared().auth);
        for token in auth.tokens.values_mut() {
            token.expires_at_ms = token.expires_at_ms.min(now);
        }
        auth.current = None;
    }

    /// Every token issued so far is revoked before its expiry (401 `invalid_token`); new ones work.
    pub fn revoke_tokens(&self) {
        let mut auth = lock(&self.shared().auth);
        for token in auth.tokens.values_mut() {
            token.revoked = true;
        }
        auth.current = None;
    }

    /// While `refuse` holds, the token endpoint answers 401 `invalid_client` even to the right
    /// credentials (the secret was rotated or the app deleted).
    pub fn refuse_credentials(&self, refuse: bool) {
        lock(&self.shared().auth).refuse_credentials = refuse;
    }

    /// Untick Transaction Search in the app: the endpoint answers 403 NOT_AUTHORIZED and new tokens
    /// lack its scope.
    pub fn set_transaction_search_enabled(&self, enabled: bool) {
        self.shared()
            .transaction_search_enabled
            .store(enabled, Ordering::Relaxed);
    }

    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.shared().faults) = faults;
    }

    pub fn stats(&self) -> SandboxStats {
        lock(&self.shared().stats).clone()
    }

    pub fn reset_stats(&self) {
        *lock(&self.shared().stats) = SandboxStats::default();
    }

    /// Stops the server (for every clone) and waits for it to finish.
    pub async fn shutdown(self) {
        if let Some(stop) = lock(&self.running.shutdown).take() {
            let _ = stop.send(());
        }
        let task = lock(&self.running.task).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

impl Shared {
    fn world_anchor(&self) -> i64 {
        state::read(&self.world).anchor_ms
    }
}

impl std::fmt::Debug for Sandbox {
    // The client secret stays out: Debug output ends up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.shared().base_url)
            .field("client_id", &self.shared().config.client_id)
            .finish_non_exhaustive()
    }
}
