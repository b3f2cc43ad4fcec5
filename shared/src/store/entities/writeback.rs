//! Write-back's bookkeeping: the schema mark (written once per property-set version), each company's
//! last written digest (written only when it changed, like snapshots), and each insight's task.

use super::{select, TableStore};
use crate::domain::{ClientId, InsightId, TenantId};
use crate::ports::writeback::{InsightTask, WritebackSchemaMark, WrittenCompany};
use crate::ports::{StoreError, WriteReport, WritebackStore};
use crate::store::keys::{self, Index};
use crate::store::query::{QueryPlan, SortCondition};
use crate::store::row::{Condition, Record, Row, RowFilter, Table};
use serde::{Deserialize, Serialize};

/// One write-back item, by kind (the sort key tells them apart too).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WritebackItem {
    Schema { mark: WritebackSchemaMark },
    Company { written: WrittenCompany },
    Task { task: InsightTask },
}

/// The tenant's write-back items whose sort key begins with `prefix`.
fn items_under(tenant_id: &TenantId, prefix: &str) -> QueryPlan {
    QueryPlan {
        tenant: Some(tenant_id.clone()),
        index: Index::Table,
        partition: keys::tenant_partition(tenant_id),
        condition: SortCondition::BeginsWith(prefix.to_owned()),
        forward: true,
        name: format!("writeback|1|^{prefix}"),
    }
}

fn item_of(record: Record) -> Option<WritebackItem> {
    match record {
        Record::Writeback { item } => Some(item),
        _ => None,
    }
}

fn check_client(client_id: &ClientId) -> Result<(), StoreError> {
    keys::free_key_part("client id", client_id.as_str()).map(|_| ())
}

fn check_insight(insight_id: &InsightId) -> Result<(), StoreError> {
    keys::free_key_part("insight id", insight_id.as_str()).map(|_| ())
}

#[async_trait::async_trait]
impl<T: Table> WritebackStore for TableStore<T> {
    async fn writeback_schema(
        &self,
        tenant_id: &TenantId,
    ) -> Result<Option<WritebackSchemaMark>, StoreError> {
        let key = keys::writeback_schema(tenant_id).key;
        Ok(match self.record_at(&key).await?.and_then(item_of) {
            Some(WritebackItem::Schema { mark }) => Some(mark),
            _ => None,
        })
    }

    async fn put_writeback_schema(
        &self,
        tenant_id: &TenantId,
        mark: &WritebackSchemaMark,
    ) -> Result<(), StoreError> {
        let item = WritebackItem::Schema { mark: mark.clone() };
        self.put(Row::new(
            keys::writeback_schema(tenant_id),
            Record::Writeback { item },
        ))
        .await
    }

    async fn written_companies(
        &self,
        tenant_id: &TenantId,
    ) -> Result<Vec<WrittenCompany>, StoreError> {
        let plan = items_under(tenant_id, keys::WRITTEN_COMPANY_PREFIX);
        let rows = self.table.query_rows(&plan, RowFilter::All).await?;
        Ok(select(rows, |record| match item_of(record) {
            Some(WritebackItem::Company { written }) => Some(written),
            _ => None,
        }))
    }

    async fn put_written_companies(
        &self,
        tenant_id: &TenantId,
        written: &[WrittenCompany],
    ) -> Result<WriteReport, StoreError> {
        let plan = written
            .iter()
            .map(|company| {
                check_client(&company.client_id)?;
                let keys = keys::written_company(tenant_id, &company.client_id);
                // The digest alone decides whether the item changes: a new `written_at` with the
                // same values is not worth a write.
                let hash = Some(company.digest.clone());
                let item = WritebackItem::Company {
                    written: company.clone(),
                };
                let mut row = Row::new(keys, Record::Writeback { item });
                row.content_hash = hash;
                Ok((row.keys.key.clone(), Some(row)))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.write_changed(plan).await
    }

    async fn insight_tasks(&self, tenant_id: &TenantId) -> Result<Vec<InsightTask>, StoreError> {
        let plan = items_under(tenant_id, keys::INSIGHT_TASK_PREFIX);
        let rows = self.table.query_rows(&plan, RowFilter::All).await?;
        Ok(select(rows, |record| match item_of(record) {
            Some(WritebackItem::Task { task }) => Some(task),
            _ => None,
        }))
    }

    async fn put_insight_task(
        &self,
        tenant_id: &TenantId,
        task: &InsightTask,
    ) -> Result<(), StoreError> {
        check_insight(&task.insight_id)?;
        let item = WritebackItem::Task { task: task.clone() };
        let row = Row::new(
            keys::insight_task(tenant_id, &task.insight_id),
            Record::Writeback { item },
        );
        self.table
            .put_row_if(row, Condition::Always)
            .await
            .map(|_| ())
    }
}
