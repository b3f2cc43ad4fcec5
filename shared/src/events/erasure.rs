//! `ErasureRequested`: an erasure to run (or continue). It names the erasure only: the subject is in
//! the stored erasure, so no person's id travels on the bus.

use crate::domain::{ErasureId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErasureRequested {
    pub schema_version: u32,
    pub tenant_id: TenantId,
    pub erasure_id: ErasureId,
    pub requested_at: DateTime<Utc>,
}

impl ErasureRequested {
    pub fn new(tenant_id: TenantId, erasure_id: ErasureId, now: DateTime<Utc>) -> Self {
        ErasureRequested {
            schema_version: super::SCHEMA_VERSION,
            tenant_id,
            erasure_id,
            requested_at: now,
        }
    }
}
