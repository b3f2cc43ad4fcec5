//! Insights: versioned, so a scoring run never undoes a user's status change.

use super::{select, select_page, TableStore};
use crate::domain::{
    triage_index_key, ClientId, Insight, InsightId, InsightStatus, SortKey, TenantId,
};
use crate::ports::{
    InsightFilter, InsightStore, Page, PageRequest, StatusChange, StoreError, WriteReport,
};
use crate::store::content;
use crate::store::keys;
use crate::store::query;
use crate::store::row::{Condition, Record, Row, RowFilter, Table};

fn insight_of(record: Record) -> Option<Insight> {
    match record {
        Record::Insight { insight } => Some(insight),
        _ => None,
    }
}

fn insight_row(insight: Insight) -> Result<Row, StoreError> {
    let hash = content::insight_digest(&insight)?;
    Ok(Row::hashed(
        keys::insight(&insight),
        Record::Insight { insight },
        hash,
    ))
}

#[async_trait::async_trait]
impl<T: Table> InsightStore for TableStore<T> {
    async fn put_insights(
        &self,
        tenant_id: &TenantId,
        insights: &[Insight],
    ) -> Result<WriteReport, StoreError> {
        let insights = query::insights_to_put(tenant_id, insights)?;
        let stored = self
            .table
            .stored_digests(
                insights
                    .iter()
                    .map(|i| keys::insight_key(tenant_id, &i.id))
                    .collect(),
            )
            .await?;
        let mut stale = 0;
        let mut plan = Vec::with_capacity(insights.len());
        for insight in insights {
            let key = keys::insight_key(tenant_id, &insight.id);
            let stored_version = stored.get(&key).and_then(|digest| digest.version);
            let Some(version) = query::insight_version_to_write(insight.version, stored_version)
            else {
                stale += 1;
                continue;
            };
            let insight = Insight {
                version,
                ..insight.clone()
            };
            plan.push((key, Some(insight_row(insight)?)));
        }
        let mut report = self.write_against(plan, &stored).await?;
        report.items_stale = stale;
        Ok(report)
    }

    async fn get_insight(
        &self,
        tenant_id: &TenantId,
        insight_id: &InsightId,
    ) -> Result<Insight, StoreError> {
        self.record_at(&keys::insight_key(tenant_id, insight_id))
            .await?
            .and_then(insight_of)
            .ok_or_else(|| StoreError::not_found("insight", insight_id))
    }

    async fn insights_for_clients(
        &self,
        tenant_id: &TenantId,
        client_ids: &[ClientId],
    ) -> Result<Vec<Insight>, StoreError> {
        let rows = self
            .rows_of_clients(
                client_ids,
                |client_id| query::client_insights(tenant_id, client_id),
                query::all_insights(tenant_id),
                |record| match record {
                    Record::Insight { insight } => Some(&insight.client_id),
                    _ => None,
                },
            )
            .await?;
        Ok(select(rows, insight_of))
    }

    async fn list_insights(
        &self,
        tenant_id: &TenantId,
        filter: &InsightFilter,
        page: &PageRequest,
    ) -> Result<Page<Insight>, StoreError> {
        let page = self
            .table
            .query_rows_page(
                &query::insights(tenant_id, filter),
                RowFilter::Insights(filter),
                page,
            )
            .await?;
        Ok(select_page(page, insight_of))
    }

    async fn matching_insights(
        &self,
        tenant_id: &TenantId,
        filter: &InsightFilter,
    ) -> Result<Vec<Insight>, StoreError> {
        let rows = self
            .table
            .query_rows(
                &query::matching_insights(tenant_id, filter),
                RowFilter::Insights(filter),
            )
            .await?;
        Ok(select(rows, insight_of))
    }

    async fn insights_in_triage_order(
        &self,
        tenant_id: &TenantId,
        status: InsightStatus,
        filter: &InsightFilter,
        after: Option<&SortKey>,
        limit: u32,
    ) -> Result<Vec<Insight>, StoreError> {
        let after = after.map(triage_index_key);
        let filter = InsightFilter {
            status: Some(status),
            ..filter.clone()
        };
        let page = self
            .table
            .query_rows_page(
                &query::insights_in_triage_order(tenant_id, status, after.as_deref()),
                RowFilter::Insights(&filter),
                &PageRequest::first(limit),
            )
            .await?;
        Ok(select(page.items, insight_of))
    }

    async fn has_insights_outside_triage_order(
        &self,
        tenant_id: &TenantId,
        status: InsightStatus,
    ) -> Result<bool, StoreError> {
        let page = self
            .table
            .query_rows_page(
                &query::insights_outside_triage_order(tenant_id, status),
                RowFilter::All,
                &PageRequest::first(1),
            )
            .await?;
        Ok(!page.items.is_empty())
    }

    async fn reindex_insights(
        &self,
        tenant_id: &TenantId,
        status: InsightStatus,
        limit: u32,
    ) -> Result<u32, StoreError> {
        let page = self
            .table
            .query_rows_page(
                &query::insights_outside_triage_order(tenant_id, status),
                RowFilter::All,
                &PageRequest::first(limit),
            )
            .await?;
        let insights = select(page.items, insight_of);
        let found = u32::try_from(insights.len()).unwrap_or(u32::MAX);
        for insight in insights {
            // Written again as read: its keys are computed anew. A user's change since the read
            // moved the version on and has already rewritten it; that one is left as it is.
            let condition = Condition::VersionIs(insight.version);
            self.table
                .put_row_if(insight_row(insight)?, condition)
                .await?;
        }
        Ok(found)
    }

    async fn change_insight_status(
        &self,
        tenant_id: &TenantId,
        insight_id: &InsightId,
        change: &StatusChange,
    ) -> Result<Insight, StoreError> {
        let mut insight = self.get_insight(tenant_id, insight_id).await?;
        change.apply_to(&mut insight)?;
        let row = insight_row(insight.clone())?;
        let condition = Condition::VersionIs(change.expected_version);
        if self.table.put_row_if(row, condition).await? {
            Ok(insight)
        } else {
            Err(StoreError::conflict("insight", insight_id))
        }
    }
}
