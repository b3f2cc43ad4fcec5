//! The audit trail's vocabulary: what changed. Every change a person or the system makes to a tenant
//! is recorded as one entry (who, what, when, from where); `AuditChange` is the "what" the code that
//! makes the change hands to the trail (`api::audit::record` from the API, `handlers::audit` from the
//! functions). Before and after are kept only when small, and never hold secrets.

use crate::domain::{Role, TenantId};
use chrono::{DateTime, Utc};
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
    ClientOverride,
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

/// How long a tenant's audit entries are kept, in days: the default and the range a tenant may choose.
pub const DEFAULT_AUDIT_RETENTION_DAYS: u32 = 365;
pub const AUDIT_RETENTION_DAYS: std::ops::RangeInclusive<u32> = 30..=3650;
/// The largest before, after or detail an entry keeps (its JSON, in bytes). A bigger one is replaced
/// by a marker saying it was truncated, so one entry stays far below DynamoDB's 400 KB item limit
/// and the trail stays a record of who did what, not a copy of the data.
pub const MAX_STATE_BYTES: usize = 4 * 1024;
/// The actor of the changes the functions make by themselves.
pub const SYSTEM_ACTOR: &str = "system";

/// The tenant's audit settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// Days an audit entry is kept before it expires (30 to 3650; default 365).
    #[serde(default = "default_retention_days")]
    pub retention_days: u32,
}

fn default_retention_days() -> u32 {
    DEFAULT_AUDIT_RETENTION_DAYS
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            retention_days: DEFAULT_AUDIT_RETENTION_DAYS,
        }
    }
}

impl AuditSettings {
    pub fn validate(&self) -> Result<(), crate::domain::SettingsError> {
        if AUDIT_RETENTION_DAYS.contains(&self.retention_days) {
            return Ok(());
        }
        Err(crate::domain::SettingsError {
            field: "audit.retention_days",
            reason: format!(
                "must be between {} and {}",
                AUDIT_RETENTION_DAYS.start(),
                AUDIT_RETENTION_DAYS.end()
            ),
        })
    }
}

/// Who made a change: a person (their token's subject, never an email or name, and their role), or
/// the system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditActor {
    Person { subject: String, role: Role },
    System,
}

/// One entry of a tenant's audit trail: who, what, when, from where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Unique within the tenant; entries of the same instant are told apart by it.
    pub id: String,
    #[schema(value_type = String)]
    pub tenant_id: TenantId,
    pub at: DateTime<Utc>,
    /// The person's subject (their identity provider's id for them), or `system`.
    pub actor: String,
    /// The person's role when they made the change; absent for the system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// `<entity>.<verb in the past tense>`, e.g. `settings.updated`.
    pub action: String,
    pub entity: AuditEntityKind,
    pub entity_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub detail: Option<Value>,
    /// The API request the change came in (API Gateway's request id); absent for the system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl AuditEntry {
    /// The entry of `change`, made by `actor` at `at` in `request_id`; before, after and detail
    /// larger than [`MAX_STATE_BYTES`] are replaced by a truncation marker.
    pub fn of(
        tenant_id: TenantId,
        actor: AuditActor,
        change: AuditChange,
        at: DateTime<Utc>,
        request_id: Option<String>,
    ) -> Self {
        let (actor, role) = match actor {
            AuditActor::Person { subject, role } => (subject, Some(role)),
            AuditActor::System => (SYSTEM_ACTOR.to_string(), None),
        };
        Self {
            id: uuid::Uuid::new_v4().simple().to_string()[..16].to_string(),
            tenant_id,
            at,
            actor,
            role,
            action: change.action,
            entity: change.entity,
            entity_id: change.entity_id,
            before: change.before.map(capped),
            after: change.after.map(capped),
            detail: change.detail.map(capped),
            request_id: request_id.filter(|id| !id.is_empty()),
        }
    }

    /// Whether the system made this change.
    pub fn by_system(&self) -> bool {
        self.role.is_none()
    }
}

/// `value`, or a marker in its place when its JSON is longer than [`MAX_STATE_BYTES`].
fn capped(value: Value) -> Value {
    let bytes = serde_json::to_vec(&value).map_or(usize::MAX, |json| json.len());
    if bytes <= MAX_STATE_BYTES {
        return value;
    }
    serde_json::json!({
        "truncated": true,
        "bytes": bytes,
        "note": format!("larger than {MAX_STATE_BYTES} bytes, not kept"),
    })
}

/// Which entries a listing keeps: each given field must match exactly; `from` and `to` bound `at`
/// (inclusive).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub entity: Option<AuditEntityKind>,
    pub entity_id: Option<String>,
    pub action: Option<String>,
    pub actor: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl AuditFilter {
    pub fn matches(&self, entry: &AuditEntry) -> bool {
        self.entity.is_none_or(|e| entry.entity == e)
            && self
                .entity_id
                .as_ref()
                .is_none_or(|id| &entry.entity_id == id)
            && self.action.as_ref().is_none_or(|a| &entry.action == a)
            && self.actor.as_ref().is_none_or(|a| &entry.actor == a)
            && self.from.is_none_or(|from| entry.at >= from)
            && self.to.is_none_or(|to| entry.at <= to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
    }

    #[test]
    fn a_large_state_is_replaced_by_a_truncation_marker() {
        let big = "x".repeat(MAX_STATE_BYTES + 1);
        let change = AuditChange::new("settings.updated", AuditEntityKind::Settings, "acme")
            .before(&serde_json::json!({"small": 1}))
            .after(&serde_json::json!({ "big": big }));
        let entry = AuditEntry::of(
            TenantId::parse("acme").unwrap(),
            AuditActor::Person {
                subject: "user-1".into(),
                role: Role::Admin,
            },
            change,
            at(),
            Some("req-1".into()),
        );
        assert_eq!(entry.before, Some(serde_json::json!({"small": 1})));
        let after = entry.after.unwrap();
        assert_eq!(after["truncated"], true);
        assert!(after["bytes"].as_u64().unwrap() > MAX_STATE_BYTES as u64);
        assert_eq!(entry.role, Some(Role::Admin));
        assert_eq!(entry.request_id.as_deref(), Some("req-1"));
    }

    #[test]
    fn the_system_has_no_role_and_no_request() {
        let change = AuditChange::new("sync_run.finished", AuditEntityKind::SyncRun, "s-1");
        let entry = AuditEntry::of(
            TenantId::parse("acme").unwrap(),
            AuditActor::System,
            change,
            at(),
            None,
        );
        assert_eq!(entry.actor, SYSTEM_ACTOR);
        assert!(entry.by_system());
        assert!(!entry.id.is_empty());
    }

    #[test]
    fn retention_is_between_30_days_and_ten_years() {
        assert!(AuditSettings::default().validate().is_ok());
        assert_eq!(AuditSettings::default().retention_days, 365);
        for bad in [0, 29, 3651] {
            let error = AuditSettings {
                retention_days: bad,
            }
            .validate()
            .unwrap_err();
            assert_eq!(error.field, "audit.retention_days");
        }
        assert!(AuditSettings { retention_days: 30 }.validate().is_ok());
    }

    #[test]
    fn a_filter_matches_every_given_field() {
        let entry = AuditEntry::of(
            TenantId::parse("acme").unwrap(),
            AuditActor::System,
            AuditChange::new("insight.acknowledged", AuditEntityKind::Insight, "ins-1"),
            at(),
            None,
        );
        assert!(AuditFilter::default().matches(&entry));
        let filter = AuditFilter {
            entity: Some(AuditEntityKind::Insight),
            action: Some("insight.acknowledged".into()),
            actor: Some("system".into()),
            from: Some(at()),
            to: Some(at()),
            ..Default::default()
        };
        assert!(filter.matches(&entry));
        let other = AuditFilter {
            action: Some("insight.dismissed".into()),
            ..Default::default()
        };
        assert!(!other.matches(&entry));
    }
}
