//! What is left after an erasure, read as plainly as possible: every item of the tenant's
//! partition as text (DynamoDB: a raw `Scan` of the whole table, compressed attributes unpacked;
//! memory: the rows as JSON), so a test can look for a subject's id anywhere in it.

use aws_sdk_dynamodb::types::AttributeValue;
use shared::domain::TenantId;
use shared::store::keys::tenant_partition;
use shared::store::{DynamoStore, MemoryStore};
use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;

/// One item: its sort key and everything it holds, as text.
#[derive(Debug, Clone)]
pub struct ItemText {
    pub pk: String,
    pub sk: String,
    pub text: String,
}

impl ItemText {
    /// The erasure's own record (status, then receipt).
    pub fn is_erasure(&self) -> bool {
        self.sk.starts_with("ERASURE#")
    }

    /// Kept by design: the erasure records, and the audit trail, which names a subject only by its
    /// internal id (a contact by a salted hash) and must stay whole; a tenant's erasure empties the
    /// trail and then writes its receipt.
    pub fn kept_by_design(&self) -> bool {
        self.is_erasure() || self.sk.starts_with("AUDIT#")
    }
}

/// Reads everything a store holds.
#[derive(Clone)]
pub enum Inspector {
    /// A memory store opened from its own data file ([`memory_store`]), read back from it.
    Memory {
        store: MemoryStore,
        path: PathBuf,
    },
    Dynamo(DynamoStore),
}

/// A memory store opened from a data file of its own, so the proof can read every row it holds.
pub fn memory_store() -> (MemoryStore, Inspector) {
    let path = std::env::temp_dir().join(format!("erasure-{}.json", uuid::Uuid::new_v4()));
    let store = MemoryStore::open(&path).expect("a new data file opens");
    let inspector = Inspector::Memory {
        store: store.clone(),
        path,
    };
    (store, inspector)
}

impl Inspector {
    /// Every item, as text.
    pub async fn all(&self) -> Vec<ItemText> {
        match self {
            Inspector::Memory { store, path } => every_memory_row(store, path),
            Inspector::Dynamo(store) => scan(store).await,
        }
    }

    /// Every item whose keys or content contain `needle`.
    pub async fn naming(&self, needle: &str) -> Vec<ItemText> {
        self.all()
            .await
            .into_iter()
            .filter(|item| item.text.contains(needle))
            .collect()
    }

    /// Every item of the tenant's partition.
    pub async fn partition(&self, tenant_id: &TenantId) -> Vec<ItemText> {
        let pk = tenant_partition(tenant_id);
        self.all()
            .await
            .into_iter()
            .filter(|item| item.pk == pk)
            .collect()
    }
}

fn every_memory_row(store: &MemoryStore, path: &PathBuf) -> Vec<ItemText> {
    store.save().expect("the store was opened from a file");
    let image: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("the data file reads")).expect("JSON");
    image["rows"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|row| ItemText {
            pk: row["keys"]["key"]["pk"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            sk: row["keys"]["key"]["sk"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            text: row.to_string(),
        })
        .collect()
}

/// Every item of the table, read with `Scan` (the product never scans; the proof does).
async fn scan(store: &DynamoStore) -> Vec<ItemText> {
    let client = test_support::dynamodb().await;
    let mut items = Vec::new();
    let mut start: Option<HashMap<String, AttributeValue>> = None;
    loop {
        let page = client
            .scan()
            .table_name(store.table_name())
            .set_exclusive_start_key(start.take())
            .consistent_read(true)
            .send()
            .await
            .expect("DynamoDB Local scans");
        for item in page.items() {
            let text = render_item(item);
            let string = |name: &str| match item.get(name) {
                Some(AttributeValue::S(s)) => s.clone(),
                _ => String::new(),
            };
            items.push(ItemText {
                pk: string("pk"),
                sk: string("sk"),
                text,
            });
        }
        match page.last_evaluated_key() {
            Some(key) if !key.is_empty() => start = Some(key.clone()),
            _ => break,
        }
    }
    items
}

fn render_item(item: &HashMap<String, AttributeValue>) -> String {
    let mut names: Vec<&String> = item.keys().collect();
    names.sort();
    names
        .into_iter()
        .map(|name| format!("{name}={}", render(&item[name])))
        .collect::<Vec<_>>()
        .join(" ")
}

/// An attribute as text; binary attributes (compressed snapshots and platform records) unpacked.
fn render(value: &AttributeValue) -> String {
    match value {
        AttributeValue::S(s) => s.clone(),
        AttributeValue::N(n) => n.clone(),
        AttributeValue::B(blob) => {
            let bytes = blob.as_ref();
            let mut json = String::new();
            match flate2::read::GzDecoder::new(bytes).read_to_string(&mut json) {
                Ok(_) => json,
                Err(_) => String::from_utf8_lossy(bytes).into_owned(),
            }
        }
        AttributeValue::Ss(values) => values.join(","),
        AttributeValue::Ns(values) => values.join(","),
        AttributeValue::L(values) => values.iter().map(render).collect::<Vec<_>>().join(","),
        AttributeValue::M(map) => render_item(map),
        AttributeValue::Bool(b) => b.to_string(),
        other => format!("{other:?}"),
    }
}
