//! The server's shared state: the account, the clock, tokens, the rate-limit window, counters.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use rand::rngs::StdRng;

use crate::config::{Faults, SandboxConfig};
use crate::model::World;

/// Counters since start or the last reset.
#[derive(Default, Clone, Debug, PartialEq)]
pub struct SandboxStats {
    /// Every request received, including refused ones.
    pub requests: u64,
    pub token_requests: u64,
    /// Every 429 sent (from the rolling window or injected).
    pub rate_limited: u64,
    /// Injected 5xx and 429.
    pub injected_faults: u64,
    /// Requests per route, keyed like `GET /v1/subscriptions/{id}/history`.
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
    /// Only `https://api.pax8.com` opens the partner endpoints.
    pub audience: String,
}

#[derive(Debug, Default)]
pub(crate) struct AuthState {
    pub tokens: HashMap<String, AccessToken>,
    /// Every token request answers 401 access_denied (credentials revoked in the Integrations Hub).
    pub refuse_credentials: bool,
}

pub(crate) struct Shared {
    pub config: SandboxConfig,
    pub base_url: String,
    pub world: RwLock<World>,
    pub faults: Mutex<Faults>,
    pub auth: Mutex<AuthState>,
    /// Admission times (real clock) of the rolling per-minute window.
    pub window: Mutex<VecDeque<i64>>,
    pub stats: Mutex<SandboxStats>,
    pub rng: Mutex<StdRng>,
    pub clock_offset_ms: AtomicI64,
    pub http: reqwest::Client,
}

impl Shared {
    pub fn now_ms(&self) -> i64 {
        real_now_ms() + self.clock_offset_ms.load(Ordering::Relaxed)
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
