//! Keys of alerting's items: rules, per-client states, snoozes, pending alerts and the markers that
//! find tenants with due alerts, the delivery log and the per-channel send slots (the table in the
//! module doc of [`super`] lists them).

use super::{escaped_key_part, sortable_time, tenant_partition, IndexKey, ItemKeys, Key};
use crate::domain::{AlertChannelId, AlertRuleId, ClientId, PendingAlert, TenantId};
use crate::ports::StoreError;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};

pub const ALERT_RULE_PREFIX: &str = "ALERTRULE#";
pub const ALERT_STATE_PREFIX: &str = "ALERTSTATE#";
pub const SNOOZE_PREFIX: &str = "SNOOZE#";
pub const PENDING_ALERT_PREFIX: &str = "PENDING#";
pub const ALERTS_DUE_PREFIX: &str = "ALERTDUE#";
pub const DELIVERY_PREFIX: &str = "DELIVERY#";
pub const SEND_SLOT_PREFIX: &str = "SENDSLOT#";

/// The lowest sort key any time-ordered alerting entry can have (DynamoDB refuses an empty string
/// as a key condition value).
pub const BEFORE_ANY_TIME: &str = "0000";

pub fn alert_rule_key(tenant_id: &TenantId, rule_id: &AlertRuleId) -> Key {
    Key {
        pk: tenant_partition(tenant_id),
        sk: format!("{ALERT_RULE_PREFIX}{rule_id}"),
    }
}

pub fn alert_rule(tenant_id: &TenantId, rule_id: &AlertRuleId) -> ItemKeys {
    let key = alert_rule_key(tenant_id, rule_id);
    ItemKeys::primary(key.pk, key.sk)
}

/// The sort-key prefix of every state of one rule (ids refuse `#`, so no rule's prefix is another's).
pub fn alert_states_prefix(rule_id: &AlertRuleId) -> String {
    format!("{ALERT_STATE_PREFIX}{rule_id}#")
}

pub fn alert_state(tenant_id: &TenantId, rule_id: &AlertRuleId, client_id: &ClientId) -> ItemKeys {
    ItemKeys::primary(
        tenant_partition(tenant_id),
        format!("{}{client_id}", alert_states_prefix(rule_id)),
    )
}

pub fn snooze(tenant_id: &TenantId, client_id: &ClientId) -> ItemKeys {
    ItemKeys::primary(
        tenant_partition(tenant_id),
        format!("{SNOOZE_PREFIX}{client_id}"),
    )
}

/// The sort-key prefix of every pending alert of one rule.
pub fn pending_alerts_prefix(rule_id: &AlertRuleId) -> String {
    format!("{PENDING_ALERT_PREFIX}{rule_id}#")
}

/// `gsi1` partition of a tenant's pending alerts, by due time.
pub fn pending_by_due_partition(tenant_id: &TenantId) -> String {
    format!("{}#PENDING", tenant_partition(tenant_id))
}

/// Keys of a pending alert: one item per (rule, channel, client), so a newer alert replaces the
/// one queued before it; indexed by due time for the release.
pub fn pending_alert(tenant_id: &TenantId, alert: &PendingAlert) -> ItemKeys {
    pending_alert_keys(
        tenant_id,
        &alert.rule_id,
        &alert.channel_id,
        &alert.item.client_id,
        alert.due_at,
    )
}

fn pending_alert_keys(
    tenant_id: &TenantId,
    rule_id: &AlertRuleId,
    channel_id: &AlertChannelId,
    client_id: &ClientId,
    due_at: DateTime<Utc>,
) -> ItemKeys {
    let identity = format!("{rule_id}#{channel_id}#{client_id}");
    ItemKeys {
        key: Key {
            pk: tenant_partition(tenant_id),
            sk: format!("{PENDING_ALERT_PREFIX}{identity}"),
        },
        gsi1: Some(IndexKey {
            pk: pending_by_due_partition(tenant_id),
            sk: format!("{}#{identity}", sortable_time(due_at)),
        }),
        gsi2: None,
        gsi3: None,
    }
}

/// Inclusive `gsi1` sort-key bounds of the pending alerts due at `now` (due time ≤ `now`).
pub fn pending_due_range(now: DateTime<Utc>) -> (String, String) {
    (
        BEFORE_ANY_TIME.to_owned(),
        format!("{}#~", sortable_time(now)),
    )
}

/// The hour a pending alert's due time falls in: the granularity of the due markers.
pub fn due_hour(due_at: DateTime<Utc>) -> DateTime<Utc> {
    // Truncating to a whole hour of a valid time cannot fail; keep the time itself if it did.
    due_at.duration_trunc(TimeDelta::hours(1)).unwrap_or(due_at)
}

fn hour_label(hour: DateTime<Utc>) -> String {
    hour.format("%Y-%m-%dT%H").to_string()
}

/// `gsi2` partition of the due markers of every tenant (sparse: only markers are in it).
pub fn alerts_due_partition() -> String {
    "ALERTS#DUE".to_owned()
}

/// Keys of the marker saying the tenant has pending alerts due in `hour`: in the tenant's partition,
/// and in the cross-tenant `gsi2` partition by hour then tenant.
pub fn alerts_due_marker(tenant_id: &TenantId, hour: DateTime<Utc>) -> ItemKeys {
    let label = hour_label(due_hour(hour));
    ItemKeys {
        key: Key {
            pk: tenant_partition(tenant_id),
            sk: format!("{ALERTS_DUE_PREFIX}{label}"),
        },
        gsi1: None,
        gsi2: Some(IndexKey {
            pk: alerts_due_partition(),
            sk: format!("{label}#{tenant_id}"),
        }),
        gsi3: None,
    }
}

/// Inclusive `gsi2` sort-key bounds of the markers of hours up to `now`'s (a missed hourly run is
/// caught up by the next).
pub fn alerts_due_range(now: DateTime<Utc>) -> (String, String) {
    (
        BEFORE_ANY_TIME.to_owned(),
        format!("{}#~", hour_label(due_hour(now))),
    )
}

/// `gsi1` partition of a tenant's delivery log, by creation time.
pub fn deliveries_partition(tenant_id: &TenantId) -> String {
    format!("{}#DELIVERIES", tenant_partition(tenant_id))
}

pub fn delivery_key(tenant_id: &TenantId, delivery_id: &str) -> Result<Key, StoreError> {
    let id = escaped_key_part("delivery id", delivery_id)?;
    Ok(Key {
        pk: tenant_partition(tenant_id),
        sk: format!("{DELIVERY_PREFIX}{id}"),
    })
}

pub fn delivery(
    tenant_id: &TenantId,
    delivery_id: &str,
    created_at: DateTime<Utc>,
) -> Result<ItemKeys, StoreError> {
    let key = delivery_key(tenant_id, delivery_id)?;
    let id = escaped_key_part("delivery id", delivery_id)?;
    Ok(ItemKeys {
        key,
        gsi1: Some(IndexKey {
            pk: deliveries_partition(tenant_id),
            sk: format!("{}#{id}", sortable_time(created_at)),
        }),
        gsi2: None,
        gsi3: None,
    })
}

/// The one small item that paces sends to a channel across invocations.
pub fn send_slot(tenant_id: &TenantId, channel_key: &str) -> Result<ItemKeys, StoreError> {
    let channel = escaped_key_part("channel key", channel_key)?;
    Ok(ItemKeys::primary(
        tenant_partition(tenant_id),
        format!("{SEND_SLOT_PREFIX}{channel}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(id: &str) -> TenantId {
        TenantId::parse(id).unwrap()
    }

    #[test]
    fn pending_alerts_are_one_item_per_rule_channel_and_client_indexed_by_due_time() {
        let due = Utc.with_ymd_and_hms(2026, 11, 30, 7, 0, 0).unwrap();
        let keys = pending_alert_keys(
            &t("acme"),
            &AlertRuleId::parse("rule-1").unwrap(),
            &AlertChannelId::parse("slack-1").unwrap(),
            &ClientId::parse("c1").unwrap(),
            due,
        );
        assert_eq!(keys.key.pk, "TENANT#acme");
        assert_eq!(keys.key.sk, "PENDING#rule-1#slack-1#c1");
        let by_due = keys.gsi1.unwrap();
        assert_eq!(by_due.pk, "TENANT#acme#PENDING");
        assert_eq!(by_due.sk, "2026-11-30T07:00:00.000000Z#rule-1#slack-1#c1");
        let (low, high) = pending_due_range(due);
        assert!(low.as_str() <= by_due.sk.as_str() && by_due.sk <= high);
        let (_, before) = pending_due_range(due - TimeDelta::microseconds(1));
        assert!(by_due.sk > before, "not due a microsecond early");
        assert!(keys.key.sk.starts_with(&pending_alerts_prefix(
            &AlertRuleId::parse("rule-1").unwrap()
        )));
        assert!(!keys
            .key
            .sk
            .starts_with(&pending_alerts_prefix(&AlertRuleId::parse("rule").unwrap())));
    }

    #[test]
    fn due_markers_are_by_hour_then_tenant_and_cover_earlier_hours() {
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 7, 42, 10).unwrap();
        let marker = alerts_due_marker(&t("acme"), at);
        assert_eq!(marker.key.sk, "ALERTDUE#2026-11-30T07");
        let entry = marker.gsi2.unwrap();
        assert_eq!(
            (entry.pk.as_str(), entry.sk.as_str()),
            ("ALERTS#DUE", "2026-11-30T07#acme")
        );
        let (low, high) = alerts_due_range(at);
        assert!(low <= entry.sk && entry.sk <= high);
        let (_, an_hour_before) = alerts_due_range(at - TimeDelta::hours(1));
        assert!(entry.sk > an_hour_before);
        let (_, a_day_later) = alerts_due_range(at + TimeDelta::days(1));
        assert!(entry.sk < a_day_later, "a missed hour is caught up");
    }

    #[test]
    fn deliveries_sort_by_creation_and_escape_their_id() {
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 7, 0, 0).unwrap();
        let keys = delivery(&t("acme"), "d#1", at).unwrap();
        assert_eq!(keys.key.sk, "DELIVERY#d%231");
        assert_eq!(keys.gsi1.unwrap().sk, "2026-11-30T07:00:00.000000Z#d%231");
        assert!(delivery(&t("acme"), "", at).is_err());
        assert_eq!(
            send_slot(&t("acme"), "slack-1").unwrap().key.sk,
            "SENDSLOT#slack-1"
        );
    }
}
