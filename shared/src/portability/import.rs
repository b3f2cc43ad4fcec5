//! An archive written into a fresh tenant. The archive is verified first (manifest, checksums,
//! counts), every line must belong to the archive's tenant, and the target must exist and hold no
//! data yet: an import never merges into or overwrites a tenant's own data.
//!
//! What changes on the way: the tenant id; insight ids, which are derived from the tenant
//! (`scoring::confidence::insight_id`), so scoring in the new tenant updates them instead of
//! opening duplicates; and connections, which arrive without credentials (those never leave the
//! vault) and wait as `needs_reauth` until someone gives them again. The audit file is counted,
//! not imported: the new tenant's trail is its own, starting with this import.

use super::archive::{read_archive, VerifiedArchive};
use super::export::{PortableConnection, SettingsLine};
use super::{ArchiveError, EntityFile};
use crate::api::routes::connections::connection_secret_id;
use crate::domain::{
    AuditChange, AuditEntityKind, ClientSnapshot, Connection, ConnectionStatus, Correlation,
    HealthScore, Insight, ScorePoint, TenantId,
};
use crate::ports::{InsightFilter, PageRequest, ScoreQuery, Store, StoreError};
use crate::scoring::insight_id;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;

/// Entities written per store call.
const BATCH: usize = 100;

/// Why an imported connection waits.
pub const IMPORTED_CONNECTION_REASON: &str =
    "imported without its credentials: delete it and connect it again";

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the archive was refused: {0}")]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("tenant {0} does not exist: create it before importing into it")]
    NoTenant(TenantId),
    #[error("tenant {tenant} already has {what}: an archive is imported only into a tenant without data")]
    NotEmpty {
        tenant: TenantId,
        what: &'static str,
    },
}

/// What an import wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// The tenant the archive was exported from.
    pub source_tenant: TenantId,
    /// Lines read per file.
    pub counts: BTreeMap<String, u64>,
}

/// Imports `archive` into `target` (which must exist and be empty). `secret_prefix` is where the
/// tenant's secrets live (the api's `TENANT_SECRET_PREFIX`): imported connections are given the
/// secret name a new connection of theirs would have, empty until credentials are given.
pub async fn import_archive<S: Store + ?Sized>(
    store: &S,
    target: &TenantId,
    archive: &[u8],
    secret_prefix: &str,
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError> {
    let archive = read_archive(archive)?;
    let source = archive.manifest.tenant_id.clone();
    let mut tenant = match store.get_tenant(target).await {
        Ok(tenant) => tenant,
        Err(StoreError::NotFound { .. }) => return Err(ImportError::NoTenant(target.clone())),
        Err(error) => return Err(error.into()),
    };
    require_empty(store, target).await?;
    let lines = Lines {
        archive: &archive,
        source: &source,
        target,
    };

    if let Some(settings) = lines.parsed::<SettingsLine>(EntityFile::Settings)?.pop() {
        tenant.settings = settings.scoring;
        tenant.matching = settings.matching;
        tenant.alerting = settings.alerting;
        tenant.writeback = settings.writeback;
        tenant.settings_changed_at = now;
        tenant.updated_at = now;
        tenant = store.update_tenant(&tenant).await?;
    }

    for batch in lines
        .parsed::<ClientSnapshot>(EntityFile::Clients)?
        .chunks(BATCH)
    {
        store.put_snapshots(target, batch).await?;
    }
    for batch in lines
        .parsed::<HealthScore>(EntityFile::Scores)?
        .chunks(BATCH)
    {
        store.put_scores(target, batch).await?;
    }
    let retention = tenant.settings.history_retention_days;
    for batch in lines
        .parsed::<ScorePoint>(EntityFile::ScoreHistory)?
        .chunks(BATCH)
    {
        store.append_history(target, batch, retention).await?;
    }
    let insights: Vec<Insight> = lines
        .parsed::<Insight>(EntityFile::Insights)?
        .into_iter()
        .map(|insight| Insight {
            id: insight_id(target, &insight.client_id, insight.rule),
            ..insight
        })
        .collect();
    for batch in insights.chunks(BATCH) {
        store.put_insights(target, batch).await?;
    }
    for batch in lines
        .parsed::<Correlation>(EntityFile::Correlations)?
        .chunks(BATCH)
    {
        store.put_correlations(target, batch).await?;
    }
    for portable in lines.parsed::<PortableConnection>(EntityFile::Connections)? {
        store
            .create_connection(&Connection {
                credentials_secret_id: connection_secret_id(secret_prefix, target, &portable.id),
                tenant_id: portable.tenant_id,
                id: portable.id,
                platform: portable.platform,
                label: portable.label,
                status: ConnectionStatus::NeedsReauth,
                status_reason: Some(IMPORTED_CONNECTION_REASON.to_string()),
                settings: portable.settings,
                connected_at: portable.connected_at,
                last_sync_at: None,
                last_full_sync_at: None,
                created_at: portable.created_at,
                updated_at: portable.updated_at,
                webhook_registered: None,
                version: 0,
            })
            .await?;
    }

    let counts = archive.manifest.counts();
    crate::handlers::audit::record_system(
        store,
        target,
        AuditChange::new("tenant.imported", AuditEntityKind::Import, target)
            .detail(serde_json::json!({ "counts": counts })),
        now,
    )
    .await?;
    Ok(ImportReport {
        source_tenant: source,
        counts,
    })
}

/// Refuses a target that already has clients, scores, insights, matches or connections.
async fn require_empty<S: Store + ?Sized>(store: &S, target: &TenantId) -> Result<(), ImportError> {
    let one = PageRequest::first(1);
    let not_empty = |what| ImportError::NotEmpty {
        tenant: target.clone(),
        what,
    };
    if !store.list_snapshots(target, &one).await?.items.is_empty() {
        return Err(not_empty("clients"));
    }
    let (every_score, every_insight) = (ScoreQuery::default(), InsightFilter::default());
    if !store
        .list_scores(target, &every_score, &one)
        .await?
        .items
        .is_empty()
    {
        return Err(not_empty("scores"));
    }
    if !store
        .list_insights(target, &every_insight, &one)
        .await?
        .items
        .is_empty()
    {
        return Err(not_empty("insights"));
    }
    if !store
        .list_correlations(target, None, &one)
        .await?
        .items
        .is_empty()
    {
        return Err(not_empty("matches"));
    }
    if !store.list_connections(target).await?.is_empty() {
        return Err(not_empty("connections"));
    }
    Ok(())
}

/// An archive's lines, moved from the source tenant to the target.
struct Lines<'a> {
    archive: &'a VerifiedArchive,
    source: &'a TenantId,
    target: &'a TenantId,
}

impl Lines<'_> {
    /// Every line of `entity` as `T`, its `tenant_id` (where it has one) checked to be the
    /// archive's and replaced by the target's.
    fn parsed<T: DeserializeOwned>(&self, entity: EntityFile) -> Result<Vec<T>, ArchiveError> {
        let bad = |line: usize, message: String| ArchiveError::BadLine {
            file: entity.name().to_string(),
            line: line as u64 + 1,
            message,
        };
        self.archive
            .lines(entity)
            .enumerate()
            .map(|(i, value)| {
                let mut value = value?;
                if let Value::Object(fields) = &mut value {
                    if let Some(tenant) = fields.get_mut("tenant_id") {
                        if tenant.as_str() != Some(self.source.as_str()) {
                            return Err(bad(
                                i,
                                format!(
                                    "belongs to tenant {tenant}, not the archive's {}",
                                    self.source
                                ),
                            ));
                        }
                        *tenant = Value::String(self.target.to_string());
                    }
                }
                serde_json::from_value(value).map_err(|e| bad(i, e.to_string()))
            })
            .collect()
    }
}
