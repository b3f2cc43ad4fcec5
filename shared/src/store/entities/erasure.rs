//! Erasures, and the erasure walk: which items name a subject, decided for every entity in one
//! place ([`decide`]), so an entity added later must say how it is erased before the store compiles.

use super::TableStore;
use crate::domain::erasure::erase_contacts;
use crate::domain::{
    ClientId, ConnectionId, Erasure, ErasureId, ErasureTarget, LinkedRecord, TenantId,
};
use crate::ports::{ErasedPage, ErasureStore, Lease, PageRequest, StoreError};
use crate::store::content;
use crate::store::keys;
use crate::store::query;
use crate::store::row::{Change, Condition, Record, Row, RowFilter, Table};
use std::collections::{BTreeMap, BTreeSet};

/// What the walk does with one item.
#[derive(Debug, Clone)]
pub enum Decision {
    Keep,
    Delete,
    /// The item also holds other subjects: it stays, without this one.
    Rewrite(Box<Record>),
}

/// The entity an item holds, as the receipt counts it.
pub fn entity_name(record: &Record) -> &'static str {
    match record {
        Record::Tenant { .. } => "tenant",
        Record::Snapshot { .. } => "snapshot",
        Record::Contact { .. } => "contact_index",
        Record::Score { .. } => "score",
        Record::History { .. } => "history",
        Record::Summary { .. } => "summary",
        Record::Insight { .. } => "insight",
        Record::SyncRun { .. } => "sync_run",
        Record::Checkpoint { .. } => "checkpoint",
        Record::Lease { .. } => "lease",
        Record::WebhookEvent {} => "webhook_event",
        Record::OAuthState { .. } => "oauth_state",
        Record::Connection { .. } => "connection",
        Record::Payer { .. } => "payer_record",
        Record::Account { .. } => "account_record",
        Record::Correlation { .. } => "correlation",
        Record::AlertRule { .. } => "alert_rule",
        Record::AlertState { .. } => "alert_state",
        Record::Snooze { .. } => "snooze",
        Record::Override { .. } => "client_override",
        Record::PendingAlert { .. } => "pending_alert",
        Record::AlertsDue { .. } => "alerts_due",
        Record::Delivery { .. } => "delivery",
        Record::SendSlot { .. } => "send_slot",
        Record::Writeback { .. } => "writeback",
        Record::Erasure { .. } => "erasure",
        Record::Trend { .. } => "trend_point",
        Record::Export { .. } => "export",
        Record::Audit { .. } => "audit_entry",
        Record::Outcome { .. } => "client_outcome",
        Record::Calibration { .. } => "calibration",
        Record::SettingsVersion { .. } => "settings_version",
        Record::Reweigh { .. } => "reweigh_state",
        Record::Dispatch { .. } => "dispatch_progress",
    }
}

/// The platform records erased with a client, as a set to look rows up in.
type Linked<'a> = BTreeSet<(&'a ConnectionId, &'a str)>;

/// What erasing `target` does to `row`.
pub fn decide(row: &Row, target: &ErasureTarget, linked: &Linked<'_>) -> Decision {
    match target {
        // Everything of the tenant goes; erasures stay, as the proof that it went.
        ErasureTarget::Tenant => match row.record {
            Record::Erasure { .. } => Decision::Keep,
            _ => Decision::Delete,
        },
        ErasureTarget::Client(client_id) => client_decision(&row.record, client_id, linked),
        ErasureTarget::Contact(contact_id) => contact_decision(&row.record, contact_id),
        ErasureTarget::Connection(connection_id) => connection_decision(row, connection_id),
    }
}

fn delete_if(names_subject: bool) -> Decision {
    if names_subject {
        Decision::Delete
    } else {
        Decision::Keep
    }
}

/// A client: what is derived from it (snapshot, scores, history, insights, alert states, snoozes,
/// users' overrides,
/// queued alerts, write-back bookkeeping), its links (correlations) and the platform records it is
/// linked to; items that also name other clients keep them. Counts (the tenant summary, sync runs)
/// and the tenant's own settings name no client and stay.
fn client_decision(record: &Record, client: &ClientId, linked: &Linked<'_>) -> Decision {
    match record {
        Record::Snapshot { snapshot } => delete_if(&snapshot.client_id == client),
        Record::Score { score } => delete_if(&score.client_id == client),
        Record::History { point } => delete_if(&point.client_id == client),
        Record::Insight { insight } => delete_if(&insight.client_id == client),
        Record::Correlation { correlation } => delete_if(&correlation.client_id == client),
        Record::AlertState { state } => delete_if(&state.client_id == client),
        Record::Snooze { snooze } => delete_if(&snooze.client_id == client),
        // An override is about the client (its reason may name it): it goes with it.
        Record::Override { client_override } => delete_if(&client_override.client_id == client),
        Record::PendingAlert { alert } => delete_if(&alert.item.client_id == client),
        Record::Payer { payer } => {
            delete_if(linked.contains(&(&payer.connection_id, payer.external_id.as_str())))
        }
        Record::Account { account } => {
            delete_if(linked.contains(&(&account.connection_id, account.external_id.as_str())))
        }
        Record::Writeback { item } => {
            use crate::store::entities::WritebackItem;
            match item {
                WritebackItem::Company { written } => delete_if(&written.client_id == client),
                WritebackItem::Task { task } => delete_if(&task.client_id == client),
                WritebackItem::Schema { .. } => Decision::Keep,
            }
        }
        Record::Contact {
            contact_id,
            client_ids,
        } => {
            if !client_ids.contains(client) {
                return Decision::Keep;
            }
            let rest: Vec<ClientId> = client_ids
                .iter()
                .filter(|c| *c != client)
                .cloned()
                .collect();
            if rest.is_empty() {
                return Decision::Delete;
            }
            Decision::Rewrite(Box::new(Record::Contact {
                contact_id: contact_id.clone(),
                client_ids: rest,
            }))
        }
        Record::Delivery { delivery } => {
            if !delivery.client_ids.contains(client) {
                return Decision::Keep;
            }
            let mut kept = delivery.clone();
            kept.client_ids.retain(|c| c != client);
            if kept.client_ids.is_empty() {
                return Decision::Delete;
            }
            Decision::Rewrite(Box::new(Record::Delivery { delivery: kept }))
        }
        Record::AlertRule { rule } => match &rule.scope {
            crate::domain::AlertScope::Clients { client_ids } if client_ids.contains(client) => {
                let mut kept = rule.clone();
                kept.scope = crate::domain::AlertScope::Clients {
                    client_ids: client_ids
                        .iter()
                        .filter(|c| *c != client)
                        .cloned()
                        .collect(),
                };
                // A new version: an edit made from the rule as read before fails instead of
                // bringing the client back.
                kept.version += 1;
                Decision::Rewrite(Box::new(Record::AlertRule { rule: kept }))
            }
            _ => Decision::Keep,
        },
        // An earlier export may hold the client: its job goes, so no new link to that archive can be
        // handed out (the archive itself expires with the bucket's lifecycle, within 7 days).
        Record::Export { .. } => Decision::Delete,
        Record::Outcome { outcome } => delete_if(&outcome.client_id == client),
        // Trend points are tenant totals; audit entries name the client only by its internal id
        // (never its name or people), and the trail must stay whole.
        // Settings versions hold no client data (the changer only by subject, as audit entries do).
        Record::Trend { .. } | Record::Audit { .. } | Record::SettingsVersion { .. } => {
            Decision::Keep
        }
        Record::Tenant { .. }
        | Record::Summary { .. }
        | Record::SyncRun { .. }
        | Record::Checkpoint { .. }
        | Record::Lease { .. }
        | Record::WebhookEvent {}
        | Record::OAuthState { .. }
        | Record::Connection { .. }
        | Record::AlertsDue { .. }
        | Record::SendSlot { .. }
        // Tenant-wide figures: counts and a curve, no client named.
        | Record::Calibration { .. }
        | Record::Reweigh { .. }
        // No tenant's partition holds one; it names tenants only in a failed page's requests
        // (ids, no personal data) and expires two days after its slot.
        | Record::Dispatch { .. }
        | Record::Erasure { .. } => Decision::Keep,
    }
}

/// A contact (a person): its index entry, and its summary and engagement links in every snapshot
/// (as HubSpot's `contact.privacyDeletion` does at ingest). Nothing else stores a contact.
fn contact_decision(record: &Record, contact: &str) -> Decision {
    match record {
        Record::Contact { contact_id, .. } => delete_if(contact_id == contact),
        Record::Snapshot { snapshot } => {
            let mut kept = snapshot.clone();
            if erase_contacts(&mut kept, &BTreeSet::from([contact.to_owned()])) {
                Decision::Rewrite(Box::new(Record::Snapshot { snapshot: kept }))
            } else {
                Decision::Keep
            }
        }
        _ => Decision::Keep,
    }
}

/// A connection: the connection, its platform records, their links, its runs and its lease. (Its
/// secret is the erasure handler's.)
fn connection_decision(row: &Row, connection: &ConnectionId) -> Decision {
    match &row.record {
        Record::Connection { connection: c } => delete_if(&c.id == connection),
        Record::Payer { payer } => delete_if(&payer.connection_id == connection),
        Record::Account { account } => delete_if(&account.connection_id == connection),
        Record::Correlation { correlation } => delete_if(&correlation.connection_id == connection),
        Record::SyncRun { run } => delete_if(run.connection_id.as_ref() == Some(connection)),
        Record::Lease { .. } => delete_if(
            row.keys.key.sk == format!("LEASE#{}", Lease::ConnectionSync.key_on(connection)),
        ),
        _ => Decision::Keep,
    }
}

/// The row that replaces `row` with `record`: same keys and expiry, the content hash of what is
/// left where the entity has one.
fn rewritten(row: &Row, record: Record) -> Result<Row, StoreError> {
    let content_hash = match (&record, &row.content_hash) {
        (_, None) => None,
        (Record::Snapshot { snapshot }, Some(_)) => Some(content::digest(snapshot)?),
        (Record::Contact { client_ids, .. }, Some(_)) => Some(content::digest(client_ids)?),
        // A stale hash only makes the next writer write: never wrong.
        (_, Some(_)) => None,
    };
    Ok(Row {
        keys: row.keys.clone(),
        content_hash,
        expires_at: row.expires_at,
        record,
    })
}

#[async_trait::async_trait]
impl<T: Table> ErasureStore for TableStore<T> {
    async fn put_erasure(&self, erasure: &Erasure) -> Result<(), StoreError> {
        let row = Row::new(
            keys::erasure(&erasure.tenant_id, &erasure.id),
            Record::Erasure {
                erasure: erasure.clone(),
            },
        );
        self.table
            .put_row_if(row, Condition::Always)
            .await
            .map(|_| ())
    }

    async fn get_erasure(
        &self,
        tenant_id: &TenantId,
        erasure_id: &ErasureId,
    ) -> Result<Erasure, StoreError> {
        match self
            .record_at(&keys::erasure(tenant_id, erasure_id).key)
            .await?
        {
            Some(Record::Erasure { erasure }) => Ok(erasure),
            _ => Err(StoreError::not_found("erasure", erasure_id)),
        }
    }

    async fn erase_page(
        &self,
        tenant_id: &TenantId,
        target: &ErasureTarget,
        linked: &[LinkedRecord],
        page: &PageRequest,
    ) -> Result<ErasedPage, StoreError> {
        let plan = query::every_tenant_item(tenant_id);
        let rows = self
            .table
            .query_rows_page(&plan, RowFilter::All, page)
            .await?;
        let linked: Linked<'_> = linked
            .iter()
            .map(|record| (&record.connection_id, record.external_id.as_str()))
            .collect();
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        let mut changes = Vec::new();
        for row in &rows.items {
            let entity = entity_name(&row.record);
            match decide(row, target, &linked) {
                Decision::Keep => continue,
                Decision::Delete => {
                    *counts.entry(entity.to_owned()).or_default() += 1;
                    changes.push(Change::Delete(row.keys.key.clone()));
                }
                Decision::Rewrite(record) => {
                    *counts.entry(format!("{entity}.rewritten")).or_default() += 1;
                    changes.push(Change::Put(Box::new(rewritten(row, *record)?)));
                }
            }
        }
        self.table.write_rows(changes).await?;
        Ok(ErasedPage {
            counts,
            next_cursor: rows.next_cursor,
        })
    }
}
