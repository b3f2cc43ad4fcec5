//! Where users' overrides of clients are kept (`OverrideStore`): one per client and kind, a new one
//! replacing the earlier. Expired ones may still be returned (DynamoDB's TTL is lazy): readers keep
//! those in force with `ClientOverride::is_active_at`.

use crate::domain::{ClientId, ClientOverride, OverrideKind, TenantId};
use crate::ports::store::StoreError;

#[async_trait::async_trait]
pub trait OverrideStore: Send + Sync {
    /// Writes the override, replacing the client's earlier one of the same kind.
    async fn put_override(
        &self,
        tenant_id: &TenantId,
        client_override: &ClientOverride,
    ) -> Result<(), StoreError>;
    /// Removes the client's override of `kind`; returns it, `None` when there was none.
    async fn delete_override(
        &self,
        tenant_id: &TenantId,
        client_id: &ClientId,
        kind: OverrideKind,
    ) -> Result<Option<ClientOverride>, StoreError>;
    /// The client's overrides, in kind order.
    async fn client_overrides(
        &self,
        tenant_id: &TenantId,
        client_id: &ClientId,
    ) -> Result<Vec<ClientOverride>, StoreError>;
    /// Every override of the tenant (a few per client at most), by client then kind.
    async fn tenant_overrides(
        &self,
        tenant_id: &TenantId,
    ) -> Result<Vec<ClientOverride>, StoreError>;
}
