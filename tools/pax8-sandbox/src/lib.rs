//! A Pax8 partner API simulator for tests, benchmarks and the local demo. Never linked into a Lambda.
//!
//! [`Sandbox::start`] generates a seeded partner account whose companies line up with given CRM
//! companies (see [`Alignment`]) and serves it over HTTP in Pax8's wire format: the token endpoint
//! (JSON client credentials with an audience), companies and their contacts, subscriptions with
//! their history and usage summaries, products, and the v2 webhooks API, with Pax8's paging, error
//! bodies, injected faults and webhook deliveries carrying the `authorization` value the webhook
//! was created with. Written from Pax8's published OpenAPI documents (see README.md).

mod config;
mod generate;
mod model;
mod routes;
mod state;
mod truth;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{CompanySeed, Faults, SandboxConfig};
pub use model::{Alignment, SubscriptionStory};
pub use routes::MAX_PAGE_SIZE;
pub use state::SandboxStats;
pub use truth::{CompanyTruth, SubscriptionTruth};

use model::{datetime, rfc3339, Version};
use state::{lock, read, real_now_ms, write, Shared};

/// The webhook topic of subscription events (completed line items).
pub const SUBSCRIPTION_TOPIC: &str = "SUBSCRIPTION";

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
    #[error("cannot build the HTTP client: {0}")]
    Client(reqwest::Error),
    #[error("no subscription {0}")]
    UnknownSubscription(String),
}

/// A webhook delivery the sandbox made.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookDelivery {
    pub webhook_id: String,
    /// The receiver's HTTP status.
    pub status: u16,
    /// The `Authorization` header sent (the webhook's `authorization`).
    pub authorization: Option<String>,
    pub body: Value,
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
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(SandboxError::Client)?;
        let shared = Arc::new(Shared {
            base_url: format!("http://{local}"),
            world: RwLock::new(world),
            faults: Mutex::new(config.faults),
            auth: Mutex::default(),
            window: Mutex::default(),
            stats: Mutex::default(),
            rng: Mutex::new(StdRng::seed_from_u64(config.seed.wrapping_add(0x9e37_79b9))),
            clock_offset_ms: AtomicI64::new(0),
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
                tracing::warn!(%error, "pax8 sandbox server stopped with an error");
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

    /// `http://127.0.0.1:<port>`: both `https://api.pax8.com` and the token host.
    pub fn base_url(&self) -> String {
        self.shared().base_url.clone()
    }

    pub fn client_id(&self) -> String {
        self.shared().config.client_id.clone()
    }

    pub fn client_secret(&self) -> String {
        self.shared().config.client_secret.clone()
    }

    /// The instant generated dates are relative to.
    pub fn anchor(&self) -> DateTime<Utc> {
        datetime(read(&self.shared().world).anchor_ms)
    }

    /// The sandbox's clock (the real one plus [`Sandbox::advance_clock`]s).
    pub fn now(&self) -> DateTime<Utc> {
        datetime(self.shared().now_ms())
    }

    /// Moves the sandbox's clock forward: tokens expire.
    pub fn advance_clock(&self, by: Duration) {
        self.shared()
            .clock_offset_ms
            .fetch_add(by.as_millis() as i64, Ordering::Relaxed);
    }

    /// Every token issued so far answers 401 as expired; new ones can be fetched.
    pub fn expire_tokens(&self) {
        let now = self.shared().now_ms();
        for token in lock(&self.shared().auth).tokens.values_mut() {
            token.expires_at_ms = token.expires_at_ms.min(now);
        }
    }

    /// Every token issued so far is revoked before its expiry (401); new ones work.
    pub fn revoke_tokens(&self) {
        for token in lock(&self.shared().auth).tokens.values_mut() {
            token.revoked = true;
        }
    }

    /// While `refuse` holds, the token endpoint answers 401 `access_denied` even to the right
    /// credentials (the API credentials were deleted in the Integrations Hub).
    pub fn refuse_credentials(&self, refuse: bool) {
        lock(&self.shared().auth).refuse_credentials = refuse;
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

    /// Changes a subscription's seats now (a new version in its history, a new `updatedDate`);
    /// returns its company id.
    pub fn change_quantity(
        &self,
        subscription_id: &str,
        quantity: f64,
    ) -> Result<String, SandboxError> {
        self.new_version(subscription_id, |current| Version {
            quantity,
            ..current
        })
    }

    /// Cancels a subscription now; returns its company id.
    pub fn cancel(&self, subscription_id: &str) -> Result<String, SandboxError> {
        self.new_version(subscription_id, |current| Version {
            status: "Cancelled",
            ..current
        })
    }

    fn new_version(
        &self,
        subscription_id: &str,
        change: impl FnOnce(Version) -> Version,
    ) -> Result<String, SandboxError> {
        let now = self.shared().now_ms();
        let mut world = write(&self.shared().world);
        let index = world
            .subscriptions
            .iter()
            .position(|s| s.id == subscription_id)
            .ok_or_else(|| SandboxError::UnknownSubscription(subscription_id.to_owned()))?;
        let subscription = &mut world.subscriptions[index];
        let next = change(Version {
            at_ms: now,
            ..subscription.current().clone()
        });
        subscription.versions.push(next);
        let company = subscription.company;
        Ok(world.companies[company].id.clone())
    }

    /// The body Pax8 posts for a subscription event of `company_id` to webhook `webhook_id` (the
    /// spec's `WebhookPayload`; `payloadData` is the completed line item).
    pub fn subscription_event(&self, webhook_id: &str, company_id: &str) -> Value {
        let world = read(&self.shared().world);
        let subscription = world
            .subscriptions
            .iter()
            .find(|s| world.companies[s.company].id == company_id);
        let event_id = generate::uuid(&mut *lock(&self.shared().rng));
        let topic_id = world
            .webhooks
            .iter()
            .find(|w| w.id == webhook_id)
            .and_then(|w| w.topics.iter().find(|(_, t, _)| t == SUBSCRIPTION_TOPIC))
            .map(|(id, _, _)| id.clone())
            .unwrap_or_default();
        json!({
            "accountId": world.account_id,
            "url": world.webhooks.iter().find(|w| w.id == webhook_id).and_then(|w| w.url.clone()),
            "webhookId": webhook_id,
            "sentAt": rfc3339(self.shared().now_ms()),
            "webhookTopic": { "id": topic_id, "topic": SUBSCRIPTION_TOPIC, "filters": [] },
            "payloadData": {
                "id": event_id,
                "type": "Change",
                "action": "UPDATED",
                "companyId": company_id,
                "subscriptionId": subscription.map(|s| s.id.clone()),
                "productId": subscription.map(|s| world.products[s.product].id),
                "quantity": subscription.map(|s| s.current().quantity),
            },
        })
    }

    /// Posts a subscription event about `company_id` to every active webhook subscribed to the
    /// subscription topic, with its `authorization` as the `Authorization` header.
    pub async fn fire_subscription_event(
        &self,
        company_id: &str,
    ) -> Result<Vec<WebhookDelivery>, SandboxError> {
        let targets: Vec<(String, String, Option<String>)> = read(&self.shared().world)
            .webhooks
            .iter()
            .filter(|w| w.active && w.topics.iter().any(|(_, t, _)| t == SUBSCRIPTION_TOPIC))
            .filter_map(|w| Some((w.id.clone(), w.url.clone()?, w.authorization.clone())))
            .collect();
        let mut deliveries = Vec::new();
        for (webhook_id, url, authorization) in targets {
            let body = self.subscription_event(&webhook_id, company_id);
            let mut request = self.shared().http.post(&url).json(&body);
            if let Some(value) = &authorization {
                request = request.header(reqwest::header::AUTHORIZATION, value);
            }
            let response = request
                .send()
                .await
                .map_err(|source| SandboxError::Webhook {
                    url: url.clone(),
                    source,
                })?;
            deliveries.push(WebhookDelivery {
                webhook_id,
                status: response.status().as_u16(),
                authorization,
                body,
            });
        }
        Ok(deliveries)
    }

    /// The webhooks registered, as the list endpoint shows them.
    pub fn webhooks(&self) -> Vec<Value> {
        let world = read(&self.shared().world);
        world
            .webhooks
            .iter()
            .map(|w| routes::webhook_json(&world.account_id, w))
            .collect()
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

impl std::fmt::Debug for Sandbox {
    // The client secret stays out: Debug output ends up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.shared().base_url)
            .field("client_id", &self.shared().config.client_id)
            .finish_non_exhaustive()
    }
}
