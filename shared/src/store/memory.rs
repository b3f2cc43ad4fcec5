//! The in-process store: the local runner's database and the fast twin of [`super::DynamoStore`].
//!
//! It keeps items under the same keys as the table ([`super::keys`]), maintains the same indexes,
//! runs the same query plans ([`super::query`]), compares the same content digests and makes the
//! same cursors, so the conformance suite holds for both. Items past their `expires_at` are invisible,
//! as DynamoDB's TTL (and the DynamoDB adapter's filters) make them. Optionally it persists to a JSON
//! file (`open` / `save`).

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
use crate::store::keys::{self, Index, ItemKeys, Key};
use crate::store::query::{self, QueryPlan};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// What an item holds, by entity.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "entity", rename_all = "snake_case")]
enum Record {
    Tenant {
        tenant: Tenant,
    },
    Snapshot {
        snapshot: ClientSnapshot,
    },
    Contact {
        contact_id: String,
        client_ids: Vec<ClientId>,
    },
    Score {
        score: HealthScore,
    },
    History {
        point: ScorePoint,
    },
    Summary {
        summary: TenantSummary,
    },
    Insight {
        insight: Insight,
    },
    SyncRun {
        run: SyncRun,
    },
    Checkpoint {
        checkpoint: SyncCheckpoint,
    },
    Lease {
        holder: String,
        until: DateTime<Utc>,
    },
    WebhookEvent {},
    OAuthState {
        state: OAuthState,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Row {
    keys: ItemKeys,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content_hash: Option<String>,
    /// Epoch seconds, as the table's TTL attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
    record: Record,
}

impl Row {
    fn new(keys: ItemKeys, record: Record) -> Self {
        Self {
            keys,
            content_hash: None,
            expires_at: None,
            record,
        }
    }

    fn live_at(&self, now_secs: i64) -> bool {
        self.expires_at.is_none_or(|at| at > now_secs)
    }
}

/// One index entry: (index partition, index sort key, table key), ordered as the index orders.
type Entry = (String, String, Key);

#[derive(Default)]
struct Table {
    rows: BTreeMap<Key, Row>,
    indexes: BTreeMap<Index, BTreeSet<Entry>>,
}

impl Table {
    fn entries(keys: &ItemKeys) -> Vec<(Index, Entry)> {
        [Index::Table, Index::Gsi1, Index::Gsi2, Index::Gsi3]
            .into_iter()
            .filter_map(|index| {
                keys.index(index)
                    .map(|entry| (index, (entry.pk, entry.sk, keys.key.clone())))
            })
            .collect()
    }

    fn get(&self, key: &Key, now_secs: i64) -> Option<&Row> {
        self.rows.get(key).filter(|row| row.live_at(now_secs))
    }

    fn put(&mut self, row: Row) {
        self.delete(&row.keys.key);
        for (index, entry) in Self::entries(&row.keys) {
            self.indexes.entry(index).or_default().insert(entry);
        }
        self.rows.insert(row.keys.key.clone(), row);
    }

    fn delete(&mut self, key: &Key) -> Option<Row> {
        let row = self.rows.remove(key)?;
        for (index, entry) in Self::entries(&row.keys) {
            if let Some(set) = self.indexes.get_mut(&index) {
                set.remove(&entry);
            }
        }
        Some(row)
    }

    /// The live rows a plan selects, in its order, after `after` (a cursor position) when given.
    fn query<'a>(
        &'a self,
        plan: &'a QueryPlan,
        after: Option<Entry>,
        now_secs: i64,
    ) -> Box<dyn Iterator<Item = &'a Row> + 'a> {
        let Some(set) = self.indexes.get(&plan.index) else {
            return Box::new(std::iter::empty());
        };
        let low = (
            plan.partition.clone(),
            String::new(),
            Key {
                pk: String::new(),
                sk: String::new(),
            },
        );
        // No partition name lies strictly between `p` and `p\0`, so this bounds exactly `p`.
        let high = (
            format!("{}\0", plan.partition),
            String::new(),
            Key {
                pk: String::new(),
                sk: String::new(),
            },
        );
        let partition = set.range(low..high);
        let ordered: Box<dyn Iterator<Item = &Entry>> = match (plan.forward, after) {
            (true, None) => Box::new(partition),
            (false, None) => Box::new(partition.rev()),
            (true, Some(after)) => Box::new(partition.filter(move |e| **e > after)),
            (false, Some(after)) => Box::new(partition.rev().filter(move |e| **e < after)),
        };
        Box::new(
            ordered
                .filter(|(_, sort_key, _)| plan.condition.accepts(sort_key))
                .filter_map(|(_, _, key)| self.rows.get(key))
                .filter(move |row| row.live_at(now_secs)),
        )
    }
}

#[derive(Serialize, Deserialize)]
struct FileImage {
    format: u32,
    rows: Vec<Row>,
}

const FILE_FORMAT: u32 = 1;

/// The in-process store. Cloning shares the same data.
///
/// Reads share the table (a read lock), so concurrent API requests do not queue behind each other;
/// writes take it alone. Saves are serialised by their own lock, so the periodic save and a save
/// after a change never write the same temporary file at once.
#[derive(Clone)]
pub struct MemoryStore {
    table: Arc<RwLock<Table>>,
    clock: Clock,
    path: Option<PathBuf>,
    saving: Arc<Mutex<()>>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self {
            table: Arc::new(RwLock::new(Table::default())),
            clock: Arc::new(Utc::now),
            path: None,
            saving: Arc::default(),
        }
    }

    /// A store whose notion of "now" (for TTL expiry) is `clock`, for tests.
    pub fn with_clock(clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        Self {
            clock: Arc::new(clock),
            ..Self::new()
        }
    }

    /// Opens the store persisted at `path` (empty when the file does not exist yet); [`Self::save`]
    /// writes it back.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let mut table = Table::default();
        match std::fs::read(&path) {
            Ok(bytes) => {
                let image: FileImage = serde_json::from_slice(&bytes).map_err(|e| {
                    StoreError::Corrupt(format!("{} is not a store file: {e}", path.display()))
                })?;
                if image.format != FILE_FORMAT {
                    return Err(StoreError::Corrupt(format!(
                        "{} has format {}, expected {FILE_FORMAT}",
                        path.display(),
                        image.format
                    )));
                }
                for row in image.rows {
                    table.put(row);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(StoreError::Unavailable(format!(
                    "cannot read {}: {e}",
                    path.display()
                )))
            }
        }
        Ok(Self {
            table: Arc::new(RwLock::new(table)),
            clock: Arc::new(Utc::now),
            path: Some(path),
            saving: Arc::default(),
        })
    }

    /// Writes the store to the file it was opened from, atomically: a temporary file, flushed to
    /// disk, then renamed over the file. One save at a time (callers on many threads wait their
    /// turn), so two saves never write the temporary file together. A store made with `new` has no
    /// file: `InvalidInput`.
    pub fn save(&self) -> Result<(), StoreError> {
        let Some(path) = &self.path else {
            return Err(StoreError::InvalidInput(
                "this store was not opened from a file".to_owned(),
            ));
        };
        let _one_save_at_a_time = self
            .saving
            .lock()
            .map_err(|_| StoreError::Unavailable("memory store save lock poisoned".to_owned()))?;
        let image = {
            let table = self.read()?;
            FileImage {
                format: FILE_FORMAT,
                rows: table.rows.values().cloned().collect(),
            }
        };
        let json = serde_json::to_vec(&image)
            .map_err(|e| StoreError::Corrupt(format!("cannot serialise the store: {e}")))?;
        let temporary = path.with_extension("tmp");
        let unavailable = |e: std::io::Error| {
            StoreError::Unavailable(format!("cannot write {}: {e}", path.display()))
        };
        let mut file = std::fs::File::create(&temporary).map_err(unavailable)?;
        std::io::Write::write_all(&mut file, &json).map_err(unavailable)?;
        file.sync_all().map_err(unavailable)?;
        drop(file);
        std::fs::rename(&temporary, path).map_err(unavailable)
    }

    /// Removes every lease, of every tenant. Only for a store one process owns (the local runner's
    /// data file at start-up): the processes that took those leases are gone.
    pub fn clear_leases(&self) -> Result<usize, StoreError> {
        let mut table = self.write()?;
        let leases: Vec<Key> = table
            .rows
            .values()
            .filter(|row| matches!(row.record, Record::Lease { .. }))
            .map(|row| row.keys.key.clone())
            .collect();
        for key in &leases {
            table.delete(key);
        }
        Ok(leases.len())
    }

    fn read(&self) -> Result<RwLockReadGuard<'_, Table>, StoreError> {
        self.table
            .read()
            .map_err(|_| StoreError::Unavailable("memory store lock poisoned".to_owned()))
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, Table>, StoreError> {
        self.table
            .write()
            .map_err(|_| StoreError::Unavailable("memory store lock poisoned".to_owned()))
    }

    fn now_secs(&self) -> i64 {
        (self.clock)().timestamp()
    }

    /// Runs `plan` for one page, keeping the rows `select` maps to `Some`.
    fn page<T>(
        &self,
        plan: &QueryPlan,
        page: &PageRequest,
        select: impl Fn(&Row) -> Option<T>,
    ) -> Result<Page<T>, StoreError> {
        let limit = query::page_limit(page)?;
        let after = match &page.cursor {
            None => None,
            Some(cursor) => Some(position_entry(
                plan.index,
                &cursor::decode(plan.cursor_scope(), cursor)?,
            )?),
        };
        let table = self.read()?;
        let mut items = Vec::with_capacity(limit);
        let mut last_keys = None;
        let mut more = false;
        for row in table.query(plan, after, self.now_secs()) {
            let Some(item) = select(row) else { continue };
            if items.len() == limit {
                more = true;
                break;
            }
            items.push(item);
            last_keys = Some(row.keys.clone());
        }
        let next_cursor = match (more, last_keys) {
            (true, Some(keys)) => Some(cursor::encode(
                plan.cursor_scope(),
                keys.position(plan.index),
            )),
            _ => None,
        };
        Ok(Page { items, next_cursor })
    }

    /// Every row a plan selects (for the unpaginated reads).
    fn all<T>(
        &self,
        plan: &QueryPlan,
        select: impl Fn(&Row) -> Option<T>,
    ) -> Result<Vec<T>, StoreError> {
        let table = self.read()?;
        let rows = table
            .query(plan, None, self.now_secs())
            .filter_map(select)
            .collect();
        Ok(rows)
    }

    /// Writes each row whose digest differs from the stored one's; `None` deletes an existing row.
    fn write_changed(&self, plan: Vec<(Key, Option<Row>)>) -> Result<WriteReport, StoreError> {
        let plan = query::last_wins(plan, |(key, _)| key.clone());
        let now = self.now_secs();
        let mut table = self.write()?;
        let mut report = WriteReport::default();
        for (key, row) in plan {
            let stored = table.get(&key, now);
            let changed = match (&row, stored) {
                (Some(row), Some(stored)) => {
                    row.content_hash.is_none() || row.content_hash != stored.content_hash
                }
                (Some(_), None) => true,
                (None, stored) => stored.is_some(),
            };
            if !changed {
                report.items_unchanged += 1;
                continue;
            }
            report.items_written += 1;
            match row {
                Some(row) => table.put(row),
                None => {
                    table.delete(&key);
                }
            }
        }
        report.write_requests = query::batch_requests(report.items_written as usize);
        Ok(report)
    }

    fn get_record(&self, key: &Key) -> Result<Option<Record>, StoreError> {
        let table = self.read()?;
        Ok(table
            .get(key, self.now_secs())
            .map(|row| row.record.clone()))
    }
}

/// Turns a cursor position back into the index entry to resume after.
fn position_entry(index: Index, position: &BTreeMap<String, String>) -> Result<Entry, StoreError> {
    let (pk_name, sk_name) = index.key_attributes();
    let get = |name: &str| {
        position
            .get(name)
            .cloned()
            .ok_or_else(|| StoreError::InvalidInput("invalid cursor: incomplete position".into()))
    };
    Ok((
        get(pk_name)?,
        get(sk_name)?,
        Key {
            pk: get(keys::PK)?,
            sk: get(keys::SK)?,
        },
    ))
}

fn hashed(keys: ItemKeys, record: Record, hash: String) -> Row {
    Row {
        content_hash: Some(hash),
        ..Row::new(keys, record)
    }
}

#[async_trait::async_trait]
impl TenantStore for MemoryStore {
    async fn create_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let mut table = self.write()?;
        let keys = keys::tenant(tenant);
        if table.get(&keys.key, self.now_secs()).is_some() {
            return Err(StoreError::conflict("tenant", &tenant.id));
        }
        table.put(Row::new(
            keys,
            Record::Tenant {
                tenant: tenant.clone(),
            },
        ));
        Ok(())
    }

    async fn get_tenant(&self, tenant_id: &TenantId) -> Result<Tenant, StoreError> {
        match self.get_record(&keys::tenant_key(tenant_id))? {
            Some(Record::Tenant { tenant }) => Ok(tenant),
            _ => Err(StoreError::not_found("tenant", tenant_id)),
        }
    }

    async fn update_tenant(&self, tenant: &Tenant) -> Result<Tenant, StoreError> {
        let mut table = self.write()?;
        let stored_version = stored_tenant(&table, &tenant.id, self.now_secs())?.version;
        if stored_version != tenant.version {
            return Err(StoreError::conflict("tenant", &tenant.id));
        }
        let mut updated = tenant.clone();
        updated.version += 1;
        table.put(Row::new(
            keys::tenant(&updated),
            Record::Tenant {
                tenant: updated.clone(),
            },
        ));
        Ok(updated)
    }

    async fn record_full_sync(
        &self,
        tenant_id: &TenantId,
        finished_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut table = self.write()?;
        let mut tenant = stored_tenant(&table, tenant_id, self.now_secs())?.clone();
        tenant.last_full_sync_at = Some(finished_at);
        table.put(Row::new(keys::tenant(&tenant), Record::Tenant { tenant }));
        Ok(())
    }

    async fn tenant_by_portal(&self, portal_id: u64) -> Result<Option<Tenant>, StoreError> {
        let found = self.all(&query::tenants_by_portal(portal_id), |row| {
            match &row.record {
                Record::Tenant { tenant } => Some(tenant.clone()),
                _ => None,
            }
        })?;
        Ok(found.into_iter().next())
    }

    async fn list_active_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError> {
        self.page(&query::active_tenants(), page, |row| match &row.record {
            Record::Tenant { tenant } => Some(tenant.clone()),
            _ => None,
        })
    }
}

/// The stored tenant, read under the lock a read-modify-write holds.
fn stored_tenant<'a>(
    table: &'a Table,
    tenant_id: &TenantId,
    now_secs: i64,
) -> Result<&'a Tenant, StoreError> {
    match table.get(&keys::tenant_key(tenant_id), now_secs) {
        Some(Row {
            record: Record::Tenant { tenant },
            ..
        }) => Ok(tenant),
        _ => Err(StoreError::not_found("tenant", tenant_id)),
    }
}

fn snapshot_of(row: &Row) -> Option<ClientSnapshot> {
    match &row.record {
        Record::Snapshot { snapshot } => Some(snapshot.clone()),
        _ => None,
    }
}

#[async_trait::async_trait]
impl SnapshotStore for MemoryStore {
    async fn put_snapshots(
        &self,
        tenant_id: &TenantId,
        snapshots: &[ClientSnapshot],
    ) -> Result<WriteReport, StoreError> {
        let plan = snapshots
            .iter()
            .map(|snapshot| {
                let keys = keys::snapshot(tenant_id, &snapshot.client_id);
                let hash = content::digest(snapshot)?;
                let record = Record::Snapshot {
                    snapshot: snapshot.clone(),
                };
                Ok((keys.key.clone(), Some(hashed(keys, record, hash))))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.write_changed(plan)
    }

    async fn get_snapshots(
        &self,
        tenant_id: &TenantId,
        client_ids: &[ClientId],
    ) -> Result<Vec<ClientSnapshot>, StoreError> {
        let table = self.read()?;
        let now = self.now_secs();
        Ok(query::last_wins(client_ids.iter(), |id| (*id).clone())
            .into_iter()
            .filter_map(|id| table.get(&keys::snapshot(tenant_id, id).key, now))
            .filter_map(snapshot_of)
            .collect())
    }

    async fn list_snapshots(
        &self,
        tenant_id: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<ClientSnapshot>, StoreError> {
        self.page(&query::snapshots(tenant_id), page, snapshot_of)
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
        self.write_changed(plan)
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
                let hash = content::digest(client_ids)?;
                let record = Record::Contact {
                    contact_id: contact_id.clone(),
                    client_ids: client_ids.clone(),
                };
                Ok((keys.key.clone(), Some(hashed(keys, record, hash))))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.write_changed(plan)
    }

    async fn contact_clients(
        &self,
        tenant_id: &TenantId,
        contact_ids: &[String],
    ) -> Result<Vec<(String, Vec<ClientId>)>, StoreError> {
        let keys = query::last_wins(contact_ids.iter(), |id| (*id).clone())
            .into_iter()
            .map(|id| keys::contact(tenant_id, id))
            .collect::<Result<Vec<_>, _>>()?;
        let table = self.read()?;
        let now = self.now_secs();
        Ok(keys
            .iter()
            .filter_map(|keys| table.get(&keys.key, now))
            .filter_map(|row| match &row.record {
                Record::Contact {
                    contact_id,
                    client_ids,
                } => Some((contact_id.clone(), client_ids.clone())),
                _ => None,
            })
            .collect())
    }
}

fn score_of(row: &Row) -> Option<HealthScore> {
    match &row.record {
        Record::Score { score } => Some(score.clone()),
        _ => None,
    }
}

#[async_trait::async_trait]
impl ScoreStore for MemoryStore {
    async fn get_summary(&self, tenant_id: &TenantId) -> Result<Option<TenantSummary>, StoreError> {
        let table = self.read()?;
        let key = keys::summary(tenant_id).key;
        Ok(
            match table.get(&key, self.now_secs()).map(|row| &row.record) {
                Some(Record::Summary { summary }) => Some(summary.clone()),
                _ => None,
            },
        )
    }

    async fn put_summary(
        &self,
        tenant_id: &TenantId,
        summary: &TenantSummary,
        if_unchanged: bool,
    ) -> Result<TenantSummary, StoreError> {
        let mut table = self.write()?;
        let keys = keys::summary(tenant_id);
        if if_unchanged {
            let stored = match table.get(&keys.key, self.now_secs()).map(|row| &row.record) {
                Some(Record::Summary { summary }) => summary.version,
                _ => 0,
            };
            if stored != summary.version {
                return Err(StoreError::conflict("summary", tenant_id));
            }
        }
        let mut written = summary.clone();
        written.version += 1;
        table.put(Row::new(
            keys,
            Record::Summary {
                summary: written.clone(),
            },
        ));
        Ok(written)
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
                let hash = content::score_digest(score)?;
                let record = Record::Score {
                    score: score.clone(),
                };
                Ok((keys.key.clone(), Some(hashed(keys, record, hash))))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.write_changed(plan)
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
        self.write_changed(plan)
    }

    async fn get_score(
        &self,
        tenant_id: &TenantId,
        client_id: &ClientId,
    ) -> Result<Option<HealthScore>, StoreError> {
        let table = self.read()?;
        Ok(table
            .get(&keys::score_key(tenant_id, client_id), self.now_secs())
            .and_then(score_of))
    }

    async fn get_scores(
        &self,
        tenant_id: &TenantId,
        client_ids: &[ClientId],
    ) -> Result<Vec<HealthScore>, StoreError> {
        let table = self.read()?;
        let now = self.now_secs();
        Ok(query::last_wins(client_ids.iter(), |id| (*id).clone())
            .into_iter()
            .filter_map(|id| table.get(&keys::score_key(tenant_id, id), now))
            .filter_map(score_of)
            .collect())
    }

    async fn list_scores(
        &self,
        tenant_id: &TenantId,
        score_query: &ScoreQuery,
        page: &PageRequest,
    ) -> Result<Page<HealthScore>, StoreError> {
        let min_churn = score_query.min_churn_risk;
        self.page(&query::scores(tenant_id, score_query), page, |row| {
            score_of(row).filter(|s| min_churn.is_none_or(|min| s.churn_risk >= min))
        })
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
                let hash = content::digest(&(point, expires_at))?;
                let mut row = hashed(
                    keys,
                    Record::History {
                        point: point.clone(),
                    },
                    hash,
                );
                row.expires_at = Some(expires_at);
                Ok((row.keys.key.clone(), Some(row)))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.write_changed(plan)
    }

    async fn history(
        &self,
        tenant_id: &TenantId,
        client_id: &ClientId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ScorePoint>, StoreError> {
        self.all(
            &query::history(tenant_id, client_id, from, to),
            |row| match &row.record {
                Record::History { point } => Some(point.clone()),
                _ => None,
            },
        )
    }
}

fn insight_of(row: &Row) -> Option<Insight> {
    match &row.record {
        Record::Insight { insight } => Some(insight.clone()),
        _ => None,
    }
}

#[async_trait::async_trait]
impl InsightStore for MemoryStore {
    async fn put_insights(
        &self,
        tenant_id: &TenantId,
        insights: &[Insight],
    ) -> Result<WriteReport, StoreError> {
        let insights = query::insights_to_put(tenant_id, insights)?;
        let now = self.now_secs();
        let mut stale = 0;
        let mut plan = Vec::with_capacity(insights.len());
        {
            let table = self.read()?;
            for insight in insights {
                let key = keys::insight_key(tenant_id, &insight.id);
                let stored = match table.get(&key, now).map(|row| &row.record) {
                    Some(Record::Insight { insight }) => Some(insight.version),
                    _ => None,
                };
                let Some(version) = query::insight_version_to_write(insight.version, stored) else {
                    stale += 1;
                    continue;
                };
                let insight = Insight {
                    version,
                    ..insight.clone()
                };
                let hash = content::insight_digest(&insight)?;
                let row = hashed(keys::insight(&insight), Record::Insight { insight }, hash);
                plan.push((key, Some(row)));
            }
        }
        let mut report = self.write_changed(plan)?;
        report.items_stale = stale;
        Ok(report)
    }

    async fn get_insight(
        &self,
        tenant_id: &TenantId,
        insight_id: &InsightId,
    ) -> Result<Insight, StoreError> {
        match self.get_record(&keys::insight_key(tenant_id, insight_id))? {
            Some(Record::Insight { insight }) => Ok(insight),
            _ => Err(StoreError::not_found("insight", insight_id)),
        }
    }

    async fn insights_for_clients(
        &self,
        tenant_id: &TenantId,
        client_ids: &[ClientId],
    ) -> Result<Vec<Insight>, StoreError> {
        let mut found = Vec::new();
        for client_id in query::last_wins(client_ids.iter(), |id| (*id).clone()) {
            found.extend(self.all(&query::client_insights(tenant_id, client_id), insight_of)?);
        }
        Ok(found)
    }

    async fn list_insights(
        &self,
        tenant_id: &TenantId,
        filter: &InsightFilter,
        page: &PageRequest,
    ) -> Result<Page<Insight>, StoreError> {
        self.page(&query::insights(tenant_id, filter), page, |row| {
            insight_of(row).filter(|insight| filter.matches(insight))
        })
    }

    async fn change_insight_status(
        &self,
        tenant_id: &TenantId,
        insight_id: &InsightId,
        change: &StatusChange,
    ) -> Result<Insight, StoreError> {
        let mut table = self.write()?;
        let key = keys::insight_key(tenant_id, insight_id);
        let mut insight = match table.get(&key, self.now_secs()).map(|row| &row.record) {
            Some(Record::Insight { insight }) => insight.clone(),
            _ => return Err(StoreError::not_found("insight", insight_id)),
        };
        change.apply_to(&mut insight)?;
        let hash = content::insight_digest(&insight)?;
        table.put(hashed(
            keys::insight(&insight),
            Record::Insight {
                insight: insight.clone(),
            },
            hash,
        ));
        Ok(insight)
    }
}

#[async_trait::async_trait]
impl SyncStore for MemoryStore {
    async fn put_sync_run(&self, run: &SyncRun) -> Result<(), StoreError> {
        let mut table = self.write()?;
        table.put(Row::new(
            keys::sync_run(run),
            Record::SyncRun { run: run.clone() },
        ));
        Ok(())
    }

    async fn get_sync_run(
        &self,
        tenant_id: &TenantId,
        sync_id: &SyncId,
    ) -> Result<SyncRun, StoreError> {
        match self.get_record(&keys::sync_run_key(tenant_id, sync_id))? {
            Some(Record::SyncRun { run }) => Ok(run),
            _ => Err(StoreError::not_found("sync run", sync_id)),
        }
    }

    async fn list_sync_runs(
        &self,
        tenant_id: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<SyncRun>, StoreError> {
        self.page(&query::sync_runs(tenant_id), page, |row| {
            match &row.record {
                Record::SyncRun { run } => Some(run.clone()),
                _ => None,
            }
        })
    }

    async fn checkpoints(&self, tenant_id: &TenantId) -> Result<Vec<SyncCheckpoint>, StoreError> {
        self.all(&query::checkpoints(tenant_id), |row| match &row.record {
            Record::Checkpoint { checkpoint } => Some(checkpoint.clone()),
            _ => None,
        })
    }

    async fn put_checkpoint(
        &self,
        tenant_id: &TenantId,
        checkpoint: &SyncCheckpoint,
    ) -> Result<(), StoreError> {
        let mut table = self.write()?;
        table.put(Row::new(
            keys::checkpoint(tenant_id, checkpoint.object_type),
            Record::Checkpoint {
                checkpoint: checkpoint.clone(),
            },
        ));
        Ok(())
    }

    async fn clear_checkpoint(
        &self,
        tenant_id: &TenantId,
        object_type: ObjectType,
    ) -> Result<(), StoreError> {
        let mut table = self.write()?;
        table.delete(&keys::checkpoint(tenant_id, object_type).key);
        Ok(())
    }

    async fn acquire_lease(
        &self,
        tenant_id: &TenantId,
        name: &str,
        holder: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let keys = keys::lease(tenant_id, name)?;
        keys::free_key_part("lease holder", holder)?;
        let mut table = self.write()?;
        let free = match table.get(&keys.key, self.now_secs()).map(|row| &row.record) {
            Some(Record::Lease {
                holder: current,
                until: current_until,
            }) => current == holder || *current_until <= now,
            _ => true,
        };
        if free {
            table.put(Row::new(
                keys,
                Record::Lease {
                    holder: holder.to_owned(),
                    until,
                },
            ));
        }
        Ok(free)
    }

    async fn renew_lease(
        &self,
        tenant_id: &TenantId,
        name: &str,
        holder: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let keys = keys::lease(tenant_id, name)?;
        let mut table = self.write()?;
        let held = matches!(
            table.get(&keys.key, self.now_secs()).map(|row| &row.record),
            Some(Record::Lease { holder: current, until: current_until })
                if current == holder && *current_until > now
        );
        if held {
            let holder = holder.to_owned();
            table.put(Row::new(keys, Record::Lease { holder, until }));
        }
        Ok(held)
    }

    async fn release_lease(
        &self,
        tenant_id: &TenantId,
        name: &str,
        holder: &str,
    ) -> Result<(), StoreError> {
        let keys = keys::lease(tenant_id, name)?;
        let mut table = self.write()?;
        let held = matches!(
            table.get(&keys.key, self.now_secs()).map(|row| &row.record),
            Some(Record::Lease { holder: current, .. }) if current == holder
        );
        if held {
            table.delete(&keys.key);
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl WebhookStore for MemoryStore {
    async fn record_webhook_event(
        &self,
        tenant_id: &TenantId,
        event_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let keys = keys::webhook_event(tenant_id, event_id)?;
        let mut table = self.write()?;
        if table.get(&keys.key, self.now_secs()).is_some() {
            return Ok(false);
        }
        let mut row = Row::new(keys, Record::WebhookEvent {});
        row.expires_at = Some(expires_at.timestamp());
        table.put(row);
        Ok(true)
    }

    async fn forget_webhook_event(
        &self,
        tenant_id: &TenantId,
        event_id: &str,
    ) -> Result<(), StoreError> {
        let keys = keys::webhook_event(tenant_id, event_id)?;
        self.write()?.delete(&keys.key);
        Ok(())
    }

    async fn put_oauth_state(&self, state: &OAuthState) -> Result<(), StoreError> {
        let keys = keys::oauth_state(&state.nonce)?;
        let mut table = self.write()?;
        if table.get(&keys.key, self.now_secs()).is_some() {
            return Err(StoreError::conflict("oauth state", "(nonce)"));
        }
        let mut row = Row::new(
            keys,
            Record::OAuthState {
                state: state.clone(),
            },
        );
        row.expires_at = Some(state.expires_at.timestamp());
        table.put(row);
        Ok(())
    }

    async fn take_oauth_state(
        &self,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OAuthState>, StoreError> {
        let keys = keys::oauth_state(nonce)?;
        let mut table = self.write()?;
        match table.delete(&keys.key).map(|row| row.record) {
            Some(Record::OAuthState { state }) if state.expires_at > now => Ok(Some(state)),
            _ => Ok(None),
        }
    }
}
