//! The export function's work (run by the score Lambda): one `ExportRequested` becomes an archive
//! in the export bucket, and the job record says how it went.
//!
//! A redelivered event finds the job finished and does nothing. Any failure marks the job failed
//! with its cause and ends the invocation normally: a person asks again from the Data page, which
//! is clearer than a job that stays "running" while retries run out.

use crate::domain::{AuditChange, AuditEntityKind, ExportJob};
use crate::events::ExportRequested;
use crate::portability::{build_archive, CONTENT_TYPE};
use crate::ports::{ObjectStore, Store, StoreError};
use chrono::{DateTime, Utc};

/// Builds the archive of the requested export and records the outcome on its job.
/// `Err` only when the job itself cannot be read or written.
pub async fn handle_export_requested<S: Store + ?Sized>(
    store: &S,
    objects: &dyn ObjectStore,
    request: &ExportRequested,
    now: DateTime<Utc>,
) -> Result<ExportJob, StoreError> {
    let mut job = store
        .get_export(&request.tenant_id, &request.export_id)
        .await?;
    if job.status.is_finished() {
        return Ok(job);
    }
    job.start(now);
    store.put_export(&job).await?;

    let outcome = async {
        let built = build_archive(store, &job.tenant_id, Some(&job.id), now)
            .await
            .map_err(|e| e.to_string())?;
        let key = job.archive_key();
        let size = built.bytes.len() as u64;
        objects
            .put_object(&key, built.bytes, CONTENT_TYPE)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>((key, built.manifest.counts(), size))
    }
    .await;
    let finished_at = Utc::now().max(now);
    match outcome {
        Ok((key, counts, size)) => {
            tracing::info!(tenant = %job.tenant_id, export = %job.id, size, "export written");
            job.succeed(key, counts, size, finished_at);
        }
        Err(cause) => {
            tracing::error!(tenant = %job.tenant_id, export = %job.id, %cause, "export failed");
            job.fail(cause, finished_at);
        }
    }
    store.put_export(&job).await?;
    let action = if job.status == crate::domain::ExportStatus::Succeeded {
        "export.completed"
    } else {
        "export.failed"
    };
    crate::handlers::audit::record_system(
        store,
        &job.tenant_id,
        AuditChange::new(action, AuditEntityKind::Export, &job.id).detail(serde_json::json!({
            "counts": job.counts,
            "size_bytes": job.size_bytes,
            "error": job.error,
        })),
        finished_at,
    )
    .await?;
    Ok(job)
}
