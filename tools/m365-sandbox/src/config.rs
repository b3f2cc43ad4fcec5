//! How a sandbox set of Microsoft 365 customer tenants is shaped and how Microsoft Graph misbehaves.

use std::time::Duration;

/// A CRM company the generated tenants line up with (the HubSpot sandbox's companies, or any list).
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

    /// `count` made-up companies (ids from 1001), the same list the other sandboxes make.
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

/// Microsoft Graph's documented limits (throttling-limits.md, "Reports service limits" and the global
/// limit). Settings, so a test can tighten them.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// CSV report requests per app per tenant in `report_window` (documented: 14 per 10 minutes).
    pub reports_per_app_per_tenant: usize,
    /// Report requests per tenant for all apps in `report_window` (documented: 40). One app calls
    /// this sandbox, so it only binds when set below the per-app limit.
    pub reports_per_tenant: usize,
    pub report_window: Duration,
    /// Requests per second per app across all tenants (documented: 2000).
    pub global_per_second: usize,
    /// Rows per page of `getM365AppUserDetail` in JSON (documented: 200).
    pub app_detail_page_size: usize,
    /// Devices per page of `managedDevices` (Graph's page size for Intune lists is not documented
    /// per resource: an assumption, default 100).
    pub devices_page_size: usize,
    /// How long a report download URL stays valid ("a few minutes": 5 assumed).
    pub download_valid_for: Duration,
    /// `expires_in` of issued tokens (documented example: 3599).
    pub token_lifetime: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            reports_per_app_per_tenant: 14,
            reports_per_tenant: 40,
            report_window: Duration::from_secs(600),
            global_per_second: 2000,
            app_detail_page_size: 200,
            devices_page_size: 100,
            download_valid_for: Duration::from_secs(300),
            token_lifetime: Duration::from_secs(3599),
        }
    }
}

/// Failures a test switches on (`Sandbox::set_faults`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Every answer waits this long first (slow answers).
    pub latency: Duration,
    /// The next N Graph requests answer 503 with `Retry-After`.
    pub unavailable_next: u32,
    /// The next N Graph requests answer 429 `TooManyRequests` with `Retry-After`, whatever the limits.
    pub throttle_next: u32,
    /// `Retry-After` (seconds) of injected 429s and 503s.
    pub retry_after_secs: u64,
    /// Tokens stop working after this long though `expires_in` says 3599 (early expiry): Graph
    /// answers 401 `InvalidAuthenticationToken`.
    pub token_valid_for: Option<Duration>,
}

impl Faults {
    pub fn none() -> Self {
        Faults::default()
    }
}

/// Everything that shapes the sandbox: the generated tenants, the limits and the faults.
#[derive(Clone, Debug, PartialEq)]
pub struct SandboxConfig {
    /// The same seed and companies give the same tenants.
    pub seed: u64,
    /// The multi-tenant app's id (`client_id`) and secret.
    pub client_id: String,
    pub client_secret: String,
    pub companies: Vec<CompanySeed>,
    /// Tenants no CRM company owns (a customer the MSP never recorded).
    pub extra_tenants: usize,
    pub limits: Limits,
    pub faults: Faults,
}

impl SandboxConfig {
    pub fn for_companies(seed: u64, companies: Vec<CompanySeed>) -> Self {
        let extra_tenants = (companies.len() / 10).max(1);
        SandboxConfig {
            seed,
            client_id: "6731de76-14a6-49ae-97bc-6eba6914391e".to_owned(),
            client_secret: format!("sandbox~secret.{seed:016x}"),
            companies,
            extra_tenants,
            limits: Limits::default(),
            faults: Faults::none(),
        }
    }
}
