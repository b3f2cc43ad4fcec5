//! The events of one client's change, emitted by the score function beside `ScoresUpdated`: a score
//! that moved (`ClientHealthChanged`) and an insight that opened or resolved. The notify function
//! turns them into alerts; anyone else may subscribe to them on the bus.
//!
//! Each is small (one client, at most `MAX_MOVED_FACTORS` factors) so a scoring run of a large
//! tenant publishes them in PutEvents batches without nearing EventBridge's 256 KiB per entry.

use crate::domain::{ClientId, FactorMove, HealthLevel, InsightFacts, SyncId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A client's overall score, band or churn risk changed at a scoring. Not emitted at a client's
/// first scoring (there is nothing to compare with: an install would otherwise alert on every
/// client).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientHealthChanged {
    pub schema_version: u32,
    pub tenant_id: TenantId,
    /// The sync whose scoring saw the change.
    pub sync_id: SyncId,
    pub client_id: ClientId,
    pub client_name: String,
    /// The client's lifecycle stage in the CRM, lower-cased (what alert scopes call a segment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_stage: Option<String>,
    pub before: HealthLevel,
    pub after: HealthLevel,
    /// The factors whose points moved most, largest move first (at most `domain::MAX_MOVED_FACTORS`).
    pub moved_factors: Vec<FactorMove>,
    pub scored_at: DateTime<Utc>,
}

impl ClientHealthChanged {
    pub fn band_changed(&self) -> bool {
        self.before.band != self.after.band
    }

    /// Points the overall score moved (negative: it fell).
    pub fn overall_delta(&self) -> i16 {
        i16::from(self.after.overall) - i16::from(self.before.overall)
    }
}

/// An insight opened at a scoring (new, or back after it had resolved).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InsightOpened {
    pub schema_version: u32,
    pub tenant_id: TenantId,
    pub sync_id: SyncId,
    #[serde(flatten)]
    pub insight: InsightFacts,
    pub opened_at: DateTime<Utc>,
}

/// An insight whose rule no longer holds: the scoring resolved it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InsightResolved {
    pub schema_version: u32,
    pub tenant_id: TenantId,
    pub sync_id: SyncId,
    #[serde(flatten)]
    pub insight: InsightFacts,
    pub resolved_at: DateTime<Utc>,
}
