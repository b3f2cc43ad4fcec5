//! How alerts become messages: per (rule, channel), a burst of more than the tenant's threshold is
//! one digest (worst first), fewer go one message each; released pending alerts go as one digest
//! per (rule, channel) when there are several. And the deterministic id of a delivery, so a
//! redelivered event does not send twice.

use super::items;
use crate::domain::{
    AlertChannel, AlertChannelId, AlertItem, AlertMessage, AlertRule, AlertRuleId, ClientId,
    PendingAlert,
};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// One alert to send now: its rule, the channel and what it says.
pub type Send<'a> = (&'a AlertRule, &'a AlertChannel, AlertItem);

/// Groups `items` by key, keeping the order in which each key first shows.
fn grouped<K: PartialEq, T>(items: impl IntoIterator<Item = (K, T)>) -> Vec<(K, Vec<T>)> {
    let mut groups: Vec<(K, Vec<T>)> = Vec::new();
    for (key, item) in items {
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, group)) => group.push(item),
            None => groups.push((key, vec![item])),
        }
    }
    groups
}

fn message(
    rule: &AlertRule,
    items: Vec<AlertItem>,
    digest: bool,
    dashboard_url: Option<&str>,
) -> AlertMessage {
    AlertMessage {
        tenant_id: rule.tenant_id.clone(),
        rule_id: Some(rule.id.clone()),
        rule_name: rule.name.clone(),
        items,
        digest,
        test: false,
        dashboard_url: dashboard_url.map(str::to_owned),
    }
}

/// A digest of `items`, worst first.
fn digest(
    rule: &AlertRule,
    mut items: Vec<AlertItem>,
    dashboard_url: Option<&str>,
) -> AlertMessage {
    items.sort_by(items::worst_first);
    message(rule, items, true, dashboard_url)
}

/// The messages for alerts going out now: per (rule, channel), more than `threshold` items become
/// one digest (items worst first), otherwise one message per item. Groups keep the order in which
/// they first show.
pub fn plan_messages(
    sends: Vec<Send<'_>>,
    threshold: u32,
    dashboard_url: Option<&str>,
) -> Vec<(AlertChannel, AlertMessage)> {
    let groups = grouped(
        sends
            .into_iter()
            .map(|(rule, channel, item)| ((&rule.id, &channel.id), (rule, channel, item))),
    );
    let mut planned = Vec::new();
    for (_, group) in groups {
        let (rule, channel) = (group[0].0, group[0].1);
        let items: Vec<AlertItem> = group.into_iter().map(|(_, _, item)| item).collect();
        if items.len() > threshold as usize {
            planned.push((channel.clone(), digest(rule, items, dashboard_url)));
        } else {
            for item in items {
                planned.push((
                    channel.clone(),
                    message(rule, vec![item], false, dashboard_url),
                ));
            }
        }
    }
    planned
}

/// Released pending alerts as messages, with the alerts each carries (to delete once sent).
#[derive(Debug, Clone, PartialEq)]
pub struct Released {
    pub messages: Vec<(AlertChannel, AlertMessage, Vec<PendingAlert>)>,
    /// Alerts whose rule is gone or disabled, or whose channel the rule no longer has: nothing to
    /// send them to; delete them.
    pub orphans: Vec<PendingAlert>,
}

/// Plans the release of `pending` alerts (due at the digest hour or the end of quiet hours): per
/// (rule, channel), one digest when there are several, else one message.
pub fn plan_released(
    rules: &[AlertRule],
    pending: Vec<PendingAlert>,
    dashboard_url: Option<&str>,
) -> Released {
    let mut orphans = Vec::new();
    let mut deliverable = Vec::new();
    for alert in pending {
        let target = rules
            .iter()
            .filter(|rule| rule.enabled && rule.id == alert.rule_id)
            .find_map(|rule| {
                let channel = rule.channels.iter().find(|c| c.id == alert.channel_id)?;
                Some((rule, channel))
            });
        match target {
            Some((rule, channel)) => {
                deliverable.push(((&rule.id, &channel.id), (rule, channel, alert)))
            }
            None => orphans.push(alert),
        }
    }
    let messages = grouped(deliverable)
        .into_iter()
        .map(|(_, group)| {
            let (rule, channel) = (group[0].0, group[0].1);
            let alerts: Vec<PendingAlert> = group.into_iter().map(|(_, _, a)| a).collect();
            let items: Vec<AlertItem> = alerts.iter().map(|a| a.item.clone()).collect();
            let message = if items.len() > 1 {
                digest(rule, items, dashboard_url)
            } else {
                message(rule, items, false, dashboard_url)
            };
            (channel.clone(), message, alerts)
        })
        .collect();
    Released { messages, orphans }
}

/// What identifies one alert within a delivery: the client, the state alerted about (for a
/// released pending alert, its headline), and when the change happened. The time tells a new entry
/// into a state (after it was forgotten) from a redelivery of the same event.
pub type AlertKey<'a> = (&'a ClientId, &'a str, DateTime<Utc>);

/// A deterministic delivery id: the SHA-256 of the rule, the channel and the alerts' keys (sorted,
/// so their order does not matter), as 32 hex digits. A redelivered event gives the same id, so
/// its delivery record shows it was sent.
pub fn delivery_id(
    rule_id: &AlertRuleId,
    channel_id: &AlertChannelId,
    alerts: &[AlertKey<'_>],
) -> String {
    let mut keys: Vec<String> = alerts
        .iter()
        .map(|(client_id, state, at)| {
            format!("{client_id}\u{1f}{state}\u{1f}{}", at.timestamp_micros())
        })
        .collect();
    keys.sort();
    keys.dedup();
    let mut hasher = Sha256::new();
    hasher.update(rule_id.as_str().as_bytes());
    hasher.update([0x1e]);
    hasher.update(channel_id.as_str().as_bytes());
    for key in keys {
        hasher.update([0x1e]);
        hasher.update(key.as_bytes());
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("d-{}", &hex[..32])
}

#[cfg(test)]
#[path = "digest_tests.rs"]
mod tests;
