//! How a sandbox portal is shaped and how it misbehaves.

/// Everything that shapes a sandbox: the generated data, the limits and the faults.
#[derive(Clone, Debug, PartialEq)]
pub struct SandboxConfig {
    /// The same seed (on the same UTC day) gives the same portal.
    pub seed: u64,
    pub portal_id: u64,
    pub companies: usize,
    pub contacts: usize,
    pub deals: usize,
    pub tickets: usize,
    /// Total engagements, spread over calls, emails, meetings, notes and tasks.
    pub engagements: usize,
    /// Rolling 10-second window, per portal, counting every non-search API call.
    pub rate_limit_per_ten_seconds: u32,
    /// Search endpoints only, on their own budget.
    pub search_per_second: u32,
    /// When exhausted, calls answer 429 with policyName DAILY until the next UTC midnight.
    pub daily_limit: Option<u32>,
    pub faults: Faults,
    pub access_token_ttl_secs: u64,
    pub client_id: String,
    pub client_secret: String,
    pub app_id: u64,
    /// Fresh writes stay invisible to search for this long, as HubSpot's search index lags.
    pub search_lag_ms: u64,
    /// Build each record when it is read (a pure function of seed, type and index) instead of
    /// generating the portal up front: memory stays a few megabytes whatever the counts, and the
    /// run's writes are kept as an overlay. The records differ from the eager generator's for the
    /// same seed, so the eager presets keep it off.
    pub lazy: bool,
}

/// Misbehaviour injected into CRM API calls (not OAuth), each a probability per request.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Faults {
    /// Answers 500, 502 or 504.
    pub server_error_rate: f64,
    /// Answers 429 TEN_SECONDLY_ROLLING (SECONDLY on search) although the caller kept to the limit:
    /// refused before it is counted, with rate-limit headers that tell the window's true state.
    pub rate_limit_rate: f64,
    /// Added to every CRM API call.
    pub latency_ms: u64,
    /// Answers 423 Locked.
    pub locked_rate: f64,
}

/// The fault drawn for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Injected {
    /// 500, 502 or 504.
    ServerError(u16),
    /// A 429 the window did not cause: refused before it is counted, with the window's true headers.
    RateLimited,
    Locked,
}

impl Faults {
    pub fn none() -> Self {
        Self::default()
    }

    /// At most one fault for a request, each with its own probability.
    pub(crate) fn draw(&self, rng: &mut impl rand::Rng) -> Option<Injected> {
        if rng.random_bool(self.server_error_rate.clamp(0.0, 1.0)) {
            Some(Injected::ServerError(
                [500, 502, 504][rng.random_range(0..3)],
            ))
        } else if rng.random_bool(self.rate_limit_rate.clamp(0.0, 1.0)) {
            Some(Injected::RateLimited)
        } else if rng.random_bool(self.locked_rate.clamp(0.0, 1.0)) {
            Some(Injected::Locked)
        } else {
            None
        }
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            portal_id: 12_345_678,
            companies: 200,
            contacts: 1_000,
            deals: 400,
            tickets: 150,
            engagements: 4_000,
            rate_limit_per_ten_seconds: 190,
            search_per_second: 5,
            daily_limit: None,
            faults: Faults::default(),
            access_token_ttl_secs: 1_800,
            client_id: "sandbox-client-id".to_owned(),
            client_secret: "sandbox-client-secret".to_owned(),
            app_id: 1_234_567,
            search_lag_ms: 0,
            lazy: false,
        }
    }
}

impl SandboxConfig {
    /// About 50 companies: quick to generate and to sync in tests.
    pub fn small(seed: u64) -> Self {
        Self {
            seed,
            companies: 50,
            contacts: 150,
            deals: 60,
            tickets: 30,
            engagements: 500,
            ..Self::default()
        }
    }

    /// A portal big enough to look real on the dashboard.
    pub fn demo(seed: u64) -> Self {
        Self {
            seed,
            ..Self::default()
        }
    }

    /// The benchmark portal: 10,000 companies, 50,000 contacts, 20,000 deals, 5,000 tickets, 200,000 engagements.
    pub fn benchmark(seed: u64) -> Self {
        Self {
            seed,
            companies: 10_000,
            contacts: 50_000,
            deals: 20_000,
            tickets: 5_000,
            engagements: 200_000,
            ..Self::default()
        }
    }

    /// The largest portal a customer brings (issue 19): 100,000 companies, 1,000,000 contacts,
    /// 200,000 deals, 100,000 tickets and 5,000,000 engagements, generated lazily.
    pub fn largest(seed: u64) -> Self {
        Self::largest_scaled(seed, 1.0)
    }

    /// The largest portal with every count multiplied by `scale` (0.1: a tenth of it), lazily.
    pub fn largest_scaled(seed: u64, scale: f64) -> Self {
        let of = |n: f64| ((n * scale).round() as usize).max(1);
        Self {
            seed,
            companies: of(100_000.0),
            contacts: of(1_000_000.0),
            deals: of(200_000.0),
            tickets: of(100_000.0),
            engagements: of(5_000_000.0),
            lazy: true,
            ..Self::default()
        }
    }
}
