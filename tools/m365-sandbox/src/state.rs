//! The server's shared state: the tenants, consent, tokens, throttling windows, downloads, the clock.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::config::{Faults, SandboxConfig};
use crate::model::TenantModel;

/// Counters since start or the last reset.
#[derive(Default, Clone, Debug, PartialEq)]
pub struct SandboxStats {
    /// Every request received, refused ones included.
    pub requests: u64,
    pub token_requests: u64,
    /// 429s sent because a documented limit was reached (not injected ones).
    pub throttled: u64,
    /// 429s and 503s sent because a test asked for them.
    pub injected_faults: u64,
    /// 401s for tokens that expired (early or not) or were never issued.
    pub unauthorized: u64,
    /// Report requests (CSV and JSON pages) answered, per tenant id.
    pub reports_by_tenant: BTreeMap<String, u64>,
    /// Requests per route, keyed like `GET /v1.0/subscribedSkus`.
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

#[derive(Debug, Clone)]
pub(crate) struct IssuedToken {
    pub tenant_id: String,
    pub issued_ms: i64,
    pub expires_ms: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct Download {
    pub body: String,
    pub expires_ms: i64,
}

pub(crate) struct Shared {
    pub base_url: String,
    pub config: SandboxConfig,
    pub tenants: Vec<TenantModel>,
    pub by_id: HashMap<String, usize>,
    /// Tenants whose admin consented the app (all at start).
    pub consented: Mutex<HashSet<String>>,
    pub tokens: Mutex<HashMap<String, IssuedToken>>,
    /// Report requests answered per tenant, by time (ms), for the rolling window.
    pub report_log: Mutex<HashMap<String, VecDeque<i64>>>,
    /// Requests in the current second (the global per-app limit): (second, count).
    pub global_second: Mutex<(i64, usize)>,
    pub downloads: Mutex<HashMap<String, Download>>,
    pub faults: Mutex<Faults>,
    pub stats: Mutex<SandboxStats>,
    pub clock_offset_ms: AtomicI64,
    pub counter: AtomicU64,
}

impl Shared {
    /// The simulated clock: the real one plus every `advance_clock`.
    pub fn now_ms(&self) -> i64 {
        real_now_ms() + self.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// A fresh opaque id (tokens, request ids, download ids).
    pub fn next_id(&self, prefix: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mix = (n ^ self.config.seed).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        format!("{prefix}{n:08x}{mix:016x}")
    }

    pub fn tenant(&self, id_or_domain: &str) -> Option<&TenantModel> {
        let key = id_or_domain.to_ascii_lowercase();
        if let Some(i) = self.by_id.get(&key) {
            return self.tenants.get(*i);
        }
        self.tenants
            .iter()
            .find(|t| t.initial_domain == key || t.domains.contains(&key))
    }

    pub fn count(&self, route: &str) {
        let mut stats = lock(&self.stats);
        stats.requests += 1;
        *stats.by_route.entry(route.to_owned()).or_default() += 1;
    }
}
