//! A 10,000-client tenant's export: every line is there, and the figures (time, sizes, largest
//! file) are printed (`--nocapture`); nothing here is timed against a limit.

use crate::fixtures::{after_data, empty_tenant, tenant_id};
use crate::scoring_support::{client, now};
use shared::portability::{build_archive, read_archive, EntityFile};
use shared::ports::SnapshotStore;
use shared::store::MemoryStore;
use std::time::Instant;

const CLIENTS: usize = 10_000;

#[tokio::test]
async fn a_ten_thousand_client_tenant_exports_every_client() {
    let store = MemoryStore::with_clock(now);
    empty_tenant(&store, "big").await;
    let tenant = tenant_id("big");
    let snapshots: Vec<_> = (0..CLIENTS)
        .map(|n| {
            client(&format!("c{n:05}"))
                .contacts(3)
                .sent_emails(6)
                .received_emails(4)
                .won_deal(Some(10_000.0), 40.0)
                .build()
        })
        .collect();
    for batch in snapshots.chunks(500) {
        store.put_snapshots(&tenant, batch).await.unwrap();
    }
    drop(snapshots);

    let started = Instant::now();
    let built = build_archive(&store, &tenant, None, after_data())
        .await
        .unwrap();
    let took = started.elapsed();
    let archive = read_archive(&built.bytes).unwrap();
    assert_eq!(
        archive.manifest.file(EntityFile::Clients).unwrap().count,
        CLIENTS as u64
    );
    let largest = archive
        .manifest
        .files
        .iter()
        .max_by_key(|f| f.bytes)
        .unwrap();
    println!(
        "export of {CLIENTS} clients: {:.2} s, archive {:.1} MB compressed, {:.1} MB of JSON Lines, largest file {} at {:.1} MB (the most held uncompressed at once)",
        took.as_secs_f64(),
        built.bytes.len() as f64 / 1e6,
        archive.manifest.files.iter().map(|f| f.bytes).sum::<u64>() as f64 / 1e6,
        largest.name,
        largest.bytes as f64 / 1e6,
    );
}
