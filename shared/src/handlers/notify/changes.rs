//! One tenant's client changes from a batch: what fires (`crate::alerts`), what hygiene holds back,
//! what goes now (a burst per channel becoming one digest), and its delivery.

use crate::alerts;
use crate::domain::{AlertCondition, AlertRule, ClientId};
use crate::handlers::notify::batch::Received;
use crate::handlers::notify::deliver::{Courier, Delivered, Outgoing};
use crate::handlers::notify::{NotifyError, Notifier};
use crate::handlers::route::Trigger;
use crate::ports::alerts::AlertStore;
use crate::ports::{ScoreStore, TenantStore};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeSet, HashMap};

/// What a tenant's changes led to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangesOutcome {
    pub messages_sent: usize,
    pub alerts_held: usize,
    /// Records whose alerts must be tried again (a channel stayed unavailable).
    pub retry_records: Vec<String>,
}

pub async fn alert_on_changes<S>(
    notifier: &Notifier<'_, S>,
    courier: &Courier<'_, S>,
    records: &[Received],
    now: DateTime<Utc>,
) -> Result<ChangesOutcome, NotifyError>
where
    S: AlertStore + TenantStore + ScoreStore + ?Sized,
{
    let store = notifier.store;
    let Some(tenant_id) = records.iter().find_map(|r| tenant_of(&r.trigger)) else {
        return Ok(ChangesOutcome::default());
    };
    let rules: Vec<AlertRule> = store
        .list_alert_rules(&tenant_id)
        .await?
        .into_iter()
        .filter(|rule| rule.enabled)
        .collect();
    if rules.is_empty() {
        return Ok(ChangesOutcome::default());
    }
    let (tenant, snoozes) = tokio::try_join!(
        store.get_tenant(&tenant_id),
        store.active_snoozes(&tenant_id, now),
    )?;
    let events: Vec<&Trigger> = records.iter().map(|r| &r.trigger).collect();
    let highs = history_highs(store, &tenant_id, &rules, &events, now).await?;

    let candidates = alerts::evaluate(&rules, &events, &highs, notifier.dashboard_url.as_deref());
    let keys: Vec<_> = candidates.iter().map(|c| c.state_key()).collect();
    let states = store.alert_states(&tenant_id, &keys).await?;
    let decision = alerts::decide(&tenant.alerting, &rules, candidates, &states, &snoozes, now);
    store
        .put_alert_states(&tenant_id, &decision.states_to_put)
        .await?;
    store
        .delete_alert_states(&tenant_id, &decision.states_to_delete)
        .await?;
    store
        .put_pending_alerts(&tenant_id, &decision.held)
        .await?;

    let mut outcome = ChangesOutcome {
        alerts_held: decision.held.len(),
        ..ChangesOutcome::default()
    };
    let planned = alerts::plan_messages(
        &tenant.alerting,
        &rules,
        decision.send_now,
        notifier.dashboard_url.as_deref(),
    );
    let by_id: HashMap<_, _> = rules.iter().map(|r| (r.id.clone(), r)).collect();
    for (rule_id, channel, message) in planned {
        let Some(rule) = by_id.get(&rule_id) else {
            continue;
        };
        let outgoing = Outgoing {
            delivery_id: alerts::delivery_id(rule, &channel, &message),
            channel,
            message,
        };
        match courier.deliver(rule, &outgoing).await? {
            Delivered::Sent => outcome.messages_sent += 1,
            Delivered::RetryLater(_) => {
                let clients: BTreeSet<&ClientId> =
                    outgoing.message.items.iter().map(|i| &i.client_id).collect();
                outcome.retry_records.extend(
                    records
                        .iter()
                        .filter(|r| client_of(&r.trigger).is_some_and(|c| clients.contains(c)))
                        .map(|r| r.message_id.clone()),
                );
            }
            Delivered::AlreadySent | Delivered::Failed(_) | Delivered::Gone(_) => {}
        }
    }
    Ok(outcome)
}

/// For `overall_fell` rules: each changed client's highest overall score within the longest
/// window such a rule looks at (the fall is measured from it).
async fn history_highs<S: ScoreStore + ?Sized>(
    store: &S,
    tenant_id: &crate::domain::TenantId,
    rules: &[AlertRule],
    events: &[&Trigger],
    now: DateTime<Utc>,
) -> Result<HashMap<ClientId, u8>, NotifyError> {
    let Some(days) = rules
        .iter()
        .filter_map(|rule| match rule.condition {
            AlertCondition::OverallFell { days, .. } => Some(days),
            _ => None,
        })
        .max()
    else {
        return Ok(HashMap::new());
    };
    let from = now - Duration::days(i64::from(days));
    let mut highs = HashMap::new();
    for event in events {
        if let Trigger::ClientHealthChanged(changed) = event {
            let points = store
                .history(tenant_id, &changed.client_id, from, now)
                .await?;
            let high = points
                .iter()
                .map(|p| p.overall)
                .chain([changed.before.overall])
                .max()
                .unwrap_or(changed.before.overall);
            highs.insert(changed.client_id.clone(), high);
        }
    }
    Ok(highs)
}

fn tenant_of(trigger: &Trigger) -> Option<crate::domain::TenantId> {
    match trigger {
        Trigger::ClientHealthChanged(e) => Some(e.tenant_id.clone()),
        Trigger::InsightOpened(e) => Some(e.tenant_id.clone()),
        Trigger::InsightResolved(e) => Some(e.tenant_id.clone()),
        _ => None,
    }
}

fn client_of(trigger: &Trigger) -> Option<&ClientId> {
    match trigger {
        Trigger::ClientHealthChanged(e) => Some(&e.client_id),
        Trigger::InsightOpened(e) => Some(&e.insight.client_id),
        Trigger::InsightResolved(e) => Some(&e.insight.client_id),
        _ => None,
    }
}
