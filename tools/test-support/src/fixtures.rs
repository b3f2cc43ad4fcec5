//! Domain fixtures the test binaries share, so each writes its own setup once instead of a copy of
//! these: a connected tenant, and the sync requests an in-process bus carried.

use chrono::{DateTime, Utc};
use shared::bus::InProcessBus;
use shared::domain::{AuthKind, Tenant, TenantId, TenantStatus};
use shared::events::{ProductEvent, SyncRequested};

/// A tenant connected through the OAuth app at `connected_at`, in `status`, named `Tenant <id>`,
/// its tokens under `ci/<id>/hubspot`. Panics on an id the domain refuses (a test's own typo).
pub fn tenant(
    id: &str,
    portal: Option<u64>,
    status: TenantStatus,
    connected_at: DateTime<Utc>,
) -> Tenant {
    let tenant_id = TenantId::parse(id).unwrap_or_else(|e| panic!("fixture tenant id {id:?}: {e}"));
    Tenant {
        status,
        ..Tenant::connected(
            tenant_id,
            format!("Tenant {id}"),
            portal,
            format!("ci/{id}/hubspot"),
            AuthKind::OAuth,
            connected_at,
        )
    }
}

/// Every `SyncRequested` the bus carried, in order; other events are left out.
pub fn sync_requests(bus: &InProcessBus) -> Vec<SyncRequested> {
    bus.published()
        .iter()
        .filter_map(|delivered| match delivered.event() {
            Ok(ProductEvent::SyncRequested(request)) => Some(request),
            _ => None,
        })
        .collect()
}
