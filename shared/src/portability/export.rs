//! A tenant's data, read through the store ports, into an archive. Each entity is read a page at a
//! time and compressed into the archive before the next is read, so memory holds one entity's
//! lines (plus the compressed archive), not the whole tenant: a 10,000-client tenant's largest
//! file, its snapshots, is tens of megabytes.
//!
//! Lines are written in a stable order (snapshots, correlations and connections by key, scores and
//! insights by client, history by client then time), so two exports of equal data are equal files.

use super::{ArchiveError, ArchiveWriter, EntityFile, JsonLines, Manifest};
use crate::domain::{
    AlertingSettings, Connection, ConnectionId, ConnectionSettings, ExportId, MatchingSettings,
    Platform, ScoringSettings, TenantId, WritebackSettings,
};
use crate::ports::{InsightFilter, PageRequest, ScoreQuery, Store, StoreError};
use chrono::{DateTime, TimeZone, Utc};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

/// Items read per store page.
const PAGE: u32 = PageRequest::MAX_LIMIT;
/// Clients whose history is read at once.
const CONCURRENT_HISTORY_READS: usize = 8;

/// `settings.jsonl`'s one line: how the tenant scores, matches, alerts and writes back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsLine {
    pub tenant_id: TenantId,
    pub scoring: ScoringSettings,
    pub matching: MatchingSettings,
    pub alerting: AlertingSettings,
    pub writeback: WritebackSettings,
}

/// A connection as exported: what a person set up, without the name of its secret, its state or
/// its sync bookkeeping (an imported connection has no credentials and has never synced).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortableConnection {
    pub tenant_id: TenantId,
    pub id: ConnectionId,
    pub platform: Platform,
    pub label: String,
    pub settings: ConnectionSettings,
    pub connected_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Connection> for PortableConnection {
    fn from(c: Connection) -> Self {
        Self {
            tenant_id: c.tenant_id,
            id: c.id,
            platform: c.platform,
            label: c.label,
            settings: c.settings,
            connected_at: c.connected_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

impl BuildError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, BuildError::Store(e) if e.is_retryable())
    }
}

/// A written archive and its manifest.
#[derive(Debug)]
pub struct BuiltArchive {
    pub bytes: Vec<u8>,
    pub manifest: Manifest,
}

/// Every page of a list, item by item, into `lines` (or into a buffer to sort first).
macro_rules! each_page {
    ($page:ident => $list:expr, $item:ident => $body:block) => {{
        let mut $page = PageRequest::first(PAGE);
        loop {
            let found = $list;
            for $item in found.items {
                $body
            }
            match found.next_cursor {
                Some(cursor) => $page.cursor = Some(cursor),
                None => break,
            }
        }
    }};
}

/// Reads `tenant_id`'s data and writes the archive (`created_at` is `now`).
pub async fn build_archive<S: Store + ?Sized>(
    store: &S,
    tenant_id: &TenantId,
    export_id: Option<&ExportId>,
    now: DateTime<Utc>,
) -> Result<BuiltArchive, BuildError> {
    let mut writer = ArchiveWriter::new(now);

    let tenant = store.get_tenant(tenant_id).await?;
    let mut settings = JsonLines::new(EntityFile::Settings);
    settings.push(&SettingsLine {
        tenant_id: tenant.id.clone(),
        scoring: tenant.settings.clone(),
        matching: tenant.matching,
        alerting: tenant.alerting.clone(),
        writeback: tenant.writeback,
    })?;
    writer.add(settings)?;

    let mut client_ids = Vec::new();
    let mut clients = JsonLines::new(EntityFile::Clients);
    each_page!(page => store.list_snapshots(tenant_id, &page).await?, snapshot => {
        clients.push(&snapshot)?;
        client_ids.push(snapshot.client_id);
    });
    writer.add(clients)?;

    let mut scores = Vec::new();
    each_page!(page => store.list_scores(tenant_id, &ScoreQuery::default(), &page).await?, score => {
        scores.push(score);
    });
    scores.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    // Scores of clients whose snapshot is gone still have history worth keeping.
    client_ids.extend(scores.iter().map(|score| score.client_id.clone()));
    let mut lines = JsonLines::new(EntityFile::Scores);
    for score in &scores {
        lines.push(score)?;
    }
    drop(scores);
    writer.add(lines)?;

    client_ids.sort();
    client_ids.dedup();
    let since = Utc.timestamp_opt(0, 0).single().unwrap_or(now);
    let mut history = JsonLines::new(EntityFile::ScoreHistory);
    // Owned ids into the closure: a closure over borrowed ids is not `Send` for every lifetime
    // (rustc), and the handler's future must be.
    let mut points = futures::stream::iter(client_ids.iter().cloned())
        .map(|client_id| async move { store.history(tenant_id, &client_id, since, now).await })
        .buffered(CONCURRENT_HISTORY_READS);
    while let Some(client_points) = points.try_next().await? {
        for point in &client_points {
            history.push(point)?;
        }
    }
    drop(points);
    writer.add(history)?;

    let mut insights = Vec::new();
    each_page!(page => store.list_insights(tenant_id, &InsightFilter::default(), &page).await?, insight => {
        insights.push(insight);
    });
    insights.sort_by(|a, b| (&a.client_id, a.rule.as_str()).cmp(&(&b.client_id, b.rule.as_str())));
    let mut lines = JsonLines::new(EntityFile::Insights);
    for insight in &insights {
        lines.push(insight)?;
    }
    drop(insights);
    writer.add(lines)?;

    let mut correlations = JsonLines::new(EntityFile::Correlations);
    each_page!(page => store.list_correlations(tenant_id, None, &page).await?, correlation => {
        correlations.push(&correlation)?;
    });
    writer.add(correlations)?;

    let mut connections = JsonLines::new(EntityFile::Connections);
    for connection in store.list_connections(tenant_id).await? {
        connections.push(&PortableConnection::from(connection))?;
    }
    writer.add(connections)?;

    writer.add(audit_lines(store, tenant_id).await?)?;

    let (bytes, manifest) = writer.finish(tenant_id, export_id)?;
    Ok(BuiltArchive { bytes, manifest })
}

/// The tenant's audit entries. The audit store is not part of this tree yet (it lands with the
/// audit trail of issue 17), so the file is written empty and the manifest counts 0; reading
/// the entries through the audit port belongs here, and only here.
async fn audit_lines<S: Store + ?Sized>(
    store: &S,
    tenant_id: &TenantId,
) -> Result<JsonLines, BuildError> {
    let _ = (store, tenant_id);
    Ok(JsonLines::new(EntityFile::Audit))
}
