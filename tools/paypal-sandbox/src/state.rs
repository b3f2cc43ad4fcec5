//! The server's shared state: the account, the clock, tokens, the rate-limit window, webhook deliveries.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use rand::rngs::StdRng;
use rand::Rng;

use crate::config::{Faults, SandboxConfig};
use crate::model::World;

/// Counters since start or the last reset.
#[derive(Default, Clone, Debug, PartialEq)]
pub struct SandboxStats {
    /// Every request received, including refused ones.
    pub requests: u64,
    pub token_requests: u64,
    /// 429s from the rolling per-minute window (not injected ones).
    pub rate_limited: u64,
    pub injected_faults: u64,
    /// Requests per route, keyed like `GET /v1/reporting/transactions`.
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

pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write()
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
    /// The token the endpoint hands out again while it is valid, as PayPal does.
    pub current: Option<String>,
    /// Every token request answers 401 invalid_client (secret rotated, app deleted).
    pub refuse_credentials: bool,
}

/// A webhook delivery the sandbox made, remembered so verify-webhook-signature can vouch for it.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    pub webhook_id: String,
    pub transmission_time: String,
    pub transmission_sig: String,
    pub event: serde_json::Value,
}

/// The shared state behind every clone of a `Sandbox` and every request handler.
pub(crate) struct Shared {
    pub config: SandboxConfig,
    pub base_url: String,
    pub world: RwLock<World>,
    pub faults: Mutex<Faults>,
    pub auth: Mutex<AuthState>,
    /// Admission times (real clock) of the rolling per-minute window.
    pub window: Mutex<VecDeque<i64>>,
    pub stats: Mutex<SandboxStats>,
    /// Seeded: faults, debug ids, tokens and mutations follow the request order deterministically.
    pub rng: Mutex<StdRng>,
    /// Added to the real clock: tests move time forward (late rows appear, tokens expire).
    pub clock_offset_ms: AtomicI64,
    pub transaction_search_enabled: AtomicBool,
    /// The key webhook signatures are made with; never leaves the sandbox.
    pub webhook_secret: [u8; 32],
    pub deliveries: Mutex<HashMap<String, Delivery>>,
    pub http: reqwest::Client,
}

impl Shared {
    /// The sandbox's clock: the real one plus whatever tests advanced it by.
    pub fn now_ms(&self) -> i64 {
        real_now_ms() + self.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// PayPal's `debug_id`: 13 hex digits.
    pub fn debug_id(&self) -> String {
        let value: u64 = lock(&self.rng).random_range(0..1u64 << 52);
        format!("{value:013x}")
    }

    pub fn search_enabled(&self) -> bool {
        self.transaction_search_enabled.load(Ordering::Relaxed)
    }

    /// Counts a request in the rolling minute; `Err(wait_ms)` when the window is full (not counted then).
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
