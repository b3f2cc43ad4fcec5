//! NinjaOne's figures: devices and how many are long offline, open critical and major alerts, patch
//! and antivirus failures, and, where the tenant has NinjaOne ticketing, ticket volume and age.

use super::TREND_DAYS;
use crate::domain::{AccountSignals, AlertSeverity, ScoringSettings};
use crate::scoring::linked::{LinkedAccount, RecordMatch};
use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ItFeatures {
    /// The linked organisations' matches, best first.
    pub links: Vec<RecordMatch>,
    pub devices: u32,
    /// Devices offline for more than the tenant's `offline_device_days`.
    pub offline_long: u32,
    /// Open alerts (the platform lists active ones only).
    pub critical_alerts: u32,
    pub major_alerts: u32,
    /// Alerts raised in the last 30 days and in the 30 before.
    pub alerts_30d: u32,
    pub alerts_prior_30d: u32,
    /// Devices with OS patches that failed to install.
    pub patch_failures: u32,
    /// Devices with antivirus off, out of date or reporting threats.
    pub antivirus_problems: u32,
    /// Whether ticketing exists: without it the ticket figures are unknown, not zero.
    pub ticketing: bool,
    pub tickets_open: u32,
    pub tickets_open_high_priority: u32,
    pub tickets_30d: u32,
    pub tickets_prior_30d: u32,
    /// Days the oldest open ticket has been open.
    pub oldest_open_ticket_days: Option<f64>,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl ItFeatures {
    pub(super) fn derive(
        accounts: &[&LinkedAccount],
        links: Vec<RecordMatch>,
        settings: &ScoringSettings,
        now: DateTime<Utc>,
    ) -> Self {
        let offline_days = i64::from(settings.accounts.offline_device_days);
        let recent_start = now - Duration::days(TREND_DAYS);
        let prior_start = now - Duration::days(2 * TREND_DAYS);
        let in_recent = |at: DateTime<Utc>| at > recent_start && at <= now;
        let in_prior = |at: DateTime<Utc>| at > prior_start && at <= recent_start;
        let mut f = ItFeatures {
            links,
            ..ItFeatures::default()
        };
        for account in accounts {
            let AccountSignals::ItManagement(it) = &account.account.signals else {
                continue;
            };
            f.devices += count(it.devices.len());
            f.offline_long += count(
                it.devices
                    .iter()
                    .filter(|d| d.offline_longer_than(offline_days, now))
                    .count(),
            );
            f.patch_failures += count(it.devices.iter().filter(|d| d.failed_patches > 0).count());
            f.antivirus_problems +=
                count(it.devices.iter().filter(|d| d.antivirus_problem).count());
            let severity =
                |s: AlertSeverity| count(it.alerts.iter().filter(|a| a.severity == s).count());
            f.critical_alerts += severity(AlertSeverity::Critical);
            f.major_alerts += severity(AlertSeverity::Major);
            f.alerts_30d += count(it.alerts.iter().filter(|a| in_recent(a.created_at)).count());
            f.alerts_prior_30d +=
                count(it.alerts.iter().filter(|a| in_prior(a.created_at)).count());
            if !it.ticketing {
                continue;
            }
            f.ticketing = true;
            for ticket in &it.tickets {
                if ticket.open {
                    f.tickets_open += 1;
                    f.tickets_open_high_priority += u32::from(ticket.high_priority);
                    let age = (now - ticket.created_at).num_seconds().max(0) as f64 / 86_400.0;
                    f.oldest_open_ticket_days =
                        Some(f.oldest_open_ticket_days.map_or(age, |o| o.max(age)));
                }
                f.tickets_30d += u32::from(in_recent(ticket.created_at));
                f.tickets_prior_30d += u32::from(in_prior(ticket.created_at));
            }
        }
        f
    }

    /// The share of devices long offline; `None` without devices.
    pub fn offline_share(&self) -> Option<f64> {
        (self.devices > 0).then(|| f64::from(self.offline_long) / f64::from(self.devices))
    }

    /// Alerts and tickets raised in the last 30 days, and in the 30 before: the support load.
    pub fn load_30d(&self) -> (u32, u32) {
        (
            self.alerts_30d + self.tickets_30d,
            self.alerts_prior_30d + self.tickets_prior_30d,
        )
    }
}
