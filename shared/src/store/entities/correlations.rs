//! Correlations: indexed by status (the review queue) and by client (what scoring reads), and
//! written only when their content changed.

use super::{select, select_page, upserts, TableStore};
use crate::domain::{ClientId, ConnectionId, Correlation, CorrelationStatus, TenantId};
use crate::ports::{CorrelationStore, Page, PageRequest, StoreError};
use crate::store::content;
use crate::store::keys;
use crate::store::query;
use crate::store::row::{Record, Row, RowFilter, Table};

fn correlation_of(record: Record) -> Option<Correlation> {
    match record {
        Record::Correlation { correlation } => Some(correlation),
        _ => None,
    }
}

#[async_trait::async_trait]
impl<T: Table> CorrelationStore for TableStore<T> {
    async fn put_correlations(
        &self,
        tenant_id: &TenantId,
        correlations: &[Correlation],
    ) -> Result<(), StoreError> {
        for correlation in correlations {
            query::same_tenant(tenant_id, &correlation.tenant_id, "correlation")?;
            if !(0.0..=1.0).contains(&correlation.confidence) {
                return Err(StoreError::InvalidInput(format!(
                    "correlation confidence {} is outside 0-1",
                    correlation.confidence
                )));
            }
        }
        let plan = upserts(correlations, |correlation| {
            let keys = keys::correlation(correlation)?;
            let hash = content::digest(correlation)?;
            let record = Record::Correlation {
                correlation: correlation.clone(),
            };
            Ok(Row::hashed(keys, record, hash))
        })?;
        self.write_changed(plan).await.map(|_| ())
    }

    async fn list_correlations(
        &self,
        tenant_id: &TenantId,
        status: Option<CorrelationStatus>,
        page: &PageRequest,
    ) -> Result<Page<Correlation>, StoreError> {
        let page = self
            .table
            .query_rows_page(
                &query::correlations(tenant_id, status),
                RowFilter::All,
                page,
            )
            .await?;
        Ok(select_page(page, correlation_of))
    }

    async fn correlations_for_clients(
        &self,
        tenant_id: &TenantId,
        clients: &[ClientId],
    ) -> Result<Vec<Correlation>, StoreError> {
        let rows = self
            .rows_of_clients(
                clients,
                |client_id| query::client_correlations(tenant_id, client_id),
                query::correlations(tenant_id, None),
                |record| match record {
                    Record::Correlation { correlation } => Some(&correlation.client_id),
                    _ => None,
                },
            )
            .await?;
        Ok(select(rows, correlation_of))
    }

    async fn correlations_of_record(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
        external_id: &str,
    ) -> Result<Vec<Correlation>, StoreError> {
        let prefix = keys::record_correlations_prefix(connection_id, external_id)?;
        let rows = self
            .table
            .query_rows(
                &query::correlations_under(tenant_id, prefix),
                RowFilter::All,
            )
            .await?;
        Ok(select(rows, correlation_of))
    }

    async fn delete_connection_correlations(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
    ) -> Result<u64, StoreError> {
        let prefix = keys::connection_correlations_prefix(connection_id);
        self.delete_all(&query::correlations_under(tenant_id, prefix))
            .await
    }
}
