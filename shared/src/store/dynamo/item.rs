//! Rows as DynamoDB items and back: each entity's attributes (`serde_dynamo`), the key attributes,
//! `content_hash` and `expires_at`; snapshots gzip-compressed; query filters as expressions.

use crate::domain::{ClientId, ClientSnapshot, ConnectionId, TenantId};
use crate::ports::{OAuthState, StoreError};
use crate::store::keys::{self, IndexKey, ItemKeys, Key};
use crate::store::row::{Record, Row, RowFilter};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{Read, Write};

pub(super) type Item = HashMap<String, AttributeValue>;

/// Largest compressed snapshot or payer record we store: the item limit is 400 KB, and keys and
/// digest need a little.
pub const MAX_COMPRESSED_BYTES: usize = 380 * 1024;

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(super) fn key_item(key: &Key) -> Item {
    HashMap::from([
        (keys::PK.to_owned(), s(&key.pk)),
        (keys::SK.to_owned(), s(&key.sk)),
    ])
}

pub(super) fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

pub(super) fn string_attribute(item: &Item, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Some(value.clone()),
        _ => None,
    }
}

pub(super) fn number_attribute(item: &Item, name: &str) -> Option<i64> {
    match item.get(name) {
        Some(AttributeValue::N(value)) => value.parse().ok(),
        _ => None,
    }
}

pub(super) fn item_key(item: &Item) -> Result<Key, StoreError> {
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

const COMPRESSED_ENCODING: &str = "json+gzip";

/// `value`'s JSON, gzip-compressed; `InvalidInput` past [`MAX_COMPRESSED_BYTES`] (`what` names it).
fn compress<T: Serialize>(value: &T, what: &str) -> Result<Vec<u8>, StoreError> {
    let json = serde_json::to_vec(value)
        .map_err(|e| StoreError::InvalidInput(format!("{what} does not serialise: {e}")))?;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let data = encoder
        .write_all(&json)
        .and_then(|()| encoder.finish())
        .map_err(|e| StoreError::InvalidInput(format!("cannot compress {what}: {e}")))?;
    if data.len() > MAX_COMPRESSED_BYTES {
        return Err(StoreError::InvalidInput(format!(
            "{what} is {} bytes compressed; the store keeps at most {}",
            data.len(),
            MAX_COMPRESSED_BYTES
        )));
    }
    Ok(data)
}

fn decompress<T: DeserializeOwned>(
    encoding: &str,
    data: &[u8],
    what: &str,
) -> Result<T, StoreError> {
    if encoding != COMPRESSED_ENCODING {
        return Err(corrupt(format!("{what} has unknown encoding {encoding}")));
    }
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut json)
        .map_err(corrupt)?;
    serde_json::from_slice(&json).map_err(corrupt)
}

fn compress_snapshot(snapshot: &ClientSnapshot) -> Result<SnapshotItem, StoreError> {
    let what = format!("snapshot of client {}", snapshot.client_id);
    Ok(SnapshotItem {
        client_id: snapshot.client_id.clone(),
        encoding: COMPRESSED_ENCODING.to_owned(),
        data: compress(snapshot, &what)?,
    })
}

fn decompress_snapshot(item: SnapshotItem) -> Result<ClientSnapshot, StoreError> {
    let what = format!("snapshot {}", item.client_id);
    decompress(&item.encoding, &item.data, &what)
}

/// A record of another platform (a payer, an account): its ids in the clear, the rest (which grows
/// with its history: payments, devices, daily activity) compressed like a snapshot.
#[derive(Serialize, Deserialize)]
struct ExternalRecordItem {
    connection_id: ConnectionId,
    external_id: String,
    encoding: String,
    #[serde(with = "serde_bytes_base")]
    data: Vec<u8>,
}

fn compress_external<T: Serialize>(
    kind: &str,
    connection_id: &ConnectionId,
    external_id: &str,
    record: &T,
) -> Result<ExternalRecordItem, StoreError> {
    let what = format!("{kind} {external_id} of {connection_id}");
    Ok(ExternalRecordItem {
        connection_id: connection_id.clone(),
        external_id: external_id.to_owned(),
        encoding: COMPRESSED_ENCODING.to_owned(),
        data: compress(record, &what)?,
    })
}

fn decompress_external<T: DeserializeOwned>(
    kind: &str,
    item: ExternalRecordItem,
) -> Result<T, StoreError> {
    let what = format!("{kind} {} of {}", item.external_id, item.connection_id);
    decompress(&item.encoding, &item.data, &what)
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

/// An override nested under one attribute: its own `expires_at` would otherwise be taken by the
/// TTL attribute of the same name.
#[derive(Serialize, Deserialize)]
struct OverrideItem {
    client_override: crate::domain::ClientOverride,
}

#[derive(Serialize, Deserialize)]
struct NoAttributes {}

/// A due marker; `version` is its write stamp, named so the version conditions apply to it.
#[derive(Serialize, Deserialize)]
struct AlertsDueItem {
    tenant_id: TenantId,
    hour: DateTime<Utc>,
    version: u64,
}

#[derive(Serialize, Deserialize)]
struct SendSlotItem {
    slot: DateTime<Utc>,
    version: u64,
}

fn attributes<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value)
        .map_err(|e| StoreError::InvalidInput(format!("cannot encode item: {e}")))
}

/// A row as the item DynamoDB stores.
pub(super) fn encode(row: &Row) -> Result<Item, StoreError> {
    let mut item = match &row.record {
        Record::Tenant { tenant } => attributes(tenant)?,
        Record::Snapshot { snapshot } => attributes(&compress_snapshot(snapshot)?)?,
        Record::Contact {
            contact_id,
            client_ids,
        } => attributes(&ContactItem {
            contact_id: contact_id.clone(),
            client_ids: client_ids.clone(),
        })?,
        Record::Score { score } => attributes(score)?,
        Record::History { point } => attributes(point)?,
        Record::Summary { summary } => attributes(summary)?,
        Record::Trend { point } => attributes(point)?,
        Record::Insight { insight } => attributes(insight)?,
        Record::SyncRun { run } => attributes(run)?,
        Record::Checkpoint { checkpoint } => attributes(checkpoint)?,
        Record::Lease { holder, until } => attributes(&LeaseItem {
            holder: holder.clone(),
            until: *until,
            until_ms: until.timestamp_millis(),
        })?,
        Record::WebhookEvent {} => Item::new(),
        Record::OAuthState { state } => attributes(&OAuthStateItem {
            state: state.clone(),
        })?,
        Record::Connection { connection } => attributes(connection)?,
        Record::Payer { payer } => attributes(&compress_external(
            "payer record",
            &payer.connection_id,
            &payer.external_id,
            payer,
        )?)?,
        Record::Account { account } => attributes(&compress_external(
            "account record",
            &account.connection_id,
            &account.external_id,
            account,
        )?)?,
        Record::Correlation { correlation } => attributes(correlation)?,
        Record::AlertRule { rule } => attributes(rule)?,
        Record::AlertState { state } => attributes(state)?,
        Record::Snooze { snooze } => attributes(snooze)?,
        Record::Override { client_override } => attributes(&OverrideItem {
            client_override: client_override.clone(),
        })?,
        Record::PendingAlert { alert } => attributes(alert)?,
        Record::AlertsDue {
            tenant_id,
            hour,
            stamp,
        } => attributes(&AlertsDueItem {
            tenant_id: tenant_id.clone(),
            hour: *hour,
            version: *stamp,
        })?,
        Record::Delivery { delivery } => attributes(delivery)?,
        Record::SendSlot { slot, version } => attributes(&SendSlotItem {
            slot: *slot,
            version: *version,
        })?,
        Record::Writeback { item } => attributes(item)?,
        Record::Export { export } => attributes(export)?,
        Record::Erasure { erasure } => attributes(erasure)?,
        Record::Audit { entry } => attributes(entry)?,
        Record::Outcome { outcome } => attributes(outcome)?,
        Record::Calibration { calibration } => attributes(calibration.as_ref())?,
        Record::SettingsVersion { version } => attributes(version)?,
        Record::Reweigh { state } => attributes(state)?,
        Record::Dispatch { progress } => attributes(progress)?,
    };
    for (name, value) in row.keys.attributes() {
        item.insert(name, s(value));
    }
    if let Some(hash) = &row.content_hash {
        item.insert(keys::CONTENT_HASH.to_owned(), s(hash));
    }
    if let Some(at) = row.expires_at {
        item.insert(keys::EXPIRES_AT.to_owned(), n(at));
    }
    Ok(item)
}

fn entity<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(corrupt)
}

/// An item read back as a row; the entity is told by the sort key ([`keys`]).
pub(super) fn decode(mut item: Item) -> Result<Row, StoreError> {
    let key = item_key(&item)?;
    let index_key = |item: &Item, (pk, sk): (&str, &str)| {
        Some(IndexKey {
            pk: string_attribute(item, pk)?,
            sk: string_attribute(item, sk)?,
        })
    };
    let item_keys = ItemKeys {
        gsi1: index_key(&item, keys::Index::Gsi1.key_attributes()),
        gsi2: index_key(&item, keys::Index::Gsi2.key_attributes()),
        gsi3: index_key(&item, keys::Index::Gsi3.key_attributes()),
        key: key.clone(),
    };
    let content_hash = string_attribute(&item, keys::CONTENT_HASH);
    let expires_at = number_attribute(&item, keys::EXPIRES_AT);
    // Our own attributes, which the entity types do not have.
    let store_attributes = keys::KEY_ATTRIBUTES
        .iter()
        .chain(&[keys::CONTENT_HASH, keys::EXPIRES_AT]);
    for name in store_attributes {
        item.remove(*name);
    }
    let sk = key.sk.as_str();
    let record = if sk == "TENANT" {
        Record::Tenant {
            tenant: entity(item)?,
        }
    } else if sk.starts_with(keys::SNAPSHOT_PREFIX) {
        Record::Snapshot {
            snapshot: decompress_snapshot(entity(item)?)?,
        }
    } else if sk.starts_with("CONTACT#") {
        let contact: ContactItem = entity(item)?;
        Record::Contact {
            contact_id: contact.contact_id,
            client_ids: contact.client_ids,
        }
    } else if sk.starts_with(keys::SCORE_PREFIX) {
        Record::Score {
            score: entity(item)?,
        }
    } else if sk.starts_with("HISTORY#") {
        Record::History {
            point: entity(item)?,
        }
    } else if sk.starts_with("TREND#") {
        Record::Trend {
            point: entity(item)?,
        }
    } else if sk == "SUMMARY" {
        Record::Summary {
            summary: entity(item)?,
        }
    } else if sk.starts_with(keys::INSIGHT_PREFIX) {
        Record::Insight {
            insight: entity(item)?,
        }
    } else if sk.starts_with("SYNC#") {
        Record::SyncRun { run: entity(item)? }
    } else if sk.starts_with(keys::CHECKPOINT_PREFIX) {
        Record::Checkpoint {
            checkpoint: entity(item)?,
        }
    } else if sk.starts_with("LEASE#") {
        let lease: LeaseItem = entity(item)?;
        Record::Lease {
            holder: lease.holder,
            until: lease.until,
        }
    } else if sk.starts_with("WEBHOOK#") {
        let NoAttributes {} = entity(item)?;
        Record::WebhookEvent {}
    } else if sk.starts_with(keys::CONNECTION_PREFIX) {
        Record::Connection {
            connection: entity(item)?,
        }
    } else if sk.starts_with(keys::PAYER_PREFIX) {
        Record::Payer {
            payer: decompress_external("payer record", entity(item)?)?,
        }
    } else if sk.starts_with(keys::ACCOUNT_PREFIX) {
        Record::Account {
            account: decompress_external("account record", entity(item)?)?,
        }
    } else if sk.starts_with(keys::CORRELATION_PREFIX) {
        Record::Correlation {
            correlation: entity(item)?,
        }
    } else if sk.starts_with(keys::ALERT_RULE_PREFIX) {
        Record::AlertRule {
            rule: entity(item)?,
        }
    } else if sk.starts_with(keys::ALERT_STATE_PREFIX) {
        Record::AlertState {
            state: entity(item)?,
        }
    } else if sk.starts_with(keys::SNOOZE_PREFIX) {
        Record::Snooze {
            snooze: entity(item)?,
        }
    } else if sk.starts_with(keys::OVERRIDE_PREFIX) {
        let item: OverrideItem = entity(item)?;
        Record::Override {
            client_override: item.client_override,
        }
    } else if sk.starts_with(keys::PENDING_ALERT_PREFIX) {
        Record::PendingAlert {
            alert: entity(item)?,
        }
    } else if sk.starts_with(keys::ALERTS_DUE_PREFIX) {
        let marker: AlertsDueItem = entity(item)?;
        Record::AlertsDue {
            tenant_id: marker.tenant_id,
            hour: marker.hour,
            stamp: marker.version,
        }
    } else if sk.starts_with(keys::DELIVERY_PREFIX) {
        Record::Delivery {
            delivery: entity(item)?,
        }
    } else if sk.starts_with(keys::SEND_SLOT_PREFIX) {
        let slot: SendSlotItem = entity(item)?;
        Record::SendSlot {
            slot: slot.slot,
            version: slot.version,
        }
    } else if sk.starts_with(keys::EXPORT_PREFIX) {
        Record::Export {
            export: entity(item)?,
        }
    } else if sk.starts_with(keys::WRITEBACK_PREFIX) {
        Record::Writeback {
            item: entity(item)?,
        }
    } else if sk.starts_with(keys::ERASURE_PREFIX) {
        Record::Erasure {
            erasure: entity(item)?,
        }
    } else if sk.starts_with(keys::SETTINGS_VERSION_PREFIX) {
        Record::SettingsVersion {
            version: entity(item)?,
        }
    } else if sk.starts_with(keys::AUDIT_PREFIX) {
        Record::Audit {
            entry: entity(item)?,
        }
    } else if sk.starts_with(keys::OUTCOME_PREFIX) {
        Record::Outcome {
            outcome: entity(item)?,
        }
    } else if sk == "DISPATCH" {
        Record::Dispatch {
            progress: entity(item)?,
        }
    } else if sk == "REWEIGH" {
        Record::Reweigh {
            state: entity(item)?,
        }
    } else if sk == "CALIBRATION" {
        Record::Calibration {
            calibration: Box::new(entity(item)?),
        }
    } else if sk == "OAUTH" {
        let item: OAuthStateItem = entity(item)?;
        Record::OAuthState { state: item.state }
    } else {
        return Err(corrupt(format!("item {sk} is no entity the store knows")));
    };
    Ok(Row {
        keys: item_keys,
        content_hash,
        expires_at,
        record,
    })
}

/// A filter expression with its names and values.
#[derive(Default)]
pub(super) struct Filter {
    clauses: Vec<String>,
    pub(super) names: HashMap<String, String>,
    pub(super) values: HashMap<String, AttributeValue>,
}

impl Filter {
    fn add(&mut self, attribute: &str, operator: &str, value: AttributeValue) {
        let i = self.clauses.len();
        self.names.insert(format!("#f{i}"), attribute.to_owned());
        self.values.insert(format!(":f{i}"), value);
        self.clauses.push(format!("#f{i} {operator} :f{i}"));
    }

    pub(super) fn expression(&self) -> Option<String> {
        (!self.clauses.is_empty()).then(|| self.clauses.join(" AND "))
    }
}

fn enum_value<T: Serialize>(value: T) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(value)
        .map_err(|e| StoreError::InvalidInput(format!("cannot encode filter value: {e}")))
}

/// The filter expression of a row filter.
pub(super) fn filter_expression(filter: RowFilter<'_>) -> Result<Filter, StoreError> {
    let mut f = Filter::default();
    match filter {
        RowFilter::All => {}
        RowFilter::MinChurnRisk(min) => f.add("churn_risk", ">=", n(min)),
        RowFilter::Unexpired => f.add(keys::EXPIRES_AT, ">", n(Utc::now().timestamp())),
        RowFilter::Audit(filter) => {
            // The time range is the query's key condition; the rest filter what it reads.
            f.add(keys::EXPIRES_AT, ">", n(Utc::now().timestamp()));
            if let Some(entity) = filter.entity {
                f.add("entity", "=", enum_value(entity)?);
            }
            if let Some(entity_id) = &filter.entity_id {
                f.add("entity_id", "=", s(entity_id));
            }
            if let Some(action) = &filter.action {
                f.add("action", "=", s(action));
            }
            if let Some(actor) = &filter.actor {
                f.add("actor", "=", s(actor));
            }
        }
        RowFilter::Insights(filter) => {
            // A status query of `gsi1` reads only that status, which this then filters again.
            if let Some(status) = filter.status {
                f.add("status", "=", enum_value(status)?);
            }
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
        }
    }
    Ok(f)
}
