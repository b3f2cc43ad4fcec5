//! How a sandbox NinjaOne instance is shaped and how it misbehaves.

use chrono::{DateTime, Utc};

/// A CRM company the generated organisations line up with (the HubSpot sandbox's companies, or any list).
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

    /// `count` made-up companies (ids from 1001), the same list as the other sandboxes make.
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

/// What the board endpoints answer for an instance without ticketing. NinjaOne's spec documents no
/// error for it (every ticketing operation has only a `default` response): unconfirmed, so both
/// plausible refusals are playable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ticketing {
    Enabled,
    /// 403 (the spec's answer for other features an app may not use, e.g. webhooks).
    Forbidden,
    /// 404.
    NotFound,
}

/// Everything that shapes a sandbox instance: the generated data, the clock, the limits, the faults.
#[derive(Clone, Debug, PartialEq)]
pub struct SandboxConfig {
    /// The same seed and companies give the same instance.
    pub seed: u64,
    pub client_id: String,
    pub client_secret: String,
    pub companies: Vec<CompanySeed>,
    /// Organisations that belong to no CRM company.
    pub platform_only_orgs: usize,
    /// Devices an organisation has, inclusive range (before stories add or remove some).
    pub devices_per_org: (usize, usize),
    /// `expires_in` of access tokens. NinjaOne's lifetime is unconfirmed (3600 in third-party docs).
    pub token_ttl_secs: u64,
    /// Largest `pageSize` served (NinjaOne documents 1000 as the activities maximum); larger asks are
    /// cut to it.
    pub max_page_size: usize,
    /// Requests per rolling minute before 429 with `Retry-After`; NinjaOne publishes no limit
    /// (unconfirmed), so `None` (no limit) by default.
    pub rate_limit_per_minute: Option<u32>,
    /// Whether timestamps are epoch milliseconds; NinjaOne's unit is unconfirmed (the spec says only
    /// `number`), seconds with a fraction by default.
    pub epoch_millis: bool,
    pub ticketing: Ticketing,
    /// The instant generated dates are relative to; `None`: now.
    pub anchor: Option<DateTime<Utc>>,
    pub faults: Faults,
}

/// Misbehaviour injected into API calls, drawn from the seeded generator.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Faults {
    /// Probability of a 429.
    pub rate_limit_rate: f64,
    /// `Retry-After` seconds on every 429 (injected or from the window).
    pub retry_after_secs: u64,
    /// Probability of a 500 or 503.
    pub server_error_rate: f64,
    /// Added to every call, the token endpoint included.
    pub latency_ms: u64,
    /// The next this-many API calls answer 500 (deterministic, for retry tests).
    pub fail_next: u32,
    /// The next this-many API calls answer 429 (deterministic, for retry tests).
    pub throttle_next: u32,
}

impl Faults {
    pub fn none() -> Self {
        Self::default()
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            client_id: "sandbox-ninjaone-client-id".to_owned(),
            client_secret: "sandbox-ninjaone-client-secret".to_owned(),
            companies: CompanySeed::synthetic(40),
            platform_only_orgs: 5,
            devices_per_org: (2, 14),
            token_ttl_secs: 3_600,
            max_page_size: 1_000,
            rate_limit_per_minute: None,
            epoch_millis: false,
            ticketing: Ticketing::Enabled,
            anchor: None,
            faults: Faults::none(),
        }
    }
}

impl SandboxConfig {
    /// An instance aligned with `companies`.
    pub fn for_companies(seed: u64, companies: Vec<CompanySeed>) -> Self {
        Self {
            seed,
            platform_only_orgs: (companies.len() / 8).max(2),
            companies,
            ..Self::default()
        }
    }
}
