//! A NinjaOne Public API 2.0 simulator for tests, benchmarks and the local demo. Never linked into a
//! Lambda.
//!
//! [`Sandbox::start`] generates a seeded instance whose organisations line up with given CRM
//! companies (with realistic mismatches: name variants, companies absent, organisations the CRM does
//! not have, HubSpot ids in a custom field or tag on some, device serials shared with the Microsoft
//! 365 sandbox, placeholder serials on some devices) and serves it in NinjaOne's wire format
//! (`ninjaone-api-core-resources.yaml`, SOURCES.md §2): client-credentials tokens on both candidate
//! paths, organisations and devices paged by `after`, cursor queries, active alerts, ticketing boards,
//! end users and webhooks, with switchable failures (expired or revoked tokens, refused credentials,
//! 429 with `Retry-After`, 5xx, latency, page-size caps).

mod config;
mod model;
mod routes;
mod state;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::json;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{CompanySeed, Faults, SandboxConfig, Ticketing};
pub use model::{fnv1a_64, serial_of, NameVariant, Story, HUBSPOT_FIELD, PLACEHOLDER_SERIALS};
pub use state::{SandboxStats, WebhookRegistration};

use state::{lock, real_now_ms, Shared};

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot bind the sandbox server to {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot build the HTTP client: {0}")]
    Client(reqwest::Error),
    #[error("no webhook is registered")]
    NoWebhook,
    #[error("organisation {0} does not exist or is filtered out of the webhook")]
    NotDelivered(u32),
    #[error("webhook delivery to {url} failed: {source}")]
    Webhook { url: String, source: reqwest::Error },
}

/// One organisation and the CRM company it really belongs to, with the figures a full walk must find.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgTruth {
    /// The organisation id, as a string (the source's external id).
    pub external_id: String,
    pub name: String,
    /// `None`: an organisation the CRM does not have.
    pub hubspot_id: Option<String>,
    pub variant: NameVariant,
    pub story: Story,
    /// Whether the HubSpot id sits in a custom field or tag.
    pub has_reference: bool,
    pub devices: usize,
    pub offline_devices: usize,
    /// Offline for more than 7 days at the anchor.
    pub long_offline_devices: usize,
    /// Real serials (placeholders left out), upper case.
    pub serials: Vec<String>,
    pub placeholder_serials: usize,
    pub active_alerts: usize,
    pub critical_or_major_alerts: usize,
    pub failed_patches: u32,
    pub tickets: usize,
    pub open_tickets: usize,
    /// Most common end-user email domain.
    pub email_domain: String,
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

/// A running sandbox instance. Cheap to clone; the server stops when the last clone is dropped or on
/// [`Sandbox::shutdown`].
#[derive(Clone)]
pub struct Sandbox {
    running: Arc<Running>,
}

impl Sandbox {
    /// Generates the instance and serves it on an ephemeral port of 127.0.0.1.
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
            .unwrap_or_else(real_now_ms);
        let world = model::generate(&config);
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
        let shared = Arc::new(Shared {
            base_url: format!("http://{local}"),
            world,
            anchor_ms,
            faults: Mutex::new(config.faults),
            ticketing: Mutex::new(config.ticketing),
            auth: Mutex::default(),
            window: Mutex::default(),
            stats: Mutex::default(),
            rng: Mutex::new(StdRng::seed_from_u64(config.seed ^ 0x5eed)),
            cursors: Mutex::new(HashMap::new()),
            cursor_seq: Mutex::new(0),
            webhook: Mutex::new(None),
            activity_seq: Mutex::new(0),
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
                tracing::warn!(%error, "ninjaone sandbox server stopped with an error");
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

    /// `http://127.0.0.1:<port>`: use it where `https://app.ninjarmm.com` would go.
    pub fn base_url(&self) -> String {
        self.shared().base_url.clone()
    }

    pub fn client_id(&self) -> String {
        self.shared().config.client_id.clone()
    }

    pub fn client_secret(&self) -> String {
        self.shared().config.client_secret.clone()
    }

    /// The instant generated times are relative to.
    pub fn anchor(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.shared().anchor_ms).unwrap_or_default()
    }

    /// The sandbox's clock (the real one plus [`Sandbox::advance_clock`]s).
    pub fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.shared().now_ms()).unwrap_or_default()
    }

    /// Moves the sandbox's clock forward: tokens and cursors expire.
    pub fn advance_clock(&self, by: Duration) {
        self.shared()
            .clock_offset_ms
            .fetch_add(by.as_millis() as i64, Ordering::Relaxed);
    }

    /// Every token issued so far expires now, before its `expires_in` (401 on use).
    pub fn expire_tokens(&self) {
        let now = self.shared().now_ms();
        for token in lock(&self.shared().auth).tokens.values_mut() {
            token.expires_at_ms = token.expires_at_ms.min(now);
        }
    }

    /// Every token issued so far is revoked (401 on use); new ones work unless credentials are refused.
    pub fn revoke_tokens(&self) {
        for token in lock(&self.shared().auth).tokens.values_mut() {
            token.revoked = true;
        }
    }

    /// While `refuse` holds, the token endpoint answers 401 `invalid_client` (secret rotated, app
    /// deleted).
    pub fn refuse_credentials(&self, refuse: bool) {
        lock(&self.shared().auth).refuse_credentials = refuse;
    }

    pub fn set_ticketing(&self, ticketing: Ticketing) {
        *lock(&self.shared().ticketing) = ticketing;
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

    /// The webhook the app registered, if any.
    pub fn webhook(&self) -> Option<WebhookRegistration> {
        lock(&self.shared().webhook).clone()
    }

    /// The activity body a delivery about `org_id` carries (a condition triggered on its first device),
    /// expanded as the registration asked.
    pub fn activity_for(&self, org_id: u32) -> Option<serde_json::Value> {
        let shared = self.shared();
        let device = shared.world.devices.iter().find(|d| d.org == org_id)?;
        let expand = lock(&shared.webhook)
            .as_ref()
            .map(|w| w.expand.clone())
            .unwrap_or_default();
        let id = {
            let mut seq = lock(&shared.activity_seq);
            *seq += 1;
            900_000 + *seq
        };
        let mut body = json!({
            "id": id,
            "activityTime": shared.epoch(0),
            "deviceId": device.id,
            "severity": "CRITICAL",
            "priority": "HIGH",
            "seriesUid": format!("30000000-0000-4000-8000-{:012x}", device.id),
            "activityType": "CONDITION",
            "statusCode": "TRIGGERED",
            "status": "Triggered",
            "sourceName": "Disk space",
            "subject": "Condition triggered",
            "message": "Disk space below 10%",
            "type": "Action",
        });
        if expand.iter().any(|e| e == "device") {
            body["device"] = json!({ "id": device.id, "organizationId": device.org });
        }
        Some(body)
    }

    /// Posts an activity about `org_id` to the registered webhook with its custom headers; returns
    /// the receiver's status.
    pub async fn fire_webhook(&self, org_id: u32) -> Result<u16, SandboxError> {
        let registration = self.webhook().ok_or(SandboxError::NoWebhook)?;
        if !registration.organization_ids.is_empty()
            && !registration.organization_ids.contains(&org_id)
        {
            return Err(SandboxError::NotDelivered(org_id));
        }
        let body = self
            .activity_for(org_id)
            .ok_or(SandboxError::NotDelivered(org_id))?;
        let mut request = self.shared().http.post(&registration.url).json(&body);
        for (name, value) in &registration.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request
            .send()
            .await
            .map_err(|source| SandboxError::Webhook {
                url: registration.url.clone(),
                source,
            })?;
        Ok(response.status().as_u16())
    }

    /// Every organisation with its true CRM company and the figures a full walk must find.
    pub fn truth(&self) -> Vec<OrgTruth> {
        let world = &self.shared().world;
        world
            .orgs
            .iter()
            .map(|org| {
                let devices: Vec<_> = world.devices.iter().filter(|d| d.org == org.id).collect();
                let alerts: Vec<_> = world
                    .alerts
                    .iter()
                    .filter(|a| devices.iter().any(|d| d.id == a.device))
                    .collect();
                let tickets: Vec<_> = world.tickets.iter().filter(|t| t.org == org.id).collect();
                OrgTruth {
                    external_id: org.id.to_string(),
                    name: org.name.clone(),
                    hubspot_id: org.hubspot_id.clone(),
                    variant: org.variant,
                    story: org.story,
                    has_reference: org.fields.iter().any(|(k, _)| k == HUBSPOT_FIELD)
                        || org.tags.iter().any(|t| t.starts_with("hubspot:")),
                    devices: devices.len(),
                    offline_devices: devices.iter().filter(|d| d.offline).count(),
                    long_offline_devices: devices
                        .iter()
                        .filter(|d| d.offline && d.last_contact_ago_s > 7 * 86_400)
                        .count(),
                    serials: devices
                        .iter()
                        .filter(|d| !PLACEHOLDER_SERIALS.contains(&d.serial.as_str()))
                        .map(|d| d.serial.to_ascii_uppercase())
                        .collect(),
                    placeholder_serials: devices
                        .iter()
                        .filter(|d| PLACEHOLDER_SERIALS.contains(&d.serial.as_str()))
                        .count(),
                    active_alerts: alerts.len(),
                    critical_or_major_alerts: alerts
                        .iter()
                        .filter(|a| matches!(a.severity, "CRITICAL" | "MAJOR"))
                        .count(),
                    failed_patches: devices.iter().map(|d| d.failed_patches).sum(),
                    tickets: tickets.len(),
                    open_tickets: tickets
                        .iter()
                        .filter(|t| !matches!(t.status, "RESOLVED" | "CLOSED"))
                        .count(),
                    email_domain: org.email_domain.clone(),
                }
            })
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
