//! Storage of connections, payer records and correlations: the cross-platform entities. Kept apart
//! from `store.rs` so each port file stays small; the `Store` supertrait gathers them with the rest.

use crate::domain::{
    AccountRecord, ClientId, Connection, ConnectionId, Correlation, CorrelationStatus, PayerRecord,
    TenantId,
};
use crate::ports::store::{Page, PageRequest, StoreError, WriteReport};

#[async_trait::async_trait]
pub trait ConnectionStore: Send + Sync {
    /// Creates a connection; `Conflict` when the tenant has one with this id.
    async fn create_connection(&self, connection: &Connection) -> Result<(), StoreError>;
    async fn get_connection(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
    ) -> Result<Connection, StoreError>;
    /// Writes `connection` if the stored version is still `connection.version`; returns it with the
    /// new version.
    async fn update_connection(&self, connection: &Connection) -> Result<Connection, StoreError>;
    /// Every connection of the tenant, by id.
    async fn list_connections(&self, tenant_id: &TenantId) -> Result<Vec<Connection>, StoreError>;
    /// Removes the connection record (its data is removed by the callers of the other stores).
    async fn delete_connection(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
    ) -> Result<(), StoreError>;
}

#[async_trait::async_trait]
pub trait PayerStore: Send + Sync {
    /// Upserts payer records, keyed by (connection, external id); a record equal to the stored one
    /// is not written again.
    async fn put_payers(
        &self,
        tenant_id: &TenantId,
        payers: &[PayerRecord],
    ) -> Result<WriteReport, StoreError>;
    /// The stored records among `external_ids` of the connection (missing ones are left out).
    async fn get_payers(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
        external_ids: &[String],
    ) -> Result<Vec<PayerRecord>, StoreError>;
    async fn list_payers(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
        page: &PageRequest,
    ) -> Result<Page<PayerRecord>, StoreError>;
    /// Removes every payer record of the connection; returns how many.
    async fn delete_connection_payers(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
    ) -> Result<u64, StoreError>;
}

/// Account records of account-like connections (NinjaOne organisations, Pax8 companies, Microsoft
/// 365 customer tenants), keyed by (connection, external id) like payer records.
#[async_trait::async_trait]
pub trait AccountStore: Send + Sync {
    /// Upserts account records; a record equal to the stored one is not written again.
    async fn put_accounts(
        &self,
        tenant_id: &TenantId,
        accounts: &[AccountRecord],
    ) -> Result<WriteReport, StoreError>;
    /// The stored records among `external_ids` of the connection (missing ones are left out).
    async fn get_accounts(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
        external_ids: &[String],
    ) -> Result<Vec<AccountRecord>, StoreError>;
    async fn list_accounts(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
        page: &PageRequest,
    ) -> Result<Page<AccountRecord>, StoreError>;
    /// Removes the named records of the connection (the platform no longer has them); returns how
    /// many were there.
    async fn delete_accounts(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
        external_ids: &[String],
    ) -> Result<u64, StoreError>;
    /// Removes every account record of the connection; returns how many.
    async fn delete_connection_accounts(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
    ) -> Result<u64, StoreError>;
}

#[async_trait::async_trait]
pub trait CorrelationStore: Send + Sync {
    /// Upserts correlations keyed by (connection, external id, client).
    async fn put_correlations(
        &self,
        tenant_id: &TenantId,
        correlations: &[Correlation],
    ) -> Result<(), StoreError>;
    /// The tenant's correlations, optionally of one status, in key order.
    async fn list_correlations(
        &self,
        tenant_id: &TenantId,
        status: Option<CorrelationStatus>,
        page: &PageRequest,
    ) -> Result<Page<Correlation>, StoreError>;
    /// Every correlation of the given clients (what scoring needs).
    async fn correlations_for_clients(
        &self,
        tenant_id: &TenantId,
        clients: &[ClientId],
    ) -> Result<Vec<Correlation>, StoreError>;
    /// Every correlation of one external record (all its candidate clients).
    async fn correlations_of_record(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
        external_id: &str,
    ) -> Result<Vec<Correlation>, StoreError>;
    /// Removes every correlation of the connection; returns how many.
    async fn delete_connection_correlations(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
    ) -> Result<u64, StoreError>;
}
