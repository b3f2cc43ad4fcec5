//! The store ports implemented once, over any [`Table`]: which keys each entity has, what its
//! content hash covers, when it expires, which writes are conditional. [`super::DynamoStore`] and
//! [`super::MemoryStore`] are this store over their tables.

mod accounts;
mod alerts;
mod audit;
mod connections;
mod correlations;
mod dispatch;
pub mod erasure;
mod exports;
mod insights;
mod outcomes;
mod overrides;
mod scores;
mod settings_history;
mod sync;
mod uses;
mod webhooks;
mod writeback;

pub use alerts::{DELIVERY_RETENTION_DAYS, SEND_SLOT_ATTEMPTS};
pub use uses::{table_ops_of, PORT_METHOD_TABLE_OPS};
pub use writeback::WritebackItem;

use crate::domain::{ClientId, ClientSnapshot, Tenant, TenantId};
use crate::ports::{Page, PageRequest, SnapshotStore, StoreError, TenantStore, WriteReport};
use crate::store::content;
use crate::store::keys::{self, Key};
use crate::store::query::{self, QueryPlan};
use crate::store::row::{Change, Condition, Record, Row, RowFilter, StoredDigest, Table, Update};
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use std::collections::{HashMap, HashSet};

/// Per-client queries in flight at once.
const CONCURRENT_QUERIES: usize = 8;

/// The store over `table`. Cheap to clone when the table is.
#[derive(Debug, Clone)]
pub struct TableStore<T> {
    pub(crate) table: T,
}

impl<T: Table> TableStore<T> {
    pub fn over(table: T) -> Self {
        Self { table }
    }

    pub fn table(&self) -> &T {
        &self.table
    }

    /// The table, to wrap it (in a [`crate::store::RecordingTable`], say) and build a store over that.
    pub fn into_table(self) -> T {
        self.table
    }

    /// Writes the rows of `plan` (a row, or `None` to delete) whose digest differs from the stored
    /// one.
    async fn write_changed(
        &self,
        plan: Vec<(Key, Option<Row>)>,
    ) -> Result<WriteReport, StoreError> {
        let plan = query::last_wins(plan, |(key, _)| key.clone());
        let stored = self
            .table
            .stored_digests(plan.iter().map(|(key, _)| key.clone()).collect())
            .await?;
        self.write_against(plan, &stored).await
    }

    async fn write_against(
        &self,
        plan: Vec<(Key, Option<Row>)>,
        stored: &HashMap<Key, StoredDigest>,
    ) -> Result<WriteReport, StoreError> {
        let mut report = WriteReport::default();
        let mut changes = Vec::new();
        for (key, row) in plan {
            let stored_hash = stored.get(&key).map(|digest| digest.content_hash.clone());
            let change = match row {
                Some(row) => match stored_hash {
                    Some(hash) if row.content_hash.is_some() && hash == row.content_hash => None,
                    _ => Some(Change::Put(Box::new(row))),
                },
                None => stored_hash.map(|_| Change::Delete(key)),
            };
            match change {
                Some(change) => changes.push(change),
                None => report.items_unchanged += 1,
            }
        }
        report.items_written = changes.len() as u64;
        report.write_requests = self.table.write_rows(changes).await?;
        Ok(report)
    }

    async fn put(&self, row: Row) -> Result<(), StoreError> {
        self.table
            .put_row_if(row, Condition::Always)
            .await
            .map(|_| ())
    }

    async fn record_at(&self, key: &Key) -> Result<Option<Record>, StoreError> {
        Ok(self.table.get_row(key).await?.map(|row| row.record))
    }

    /// Writes `row` (already at the next version) if the stored item is still at `read_version`:
    /// `Conflict` when it moved on, `NotFound` when there is none.
    async fn put_next_version(
        &self,
        row: Row,
        read_version: u64,
        entity: &'static str,
        id: &str,
    ) -> Result<(), StoreError> {
        let key = row.keys.key.clone();
        if self
            .table
            .put_row_if(row, Condition::VersionIs(read_version))
            .await?
        {
            return Ok(());
        }
        match self.table.get_row(&key).await? {
            Some(_) => Err(StoreError::conflict(entity, id)),
            None => Err(StoreError::not_found(entity, id)),
        }
    }

    /// The rows of the given clients: for a few, one query each (`per_client`, their own index
    /// partition); for many, one read of the tenant's whole range (`whole`) keeping the rows whose
    /// client (`client_of`) is wanted, which costs fewer requests.
    async fn rows_of_clients(
        &self,
        client_ids: &[ClientId],
        per_client: impl Fn(&ClientId) -> QueryPlan,
        whole: QueryPlan,
        client_of: impl Fn(&Record) -> Option<&ClientId>,
    ) -> Result<Vec<Row>, StoreError> {
        let client_ids = query::last_wins(client_ids.iter(), |id| (*id).clone());
        if client_ids.len() <= query::CLIENT_QUERIES_MAX {
            let plans: Vec<QueryPlan> = client_ids.iter().map(|id| per_client(id)).collect();
            let per_client: Vec<Vec<Row>> = futures::stream::iter(plans)
                .map(|plan| async move { self.table.query_rows(&plan, RowFilter::All).await })
                .buffered(CONCURRENT_QUERIES)
                .try_collect()
                .await?;
            return Ok(per_client.into_iter().flatten().collect());
        }
        let wanted: HashSet<&ClientId> = client_ids.iter().copied().collect();
        Ok(self
            .table
            .query_rows(&whole, RowFilter::All)
            .await?
            .into_iter()
            .filter(|row| client_of(&row.record).is_some_and(|id| wanted.contains(id)))
            .collect())
    }
}

/// A write plan for `write_changed`: each entity's row, built by `row_of` (with its content hash).
fn upserts<E>(
    entities: &[E],
    row_of: impl Fn(&E) -> Result<Row, StoreError>,
) -> Result<Vec<(Key, Option<Row>)>, StoreError> {
    entities
        .iter()
        .map(|entity| {
            let row = row_of(entity)?;
            Ok((row.keys.key.clone(), Some(row)))
        })
        .collect()
}

/// Keeps the order of `ids` (first occurrence) for items fetched by a batch read.
fn in_request_order<T>(ids: &[ClientId], found: Vec<T>, id_of: impl Fn(&T) -> &ClientId) -> Vec<T> {
    let mut by_id: HashMap<ClientId, T> =
        found.into_iter().map(|t| (id_of(&t).clone(), t)).collect();
    ids.iter().filter_map(|id| by_id.remove(id)).collect()
}

/// The entities of `rows` that `select` picks.
fn select<E>(rows: Vec<Row>, select: impl Fn(Record) -> Option<E>) -> Vec<E> {
    rows.into_iter()
        .filter_map(|row| select(row.record))
        .collect()
}

fn select_page<E>(page: Page<Row>, pick: impl Fn(Record) -> Option<E>) -> Page<E> {
    Page {
        items: select(page.items, pick),
        next_cursor: page.next_cursor,
    }
}

fn tenant_of(record: Record) -> Option<Tenant> {
    match record {
        Record::Tenant { tenant } => Some(tenant),
        _ => None,
    }
}

fn snapshot_of(record: Record) -> Option<ClientSnapshot> {
    match record {
        Record::Snapshot { snapshot } => Some(snapshot),
        _ => None,
    }
}

#[async_trait::async_trait]
impl<T: Table> TenantStore for TableStore<T> {
    async fn create_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let row = Row::new(
            keys::tenant(tenant),
            Record::Tenant {
                tenant: tenant.clone(),
            },
        );
        if self.table.put_row_if(row, Condition::Absent).await? {
            Ok(())
        } else {
            Err(StoreError::conflict("tenant", &tenant.id))
        }
    }

    async fn get_tenant(&self, tenant_id: &TenantId) -> Result<Tenant, StoreError> {
        self.record_at(&keys::tenant_key(tenant_id))
            .await?
            .and_then(tenant_of)
            .ok_or_else(|| StoreError::not_found("tenant", tenant_id))
    }

    async fn update_tenant(&self, tenant: &Tenant) -> Result<Tenant, StoreError> {
        let mut updated = tenant.clone();
        updated.version += 1;
        let row = Row::new(
            keys::tenant(&updated),
            Record::Tenant {
                tenant: updated.clone(),
            },
        );
        self.put_next_version(row, tenant.version, "tenant", tenant.id.as_str())
            .await?;
        Ok(updated)
    }

    async fn record_full_sync(
        &self,
        tenant_id: &TenantId,
        finished_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let key = keys::tenant_key(tenant_id);
        if self
            .table
            .update_row(&key, Update::LastFullSyncAt(finished_at))
            .await?
        {
            Ok(())
        } else {
            Err(StoreError::not_found("tenant", tenant_id))
        }
    }

    async fn tenant_by_portal(&self, portal_id: u64) -> Result<Option<Tenant>, StoreError> {
        let rows = self
            .table
            .query_rows(&query::tenants_by_portal(portal_id), RowFilter::All)
            .await?;
        Ok(select(rows, tenant_of).into_iter().next())
    }

    async fn list_active_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError> {
        let page = self
            .table
            .query_rows_page(&query::active_tenants(), RowFilter::All, page)
            .await?;
        Ok(select_page(page, tenant_of))
    }
}

#[async_trait::async_trait]
impl<T: Table> SnapshotStore for TableStore<T> {
    async fn put_snapshots(
        &self,
        tenant_id: &TenantId,
        snapshots: &[ClientSnapshot],
    ) -> Result<WriteReport, StoreError> {
        let plan = upserts(snapshots, |snapshot| {
            let keys = keys::snapshot(tenant_id, &snapshot.client_id);
            let record = Record::Snapshot {
                snapshot: snapshot.clone(),
            };
            Ok(Row::hashed(keys, record, content::digest(snapshot)?))
        })?;
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
        let found = select(self.table.get_rows(keys).await?, snapshot_of);
        Ok(in_request_order(client_ids, found, |s| &s.client_id))
    }

    async fn list_snapshots(
        &self,
        tenant_id: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<ClientSnapshot>, StoreError> {
        let page = self
            .table
            .query_rows_page(&query::snapshots(tenant_id), RowFilter::All, page)
            .await?;
        Ok(select_page(page, snapshot_of))
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
                let hash = content::digest(client_ids)?;
                let record = Record::Contact {
                    contact_id: contact_id.clone(),
                    client_ids: client_ids.clone(),
                };
                Ok((keys.key.clone(), Some(Row::hashed(keys, record, hash))))
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
        let mut found: HashMap<String, Vec<ClientId>> =
            select(self.table.get_rows(keys).await?, |record| match record {
                Record::Contact {
                    contact_id,
                    client_ids,
                } => Some((contact_id, client_ids)),
                _ => None,
            })
            .into_iter()
            .collect();
        let mut seen = HashSet::new();
        Ok(contact_ids
            .iter()
            .filter(|id| seen.insert(id.as_str()))
            .filter_map(|id| found.remove(id).map(|clients| (id.clone(), clients)))
            .collect())
    }
}
