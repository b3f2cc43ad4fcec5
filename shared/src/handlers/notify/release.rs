//! The hourly release: alerts held by quiet hours or for the daily digest go out when due, one
//! message per (rule, channel) (a digest when it holds several), and are removed once their
//! message is done (sent, or failed for good). Alerts whose message must be tried again stay
//! queued and due, so the next release (or the queue's retry of this one) sends them.

use crate::domain::{
    AlertChannelId, AlertMessage, AlertRule, AlertRuleId, PendingAlert, TenantId,
};
use crate::handlers::notify::deliver::{Courier, Outgoing};
use crate::ports::alerts::AlertStore;
use crate::ports::StoreError;
use crate::store::every_page;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

/// What a release did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Released {
    pub messages_sent: usize,
    pub alerts_released: usize,
    /// Messages left for a later try (the release's record fails so the queue retries it).
    pub retry_later: usize,
}

/// Releases every tenant's due alerts at `now`.
pub async fn release_due<S: AlertStore + ?Sized>(
    courier: &Courier<'_, S>,
    dashboard_url: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Released, StoreError> {
    let tenants = every_page(|page| async move {
        courier.store.tenants_with_due_alerts(now, &page).await
    })
    .await?;
    let mut total = Released::default();
    for tenant_id in tenants {
        let released = release_tenant(courier, &tenant_id, dashboard_url, now).await?;
        total.messages_sent += released.messages_sent;
        total.alerts_released += released.alerts_released;
        total.retry_later += released.retry_later;
    }
    Ok(total)
}

async fn release_tenant<S: AlertStore + ?Sized>(
    courier: &Courier<'_, S>,
    tenant_id: &TenantId,
    dashboard_url: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Released, StoreError> {
    let store = courier.store;
    let due = store.due_pending_alerts(tenant_id, now).await?;
    if due.is_empty() {
        return Ok(Released::default());
    }
    let rules: HashMap<AlertRuleId, AlertRule> = store
        .list_alert_rules(tenant_id)
        .await?
        .into_iter()
        .map(|rule| (rule.id.clone(), rule))
        .collect();
    let mut groups: BTreeMap<(AlertRuleId, AlertChannelId), Vec<PendingAlert>> = BTreeMap::new();
    for alert in due {
        groups
            .entry((alert.rule_id.clone(), alert.channel_id.clone()))
            .or_default()
            .push(alert);
    }
    let mut released = Released::default();
    for ((rule_id, channel_id), mut alerts) in groups {
        let channel = rules
            .get(&rule_id)
            .filter(|rule| rule.enabled)
            .and_then(|rule| rule.channels.iter().find(|c| c.id == channel_id));
        let (Some(rule), Some(channel)) = (rules.get(&rule_id), channel) else {
            // The rule was deleted or turned off, or lost this channel, since the alerts were
            // held: nobody asked for them any more.
            tracing::info!(tenant = %tenant_id, rule = %rule_id, channel = %channel_id,
                alerts = alerts.len(), "held alerts dropped: their rule or channel is gone or off");
            store.delete_pending_alerts(tenant_id, &alerts).await?;
            continue;
        };
        alerts.sort_by(|a, b| a.item.occurred_at.cmp(&b.item.occurred_at));
        let message = AlertMessage {
            tenant_id: tenant_id.clone(),
            rule_id: Some(rule.id.clone()),
            rule_name: rule.name.clone(),
            items: alerts.iter().map(|a| a.item.clone()).collect(),
            digest: alerts.len() > 1,
            test: false,
            dashboard_url: dashboard_url.map(str::to_string),
        };
        let outgoing = Outgoing {
            delivery_id: crate::alerts::delivery_id(rule, channel, &message),
            channel: channel.clone(),
            message,
        };
        let delivered = courier.deliver(rule, &outgoing).await?;
        if delivered.needs_retry() {
            released.retry_later += 1;
            continue;
        }
        if matches!(delivered, super::deliver::Delivered::Sent) {
            released.messages_sent += 1;
        }
        released.alerts_released += alerts.len();
        store.delete_pending_alerts(tenant_id, &alerts).await?;
    }
    Ok(released)
}
