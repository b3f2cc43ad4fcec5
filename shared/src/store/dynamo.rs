//! The DynamoDB store: one table ([`super::table`]), keys from [`super::keys`], items converted with
//! `serde_dynamo`.
//!
//! - Reads are `GetItem`, `BatchGetItem` and `Query` only.
//! - Batched writes go 25 items a request, several requests at a time; unprocessed items are sent again
//!   with exponential backoff until done, or the write fails with `Throttled`.
//! - Change detection: before a batched upsert the store reads the stored items' `content_hash` (a
//!   `BatchGetItem` with a projection, strongly consistent so a just-written item is seen) and writes
//!   only the items whose digest differs. Reading costs a fraction of writing (½ RCU vs 1 WCU per 4 KB,
//!   and no GSI writes), and most hourly re-scores change few clients.
//! - Snapshots are stored as gzip-compressed JSON (`data`, binary): a client's CRM records compress
//!   about tenfold, which keeps large clients far under the 400 KB item limit; a snapshot that still
//!   exceeds [`MAX_SNAPSHOT_BYTES`] compressed is refused with `InvalidInput`.
//! - Every request asks for `ReturnConsumedCapacity`; [`DynamoStore::consumed_capacity`] sums it.

use crate::domain::{
    ClientId, ClientSnapshot, HealthScore, Insight, InsightId, ObjectType, ScorePoint,
    SyncCheckpoint, SyncId, SyncRun, Tenant, TenantId, TenantSummary,
};
use crate::ports::{
    InsightFilter, InsightStore, OAuthState, Page, PageRequest, ScoreQuery, ScoreStore,
    SnapshotStore, StatusChange, StoreError, SyncStore, TenantStore, WebhookStore, WriteReport,
};
use crate::store::content;
use crate::store::cursor;
use crate::store::keys::{self, ItemKeys, Key};
use crate::store::query::{self, QueryPlan, SortCondition, READ_BATCH, WRITE_BATCH};
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeValue, ConsumedCapacity, DeleteRequest, KeysAndAttributes, PutRequest,
    ReturnConsumedCapacity, ReturnValue, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use backon::{BackoffBuilder, ExponentialBuilder};
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

type Item = HashMap<String, AttributeValue>;

/// Largest compressed snapshot we store: the item limit is 400 KB, and keys and digest need a little.
pub const MAX_SNAPSHOT_BYTES: usize = 380 * 1024;

/// Batched requests in flight at once for one call.
const CONCURRENT_BATCHES: usize = 8;

/// Capacity units DynamoDB reported as consumed, summed since the store was built.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ConsumedCapacityTotals {
    pub read_units: f64,
    pub write_units: f64,
}

#[derive(Default)]
struct CapacityMeter {
    /// Thousandths of a unit, so the sums fit in atomics.
    read_milli: AtomicU64,
    write_milli: AtomicU64,
}

impl CapacityMeter {
    fn add(&self, write: bool, consumed: Option<&ConsumedCapacity>) {
        let units = consumed.and_then(|c| c.capacity_units()).unwrap_or(0.0);
        let milli = (units * 1000.0).round() as u64;
        let counter = if write {
            &self.write_milli
        } else {
            &self.read_milli
        };
        counter.fetch_add(milli, Ordering::Relaxed);
    }

    fn add_all(&self, write: bool, consumed: &[ConsumedCapacity]) {
        for c in consumed {
            self.add(write, Some(c));
        }
    }
}

/// The DynamoDB adapter of the store port. Cheap to clone.
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    meter: Arc<CapacityMeter>,
    retry: ExponentialBuilder,
}

impl std::fmt::Debug for DynamoStore {
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

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn key_item(key: &Key) -> Item {
    HashMap::from([
        (keys::PK.to_owned(), s(&key.pk)),
        (keys::SK.to_owned(), s(&key.sk)),
    ])
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// An entity's attributes plus every key attribute of `keys`.
fn encode<T: Serialize>(value: &T, keys: &ItemKeys) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(value)
        .map_err(|e| StoreError::InvalidInput(format!("cannot encode item: {e}")))?;
    for (name, value) in keys.attributes() {
        item.insert(name, s(value));
    }
    Ok(item)
}

fn decode<T: DeserializeOwned>(mut item: Item) -> Result<T, StoreError> {
    // Our own attributes, which the entity types do not have.
    let store_attributes = keys::KEY_ATTRIBUTES
        .iter()
        .chain(&[keys::CONTENT_HASH, keys::EXPIRES_AT]);
    for name in store_attributes {
        item.remove(*name);
    }
    serde_dynamo::from_item(item).map_err(corrupt)
}

fn string_attribute(item: &Item, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Some(value.clone()),
        _ => None,
    }
}

fn number_attribute(item: &Item, name: &str) -> Option<i64> {
    match item.get(name) {
        Some(AttributeValue::N(value)) => value.parse().ok(),
        _ => None,
    }
}

fn item_key(item: &Item) -> Result<Key, StoreError> {
    Ok(Key {
        pk: string_attribute(item, keys::PK).ok_or_else(|| corrupt("item without pk"))?,
        sk: string_attribute(item, keys::SK).ok_or_else(|| corrupt("item without sk"))?,
    })
}

#[derive(Serialize, Deserialize)]
struct SnapshotItem {
    client_id: ClientId,
    /// `json+gzip`: how `data` is encoded, so another encoding can follow.
    encoding: String,
    #[serde(with = "serde_bytes_base")]
    data: Vec<u8>,
}

/// `serde_dynamo` writes `Vec<u8>` as a list of numbers unless told it is bytes.
mod serde_bytes_base {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        struct Bytes;
        impl serde::de::Visitor<'_> for Bytes {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
        }
        deserializer.deserialize_byte_buf(Bytes)
    }
}

const SNAPSHOT_ENCODING: &str = "json+gzip";

fn compress_snapshot(snapshot: &ClientSnapshot) -> Result<Vec<u8>, StoreError> {
    let json = serde_json::to_vec(snapshot)
        .map_err(|e| StoreError::InvalidInput(format!("snapshot does not serialise: {e}")))?;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(&json)
        .and_then(|()| encoder.finish())
        .map_err(|e| StoreError::InvalidInput(format!("cannot compress snapshot: {e}")))
}

fn decompress_snapshot(item: SnapshotItem) -> Result<ClientSnapshot, StoreError> {
    if item.encoding != SNAPSHOT_ENCODING {
        return Err(corrupt(format!(
            "snapshot {} has unknown encoding {}",
            item.client_id, item.encoding
        )));
    }
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(item.data.as_slice())
        .read_to_end(&mut json)
        .map_err(corrupt)?;
    serde_json::from_slice(&json).map_err(corrupt)
}

#[derive(Serialize, Deserialize)]
struct ContactItem {
    contact_id: String,
    client_ids: Vec<ClientId>,
}

#[derive(Serialize, Deserialize)]
struct LeaseItem {
    holder: String,
    until: DateTime<Utc>,
    /// `until` in epoch milliseconds, for the condition that compares it with `now`.
    until_ms: i64,
}

#[derive(Serialize, Deserialize)]
struct OAuthStateItem {
    state: OAuthState,
}

/// A filter expression with its names and values.
#[derive(Default)]
struct Filter {
    clauses: Vec<String>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Filter {
    fn add(&mut self, attribute: &str, operator: &str, value: AttributeValue) {
        let i = self.clauses.len();
        self.names.insert(format!("#f{i}"), attribute.to_owned());
        self.values.insert(format!(":f{i}"), value);
        self.clauses.push(format!("#f{i} {operator} :f{i}"));
    }

    fn expression(&self) -> Option<String> {
        (!self.clauses.is_empty()).then(|| self.clauses.join(" AND "))
    }
}

fn enum_value<T: Serialize>(value: T) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(value)
        .map_err(|e| StoreError::InvalidInput(format!("cannot encode filter value: {e}")))
}

fn insight_filter(filter: &InsightFilter) -> Result<Filter, StoreError> {
    let mut f = Filter::default();
    // Status is the partition of the query when given; the rest filter what it reads.
    if let Some(t) = filter.insight_type {
        f.add("type", "=", enum_value(t)?);
    }
    if let Some(impact) = filter.impact {
        f.add("impact", "=", enum_value(impact)?);
    }
    if let Some(min) = filter.min_confidence {
        f.add("confidence", ">=", n(min));
    }
    if let Some(band) = filter.band {
        f.add("confidence_band", "=", enum_value(band)?);
    }
    if let Some(client_id) = &filter.client_id {
        f.add("client_id", "=", s(client_id.as_str()));
    }
    Ok(f)
}

/// A write the store decided to make after comparing digests.
enum Change {
    Put(Item),
    Delete(Key),
}

impl DynamoStore {
    pub fn new(client: Client, table_name: impl Into<String>) -> Self {
        Self {
            client,
            table: table_name.into(),
            meter: Arc::new(CapacityMeter::default()),
            retry: ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(25))
                .with_max_delay(Duration::from_secs(2))
                .with_max_times(10)
                .with_jitter(),
        }
    }

    /// Gives up on unprocessed items after `max_retries` backoff rounds (default 10) with `Throttled`.
    pub fn with_max_retries(mut self, max_retries: usize) -> Self {
        self.retry = self.retry.with_max_times(max_retries);
        self
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// Capacity consumed by this store (and its clones) so far, as DynamoDB reported it.
    pub fn consumed_capacity(&self) -> ConsumedCapacityTotals {
        ConsumedCapacityTotals {
            read_units: self.meter.read_milli.load(Ordering::Relaxed) as f64 / 1000.0,
            write_units: self.meter.write_milli.load(Ordering::Relaxed) as f64 / 1000.0,
        }
    }

    // ---- raw operations -------------------------------------------------------------------------

    async fn get_item(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(key)))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| sdk_error("get item", e))?;
        self.meter.add(false, output.consumed_capacity());
        Ok(output.item)
    }

    /// The entity stored under `key`, or `NotFound` naming it.
    async fn get_entity<T: DeserializeOwned>(
        &self,
        key: &Key,
        entity: &'static str,
        id: impl ToString,
    ) -> Result<T, StoreError> {
        match self.get_item(key).await? {
            Some(item) => decode(item),
            None => Err(StoreError::not_found(entity, id)),
        }
    }

    /// Puts `item` under a condition; `Ok(false)` when the condition failed.
    async fn put_if(
        &self,
        item: Item,
        condition: Option<&str>,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<bool, StoreError> {
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .set_condition_expression(condition.map(str::to_owned));
        for (name, attribute) in names {
            request = request.expression_attribute_names(*name, *attribute);
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

    /// Writes `holder`'s lease until `until` if `condition` (over `#pk`, `#holder`, `#until` and
    /// `:holder`, `:now`) holds; `Ok(false)` when it does not.
    async fn put_lease(
        &self,
        tenant_id: &TenantId,
        name: &str,
        holder: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
        condition: &str,
    ) -> Result<bool, StoreError> {
        let keys = keys::lease(tenant_id, name)?;
        keys::free_key_part("lease holder", holder)?;
        let lease = LeaseItem {
            holder: holder.to_owned(),
            until,
            until_ms: until.timestamp_millis(),
        };
        self.put_if(
            encode(&lease, &keys)?,
            Some(condition),
            &[
                ("#pk", keys::PK),
                ("#holder", "holder"),
                ("#until", "until_ms"),
            ],
            vec![(":holder", s(holder)), (":now", n(now.timestamp_millis()))],
        )
        .await
    }

    async fn put(&self, item: Item) -> Result<(), StoreError> {
        self.put_if(item, None, &[], Vec::new()).await.map(|_| ())
    }

    /// Deletes under a condition; returns the old item when deleted, `None` when the condition
    /// failed or nothing was there.
    async fn delete_if(
        &self,
        key: &Key,
        condition: Option<&str>,
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<Option<Item>, StoreError> {
        let mut request = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_item(key)))
            .return_values(ReturnValue::AllOld)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .set_condition_expression(condition.map(str::to_owned));
        for (name, value) in values {
            request = request.expression_attribute_values(name, value);
        }
        match request.send().await {
            Ok(output) => {
                self.meter.add(true, output.consumed_capacity());
                Ok(output.attributes)
            }
            Err(e) if is_condition_failure(&e) => Ok(None),
            Err(e) => Err(sdk_error("delete item", e)),
        }
    }

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
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
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
    async fn batch_write(&self, changes: Vec<Change>) -> Result<u64, StoreError> {
        let requests: Vec<WriteRequest> = changes
            .into_iter()
            .map(|change| match change {
                Change::Put(item) => PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map(|put| WriteRequest::builder().put_request(put).build()),
                Change::Delete(key) => DeleteRequest::builder()
                    .set_key(Some(key_item(&key)))
                    .build()
                    .map(|delete| WriteRequest::builder().delete_request(delete).build()),
            })
            .collect::<Result<_, _>>()
            .map_err(|e| StoreError::InvalidInput(e.to_string()))?;
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
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
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

    /// Reads the stored digests (and versions) of `keys`.
    async fn stored_digests(
        &self,
        keys: Vec<Key>,
    ) -> Result<HashMap<Key, (Option<String>, Option<i64>)>, StoreError> {
        let items = self.batch_get(keys, Some("#pk, #sk, #hash, #ver")).await?;
        items
            .into_iter()
            .map(|item| {
                Ok((
                    item_key(&item)?,
                    (
                        string_attribute(&item, keys::CONTENT_HASH),
                        number_attribute(&item, "version"),
                    ),
                ))
            })
            .collect()
    }

    /// Writes the items (key, item with `content_hash`, or `None` to delete) whose digest differs
    /// from the stored one.
    async fn write_changed(
        &self,
        plan: Vec<(Key, Option<Item>)>,
    ) -> Result<WriteReport, StoreError> {
        let plan = query::last_wins(plan, |(key, _)| key.clone());
        let stored = self
            .stored_digests(plan.iter().map(|(key, _)| key.clone()).collect())
            .await?;
        self.write_against(plan, &stored).await
    }

    async fn write_against(
        &self,
        plan: Vec<(Key, Option<Item>)>,
        stored: &HashMap<Key, (Option<String>, Option<i64>)>,
    ) -> Result<WriteReport, StoreError> {
        let mut report = WriteReport::default();
        let mut changes = Vec::new();
        for (key, item) in plan {
            let stored_hash = stored.get(&key).map(|(hash, _)| hash.clone());
            let change = match item {
                Some(item) => {
                    let hash = string_attribute(&item, keys::CONTENT_HASH);
                    match stored_hash {
                        Some(stored_hash) if hash.is_some() && stored_hash == hash => None,
                        _ => Some(Change::Put(item)),
                    }
                }
                None => stored_hash.map(|_| Change::Delete(key)),
            };
            match change {
                Some(change) => changes.push(change),
                None => report.items_unchanged += 1,
            }
        }
        report.items_written = changes.len() as u64;
        report.write_requests = self.batch_write(changes).await?;
        Ok(report)
    }

    fn query_request(
        &self,
        plan: &QueryPlan,
        filter: &Filter,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        let (pk_name, sk_name) = plan.index.key_attributes();
        let mut key_condition = "#qp = :qp".to_owned();
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(plan.index.name().map(str::to_owned))
            .scan_index_forward(plan.forward)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .expression_attribute_names("#qp", pk_name)
            .expression_attribute_values(":qp", s(&plan.partition));
        match &plan.condition {
            SortCondition::Any => {}
            SortCondition::BeginsWith(prefix) => {
                key_condition.push_str(" AND begins_with(#qs, :qs)");
                request = request
                    .expression_attribute_names("#qs", sk_name)
                    .expression_attribute_values(":qs", s(prefix));
            }
            SortCondition::Between(low, high) => {
                key_condition.push_str(" AND #qs BETWEEN :ql AND :qh");
                request = request
                    .expression_attribute_names("#qs", sk_name)
                    .expression_attribute_values(":ql", s(low))
                    .expression_attribute_values(":qh", s(high));
            }
        }
        if plan.index == keys::Index::Table {
            request = request.consistent_read(true);
        }
        if let Some(expression) = filter.expression() {
            request = request.filter_expression(expression);
            for (name, attribute) in &filter.names {
                request = request.expression_attribute_names(name, attribute);
            }
            for (name, value) in &filter.values {
                request = request.expression_attribute_values(name, value.clone());
            }
        }
        request.key_condition_expression(key_condition)
    }

    /// One page of a plan: items past the cursor that pass the filter, and a cursor when more exist.
    async fn query_page(
        &self,
        plan: &QueryPlan,
        filter: &Filter,
        page: &PageRequest,
    ) -> Result<Page<Item>, StoreError> {
        let limit = query::page_limit(page)?;
        let mut start: Option<Item> = match &page.cursor {
            None => None,
            Some(c) => Some(
                cursor::decode(plan.cursor_scope(), c)?
                    .into_iter()
                    .map(|(name, value)| (name, s(value)))
                    .collect(),
            ),
        };
        let mut items: Vec<Item> = Vec::with_capacity(limit + 1);
        loop {
            // One more than asked tells whether another page exists; a filter may drop many.
            let wanted = limit + 1 - items.len();
            let evaluate = if filter.expression().is_some() {
                (wanted * 4).max(100)
            } else {
                wanted
            };
            let output = self
                .query_request(plan, filter)
                .limit(i32::try_from(evaluate).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk_error("query", e))?;
            self.meter.add(false, output.consumed_capacity());
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key.filter(|k| !k.is_empty());
            if items.len() > limit || start.is_none() {
                break;
            }
        }
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            let last = items.last().ok_or_else(|| corrupt("empty page"))?;
            let (pk_name, sk_name) = plan.index.key_attributes();
            let position: BTreeMap<String, String> = [keys::PK, keys::SK, pk_name, sk_name]
                .into_iter()
                .map(|name| {
                    string_attribute(last, name)
                        .map(|value| (name.to_owned(), value))
                        .ok_or_else(|| corrupt(format!("item without {name}")))
                })
                .collect::<Result<_, _>>()?;
            Some(cursor::encode(plan.cursor_scope(), position))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// Every item of a plan.
    async fn query_all(&self, plan: &QueryPlan, filter: &Filter) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .query_request(plan, filter)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk_error("query", e))?;
            self.meter.add(false, output.consumed_capacity());
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key.filter(|k| !k.is_empty());
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Keeps the order of `ids` for items fetched by a batch read.
    fn in_request_order<T>(
        ids: &[ClientId],
        found: Vec<T>,
        id_of: impl Fn(&T) -> &ClientId,
    ) -> Vec<T> {
        let mut by_id: HashMap<ClientId, T> =
            found.into_iter().map(|t| (id_of(&t).clone(), t)).collect();
        ids.iter().filter_map(|id| by_id.remove(id)).collect()
    }

    fn decode_page<T: DeserializeOwned>(page: Page<Item>) -> Result<Page<T>, StoreError> {
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(decode)
                .collect::<Result<_, _>>()?,
            next_cursor: page.next_cursor,
        })
    }

    fn snapshot_item(
        tenant_id: &TenantId,
        snapshot: &ClientSnapshot,
    ) -> Result<(Key, Option<Item>), StoreError> {
        let keys = keys::snapshot(tenant_id, &snapshot.client_id);
        let data = compress_snapshot(snapshot)?;
        if data.len() > MAX_SNAPSHOT_BYTES {
            return Err(StoreError::InvalidInput(format!(
                "snapshot of client {} is {} bytes compressed; the store keeps at most {}",
                snapshot.client_id,
                data.len(),
                MAX_SNAPSHOT_BYTES
            )));
        }
        let mut item = encode(
            &SnapshotItem {
                client_id: snapshot.client_id.clone(),
                encoding: SNAPSHOT_ENCODING.to_owned(),
                data,
            },
            &keys,
        )?;
        item.insert(keys::CONTENT_HASH.to_owned(), s(content::digest(snapshot)?));
        Ok((keys.key, Some(item)))
    }

    fn decode_snapshot(item: Item) -> Result<ClientSnapshot, StoreError> {
        decompress_snapshot(decode(item)?)
    }
}

#[async_trait::async_trait]
impl TenantStore for DynamoStore {
    async fn create_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let item = encode(tenant, &keys::tenant(tenant))?;
        if self
            .put_if(
                item,
                Some("attribute_not_exists(#pk)"),
                &[("#pk", keys::PK)],
                Vec::new(),
            )
            .await?
        {
            Ok(())
        } else {
            Err(StoreError::conflict("tenant", &tenant.id))
        }
    }

    async fn get_tenant(&self, tenant_id: &TenantId) -> Result<Tenant, StoreError> {
        self.get_entity(&keys::tenant_key(tenant_id), "tenant", tenant_id)
            .await
    }

    async fn update_tenant(&self, tenant: &Tenant) -> Result<Tenant, StoreError> {
        let mut updated = tenant.clone();
        updated.version += 1;
        let item = encode(&updated, &keys::tenant(&updated))?;
        let written = self
            .put_if(
                item,
                Some("#v = :v"),
                &[("#v", "version")],
                vec![(":v", n(tenant.version))],
            )
            .await?;
        if written {
            return Ok(updated);
        }
        match self.get_item(&keys::tenant_key(&tenant.id)).await? {
            Some(_) => Err(StoreError::conflict("tenant", &tenant.id)),
            None => Err(StoreError::not_found("tenant", &tenant.id)),
        }
    }

    async fn record_full_sync(
        &self,
        tenant_id: &TenantId,
        finished_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let at = serde_dynamo::to_attribute_value(finished_at)
            .map_err(|e| StoreError::InvalidInput(format!("full sync time: {e}")))?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::tenant_key(tenant_id))))
            .update_expression("SET #at = :at")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#at", "last_full_sync_at")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_values(":at", at)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match result {
            Ok(output) => {
                self.meter.add(true, output.consumed_capacity());
                Ok(())
            }
            Err(e) if is_condition_failure(&e) => Err(StoreError::not_found("tenant", tenant_id)),
            Err(e) => Err(sdk_error("update item", e)),
        }
    }

    async fn tenant_by_portal(&self, portal_id: u64) -> Result<Option<Tenant>, StoreError> {
        let items = self
            .query_all(&query::tenants_by_portal(portal_id), &Filter::default())
            .await?;
        items.into_iter().next().map(decode).transpose()
    }

    async fn list_active_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError> {
        let items = self
            .query_page(&query::active_tenants(), &Filter::default(), page)
            .await?;
        Self::decode_page(items)
    }
}

#[async_trait::async_trait]
impl SnapshotStore for DynamoStore {
    async fn put_snapshots(
        &self,
        tenant_id: &TenantId,
        snapshots: &[ClientSnapshot],
    ) -> Result<WriteReport, StoreError> {
        let plan = snapshots
            .iter()
            .map(|snapshot| Self::snapshot_item(tenant_id, snapshot))
            .collect::<Result<Vec<_>, _>>()?;
        self.write_changed(plan).await
    }

    async fn get_snapshots(
        &self,
        tenant_id: &TenantId,
        client_ids: &[ClientId],
    ) -> Result<Vec<ClientSnapshot>, StoreError> {
        let keys = client_ids
            .iter()
            .map(|id| keys::snapshot(tenant_id, id).key)
            .collect();
        let found = self
            .batch_get(keys, None)
            .await?
            .into_iter()
            .map(Self::decode_snapshot)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::in_request_order(client_ids, found, |s| &s.client_id))
    }

    async fn list_snapshots(
        &self,
        tenant_id: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<ClientSnapshot>, StoreError> {
        let page = self
            .query_page(&query::snapshots(tenant_id), &Filter::default(), page)
            .await?;
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(Self::decode_snapshot)
                .collect::<Result<_, _>>()?,
            next_cursor: page.next_cursor,
        })
    }

    async fn delete_snapshots(
        &self,
        tenant_id: &TenantId,
        client_ids: &[ClientId],
    ) -> Result<WriteReport, StoreError> {
        let plan = client_ids
            .iter()
            .map(|id| (keys::snapshot(tenant_id, id).key, None))
            .collect();
        self.write_changed(plan).await
    }

    async fn put_contact_clients(
        &self,
        tenant_id: &TenantId,
        links: &[(String, Vec<ClientId>)],
    ) -> Result<WriteReport, StoreError> {
        let plan = links
            .iter()
            .map(|(contact_id, client_ids)| {
                let keys = keys::contact(tenant_id, contact_id)?;
                if client_ids.is_empty() {
                    return Ok((keys.key, None));
                }
                let mut item = encode(
                    &ContactItem {
                        contact_id: contact_id.clone(),
                        client_ids: client_ids.clone(),
                    },
                    &keys,
                )?;
                item.insert(
                    keys::CONTENT_HASH.to_owned(),
                    s(content::digest(client_ids)?),
                );
                Ok((keys.key, Some(item)))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.write_changed(plan).await
    }

    async fn contact_clients(
        &self,
        tenant_id: &TenantId,
        contact_ids: &[String],
    ) -> Result<Vec<(String, Vec<ClientId>)>, StoreError> {
        let keys = contact_ids
            .iter()
            .map(|id| keys::contact(tenant_id, id).map(|k| k.key))
            .collect::<Result<Vec<_>, _>>()?;
        let mut found: HashMap<String, Vec<ClientId>> = self
            .batch_get(keys, None)
            .await?
            .into_iter()
            .map(|item| decode::<ContactItem>(item).map(|c| (c.contact_id, c.client_ids)))
            .collect::<Result<_, _>>()?;
        let mut seen = HashSet::new();
        Ok(contact_ids
            .iter()
            .filter(|id| seen.insert(id.as_str()))
            .filter_map(|id| found.remove(id).map(|clients| (id.clone(), clients)))
            .collect())
    }
}

#[async_trait::async_trait]
impl ScoreStore for DynamoStore {
    async fn get_summary(&self, tenant_id: &TenantId) -> Result<Option<TenantSummary>, StoreError> {
        self.get_item(&keys::summary(tenant_id).key)
            .await?
            .map(decode)
            .transpose()
    }

    async fn put_summary(
        &self,
        tenant_id: &TenantId,
        summary: &TenantSummary,
        if_unchanged: bool,
    ) -> Result<TenantSummary, StoreError> {
        let mut written = summary.clone();
        written.version += 1;
        let item = encode(&written, &keys::summary(tenant_id))?;
        // DynamoDB refuses expression names and values the condition does not use.
        let (condition, names, values) = match (if_unchanged, summary.version) {
            (false, _) => (None, Vec::new(), Vec::new()),
            (true, 0) => (
                Some("attribute_not_exists(#pk) OR #v = :v"),
                vec![("#pk", keys::PK), ("#v", "version")],
                vec![(":v", n(0))],
            ),
            (true, version) => (
                Some("#v = :v"),
                vec![("#v", "version")],
                vec![(":v", n(version))],
            ),
        };
        if self.put_if(item, condition, &names, values).await? {
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
        let plan = scores
            .iter()
            .map(|score| {
                let keys = keys::score(tenant_id, score);
                let mut item = encode(score, &keys)?;
                item.insert(
                    keys::CONTENT_HASH.to_owned(),
                    s(content::score_digest(score)?),
                );
                Ok((keys.key, Some(item)))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
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
        self.get_item(&keys::score_key(tenant_id, client_id))
            .await?
            .map(decode)
            .transpose()
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
        let found = self
            .batch_get(keys, None)
            .await?
            .into_iter()
            .map(decode::<HealthScore>)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::in_request_order(client_ids, found, |s| &s.client_id))
    }

    async fn list_scores(
        &self,
        tenant_id: &TenantId,
        score_query: &ScoreQuery,
        page: &PageRequest,
    ) -> Result<Page<HealthScore>, StoreError> {
        let mut filter = Filter::default();
        if let Some(min) = score_query.min_churn_risk {
            filter.add("churn_risk", ">=", n(min));
        }
        let page = self
            .query_page(&query::scores(tenant_id, score_query), &filter, page)
            .await?;
        Self::decode_page(page)
    }

    async fn append_history(
        &self,
        tenant_id: &TenantId,
        points: &[ScorePoint],
        retention_days: u32,
    ) -> Result<WriteReport, StoreError> {
        query::require_history_retention(retention_days)?;
        let plan = points
            .iter()
            .map(|point| {
                let keys = keys::history(tenant_id, point);
                let expires_at = query::history_expiry(point.at, retention_days);
                let mut item = encode(point, &keys)?;
                item.insert(keys::EXPIRES_AT.to_owned(), n(expires_at));
                item.insert(
                    keys::CONTENT_HASH.to_owned(),
                    s(content::digest(&(point, expires_at))?),
                );
                Ok((keys.key, Some(item)))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.write_changed(plan).await
    }

    async fn history(
        &self,
        tenant_id: &TenantId,
        client_id: &ClientId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ScorePoint>, StoreError> {
        // TTL deletes lazily: hide what has expired but is still there.
        let mut filter = Filter::default();
        filter.add(keys::EXPIRES_AT, ">", n(Utc::now().timestamp()));
        self.query_all(&query::history(tenant_id, client_id, from, to), &filter)
            .await?
            .into_iter()
            .map(decode)
            .collect()
    }
}

#[async_trait::async_trait]
impl InsightStore for DynamoStore {
    async fn put_insights(
        &self,
        tenant_id: &TenantId,
        insights: &[Insight],
    ) -> Result<WriteReport, StoreError> {
        let insights = query::insights_to_put(tenant_id, insights)?;
        let stored = self
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
            let stored_version = stored
                .get(&key)
                .and_then(|(_, version)| version.map(|v| u64::try_from(v).unwrap_or(0)));
            let Some(version) = query::insight_version_to_write(insight.version, stored_version)
            else {
                stale += 1;
                continue;
            };
            let insight = Insight {
                version,
                ..insight.clone()
            };
            let mut item = encode(&insight, &keys::insight(&insight))?;
            item.insert(
                keys::CONTENT_HASH.to_owned(),
                s(content::insight_digest(&insight)?),
            );
            plan.push((key, Some(item)));
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
        let key = keys::insight_key(tenant_id, insight_id);
        self.get_entity(&key, "insight", insight_id).await
    }

    async fn insights_for_clients(
        &self,
        tenant_id: &TenantId,
        client_ids: &[ClientId],
    ) -> Result<Vec<Insight>, StoreError> {
        let client_ids = query::last_wins(client_ids.iter(), |id| (*id).clone());
        let items: Vec<Item> = if client_ids.len() <= query::CLIENT_QUERIES_MAX {
            let plans: Vec<QueryPlan> = client_ids
                .iter()
                .map(|client_id| query::client_insights(tenant_id, client_id))
                .collect();
            let per_client: Vec<Vec<Item>> = futures::stream::iter(plans)
                .map(|plan| async move { self.query_all(&plan, &Filter::default()).await })
                .buffered(CONCURRENT_BATCHES)
                .try_collect()
                .await?;
            per_client.into_iter().flatten().collect()
        } else {
            let wanted: HashSet<&str> = client_ids.iter().map(|id| id.as_str()).collect();
            self.query_all(&query::all_insights(tenant_id), &Filter::default())
                .await?
                .into_iter()
                .filter(|item| {
                    string_attribute(item, "client_id")
                        .is_some_and(|id| wanted.contains(id.as_str()))
                })
                .collect()
        };
        items.into_iter().map(decode).collect()
    }

    async fn list_insights(
        &self,
        tenant_id: &TenantId,
        filter: &InsightFilter,
        page: &PageRequest,
    ) -> Result<Page<Insight>, StoreError> {
        let page = self
            .query_page(
                &query::insights(tenant_id, filter),
                &insight_filter(filter)?,
                page,
            )
            .await?;
        Self::decode_page(page)
    }

    async fn change_insight_status(
        &self,
        tenant_id: &TenantId,
        insight_id: &InsightId,
        change: &StatusChange,
    ) -> Result<Insight, StoreError> {
        let mut insight = self.get_insight(tenant_id, insight_id).await?;
        change.apply_to(&mut insight)?;
        let mut item = encode(&insight, &keys::insight(&insight))?;
        item.insert(
            keys::CONTENT_HASH.to_owned(),
            s(content::insight_digest(&insight)?),
        );
        let written = self
            .put_if(
                item,
                Some("#v = :v"),
                &[("#v", "version")],
                vec![(":v", n(change.expected_version))],
            )
            .await?;
        if written {
            Ok(insight)
        } else {
            Err(StoreError::conflict("insight", insight_id))
        }
    }
}

#[async_trait::async_trait]
impl SyncStore for DynamoStore {
    async fn put_sync_run(&self, run: &SyncRun) -> Result<(), StoreError> {
        self.put(encode(run, &keys::sync_run(run))?).await
    }

    async fn get_sync_run(
        &self,
        tenant_id: &TenantId,
        sync_id: &SyncId,
    ) -> Result<SyncRun, StoreError> {
        let key = keys::sync_run_key(tenant_id, sync_id);
        self.get_entity(&key, "sync run", sync_id).await
    }

    async fn list_sync_runs(
        &self,
        tenant_id: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<SyncRun>, StoreError> {
        let page = self
            .query_page(&query::sync_runs(tenant_id), &Filter::default(), page)
            .await?;
        Self::decode_page(page)
    }

    async fn checkpoints(&self, tenant_id: &TenantId) -> Result<Vec<SyncCheckpoint>, StoreError> {
        self.query_all(&query::checkpoints(tenant_id), &Filter::default())
            .await?
            .into_iter()
            .map(decode)
            .collect()
    }

    async fn put_checkpoint(
        &self,
        tenant_id: &TenantId,
        checkpoint: &SyncCheckpoint,
    ) -> Result<(), StoreError> {
        let keys = keys::checkpoint(tenant_id, checkpoint.object_type);
        self.put(encode(checkpoint, &keys)?).await
    }

    async fn clear_checkpoint(
        &self,
        tenant_id: &TenantId,
        object_type: ObjectType,
    ) -> Result<(), StoreError> {
        let key = keys::checkpoint(tenant_id, object_type).key;
        self.delete_if(&key, None, Vec::new()).await.map(|_| ())
    }

    async fn acquire_lease(
        &self,
        tenant_id: &TenantId,
        name: &str,
        holder: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.put_lease(
            tenant_id,
            name,
            holder,
            until,
            now,
            "attribute_not_exists(#pk) OR #holder = :holder OR #until <= :now",
        )
        .await
    }

    async fn renew_lease(
        &self,
        tenant_id: &TenantId,
        name: &str,
        holder: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let condition = "attribute_exists(#pk) AND #holder = :holder AND #until > :now";
        self.put_lease(tenant_id, name, holder, until, now, condition)
            .await
    }

    async fn release_lease(
        &self,
        tenant_id: &TenantId,
        name: &str,
        holder: &str,
    ) -> Result<(), StoreError> {
        let key = keys::lease(tenant_id, name)?.key;
        self.delete_if(&key, Some("holder = :holder"), vec![(":holder", s(holder))])
            .await
            .map(|_| ())
    }
}

#[async_trait::async_trait]
impl WebhookStore for DynamoStore {
    async fn record_webhook_event(
        &self,
        tenant_id: &TenantId,
        event_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let keys = keys::webhook_event(tenant_id, event_id)?;
        let mut item = key_item(&keys.key);
        item.insert(keys::EXPIRES_AT.to_owned(), n(expires_at.timestamp()));
        // An expired record TTL has not deleted yet counts as absent.
        self.put_if(
            item,
            Some("attribute_not_exists(#pk) OR #exp <= :now"),
            &[("#pk", keys::PK), ("#exp", keys::EXPIRES_AT)],
            vec![(":now", n(Utc::now().timestamp()))],
        )
        .await
    }

    async fn forget_webhook_event(
        &self,
        tenant_id: &TenantId,
        event_id: &str,
    ) -> Result<(), StoreError> {
        let key = keys::webhook_event(tenant_id, event_id)?.key;
        self.delete_if(&key, None, Vec::new()).await.map(|_| ())
    }

    async fn put_oauth_state(&self, state: &OAuthState) -> Result<(), StoreError> {
        let keys = keys::oauth_state(&state.nonce)?;
        let mut item = encode(
            &OAuthStateItem {
                state: state.clone(),
            },
            &keys,
        )?;
        item.insert(keys::EXPIRES_AT.to_owned(), n(state.expires_at.timestamp()));
        let written = self
            .put_if(
                item,
                Some("attribute_not_exists(#pk) OR #exp <= :now"),
                &[("#pk", keys::PK), ("#exp", keys::EXPIRES_AT)],
                vec![(":now", n(Utc::now().timestamp()))],
            )
            .await?;
        if written {
            Ok(())
        } else {
            Err(StoreError::conflict("oauth state", "(nonce)"))
        }
    }

    async fn take_oauth_state(
        &self,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OAuthState>, StoreError> {
        let key = keys::oauth_state(nonce)?.key;
        let Some(old) = self.delete_if(&key, None, Vec::new()).await? else {
            return Ok(None);
        };
        let item: OAuthStateItem = decode(old)?;
        Ok((item.state.expires_at > now).then_some(item.state))
    }
}
