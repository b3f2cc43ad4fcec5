//! The conformance case of the schedule's fan-out progress (run against both adapters by the
//! `conformance!` list of `store_conformance.rs`).

use super::*;
use shared::domain::{ConnectionId, DispatchProgress, DispatchRequest};

pub(super) async fn dispatch_progress_is_one_versioned_item_per_slot_that_expires<S: Store>(
    store: &S,
) {
    let slot = Utc::now();
    assert_eq!(store.dispatch_progress(slot).await.unwrap(), None);

    let mut progress = DispatchProgress::start(slot, slot);
    progress.version = 1;
    progress.pages = 3;
    progress.cursor = Some("cursor-after-page-3".into());
    progress.report.tenants_requested = 290;
    progress.unpublished = vec![
        DispatchRequest {
            tenant_id: tid("acme"),
            connection_id: None,
            mode: SyncMode::Full,
        },
        DispatchRequest {
            tenant_id: tid("acme"),
            connection_id: Some(ConnectionId::parse("paypal-1").unwrap()),
            mode: SyncMode::Incremental,
        },
    ];
    assert!(store.save_dispatch_progress(&progress, None).await.unwrap());
    assert!(
        !store.save_dispatch_progress(&progress, None).await.unwrap(),
        "a second first save loses: another invocation of the slot got there first"
    );
    assert_eq!(
        store.dispatch_progress(slot).await.unwrap().as_ref(),
        Some(&progress)
    );

    let mut next = progress.clone();
    next.version = 2;
    next.pages = 4;
    next.cursor = None;
    next.unpublished.clear();
    next.finished = true;
    assert!(store.save_dispatch_progress(&next, Some(1)).await.unwrap());
    assert!(
        !store.save_dispatch_progress(&next, Some(1)).await.unwrap(),
        "a save on a version read before the last save loses"
    );
    assert_eq!(store.dispatch_progress(slot).await.unwrap(), Some(next));

    // Another slot is another item.
    let later = slot + Duration::hours(1);
    assert_eq!(store.dispatch_progress(later).await.unwrap(), None);

    // Two days after its slot the record is gone (TTL deletes lazily; it reads as absent at once).
    let old = slot - Duration::days(3);
    let mut expired = DispatchProgress::start(old, old);
    expired.version = 1;
    assert!(store.save_dispatch_progress(&expired, None).await.unwrap());
    assert_eq!(store.dispatch_progress(old).await.unwrap(), None);
}
