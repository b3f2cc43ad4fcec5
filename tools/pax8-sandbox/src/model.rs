//! The account the sandbox serves: companies with contacts, subscriptions with their past versions,
//! products, and the webhooks registered with it.

use chrono::{DateTime, TimeZone, Utc};

/// How a Pax8 company lines up with its CRM company: the evidence a matcher has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Alignment {
    /// `externalId` holds the HubSpot company id.
    ExternalId,
    /// `website` holds the company's domain (a full URL or a bare host), name as in the CRM.
    Website,
    /// A legal suffix or a spelling variant of the CRM name; a website on some.
    Renamed,
    /// Only the name (and the contacts' email domains) say whose it is.
    NameOnly,
    /// A Pax8 company the CRM does not have.
    PlatformOnly,
}

/// What a company's subscriptions tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SubscriptionStory {
    /// Steady seats, everything active.
    Healthy,
    /// Seats added over the last months.
    Growing,
    /// Seats removed over the last months.
    Shrinking,
    /// One subscription cancelled, another pending cancellation.
    Cancelling,
    /// An annual term ending within 30 days.
    RenewalDue,
}

#[derive(Clone, Debug)]
pub(crate) struct Contact {
    pub id: String,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub email: String,
    pub phone: String,
    pub created_ms: i64,
}

#[derive(Clone, Debug)]
pub(crate) struct Company {
    pub id: String,
    pub name: String,
    pub website: Option<String>,
    pub external_id: Option<String>,
    /// `Active`, `Inactive` or `Deleted`.
    pub status: &'static str,
    pub updated_ms: i64,
    pub city: &'static str,
    pub postal_code: String,
    pub country: &'static str,
    pub contacts: Vec<Contact>,
    pub hubspot_id: Option<String>,
    pub alignment: Alignment,
    pub story: SubscriptionStory,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Product {
    pub id: &'static str,
    pub name: &'static str,
    pub vendor: &'static str,
    /// Price per unit per month.
    pub price: f64,
}

/// One version of a subscription: what it was from `at_ms` on.
#[derive(Clone, Debug)]
pub(crate) struct Version {
    pub at_ms: i64,
    pub quantity: f64,
    pub status: &'static str,
}

#[derive(Clone, Debug)]
pub(crate) struct Subscription {
    pub id: String,
    pub company: usize,
    pub product: usize,
    pub billing_term: &'static str,
    pub start_ms: i64,
    pub end_ms: Option<i64>,
    pub created_ms: i64,
    pub price: f64,
    /// Oldest first; the last is the current state (its `at_ms` is `updatedDate`).
    pub versions: Vec<Version>,
}

impl Subscription {
    pub fn current(&self) -> &Version {
        // Generation gives every subscription at least one version.
        &self.versions[self.versions.len() - 1]
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Webhook {
    pub id: String,
    pub display_name: String,
    pub url: Option<String>,
    pub authorization: Option<String>,
    pub active: bool,
    pub error_threshold: i64,
    pub contact_email: Option<String>,
    /// (topic id, topic name, filters as sent).
    pub topics: Vec<(String, String, serde_json::Value)>,
    pub created_ms: i64,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct World {
    pub anchor_ms: i64,
    pub account_id: String,
    pub companies: Vec<Company>,
    pub products: Vec<Product>,
    pub subscriptions: Vec<Subscription>,
    pub webhooks: Vec<Webhook>,
}

pub(crate) fn datetime(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// `2023-08-11T11:33:12.314+0000`: the offset form without a colon Pax8's examples show.
pub(crate) fn pax8_datetime(ms: i64) -> String {
    datetime(ms).format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string()
}

/// `2021-01-01T08:30:00Z`.
pub(crate) fn rfc3339(ms: i64) -> String {
    datetime(ms).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `2020-12-03`: the date-only form of `createdDate`, `billingStart` and some `endDate`s.
pub(crate) fn date(ms: i64) -> String {
    datetime(ms).format("%Y-%m-%d").to_string()
}

pub(crate) const DAY_MS: i64 = 86_400_000;
