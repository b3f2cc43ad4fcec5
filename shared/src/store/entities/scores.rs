//! Current scores, their history and the tenant summary.

use super::{in_request_order, select, select_page, upserts, TableStore};
use crate::domain::{ClientId, HealthScore, ScorePoint, TenantId, TenantSummary, TrendPoint};
use crate::ports::{Page, PageRequest, ScoreQuery, ScoreStore, StoreError, WriteReport};
use crate::store::content;
use crate::store::keys;
use crate::store::query;
use crate::store::row::{Condition, Record, Row, RowFilter, Table};
use chrono::{DateTime, NaiveDate, Utc};

fn score_of(record: Record) -> Option<HealthScore> {
    match record {
        Record::Score { score } => Some(score),
        _ => None,
    }
}

#[async_trait::async_trait]
impl<T: Table> ScoreStore for TableStore<T> {
    async fn get_summary(&self, tenant_id: &TenantId) -> Result<Option<TenantSummary>, StoreError> {
        Ok(match self.record_at(&keys::summary(tenant_id).key).await? {
            Some(Record::Summary { summary }) => Some(summary),
            _ => None,
        })
    }

    async fn put_summary(
        &self,
        tenant_id: &TenantId,
        summary: &TenantSummary,
        if_unchanged: bool,
    ) -> Result<TenantSummary, StoreError> {
        let mut written = summary.clone();
        written.version += 1;
        let row = Row::new(
            keys::summary(tenant_id),
            Record::Summary {
                summary: written.clone(),
            },
        );
        // None stored counts as version 0.
        let condition = match (if_unchanged, summary.version) {
            (false, _) => Condition::Always,
            (true, 0) => Condition::AbsentOrVersionIs(0),
            (true, version) => Condition::VersionIs(version),
        };
        if self.table.put_row_if(row, condition).await? {
            Ok(written)
        } else {
            Err(StoreError::conflict("summary", tenant_id))
        }
    }

    async fn put_scores(
        &self,
        tenant_id: &TenantId,
        scores: &[HealthScore],
    ) -> Result<WriteReport, StoreError> {
        let plan = upserts(scores, |score| {
            let keys = keys::score(tenant_id, score);
            let record = Record::Score {
                score: score.clone(),
            };
            Ok(Row::hashed(keys, record, content::score_digest(score)?))
        })?;
        self.write_changed(plan).await
    }

    async fn delete_scores(
        &self,
        tenant_id: &TenantId,
        client_ids: &[ClientId],
    ) -> Result<WriteReport, StoreError> {
        let plan = client_ids
            .iter()
            .map(|id| (keys::score_key(tenant_id, id), None))
            .collect();
        self.write_changed(plan).await
    }

    async fn get_score(
        &self,
        tenant_id: &TenantId,
        client_id: &ClientId,
    ) -> Result<Option<HealthScore>, StoreError> {
        Ok(self
            .record_at(&keys::score_key(tenant_id, client_id))
            .await?
            .and_then(score_of))
    }

    async fn get_scores(
        &self,
        tenant_id: &TenantId,
        client_ids: &[ClientId],
    ) -> Result<Vec<HealthScore>, StoreError> {
        let keys = client_ids
            .iter()
            .map(|id| keys::score_key(tenant_id, id))
            .collect();
        let found = select(self.table.get_rows(keys).await?, score_of);
        Ok(in_request_order(client_ids, found, |s| &s.client_id))
    }

    async fn list_scores(
        &self,
        tenant_id: &TenantId,
        score_query: &ScoreQuery,
        page: &PageRequest,
    ) -> Result<Page<HealthScore>, StoreError> {
        let filter = match score_query.min_churn_risk {
            Some(min) => RowFilter::MinChurnRisk(min),
            None => RowFilter::All,
        };
        let page = self
            .table
            .query_rows_page(&query::scores(tenant_id, score_query), filter, page)
            .await?;
        Ok(select_page(page, score_of))
    }

    async fn append_history(
        &self,
        tenant_id: &TenantId,
        points: &[ScorePoint],
        retention_days: u32,
    ) -> Result<WriteReport, StoreError> {
        query::require_history_retention(retention_days)?;
        let plan = upserts(points, |point| {
            let keys = keys::history(tenant_id, point);
            let expires_at = query::history_expiry(point.at, retention_days);
            let hash = content::digest(&(point, expires_at))?;
            let record = Record::History {
                point: point.clone(),
            };
            Ok(Row::hashed(keys, record, hash).expiring(expires_at))
        })?;
        self.write_changed(plan).await
    }

    async fn put_trend_point(
        &self,
        tenant_id: &TenantId,
        point: &TrendPoint,
        retention_days: u32,
    ) -> Result<WriteReport, StoreError> {
        query::require_history_retention(retention_days)?;
        let plan = upserts(std::slice::from_ref(point), |point| {
            let keys = keys::trend(tenant_id, point.day);
            // Counted from the end of the day, so the last run of a day keeps it as long as the first.
            let expires_at = query::history_expiry(point.day_end(), retention_days);
            let hash = content::digest(&(point, expires_at))?;
            let record = Record::Trend {
                point: point.clone(),
            };
            Ok(Row::hashed(keys, record, hash).expiring(expires_at))
        })?;
        self.write_changed(plan).await
    }

    async fn trend_points(
        &self,
        tenant_id: &TenantId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<TrendPoint>, StoreError> {
        let plan = query::trends(tenant_id, from, to);
        let rows = self.table.query_rows(&plan, RowFilter::Unexpired).await?;
        Ok(select(rows, |record| match record {
            Record::Trend { point } => Some(point),
            _ => None,
        }))
    }

    async fn history(
        &self,
        tenant_id: &TenantId,
        client_id: &ClientId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ScorePoint>, StoreError> {
        let plan = query::history(tenant_id, client_id, from, to);
        let rows = self.table.query_rows(&plan, RowFilter::Unexpired).await?;
        Ok(select(rows, |record| match record {
            Record::History { point } => Some(point),
            _ => None,
        }))
    }
}
