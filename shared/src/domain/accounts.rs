//! What an account-like platform tells about one of the MSP's clients, normalised and independent of
//! the platform's wire format: a NinjaOne organisation (devices, alerts, tickets), a Pax8 company
//! (cloud subscriptions) or a Microsoft 365 customer tenant (licences and usage). Like a payer
//! record, an account is matched to a client through a correlation; scoring reads the accounts
//! linked to a client.
//!
//! # How a record stays current
//! These platforms offer current state, not a change feed (SOURCES.md §2-4): a walk re-reads it.
//! A walk's steps hold partial views (one page of devices spans several organisations), which the
//! sync merges into the stored record ([`AccountRecord::merge`], rows upserted by id). The sync
//! stamps every row of a step with the time it saw it ([`AccountRecord::stamp_seen`]); when a walk
//! completes, rows it did not see are gone from the platform ([`AccountRecord::sweep`]: a resolved
//! alert, a removed device, a deleted subscription) and an account it did not see at all is removed.
//! Daily activity is history, not state: it is kept (up to [`DAILY_HISTORY_DAYS`]) and never swept.

use crate::domain::{ConnectionId, Platform};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Days of daily activity an account keeps (Microsoft's reports reach back 180 days).
pub const DAILY_HISTORY_DAYS: i64 = 180;
/// Device serials an account keeps for matching, at most.
pub const MAX_DEVICE_SERIALS: usize = 5_000;

/// One account of an account-like connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountRecord {
    pub connection_id: ConnectionId,
    pub platform: Platform,
    /// The platform's stable id: NinjaOne organisation id, Pax8 company id (UUID), Microsoft 365
    /// tenant id (GUID).
    pub external_id: String,
    /// The name the account goes by on the platform.
    pub name: String,
    #[serde(default)]
    pub identity: AccountIdentity,
    pub signals: AccountSignals,
    /// When a sync last saw the account (stamped by the sync, not the source).
    pub seen_at: DateTime<Utc>,
    /// When the platform last changed the account, when it says; else when it was first seen.
    pub updated_at: DateTime<Utc>,
}

/// What matching can use: every field is optional evidence, filled as the platform allows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountIdentity {
    /// The account's website, a URL or a host (Pax8 `website`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// Domains the platform verified as the account's own, `*.onmicrosoft.com` initial domains left
    /// out (Microsoft 365 `verifiedDomains`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verified_domains: Vec<String>,
    /// Lower-cased domains of the account's contacts' or end users' emails, most common first
    /// (never the addresses themselves).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub email_domains: Vec<String>,
    /// Values that may hold the client's CRM id: Pax8 `externalId`, a NinjaOne custom field or tag.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_ids: Vec<String>,
    /// Upper-cased hardware serials of the account's devices, placeholders ("To Be Filled By
    /// O.E.M.", "0123456789", "Default string") left out: NinjaOne devices, Intune managed devices.
    /// A step holding any replaces the stored list (each source reads an account's serials whole).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_serials: Vec<String>,
}

/// The platform's signals, one shape per kind of platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AccountSignals {
    /// NinjaOne: devices, alerts and tickets of an organisation.
    ItManagement(ItManagement),
    /// Pax8: a company's cloud subscriptions.
    CloudSubscriptions(CloudSubscriptions),
    /// Microsoft 365: a customer tenant's licences and activity.
    Productivity(Productivity),
}

impl AccountSignals {
    fn kind(&self) -> &'static str {
        match self {
            AccountSignals::ItManagement(_) => "it_management",
            AccountSignals::CloudSubscriptions(_) => "cloud_subscriptions",
            AccountSignals::Productivity(_) => "productivity",
        }
    }
}

// ---- NinjaOne -------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItManagement {
    #[serde(default)]
    pub devices: Vec<ManagedDevice>,
    /// Active alerts only: the platform lists no others.
    #[serde(default)]
    pub alerts: Vec<DeviceAlert>,
    /// Tickets created in the scoring window or still open.
    #[serde(default)]
    pub tickets: Vec<SupportTicket>,
    /// Whether the platform has ticketing for this tenant: `false` means ticket signals are unknown,
    /// not zero.
    #[serde(default)]
    pub ticketing: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceHealth {
    Healthy,
    NeedsAttention,
    Unhealthy,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagedDevice {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// The platform says the device is offline now.
    pub offline: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_contact: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<DeviceHealth>,
    /// OS patches that failed to install (the device-health query's `failedOSPatchesCount`).
    #[serde(default)]
    pub failed_patches: u32,
    /// Antivirus off, out of date or reporting active threats.
    #[serde(default)]
    pub antivirus_problem: bool,
    pub seen_at: DateTime<Utc>,
}

impl ManagedDevice {
    /// Offline for more than `days` at `now` (offline with no last contact counts as long offline).
    pub fn offline_longer_than(&self, days: i64, now: DateTime<Utc>) -> bool {
        self.offline
            && self
                .last_contact
                .is_none_or(|at| now - at > Duration::days(days))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertSeverity {
    Critical,
    Major,
    Moderate,
    Minor,
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceAlert {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    pub severity: AlertSeverity,
    pub created_at: DateTime<Utc>,
    pub seen_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupportTicket {
    pub id: String,
    pub open: bool,
    /// Urgent or high on the platform's scale.
    #[serde(default)]
    pub high_priority: bool,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    pub seen_at: DateTime<Utc>,
}

// ---- Pax8 -----------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CloudSubscriptions {
    #[serde(default)]
    pub subscriptions: Vec<CloudSubscription>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloudSubscriptionStatus {
    Active,
    Trial,
    /// Being provisioned or waiting for details (Pax8 Pending*, WaitingForDetails, PendingActivation).
    Pending,
    /// Cancellation requested, not yet done (Pax8 PendingCancel).
    PendingCancel,
    Cancelled,
    /// Any other status the platform adds; never counted as active.
    Other,
}

impl CloudSubscriptionStatus {
    /// Whether seats are being paid for.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            CloudSubscriptionStatus::Active | CloudSubscriptionStatus::PendingCancel
        )
    }
}

/// A quantity the subscription had from `at` on (Pax8 `/subscriptions/{id}/history`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantityChange {
    pub at: DateTime<Utc>,
    pub quantity: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudSubscription {
    pub id: String,
    pub product_id: String,
    pub product_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    pub quantity: f64,
    pub status: CloudSubscriptionStatus,
    /// Monthly, Annual, ... as the platform names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_term: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
    /// Price per unit per billing period, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Past quantities, oldest first (empty when the history was not read: a merge then keeps the
    /// stored history).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quantity_history: Vec<QuantityChange>,
    pub seen_at: DateTime<Utc>,
}

impl CloudSubscription {
    /// The quantity the subscription had at `at`: the last change at or before it, else (before
    /// its first recorded change) the first recorded quantity, else today's.
    pub fn quantity_at(&self, at: DateTime<Utc>) -> f64 {
        self.quantity_history
            .iter()
            .rev()
            .find(|change| change.at <= at)
            .or(self.quantity_history.first())
            .map_or(self.quantity, |change| change.quantity)
    }
}

// ---- Microsoft 365 --------------------------------------------------------------------------

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Productivity {
    /// `subscribedSkus`: licences bought against assigned.
    #[serde(default)]
    pub licences: Vec<LicencePool>,
    /// Daily counts from the usage reports, by date ascending (history: merged, never swept).
    #[serde(default)]
    pub daily: Vec<DailyActivity>,
    /// Users active in any workload in the last 30 days, as of `reports_as_of`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_users_30d: Option<u32>,
    /// Apps in use (`outlook`, `word`, `teams`, ...) and how many users used each in 30 days.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub apps_in_use: BTreeMap<String, u32>,
    /// The tenant conceals user names in reports (`displayConcealedNames`): only counts were read.
    #[serde(default)]
    pub names_concealed: bool,
    /// The report refresh date of the last reports read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reports_as_of: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LicencePool {
    /// `skuId`.
    pub id: String,
    /// `skuPartNumber` (`SPE_E3`).
    pub sku: String,
    /// `capabilityStatus` (Enabled, Warning, Suspended, LockedOut, ...).
    pub status: String,
    /// `prepaidUnits.enabled`: seats bought and usable.
    pub enabled: u32,
    /// `prepaidUnits.warning`: expired, in grace.
    #[serde(default)]
    pub warning: u32,
    /// `prepaidUnits.suspended`: cancelled, reactivatable.
    #[serde(default)]
    pub suspended: u32,
    /// `consumedUnits`: seats assigned to users.
    pub consumed: u32,
    pub seen_at: DateTime<Utc>,
}

/// One day of a tenant's activity, from the count reports (which work when names are concealed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DailyActivity {
    pub date: NaiveDate,
    /// Users active in any workload that day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_users: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emails_sent: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emails_received: Option<u64>,
    /// Users active in Teams that day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams_active_users: Option<u32>,
}

// ---- merging and sweeping ---------------------------------------------------------------------

/// A row of current state: upserted by id, stamped when seen, swept when a walk no longer sees it.
trait StateRow {
    fn row_id(&self) -> &str;
    fn seen_at_mut(&mut self) -> &mut DateTime<Utc>;
}

macro_rules! state_row {
    ($($row:ty),*) => {$(
        impl StateRow for $row {
            fn row_id(&self) -> &str {
                &self.id
            }
            fn seen_at_mut(&mut self) -> &mut DateTime<Utc> {
                &mut self.seen_at
            }
        }
    )*};
}
state_row!(
    ManagedDevice,
    DeviceAlert,
    SupportTicket,
    CloudSubscription,
    LicencePool
);

fn upsert<T: StateRow>(old: &mut Vec<T>, new: Vec<T>) {
    for row in new {
        match old.iter().position(|o| o.row_id() == row.row_id()) {
            Some(at) => old[at] = row,
            None => old.push(row),
        }
    }
}

fn stamp<T: StateRow>(rows: &mut [T], at: DateTime<Utc>) {
    for row in rows {
        *row.seen_at_mut() = at;
    }
}

fn sweep_rows<T: StateRow>(rows: &mut Vec<T>, walk_started_at: DateTime<Utc>) {
    rows.retain_mut(|row| *row.seen_at_mut() >= walk_started_at);
}

fn union(old: &mut Vec<String>, new: Vec<String>) {
    for value in new {
        if !old.contains(&value) {
            old.push(value);
        }
    }
}

impl AccountRecord {
    /// Stamps the account and every state row it holds as seen at `at` (the sync calls this on each
    /// step's records before merging them).
    pub fn stamp_seen(&mut self, at: DateTime<Utc>) {
        self.seen_at = at;
        match &mut self.signals {
            AccountSignals::ItManagement(it) => {
                stamp(&mut it.devices, at);
                stamp(&mut it.alerts, at);
                stamp(&mut it.tickets, at);
            }
            AccountSignals::CloudSubscriptions(subs) => stamp(&mut subs.subscriptions, at),
            AccountSignals::Productivity(p) => stamp(&mut p.licences, at),
        }
    }

    /// Folds a newer partial view of the same account into this one: the name and website take the
    /// newer non-empty value, verified domains and serials are replaced by a non-empty newer list,
    /// email domains and references are unioned, state rows upserted by id (the newer row wins),
    /// daily activity upserted by date. Merging the same step twice changes nothing.
    pub fn merge(&mut self, newer: AccountRecord) {
        if !newer.name.trim().is_empty() {
            self.name = newer.name;
        }
        let identity = newer.identity;
        if identity.website.is_some() {
            self.identity.website = identity.website;
        }
        if !identity.verified_domains.is_empty() {
            self.identity.verified_domains = identity.verified_domains;
        }
        if !identity.device_serials.is_empty() {
            self.identity.device_serials = identity.device_serials;
            self.identity.device_serials.truncate(MAX_DEVICE_SERIALS);
        }
        union(&mut self.identity.email_domains, identity.email_domains);
        union(&mut self.identity.reference_ids, identity.reference_ids);
        match (&mut self.signals, newer.signals) {
            (AccountSignals::ItManagement(old), AccountSignals::ItManagement(new)) => {
                upsert(&mut old.devices, new.devices);
                upsert(&mut old.alerts, new.alerts);
                upsert(&mut old.tickets, new.tickets);
                old.ticketing |= new.ticketing;
            }
            (AccountSignals::CloudSubscriptions(old), AccountSignals::CloudSubscriptions(new)) => {
                let mut rows = new.subscriptions;
                // A row read without its history (empty: "not read") keeps the stored history: a
                // walk reads `/history` only for subscriptions that changed.
                for row in rows.iter_mut().filter(|r| r.quantity_history.is_empty()) {
                    if let Some(stored) = old.subscriptions.iter().find(|o| o.id == row.id) {
                        row.quantity_history = stored.quantity_history.clone();
                    }
                }
                upsert(&mut old.subscriptions, rows);
            }
            (AccountSignals::Productivity(old), AccountSignals::Productivity(new)) => {
                upsert(&mut old.licences, new.licences);
                for day in new.daily {
                    match old.daily.iter().position(|d| d.date == day.date) {
                        Some(at) => old.daily[at] = day,
                        None => old.daily.push(day),
                    }
                }
                old.daily.sort_by_key(|d| d.date);
                if let Some(last) = old.daily.last().map(|d| d.date) {
                    let first_kept = last - Duration::days(DAILY_HISTORY_DAYS - 1);
                    old.daily.retain(|d| d.date >= first_kept);
                }
                if new.active_users_30d.is_some() {
                    old.active_users_30d = new.active_users_30d;
                }
                if !new.apps_in_use.is_empty() {
                    old.apps_in_use = new.apps_in_use;
                }
                if new.reports_as_of.is_some() {
                    old.names_concealed = new.names_concealed;
                    old.reports_as_of = new.reports_as_of;
                }
            }
            (old, new) => {
                // A platform does not change kind; a record that did is replaced, not mixed.
                tracing::warn!(
                    from = old.kind(),
                    to = new.kind(),
                    "an account changed its kind of signals; replaced"
                );
                *old = new;
            }
        }
        self.seen_at = self.seen_at.max(newer.seen_at);
        self.updated_at = self.updated_at.max(newer.updated_at);
    }

    /// Drops the state rows a completed walk that started at `walk_started_at` did not see: the
    /// platform no longer has them. Returns whether anything was dropped.
    pub fn sweep(&mut self, walk_started_at: DateTime<Utc>) -> bool {
        let before = self.clone();
        match &mut self.signals {
            AccountSignals::ItManagement(it) => {
                sweep_rows(&mut it.devices, walk_started_at);
                sweep_rows(&mut it.alerts, walk_started_at);
                sweep_rows(&mut it.tickets, walk_started_at);
            }
            AccountSignals::CloudSubscriptions(subs) => {
                sweep_rows(&mut subs.subscriptions, walk_started_at)
            }
            AccountSignals::Productivity(p) => sweep_rows(&mut p.licences, walk_started_at),
        }
        *self != before
    }

    /// Whether a completed walk that started at `walk_started_at` saw this account at all.
    pub fn seen_since(&self, walk_started_at: DateTime<Utc>) -> bool {
        self.seen_at >= walk_started_at
    }

    /// Every device serial the account is known by: its identity's and its devices'.
    pub fn device_serials(&self) -> Vec<String> {
        let mut serials = self.identity.device_serials.clone();
        if let AccountSignals::ItManagement(it) = &self.signals {
            union(
                &mut serials,
                it.devices.iter().filter_map(|d| d.serial.clone()).collect(),
            );
        }
        serials.truncate(MAX_DEVICE_SERIALS);
        serials
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, hour, 0, 0).unwrap()
    }

    fn device(id: &str, serial: &str) -> ManagedDevice {
        ManagedDevice {
            id: id.into(),
            serial: Some(serial.into()),
            offline: false,
            last_contact: None,
            health: None,
            failed_patches: 0,
            antivirus_problem: false,
            seen_at: at(0),
        }
    }

    fn org(devices: Vec<ManagedDevice>) -> AccountRecord {
        AccountRecord {
            connection_id: ConnectionId::parse("ninjaone-1").unwrap(),
            platform: Platform::Ninjaone,
            external_id: "7".into(),
            name: "Acme".into(),
            identity: AccountIdentity::default(),
            signals: AccountSignals::ItManagement(ItManagement {
                devices,
                ..ItManagement::default()
            }),
            seen_at: at(0),
            updated_at: at(0),
        }
    }

    #[test]
    fn a_walk_merges_steps_and_sweeps_what_it_did_not_see() {
        let mut stored = org(vec![device("1", "A"), device("2", "B")]);
        stored.stamp_seen(at(1));
        // The next walk starts at 2 and sees device 1 again, in two steps, and device 3.
        let mut step = org(vec![device("1", "A2")]);
        step.stamp_seen(at(3));
        stored.merge(step.clone());
        stored.merge(step);
        let mut step = org(vec![device("3", "C")]);
        step.stamp_seen(at(4));
        stored.merge(step);
        assert!(stored.sweep(at(2)));
        let AccountSignals::ItManagement(it) = &stored.signals else {
            panic!("kind changed");
        };
        let ids: Vec<&str> = it.devices.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["1", "3"]);
        assert_eq!(stored.device_serials(), ["A2", "C"]);
        assert!(stored.seen_since(at(2)));
        assert!(!stored.sweep(at(2)), "a second sweep drops nothing");
    }

    #[test]
    fn daily_activity_is_history_kept_for_180_days() {
        let record = |days: Vec<DailyActivity>| AccountRecord {
            signals: AccountSignals::Productivity(Productivity {
                daily: days,
                ..Productivity::default()
            }),
            ..org(Vec::new())
        };
        let day = |offset: i64, users: u32| DailyActivity {
            date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(offset),
            active_users: Some(users),
            ..DailyActivity::default()
        };
        let mut stored = record(vec![day(0, 5), day(1, 6)]);
        stored.merge(record(vec![day(1, 7), day(200, 9)]));
        assert!(!stored.sweep(at(23)), "history is never swept");
        let AccountSignals::Productivity(p) = &stored.signals else {
            panic!("kind changed");
        };
        let kept: Vec<(i64, Option<u32>)> = p
            .daily
            .iter()
            .map(|d| ((d.date - day(0, 0).date).num_days(), d.active_users))
            .collect();
        assert_eq!(kept, [(200, Some(9))]);
    }

    #[test]
    fn quantity_at_reads_the_history() {
        let subscription = CloudSubscription {
            id: "s".into(),
            product_id: "p".into(),
            product_name: "Microsoft 365 Business Premium".into(),
            vendor: None,
            quantity: 8.0,
            status: CloudSubscriptionStatus::Active,
            billing_term: None,
            start_date: None,
            end_date: None,
            unit_price: None,
            updated_at: None,
            quantity_history: vec![
                QuantityChange {
                    at: at(2),
                    quantity: 10.0,
                },
                QuantityChange {
                    at: at(5),
                    quantity: 8.0,
                },
            ],
            seen_at: at(6),
        };
        assert_eq!(subscription.quantity_at(at(1)), 10.0);
        // A newer row read without its history keeps the stored one.
        let record = |rows: Vec<CloudSubscription>| AccountRecord {
            signals: AccountSignals::CloudSubscriptions(CloudSubscriptions {
                subscriptions: rows,
            }),
            ..org(Vec::new())
        };
        let mut stored = record(vec![subscription.clone()]);
        stored.merge(record(vec![CloudSubscription {
            quantity: 9.0,
            quantity_history: Vec::new(),
            ..subscription.clone()
        }]));
        let AccountSignals::CloudSubscriptions(subs) = &stored.signals else {
            panic!("kind changed");
        };
        assert_eq!(subs.subscriptions[0].quantity, 9.0);
        assert_eq!(subs.subscriptions[0].quantity_history.len(), 2);
        assert_eq!(subscription.quantity_at(at(3)), 10.0);
        assert_eq!(subscription.quantity_at(at(6)), 8.0);
    }
}
