//! The runner's command line.

use clap::{Parser, ValueEnum};
use hubspot_sandbox::SandboxConfig;
use secrecy::SecretString;
use shared::domain::Platform;
use std::path::PathBuf;
use std::time::Duration;

/// Runs the whole Connected Insights pipeline in one process: the sync, score and api handlers of the
/// Lambda functions on an in-memory store and an in-process event bus, a scheduler tick, and a
/// generated HubSpot sandbox portal (or your real portal when HUBSPOT_ACCESS_TOKEN is set). Serves the
/// API and the dashboard on localhost.
#[derive(Debug, Parser)]
#[command(name = "connected-insights-local", version)]
pub struct Args {
    /// Port to serve the API and dashboard on (127.0.0.1 only); 0 picks a free port.
    #[arg(long, default_value_t = 3000)]
    pub port: u16,

    /// Size of the generated demo portal (small: 50 companies; medium: 200; large: 2,000).
    #[arg(long, value_enum, default_value_t = DemoSize::Medium)]
    pub demo_size: DemoSize,

    /// Number of companies in the demo portal (overrides --demo-size).
    #[arg(long)]
    pub companies: Option<usize>,
    /// Number of contacts in the demo portal (overrides --demo-size).
    #[arg(long)]
    pub contacts: Option<usize>,
    /// Number of deals in the demo portal (overrides --demo-size).
    #[arg(long)]
    pub deals: Option<usize>,
    /// Number of tickets in the demo portal (overrides --demo-size).
    #[arg(long)]
    pub tickets: Option<usize>,
    /// Number of engagements (calls, emails, meetings, notes, tasks) in the demo portal (overrides
    /// --demo-size).
    #[arg(long)]
    pub engagements: Option<usize>,

    /// Seed of the demo portal: the same seed generates the same portal.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// How often the scheduler syncs, e.g. 30s, 15m, 1h (at least 10s, at most 7 days).
    #[arg(long, default_value = "15m", value_parser = parse_interval)]
    pub sync_interval: Duration,

    /// Keep the data in this file, so a restart keeps scores, insights and their statuses. Its
    /// directory must exist.
    #[arg(long, value_name = "PATH", value_parser = parse_data_file)]
    pub data_file: Option<PathBuf>,

    /// A HubSpot private-app token: sync that real portal (https://api.hubapi.com) instead of the
    /// sandbox.
    #[arg(long, env = "HUBSPOT_ACCESS_TOKEN", hide_env_values = true, value_parser = parse_secret)]
    pub hubspot_access_token: Option<SecretString>,

    /// Accept JWTs of this OpenID Connect issuer instead of the development token, checked as API
    /// Gateway's JWT authorizer does (JWKS signature, issuer, audience, expiry); the dashboard signs in
    /// there. Needs --oidc-audience.
    #[arg(long, value_name = "URL", requires = "oidc_audience")]
    pub oidc_issuer: Option<String>,
    /// The accepted `aud` (or `client_id`) of those JWTs.
    #[arg(long, value_name = "ID", requires = "oidc_issuer")]
    pub oidc_audience: Option<String>,
    /// The dashboard's client id at the issuer (default: the audience).
    #[arg(long, value_name = "ID", requires = "oidc_issuer")]
    pub oidc_client_id: Option<String>,
    /// The claim that names the tenant.
    #[arg(long, value_name = "CLAIM", default_value = "tenant_id")]
    pub oidc_tenant_claim: String,
    /// The claim that names the caller's role (viewer, editor or admin; missing: viewer).
    #[arg(long, value_name = "CLAIM", default_value = "role")]
    pub oidc_role_claim: String,

    /// Start no PayPal simulator (by default the sandbox portal gets one beside it, whose payers
    /// line up with the portal's companies, and a PayPal connection to it).
    #[arg(long, conflicts_with = "paypal")]
    pub no_paypal: bool,
    /// Start the PayPal simulator with a real HubSpot portal too (it is off then by default; its
    /// made-up payers match none of the portal's companies).
    #[arg(long)]
    pub paypal: bool,
    /// Start no NinjaOne simulator (by default the sandbox portal gets one, whose organisations
    /// line up with the portal's companies, and a NinjaOne connection to it).
    #[arg(long, conflicts_with = "ninjaone")]
    pub no_ninjaone: bool,
    /// Start the NinjaOne simulator with a real HubSpot portal too.
    #[arg(long)]
    pub ninjaone: bool,
    /// Start no Pax8 simulator (by default the sandbox portal gets one, whose companies line up
    /// with the portal's, and a Pax8 connection to it).
    #[arg(long, conflicts_with = "pax8")]
    pub no_pax8: bool,
    /// Start the Pax8 simulator with a real HubSpot portal too.
    #[arg(long)]
    pub pax8: bool,
    /// Start no Microsoft 365 simulator (by default the sandbox portal gets one, with a customer
    /// tenant for most of the portal's companies, and a Microsoft 365 connection to it).
    #[arg(long, conflicts_with = "m365")]
    pub no_m365: bool,
    /// Start the Microsoft 365 simulator with a real HubSpot portal too.
    #[arg(long)]
    pub m365: bool,

    /// Show no per-object sync progress (bars on a terminal, one line per object type otherwise).
    #[arg(long)]
    pub no_progress: bool,

    /// Do not backfill history at first start. By default a tenant that was never scored gets its
    /// 90 past days scored, one per day, from the portal's dated activity (engagements, deals,
    /// tickets) before its first live scoring, so trends and "why it changed" have data at once.
    /// Alerts never fire for those days; a tenant kept in --data-file is backfilled only once.
    #[arg(long)]
    pub no_backfill: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DemoSize {
    Small,
    Medium,
    Large,
}

impl Args {
    /// The `--oidc-*` flags, when an issuer is given.
    pub fn oidc_settings(&self) -> Option<crate::jwt_check::OidcSettings> {
        let issuer = self.oidc_issuer.clone()?;
        let audience = self.oidc_audience.clone()?;
        Some(crate::jwt_check::OidcSettings {
            issuer,
            client_id: self
                .oidc_client_id
                .clone()
                .unwrap_or_else(|| audience.clone()),
            audience,
            tenant_claim: self.oidc_tenant_claim.clone(),
            role_claim: self.oidc_role_claim.clone(),
        })
    }

    /// Whether the simulator of `platform` runs: by default with the sandbox portal, only on
    /// `--<platform>` with a real portal, never with `--no-<platform>`.
    pub fn simulator_enabled(&self, platform: Platform) -> bool {
        let (off, on) = match platform {
            Platform::Paypal => (self.no_paypal, self.paypal),
            Platform::Ninjaone => (self.no_ninjaone, self.ninjaone),
            Platform::Pax8 => (self.no_pax8, self.pax8),
            Platform::M365 => (self.no_m365, self.m365),
            Platform::Hubspot => return false,
        };
        !off && (on || self.hubspot_access_token.is_none())
    }

    /// The sandbox portal these flags describe.
    pub fn sandbox_config(&self) -> SandboxConfig {
        let mut config = match self.demo_size {
            DemoSize::Small => SandboxConfig::small(self.seed),
            DemoSize::Medium => SandboxConfig::demo(self.seed),
            DemoSize::Large => SandboxConfig {
                companies: 2_000,
                contacts: 10_000,
                deals: 4_000,
                tickets: 1_500,
                engagements: 40_000,
                ..SandboxConfig::demo(self.seed)
            },
        };
        let overrides = [
            (&mut config.companies, self.companies),
            (&mut config.contacts, self.contacts),
            (&mut config.deals, self.deals),
            (&mut config.tickets, self.tickets),
            (&mut config.engagements, self.engagements),
        ];
        for (field, value) in overrides {
            if let Some(value) = value {
                *field = value;
            }
        }
        config
    }
}

const MIN_INTERVAL: Duration = Duration::from_secs(10);
/// Longer than anyone waits for a local sync, and far from the timer's overflow.
const MAX_INTERVAL: Duration = Duration::from_secs(7 * 24 * 3_600);

/// `90s`, `15m`, `2h` or a bare number of seconds, between [`MIN_INTERVAL`] and [`MAX_INTERVAL`].
fn parse_interval(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let (digits, unit_seconds) = match raw.char_indices().last() {
        Some((i, 's')) => (&raw[..i], 1),
        Some((i, 'm')) => (&raw[..i], 60),
        Some((i, 'h')) => (&raw[..i], 3_600),
        _ => (raw, 1),
    };
    let digits = digits.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{raw:?} is not a duration; write e.g. 30s, 15m or 1h"
        ));
    }
    let too_long = || {
        format!(
            "{raw} is too long; the interval must be at most {}h",
            MAX_INTERVAL.as_secs() / 3_600
        )
    };
    let seconds = digits
        .parse::<u64>()
        .ok()
        .and_then(|amount| amount.checked_mul(unit_seconds))
        .ok_or_else(too_long)?;
    let interval = Duration::from_secs(seconds);
    if interval < MIN_INTERVAL {
        return Err(format!(
            "{raw} is too short; the interval must be at least {}s",
            MIN_INTERVAL.as_secs()
        ));
    }
    if interval > MAX_INTERVAL {
        return Err(too_long());
    }
    Ok(interval)
}

/// The data file is written every few seconds: a path whose directory does not exist, or that is a
/// directory itself, would fail every save for the whole run, so it is refused at start.
fn parse_data_file(raw: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(raw);
    if raw.trim().is_empty() {
        return Err("the path is empty".to_owned());
    }
    if path.is_dir() {
        return Err(format!(
            "{} is a directory; name a file in it, e.g. {}",
            path.display(),
            path.join("insights.json").display()
        ));
    }
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !directory.is_dir() {
        return Err(format!(
            "the directory {} does not exist; create it first or choose another path",
            directory.display()
        ));
    }
    Ok(path)
}

fn parse_secret(raw: &str) -> Result<SecretString, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("the token is empty".to_owned());
    }
    Ok(SecretString::from(trimmed.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_take_seconds_minutes_and_hours() {
        assert_eq!(parse_interval("45s"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_interval("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_interval("2h"), Ok(Duration::from_secs(7_200)));
        assert_eq!(parse_interval("120"), Ok(Duration::from_secs(120)));
    }

    #[test]
    fn intervals_under_ten_seconds_or_malformed_are_refused() {
        assert!(parse_interval("5s").unwrap_err().contains("at least 10s"));
        assert!(parse_interval("soon")
            .unwrap_err()
            .contains("not a duration"));
        assert!(parse_interval("m").is_err());
    }

    #[test]
    fn intervals_too_long_for_the_timer_are_refused_not_wrapped() {
        for raw in [
            "10000000000000000000s",
            "99999999999999999999999s",
            "5124095576030432h",
            "8d",
        ] {
            let error = parse_interval(raw).unwrap_err();
            assert!(
                error.contains("too long") || error.contains("not a duration"),
                "{raw}: {error}"
            );
        }
        assert!(parse_interval("169h").unwrap_err().contains("at most 168h"));
        assert_eq!(parse_interval("168h"), Ok(MAX_INTERVAL));
    }

    #[test]
    fn a_data_file_needs_an_existing_directory_and_is_not_one() {
        let dir = std::env::temp_dir();
        let in_existing = dir.join("ci-local-cli-test.json");
        assert_eq!(
            parse_data_file(&in_existing.to_string_lossy()),
            Ok(in_existing)
        );
        assert_eq!(
            parse_data_file("local.json"),
            Ok(PathBuf::from("local.json"))
        );
        let missing = dir.join("ci-no-such-directory-4711").join("data.json");
        let error = parse_data_file(&missing.to_string_lossy()).unwrap_err();
        assert!(error.contains("does not exist"), "{error}");
        let error = parse_data_file(&dir.to_string_lossy()).unwrap_err();
        assert!(error.contains("is a directory"), "{error}");
    }

    #[test]
    fn size_flags_override_the_demo_size() {
        let args = Args::parse_from(["local", "--demo-size", "small", "--companies", "7"]);
        let config = args.sandbox_config();
        assert_eq!(config.companies, 7);
        assert_eq!(config.contacts, SandboxConfig::small(42).contacts);
    }

    #[test]
    fn every_simulator_runs_beside_the_sandbox_portal_unless_turned_off() {
        for platform in crate::sources::SIMULATED {
            let name = platform.as_str();
            let off = format!("--no-{name}");
            let on = format!("--{name}");
            assert!(Args::parse_from(["local"]).simulator_enabled(platform));
            let without = Args::parse_from(["local", off.as_str()]);
            assert!(!without.simulator_enabled(platform), "{off}");
            // Turning one off leaves the others on.
            for other in crate::sources::SIMULATED
                .into_iter()
                .filter(|p| *p != platform)
            {
                assert!(without.simulator_enabled(other), "{off} turned {other} off");
            }
            let real = ["local", "--hubspot-access-token", "pat-na1-x"];
            assert!(!Args::parse_from(real).simulator_enabled(platform));
            let mut asked = real.to_vec();
            asked.push(on.as_str());
            assert!(Args::parse_from(asked).simulator_enabled(platform), "{on}");
            assert!(Args::try_parse_from(["local", on.as_str(), off.as_str()]).is_err());
        }
        assert!(!Args::parse_from(["local"]).simulator_enabled(Platform::Hubspot));
    }

    #[test]
    fn a_bad_flag_names_the_problem() {
        let error = Args::try_parse_from(["local", "--demo-size", "huge"]).unwrap_err();
        assert!(error.to_string().contains("huge"), "{error}");
        let error = Args::try_parse_from(["local", "--port", "70000"]).unwrap_err();
        assert!(error.to_string().contains("70000"), "{error}");
    }
}
