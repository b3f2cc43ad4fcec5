//! The generated tenants and the rules that give each day's activity.

use chrono::{Datelike, NaiveDate, Weekday};

/// What a tenant's numbers tell, so scoring has something to say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TenantStory {
    /// Most licences assigned, most users active.
    Healthy,
    /// Every licence assigned and used.
    FullyUsed,
    /// Paying for many licences nobody is assigned or uses.
    Shelfware,
    /// Email and Teams activity falling over the last 30 days.
    Declining,
    /// Activity rising over the last 30 days.
    Growing,
    /// A subscription expired (warning units) and one cancelled (suspended units).
    PaymentTrouble,
}

/// The apps `getM365AppUserDetail` reports, by their JSON property names.
pub const APPS: [&str; 6] = ["outlook", "word", "excel", "powerPoint", "oneNote", "teams"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkuModel {
    pub sku_id: String,
    pub part_number: String,
    /// `capabilityStatus`: Enabled, Warning, Suspended, Deleted, LockedOut.
    pub capability_status: String,
    pub enabled: u32,
    pub warning: u32,
    pub suspended: u32,
    pub consumed: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceModel {
    pub id: String,
    pub device_name: String,
    /// As Intune reports it: sometimes lower case, sometimes a placeholder or empty.
    pub serial_number: String,
}

/// One user of `getM365AppUserDetail`: an index (the name is made at answer time) and the apps
/// they used in the last 30 days (none: inactive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppUser {
    pub index: u32,
    pub apps: [bool; 6],
}

#[derive(Clone, Debug, PartialEq)]
pub struct TenantModel {
    pub tenant_id: String,
    pub hubspot_id: Option<String>,
    pub display_name: String,
    /// Custom verified domains (the company's own); the initial one is separate.
    pub domains: Vec<String>,
    /// `<name>.onmicrosoft.com`.
    pub initial_domain: String,
    pub concealed_names: bool,
    pub story: TenantStory,
    pub skus: Vec<SkuModel>,
    pub devices: Vec<DeviceModel>,
    pub app_users: Vec<AppUser>,
    /// Seats the daily activity is a share of.
    pub licensed_users: u32,
    pub teams_share: f64,
    pub noise_seed: u64,
}

/// One day's counts as the count reports give them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DailyCounts {
    /// `getOffice365ActiveUserCounts` "Office 365": users active in any workload.
    pub active_users: u32,
    /// `getOffice365ActiveUserCounts` "Exchange".
    pub exchange_active: u32,
    /// `getOffice365ActiveUserCounts` "Teams".
    pub teams_active: u32,
    /// `getEmailActivityUserCounts` "Send" / "Receive" / "Read".
    pub email_send: u32,
    pub email_receive: u32,
    pub email_read: u32,
    /// `getTeamsUserActivityUserCounts` "Team Chat Messages" / "Private Chat Messages" / "Calls" /
    /// "Meetings".
    pub teams_chat: u32,
    pub teams_private_chat: u32,
    pub teams_calls: u32,
    pub teams_meetings: u32,
}

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// A number in `[0, 1)` fixed by the seed and the day.
fn unit(seed: u64, day: i64) -> f64 {
    (mix(seed ^ (day as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)) >> 11) as f64
        / (1u64 << 53) as f64
}

impl TenantModel {
    /// The share of licensed users active on a day `days_ago` before the story's pivot (today).
    fn activity_level(&self, days_ago: i64) -> f64 {
        let back = (days_ago as f64 / 30.0).clamp(0.0, 1.0);
        match self.story {
            TenantStory::FullyUsed => 0.92,
            TenantStory::Healthy => 0.78,
            TenantStory::Shelfware => 0.85,
            TenantStory::PaymentTrouble => 0.6,
            // 35% today, 85% thirty days ago and before.
            TenantStory::Declining => 0.35 + 0.5 * back,
            TenantStory::Growing => 0.85 - 0.4 * back,
        }
    }

    /// The counts of `date`, as the reports give them when `today` is the simulator's date.
    pub fn daily(&self, date: NaiveDate, today: NaiveDate) -> DailyCounts {
        let days_ago = (today - date).num_days().max(0);
        let weekday = match date.weekday() {
            Weekday::Sat | Weekday::Sun => 0.3,
            _ => 1.0,
        };
        let day = date.num_days_from_ce() as i64;
        let noise = 0.9 + 0.2 * unit(self.noise_seed, day);
        let active = (self.licensed_users as f64 * self.activity_level(days_ago) * weekday * noise)
            .round()
            .min(self.licensed_users as f64) as u32;
        let share = |f: f64| (active as f64 * f).round() as u32;
        let teams_share = match self.story {
            // Teams falls faster than the rest.
            TenantStory::Declining => self.teams_share * self.activity_level(days_ago),
            _ => self.teams_share,
        };
        let teams = share(teams_share);
        DailyCounts {
            active_users: active,
            exchange_active: share(0.95),
            teams_active: teams,
            email_send: share(0.7),
            email_receive: share(0.95),
            email_read: share(0.9),
            teams_chat: (teams as f64 * 0.6).round() as u32,
            teams_private_chat: (teams as f64 * 0.9).round() as u32,
            teams_calls: (teams as f64 * 0.3).round() as u32,
            teams_meetings: (teams as f64 * 0.5).round() as u32,
        }
    }

    /// A user's name as reports show it: a hash when the tenant conceals names.
    pub fn user_principal_name(&self, index: u32) -> String {
        if self.concealed_names {
            format!(
                "{:016X}{:016X}",
                mix(self.noise_seed ^ index as u64),
                mix(!self.noise_seed ^ index as u64)
            )
        } else {
            let domain = self.domains.first().unwrap_or(&self.initial_domain);
            format!("user{index}@{domain}")
        }
    }
}
