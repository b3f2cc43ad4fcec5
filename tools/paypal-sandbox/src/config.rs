//! How a sandbox PayPal account is shaped and how it misbehaves.

use chrono::{DateTime, Utc};

/// A CRM company the generated payers line up with (the HubSpot sandbox's companies, or any list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompanySeed {
    pub hubspot_id: String,
    pub name: String,
    /// The company's web domain (`acme.com`), when the CRM knows it.
    pub domain: Option<String>,
}

impl CompanySeed {
    pub fn new(
        hubspot_id: impl Into<String>,
        name: impl Into<String>,
        domain: Option<&str>,
    ) -> Self {
        Self {
            hubspot_id: hubspot_id.into(),
            name: name.into(),
            domain: domain.map(str::to_owned),
        }
    }

    /// `count` made-up companies (ids from 1001), for a sandbox started without a CRM beside it.
    pub fn synthetic(count: usize) -> Vec<CompanySeed> {
        const FIRST: &[&str] = &[
            "Northwind",
            "Bluepeak",
            "Cedar",
            "Ironbridge",
            "Lumen",
            "Harbor",
            "Summit",
            "Quartz",
            "Maple",
            "Orbit",
            "Granite",
            "Silverline",
        ];
        const SECOND: &[&str] = &[
            "Dental",
            "Logistics",
            "Legal",
            "Studios",
            "Clinic",
            "Foods",
            "Labs",
        ];
        (0..count)
            .map(|i| {
                let first = FIRST[i % FIRST.len()];
                let second = SECOND[(i / FIRST.len()) % SECOND.len()];
                let round = i / (FIRST.len() * SECOND.len());
                let stem = format!("{first}{second}").to_ascii_lowercase();
                let domain = if round == 0 {
                    format!("{stem}.com")
                } else {
                    format!("{stem}{round}.com")
                };
                CompanySeed::new(
                    (1001 + i).to_string(),
                    format!("{first} {second}"),
                    Some(&domain),
                )
            })
            .collect()
    }
}

/// Everything that shapes a sandbox account: the generated data, the clock, the limits and the faults.
#[derive(Clone, Debug, PartialEq)]
pub struct SandboxConfig {
    /// The same seed, companies and anchor give the same account, byte for byte.
    pub seed: u64,
    pub client_id: String,
    pub client_secret: String,
    /// `app_id` of the token response.
    pub app_id: String,
    /// The merchant's PayPal account id (`account_number` of Transaction Search).
    pub account_id: String,
    /// The id of the webhook the sandbox delivers to; verify-webhook-signature accepts only this one.
    pub webhook_id: String,
    /// The CRM companies payers are aligned with (see `Alignment`).
    pub companies: Vec<CompanySeed>,
    /// Payers that belong to no CRM company.
    pub unmatched_payers: usize,
    /// How far back the generated history reaches (PayPal serves at most 3 years).
    pub history_days: u32,
    /// `expires_in` of access tokens (PayPal: "typically 9 hours").
    pub token_ttl_secs: u64,
    /// A transaction becomes visible to Transaction Search up to this long after it happened
    /// (PayPal: up to 3 hours).
    pub max_lateness_secs: u64,
    /// The instant generated dates are relative to; `None`: the start of the current UTC hour.
    pub anchor: Option<DateTime<Utc>>,
    /// Requests (token calls included) per rolling minute before 429 RATE_LIMIT_REACHED; `None`: no limit.
    pub rate_limit_per_minute: Option<u32>,
    /// Whether the app has Transaction Search ticked; without it the endpoint answers 403.
    pub transaction_search_enabled: bool,
    pub faults: Faults,
}

/// Misbehaviour injected into API calls (not the token endpoint), drawn from the seeded generator.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Faults {
    /// Probability of a 429 RATE_LIMIT_REACHED.
    pub rate_limit_rate: f64,
    /// Sent as `Retry-After` on every 429 (injected or real) when set; PayPal does not promise one.
    pub retry_after_secs: Option<u64>,
    /// Probability of a 500 INTERNAL_SERVER_ERROR or 503 SERVICE_UNAVAILABLE.
    pub server_error_rate: f64,
    /// Added to every API call, the token endpoint included.
    pub latency_ms: u64,
}

/// The fault drawn for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Injected {
    RateLimited,
    /// 500 or 503.
    ServerError(u16),
}

impl Faults {
    pub fn none() -> Self {
        Self::default()
    }

    pub(crate) fn draw(&self, rng: &mut impl rand::Rng) -> Option<Injected> {
        if rng.random_bool(self.rate_limit_rate.clamp(0.0, 1.0)) {
            Some(Injected::RateLimited)
        } else if rng.random_bool(self.server_error_rate.clamp(0.0, 1.0)) {
            Some(Injected::ServerError(if rng.random_bool(0.8) {
                500
            } else {
                503
            }))
        } else {
            None
        }
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            client_id: "sandbox-paypal-client-id".to_owned(),
            client_secret: "sandbox-paypal-client-secret".to_owned(),
            app_id: "APP-80W284485P519543T".to_owned(),
            account_id: "MSPMERCHANT01".to_owned(),
            webhook_id: "1JE4291016473214C".to_owned(),
            companies: CompanySeed::synthetic(40),
            unmatched_payers: 8,
            history_days: 730,
            token_ttl_secs: 32_400,
            max_lateness_secs: 3 * 3_600,
            anchor: None,
            rate_limit_per_minute: None,
            transaction_search_enabled: true,
            faults: Faults::none(),
        }
    }
}

impl SandboxConfig {
    /// An account aligned with `companies`, quick to generate and to sync.
    pub fn for_companies(seed: u64, companies: Vec<CompanySeed>) -> Self {
        Self {
            seed,
            unmatched_payers: (companies.len() / 6).max(3),
            companies,
            ..Self::default()
        }
    }

    /// About 20 made-up companies and a year of history.
    pub fn small(seed: u64) -> Self {
        Self {
            seed,
            companies: CompanySeed::synthetic(20),
            unmatched_payers: 4,
            history_days: 365,
            ..Self::default()
        }
    }
}
