//! Churn as the tenant defines it ([`OutcomeDefinition`]), seen run after run: each scoring run
//! folds what it sees of a client into the client's [`ClientOutcomeRecord`] ([`observe_outcome`]).
//!
//! Only a customer can churn: a client becomes one when its CRM lifecycle stage is customer or
//! evangelist, a deal of it was won, or a linked cloud subscription is paid for. Then, by the
//! definition's signals, the earliest that holds is its churn:
//! - renewal lost: its latest closed deal (by close date) is lost, an earlier deal was won, and no
//!   deal is open; churned at that deal's close date;
//! - left customer stage: its stage was customer or evangelist in an earlier run and is now another
//!   one; churned when seen (a run sees it within the sync interval);
//! - subscriptions cancelled: it has linked Pax8 subscriptions, none live, trial or pending, at
//!   least one cancelled; churned at the latest cancelled one's last change (else when seen);
//! - archived: its record left the CRM; churned when seen.
//!
//! Pure: `now` is passed in.

use crate::domain::{
    AccountSignals, ChurnReason, ClientId, ClientOutcomeRecord, ClientSnapshot,
    CloudSubscriptionStatus, OutcomeDefinition, Platform,
};
use crate::scoring::LinkedRecords;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Lifecycle stages of a paying customer (HubSpot's `customer` and `evangelist`).
const CUSTOMER_STAGES: [&str; 2] = ["customer", "evangelist"];

/// The client's record after this run, or `None` when nothing changed (nothing to write).
///
/// `snapshot` is `None` when the client's record left the CRM (it has a score, no snapshot).
pub fn observe_outcome(
    previous: Option<&ClientOutcomeRecord>,
    client_id: &ClientId,
    snapshot: Option<&ClientSnapshot>,
    linked: Option<&LinkedRecords>,
    definition: &OutcomeDefinition,
    now: DateTime<Utc>,
) -> Option<ClientOutcomeRecord> {
    if previous.is_some_and(|p| p.churned_at.is_some()) {
        return None;
    }
    let mut record = previous
        .cloned()
        .unwrap_or_else(|| ClientOutcomeRecord::new(client_id.clone(), now));
    let stage_is_customer = snapshot
        .and_then(|s| s.lifecycle_stage.as_deref())
        .is_some_and(|stage| CUSTOMER_STAGES.contains(&stage));
    let customer_now = stage_is_customer
        || snapshot.is_some_and(|s| s.deals.iter().any(|d| d.is_closed_won))
        || linked.is_some_and(has_live_subscription);

    let churn = if record.customer_since.is_some() || customer_now {
        earliest_churn(&record, snapshot, linked, definition, now)
    } else {
        None
    };
    if record.customer_since.is_none() && customer_now {
        record.customer_since = Some(now);
    }
    record.stage_was_customer |= stage_is_customer;
    if let Some((at, reason)) = churn {
        record.churned_at = Some(at);
        record.reason = Some(reason);
    }
    if previous == Some(&record) || (previous.is_none() && record.customer_since.is_none()) {
        // Nothing learnt: a prospect that never was a customer needs no record.
        return None;
    }
    record.recorded_at = now;
    Some(record)
}

/// What this run learnt of every client's fate: the records that changed, for the current clients
/// (`snapshots`) and those whose record left the CRM (`gone`).
pub fn observe_outcomes(
    previous: &[ClientOutcomeRecord],
    snapshots: &[ClientSnapshot],
    gone: &[ClientId],
    linked: &HashMap<ClientId, LinkedRecords>,
    definition: &OutcomeDefinition,
    now: DateTime<Utc>,
) -> Vec<ClientOutcomeRecord> {
    let known: HashMap<&ClientId, &ClientOutcomeRecord> =
        previous.iter().map(|r| (&r.client_id, r)).collect();
    let current = snapshots.iter().map(|s| (&s.client_id, Some(s)));
    let left = gone.iter().map(|id| (id, None));
    current
        .chain(left)
        .filter_map(|(id, snapshot)| {
            observe_outcome(
                known.get(id).copied(),
                id,
                snapshot,
                linked.get(id),
                definition,
                now,
            )
        })
        .collect()
}

/// Every record after this run's `changes`, by client id.
pub fn merge_outcomes(
    previous: Vec<ClientOutcomeRecord>,
    changes: &[ClientOutcomeRecord],
) -> Vec<ClientOutcomeRecord> {
    let mut by_client: std::collections::BTreeMap<ClientId, ClientOutcomeRecord> = previous
        .into_iter()
        .map(|r| (r.client_id.clone(), r))
        .collect();
    for change in changes {
        by_client.insert(change.client_id.clone(), change.clone());
    }
    by_client.into_values().collect()
}

/// The earliest churn the definition sees, as (when, why).
fn earliest_churn(
    record: &ClientOutcomeRecord,
    snapshot: Option<&ClientSnapshot>,
    linked: Option<&LinkedRecords>,
    definition: &OutcomeDefinition,
    now: DateTime<Utc>,
) -> Option<(DateTime<Utc>, ChurnReason)> {
    let Some(snapshot) = snapshot else {
        return definition
            .archived
            .then_some((now, ChurnReason::Archived))
            .filter(|_| record.customer_since.is_some());
    };
    let mut found: Vec<(DateTime<Utc>, ChurnReason)> = Vec::new();
    if definition.renewal_lost {
        if let Some(at) = renewal_lost_at(snapshot, now) {
            found.push((at, ChurnReason::RenewalLost));
        }
    }
    if definition.left_customer_stage && record.stage_was_customer {
        let stage = snapshot.lifecycle_stage.as_deref();
        if stage.is_some_and(|stage| !CUSTOMER_STAGES.contains(&stage)) {
            found.push((now, ChurnReason::LeftCustomerStage));
        }
    }
    if definition.subscriptions_cancelled {
        if let Some(at) = linked.and_then(|l| subscriptions_cancelled_at(l, now)) {
            found.push((at, ChurnReason::SubscriptionsCancelled));
        }
    }
    // Equal dates keep the order above (renewal, stage, subscriptions): the same input, the same reason.
    found.into_iter().min_by_key(|(at, _)| *at)
}

/// The close date of a lost renewal: the latest closed deal is lost, an earlier one won, none open.
fn renewal_lost_at(snapshot: &ClientSnapshot, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if snapshot.deals.iter().any(|d| !d.is_closed) {
        return None;
    }
    let mut closed: Vec<_> = snapshot
        .deals
        .iter()
        .filter_map(|d| d.close_date.filter(|at| *at <= now).map(|at| (at, d)))
        .collect();
    closed.sort_by_key(|(at, _)| *at);
    let (latest_at, latest) = closed.last()?;
    let won_before = closed
        .iter()
        .any(|(at, deal)| at < latest_at && deal.is_closed_won);
    (!latest.is_closed_won && won_before).then_some(*latest_at)
}

fn has_live_subscription(linked: &LinkedRecords) -> bool {
    cloud_subscriptions(linked).any(|s| s.status.is_live())
}

/// When every linked subscription ended: none live, trial or pending, at least one cancelled.
fn subscriptions_cancelled_at(linked: &LinkedRecords, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut any_cancelled = false;
    let mut latest: Option<DateTime<Utc>> = None;
    for subscription in cloud_subscriptions(linked) {
        match subscription.status {
            CloudSubscriptionStatus::Cancelled => {
                any_cancelled = true;
                latest = latest.max(subscription.updated_at);
            }
            CloudSubscriptionStatus::Other => {}
            _ => return None,
        }
    }
    any_cancelled.then(|| latest.filter(|at| *at <= now).unwrap_or(now))
}

fn cloud_subscriptions(
    linked: &LinkedRecords,
) -> impl Iterator<Item = &crate::domain::CloudSubscription> {
    linked
        .accounts_of(Platform::Pax8)
        .filter_map(|a| match &a.account.signals {
            AccountSignals::CloudSubscriptions(cloud) => Some(cloud),
            _ => None,
        })
        .flat_map(|cloud| cloud.subscriptions.iter())
}

#[cfg(test)]
#[path = "outcomes_tests.rs"]
mod tests;
