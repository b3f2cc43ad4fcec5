//! The single-table key design: one function per entity builds its keys, so both adapters (and the
//! SAM template, through [`super::table`]) agree on them.
//!
//! Every partition key of tenant data begins with `TENANT#<tenant id>`: no query can cross tenants, and
//! IAM can pin a caller to its tenant with `dynamodb:LeadingKeys` (`TENANT#<id>*`). Tenant ids refuse
//! `#`, so `TENANT#a` is never a prefix of another tenant's key.
//!
//! | entity | `pk` | `sk` | `gsi1pk` / `gsi1sk` | `gsi2pk` / `gsi2sk` | `gsi3pk` / `gsi3sk` | TTL `expires_at` |
//! | --- | --- | --- | --- | --- | --- | --- |
//! | tenant | `TENANT#<t>` | `TENANT` | `PORTAL#<portal id>` / `TENANT#<t>` (when it has a portal) | `TENANTS#ACTIVE` / `TENANT#<t>` (only while active: sparse) | | |
//! | client snapshot | `TENANT#<t>` | `SNAPSHOT#<client>` | | | | |
//! | contact index | `TENANT#<t>` | `CONTACT#<contact>` | | | | |
//! | current score | `TENANT#<t>` | `SCORE#<client>` | `TENANT#<t>#SCORES` / `<overall, 3 digits>#<client>` | | | |
//! | score history point | `TENANT#<t>` | `HISTORY#<client>#<at>` | | | | at + retention |
//! | tenant summary (overview counts) | `TENANT#<t>` | `SUMMARY` | | | | |
//! | tenant trend point (one a day) | `TENANT#<t>` | `TREND#<yyyy-mm-dd>` | | | | day + retention |
//! | insight | `TENANT#<t>` | `INSIGHT#<insight>` | `TENANT#<t>#INSIGHTS#<status>` / `<updated_at>#<insight>` | `TENANT#<t>#INSIGHTS` / `<updated_at>#<insight>` | `TENANT#<t>#CLIENT#<client>#INSIGHTS` / `<insight>` | |
//! | sync run | `TENANT#<t>` | `SYNC#<sync>` | `TENANT#<t>#SYNCS` / `<started_at>#<sync>` | | | |
//! | sync checkpoint | `TENANT#<t>` | `CHECKPOINT#<object type>` | | | | |
//! | lease | `TENANT#<t>` | `LEASE#<name>` | | | | |
//! | webhook event id | `TENANT#<t>` | `WEBHOOK#<event id>` | | | | given |
//! | OAuth state | `OAUTH#<nonce>` | `OAUTH` | | | | state's expiry |
//! | connection | `TENANT#<t>` | `CONN#<connection>` | | | | |
//! | payer record | `TENANT#<t>` | `PAYER#<connection>#<external id>` | | | | |
//! | correlation | `TENANT#<t>` | `CORR#<connection>#<external id>#<client>` | `TENANT#<t>#CORRS#<status>` / `<connection>#<external id>#<client>` | | `TENANT#<t>#CLIENT#<client>#CORRS` / `<connection>#<external id>` | |
//! | alert rule | `TENANT#<t>` | `ALERTRULE#<rule>` | | | | |
//! | alert state (rule × client) | `TENANT#<t>` | `ALERTSTATE#<rule>#<client>` | | | | |
//! | client snooze (one per client; an ended one stays until replaced or deleted) | `TENANT#<t>` | `SNOOZE#<client>` | | | | |
//! | user's override of a client (one per client and kind; TTL at its expiry) | `TENANT#<t>` | `OVERRIDE#<client>#<kind>` | | | | |
//! | pending alert (rule × channel × client) | `TENANT#<t>` | `PENDING#<rule>#<channel>#<client>` | `TENANT#<t>#PENDING` / `<due_at>#<rule>#<channel>#<client>` | | | |
//! | due marker (tenant × due hour) | `TENANT#<t>` | `ALERTDUE#<hour>` | | `ALERTS#DUE` / `<hour>#<t>` (sparse) | | |
//! | delivery record | `TENANT#<t>` | `DELIVERY#<id>` | `TENANT#<t>#DELIVERIES` / `<created_at>#<id>` | | | created_at + 90 days |
//! | send slot (tenant × channel: one small item, kept) | `TENANT#<t>` | `SENDSLOT#<channel key>` | | | | |
//! | write-back schema mark | `TENANT#<t>` | `WB#SCHEMA` | | | | |
//! | write-back company digest | `TENANT#<t>` | `WB#CO#<client>` | | | | |
//! | write-back insight task | `TENANT#<t>` | `WB#TASK#<insight>` | | | | |
//! | erasure (status, then receipt) | `TENANT#<t>` | `ERASURE#<erasure>` | | | | |
//! | audit entry | `TENANT#<t>` | `AUDIT#<at>#<id>` | | | | at + the tenant's audit retention |
//! | settings version | `TENANT#<t>` | `SETTINGSV#<version, 10 digits>` | | | | |
//! | the schedule's fan-out progress (one per scheduled slot) | `DISPATCH#<slot>` | `DISPATCH` | | | | slot + 2 days |
//!
//! Access patterns (all `Query`, `GetItem` or `BatchGetItem`; none scans):
//!
//! | pattern | how |
//! | --- | --- |
//! | clients by overall health, ascending / descending | `gsi1`, `gsi1pk = TENANT#<t>#SCORES`, forward / backward; a health band is a `BETWEEN` on the sort key; minimum churn risk a filter |
//! | insights newest first, by status | `gsi1`, `gsi1pk = TENANT#<t>#INSIGHTS#<status>`, backward |
//! | insights newest first, any status | `gsi2`, `gsi2pk = TENANT#<t>#INSIGHTS`, backward |
//! | type / impact / minimum confidence / confidence band | filters on the two queries above |
//! | insights of a client (one or a few) | `gsi3`, `gsi3pk = TENANT#<t>#CLIENT#<c>#INSIGHTS`; of many clients: the tenant's `INSIGHT#` range |
//! | one client's score history in `[from, to]` | table, `sk BETWEEN HISTORY#<c>#<from> AND HISTORY#<c>#<to>` |
//! | the tenant's trend points of days `[from, to]` | table, `sk BETWEEN TREND#<from> AND TREND#<to>` |
//! | sync runs newest first | `gsi1`, `gsi1pk = TENANT#<t>#SYNCS`, backward |
//! | tenant by HubSpot portal id | `gsi1`, `gsi1pk = PORTAL#<portal id>` |
//! | active tenants (the schedule's fan-out) | `gsi2`, `gsi2pk = TENANTS#ACTIVE` (sparse) |
//! | webhook event id seen or not | conditional `PutItem` on `WEBHOOK#<event id>` |
//! | OAuth state, once | `DeleteItem` returning the old item |
//! | current scores / snapshots / insights by id | `GetItem` / `BatchGetItem` |
//! | a tenant's connections | table, `sk BEGINS_WITH CONN#` |
//! | payer records of a connection (list, delete) | table, `sk BEGINS_WITH PAYER#<connection>#` |
//! | correlations by status | `gsi1`, `gsi1pk = TENANT#<t>#CORRS#<status>`; any status: table, `sk BEGINS_WITH CORR#` |
//! | correlations of a client (one or a few) | `gsi3`, `gsi3pk = TENANT#<t>#CLIENT#<c>#CORRS`; of many clients: the tenant's `CORR#` range |
//! | correlations of one record / of a connection | table, `sk BEGINS_WITH CORR#<connection>#<external id>#` / `CORR#<connection>#` |
//! | a tenant's alert rules; a rule's states / pending alerts (deleted with it) | table, `sk BEGINS_WITH ALERTRULE#`; `ALERTSTATE#<rule>#` / `PENDING#<rule>#` |
//! | alert states by (rule, client) | `BatchGetItem` |
//! | active snoozes | table, `sk BEGINS_WITH SNOOZE#`, `until > now` kept (a tenant snoozes a handful) |
//! | a tenant's pending alerts due at `now` | `gsi1`, `gsi1pk = TENANT#<t>#PENDING`, `gsi1sk BETWEEN 0000 AND <now>#~` |
//! | tenants with due alerts (the hourly release) | `gsi2`, `gsi2pk = ALERTS#DUE`, `gsi2sk BETWEEN 0000 AND <hour of now>#~` (sparse) |
//! | delivery log newest first | `gsi1`, `gsi1pk = TENANT#<t>#DELIVERIES`, backward |
//! | a channel's next send slot | `GetItem`, then `PutItem` conditional on the version read |
//! | write-back digests / insight tasks of a tenant | table, `sk BEGINS_WITH WB#CO#` / `WB#TASK#` |
//! | every item of a tenant (erasure only: a client's or contact's items are spread over the partition) | table, `pk = TENANT#<t>`, any sort key, paged |
//! | settings versions newest first; one version | table, `sk BEGINS_WITH SETTINGSV#`, backward; `GetItem` |
//! | audit trail newest first, in a time range | table, `sk BETWEEN AUDIT#<from> AND AUDIT#<to>~`, backward; entity, action and actor filters |
//!
//! Five kinds of key do not begin with a tenant, because their reader does not have one yet: the
//! portal-id entries of `gsi1` (a webhook names only its portal), the active-tenant entries of `gsi2`
//! (the scheduler is what enumerates tenants), the due markers of `gsi2` (the hourly release is what
//! finds tenants with alerts to release), OAuth state (the install flow starts before a tenant
//! exists) and the fan-out's progress per scheduled slot (the dispatch covers every tenant; one
//! partition per hour, written once per page of 100 tenants). Only tenant profile items and due markers (a tenant id and an hour) are projected under
//! the cross-tenant index partitions, and the nonce is random.
//!
//! Due markers: queuing alerts writes one small marker per (tenant, hour their `due_at` falls in),
//! whatever the number of alerts; releasing deletes a tenant's markers once no pending alert is left
//! in their hour. The release reads ONE `gsi2` partition (`ALERTS#DUE`), paged, touching only the
//! markers of hours up to now: about one item per tenant with queued alerts (two when quiet hours
//! and the digest hour both hold some), never the tenants without. All tenants share that
//! partition; it takes one write per tenant and due hour (far under a partition's 1,000 writes a
//! second), and one partition keeps a missed hourly run caught up by the next (partitions per hour
//! would need a query per past hour).
//!
//! External ids (a platform's payer ids) are free-form, so their key parts are escaped
//! ([`escaped_key_part`]): `#` cannot end one early and make a prefix query reach another record.
//!
//! Sort keys that order by time use [`sortable_time`] (fixed width, UTC, microseconds), so string
//! order is time order.

mod alerts;
mod audit;
mod connections;
mod items;
mod writeback;

pub use alerts::*;
pub use audit::*;
pub use connections::*;
pub use items::*;
pub use writeback::*;

use crate::domain::TenantId;
use crate::ports::StoreError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1: &str = "gsi1";
pub const GSI1_PK: &str = "gsi1pk";
pub const GSI1_SK: &str = "gsi1sk";
pub const GSI2: &str = "gsi2";
pub const GSI2_PK: &str = "gsi2pk";
pub const GSI2_SK: &str = "gsi2sk";
pub const GSI3: &str = "gsi3";
pub const GSI3_PK: &str = "gsi3pk";
pub const GSI3_SK: &str = "gsi3sk";
/// Every key attribute of the table and its indexes (all strings).
pub const KEY_ATTRIBUTES: [&str; 8] =
    [PK, SK, GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK, GSI3_PK, GSI3_SK];
/// The TTL attribute (epoch seconds) of history points, webhook event ids, OAuth state and delivery
/// records.
pub const EXPIRES_AT: &str = "expires_at";
/// A digest of an item's content, read back to skip writing items that did not change.
pub const CONTENT_HASH: &str = "content_hash";

pub const SNAPSHOT_PREFIX: &str = "SNAPSHOT#";
pub const SCORE_PREFIX: &str = "SCORE#";
pub const INSIGHT_PREFIX: &str = "INSIGHT#";
pub const CHECKPOINT_PREFIX: &str = "CHECKPOINT#";
pub const EXPORT_PREFIX: &str = "EXPORT#";
pub const SETTINGS_VERSION_PREFIX: &str = "SETTINGSV#";
pub const ERASURE_PREFIX: &str = "ERASURE#";
pub const OVERRIDE_PREFIX: &str = "OVERRIDE#";

/// Longest free-form key part (webhook event ids, contact ids, lease names, nonces) we accept.
const MAX_FREE_KEY_PART: usize = 256;

/// Which index a query runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Index {
    Table,
    Gsi1,
    Gsi2,
    Gsi3,
}

impl Index {
    pub const GSIS: [Index; 3] = [Index::Gsi1, Index::Gsi2, Index::Gsi3];

    /// The DynamoDB index name, `None` for the table itself.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Index::Table => None,
            Index::Gsi1 => Some(GSI1),
            Index::Gsi2 => Some(GSI2),
            Index::Gsi3 => Some(GSI3),
        }
    }

    /// Partition and sort key attribute names.
    pub fn key_attributes(self) -> (&'static str, &'static str) {
        match self {
            Index::Table => (PK, SK),
            Index::Gsi1 => (GSI1_PK, GSI1_SK),
            Index::Gsi2 => (GSI2_PK, GSI2_SK),
            Index::Gsi3 => (GSI3_PK, GSI3_SK),
        }
    }
}

/// The primary key of an item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

/// A partition and sort key pair of one index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IndexKey {
    pub pk: String,
    pub sk: String,
}

/// Every key attribute of an item: its primary key and its entries in the GSIs (absent = not indexed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemKeys {
    pub key: Key,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1: Option<IndexKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi2: Option<IndexKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi3: Option<IndexKey>,
}

impl ItemKeys {
    fn primary(pk: String, sk: String) -> Self {
        Self {
            key: Key { pk, sk },
            gsi1: None,
            gsi2: None,
            gsi3: None,
        }
    }

    pub fn index(&self, index: Index) -> Option<IndexKey> {
        match index {
            Index::Table => Some(IndexKey {
                pk: self.key.pk.clone(),
                sk: self.key.sk.clone(),
            }),
            Index::Gsi1 => self.gsi1.clone(),
            Index::Gsi2 => self.gsi2.clone(),
            Index::Gsi3 => self.gsi3.clone(),
        }
    }

    /// All key attributes as name -> value (what DynamoDB needs as an `ExclusiveStartKey` and what a
    /// cursor carries).
    pub fn attributes(&self) -> BTreeMap<String, String> {
        let mut map = BTreeMap::new();
        map.insert(PK.to_owned(), self.key.pk.clone());
        map.insert(SK.to_owned(), self.key.sk.clone());
        for (index, entry) in [
            (Index::Gsi1, &self.gsi1),
            (Index::Gsi2, &self.gsi2),
            (Index::Gsi3, &self.gsi3),
        ] {
            if let Some(entry) = entry {
                let (pk, sk) = index.key_attributes();
                map.insert(pk.to_owned(), entry.pk.clone());
                map.insert(sk.to_owned(), entry.sk.clone());
            }
        }
        map
    }

    /// The attributes that position a query on `index`: the table key plus that index's key.
    pub fn position(&self, index: Index) -> BTreeMap<String, String> {
        let mut map = BTreeMap::new();
        map.insert(PK.to_owned(), self.key.pk.clone());
        map.insert(SK.to_owned(), self.key.sk.clone());
        if let Some(entry) = self.index(index) {
            let (pk, sk) = index.key_attributes();
            map.insert(pk.to_owned(), entry.pk);
            map.insert(sk.to_owned(), entry.sk);
        }
        map
    }
}

/// Fixed-width UTC time with microseconds: string order is time order.
pub fn sortable_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The partition key of all of a tenant's items.
pub fn tenant_partition(tenant_id: &TenantId) -> String {
    format!("TENANT#{tenant_id}")
}

/// Whether `value` is a key inside this tenant's space (`TENANT#<t>` or `TENANT#<t>#...`).
pub fn belongs_to_tenant(value: &str, tenant_id: &TenantId) -> bool {
    let partition = tenant_partition(tenant_id);
    value == partition
        || value
            .strip_prefix(&partition)
            .is_some_and(|rest| rest.starts_with('#'))
}

/// Checks a free-form key part (event ids, contact ids, lease names, nonces).
pub fn free_key_part<'a>(kind: &str, value: &'a str) -> Result<&'a str, StoreError> {
    if value.is_empty() {
        return Err(StoreError::InvalidInput(format!(
            "{kind} must not be empty"
        )));
    }
    if value.len() > MAX_FREE_KEY_PART {
        return Err(StoreError::InvalidInput(format!(
            "{kind} is longer than {MAX_FREE_KEY_PART} bytes"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(StoreError::InvalidInput(format!(
            "{kind} must not contain control characters"
        )));
    }
    Ok(value)
}
