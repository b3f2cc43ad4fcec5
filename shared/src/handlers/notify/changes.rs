//! One tenant's client changes from a batch: which rules fire (`crate::alerts::evaluate`), which
//! states end, what the hygiene does with each firing (`crate::alerts::decide`), what goes now (a
//! burst per channel becoming one digest: `crate::alerts::plan_messages`), and its delivery.
//!
//! The order of the writes is what makes a retry safe: states that ended are forgotten and held
//! alerts queued first (both idempotent); messages go next; the state of a firing is written only
//! once every message carrying it is done. A firing whose message must be tried again leaves no
//! state, so the queue's retry evaluates it again, and its deterministic delivery ids skip the
//! channels that already have it.

use crate::alerts::{self, AlertEvent, Decision, Firing};
use crate::domain::{
    AlertRule, AlertRuleId, AlertState, ClientId, ClientSnooze, PendingAlert, TenantId,
};
use crate::handlers::notify::batch::Received;
use crate::handlers::notify::deliver::{Courier, Delivered, Outgoing};
use crate::handlers::notify::{Notifier, NotifyError};
use crate::handlers::route::Trigger;
use crate::ports::{ScoreStore, Store};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeSet, HashMap, HashSet};

/// What a tenant's changes led to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangesOutcome {
    pub messages_sent: usize,
    pub alerts_held: usize,
    /// Records whose alerts must be tried again (a channel stayed unavailable).
    pub retry_records: Vec<String>,
}

/// A rule fired for a client, with what the hygiene decided.
struct Decided<'r> {
    rule: &'r AlertRule,
    firing: Firing,
    decision: Decision,
}

pub async fn alert_on_changes<S>(
    notifier: &Notifier<'_, S>,
    courier: &Courier<'_, S>,
    records: &[Received],
    now: DateTime<Utc>,
) -> Result<ChangesOutcome, NotifyError>
where
    S: Store + ?Sized,
{
    let store = notifier.store;
    let dashboard_url = notifier.dashboard_url.as_deref();
    let Some(tenant_id) = records.iter().find_map(|r| tenant_of(&r.trigger)) else {
        return Ok(ChangesOutcome::default());
    };
    let rules = store.list_alert_rules(&tenant_id).await?;
    if !rules.iter().any(|rule| rule.enabled) {
        return Ok(ChangesOutcome::default());
    }
    let events: Vec<AlertEvent<'_>> = records
        .iter()
        .filter_map(|r| event_of(&r.trigger))
        .collect();
    let (tenant, snoozes, highs) = tokio::try_join!(
        store.get_tenant(&tenant_id),
        store.active_snoozes(&tenant_id, now),
        history_highs(store, &tenant_id, &rules, &events, now),
    )?;
    let keys: Vec<(AlertRuleId, ClientId)> = rules
        .iter()
        .flat_map(|rule| {
            events
                .iter()
                .map(|event| (rule.id.clone(), event.client_id().clone()))
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let stored: HashMap<(AlertRuleId, ClientId), AlertState> = store
        .alert_states(&tenant_id, &keys)
        .await?
        .into_iter()
        .map(|state| ((state.rule_id.clone(), state.client_id.clone()), state))
        .collect();
    let snoozed: HashMap<&ClientId, &ClientSnooze> =
        snoozes.iter().map(|s| (&s.client_id, s)).collect();

    // Which rules fire, and which stored states the events end.
    let mut ended: BTreeSet<(AlertRuleId, ClientId)> = BTreeSet::new();
    let mut decided: Vec<Decided<'_>> = Vec::new();
    let mut seen: HashSet<(AlertRuleId, ClientId, String)> = HashSet::new();
    for event in &events {
        for rule in &rules {
            let high = alerts::history_days(rule)
                .and_then(|days| highs.get(&(event.client_id().clone(), days)).copied());
            let key = (rule.id.clone(), event.client_id().clone());
            let state = stored.get(&key);
            if state.is_some_and(|s| alerts::ends_state(rule, event, s, high)) {
                ended.insert(key.clone());
            }
            let Some(firing) = alerts::evaluate(rule, event, high, dashboard_url) else {
                continue;
            };
            // The same event twice in a batch (a redelivery) fires once.
            if !seen.insert((
                rule.id.clone(),
                firing.client_id.clone(),
                firing.state_key.clone(),
            )) {
                continue;
            }
            let state = state.filter(|_| !ended.contains(&key));
            let snooze = snoozed.get(&firing.client_id).copied();
            let decision = alerts::decide(&firing, state, snooze, &tenant.alerting, rule, now);
            decided.push(Decided {
                rule,
                firing,
                decision,
            });
        }
    }
    // A state that ended and fired again in the same batch is replaced, not forgotten.
    let refired: HashSet<(AlertRuleId, ClientId)> = decided
        .iter()
        .filter(|d| !matches!(d.decision, Decision::Suppress(_)))
        .map(|d| (d.rule.id.clone(), d.firing.client_id.clone()))
        .collect();
    let forget: Vec<(AlertRuleId, ClientId)> =
        ended.into_iter().filter(|k| !refired.contains(k)).collect();
    store.delete_alert_states(&tenant_id, &forget).await?;

    // Held alerts (quiet hours, the daily digest): queued, and their state recorded.
    let mut held = Vec::new();
    let mut held_states = Vec::new();
    for d in &decided {
        let due_at = match d.decision {
            Decision::HoldUntil(at) | Decision::DailyDigest(at) => at,
            Decision::SendNow | Decision::Suppress(_) => continue,
        };
        held.extend(d.rule.channels.iter().map(|channel| PendingAlert {
            rule_id: d.rule.id.clone(),
            channel_id: channel.id.clone(),
            item: d.firing.item.clone(),
            queued_at: now,
            due_at,
        }));
        held_states.push(state_of(&d.firing, now));
    }
    store.put_pending_alerts(&tenant_id, &held).await?;
    store.put_alert_states(&tenant_id, &held_states).await?;

    // What goes now, as messages (a burst per channel: one digest), delivered one by one.
    let sending: Vec<&Decided<'_>> = decided
        .iter()
        .filter(|d| d.decision == Decision::SendNow)
        .collect();
    let sends = sending
        .iter()
        .flat_map(|d| {
            d.rule
                .channels
                .iter()
                .map(|channel| (d.rule, channel, d.firing.item.clone()))
        })
        .collect();
    let planned =
        alerts::plan_messages(sends, tenant.alerting.burst_digest_threshold, dashboard_url);
    let state_keys: HashMap<(&AlertRuleId, &ClientId, &str), &str> = sending
        .iter()
        .map(|d| {
            (
                (
                    &d.rule.id,
                    &d.firing.client_id,
                    d.firing.item.headline.as_str(),
                ),
                d.firing.state_key.as_str(),
            )
        })
        .collect();
    let rules_by_id: HashMap<&AlertRuleId, &AlertRule> =
        rules.iter().map(|rule| (&rule.id, rule)).collect();
    let mut outcome = ChangesOutcome {
        alerts_held: held_states.len(),
        ..ChangesOutcome::default()
    };
    let mut unfinished: HashSet<(AlertRuleId, ClientId)> = HashSet::new();
    for (channel, message) in planned {
        let Some(rule) = message.rule_id.as_ref().and_then(|id| rules_by_id.get(id)) else {
            continue;
        };
        let keys: Vec<alerts::AlertKey<'_>> = message
            .items
            .iter()
            .map(|item| {
                let state = state_keys
                    .get(&(&rule.id, &item.client_id, item.headline.as_str()))
                    .copied()
                    .unwrap_or(item.headline.as_str());
                (&item.client_id, state, item.occurred_at)
            })
            .collect();
        let delivery_id = alerts::delivery_id(&rule.id, &channel.id, &keys);
        let outgoing = Outgoing {
            delivery_id,
            channel,
            message,
        };
        match courier.deliver(rule, &outgoing).await? {
            Delivered::Sent => outcome.messages_sent += 1,
            Delivered::RetryLater(_) => {
                let clients: BTreeSet<&ClientId> = outgoing
                    .message
                    .items
                    .iter()
                    .map(|i| &i.client_id)
                    .collect();
                unfinished.extend(clients.iter().map(|c| (rule.id.clone(), (*c).clone())));
                outcome.retry_records.extend(
                    records
                        .iter()
                        .filter(|r| {
                            event_of(&r.trigger).is_some_and(|e| clients.contains(e.client_id()))
                        })
                        .map(|r| r.message_id.clone()),
                );
            }
            Delivered::AlreadySent | Delivered::Failed(_) | Delivered::Gone(_) => {}
        }
    }
    let sent_states: Vec<AlertState> = sending
        .iter()
        .filter(|d| !unfinished.contains(&(d.rule.id.clone(), d.firing.client_id.clone())))
        .map(|d| state_of(&d.firing, now))
        .collect();
    store.put_alert_states(&tenant_id, &sent_states).await?;
    Ok(outcome)
}

fn state_of(firing: &Firing, now: DateTime<Utc>) -> AlertState {
    AlertState {
        rule_id: firing.rule_id.clone(),
        client_id: firing.client_id.clone(),
        state_key: firing.state_key.clone(),
        alerted_at: now,
    }
}

/// For `overall_fell` rules: each changed client's highest overall score within each window such a
/// rule looks at (the fall is measured from it), keyed by (client, days).
async fn history_highs<S: ScoreStore + ?Sized>(
    store: &S,
    tenant_id: &TenantId,
    rules: &[AlertRule],
    events: &[AlertEvent<'_>],
    now: DateTime<Utc>,
) -> Result<HashMap<(ClientId, u16), u8>, crate::ports::StoreError> {
    let windows: BTreeSet<u16> = rules
        .iter()
        .filter(|rule| rule.enabled)
        .filter_map(alerts::history_days)
        .collect();
    let Some(longest) = windows.iter().max().copied() else {
        return Ok(HashMap::new());
    };
    let mut highs = HashMap::new();
    for event in events {
        let AlertEvent::Health(changed) = event else {
            continue;
        };
        let from = now - Duration::days(i64::from(longest));
        let points = store
            .history(tenant_id, &changed.client_id, from, now)
            .await?;
        for days in &windows {
            let since = now - Duration::days(i64::from(*days));
            let high = points
                .iter()
                .filter(|p| p.at >= since)
                .map(|p| p.overall)
                .chain([changed.before.overall])
                .max()
                .unwrap_or(changed.before.overall);
            highs.insert((changed.client_id.clone(), *days), high);
        }
    }
    Ok(highs)
}

fn event_of(trigger: &Trigger) -> Option<AlertEvent<'_>> {
    match trigger {
        Trigger::ClientHealthChanged(e) => Some(AlertEvent::Health(e)),
        Trigger::InsightOpened(e) => Some(AlertEvent::InsightOpened(e)),
        Trigger::InsightResolved(e) => Some(AlertEvent::InsightResolved(e)),
        _ => None,
    }
}

fn tenant_of(trigger: &Trigger) -> Option<TenantId> {
    match trigger {
        Trigger::ClientHealthChanged(e) => Some(e.tenant_id.clone()),
        Trigger::InsightOpened(e) => Some(e.tenant_id.clone()),
        Trigger::InsightResolved(e) => Some(e.tenant_id.clone()),
        _ => None,
    }
}
