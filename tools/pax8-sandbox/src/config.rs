//! How a sandbox Pax8 partner account is shaped and how it misbehaves.

use chrono::{DateTime, Utc};

/// A CRM company the generated Pax8 companies line up with (the HubSpot sandbox's, or any list).
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
                let (name, domain) = if round == 0 {
                    (format!("{first} {second}"), format!("{stem}.com"))
                } else {
                    (
                        format!("{first} {second} {round}"),
                        format!("{stem}{round}.com"),
                    )
                };
                CompanySeed::new((1001 + i).to_string(), name, Some(&domain))
            })
            .collect()
    }
}

/// Everything that shapes a sandbox account: the generated data, the limits and the faults.
#[derive(Clone, Debug, PartialEq)]
pub struct SandboxConfig {
    /// The same seed, companies and anchor give the same account, byte for byte.
    pub seed: u64,
    pub client_id: String,
    pub client_secret: String,
    /// The CRM companies Pax8 companies are aligned with (see `Alignment`).
    pub companies: Vec<CompanySeed>,
    /// Pax8 companies that belong to no CRM company.
    pub extra_companies: usize,
    /// Average subscriptions per company (each company gets 1 to twice this, by its story).
    pub subscriptions_per_company: usize,
    /// `expires_in` of access tokens (Pax8 documents 86400).
    pub token_ttl_secs: u64,
    /// The instant generated dates are relative to; `None`: the start of the current UTC hour.
    pub anchor: Option<DateTime<Utc>>,
    /// Requests (token calls included) per rolling minute before a 429. Pax8 documents the 429 but
    /// no numbers: UNCONFIRMED, a setting; `None`: no limit.
    pub rate_limit_per_minute: Option<u32>,
    pub faults: Faults,
}

/// Misbehaviour injected into API calls (not the token endpoint), drawn from the seeded generator.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Faults {
    /// Probability of an injected 429.
    pub rate_limit_rate: f64,
    /// Sent as `Retry-After` on every 429 (injected or from the window) when set. Pax8 documents
    /// no rate headers: UNCONFIRMED, so off by default.
    pub retry_after_secs: Option<u64>,
    /// Probability of a 500 or 503.
    pub server_error_rate: f64,
    /// Added to every call, the token endpoint included.
    pub latency_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Injected {
    RateLimited,
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
            Some(Injected::ServerError(if rng.random_bool(0.7) {
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
            client_id: "sandbox-pax8-client-id".to_owned(),
            client_secret: "sandbox-pax8-client-secret".to_owned(),
            companies: CompanySeed::synthetic(40),
            extra_companies: 6,
            subscriptions_per_company: 4,
            token_ttl_secs: 86_400,
            anchor: None,
            rate_limit_per_minute: None,
            faults: Faults::none(),
        }
    }
}

impl SandboxConfig {
    /// An account aligned with `companies`.
    pub fn for_companies(seed: u64, companies: Vec<CompanySeed>) -> Self {
        Self {
            seed,
            extra_companies: (companies.len() / 8).max(2),
            companies,
            ..Self::default()
        }
    }
}
