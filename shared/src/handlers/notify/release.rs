//! The hourly release: alerts held by quiet hours or for the daily digest go out when due, one
//! message per (rule, channel) (a digest when it holds several), and are removed once their
//! message is done (sent, or failed for good). Alerts whose message must be tried again stay
//! queued and due, so the next release (or the queue's retry of this one) sends them.

use crate::alerts;
use crate::domain::TenantId;
use crate::handlers::notify::deliver::{Courier, Delivered, Outgoing};
use crate::ports::alerts::AlertStore;
use crate::ports::StoreError;
use crate::store::every_page;
use chrono::{DateTime, Utc};

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
    let tenants =
        every_page(|page| async move { courier.store.tenants_with_due_alerts(now, &page).await })
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
    let rules = store.list_alert_rules(tenant_id).await?;
    let planned = alerts::plan_released(&rules, due, dashboard_url);
    if !planned.orphans.is_empty() {
        // The rule was deleted or turned off, or lost the channel, since the alerts were held:
        // nobody asked for them any more.
        tracing::info!(tenant = %tenant_id, alerts = planned.orphans.len(),
            "held alerts dropped: their rule or channel is gone or off");
        store
            .delete_pending_alerts(tenant_id, &planned.orphans)
            .await?;
    }
    let mut released = Released::default();
    for (channel, message, alerts) in planned.messages {
        let Some(rule) = message
            .rule_id
            .as_ref()
            .and_then(|id| rules.iter().find(|rule| &rule.id == id))
        else {
            continue;
        };
        // A held alert's key is its headline (its state is not kept with it).
        let keys: Vec<alerts::AlertKey<'_>> = alerts
            .iter()
            .map(|a| {
                (
                    &a.item.client_id,
                    a.item.headline.as_str(),
                    a.item.occurred_at,
                )
            })
            .collect();
        let outgoing = Outgoing {
            delivery_id: alerts::delivery_id(&rule.id, &channel.id, &keys),
            channel,
            message,
        };
        let delivered = courier.deliver(rule, &outgoing).await?;
        if delivered.needs_retry() {
            released.retry_later += 1;
            continue;
        }
        if delivered == Delivered::Sent {
            released.messages_sent += 1;
        }
        released.alerts_released += alerts.len();
        store.delete_pending_alerts(tenant_id, &alerts).await?;
    }
    Ok(released)
}
