//! Erasure: deleting everything the product holds about one subject (a contact, a client, a
//! connection or the whole tenant), with a receipt that proves it happened and names no person.
//! Pure: the subject, the phases an erasure walks through, its counts and its receipt.

use crate::domain::{
    AuditChange, AuditEntityKind, ClientId, ClientSnapshot, ConnectionId, IdError, TenantId,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One erasure of a tenant (generated: `er-` and 16 hex digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ErasureId(String);

impl ErasureId {
    pub fn parse(value: impl Into<String>) -> Result<Self, IdError> {
        let value = value.into();
        // The same alphabet as every other id: it becomes a key part.
        crate::domain::SyncId::parse(value.clone())?;
        Ok(Self(value))
    }

    /// A fresh random id.
    pub fn generate() -> Self {
        let random = uuid::Uuid::new_v4().simple().to_string();
        Self(format!("er-{}", &random[..16]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ErasureId {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<ErasureId> for String {
    fn from(id: ErasureId) -> String {
        id.0
    }
}

impl std::str::FromStr for ErasureId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErasureId::parse(s)
    }
}

impl fmt::Display for ErasureId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an erasure covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErasureScope {
    /// One CRM contact (a person): removed from every snapshot and from the contact index.
    Contact,
    /// One client (a business) with everything derived from it and the records linked to it.
    Client,
    /// One connection to a platform: its records, their links, its secret.
    Connection,
    /// The whole tenant: every item, its secrets, its schedule entries and its export objects.
    Tenant,
}

impl ErasureScope {
    pub fn as_str(self) -> &'static str {
        match self {
            ErasureScope::Contact => "contact",
            ErasureScope::Client => "client",
            ErasureScope::Connection => "connection",
            ErasureScope::Tenant => "tenant",
        }
    }
}

/// The subject an erasure works on. The contact id is personal data: it is held only while the
/// erasure runs, and the finished erasure keeps its salted hash ([`Erasure::finish`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", content = "id", rename_all = "snake_case")]
pub enum ErasureTarget {
    Contact(String),
    Client(ClientId),
    Connection(ConnectionId),
    Tenant,
}

impl ErasureTarget {
    pub fn scope(&self) -> ErasureScope {
        match self {
            ErasureTarget::Contact(_) => ErasureScope::Contact,
            ErasureTarget::Client(_) => ErasureScope::Client,
            ErasureTarget::Connection(_) => ErasureScope::Connection,
            ErasureTarget::Tenant => ErasureScope::Tenant,
        }
    }

    /// What the receipt may say of the subject: the internal id of a business, a connection or the
    /// tenant (none of them a person), and for a contact a hash salted with the erasure's id, which
    /// proves a given contact was erased to whoever already knows its id and tells nobody else.
    pub fn receipt_subject(&self, erasure_id: &ErasureId, tenant_id: &TenantId) -> String {
        match self {
            ErasureTarget::Contact(contact_id) => salted_hash(erasure_id, contact_id),
            ErasureTarget::Client(client_id) => client_id.to_string(),
            ErasureTarget::Connection(connection_id) => connection_id.to_string(),
            ErasureTarget::Tenant => tenant_id.to_string(),
        }
    }
}

/// `sha256:<hex>` of `<erasure id>:<value>`.
pub fn salted_hash(erasure_id: &ErasureId, value: &str) -> String {
    let digest = Sha256::digest(format!("{erasure_id}:{value}").as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErasureStatus {
    Pending,
    Running,
    Completed,
    Failed,
}

/// Where a running erasure stands; each phase is idempotent, so a retried or continued invocation
/// simply runs the current one again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErasurePhase {
    /// Read what the later phases need (secret ids, the records linked to a client) and, for a
    /// tenant, take it out of the schedule.
    Prepare,
    /// Delete the secrets found in `Prepare`.
    Secrets,
    /// Delete the tenant's export objects.
    Objects,
    /// Walk the tenant's items page by page, deleting or rewriting what names the subject.
    Items,
    /// Write the receipt.
    Receipt,
    Done,
}

/// A platform record linked to a client (by an automatic or confirmed match), erased with it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LinkedRecord {
    pub connection_id: ConnectionId,
    pub external_id: String,
}

/// One erasure: what it erases, where it stands, what it erased so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Erasure {
    pub id: ErasureId,
    pub tenant_id: TenantId,
    pub scope: ErasureScope,
    /// What the receipt names: see [`ErasureTarget::receipt_subject`].
    pub subject: String,
    /// The subject itself, while the work needs it; `None` once finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<ErasureTarget>,
    pub status: ErasureStatus,
    pub phase: ErasurePhase,
    /// Items (by entity), secrets and objects erased so far.
    #[serde(default)]
    pub counts: BTreeMap<String, u64>,
    /// Secret ids to delete (found in `Prepare`; ids, never values).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_ids: Vec<String>,
    /// Records linked to the client being erased (found in `Prepare`, before their links go).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub linked: Vec<LinkedRecord>,
    /// Where the `Items` walk continues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Who asked: `api`, `hubspot-uninstall`, `connection-deleted`.
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Invocations that worked on it (continuations included).
    #[serde(default)]
    pub invocations: u32,
}

impl Erasure {
    /// A new, pending erasure of `target`.
    pub fn request(
        id: ErasureId,
        tenant_id: TenantId,
        target: ErasureTarget,
        requested_by: &str,
        now: DateTime<Utc>,
    ) -> Self {
        Erasure {
            subject: target.receipt_subject(&id, &tenant_id),
            scope: target.scope(),
            id,
            tenant_id,
            target: Some(target),
            status: ErasureStatus::Pending,
            phase: ErasurePhase::Prepare,
            counts: BTreeMap::new(),
            secret_ids: Vec::new(),
            linked: Vec::new(),
            cursor: None,
            requested_by: requested_by.to_owned(),
            requested_at: now,
            started_at: None,
            finished_at: None,
            error: None,
            invocations: 0,
        }
    }

    pub fn is_finished(&self) -> bool {
        matches!(
            self.status,
            ErasureStatus::Completed | ErasureStatus::Failed
        )
    }

    pub fn count(&mut self, what: &str, n: u64) {
        if n > 0 {
            *self.counts.entry(what.to_owned()).or_default() += n;
        }
    }

    /// Finished: the subject and anything found about it are dropped, only the receipt's facts stay.
    pub fn finish(&mut self, status: ErasureStatus, error: Option<String>, now: DateTime<Utc>) {
        self.status = status;
        self.error = error;
        self.finished_at = Some(now);
        self.target = None;
        self.linked.clear();
        self.secret_ids.clear();
        self.cursor = None;
        if status == ErasureStatus::Completed {
            self.phase = ErasurePhase::Done;
        }
    }

    /// The audit entry of this erasure: scope, subject (see [`ErasureTarget::receipt_subject`]),
    /// counts, status and times; nothing about a person.
    pub fn receipt(&self) -> AuditChange {
        let action = match self.status {
            ErasureStatus::Failed => "erasure.failed",
            _ => "erasure.completed",
        };
        AuditChange::new(action, AuditEntityKind::Erasure, &self.id).detail(serde_json::json!({
            "scope": self.scope,
            "subject": self.subject,
            "counts": self.counts,
            "requested_by": self.requested_by,
            "requested_at": self.requested_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "error": self.error,
        }))
    }
}

/// Removes the contacts from the snapshot: their summaries, and their ids from engagements. The
/// engagements themselves stay: they are the tenant's activity with the client, and no longer
/// point at the person. Returns whether anything changed.
pub fn erase_contacts(snapshot: &mut ClientSnapshot, contact_ids: &BTreeSet<String>) -> bool {
    let contacts_before = snapshot.contacts.len();
    snapshot
        .contacts
        .retain(|contact| !contact_ids.contains(&contact.id));
    let mut changed = snapshot.contacts.len() != contacts_before;
    for engagement in &mut snapshot.engagements {
        let links_before = engagement.contact_ids.len();
        engagement
            .contact_ids
            .retain(|contact_id| !contact_ids.contains(contact_id));
        changed |= engagement.contact_ids.len() != links_before;
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
    }

    #[test]
    fn a_contacts_receipt_holds_a_salted_hash_never_the_id() {
        let id = ErasureId::parse("er-1").unwrap();
        let tenant = TenantId::parse("acme").unwrap();
        let mut erasure = Erasure::request(
            id.clone(),
            tenant.clone(),
            ErasureTarget::Contact("90210".into()),
            "api",
            at(),
        );
        assert_eq!(erasure.subject, salted_hash(&id, "90210"));
        assert_ne!(
            salted_hash(&ErasureId::parse("er-2").unwrap(), "90210"),
            erasure.subject,
            "the salt is the erasure: two receipts of one contact cannot be joined"
        );
        erasure.count("snapshot", 2);
        erasure.finish(ErasureStatus::Completed, None, at());
        let stored = serde_json::to_string(&erasure).unwrap();
        let receipt = serde_json::to_string(&erasure.receipt()).unwrap();
        for text in [stored, receipt] {
            assert!(!text.contains("90210"), "{text}");
        }
        assert_eq!(erasure.receipt().action, "erasure.completed");
        assert_eq!(erasure.phase, ErasurePhase::Done);
    }

    #[test]
    fn business_subjects_are_named_by_their_internal_id() {
        let id = ErasureId::generate();
        let tenant = TenantId::parse("acme").unwrap();
        let client = ErasureTarget::Client(ClientId::parse("c1").unwrap());
        assert_eq!(client.receipt_subject(&id, &tenant), "c1");
        assert_eq!(ErasureTarget::Tenant.receipt_subject(&id, &tenant), "acme");
        assert!(id.as_str().starts_with("er-") && id.as_str().len() == 19);
        assert!(ErasureId::parse("a#b").is_err());
    }
}
