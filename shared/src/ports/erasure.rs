//! Where erasures are kept, and the one walk that erases a subject's items from the store.

use crate::domain::{Erasure, ErasureId, ErasureTarget, LinkedRecord, TenantId};
use crate::ports::{PageRequest, StoreError};
use std::collections::BTreeMap;

/// What one page of an erasure walk did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErasedPage {
    /// Items deleted, by entity (`snapshot`, `score`, ...); items rewritten without the subject as
    /// `<entity>.rewritten`.
    pub counts: BTreeMap<String, u64>,
    /// Where the walk continues; `None` when the tenant's items are all walked.
    pub next_cursor: Option<String>,
}

#[async_trait::async_trait]
pub trait ErasureStore: Send + Sync {
    /// Writes the erasure as it now stands (its id is its key; the last write wins).
    async fn put_erasure(&self, erasure: &Erasure) -> Result<(), StoreError>;
    async fn get_erasure(
        &self,
        tenant_id: &TenantId,
        erasure_id: &ErasureId,
    ) -> Result<Erasure, StoreError>;
    /// One page of the tenant's items: each that names `target` is deleted, or rewritten without it
    /// where it also holds others (a contact linked to several clients, a digest naming several).
    /// `linked` are the platform records erased with a client. Every entity's rule is in one place,
    /// `store::entities::erasure::decide`. Erasures themselves are kept. Idempotent: a page walked
    /// again finds nothing left to do.
    async fn erase_page(
        &self,
        tenant_id: &TenantId,
        target: &ErasureTarget,
        linked: &[LinkedRecord],
        page: &PageRequest,
    ) -> Result<ErasedPage, StoreError>;
}
