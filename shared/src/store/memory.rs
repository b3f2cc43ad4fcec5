//! The in-process store: the local runner's database and the fast twin of [`super::DynamoStore`].
//!
//! [`MemoryTable`] keeps rows under the same keys as the DynamoDB table ([`super::keys`]), maintains
//! the same indexes, runs the same query plans ([`super::query`]) and makes the same cursors; the
//! entity logic is the same code ([`super::entities`]), so the conformance suite holds for both.
//! Rows past their `expires_at` are invisible, as DynamoDB's TTL (and the DynamoDB adapter's filters)
//! make them. Optionally it persists to a JSON file (`open` / `save`).

use crate::ports::{Page, PageRequest, StoreError};
use crate::store::cursor;
use crate::store::entities::TableStore;
use crate::store::keys::{self, Index, ItemKeys, Key};
use crate::store::query::{self, QueryPlan, SortCondition};
use crate::store::row::{Change, Condition, Record, Row, RowFilter, StoredDigest, Table, Update};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// One index entry: (index partition, index sort key, table key), ordered as the index orders.
type Entry = (String, String, Key);

#[derive(Default, Clone)]
struct Rows {
    rows: BTreeMap<Key, Row>,
    indexes: BTreeMap<Index, BTreeSet<Entry>>,
}

impl Rows {
    fn entries(keys: &ItemKeys) -> Vec<(Index, Entry)> {
        [Index::Table, Index::Gsi1, Index::Gsi2, Index::Gsi3]
            .into_iter()
            .filter_map(|index| {
                keys.index(index)
                    .map(|entry| (index, (entry.pk, entry.sk, keys.key.clone())))
            })
            .collect()
    }

    fn live(&self, key: &Key, now_secs: i64) -> Option<&Row> {
        self.rows.get(key).filter(|row| row.live_at(now_secs))
    }

    fn insert(&mut self, row: Row) {
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
        let least = || Key {
            pk: String::new(),
            sk: String::new(),
        };
        // The range is narrowed to the sort keys the condition can accept (the condition still
        // filters below): a client's history is a slice of the tenant's partition, and scanning
        // the whole partition per query made a 1,000-client score run take minutes.
        let (from, to) = match &plan.condition {
            SortCondition::Any => (String::new(), None),
            SortCondition::BeginsWith(prefix) => (prefix.clone(), None),
            // Every sort key up to `high` sorts before `high\0`.
            SortCondition::Between(low, high) => (low.clone(), Some(format!("{high}\0"))),
        };
        let low = (plan.partition.clone(), from, least());
        // No partition name lies strictly between `p` and `p\0`, so this bounds exactly `p`.
        let high = match to {
            Some(to) => (plan.partition.clone(), to, least()),
            None => (format!("{}\0", plan.partition), String::new(), least()),
        };
        if low > high {
            // An empty BETWEEN (its low above its high) selects nothing; `range` would panic.
            return Box::new(std::iter::empty());
        }
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

/// The in-process table. Cloning shares the same data.
///
/// Reads share the table (a read lock), so concurrent API requests do not queue behind each other;
/// writes take it alone. Saves are serialised by their own lock, so the periodic save and a save
/// after a change never write the same temporary file at once.
#[derive(Clone)]
pub struct MemoryTable {
    rows: Arc<RwLock<Rows>>,
    clock: Clock,
    path: Option<PathBuf>,
    saving: Arc<Mutex<()>>,
}

impl Default for MemoryTable {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for MemoryTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl MemoryTable {
    pub fn new() -> Self {
        Self {
            rows: Arc::new(RwLock::new(Rows::default())),
            clock: Arc::new(Utc::now),
            path: None,
            saving: Arc::default(),
        }
    }

    pub fn with_clock(clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        Self {
            clock: Arc::new(clock),
            ..Self::new()
        }
    }

    /// Opens the store persisted at `path` (empty when the file does not exist yet); [`Self::save`]
    /// writes it back.
    fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let mut table = Rows::default();
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
                    table.insert(row);
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
            rows: Arc::new(RwLock::new(table)),
            clock: Arc::new(Utc::now),
            path: Some(path),
            saving: Arc::default(),
        })
    }

    /// Writes the store to the file it was opened from, atomically: a temporary file, flushed to
    /// disk, then renamed over the file. One save at a time (callers on many threads wait their
    /// turn), so two saves never write the temporary file together. A store made with `new` has no
    /// file: `InvalidInput`.
    fn save(&self) -> Result<(), StoreError> {
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
    fn clear_leases(&self) -> Result<usize, StoreError> {
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

    fn read(&self) -> Result<RwLockReadGuard<'_, Rows>, StoreError> {
        self.rows
            .read()
            .map_err(|_| StoreError::Unavailable("memory store lock poisoned".to_owned()))
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, Rows>, StoreError> {
        self.rows
            .write()
            .map_err(|_| StoreError::Unavailable("memory store lock poisoned".to_owned()))
    }

    fn now_secs(&self) -> i64 {
        (self.clock)().timestamp()
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

/// The in-process store: the store's entity logic over a [`MemoryTable`]. Cloning shares the same data.
pub type MemoryStore = TableStore<MemoryTable>;

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        TableStore::over(MemoryTable::new())
    }

    /// A store whose notion of "now" (for TTL expiry) is `clock`, for tests.
    pub fn with_clock(clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        TableStore::over(MemoryTable::with_clock(clock))
    }

    /// Opens the store persisted at `path` (empty when the file does not exist yet); [`Self::save`]
    /// writes it back.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        MemoryTable::open(path).map(TableStore::over)
    }

    /// Writes the store to the file it was opened from, atomically: a temporary file, flushed to
    /// disk, then renamed over the file. One save at a time, so two saves never write the
    /// temporary file together. A store made with `new` has no file: `InvalidInput`.
    pub fn save(&self) -> Result<(), StoreError> {
        self.table.save()
    }

    /// Removes every lease, of every tenant. Only for a store one process owns (the local runner's
    /// data file at start-up): the processes that took those leases are gone.
    pub fn clear_leases(&self) -> Result<usize, StoreError> {
        self.table.clear_leases()
    }
}

/// A private copy of a store, for a run whose inputs are made up (the local runner scores past days
/// on one, from snapshots as they were then), with what it held when it was made, so only what the
/// run wrote goes back ([`MemoryStore::merge`]).
pub struct Fork {
    pub store: MemoryStore,
    base: BTreeMap<Key, Row>,
}

impl MemoryStore {
    /// A copy of everything the store holds now, sharing nothing with it but the clock.
    pub fn fork(&self) -> Result<Fork, StoreError> {
        let rows = self.table.read()?.clone();
        let base = rows.rows.clone();
        let table = MemoryTable {
            rows: Arc::new(RwLock::new(rows)),
            clock: self.table.clock.clone(),
            path: None,
            saving: Arc::default(),
        };
        Ok(Fork {
            store: TableStore::over(table),
            base,
        })
    }

    /// Writes into this store every row `fork` added or changed since it was made, except those
    /// `keep_out` names and leases (their holder was the fork's run); returns how many. A row the
    /// fork deleted stays here: forks add results, they do not clean up.
    pub fn merge(
        &self,
        fork: &Fork,
        keep_out: impl Fn(&Record) -> bool,
    ) -> Result<usize, StoreError> {
        let changed: Vec<Row> = {
            let rows = fork.store.table.read()?;
            rows.rows
                .values()
                .filter(|row| !matches!(row.record, Record::Lease { .. }) && !keep_out(&row.record))
                .filter(|row| match fork.base.get(&row.keys.key) {
                    None => true,
                    // Compared as stored, so any change of the record or its keys counts.
                    Some(before) => {
                        serde_json::to_value(before).ok() != serde_json::to_value(row).ok()
                    }
                })
                .cloned()
                .collect()
        };
        let count = changed.len();
        let mut rows = self.table.write()?;
        for row in changed {
            rows.insert(row);
        }
        Ok(count)
    }
}

impl MemoryTable {
    fn live_row(&self, key: &Key) -> Result<Option<Row>, StoreError> {
        Ok(self.read()?.live(key, self.now_secs()).cloned())
    }
}

#[async_trait::async_trait]
impl Table for MemoryTable {
    async fn get_row(&self, key: &Key) -> Result<Option<Row>, StoreError> {
        self.live_row(key)
    }

    async fn get_rows(&self, keys: Vec<Key>) -> Result<Vec<Row>, StoreError> {
        let rows = self.read()?;
        let now = self.now_secs();
        Ok(query::last_wins(keys, Clone::clone)
            .iter()
            .filter_map(|key| rows.live(key, now).cloned())
            .collect())
    }

    async fn stored_digests(
        &self,
        keys: Vec<Key>,
    ) -> Result<HashMap<Key, StoredDigest>, StoreError> {
        let rows = self.read()?;
        let now = self.now_secs();
        Ok(keys
            .into_iter()
            .filter_map(|key| {
                let row = rows.live(&key, now)?;
                let digest = StoredDigest {
                    content_hash: row.content_hash.clone(),
                    version: row.record.version(),
                };
                Some((key, digest))
            })
            .collect())
    }

    async fn put_row_if(&self, row: Row, condition: Condition) -> Result<bool, StoreError> {
        let mut rows = self.write()?;
        if !condition.holds(rows.live(&row.keys.key, self.now_secs())) {
            return Ok(false);
        }
        rows.insert(row);
        Ok(true)
    }

    async fn delete_row_if(
        &self,
        key: &Key,
        condition: Condition,
    ) -> Result<Option<Row>, StoreError> {
        let mut rows = self.write()?;
        if condition != Condition::Always && !condition.holds(rows.live(key, self.now_secs())) {
            return Ok(None);
        }
        Ok(rows.delete(key))
    }

    async fn update_row(&self, key: &Key, update: Update) -> Result<bool, StoreError> {
        let mut rows = self.write()?;
        let Some(mut row) = rows.live(key, self.now_secs()).cloned() else {
            return Ok(false);
        };
        match (&mut row.record, update) {
            (Record::Tenant { tenant }, Update::LastFullSyncAt(at)) => {
                tenant.last_full_sync_at = Some(at);
            }
            _ => return Ok(false),
        }
        rows.insert(row);
        Ok(true)
    }

    async fn query_rows_page(
        &self,
        plan: &QueryPlan,
        filter: RowFilter<'_>,
        page: &PageRequest,
    ) -> Result<Page<Row>, StoreError> {
        let limit = query::page_limit(page)?;
        let after = match &page.cursor {
            None => None,
            Some(cursor) => Some(position_entry(
                plan.index,
                &cursor::decode(plan.cursor_scope(), cursor)?,
            )?),
        };
        let rows = self.read()?;
        let now = self.now_secs();
        let mut items: Vec<Row> = Vec::with_capacity(limit);
        let mut more = false;
        for row in rows.query(plan, after, now) {
            if !filter.accepts(row, now) {
                continue;
            }
            if items.len() == limit {
                more = true;
                break;
            }
            items.push(row.clone());
        }
        let next_cursor = match (more, items.last()) {
            (true, Some(last)) => Some(cursor::encode(
                plan.cursor_scope(),
                last.keys.position(plan.index),
            )),
            _ => None,
        };
        Ok(Page { items, next_cursor })
    }

    async fn query_rows(
        &self,
        plan: &QueryPlan,
        filter: RowFilter<'_>,
    ) -> Result<Vec<Row>, StoreError> {
        let rows = self.read()?;
        let now = self.now_secs();
        Ok(rows
            .query(plan, None, now)
            .filter(|row| filter.accepts(row, now))
            .cloned()
            .collect())
    }

    async fn write_rows(&self, changes: Vec<Change>) -> Result<u64, StoreError> {
        let mut rows = self.write()?;
        let written = changes.len();
        for change in changes {
            match change {
                Change::Put(row) => rows.insert(*row),
                Change::Delete(key) => {
                    rows.delete(&key);
                }
            }
        }
        Ok(query::batch_requests(written))
    }
}
