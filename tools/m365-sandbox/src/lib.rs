//! A Microsoft Graph (Microsoft 365) simulator for tests, benchmarks and the local demo. Never linked
//! into a Lambda.
//!
//! [`Sandbox::start`] generates customer tenants that line up with given CRM companies (one per
//! company present, plus tenants no company owns) and serves them the way the Microsoft identity
//! platform and Microsoft Graph v1.0 do, from Microsoft's documentation (SOURCES.md §4):
//! client-credentials tokens per tenant (`POST /{tenant}/oauth2/v2.0/token`, AADSTS errors for a
//! tenant that has not consented), `organization`, `subscribedSkus`, `admin/reportSettings`, the
//! usage reports (CSV through a 302 to a pre-authenticated download URL, `getM365AppUserDetail` in
//! JSON with `@odata.nextLink`), Intune `managedDevices`, the documented report throttling (14
//! requests per 10 minutes per app per tenant) and global limit, and failures a test switches on.
//! The clock is simulated: [`Sandbox::advance_clock`] moves the 10-minute windows, token expiry and
//! the reports' dates.

mod config;
mod generate;
mod model;
mod routes;
mod state;
mod truth;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{CompanySeed, Faults, Limits, SandboxConfig};
pub use generate::{fnv1a_64, serial_of, PLACEHOLDER_SERIALS};
pub use model::{DailyCounts, SkuModel, TenantStory, APPS};
pub use state::SandboxStats;
pub use truth::TenantTruth;

use state::{lock, Shared};

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot bind the sandbox server to {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
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

/// A running sandbox. Cheap to clone; the server stops when the last clone is dropped or on
/// [`Sandbox::shutdown`].
#[derive(Clone)]
pub struct Sandbox {
    running: Arc<Running>,
}

fn datetime(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

impl Sandbox {
    /// Generates the tenants and serves them on an ephemeral port of 127.0.0.1.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    pub async fn start_on(
        config: SandboxConfig,
        addr: SocketAddr,
    ) -> Result<Sandbox, SandboxError> {
        let tenants = generate::generate(&config);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| SandboxError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| SandboxError::Bind { addr, source })?;
        let by_id = tenants
            .iter()
            .enumerate()
            .map(|(i, t)| (t.tenant_id.clone(), i))
            .collect();
        let consented: HashSet<String> = tenants.iter().map(|t| t.tenant_id.clone()).collect();
        let shared = Arc::new(Shared {
            base_url: format!("http://{local}"),
            faults: Mutex::new(config.faults.clone()),
            config,
            tenants,
            by_id,
            consented: Mutex::new(consented),
            tokens: Mutex::new(HashMap::new()),
            report_log: Mutex::new(HashMap::new()),
            global_second: Mutex::new((0, 0)),
            downloads: Mutex::new(HashMap::new()),
            stats: Mutex::default(),
            clock_offset_ms: AtomicI64::new(0),
            counter: AtomicU64::new(1),
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let app = routes::router(shared.clone());
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(error) = serve.await {
                tracing::warn!(%error, "m365 sandbox server stopped with an error");
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

    /// `http://127.0.0.1:<port>`: both `https://login.microsoftonline.com` and
    /// `https://graph.microsoft.com` are served here.
    pub fn base_url(&self) -> String {
        self.shared().base_url.clone()
    }

    pub fn client_id(&self) -> String {
        self.shared().config.client_id.clone()
    }

    pub fn client_secret(&self) -> String {
        self.shared().config.client_secret.clone()
    }

    /// The simulated clock (the real one plus [`Sandbox::advance_clock`]s).
    pub fn now(&self) -> DateTime<Utc> {
        datetime(self.shared().now_ms())
    }

    /// Moves the clock forward: throttling windows roll, tokens expire, reports gain days.
    pub fn advance_clock(&self, by: Duration) {
        self.shared()
            .clock_offset_ms
            .fetch_add(by.as_millis() as i64, Ordering::Relaxed);
    }

    /// The `Report Refresh Date` the reports carry now (two days behind, as Microsoft's are).
    pub fn report_refresh_date(&self) -> NaiveDate {
        routes::refresh_date(self.shared())
    }

    /// Every generated tenant, in generation order.
    pub fn truth(&self) -> Vec<TenantTruth> {
        self.shared().tenants.iter().map(truth::truth_of).collect()
    }

    /// The tenant ids, in generation order.
    pub fn tenant_ids(&self) -> Vec<String> {
        self.shared()
            .tenants
            .iter()
            .map(|t| t.tenant_id.clone())
            .collect()
    }

    /// The counts the reports give for `date` of `tenant_id` (None: no such tenant).
    pub fn daily(&self, tenant_id: &str, date: NaiveDate) -> Option<DailyCounts> {
        let shared = self.shared();
        let today = self.now().date_naive();
        shared.tenant(tenant_id).map(|t| t.daily(date, today))
    }

    /// The tenant's admin removes the app (or its consent): the token endpoint answers
    /// AADSTS700016 for it, and its issued tokens stop working.
    pub fn revoke_consent(&self, tenant_id: &str) {
        lock(&self.shared().consented).remove(tenant_id);
        lock(&self.shared().tokens).retain(|_, t| t.tenant_id != tenant_id);
    }

    pub fn grant_consent(&self, tenant_id: &str) {
        lock(&self.shared().consented).insert(tenant_id.to_owned());
    }

    /// Every token issued so far stops working at once (401 `InvalidAuthenticationToken`).
    pub fn expire_tokens(&self) {
        let now = self.shared().now_ms();
        for token in lock(&self.shared().tokens).values_mut() {
            token.expires_ms = token.expires_ms.min(now);
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
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.shared().base_url)
            .field("tenants", &self.shared().tenants.len())
            .finish()
    }
}
