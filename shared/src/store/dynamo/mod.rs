//! The DynamoDB table of the store: one table ([`super::table`]), rows converted by [`item`].
//!
//! - Reads are `GetItem`, `BatchGetItem` and `Query` only.
//! - Batched writes go 25 items a request, several requests at a time; unprocessed items are sent again
//!   with exponential backoff until done, or the write fails with `Throttled`.
//! - Change detection: before a batched upsert the store reads the stored items' `content_hash` (a
//!   `BatchGetItem` with a projection, strongly consistent so a just-written item is seen) and writes
//!   only the items whose digest differs. Reading costs a fraction of writing (½ RCU vs 1 WCU per 4 KB,
//!   and no GSI writes), and most hourly re-scores change few clients.
//! - Snapshots and payer records are stored as gzip-compressed JSON (`data`, binary): a client's CRM
//!   records (a payer's payment history) compress about tenfold, which keeps large ones far under the
//!   400 KB item limit; one that still exceeds [`MAX_COMPRESSED_BYTES`] compressed is refused with
//!   `InvalidInput`.
//! - Every request asks for `ReturnConsumedCapacity` (per index); [`DynamoStore::consumed_capacity`]
//!   sums it, [`DynamoStore::capacity_report`] splits it by table and index and can reset it.

mod capacity;
mod item;
mod queries;

pub use capacity::{CapacityReport, ConsumedCapacityTotals};
pub use item::MAX_COMPRESSED_BYTES;

use crate::ports::{Page, PageRequest, StoreError};
use crate::store::entities::TableStore;
use crate::store::keys::{self, Key};
use crate::store::query::{self, QueryPlan, READ_BATCH, WRITE_BATCH};
use crate::store::row::{Change, Condition, Row, RowFilter, StoredDigest, Table, TableOp, Update};
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeValue, DeleteRequest, KeysAndAttributes, PutRequest, ReturnConsumedCapacity,
    ReturnValue, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use backon::{BackoffBuilder, ExponentialBuilder};
use capacity::CapacityMeter;
use chrono::Utc;
use futures::{StreamExt, TryStreamExt};
use item::{key_item, n, number_attribute, s, string_attribute, Item};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Batched requests in flight at once for one call.
const CONCURRENT_BATCHES: usize = 8;

/// The DynamoDB adapter of the store port: the store's entity logic over [`DynamoTable`]. Cheap to clone.
pub type DynamoStore = TableStore<DynamoTable>;

/// One DynamoDB table as the store's [`Table`]. Cheap to clone.
#[derive(Clone)]
pub struct DynamoTable {
    client: Client,
    table: String,
    meter: Arc<CapacityMeter>,
    retry: ExponentialBuilder,
}

impl std::fmt::Debug for DynamoTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoStore")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

/// Maps an SDK error: throttling to `Throttled` (retryable), validation to `InvalidInput`, a failed
/// condition to `Conflict`, everything else to `Unavailable`.
pub fn sdk_error<E, R>(context: &str, error: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let code = error.code().unwrap_or_default().to_owned();
    let message = format!("{context}: {}", DisplayErrorContext(&error));
    match code.as_str() {
        "ProvisionedThroughputExceededException"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "LimitExceededException" => StoreError::Throttled(message),
        "ConditionalCheckFailedException" | "TransactionConflictException" => {
            StoreError::Conflict {
                entity: "item",
                id: context.to_owned(),
            }
        }
        "ValidationException" | "SerializationException" => StoreError::InvalidInput(message),
        _ => StoreError::Unavailable(message),
    }
}

fn is_condition_failure<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    error.code() == Some("ConditionalCheckFailedException")
}

/// The DynamoDB action each table operation sends: with [`crate::store::entities::PORT_METHOD_TABLE_OPS`],
/// what the IAM check of the SAM template grants each function (a query also needs its index).
pub const fn iam_action(op: TableOp) -> &'static str {
    match op {
        TableOp::GetRow => "dynamodb:GetItem",
        TableOp::GetRows | TableOp::StoredDigests => "dynamodb:BatchGetItem",
        TableOp::PutRowIf => "dynamodb:PutItem",
        TableOp::DeleteRowIf => "dynamodb:DeleteItem",
        TableOp::UpdateRow => "dynamodb:UpdateItem",
        TableOp::Query(_) => "dynamodb:Query",
        TableOp::WriteRows => "dynamodb:BatchWriteItem",
    }
}

/// A condition as a DynamoDB condition expression with its names and values (DynamoDB refuses
/// names and values the expression does not use).
type Expression = (
    Option<&'static str>,
    Vec<(&'static str, &'static str)>,
    Vec<(&'static str, AttributeValue)>,
);

fn condition_expression(condition: &Condition) -> Expression {
    let pk = ("#pk", keys::PK);
    let lease_names = vec![pk, ("#holder", "holder"), ("#until", "until_ms")];
    match condition {
        Condition::Always => (None, Vec::new(), Vec::new()),
        Condition::Absent => (Some("attribute_not_exists(#pk)"), vec![pk], Vec::new()),
        Condition::VersionIs(v) => (Some("#v = :v"), vec![("#v", "version")], vec![(":v", n(v))]),
        Condition::AbsentOrVersionIs(v) => (
            Some("attribute_not_exists(#pk) OR #v = :v"),
            vec![pk, ("#v", "version")],
            vec![(":v", n(v))],
        ),
        Condition::AbsentOrExpired => (
            Some("attribute_not_exists(#pk) OR #exp <= :now"),
            vec![pk, ("#exp", keys::EXPIRES_AT)],
            vec![(":now", n(Utc::now().timestamp()))],
        ),
        Condition::LeaseTakeable { holder, now } => (
            Some("attribute_not_exists(#pk) OR #holder = :holder OR #until <= :now"),
            lease_names,
            vec![(":holder", s(holder)), (":now", n(now.timestamp_millis()))],
        ),
        Condition::LeaseHeld { holder, now } => (
            Some("attribute_exists(#pk) AND #holder = :holder AND #until > :now"),
            lease_names,
            vec![(":holder", s(holder)), (":now", n(now.timestamp_millis()))],
        ),
        Condition::HeldBy(holder) => (
            Some("#holder = :holder"),
            vec![("#holder", "holder")],
            vec![(":holder", s(holder))],
        ),
    }
}

impl DynamoStore {
    pub fn new(client: Client, table_name: impl Into<String>) -> Self {
        TableStore::over(DynamoTable {
            client,
            table: table_name.into(),
            meter: Arc::new(CapacityMeter::default()),
            retry: ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(25))
                .with_max_delay(Duration::from_secs(2))
                .with_max_times(10)
                .with_jitter(),
        })
    }

    /// Gives up on unprocessed items after `max_retries` backoff rounds (default 10) with `Throttled`.
    pub fn with_max_retries(mut self, max_retries: usize) -> Self {
        self.table.retry = self.table.retry.with_max_times(max_retries);
        self
    }

    pub fn table_name(&self) -> &str {
        &self.table.table
    }

    /// Capacity consumed by this store (and its clones) so far, as DynamoDB reported it.
    pub fn consumed_capacity(&self) -> ConsumedCapacityTotals {
        self.table.meter.totals()
    }

    /// Capacity consumed so far in all and by table and index; with `reset`, the counters (of this
    /// store and its clones) start again from zero, so a caller measures one step at a time.
    pub fn capacity_report(&self, reset: bool) -> CapacityReport {
        self.table.meter.report(reset)
    }
}

impl DynamoTable {
    /// Reads items by key, 100 a request, re-asking for unprocessed keys with backoff. Missing
    /// items are left out; order is not kept.
    async fn batch_get(
        &self,
        keys: Vec<Key>,
        projection: Option<&str>,
    ) -> Result<Vec<Item>, StoreError> {
        let keys = query::last_wins(keys, Clone::clone);
        let chunks: Vec<Vec<Key>> = keys.chunks(READ_BATCH).map(<[Key]>::to_vec).collect();
        let found: Vec<Vec<Item>> = futures::stream::iter(chunks)
            .map(|chunk| self.batch_get_chunk(chunk, projection))
            .buffer_unordered(CONCURRENT_BATCHES)
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn batch_get_chunk(
        &self,
        chunk: Vec<Key>,
        projection: Option<&str>,
    ) -> Result<Vec<Item>, StoreError> {
        let keys: Vec<Item> = chunk.iter().map(key_item).collect();
        let send = |pending: Vec<Item>| async move {
            let mut request = KeysAndAttributes::builder()
                .set_keys(Some(pending))
                .consistent_read(true);
            if let Some(projection) = projection {
                request = request
                    .projection_expression(projection)
                    .expression_attribute_names("#pk", keys::PK)
                    .expression_attribute_names("#sk", keys::SK)
                    .expression_attribute_names("#hash", keys::CONTENT_HASH)
                    .expression_attribute_names("#ver", "version");
            }
            let request = request
                .build()
                .map_err(|e| StoreError::InvalidInput(e.to_string()))?;
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
                .send()
                .await
                .map_err(|e| sdk_error("batch get", e))?;
            self.meter.add_all(false, output.consumed_capacity());
            let found = output
                .responses
                .and_then(|mut r| r.remove(&self.table))
                .unwrap_or_default();
            let unprocessed = output
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table))
                .map(|u| u.keys)
                .unwrap_or_default();
            Ok((found, unprocessed))
        };
        let (found, _) = self
            .until_processed(keys, "keys still unread", send)
            .await?;
        Ok(found)
    }

    /// Sends `pending` with `send` until nothing comes back unprocessed, pausing between rounds; a
    /// round throttled whole (a retryable error) sends the same again. Returns the items the rounds
    /// returned and the requests sent; `Throttled` when the pauses run out.
    async fn until_processed<T, F, Fut>(
        &self,
        mut pending: Vec<T>,
        left_over: &str,
        mut send: F,
    ) -> Result<(Vec<Item>, u64), StoreError>
    where
        T: Clone,
        F: FnMut(Vec<T>) -> Fut,
        Fut: std::future::Future<Output = Result<(Vec<Item>, Vec<T>), StoreError>>,
    {
        let mut found = Vec::new();
        let mut sent = 0;
        let mut delays = self.retry.build();
        while !pending.is_empty() {
            sent += 1;
            match send(pending.clone()).await {
                Ok((items, unprocessed)) => {
                    found.extend(items);
                    pending = unprocessed;
                }
                Err(error) if error.is_retryable() => {}
                Err(error) => return Err(error),
            }
            if pending.is_empty() {
                break;
            }
            let delay = delays.next().ok_or_else(|| {
                StoreError::Throttled(format!("{} {left_over} after retries", pending.len()))
            })?;
            tokio::time::sleep(delay).await;
        }
        Ok((found, sent))
    }

    /// Sends writes 25 a request, several requests at a time; returns the requests sent.
    async fn write_batches(&self, changes: Vec<Change>) -> Result<u64, StoreError> {
        let requests: Vec<WriteRequest> = changes
            .into_iter()
            .map(|change| match change {
                Change::Put(row) => PutRequest::builder()
                    .set_item(Some(item::encode(&row)?))
                    .build()
                    .map(|put| WriteRequest::builder().put_request(put).build())
                    .map_err(|e| StoreError::InvalidInput(e.to_string())),
                Change::Delete(key) => DeleteRequest::builder()
                    .set_key(Some(key_item(&key)))
                    .build()
                    .map(|delete| WriteRequest::builder().delete_request(delete).build())
                    .map_err(|e| StoreError::InvalidInput(e.to_string())),
            })
            .collect::<Result<_, StoreError>>()?;
        let chunks: Vec<Vec<WriteRequest>> = requests
            .chunks(WRITE_BATCH)
            .map(<[WriteRequest]>::to_vec)
            .collect();
        let sent: Vec<u64> = futures::stream::iter(chunks)
            .map(|chunk| self.batch_write_chunk(chunk))
            .buffer_unordered(CONCURRENT_BATCHES)
            .try_collect()
            .await?;
        Ok(sent.into_iter().sum())
    }

    async fn batch_write_chunk(&self, chunk: Vec<WriteRequest>) -> Result<u64, StoreError> {
        let send = |pending: Vec<WriteRequest>| async move {
            let output = self
                .client
                .batch_write_item()
                .request_items(&self.table, pending)
                .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
                .send()
                .await
                .map_err(|e| sdk_error("batch write", e))?;
            self.meter.add_all(true, output.consumed_capacity());
            let unprocessed = output
                .unprocessed_items
                .and_then(|mut u| u.remove(&self.table))
                .unwrap_or_default();
            Ok((Vec::new(), unprocessed))
        };
        let (_, sent) = self
            .until_processed(chunk, "items still unwritten", send)
            .await?;
        Ok(sent)
    }
}

#[async_trait::async_trait]
impl Table for DynamoTable {
    async fn get_row(&self, key: &Key) -> Result<Option<Row>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(key)))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .send()
            .await
            .map_err(|e| sdk_error("get item", e))?;
        self.meter.add(false, output.consumed_capacity());
        output.item.map(item::decode).transpose()
    }

    async fn get_rows(&self, keys: Vec<Key>) -> Result<Vec<Row>, StoreError> {
        self.batch_get(keys, None)
            .await?
            .into_iter()
            .map(item::decode)
            .collect()
    }

    async fn stored_digests(
        &self,
        keys: Vec<Key>,
    ) -> Result<HashMap<Key, StoredDigest>, StoreError> {
        let items = self.batch_get(keys, Some("#pk, #sk, #hash, #ver")).await?;
        items
            .into_iter()
            .map(|item| {
                let digest = StoredDigest {
                    content_hash: string_attribute(&item, keys::CONTENT_HASH),
                    version: number_attribute(&item, "version")
                        .map(|v| u64::try_from(v).unwrap_or(0)),
                };
                Ok((item::item_key(&item)?, digest))
            })
            .collect()
    }

    async fn put_row_if(&self, row: Row, condition: Condition) -> Result<bool, StoreError> {
        let (expression, names, values) = condition_expression(&condition);
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item::encode(&row)?))
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .set_condition_expression(expression.map(str::to_owned));
        for (name, attribute) in names {
            request = request.expression_attribute_names(name, attribute);
        }
        for (name, value) in values {
            request = request.expression_attribute_values(name, value);
        }
        match request.send().await {
            Ok(output) => {
                self.meter.add(true, output.consumed_capacity());
                Ok(true)
            }
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(sdk_error("put item", e)),
        }
    }

    async fn delete_row_if(
        &self,
        key: &Key,
        condition: Condition,
    ) -> Result<Option<Row>, StoreError> {
        let (expression, names, values) = condition_expression(&condition);
        let mut request = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_item(key)))
            .return_values(ReturnValue::AllOld)
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .set_condition_expression(expression.map(str::to_owned));
        for (name, attribute) in names {
            request = request.expression_attribute_names(name, attribute);
        }
        for (name, value) in values {
            request = request.expression_attribute_values(name, value);
        }
        match request.send().await {
            Ok(output) => {
                self.meter.add(true, output.consumed_capacity());
                output.attributes.map(item::decode).transpose()
            }
            Err(e) if is_condition_failure(&e) => Ok(None),
            Err(e) => Err(sdk_error("delete item", e)),
        }
    }

    async fn update_row(&self, key: &Key, update: Update) -> Result<bool, StoreError> {
        let Update::LastFullSyncAt(finished_at) = update;
        let at = serde_dynamo::to_attribute_value(finished_at)
            .map_err(|e| StoreError::InvalidInput(format!("full sync time: {e}")))?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(key)))
            .update_expression("SET #at = :at")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#at", "last_full_sync_at")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_values(":at", at)
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .send()
            .await;
        match result {
            Ok(output) => {
                self.meter.add(true, output.consumed_capacity());
                Ok(true)
            }
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(sdk_error("update item", e)),
        }
    }

    async fn query_rows_page(
        &self,
        plan: &QueryPlan,
        filter: RowFilter<'_>,
        page: &PageRequest,
    ) -> Result<Page<Row>, StoreError> {
        let page = self
            .query_page(plan, &item::filter_expression(filter)?, page)
            .await?;
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(item::decode)
                .collect::<Result<_, _>>()?,
            next_cursor: page.next_cursor,
        })
    }

    async fn query_rows(
        &self,
        plan: &QueryPlan,
        filter: RowFilter<'_>,
    ) -> Result<Vec<Row>, StoreError> {
        self.query_all(plan, &item::filter_expression(filter)?)
            .await?
            .into_iter()
            .map(item::decode)
            .collect()
    }

    async fn write_rows(&self, changes: Vec<Change>) -> Result<u64, StoreError> {
        self.write_batches(changes).await
    }
}
