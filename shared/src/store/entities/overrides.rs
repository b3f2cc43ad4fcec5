//! Users' overrides of clients: one item per (client, kind), expiring (DynamoDB TTL, and the
//! memory table's clock) when the override does.

use super::{select, TableStore};
use crate::domain::{ClientId, ClientOverride, OverrideKind, TenantId};
use crate::ports::{OverrideStore, StoreError};
use crate::store::keys;
use crate::store::query;
use crate::store::row::{Condition, Record, Row, RowFilter, Table};

fn override_of(record: Record) -> Option<ClientOverride> {
    match record {
        Record::Override { client_override } => Some(client_override),
        _ => None,
    }
}

#[async_trait::async_trait]
impl<T: Table> OverrideStore for TableStore<T> {
    async fn put_override(
        &self,
        tenant_id: &TenantId,
        client_override: &ClientOverride,
    ) -> Result<(), StoreError> {
        let row = Row::new(
            keys::client_override(tenant_id, &client_override.client_id, client_override.kind),
            Record::Override {
                client_override: client_override.clone(),
            },
        )
        .expiring(client_override.expires_at.timestamp());
        self.put(row).await
    }

    async fn delete_override(
        &self,
        tenant_id: &TenantId,
        client_id: &ClientId,
        kind: OverrideKind,
    ) -> Result<Option<ClientOverride>, StoreError> {
        let key = keys::client_override(tenant_id, client_id, kind).key;
        let removed = self.table.delete_row_if(&key, Condition::Always).await?;
        Ok(removed.and_then(|row| override_of(row.record)))
    }

    async fn client_overrides(
        &self,
        tenant_id: &TenantId,
        client_id: &ClientId,
    ) -> Result<Vec<ClientOverride>, StoreError> {
        let plan = query::tenant_items_under(
            tenant_id,
            keys::client_overrides_prefix(client_id),
            "client overrides",
        );
        let rows = self.table.query_rows(&plan, RowFilter::Unexpired).await?;
        let mut found = select(rows, override_of);
        found.sort_by_key(|o| o.kind);
        Ok(found)
    }

    async fn tenant_overrides(
        &self,
        tenant_id: &TenantId,
    ) -> Result<Vec<ClientOverride>, StoreError> {
        let plan = query::tenant_items_under(
            tenant_id,
            keys::OVERRIDE_PREFIX.to_owned(),
            "tenant overrides",
        );
        let rows = self.table.query_rows(&plan, RowFilter::Unexpired).await?;
        let mut found = select(rows, override_of);
        found.sort_by(|a, b| (&a.client_id, a.kind).cmp(&(&b.client_id, b.kind)));
        Ok(found)
    }
}
