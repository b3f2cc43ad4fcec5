//! How far the schedule's fan-out got in one scheduled slot: one small record per slot, so a
//! retried schedule event (same time, same slot) continues where the failed one stopped instead of
//! asking every tenant again.

use crate::domain::{ConnectionId, SyncMode, TenantId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// What the schedule's fan-out did (over every invocation of its slot so far).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DispatchReport {
    /// Tenants whose HubSpot portal was asked to sync.
    pub tenants_requested: u64,
    pub tenants_skipped: u64,
    /// Connections (beyond the HubSpot portal) asked to sync.
    pub connections_requested: u64,
    /// Connections left alone: paused, or waiting for new credentials.
    pub connections_skipped: u64,
    /// Active tenants whose slot is another tick of their interval
    /// ([`crate::domain::schedule_slot`]), and their connections: asked at their own tick.
    #[serde(default)]
    pub tenants_not_due: u64,
}

/// One sync request of the fan-out, as much as the record keeps of it: a retry rebuilds the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispatchRequest {
    pub tenant_id: TenantId,
    /// `None`: the tenant's HubSpot portal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<ConnectionId>,
    pub mode: SyncMode,
}

/// The fan-out's progress in one slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispatchProgress {
    /// The schedule event's time: a retried event carries the same one.
    pub slot: DateTime<Utc>,
    /// The tenant listing's cursor of the next page; `None` before the first page and after the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Tenant pages whose requests went out (or were kept in `unpublished`).
    pub pages: u32,
    /// Every page was listed and every request published.
    pub finished: bool,
    /// Requests the bus did not take: the next invocation publishes them first. At most one page's
    /// worth (a failure stops the run before the next page is listed).
    #[serde(default)]
    pub unpublished: Vec<DispatchRequest>,
    /// Requests published so far (in `report`'s counts), and what was skipped.
    pub report: DispatchReport,
    /// Moves at every save: two invocations of one slot never both save a page.
    pub version: u64,
    pub updated_at: DateTime<Utc>,
}

impl DispatchProgress {
    /// How long a slot lasts: the schedule's default rate (`rate(1 hour)`), which is also the
    /// schedule rule's `MaximumEventAgeInSeconds` (a tick older than that is superseded by the next).
    pub const SLOT_LENGTH_MINUTES: i64 = 60;
    /// How long a record is kept after its slot (the table's TTL deletes it): long enough to read
    /// what a dispatch did, short enough that the records stay a handful.
    pub const KEPT_FOR_DAYS: i64 = 2;

    /// Nothing done yet in `slot`.
    pub fn start(slot: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        Self {
            slot,
            cursor: None,
            pages: 0,
            finished: false,
            unpublished: Vec::new(),
            report: DispatchReport::default(),
            version: 0,
            updated_at: now,
        }
    }

    /// Whether `now` is past the slot: the next slot's dispatch asks every tenant anew, so
    /// continuing this one would only ask some of them twice.
    pub fn is_over(slot: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now >= slot + Duration::minutes(Self::SLOT_LENGTH_MINUTES)
    }

    /// When the table's TTL deletes the record.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.slot + Duration::days(Self::KEPT_FOR_DAYS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_slot_is_over_an_hour_after_its_tick() {
        let slot = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        assert!(!DispatchProgress::is_over(slot, slot));
        assert!(!DispatchProgress::is_over(
            slot,
            slot + Duration::minutes(59)
        ));
        assert!(DispatchProgress::is_over(
            slot,
            slot + Duration::minutes(60)
        ));
        let progress = DispatchProgress::start(slot, slot);
        assert_eq!(progress.expires_at(), slot + Duration::days(2));
    }
}
