//! The server's shared state: the instance, the clock, tokens, the rate-limit window, query cursors,
//! the registered webhook, counters.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use rand::rngs::StdRng;

use crate::config::{Faults, SandboxConfig, Ticketing};
use crate::model::World;

/// Counters since start or the last reset.
#[derive(Default, Clone, Debug, PartialEq)]
pub struct SandboxStats {
    /// Every request received, refused ones and token requests included.
    pub requests: u64,
    pub token_requests: u64,
    /// 429s sent (window and injected).
    pub rate_limited: u64,
    /// 5xx sent.
    pub server_errors: u64,
    /// 401s sent to API calls (expired, revoked or unknown tokens).
    pub unauthorized: u64,
    /// Requests per route, keyed like `GET /v2/devices-detailed`.
    pub by_route: BTreeMap<String, u64>,
}

pub(crate) fn real_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Takes a lock even if a panicking thread poisoned it: the data stays usable for a test tool.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Debug)]
pub(crate) struct AccessToken {
    pub expires_at_ms: i64,
    pub revoked: bool,
}

#[derive(Debug, Default)]
pub(crate) struct AuthState {
    pub tokens: HashMap<String, AccessToken>,
    pub issued: u64,
    pub refuse_credentials: bool,
}

/// Which cursor query a cursor pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QueryKind {
    DeviceHealth,
    Antivirus,
    OsPatches,
}

#[derive(Clone, Debug)]
pub(crate) struct CursorSession {
    pub kind: QueryKind,
    pub orgs: Option<Vec<u32>>,
    /// Index of the next row to serve.
    pub next: usize,
    pub page_size: usize,
    pub expires_ms: i64,
}

/// The webhook the app registered (`PUT /v2/webhook`).
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookRegistration {
    pub url: String,
    pub activities: serde_json::Value,
    pub expand: Vec<String>,
    pub headers: Vec<(String, String)>,
    pub organization_ids: Vec<u32>,
}

pub(crate) struct Shared {
    pub config: SandboxConfig,
    pub base_url: String,
    pub world: World,
    pub anchor_ms: i64,
    pub faults: Mutex<Faults>,
    pub ticketing: Mutex<Ticketing>,
    pub auth: Mutex<AuthState>,
    pub window: Mutex<VecDeque<i64>>,
    pub stats: Mutex<SandboxStats>,
    pub rng: Mutex<StdRng>,
    pub cursors: Mutex<HashMap<String, CursorSession>>,
    pub cursor_seq: Mutex<u64>,
    pub webhook: Mutex<Option<WebhookRegistration>>,
    pub activity_seq: Mutex<u64>,
    pub clock_offset_ms: AtomicI64,
    pub http: reqwest::Client,
}

impl Shared {
    pub fn now_ms(&self) -> i64 {
        real_now_ms() + self.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// An instant `ago_s` seconds before the anchor, in the configured epoch unit.
    pub fn epoch(&self, ago_s: i64) -> f64 {
        let ms = self.anchor_ms - ago_s * 1_000;
        if self.config.epoch_millis {
            ms as f64
        } else {
            ms as f64 / 1_000.0
        }
    }

    /// Counts a request in the rolling minute; `Err(wait_ms)` when the window is full.
    pub fn admit(&self) -> Result<(), i64> {
        let Some(limit) = self.config.rate_limit_per_minute else {
            return Ok(());
        };
        let now = real_now_ms();
        let mut window = lock(&self.window);
        while window.front().is_some_and(|t| now - t >= 60_000) {
            window.pop_front();
        }
        if window.len() >= limit as usize {
            let oldest = window.front().copied().unwrap_or(now);
            return Err((oldest + 60_000 - now).max(1));
        }
        window.push_back(now);
        Ok(())
    }
}
