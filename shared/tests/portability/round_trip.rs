//! Export tenant A, import the archive into an empty tenant B, export B: the entity files are the
//! same apart from the tenant id (and the insight ids derived from it).

use crate::fixtures::{after_data, empty_tenant, tenant_id, tenant_with_data};
use crate::scoring_support::now;
use chrono::Duration;
use serde_json::Value;
use shared::domain::{ConnectionStatus, ExportJob, InsightRule, TenantId};
use shared::events::ExportRequested;
use shared::handlers::export::handle_export_requested;
use shared::objects::MemoryObjectStore;
use shared::portability::import::IMPORTED_CONNECTION_REASON;
use shared::portability::{
    build_archive, import_archive, read_archive, ArchiveError, EntityFile, ImportError,
};
use shared::ports::{ConnectionStore, ExportStore, ObjectStore, TenantStore};
use shared::scoring::insight_id;
use shared::store::MemoryStore;

const SECRET_PREFIX: &str = "ci/tenants/";

/// Tenant A's data exported through the handler, as a person downloads it.
async fn exported(store: &MemoryStore, tenant: &str) -> Vec<u8> {
    let objects = MemoryObjectStore::new();
    let job = ExportJob::queued(tenant_id(tenant), now());
    store.put_export(&job).await.unwrap();
    let done = handle_export_requested(store, &objects, &ExportRequested::of(&job), after_data())
        .await
        .unwrap();
    objects
        .get_object(done.object_key.as_deref().unwrap())
        .await
        .unwrap()
}

fn lines(archive: &[u8], entity: EntityFile) -> Vec<Value> {
    read_archive(archive)
        .unwrap()
        .lines(entity)
        .map(Result::unwrap)
        .collect()
}

/// A's line as B's: B's tenant id, and an insight's id derived for B.
fn moved(mut line: Value, to: &TenantId) -> Value {
    if line.get("tenant_id").is_some() {
        line["tenant_id"] = Value::String(to.to_string());
    }
    if let (Some(client), Some(rule)) = (line.get("client_id"), line.get("rule")) {
        let client = client.as_str().unwrap().parse().unwrap();
        let rule: InsightRule = serde_json::from_value(rule.clone()).unwrap();
        line["id"] = Value::String(insight_id(to, &client, rule).to_string());
    }
    line
}

#[tokio::test]
async fn an_archive_imported_into_an_empty_tenant_exports_the_same_data() {
    let store = MemoryStore::with_clock(now);
    tenant_with_data(&store, "tenant-a").await;
    empty_tenant(&store, "tenant-b").await;
    let b = tenant_id("tenant-b");

    let archive_a = exported(&store, "tenant-a").await;
    let report = import_archive(&store, &b, &archive_a, SECRET_PREFIX, now())
        .await
        .unwrap();
    assert_eq!(report.source_tenant.as_str(), "tenant-a");
    assert_eq!(report.counts["clients.jsonl"], 4);

    let archive_b = build_archive(&store, &b, None, now() + Duration::hours(3))
        .await
        .unwrap()
        .bytes;
    for entity in EntityFile::ALL {
        if entity == EntityFile::Audit {
            continue; // each tenant's own trail (empty in both until the audit store lands)
        }
        let a: Vec<Value> = lines(&archive_a, entity)
            .into_iter()
            .map(|line| moved(line, &b))
            .collect();
        let b_lines = lines(&archive_b, entity);
        assert!(!a.is_empty(), "{} has data in A", entity.name());
        assert_eq!(a, b_lines, "{} differs after the round trip", entity.name());
    }
}

#[tokio::test]
async fn imported_connections_wait_for_their_credentials_under_the_new_tenants_secrets() {
    let store = MemoryStore::with_clock(now);
    tenant_with_data(&store, "tenant-a").await;
    empty_tenant(&store, "tenant-b").await;
    let b = tenant_id("tenant-b");
    let archive = exported(&store, "tenant-a").await;
    import_archive(&store, &b, &archive, SECRET_PREFIX, now())
        .await
        .unwrap();
    let connections = store.list_connections(&b).await.unwrap();
    assert_eq!(connections.len(), 1);
    let connection = &connections[0];
    assert_eq!(connection.status, ConnectionStatus::NeedsReauth);
    assert_eq!(
        connection.status_reason.as_deref(),
        Some(IMPORTED_CONNECTION_REASON)
    );
    assert_eq!(
        connection.credentials_secret_id,
        "ci/tenants/tenant-b/connections/paypal-1"
    );
    // Settings came along.
    let tenant = store.get_tenant(&b).await.unwrap();
    assert_eq!(tenant.settings.history_retention_days, 365);
    assert!(tenant.writeback.enabled);
}

#[tokio::test]
async fn an_import_refuses_a_tenant_with_data_or_none_at_all() {
    let store = MemoryStore::with_clock(now);
    tenant_with_data(&store, "tenant-a").await;
    let archive = exported(&store, "tenant-a").await;
    let into_itself = import_archive(
        &store,
        &tenant_id("tenant-a"),
        &archive,
        SECRET_PREFIX,
        now(),
    )
    .await;
    assert!(
        matches!(
            &into_itself,
            Err(ImportError::NotEmpty {
                what: "clients",
                ..
            })
        ),
        "{into_itself:?}"
    );
    let nobody = import_archive(
        &store,
        &tenant_id("tenant-x"),
        &archive,
        SECRET_PREFIX,
        now(),
    )
    .await;
    assert!(
        matches!(nobody, Err(ImportError::NoTenant(_))),
        "{nobody:?}"
    );
}

/// The archive with `file`'s bytes passed through `change`, the manifest left as it was.
fn tampered(archive: &[u8], file: &str, change: impl Fn(Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    use flate2::read::GzDecoder;
    use flate2::write::GzEncoder;
    use std::io::Read;
    let mut out = tar::Builder::new(GzEncoder::new(Vec::new(), flate2::Compression::fast()));
    let mut input = tar::Archive::new(GzDecoder::new(archive));
    for entry in input.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if name == file {
            bytes = change(bytes);
        }
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        out.append_data(&mut header, &name, bytes.as_slice())
            .unwrap();
    }
    out.into_inner().unwrap().finish().unwrap()
}

#[tokio::test]
async fn an_archive_whose_files_do_not_match_its_manifest_is_refused_and_nothing_is_written() {
    let store = MemoryStore::with_clock(now);
    tenant_with_data(&store, "tenant-a").await;
    empty_tenant(&store, "tenant-b").await;
    let b = tenant_id("tenant-b");
    let archive = exported(&store, "tenant-a").await;

    let edited = tampered(&archive, "scores.jsonl", |bytes| {
        String::from_utf8(bytes)
            .unwrap()
            .replacen("\"overall\":", "\"overall\": ", 1)
            .into_bytes()
    });
    let refused = import_archive(&store, &b, &edited, SECRET_PREFIX, now()).await;
    match refused {
        Err(ImportError::Archive(ArchiveError::ChecksumMismatch { file, .. })) => {
            assert_eq!(file, "scores.jsonl")
        }
        other => panic!("expected a checksum refusal, got {other:?}"),
    }
    let truncated = tampered(&archive, "clients.jsonl", |bytes| {
        let text = String::from_utf8(bytes).unwrap();
        text.lines()
            .next()
            .map(|l| format!("{l}\n"))
            .unwrap()
            .into_bytes()
    });
    let refused = import_archive(&store, &b, &truncated, SECRET_PREFIX, now()).await;
    assert!(
        matches!(
            &refused,
            Err(ImportError::Archive(ArchiveError::ChecksumMismatch { .. }))
        ),
        "{refused:?}"
    );
    // B is still empty: a refused archive writes nothing.
    let clean = import_archive(&store, &b, &archive, SECRET_PREFIX, now()).await;
    assert!(clean.is_ok(), "{clean:?}");
}
