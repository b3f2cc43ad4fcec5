//! The conformance case of export jobs (run against both adapters by the `conformance!` list of
//! `store_conformance.rs`).

use super::*;
use shared::domain::{ExportJob, ExportStatus};

pub(super) async fn export_jobs_are_kept_per_tenant_and_listed_newest_first<S: Store>(store: &S) {
    let acme = &tid("acme");
    // Jobs expire (TTL) 30 days after their request: dated now, so none has expired when read.
    let t0 = Utc::now;
    let jobs: Vec<ExportJob> = (0..7)
        .map(|n| ExportJob::queued(acme.clone(), t0() - Duration::minutes(10 - n)))
        .collect();
    for job in &jobs {
        store.put_export(job).await.unwrap();
    }
    let other = ExportJob::queued(tid("globex"), t0());
    store.put_export(&other).await.unwrap();

    let listed = walk(
        3,
        |page| async move { store.list_exports(acme, &page).await },
    )
    .await;
    let ids: Vec<_> = listed.iter().map(|j| j.id.clone()).collect();
    let mut newest_first: Vec<_> = jobs.iter().map(|j| j.id.clone()).collect();
    newest_first.reverse();
    assert_eq!(ids, newest_first);

    let mut done = jobs[2].clone();
    done.start(t0());
    let key = done.archive_key();
    done.succeed(key, [("clients.jsonl".to_string(), 3)].into(), 99, t0());
    store.put_export(&done).await.unwrap();
    let read = store.get_export(acme, &done.id).await.unwrap();
    assert_eq!(read, done);
    assert_eq!(read.status, ExportStatus::Succeeded);

    // Another tenant's job is not found under this tenant.
    assert!(matches!(
        store.get_export(acme, &other.id).await,
        Err(StoreError::NotFound { .. })
    ));
}
