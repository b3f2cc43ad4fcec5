//! Connections (versioned, like tenants) and payer records (written only when their content
//! changed, like snapshots).

use super::{select, select_page, upserts, TableStore};
use crate::domain::{Connection, ConnectionId, PayerRecord, TenantId};
use crate::ports::{ConnectionStore, Page, PageRequest, PayerStore, StoreError, WriteReport};
use crate::store::content;
use crate::store::keys;
use crate::store::query::{self, QueryPlan};
use crate::store::row::{Change, Condition, Record, Row, RowFilter, Table};
use std::collections::HashMap;

/// Rows a delete of a connection's data reads (and then deletes) at a time.
const DELETE_PAGE: u32 = 100;

fn connection_of(record: Record) -> Option<Connection> {
    match record {
        Record::Connection { connection } => Some(connection),
        _ => None,
    }
}

fn payer_of(record: Record) -> Option<PayerRecord> {
    match record {
        Record::Payer { payer } => Some(payer),
        _ => None,
    }
}

fn connection_row(connection: &Connection) -> Result<Row, StoreError> {
    if connection.platform != connection.settings.platform() {
        return Err(StoreError::InvalidInput(format!(
            "connection {} is on {} but has settings of {}",
            connection.id,
            connection.platform,
            connection.settings.platform()
        )));
    }
    Ok(Row::new(
        keys::connection(&connection.tenant_id, &connection.id),
        Record::Connection {
            connection: connection.clone(),
        },
    ))
}

impl<T: Table> TableStore<T> {
    /// Deletes every row `plan` selects, a page at a time; returns how many. Each round deletes the
    /// page it read and moves past it, so it ends when the plan's rows run out.
    pub(super) async fn delete_all(&self, plan: &QueryPlan) -> Result<u64, StoreError> {
        let mut deleted = 0;
        let mut page = PageRequest::first(DELETE_PAGE);
        loop {
            let rows = self
                .table
                .query_rows_page(plan, RowFilter::All, &page)
                .await?;
            deleted += rows.items.len() as u64;
            let changes: Vec<Change> = rows
                .items
                .into_iter()
                .map(|row| Change::Delete(row.keys.key))
                .collect();
            self.table.write_rows(changes).await?;
            match rows.next_cursor {
                Some(cursor) => page.cursor = Some(cursor),
                None => return Ok(deleted),
            }
        }
    }
}

#[async_trait::async_trait]
impl<T: Table> ConnectionStore for TableStore<T> {
    async fn create_connection(&self, connection: &Connection) -> Result<(), StoreError> {
        let row = connection_row(connection)?;
        if self.table.put_row_if(row, Condition::Absent).await? {
            Ok(())
        } else {
            Err(StoreError::conflict("connection", &connection.id))
        }
    }

    async fn get_connection(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
    ) -> Result<Connection, StoreError> {
        self.record_at(&keys::connection_key(tenant_id, connection_id))
            .await?
            .and_then(connection_of)
            .ok_or_else(|| StoreError::not_found("connection", connection_id))
    }

    async fn update_connection(&self, connection: &Connection) -> Result<Connection, StoreError> {
        let mut updated = connection.clone();
        updated.version += 1;
        let row = connection_row(&updated)?;
        self.put_next_version(
            row,
            connection.version,
            "connection",
            connection.id.as_str(),
        )
        .await?;
        Ok(updated)
    }

    async fn list_connections(&self, tenant_id: &TenantId) -> Result<Vec<Connection>, StoreError> {
        let rows = self
            .table
            .query_rows(&query::connections(tenant_id), RowFilter::All)
            .await?;
        Ok(select(rows, connection_of))
    }

    async fn delete_connection(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
    ) -> Result<(), StoreError> {
        let key = keys::connection_key(tenant_id, connection_id);
        self.table
            .delete_row_if(&key, Condition::Always)
            .await
            .map(|_| ())
    }
}

#[async_trait::async_trait]
impl<T: Table> PayerStore for TableStore<T> {
    async fn put_payers(
        &self,
        tenant_id: &TenantId,
        payers: &[PayerRecord],
    ) -> Result<WriteReport, StoreError> {
        let plan = upserts(payers, |payer| {
            let keys = keys::payer(tenant_id, &payer.connection_id, &payer.external_id)?;
            let hash = content::digest(payer)?;
            let record = Record::Payer {
                payer: payer.clone(),
            };
            Ok(Row::hashed(keys, record, hash))
        })?;
        self.write_changed(plan).await
    }

    async fn get_payers(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
        external_ids: &[String],
    ) -> Result<Vec<PayerRecord>, StoreError> {
        let keys = external_ids
            .iter()
            .map(|id| keys::payer(tenant_id, connection_id, id).map(|k| k.key))
            .collect::<Result<Vec<_>, _>>()?;
        let mut found: HashMap<String, PayerRecord> =
            select(self.table.get_rows(keys).await?, payer_of)
                .into_iter()
                .map(|payer| (payer.external_id.clone(), payer))
                .collect();
        Ok(external_ids
            .iter()
            .filter_map(|id| found.remove(id))
            .collect())
    }

    async fn list_payers(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
        page: &PageRequest,
    ) -> Result<Page<PayerRecord>, StoreError> {
        let page = self
            .table
            .query_rows_page(
                &query::payers(tenant_id, connection_id),
                RowFilter::All,
                page,
            )
            .await?;
        Ok(select_page(page, payer_of))
    }

    async fn delete_connection_payers(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
    ) -> Result<u64, StoreError> {
        self.delete_all(&query::payers(tenant_id, connection_id))
            .await
    }
}
