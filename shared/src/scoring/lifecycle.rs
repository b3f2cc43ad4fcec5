//! An insight's life across runs: opened when its rule first fires, updated while it holds, resolved
//! when it stops holding, reopened when it fires again. A user's "dismissed" sticks; a snooze lasts
//! until its date, and a run after that date stores it as open again (readers already see it open:
//! `Insight::status_at`).

use crate::domain::{Insight, InsightId, InsightStatus};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashSet};

/// Who changes an insight's status when the engine does it (users are named by the API).
pub const ENGINE_ACTOR: &str = "engine";

/// What a run must write, and how many insights it opened (new or reopened) and resolved.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InsightChanges {
    /// Insights to store, in id order. Each keeps the `version` it was read at, for the store's
    /// optimistic-concurrency check (0 for new ones).
    pub to_write: Vec<Insight>,
    pub opened: u64,
    pub resolved: u64,
    /// The insights this run opened (new, or back after they had resolved), in id order; each is in
    /// `to_write`. A finding of an insight a user acknowledged or dismissed is not among them.
    pub opened_ids: Vec<InsightId>,
    /// The insights this run resolved, in id order; each is in `to_write`.
    pub resolved_ids: Vec<InsightId>,
}

fn with_finding(existing: &Insight, fresh: Insight, now: DateTime<Utc>) -> Insight {
    Insight {
        status: existing.status,
        created_at: existing.created_at,
        status_changed_at: existing.status_changed_at,
        status_changed_by: existing.status_changed_by.clone(),
        status_reason: existing.status_reason.clone(),
        snoozed_until: existing.snoozed_until,
        version: existing.version,
        updated_at: now,
        ..fresh
    }
}

/// Merges a run's fresh insights with the stored ones. `existing` must cover the same scope as the
/// run (the whole tenant): a stored open insight the run did not produce is resolved.
pub fn reconcile_insights(
    existing: &[Insight],
    fresh: Vec<Insight>,
    now: DateTime<Utc>,
) -> InsightChanges {
    let stored: BTreeMap<&str, &Insight> = existing.iter().map(|i| (i.id.as_str(), i)).collect();
    let fresh_ids: HashSet<String> = fresh.iter().map(|i| i.id.as_str().to_owned()).collect();
    let mut changes = InsightChanges::default();

    for insight in fresh {
        match stored.get(insight.id.as_str()) {
            None => {
                changes.opened += 1;
                changes.opened_ids.push(insight.id.clone());
                changes.to_write.push(Insight {
                    status: InsightStatus::Open,
                    created_at: now,
                    updated_at: now,
                    version: 0,
                    ..insight
                });
            }
            Some(old) => match old.status {
                InsightStatus::Snoozed if old.status_at(now) == InsightStatus::Open => {
                    // The snooze ran out: stored as open again, as every reader already sees it.
                    let mut woken = with_finding(old, insight, now);
                    woken.status = InsightStatus::Open;
                    woken.snoozed_until = None;
                    woken.status_changed_at = Some(now);
                    woken.status_changed_by = Some(ENGINE_ACTOR.to_owned());
                    changes.to_write.push(woken);
                }
                InsightStatus::Open
                | InsightStatus::Acknowledged
                | InsightStatus::Dismissed
                | InsightStatus::Snoozed => {
                    if !old.same_finding_as(&insight) {
                        changes.to_write.push(with_finding(old, insight, now));
                    }
                }
                InsightStatus::Resolved => {
                    changes.opened += 1;
                    changes.opened_ids.push(insight.id.clone());
                    let mut reopened = with_finding(old, insight, now);
                    reopened.status = InsightStatus::Open;
                    reopened.snoozed_until = None;
                    reopened.status_changed_at = Some(now);
                    reopened.status_changed_by = Some(ENGINE_ACTOR.to_owned());
                    changes.to_write.push(reopened);
                }
            },
        }
    }

    for old in stored.values() {
        let still_holds = fresh_ids.contains(old.id.as_str());
        let active = matches!(
            old.status,
            InsightStatus::Open | InsightStatus::Acknowledged | InsightStatus::Snoozed
        );
        if !still_holds && active {
            changes.resolved += 1;
            changes.resolved_ids.push(old.id.clone());
            changes.to_write.push(Insight {
                status: InsightStatus::Resolved,
                snoozed_until: None,
                updated_at: now,
                status_changed_at: Some(now),
                status_changed_by: Some(ENGINE_ACTOR.to_owned()),
                ..(*old).clone()
            });
        }
    }

    changes.to_write.sort_by(|a, b| a.id.cmp(&b.id));
    changes.opened_ids.sort();
    changes.resolved_ids.sort();
    changes
}
