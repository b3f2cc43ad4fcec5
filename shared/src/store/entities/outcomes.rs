//! Client outcomes (one item per client that has been a customer) and the tenant's calibration (one
//! item).

use super::{select, upserts, TableStore};
use crate::domain::{ClientOutcomeRecord, TenantCalibration, TenantId};
use crate::ports::{OutcomeStore, StoreError};
use crate::store::content;
use crate::store::keys;
use crate::store::query;
use crate::store::row::{Condition, Record, Row, RowFilter, Table};

#[async_trait::async_trait]
impl<T: Table> OutcomeStore for TableStore<T> {
    async fn outcomes(&self, tenant_id: &TenantId) -> Result<Vec<ClientOutcomeRecord>, StoreError> {
        let rows = self
            .table
            .query_rows(&query::outcomes(tenant_id), RowFilter::All)
            .await?;
        Ok(select(rows, |record| match record {
            Record::Outcome { outcome } => Some(outcome),
            _ => None,
        }))
    }

    async fn put_outcomes(
        &self,
        tenant_id: &TenantId,
        records: &[ClientOutcomeRecord],
    ) -> Result<(), StoreError> {
        let plan = upserts(records, |record| {
            let keys = keys::outcome(tenant_id, &record.client_id);
            let digest = content::digest(record)?;
            Ok(Row::hashed(
                keys,
                Record::Outcome {
                    outcome: record.clone(),
                },
                digest,
            ))
        })?;
        self.write_changed(plan).await.map(|_| ())
    }

    async fn get_calibration(
        &self,
        tenant_id: &TenantId,
    ) -> Result<Option<TenantCalibration>, StoreError> {
        Ok(
            match self.record_at(&keys::calibration(tenant_id).key).await? {
                Some(Record::Calibration { calibration }) => Some(*calibration),
                _ => None,
            },
        )
    }

    async fn put_calibration(
        &self,
        tenant_id: &TenantId,
        calibration: &TenantCalibration,
    ) -> Result<(), StoreError> {
        let row = Row::new(
            keys::calibration(tenant_id),
            Record::Calibration {
                calibration: Box::new(calibration.clone()),
            },
        );
        self.table.put_row_if(row, Condition::Always).await?;
        Ok(())
    }
}
