//! An export of a tenant's data: requested through the API, built by the score function into an
//! archive in the export bucket, fetched through a short-lived link. The job record is what
//! `GET /v1/exports/{id}` shows; its transitions are here, pure.

use crate::domain::{ExportId, TenantId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How long the bucket keeps an archive (its lifecycle rule in infra/template.yaml says the same).
pub const ARCHIVE_RETENTION_DAYS: i64 = 7;
/// How long the job record stays listed (it outlives its archive, so a person sees it expired).
pub const JOB_RETENTION_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
}

impl ExportStatus {
    pub fn is_finished(self) -> bool {
        matches!(self, ExportStatus::Succeeded | ExportStatus::Failed)
    }
}

/// One export request and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExportJob {
    #[schema(value_type = String)]
    pub tenant_id: TenantId,
    #[schema(value_type = String)]
    pub id: ExportId,
    pub status: ExportStatus,
    pub requested_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// The archive's key in the export bucket, once written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_key: Option<String>,
    /// Lines per archive file (`clients.jsonl` -> 200), once written.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub counts: BTreeMap<String, u64>,
    /// The archive's size in bytes, once written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// Why it failed (no data of the tenant, only the cause).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ExportJob {
    /// A new request, waiting for the export function.
    pub fn queued(tenant_id: TenantId, now: DateTime<Utc>) -> Self {
        Self {
            tenant_id,
            id: ExportId::requested_at(now),
            status: ExportStatus::Queued,
            requested_at: now,
            started_at: None,
            finished_at: None,
            object_key: None,
            counts: BTreeMap::new(),
            size_bytes: None,
            error: None,
        }
    }

    /// Where its archive goes: under the tenant's prefix, so erasing a tenant's objects
    /// (`ObjectStore::delete_prefix("<tenant>/")`) takes it too.
    pub fn archive_key(&self) -> String {
        format!("{}/exports/{}.tar.gz", self.tenant_id, self.id)
    }

    /// The export function took it. A redelivered event finds it running or finished.
    pub fn start(&mut self, now: DateTime<Utc>) {
        self.status = ExportStatus::Running;
        self.started_at = Some(now);
    }

    pub fn succeed(
        &mut self,
        object_key: String,
        counts: BTreeMap<String, u64>,
        size_bytes: u64,
        now: DateTime<Utc>,
    ) {
        self.status = ExportStatus::Succeeded;
        self.object_key = Some(object_key);
        self.counts = counts;
        self.size_bytes = Some(size_bytes);
        self.finished_at = Some(now);
        self.error = None;
    }

    pub fn fail(&mut self, reason: impl Into<String>, now: DateTime<Utc>) {
        self.status = ExportStatus::Failed;
        self.error = Some(reason.into());
        self.finished_at = Some(now);
    }

    /// When the bucket's lifecycle removes its archive.
    pub fn archive_expires_at(&self) -> Option<DateTime<Utc>> {
        self.finished_at
            .filter(|_| self.status == ExportStatus::Succeeded)
            .map(|at| at + Duration::days(ARCHIVE_RETENTION_DAYS))
    }

    /// When the store forgets the job itself.
    pub fn record_expires_at(&self) -> DateTime<Utc> {
        self.requested_at + Duration::days(JOB_RETENTION_DAYS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_job_goes_from_queued_to_running_to_succeeded_under_its_tenants_prefix() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        let tenant = TenantId::parse("acme").unwrap();
        let mut job = ExportJob::queued(tenant, now);
        assert_eq!(job.status, ExportStatus::Queued);
        assert!(job
            .archive_key()
            .starts_with("acme/exports/20261201T100000000Z-"));
        assert_eq!(job.archive_expires_at(), None);
        job.start(now);
        assert_eq!(job.status, ExportStatus::Running);
        let key = job.archive_key();
        job.succeed(
            key.clone(),
            BTreeMap::from([("clients.jsonl".into(), 3)]),
            512,
            now,
        );
        assert!(job.status.is_finished());
        assert_eq!(job.object_key.as_deref(), Some(key.as_str()));
        assert_eq!(job.archive_expires_at(), Some(now + Duration::days(7)));
    }

    #[test]
    fn a_failed_job_keeps_its_reason_and_has_no_archive() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        let mut job = ExportJob::queued(TenantId::parse("acme").unwrap(), now);
        job.fail("store unavailable", now);
        assert_eq!(job.status, ExportStatus::Failed);
        assert_eq!(job.error.as_deref(), Some("store unavailable"));
        assert_eq!(job.archive_expires_at(), None);
    }
}
