//! The audit trail's vocabulary: what changed. Every change a person or the system makes to a tenant
//! is recorded as one entry (who, what, when, from where); `AuditChange` is the "what" the code that
//! makes the change hands to the trail (`api::audit::record` from the API, `handlers::audit` from the
//! functions). Before and after are kept only when small, and never hold secrets.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The kind of thing a change touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditEntityKind {
    Tenant,
    Settings,
    Insight,
    Correlation,
    Connection,
    AlertRule,
    ClientSnooze,
    Client,
    Contact,
    Export,
    Import,
    Erasure,
    Install,
    SyncRun,
    ScoringRun,
}

/// One change: an action (`insight.acknowledged`, `settings.updated`, `export.requested`, ...) on one
/// entity, with its state before and after where that is small.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditChange {
    /// `<entity>.<verb in the past tense>`, lower case.
    pub action: String,
    pub entity: AuditEntityKind,
    pub entity_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// Anything else worth keeping that is neither before nor after (counts of a run, a reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Value>,
}

impl AuditChange {
    pub fn new(action: impl Into<String>, entity: AuditEntityKind, id: impl ToString) -> Self {
        Self {
            action: action.into(),
            entity,
            entity_id: id.to_string(),
            before: None,
            after: None,
            detail: None,
        }
    }

    /// The state before, as JSON (left out when it does not serialise).
    pub fn before(mut self, before: &impl Serialize) -> Self {
        self.before = serde_json::to_value(before).ok();
        self
    }

    pub fn after(mut self, after: &impl Serialize) -> Self {
        self.after = serde_json::to_value(after).ok();
        self
    }

    pub fn detail(mut self, detail: Value) -> Self {
        self.detail = Some(detail);
        self
    }
}
