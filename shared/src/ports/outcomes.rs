//! What happened to each client after it was scored, and the tenant's backtest and calibration built
//! on it (issue 18).

use crate::domain::{ClientOutcomeRecord, TenantCalibration, TenantId};
use crate::ports::StoreError;

#[async_trait::async_trait]
pub trait OutcomeStore: Send + Sync {
    /// Every client outcome of the tenant, by client id.
    async fn outcomes(&self, tenant_id: &TenantId) -> Result<Vec<ClientOutcomeRecord>, StoreError>;
    /// Writes the records as given (new or changed); unchanged ones cost no write.
    async fn put_outcomes(
        &self,
        tenant_id: &TenantId,
        records: &[ClientOutcomeRecord],
    ) -> Result<(), StoreError>;
    async fn get_calibration(
        &self,
        tenant_id: &TenantId,
    ) -> Result<Option<TenantCalibration>, StoreError>;
    /// Replaces the tenant's backtest and calibration.
    async fn put_calibration(
        &self,
        tenant_id: &TenantId,
        calibration: &TenantCalibration,
    ) -> Result<(), StoreError>;
}
