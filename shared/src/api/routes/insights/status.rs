//! A person's status change of one insight, shared by `PATCH /v1/insights/{id}` and the bulk route:
//! the rules (a resolved insight belongs to the engine, a snooze needs a date to come), the write,
//! the audit entry, and the tenant summary following the change.

use crate::api::error::ApiError;
use crate::api::{audit, ApiState, Caller};
use crate::domain::{AuditChange, AuditEntityKind, Insight, InsightId, InsightStatus, TenantId};
use crate::ports::{StatusChange, Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The longest reason kept (a sentence or two, not a document).
pub const MAX_REASON_CHARS: usize = 500;
/// The furthest a snooze may reach: past a year it is a dismissal.
pub const MAX_SNOOZE_DAYS: i64 = 366;

/// The statuses a person may set; `resolved` belongs to the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestedStatus {
    Open,
    Acknowledged,
    Dismissed,
    /// Out of the open list until `snoozed_until`, then open again by itself.
    Snoozed,
}

impl From<RequestedStatus> for InsightStatus {
    fn from(status: RequestedStatus) -> Self {
        match status {
            RequestedStatus::Open => InsightStatus::Open,
            RequestedStatus::Acknowledged => InsightStatus::Acknowledged,
            RequestedStatus::Dismissed => InsightStatus::Dismissed,
            RequestedStatus::Snoozed => InsightStatus::Snoozed,
        }
    }
}

/// A checked status change, ready to apply to any number of insights.
#[derive(Debug, Clone)]
pub struct Requested {
    pub status: InsightStatus,
    pub reason: Option<String>,
    pub snoozed_until: Option<DateTime<Utc>>,
}

impl Requested {
    /// Checks the parts of a request: a snooze needs a date to come (within a year), only a snooze
    /// takes a date, and a reason is a short text (blank counts as none).
    pub fn check(
        status: RequestedStatus,
        reason: Option<String>,
        snoozed_until: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Self, ApiError> {
        let invalid = |field: &str, reason: String| ApiError::InvalidField {
            field: field.to_owned(),
            reason,
        };
        let reason = reason
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        if reason
            .as_ref()
            .is_some_and(|r| r.chars().count() > MAX_REASON_CHARS)
        {
            return Err(invalid(
                "reason",
                format!("must be at most {MAX_REASON_CHARS} characters"),
            ));
        }
        match (status, snoozed_until) {
            (RequestedStatus::Snoozed, None) => Err(invalid(
                "snoozed_until",
                "is required to snooze (the date the insight comes back)".to_owned(),
            )),
            (RequestedStatus::Snoozed, Some(until)) if until <= now => {
                Err(invalid("snoozed_until", "must be in the future".to_owned()))
            }
            (RequestedStatus::Snoozed, Some(until))
                if until > now + Duration::days(MAX_SNOOZE_DAYS) =>
            {
                Err(invalid(
                    "snoozed_until",
                    format!("must be within {MAX_SNOOZE_DAYS} days; dismiss it instead"),
                ))
            }
            (RequestedStatus::Snoozed, until) => Ok(Self {
                status: InsightStatus::Snoozed,
                reason,
                snoozed_until: until,
            }),
            (_, Some(_)) => Err(invalid(
                "snoozed_until",
                "is only for status `snoozed`".to_owned(),
            )),
            (other, None) => Ok(Self {
                status: other.into(),
                reason,
                snoozed_until: None,
            }),
        }
    }

    /// The audit action: `insight.acknowledged`, `insight.dismissed`, `insight.snoozed`,
    /// `insight.reopened`.
    fn action(&self) -> &'static str {
        match self.status {
            InsightStatus::Open => "insight.reopened",
            InsightStatus::Acknowledged => "insight.acknowledged",
            InsightStatus::Dismissed => "insight.dismissed",
            InsightStatus::Snoozed => "insight.snoozed",
            InsightStatus::Resolved => "insight.resolved",
        }
    }
}

/// What applying a change did.
#[derive(Debug, Clone)]
pub enum Applied {
    /// Written: the insight as it was stored before, and as it is now.
    Changed {
        before: Box<Insight>,
        after: Box<Insight>,
    },
    /// Already so (as it reads now): nothing written.
    Unchanged(Box<Insight>),
}

/// Applies `requested` to one insight: `NotFound`, or `Conflict` when it is resolved or moved past
/// `version`. The audit entry and the summary are the caller's ([`record`], [`follow_in_summary`]),
/// so a bulk change updates the summary once.
pub async fn apply(
    state: &ApiState,
    caller: &Caller,
    id: &InsightId,
    requested: &Requested,
    version: Option<u64>,
) -> Result<Applied, ApiError> {
    let now = state.now();
    let current = state.store.get_insight(&caller.tenant_id, id).await?;
    if let Some(version) = version.filter(|v| *v != current.version) {
        return Err(ApiError::conflict(format!(
            "The insight is at version {}, not {version}: read it again and retry.",
            current.version
        )));
    }
    if current.status == InsightStatus::Resolved {
        return Err(ApiError::conflict(
            "The insight is resolved: its condition no longer holds, and it reopens by itself if it returns.",
        ));
    }
    // A snooze may be moved to another date; any other status asked again changes nothing.
    if requested.status != InsightStatus::Snoozed && current.status_at(now) == requested.status {
        return Ok(Applied::Unchanged(Box::new(current.as_seen_at(now))));
    }
    let change = StatusChange {
        status: requested.status,
        changed_by: caller.subject.clone(),
        changed_at: now,
        expected_version: current.version,
        reason: requested.reason.clone(),
        snoozed_until: requested.snoozed_until,
    };
    let after = state
        .store
        .change_insight_status(&caller.tenant_id, id, &change)
        .await?;
    Ok(Applied::Changed {
        before: Box::new(current),
        after: Box::new(after),
    })
}

/// The part of an insight the audit trail keeps: its status and snooze date. The reason is the
/// person's free text and may name people, so it stays on the insight, not in the trail.
#[derive(Serialize)]
struct AuditedStatus {
    status: InsightStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    snoozed_until: Option<DateTime<Utc>>,
}

/// Records one applied change in the audit trail.
pub async fn record(
    state: &ApiState,
    caller: &Caller,
    requested: &Requested,
    before: &Insight,
    after: &Insight,
    bulk: bool,
) -> Result<(), ApiError> {
    let status = |i: &Insight| AuditedStatus {
        status: i.status,
        snoozed_until: i.snoozed_until,
    };
    let change = AuditChange::new(requested.action(), AuditEntityKind::Insight, &after.id)
        .before(&status(before))
        .after(&status(after))
        .detail(serde_json::json!({
            "reason_given": requested.reason.is_some(),
            "bulk": bulk,
        }));
    audit::record(state, caller, change).await
}

/// Moves the changed insights in or out of the summary's open counts, in one write. The changes
/// themselves are already stored; if the summary cannot follow, the next scoring run rewrites it
/// whole, so this only logs. `moves`: each insight as it was stored before, and its new status.
pub async fn follow_in_summary(
    store: &dyn Store,
    tenant_id: &TenantId,
    moves: &[(Insight, InsightStatus)],
) {
    const ATTEMPTS: usize = 3;
    if moves.is_empty() {
        return;
    }
    for _ in 0..ATTEMPTS {
        let mut summary = match store.get_summary(tenant_id).await {
            // No summary yet: the overview counts live until score writes one.
            Ok(None) => return,
            Ok(Some(summary)) => summary,
            Err(error) => {
                tracing::warn!(%error, tenant = %tenant_id, "could not read the summary");
                return;
            }
        };
        for (before, status) in moves {
            summary.status_changed(before, *status);
        }
        match store.put_summary(tenant_id, &summary, true).await {
            Ok(_) => return,
            Err(StoreError::Conflict { .. }) => continue,
            Err(error) => {
                tracing::warn!(%error, tenant = %tenant_id, "could not update the summary");
                return;
            }
        }
    }
    tracing::warn!(tenant = %tenant_id, "the summary kept changing; the next scoring run corrects it");
}
