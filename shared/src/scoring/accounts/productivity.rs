//! Microsoft 365's figures: licences bought (enabled) and assigned (consumed), users active in 30
//! days, and the mailbox, Teams and active-user trends of the daily reports.

use super::TREND_DAYS;
use crate::domain::{AccountSignals, DailyActivity, LicencePool};
use crate::scoring::linked::{LinkedAccount, RecordMatch};
use chrono::Duration;

/// Licence pools this large are Microsoft's free or viral offers (Power Automate Free, Teams
/// Exploratory: 10,000 units), not seats anyone bought.
pub const FREE_POOL_UNITS: u32 = 10_000;
/// Days of data each half of a trend needs to count.
pub const MIN_TREND_DAYS: usize = 7;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProductivityFeatures {
    /// The linked tenants' matches, best first.
    pub links: Vec<RecordMatch>,
    /// Licences bought and usable (`prepaidUnits.enabled`), free and trial pools left out.
    pub licences_enabled: u32,
    /// Licences assigned to users (`consumedUnits`) in the same pools.
    pub licences_consumed: u32,
    /// Users active in any workload in the last 30 days, when the reports were read.
    pub active_users_30d: Option<u32>,
    /// Changes, last 30 days of the reports against the 30 before, as shares (-0.4 is 40% less):
    /// daily active users, emails sent and received, Teams active users.
    pub active_users_change: Option<f64>,
    pub mail_change: Option<f64>,
    pub teams_change: Option<f64>,
}

/// A pool of seats someone bought: not a free or trial offer.
fn is_bought(pool: &LicencePool) -> bool {
    let sku = pool.sku.to_ascii_uppercase();
    pool.enabled < FREE_POOL_UNITS && !sku.contains("FREE") && !sku.contains("TRIAL")
}

/// The change of the mean of `value` over the last 30 days of `daily` against the 30 before, each
/// half needing `MIN_TREND_DAYS` days with a value. Relative to the last reported day, not to now:
/// the reports lag by a few days.
fn trend(daily: &[&DailyActivity], value: impl Fn(&DailyActivity) -> Option<f64>) -> Option<f64> {
    let last = daily.iter().map(|d| d.date).max()?;
    let recent_start = last - Duration::days(TREND_DAYS);
    let prior_start = last - Duration::days(2 * TREND_DAYS);
    let mut recent: Vec<f64> = Vec::new();
    let mut prior: Vec<f64> = Vec::new();
    for day in daily {
        let Some(v) = value(day) else { continue };
        if day.date > recent_start {
            recent.push(v);
        } else if day.date > prior_start {
            prior.push(v);
        }
    }
    if recent.len() < MIN_TREND_DAYS || prior.len() < MIN_TREND_DAYS {
        return None;
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    super::change(mean(&recent), mean(&prior))
}

impl ProductivityFeatures {
    pub(super) fn derive(accounts: &[&LinkedAccount], links: Vec<RecordMatch>) -> Self {
        let mut f = ProductivityFeatures {
            links,
            ..ProductivityFeatures::default()
        };
        let mut daily: Vec<&DailyActivity> = Vec::new();
        for account in accounts {
            let AccountSignals::Productivity(p) = &account.account.signals else {
                continue;
            };
            for pool in p.licences.iter().filter(|p| is_bought(p)) {
                f.licences_enabled = f.licences_enabled.saturating_add(pool.enabled);
                f.licences_consumed = f.licences_consumed.saturating_add(pool.consumed);
            }
            if let Some(active) = p.active_users_30d {
                f.active_users_30d = Some(f.active_users_30d.unwrap_or(0).saturating_add(active));
            }
            daily.extend(&p.daily);
        }
        // Several tenants' days are compared as one series of means (their sum is what matters,
        // and each has the same days).
        f.active_users_change = trend(&daily, |d| d.active_users.map(f64::from));
        f.mail_change = trend(&daily, |d| match (d.emails_sent, d.emails_received) {
            (None, None) => None,
            (sent, received) => Some((sent.unwrap_or(0) + received.unwrap_or(0)) as f64),
        });
        f.teams_change = trend(&daily, |d| d.teams_active_users.map(f64::from));
        f
    }

    /// Bought licences nobody is assigned.
    pub fn unassigned_licences(&self) -> u32 {
        self.licences_enabled.saturating_sub(self.licences_consumed)
    }

    /// Active users per assigned licence (at most 1); `None` without assigned licences or reports.
    pub fn active_share(&self) -> Option<f64> {
        let active = self.active_users_30d?;
        (self.licences_consumed > 0)
            .then(|| (f64::from(active) / f64::from(self.licences_consumed)).min(1.0))
    }

    /// The steepest fall among the activity trends (as a positive share), when any is known.
    pub fn activity_fall(&self) -> Option<f64> {
        [
            self.active_users_change,
            self.mail_change,
            self.teams_change,
        ]
        .into_iter()
        .flatten()
        .map(|c| -c)
        .reduce(f64::max)
    }
}
