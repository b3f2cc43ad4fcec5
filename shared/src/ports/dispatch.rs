//! The schedule's fan-out progress: one record per scheduled slot, read at the start of each
//! invocation and saved after each page of tenants.

use crate::domain::DispatchProgress;
use crate::ports::StoreError;
use chrono::{DateTime, Utc};

#[async_trait::async_trait]
pub trait DispatchStore: Send + Sync {
    /// The slot's progress; `None` when nothing was saved yet (or its record expired).
    async fn dispatch_progress(
        &self,
        slot: DateTime<Utc>,
    ) -> Result<Option<DispatchProgress>, StoreError>;
    /// Saves `progress` (already at its next version) if the stored record is still at
    /// `read_version` (`None`: absent). `Ok(false)` when it moved on: another invocation of the same
    /// slot saved first, and this one must stop.
    async fn save_dispatch_progress(
        &self,
        progress: &DispatchProgress,
        read_version: Option<u64>,
    ) -> Result<bool, StoreError>;
}
