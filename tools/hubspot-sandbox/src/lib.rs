//! A HubSpot portal simulator for tests, benchmarks and the local demo. Never linked into a Lambda.
//!
//! [`Sandbox::start`] generates a seeded portal and serves it over HTTP in HubSpot's wire format: list, batch
//! read, search and v4 association endpoints, OAuth, HubSpot's rate limits and error bodies, injected faults,
//! and signed webhook deliveries. See `SANDBOX_API.md` for the contract.

mod config;
mod crm_schema;
mod generate;
mod model;
mod server;
mod state;
mod view;
mod webhook;
mod wire;
mod writes;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{Faults, SandboxConfig};
pub use crm_schema::{SandboxOwner, SandboxProperty, SandboxPropertyGroup, SandboxPropertyOption};
pub use generate::Trajectory;
pub use state::SandboxStats;
pub use webhook::{signature_v1, signature_v2, signature_v3};

use model::{iso_millis, ObjectType, Portal};
use state::{lock, now_ms, read, write, Limiter, Shared};

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot bind the sandbox server to {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("portal generation failed: {0}")]
    Generation(String),
    #[error("webhook delivery to {url} failed: {source}")]
    Webhook { url: String, source: reqwest::Error },
    #[error("cannot encode the webhook body: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("cannot build the HTTP client: {0}")]
    Client(reqwest::Error),
}

/// A record as the portal holds it now.
#[derive(Clone, Debug, PartialEq)]
pub struct SandboxRecord {
    pub id: String,
    pub properties: BTreeMap<String, Option<String>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the token endpoint hands out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
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

/// Each generated company's id and the trajectory its activity follows over the last months (what
/// a history rebuilt day by day from the portal's dates shows): the same for a seed and size on any
/// day.
pub fn company_trajectories(config: &SandboxConfig) -> Vec<(String, Trajectory)> {
    generate::trajectories(config)
        .into_iter()
        .map(|(id, trajectory)| (id.to_string(), trajectory))
        .collect()
}

/// A running sandbox portal. Cheap to clone; the server stops when the last clone is dropped or on
/// [`Sandbox::shutdown`].
#[derive(Clone)]
pub struct Sandbox {
    running: Arc<Running>,
}

/// Start of the current UTC day: generated dates are relative to it, so a seed gives the same portal all day.
fn generation_anchor_ms() -> i64 {
    let now = now_ms();
    now - now.rem_euclid(86_400_000)
}

fn timestamp(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn private_app_token_for(seed: u64, portal_id: u64) -> String {
    let mut rng = StdRng::seed_from_u64(seed ^ portal_id.rotate_left(17));
    let bytes: [u8; 16] = rng.random();
    format!(
        "pat-na1-{}",
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .as_hyphenated()
    )
}

impl Sandbox {
    /// Generates the portal and serves it on an ephemeral port of 127.0.0.1.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    pub async fn start_on(
        config: SandboxConfig,
        addr: SocketAddr,
    ) -> Result<Sandbox, SandboxError> {
        let generation_config = config.clone();
        let portal = tokio::task::spawn_blocking(move || {
            if generation_config.lazy {
                generate::generate_lazy(&generation_config, generation_anchor_ms())
            } else {
                generate::generate(&generation_config, generation_anchor_ms())
            }
        })
        .await
        .map_err(|e| SandboxError::Generation(e.to_string()))?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| SandboxError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| SandboxError::Bind { addr, source })?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(SandboxError::Client)?;
        let shared = Arc::new(Shared {
            base_url: format!("http://{local}"),
            private_app_token: private_app_token_for(config.seed, config.portal_id),
            faults: Mutex::new(config.faults),
            portal: RwLock::new(portal),
            auth: Mutex::default(),
            limiter: Mutex::new(Limiter::default()),
            stats: Mutex::default(),
            crm_schema: Mutex::default(),
            rng: Mutex::new(StdRng::seed_from_u64(config.seed.wrapping_add(1))),
            http,
            config,
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let app = server::router(shared.clone());
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(error) = serve.await {
                tracing::warn!(%error, "hubspot sandbox server stopped with an error");
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

    pub(crate) fn shared(&self) -> &Shared {
        &self.running.shared
    }

    /// `http://127.0.0.1:<port>`; use it as the HubSpot API base URL.
    pub fn base_url(&self) -> String {
        self.shared().base_url.clone()
    }

    pub fn portal_id(&self) -> u64 {
        self.shared().config.portal_id
    }

    /// A static bearer token every endpoint accepts (derived from the seed).
    pub fn private_app_token(&self) -> String {
        self.shared().private_app_token.clone()
    }

    /// `base_url + "/oauth/authorize"`: redirects to `redirect_uri?code=..&state=..`.
    pub fn authorize_url_base(&self) -> String {
        format!("{}/oauth/authorize", self.shared().base_url)
    }

    /// A fresh single-use authorization code, valid with any redirect URI.
    pub fn issue_authorization_code(&self) -> String {
        server::new_code(self.shared(), None)
    }

    /// A fresh access and refresh token pair, as a completed OAuth install would give.
    pub fn issue_oauth_tokens(&self) -> OAuthTokens {
        server::new_tokens(self.shared(), None)
    }

    /// Every OAuth access token issued so far now answers 401 EXPIRED_AUTHENTICATION.
    pub fn expire_access_tokens(&self) {
        for token in lock(&self.shared().auth).access.values_mut() {
            token.force_expired = true;
        }
    }

    /// Every OAuth access token issued so far is revoked before its expiry: it answers 401
    /// INVALID_AUTHENTICATION (tokens issued later work).
    pub fn revoke_access_tokens(&self) {
        for token in lock(&self.shared().auth).access.values_mut() {
            token.revoked = true;
        }
    }

    /// While `refuse` holds, every OAuth access token, also one refreshed afterwards, answers 401
    /// INVALID_AUTHENTICATION, though refresh tokens still work: an install that is broken.
    pub fn refuse_access_tokens(&self, refuse: bool) {
        lock(&self.shared().auth).refuse_oauth_access = refuse;
    }

    /// The private app's token now answers 401 INVALID_AUTHENTICATION (rotated, or the app deleted).
    pub fn revoke_private_app_token(&self) {
        lock(&self.shared().auth).private_app_revoked = true;
    }

    /// Every refresh token issued so far now answers 400 BAD_REFRESH_TOKEN.
    pub fn revoke_refresh_tokens(&self) {
        for token in lock(&self.shared().auth).refresh.values_mut() {
            token.dead = true;
        }
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

    /// The live records of a type, in id order (empty for an unknown type). Builds every record:
    /// on the largest portal use [`Sandbox::record_count`] or page the API instead.
    pub fn records(&self, object_type: &str) -> Vec<SandboxRecord> {
        let Some(ty) = ObjectType::parse(object_type) else {
            return Vec::new();
        };
        let portal = read(&self.shared().portal);
        let mut out = Vec::new();
        portal.walk(ty, 0, &|_| true, &mut |r| {
            if r.is_live() {
                out.push(SandboxRecord {
                    id: r.id.to_string(),
                    properties: r
                        .props
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.clone()))
                        .collect(),
                    created_at: timestamp(r.created_ms),
                    updated_at: timestamp(r.updated_ms),
                });
            }
            true
        });
        out
    }

    /// How many live records of a type the portal holds (0 for an unknown type), without building them.
    pub fn record_count(&self, object_type: &str) -> usize {
        ObjectType::parse(object_type).map_or(0, |ty| read(&self.shared().portal).live_count(ty))
    }

    /// Records held in memory: every record for an eager portal; for a lazy one only those written,
    /// created or archived since it started (the rest are built when read).
    pub fn materialised_records(&self) -> usize {
        read(&self.shared().portal).materialised()
    }

    /// Ids of the `to_type` records associated with a record.
    pub fn associations(&self, from_type: &str, from_id: &str, to_type: &str) -> Vec<String> {
        let (Some(from), Some(to), Ok(id)) = (
            ObjectType::parse(from_type),
            ObjectType::parse(to_type),
            from_id.parse::<u64>(),
        ) else {
            return Vec::new();
        };
        let portal = read(&self.shared().portal);
        portal
            .live(from, id)
            .map(|r| {
                r.assoc
                    .iter()
                    .filter(|(t, _)| *t == to)
                    .map(|(_, id)| id.to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Sets (or with `None` clears) a property and marks the record modified now. False if there is no such
    /// live record.
    pub fn update_property(
        &self,
        object_type: &str,
        id: &str,
        name: &str,
        value: Option<&str>,
    ) -> bool {
        let (Some(ty), Ok(id)) = (ObjectType::parse(object_type), id.parse::<u64>()) else {
            return false;
        };
        let mut portal = write(&self.shared().portal);
        let key = portal.interner.get(name);
        if portal.live(ty, id).is_none() {
            return false;
        }
        let Some(rec) = portal.record_mut(ty, id) else {
            return false;
        };
        rec.set(key, value.map(str::to_owned));
        portal.touch(ty, id, now_ms());
        true
    }

    /// Marks `count` distinct random live records modified now (fewer if the type has fewer); returns their ids.
    pub fn touch_random(&self, object_type: &str, count: usize) -> Vec<String> {
        let Some(ty) = ObjectType::parse(object_type) else {
            return Vec::new();
        };
        let mut portal = write(&self.shared().portal);
        let live: Vec<u64> = portal.live_ids(ty);
        let picked: Vec<u64> = {
            let mut rng = lock(&self.shared().rng);
            sample(&mut *rng, live.len(), count.min(live.len()))
                .into_iter()
                .map(|i| live[i])
                .collect()
        };
        let now = now_ms();
        for id in &picked {
            portal.touch(ty, *id, now);
        }
        let mut ids: Vec<u64> = picked;
        ids.sort_unstable();
        ids.into_iter().map(|id| id.to_string()).collect()
    }

    /// Creates a record (optionally associated with a company) and returns its id; empty for an unknown type.
    pub fn create_record(
        &self,
        object_type: &str,
        properties: serde_json::Map<String, serde_json::Value>,
        associate_company: Option<&str>,
    ) -> String {
        let Some(ty) = ObjectType::parse(object_type) else {
            return String::new();
        };
        let mut portal = write(&self.shared().portal);
        create(&mut portal, ty, properties, associate_company, now_ms())
    }

    /// Archives a record: it leaves list (unless `archived=true`), search, batch read and associations.
    pub fn delete_record(&self, object_type: &str, id: &str) -> bool {
        let (Some(ty), Ok(id)) = (ObjectType::parse(object_type), id.parse::<u64>()) else {
            return false;
        };
        write(&self.shared().portal).archive(ty, id, now_ms())
    }

    /// POSTs the events as one signed delivery (v3 and v1 headers) and returns the receiver's HTTP status.
    pub async fn send_webhooks(
        &self,
        target_url: &str,
        events: &[serde_json::Value],
    ) -> Result<u16, SandboxError> {
        let shared = self.shared();
        let body = serde_json::to_vec(events)?;
        let timestamp = now_ms().to_string();
        let secret = &shared.config.client_secret;
        let response = shared
            .http
            .post(target_url)
            .header("content-type", "application/json")
            .header(
                "user-agent",
                "HubSpot Connect 2.0 (http://dev.hubspot.com/) - WebhooksExecutorDaemon",
            )
            .header("x-hubspot-signature", signature_v1(secret, &body))
            .header("x-hubspot-signature-version", "v1")
            .header(
                "x-hubspot-signature-v3",
                signature_v3(secret, "POST", target_url, &body, &timestamp),
            )
            .header("x-hubspot-request-timestamp", &timestamp)
            .body(body)
            .send()
            .await
            .map_err(|source| SandboxError::Webhook {
                url: target_url.to_owned(),
                source,
            })?;
        Ok(response.status().as_u16())
    }

    /// A realistic webhook event for `subscription_type` (e.g. `company.propertyChange`) with a fresh eventId.
    pub fn webhook_event(&self, subscription_type: &str, object_id: &str) -> serde_json::Value {
        let shared = self.shared();
        let event_id: u32 = lock(&shared.rng).random_range(100_000_000..u32::MAX);
        let object_id_value = object_id
            .parse::<u64>()
            .map(serde_json::Value::from)
            .unwrap_or_else(|_| serde_json::Value::from(object_id));
        let subscription_id = subscription_type.bytes().fold(1_000_000u64, |acc, b| {
            (acc * 31 + u64::from(b)) % 9_000_000 + 1_000_000
        });
        let mut event = serde_json::json!({
            "eventId": event_id,
            "subscriptionId": subscription_id,
            "portalId": shared.config.portal_id,
            "appId": shared.config.app_id,
            "occurredAt": now_ms(),
            "subscriptionType": subscription_type,
            "attemptNumber": 0,
            "objectId": object_id_value,
            "changeSource": "CRM",
        });
        let (object, action) = subscription_type
            .split_once('.')
            .unwrap_or((subscription_type, ""));
        let ty = ObjectType::parse(object);
        let fields = event.as_object_mut();
        let Some(fields) = fields else { return event };
        match action {
            "creation" => {
                fields.insert("changeFlag".into(), "CREATED".into());
            }
            "deletion" | "privacyDeletion" => {
                fields.insert("changeFlag".into(), "DELETED".into());
            }
            "propertyChange" => {
                let name = match ty {
                    Some(ObjectType::Deals) => "dealstage",
                    Some(ObjectType::Tickets) => "hs_pipeline_stage",
                    _ => "lifecyclestage",
                };
                let value = ty
                    .zip(object_id.parse::<u64>().ok())
                    .and_then(|(ty, id)| {
                        read(&shared.portal)
                            .record(ty, id)
                            .and_then(|r| r.get(name).cloned().flatten())
                    })
                    .unwrap_or_default();
                fields.insert("propertyName".into(), name.into());
                fields.insert("propertyValue".into(), value.into());
            }
            "associationChange" => {
                let company = ty
                    .filter(|t| *t != ObjectType::Companies)
                    .zip(object_id.parse::<u64>().ok())
                    .and_then(|(ty, id)| {
                        read(&shared.portal).record(ty, id).and_then(|r| {
                            r.assoc
                                .iter()
                                .find(|(t, _)| *t == ObjectType::Companies)
                                .map(|(_, id)| *id)
                        })
                    });
                fields.insert(
                    "associationType".into(),
                    format!("{}_TO_COMPANY", object.to_ascii_uppercase()).into(),
                );
                fields.insert("fromObjectId".into(), object_id_value.clone());
                fields.insert(
                    "toObjectId".into(),
                    company.map_or(serde_json::Value::Null, Into::into),
                );
                fields.insert("associationRemoved".into(), false.into());
                fields.insert("isPrimaryAssociation".into(), false.into());
            }
            "merge" => {
                fields.insert("primaryObjectId".into(), object_id_value.clone());
                fields.insert("mergedObjectIds".into(), serde_json::json!([]));
                fields.insert("newObjectId".into(), object_id_value.clone());
            }
            "restore" => {
                fields.insert("changeFlag".into(), "RESTORED".into());
            }
            _ => {}
        }
        event
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

fn create(
    portal: &mut Portal,
    ty: ObjectType,
    properties: serde_json::Map<String, serde_json::Value>,
    associate_company: Option<&str>,
    now: i64,
) -> String {
    let id = portal.next_id;
    portal.next_id += 1;
    let mut props = Vec::with_capacity(properties.len() + 3);
    for (name, value) in properties {
        let value = match value {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s),
            other => Some(other.to_string()),
        };
        props.push((portal.interner.get(&name), value));
    }
    let mut record = model::Record {
        id,
        props,
        created_ms: now,
        updated_ms: now,
        archived_ms: None,
        assoc: Vec::new(),
    };
    record.set(portal.interner.get("createdate"), Some(iso_millis(now)));
    record.set(
        portal.interner.get(ty.modified_property()),
        Some(iso_millis(now)),
    );
    record.set(portal.interner.get("hs_object_id"), Some(id.to_string()));
    portal.table_mut(ty).records.push(record);
    if let Some(company) = associate_company.and_then(|c| c.parse::<u64>().ok()) {
        portal.associate((ty, id), (ObjectType::Companies, company));
    }
    id.to_string()
}

impl std::fmt::Debug for Sandbox {
    // The token stays out: Debug output ends up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.shared().base_url)
            .field("portal_id", &self.shared().config.portal_id)
            .finish_non_exhaustive()
    }
}
