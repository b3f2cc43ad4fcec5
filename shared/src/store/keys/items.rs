//! Keys of the tenant profile, the CRM-derived items and the bookkeeping items (sync runs,
//! checkpoints, leases, webhook ids, OAuth state).

use super::{
    free_key_part, sortable_time, tenant_partition, IndexKey, ItemKeys, Key, CHECKPOINT_PREFIX,
    EXPORT_PREFIX, INSIGHT_PREFIX, SCORE_PREFIX, SNAPSHOT_PREFIX,
};
use crate::domain::{
    triage_index_key, ClientId, HealthScore, Insight, InsightId, InsightStatus, ObjectType,
    ScorePoint, SortKey, SyncId, SyncRun, Tenant, TenantId, TenantStatus,
};
use crate::ports::StoreError;
use chrono::{DateTime, Utc};

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

/// The tenant's trend point of one day (the last scoring run of the day writes it).
pub fn trend(tenant_id: &TenantId, day: chrono::NaiveDate) -> ItemKeys {
    ItemKeys::primary(tenant_partition(tenant_id), trend_sort_key(day))
}

/// `TREND#<yyyy-mm-dd>`: string order is day order.
pub fn trend_sort_key(day: chrono::NaiveDate) -> String {
    format!("TREND#{}", day.format("%Y-%m-%d"))
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
        // By status in triage order: the insight list's default order, read a page at a time.
        gsi1: Some(IndexKey {
            pk: insights_by_status_partition(tenant_id, insight.status),
            sk: triage_index_key(&SortKey::of(insight)),
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
        InsightStatus::Snoozed => "SNOOZED",
    }
}

/// `gsi1` partition of a tenant's insights with one status, in triage order.
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

/// A settings version's sort key: zero-padded, so string order is version order.
pub fn settings_version_key(tenant_id: &TenantId, version: u32) -> Key {
    Key {
        pk: tenant_partition(tenant_id),
        sk: format!("{}{version:010}", super::SETTINGS_VERSION_PREFIX),
    }
}

pub fn settings_version(tenant_id: &TenantId, version: u32) -> ItemKeys {
    let key = settings_version_key(tenant_id, version);
    ItemKeys::primary(key.pk, key.sk)
}

pub fn export_key(tenant_id: &TenantId, export_id: &crate::domain::ExportId) -> Key {
    Key {
        pk: tenant_partition(tenant_id),
        sk: format!("{EXPORT_PREFIX}{export_id}"),
    }
}

pub fn export(tenant_id: &TenantId, export_id: &crate::domain::ExportId) -> ItemKeys {
    let key = export_key(tenant_id, export_id);
    ItemKeys::primary(key.pk, key.sk)
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

pub fn erasure(tenant_id: &TenantId, erasure_id: &crate::domain::ErasureId) -> ItemKeys {
    ItemKeys::primary(
        tenant_partition(tenant_id),
        format!("{}{erasure_id}", super::ERASURE_PREFIX),
    )
}

/// OAuth state precedes any tenant, so its key is the nonce alone.
pub fn oauth_state(nonce: &str) -> Result<ItemKeys, StoreError> {
    let nonce = free_key_part("OAuth state nonce", nonce)?;
    Ok(ItemKeys::primary(
        format!("OAUTH#{nonce}"),
        "OAUTH".to_owned(),
    ))
}

/// A user's override of a client: one per (client, kind).
pub fn client_override(
    tenant_id: &TenantId,
    client_id: &ClientId,
    kind: crate::domain::OverrideKind,
) -> ItemKeys {
    ItemKeys::primary(
        tenant_partition(tenant_id),
        format!("{}{kind}", client_overrides_prefix(client_id)),
    )
}

/// The sort-key prefix of one client's overrides.
pub fn client_overrides_prefix(client_id: &ClientId) -> String {
    format!("{}{client_id}#", super::OVERRIDE_PREFIX)
}

/// `OUTCOME#<client>`: what is known of a client's fate (churned or not), one item per client.
pub const OUTCOME_PREFIX: &str = "OUTCOME#";

pub fn outcome(tenant_id: &TenantId, client_id: &ClientId) -> ItemKeys {
    ItemKeys::primary(
        tenant_partition(tenant_id),
        format!("{OUTCOME_PREFIX}{client_id}"),
    )
}

/// The tenant's latest backtest and churn calibration: one item.
pub fn calibration(tenant_id: &TenantId) -> ItemKeys {
    ItemKeys::primary(tenant_partition(tenant_id), "CALIBRATION".to_owned())
}

/// How far re-weighting the tenant's history got: one item.
pub fn reweigh_state(tenant_id: &TenantId) -> ItemKeys {
    ItemKeys::primary(tenant_partition(tenant_id), "REWEIGH".to_owned())
}

/// The schedule's fan-out progress in one slot. Not a tenant's: its reader enumerates tenants.
/// One partition per slot (a page of tenants writes it once; the hourly slots never share one).
pub fn dispatch_progress(slot: DateTime<Utc>) -> ItemKeys {
    ItemKeys::primary(
        format!("{DISPATCH_PREFIX}{}", super::sortable_time(slot)),
        "DISPATCH".to_owned(),
    )
}

/// The partition-key prefix of fan-out progress records (the sync role's `LeadingKeys` name it).
pub const DISPATCH_PREFIX: &str = "DISPATCH#";

#[cfg(test)]
mod tests {
    use super::super::belongs_to_tenant;
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
            segment: None,
            settings_version: 0,
            sources: Default::default(),
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
            overrides: Vec::new(),
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
            settings_version: 0,
            as_scored: None,
            client_id: c("c1"),
            at: Utc.timestamp_opt(1_700_000_000, 5_000).unwrap(),
            overall: 50,
            churn_risk: 10,
            crm: None,
            payment: None,
            usage: None,
            support: None,
            parts: Vec::new(),
            overrides: Vec::new(),
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
            sources: Default::default(),
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
            revenue_upside: None,
            status_reason: None,
            snoozed_until: None,
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
        // By status in triage order (the key's order is proved in `domain::triage`).
        let by_status = keys.gsi1.unwrap();
        assert_eq!(by_status.pk, "TENANT#acme#INSIGHTS#ACKNOWLEDGED");
        assert_eq!(
            by_status.sk,
            crate::domain::triage_index_key(&crate::domain::SortKey::of(&insight))
        );
        assert!(by_status.sk.starts_with("T#1#1"));
        assert!(by_status.sk.ends_with("#acme.c1.inactive_client"));
        let all = keys.gsi2.unwrap();
        assert_eq!(all.pk, "TENANT#acme#INSIGHTS");
        assert_eq!(
            all.sk,
            "1970-01-01T00:01:00.000000Z#acme.c1.inactive_client"
        );
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
            platform: None,
            records: Default::default(),
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
