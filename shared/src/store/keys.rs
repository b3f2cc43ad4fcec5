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
//! | insight | `TENANT#<t>` | `INSIGHT#<insight>` | `TENANT#<t>#INSIGHTS#<status>` / `<updated_at>#<insight>` | `TENANT#<t>#INSIGHTS` / `<updated_at>#<insight>` | `TENANT#<t>#CLIENT#<client>#INSIGHTS` / `<insight>` | |
//! | sync run | `TENANT#<t>` | `SYNC#<sync>` | `TENANT#<t>#SYNCS` / `<started_at>#<sync>` | | | |
//! | sync checkpoint | `TENANT#<t>` | `CHECKPOINT#<object type>` | | | | |
//! | lease | `TENANT#<t>` | `LEASE#<name>` | | | | |
//! | webhook event id | `TENANT#<t>` | `WEBHOOK#<event id>` | | | | given |
//! | OAuth state | `OAUTH#<nonce>` | `OAUTH` | | | | state's expiry |
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
//! | sync runs newest first | `gsi1`, `gsi1pk = TENANT#<t>#SYNCS`, backward |
//! | tenant by HubSpot portal id | `gsi1`, `gsi1pk = PORTAL#<portal id>` |
//! | active tenants (the schedule's fan-out) | `gsi2`, `gsi2pk = TENANTS#ACTIVE` (sparse) |
//! | webhook event id seen or not | conditional `PutItem` on `WEBHOOK#<event id>` |
//! | OAuth state, once | `DeleteItem` returning the old item |
//! | current scores / snapshots / insights by id | `GetItem` / `BatchGetItem` |
//!
//! Three kinds of key do not begin with a tenant, because their reader does not have one yet: the
//! portal-id entries of `gsi1` (a webhook names only its portal), the active-tenant entries of `gsi2`
//! (the scheduler is what enumerates tenants) and OAuth state (the install flow starts before a tenant
//! exists). Only tenant profile items are projected under the first two, and the nonce is random.
//!
//! Sort keys that order by time use [`sortable_time`] (fixed width, UTC, microseconds), so string
//! order is time order.

use crate::domain::{
    ClientId, HealthScore, Insight, InsightId, InsightStatus, ObjectType, ScorePoint, SyncId,
    SyncRun, Tenant, TenantId, TenantStatus,
};
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
/// The TTL attribute (epoch seconds) of history points, webhook event ids and OAuth state.
pub const EXPIRES_AT: &str = "expires_at";
/// A digest of an item's content, read back to skip writing items that did not change.
pub const CONTENT_HASH: &str = "content_hash";

pub const SNAPSHOT_PREFIX: &str = "SNAPSHOT#";
pub const SCORE_PREFIX: &str = "SCORE#";
pub const INSIGHT_PREFIX: &str = "INSIGHT#";
pub const CHECKPOINT_PREFIX: &str = "CHECKPOINT#";

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

pub fn tenant_key(tenant_id: &TenantId) -> Key {
    Key {
        pk: tenant_partition(tenant_id),
        sk: "TENANT".to_owned(),
    }
}

pub fn tenant(tenant: &Tenant) -> ItemKeys {
    let mut keys = ItemKeys::primary(tenant_partition(&tenant.id), "TENANT".to_owned());
    keys.gsi1 = tenant.hubspot_portal_id.map(|portal| IndexKey {
        pk: portal_partition(portal),
        sk: tenant_partition(&tenant.id),
    });
    keys.gsi2 = (tenant.status == TenantStatus::Active).then(|| IndexKey {
        pk: active_tenants_partition(),
        sk: tenant_partition(&tenant.id),
    });
    keys
}

/// `gsi1` partition of the tenant(s) connected to a HubSpot portal.
pub fn portal_partition(portal_id: u64) -> String {
    format!("PORTAL#{portal_id}")
}

/// `gsi2` partition listing active tenants.
pub fn active_tenants_partition() -> String {
    "TENANTS#ACTIVE".to_owned()
}

pub fn snapshot(tenant_id: &TenantId, client_id: &ClientId) -> ItemKeys {
    ItemKeys::primary(
        tenant_partition(tenant_id),
        format!("{SNAPSHOT_PREFIX}{client_id}"),
    )
}

pub fn contact(tenant_id: &TenantId, contact_id: &str) -> Result<ItemKeys, StoreError> {
    let contact_id = free_key_part("contact id", contact_id)?;
    Ok(ItemKeys::primary(
        tenant_partition(tenant_id),
        format!("CONTACT#{contact_id}"),
    ))
}

pub fn score_key(tenant_id: &TenantId, client_id: &ClientId) -> Key {
    Key {
        pk: tenant_partition(tenant_id),
        sk: format!("{SCORE_PREFIX}{client_id}"),
    }
}

pub fn score(tenant_id: &TenantId, score: &HealthScore) -> ItemKeys {
    let key = score_key(tenant_id, &score.client_id);
    ItemKeys {
        key,
        gsi1: Some(IndexKey {
            pk: scores_by_overall_partition(tenant_id),
            sk: format!("{:03}#{}", score.overall, score.client_id),
        }),
        gsi2: None,
        gsi3: None,
    }
}

/// `gsi1` partition of a tenant's current scores, sorted by overall.
pub fn scores_by_overall_partition(tenant_id: &TenantId) -> String {
    format!("{}#SCORES", tenant_partition(tenant_id))
}

/// `gsi1` sort-key bounds `[lower, upper)` of scores whose overall lies in `[low, high]`:
/// `<low>` sorts before every `<low>#client`, and `<high + 1>` after every `<high>#client`.
pub fn overall_bounds(low: u8, high: u8) -> (String, String) {
    (format!("{low:03}"), format!("{:03}", u16::from(high) + 1))
}

pub fn summary(tenant_id: &TenantId) -> ItemKeys {
    ItemKeys::primary(tenant_partition(tenant_id), "SUMMARY".to_owned())
}

pub fn history(tenant_id: &TenantId, point: &ScorePoint) -> ItemKeys {
    ItemKeys::primary(
        tenant_partition(tenant_id),
        format!("HISTORY#{}#{}", point.client_id, sortable_time(point.at)),
    )
}

/// Table sort-key bounds (inclusive) of one client's history in `[from, to]`.
pub fn history_range(
    client_id: &ClientId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> (String, String) {
    (
        format!("HISTORY#{client_id}#{}", sortable_time(from)),
        format!("HISTORY#{client_id}#{}", sortable_time(to)),
    )
}

pub fn insight_key(tenant_id: &TenantId, insight_id: &InsightId) -> Key {
    Key {
        pk: tenant_partition(tenant_id),
        sk: format!("{INSIGHT_PREFIX}{insight_id}"),
    }
}

/// Keys of an insight; the tenant is the insight's own.
pub fn insight(insight: &Insight) -> ItemKeys {
    let tenant_id = &insight.tenant_id;
    let newest_first = format!("{}#{}", sortable_time(insight.updated_at), insight.id);
    ItemKeys {
        key: insight_key(tenant_id, &insight.id),
        gsi1: Some(IndexKey {
            pk: insights_by_status_partition(tenant_id, insight.status),
            sk: newest_first.clone(),
        }),
        gsi2: Some(IndexKey {
            pk: insights_partition(tenant_id),
            sk: newest_first,
        }),
        gsi3: Some(IndexKey {
            pk: client_insights_partition(tenant_id, &insight.client_id),
            sk: insight.id.to_string(),
        }),
    }
}

pub fn insight_status_name(status: InsightStatus) -> &'static str {
    match status {
        InsightStatus::Open => "OPEN",
        InsightStatus::Acknowledged => "ACKNOWLEDGED",
        InsightStatus::Dismissed => "DISMISSED",
        InsightStatus::Resolved => "RESOLVED",
    }
}

/// `gsi1` partition of a tenant's insights with one status, by `updated_at`.
pub fn insights_by_status_partition(tenant_id: &TenantId, status: InsightStatus) -> String {
    format!(
        "{}#INSIGHTS#{}",
        tenant_partition(tenant_id),
        insight_status_name(status)
    )
}

/// `gsi2` partition of all of a tenant's insights, by `updated_at`.
pub fn insights_partition(tenant_id: &TenantId) -> String {
    format!("{}#INSIGHTS", tenant_partition(tenant_id))
}

/// `gsi3` partition of one client's insights.
pub fn client_insights_partition(tenant_id: &TenantId, client_id: &ClientId) -> String {
    format!(
        "{}#CLIENT#{client_id}#INSIGHTS",
        tenant_partition(tenant_id)
    )
}

pub fn sync_run_key(tenant_id: &TenantId, sync_id: &SyncId) -> Key {
    Key {
        pk: tenant_partition(tenant_id),
        sk: format!("SYNC#{sync_id}"),
    }
}

pub fn sync_run(run: &SyncRun) -> ItemKeys {
    ItemKeys {
        key: sync_run_key(&run.tenant_id, &run.sync_id),
        gsi1: Some(IndexKey {
            pk: sync_runs_partition(&run.tenant_id),
            sk: format!("{}#{}", sortable_time(run.started_at), run.sync_id),
        }),
        gsi2: None,
        gsi3: None,
    }
}

/// `gsi1` partition of a tenant's sync runs, by start time.
pub fn sync_runs_partition(tenant_id: &TenantId) -> String {
    format!("{}#SYNCS", tenant_partition(tenant_id))
}

pub fn checkpoint(tenant_id: &TenantId, object_type: ObjectType) -> ItemKeys {
    ItemKeys::primary(
        tenant_partition(tenant_id),
        format!("{CHECKPOINT_PREFIX}{}", object_type.as_str()),
    )
}

pub fn lease(tenant_id: &TenantId, name: &str) -> Result<ItemKeys, StoreError> {
    let name = free_key_part("lease name", name)?;
    Ok(ItemKeys::primary(
        tenant_partition(tenant_id),
        format!("LEASE#{name}"),
    ))
}

pub fn webhook_event(tenant_id: &TenantId, event_id: &str) -> Result<ItemKeys, StoreError> {
    let event_id = free_key_part("webhook event id", event_id)?;
    Ok(ItemKeys::primary(
        tenant_partition(tenant_id),
        format!("WEBHOOK#{event_id}"),
    ))
}

/// OAuth state precedes any tenant, so its key is the nonce alone.
pub fn oauth_state(nonce: &str) -> Result<ItemKeys, StoreError> {
    let nonce = free_key_part("OAuth state nonce", nonce)?;
    Ok(ItemKeys::primary(
        format!("OAUTH#{nonce}"),
        "OAUTH".to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        AuthKind, ConfidenceBand, Impact, InsightRule, InsightType, SyncMode, SyncStatus,
        SyncTrigger, Trend,
    };
    use chrono::TimeZone;

    fn t(id: &str) -> TenantId {
        TenantId::parse(id).unwrap()
    }

    fn c(id: &str) -> ClientId {
        ClientId::parse(id).unwrap()
    }

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).unwrap()
    }

    fn sample_tenant(status: TenantStatus, portal: Option<u64>) -> Tenant {
        Tenant {
            status,
            ..Tenant::connected(t("acme"), "Acme", portal, "secret", AuthKind::OAuth, at(0))
        }
    }

    #[test]
    fn tenant_profile_is_listed_by_portal_and_while_active() {
        let keys = tenant(&sample_tenant(TenantStatus::Active, Some(42)));
        assert_eq!(keys.key.pk, "TENANT#acme");
        assert_eq!(keys.key.sk, "TENANT");
        let by_portal = keys.gsi1.unwrap();
        assert_eq!(
            (by_portal.pk.as_str(), by_portal.sk.as_str()),
            ("PORTAL#42", "TENANT#acme")
        );
        let active = keys.gsi2.unwrap();
        assert_eq!(
            (active.pk.as_str(), active.sk.as_str()),
            ("TENANTS#ACTIVE", "TENANT#acme")
        );

        let disabled = tenant(&sample_tenant(TenantStatus::Disabled, None));
        assert_eq!(disabled.gsi1, None);
        assert_eq!(disabled.gsi2, None);
    }

    #[test]
    fn scores_sort_by_zero_padded_overall() {
        let score = HealthScore {
            client_id: c("c-7"),
            client_name: "Seven".into(),
            overall: 7,
            band: crate::domain::HealthBand::of(7),
            churn_risk: 80,
            dimensions: vec![],
            trend: Trend {
                delta_7d: None,
                delta_30d: None,
            },
            scored_at: at(0),
        };
        let keys = super::score(&t("acme"), &score);
        assert_eq!(keys.key.pk, "TENANT#acme");
        assert_eq!(keys.key.sk, "SCORE#c-7");
        let by_overall = keys.gsi1.unwrap();
        assert_eq!(by_overall.pk, "TENANT#acme#SCORES");
        assert_eq!(by_overall.sk, "007#c-7");
        assert_eq!(overall_bounds(50, 74), ("050".into(), "075".into()));
        assert_eq!(overall_bounds(75, 100), ("075".into(), "101".into()));
        let (low, high) = overall_bounds(0, 7);
        assert!(low.as_str() <= by_overall.sk.as_str() && by_overall.sk.as_str() < high.as_str());
    }

    #[test]
    fn history_sorts_by_time_within_the_client() {
        let point = ScorePoint {
            client_id: c("c1"),
            at: Utc.timestamp_opt(1_700_000_000, 5_000).unwrap(),
            overall: 50,
            churn_risk: 10,
            crm: None,
            payment: None,
            usage: None,
            support: None,
        };
        let keys = history(&t("acme"), &point);
        assert_eq!(keys.key.pk, "TENANT#acme");
        assert_eq!(keys.key.sk, "HISTORY#c1#2023-11-14T22:13:20.000005Z");
        let (from, to) = history_range(&c("c1"), at(1_600_000_000), at(1_800_000_000));
        assert!(from < keys.key.sk && keys.key.sk < to);
        assert!(sortable_time(at(9)) < sortable_time(at(10)));
    }

    #[test]
    fn insights_are_indexed_by_status_by_time_and_by_client() {
        let insight = Insight {
            id: InsightId::parse("acme.c1.inactive_client").unwrap(),
            tenant_id: t("acme"),
            client_id: c("c1"),
            client_name: "C1".into(),
            insight_type: InsightType::ClientHealth,
            rule: InsightRule::InactiveClient,
            title: "t".into(),
            description: "d".into(),
            explanation: "e".into(),
            confidence: 90,
            confidence_band: ConfidenceBand::High,
            impact: Impact::High,
            revenue_at_stake: None,
            recommendations: vec![],
            evidence: vec![],
            status: InsightStatus::Acknowledged,
            created_at: at(0),
            updated_at: at(60),
            status_changed_at: None,
            status_changed_by: None,
            version: 1,
        };
        let keys = super::insight(&insight);
        assert_eq!(keys.key.pk, "TENANT#acme");
        assert_eq!(keys.key.sk, "INSIGHT#acme.c1.inactive_client");
        let by_status = keys.gsi1.unwrap();
        assert_eq!(by_status.pk, "TENANT#acme#INSIGHTS#ACKNOWLEDGED");
        assert_eq!(
            by_status.sk,
            "1970-01-01T00:01:00.000000Z#acme.c1.inactive_client"
        );
        let all = keys.gsi2.unwrap();
        assert_eq!(all.pk, "TENANT#acme#INSIGHTS");
        assert_eq!(all.sk, by_status.sk);
        let by_client = keys.gsi3.unwrap();
        assert_eq!(by_client.pk, "TENANT#acme#CLIENT#c1#INSIGHTS");
        assert_eq!(by_client.sk, "acme.c1.inactive_client");
    }

    #[test]
    fn sync_runs_sort_by_start_time() {
        let run = SyncRun {
            tenant_id: t("acme"),
            sync_id: SyncId::parse("s1").unwrap(),
            mode: SyncMode::Full,
            trigger: SyncTrigger::Schedule,
            started_at: at(120),
            finished_at: None,
            status: SyncStatus::Running,
            counts: Default::default(),
            requests_used: 0,
            error: None,
            connection_id: None,
            cursor: None,
        };
        let keys = sync_run(&run);
        assert_eq!(keys.key.pk, "TENANT#acme");
        assert_eq!(keys.key.sk, "SYNC#s1");
        let by_time = keys.gsi1.unwrap();
        assert_eq!(by_time.pk, "TENANT#acme#SYNCS");
        assert_eq!(by_time.sk, "1970-01-01T00:02:00.000000Z#s1");
    }

    #[test]
    fn the_other_entities_live_in_the_tenant_partition() {
        let acme = t("acme");
        assert_eq!(snapshot(&acme, &c("c1")).key.sk, "SNAPSHOT#c1");
        assert_eq!(contact(&acme, "901").unwrap().key.sk, "CONTACT#901");
        assert_eq!(
            checkpoint(&acme, ObjectType::Deals).key.sk,
            "CHECKPOINT#deals"
        );
        assert_eq!(lease(&acme, "sync").unwrap().key.sk, "LEASE#sync");
        assert_eq!(
            webhook_event(&acme, "evt-1").unwrap().key.sk,
            "WEBHOOK#evt-1"
        );
        for keys in [
            snapshot(&acme, &c("c1")),
            contact(&acme, "901").unwrap(),
            checkpoint(&acme, ObjectType::Deals),
            lease(&acme, "sync").unwrap(),
            webhook_event(&acme, "evt-1").unwrap(),
        ] {
            assert_eq!(keys.key.pk, "TENANT#acme");
            assert_eq!((keys.gsi1, keys.gsi2, keys.gsi3), (None, None, None));
        }
        let state = oauth_state("n0nce").unwrap();
        assert_eq!(
            (state.key.pk.as_str(), state.key.sk.as_str()),
            ("OAUTH#n0nce", "OAUTH")
        );
    }

    #[test]
    fn tenant_space_does_not_include_a_longer_tenant_id() {
        assert!(belongs_to_tenant("TENANT#ab", &t("ab")));
        assert!(belongs_to_tenant("TENANT#ab#SCORES", &t("ab")));
        assert!(!belongs_to_tenant("TENANT#abc", &t("ab")));
        assert!(!belongs_to_tenant("TENANT#abc#SCORES", &t("ab")));
        assert!(!belongs_to_tenant("PORTAL#1", &t("ab")));
    }

    #[test]
    fn free_key_parts_are_checked() {
        assert!(webhook_event(&t("a"), "").is_err());
        assert!(webhook_event(&t("a"), &"x".repeat(300)).is_err());
        assert!(oauth_state("a\nb").is_err());
    }
}
