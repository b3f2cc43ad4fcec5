//! Account records of account-like connections (NinjaOne, Pax8, Microsoft 365): written only when
//! their content changed, like payer records.

use super::{select, select_page, upserts, TableStore};
use crate::domain::{AccountRecord, ConnectionId, TenantId};
use crate::ports::{AccountStore, Page, PageRequest, StoreError, WriteReport};
use crate::store::content;
use crate::store::keys;
use crate::store::query;
use crate::store::row::{Change, Record, Row, RowFilter, Table};
use std::collections::HashMap;

fn account_of(record: Record) -> Option<AccountRecord> {
    match record {
        Record::Account { account } => Some(account),
        _ => None,
    }
}

#[async_trait::async_trait]
impl<T: Table> AccountStore for TableStore<T> {
    async fn put_accounts(
        &self,
        tenant_id: &TenantId,
        accounts: &[AccountRecord],
    ) -> Result<WriteReport, StoreError> {
        let plan = upserts(accounts, |account| {
            let keys = keys::account(tenant_id, &account.connection_id, &account.external_id)?;
            let hash = content::digest(account)?;
            let record = Record::Account {
                account: account.clone(),
            };
            Ok(Row::hashed(keys, record, hash))
        })?;
        self.write_changed(plan).await
    }

    async fn get_accounts(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
        external_ids: &[String],
    ) -> Result<Vec<AccountRecord>, StoreError> {
        let keys = external_ids
            .iter()
            .map(|id| keys::account(tenant_id, connection_id, id).map(|k| k.key))
            .collect::<Result<Vec<_>, _>>()?;
        let mut found: HashMap<String, AccountRecord> =
            select(self.table.get_rows(keys).await?, account_of)
                .into_iter()
                .map(|account| (account.external_id.clone(), account))
                .collect();
        Ok(external_ids
            .iter()
            .filter_map(|id| found.remove(id))
            .collect())
    }

    async fn list_accounts(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
        page: &PageRequest,
    ) -> Result<Page<AccountRecord>, StoreError> {
        let page = self
            .table
            .query_rows_page(
                &query::accounts(tenant_id, connection_id),
                RowFilter::All,
                page,
            )
            .await?;
        Ok(select_page(page, account_of))
    }

    async fn delete_accounts(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
        external_ids: &[String],
    ) -> Result<u64, StoreError> {
        let keys = external_ids
            .iter()
            .map(|id| keys::account(tenant_id, connection_id, id).map(|k| k.key))
            .collect::<Result<Vec<_>, _>>()?;
        // Read first, so the count says what was there and absent ids cost no write.
        let present = self.table.get_rows(keys).await?;
        let deleted = present.len() as u64;
        let changes: Vec<Change> = present
            .into_iter()
            .map(|row| Change::Delete(row.keys.key))
            .collect();
        if !changes.is_empty() {
            self.table.write_rows(changes).await?;
        }
        Ok(deleted)
    }

    async fn delete_connection_accounts(
        &self,
        tenant_id: &TenantId,
        connection_id: &ConnectionId,
    ) -> Result<u64, StoreError> {
        self.delete_all(&query::accounts(tenant_id, connection_id))
            .await
    }
}
