//! The export handler: a requested export becomes an archive in the bucket, once.

use crate::fixtures::{after_data, empty_tenant, tenant_with_data};
use crate::scoring_support::now;
use chrono::Duration;
use shared::domain::{ExportJob, ExportStatus};
use shared::events::ExportRequested;
use shared::handlers::export::handle_export_requested;
use shared::objects::MemoryObjectStore;
use shared::portability::{read_archive, EntityFile, CONTENT_TYPE};
use shared::ports::{ExportStore, ObjectError, ObjectStore, PageRequest, ScoreStore};
use shared::store::MemoryStore;

async fn requested(store: &MemoryStore, tenant: &str) -> ExportJob {
    let job = ExportJob::queued(crate::fixtures::tenant_id(tenant), now());
    store.put_export(&job).await.unwrap();
    job
}

#[tokio::test]
async fn a_requested_export_is_written_under_the_tenant_with_a_manifest_that_counts_each_file() {
    let store = MemoryStore::with_clock(now);
    tenant_with_data(&store, "acme").await;
    let objects = MemoryObjectStore::new();
    let job = requested(&store, "acme").await;

    let done = handle_export_requested(&store, &objects, &ExportRequested::of(&job), after_data())
        .await
        .unwrap();

    assert_eq!(done.status, ExportStatus::Succeeded, "{:?}", done.error);
    let key = done.object_key.clone().unwrap();
    assert!(key.starts_with("acme/exports/"), "{key}");
    assert_eq!(objects.content_type(&key).as_deref(), Some(CONTENT_TYPE));
    let bytes = objects.get_object(&key).await.unwrap();
    assert_eq!(done.size_bytes, Some(bytes.len() as u64));
    let archive = read_archive(&bytes).unwrap();
    assert_eq!(archive.manifest.tenant_id.as_str(), "acme");
    assert_eq!(archive.manifest.export_id.as_ref(), Some(&job.id));
    let counts = archive.manifest.counts();
    assert_eq!(counts, done.counts);
    assert_eq!(counts["settings.jsonl"], 1);
    assert_eq!(counts["clients.jsonl"], 4);
    assert_eq!(counts["scores.jsonl"], 4);
    // Every history point the store holds for the tenant's clients, however many the scorings wrote
    // (a score that did not move writes a point only every 20 hours).
    let tenant = crate::fixtures::tenant_id("acme");
    let mut stored_points: u64 = 0;
    for score in shared::store::every_score(&store, &tenant).await.unwrap() {
        stored_points += store
            .history(
                &tenant,
                &score.client_id,
                now() - Duration::days(3650),
                after_data() + Duration::days(1),
            )
            .await
            .unwrap()
            .len() as u64;
    }
    assert!(stored_points >= 4, "each client has history");
    assert_eq!(counts["score_history.jsonl"], stored_points);
    assert!(counts["insights.jsonl"] >= 1);
    assert_eq!(counts["correlations.jsonl"], 1);
    assert_eq!(counts["connections.jsonl"], 1);
    assert_eq!(counts["audit.jsonl"], 0);
    assert_eq!(
        archive.manifest.files.len(),
        EntityFile::ALL.len(),
        "every entity file is there, even empty"
    );
    // The stored job says the same.
    let stored = store.get_export(&job.tenant_id, &job.id).await.unwrap();
    assert_eq!(stored, done);
}

#[tokio::test]
async fn no_secret_name_leaves_with_the_connections() {
    let store = MemoryStore::with_clock(now);
    tenant_with_data(&store, "acme").await;
    let objects = MemoryObjectStore::new();
    let job = requested(&store, "acme").await;
    let done = handle_export_requested(&store, &objects, &ExportRequested::of(&job), after_data())
        .await
        .unwrap();
    let bytes = objects
        .get_object(done.object_key.as_deref().unwrap())
        .await
        .unwrap();
    let archive = read_archive(&bytes).unwrap();
    let text = String::from_utf8(archive.bytes(EntityFile::Connections).to_vec()).unwrap();
    assert!(text.contains("paypal-1"), "{text}");
    for absent in ["ci/acme", "credentials_secret_id", "status"] {
        assert!(!text.contains(absent), "{absent} in {text}");
    }
}

#[tokio::test]
async fn a_redelivered_request_finds_the_export_done_and_writes_nothing_more() {
    let store = MemoryStore::with_clock(now);
    tenant_with_data(&store, "acme").await;
    let objects = MemoryObjectStore::new();
    let job = requested(&store, "acme").await;
    let event = ExportRequested::of(&job);
    let first = handle_export_requested(&store, &objects, &event, after_data())
        .await
        .unwrap();
    objects.delete_prefix("acme/").await.unwrap();

    let again = handle_export_requested(&store, &objects, &event, now() + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(again, first);
    assert!(objects.list_objects("acme/").await.unwrap().is_empty());
}

/// A bucket that refuses every write.
struct BrokenBucket;

#[async_trait::async_trait]
impl ObjectStore for BrokenBucket {
    async fn put_object(&self, _: &str, _: Vec<u8>, _: &str) -> Result<(), ObjectError> {
        Err(ObjectError::Unavailable("bucket unreachable".into()))
    }
    async fn get_object(&self, key: &str) -> Result<Vec<u8>, ObjectError> {
        Err(ObjectError::NotFound(key.into()))
    }
    async fn list_objects(&self, _: &str) -> Result<Vec<String>, ObjectError> {
        Ok(Vec::new())
    }
    async fn delete_prefix(&self, _: &str) -> Result<u64, ObjectError> {
        Ok(0)
    }
    async fn download_link(
        &self,
        key: &str,
        _: chrono::DateTime<chrono::Utc>,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<shared::ports::DownloadLink, ObjectError> {
        Err(ObjectError::NotFound(key.into()))
    }
}

#[tokio::test]
async fn an_export_the_bucket_refuses_is_recorded_failed_with_the_cause() {
    let store = MemoryStore::with_clock(now);
    empty_tenant(&store, "acme").await;
    let job = requested(&store, "acme").await;
    let done = handle_export_requested(
        &store,
        &BrokenBucket,
        &ExportRequested::of(&job),
        after_data(),
    )
    .await
    .unwrap();
    assert_eq!(done.status, ExportStatus::Failed);
    assert!(done
        .error
        .as_deref()
        .unwrap()
        .contains("bucket unreachable"));
    assert_eq!(done.object_key, None);
    let listed = store
        .list_exports(&job.tenant_id, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(listed.items, vec![done]);
}

#[tokio::test]
async fn an_empty_tenant_exports_empty_files_and_one_settings_line() {
    let store = MemoryStore::with_clock(now);
    empty_tenant(&store, "acme").await;
    let objects = MemoryObjectStore::new();
    let job = requested(&store, "acme").await;
    let done = handle_export_requested(&store, &objects, &ExportRequested::of(&job), after_data())
        .await
        .unwrap();
    assert_eq!(done.status, ExportStatus::Succeeded);
    let total: u64 = done.counts.values().sum();
    assert_eq!(total, 1, "{:?}", done.counts);
}
