//! Data portability: a tenant's data as an archive it can take away, and the same archive imported
//! into a fresh tenant.
//!
//! The archive is a `tar.gz` of JSON Lines files, one per entity ([`EntityFile`]), then
//! `manifest.json` (format, version, tenant, time, and per file its line count, size and SHA-256).
//! [`archive`] writes and verifies that format (pure, in memory), [`export`] reads a tenant's data
//! through the store ports into it, and [`import`] writes a verified archive into an empty tenant.
//! The export function (`handlers::export`) runs [`export::build_archive`] for `ExportRequested`.

pub mod archive;
pub mod export;
pub mod import;

pub use archive::{read_archive, ArchiveError, ArchiveWriter, JsonLines, Manifest, ManifestFile};
pub use export::{build_archive, BuiltArchive, PortableConnection, SettingsLine};
pub use import::{import_archive, ImportError, ImportReport};

/// The manifest's `format`.
pub const FORMAT: &str = "connected-insights-export";
/// The version of the archive format this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The manifest's name in the archive.
pub const MANIFEST: &str = "manifest.json";
/// The archive's content type.
pub const CONTENT_TYPE: &str = "application/gzip";

/// The entity files of an archive, in the order they are written and imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntityFile {
    /// One line: the tenant's scoring, matching, alerting and write-back settings.
    Settings,
    /// Client snapshots (each source's data about one client).
    Clients,
    Scores,
    ScoreHistory,
    Insights,
    Correlations,
    /// Connections without their credentials (those never leave the vault).
    Connections,
    /// The audit trail's entries.
    Audit,
}

impl EntityFile {
    pub const ALL: [EntityFile; 8] = [
        EntityFile::Settings,
        EntityFile::Clients,
        EntityFile::Scores,
        EntityFile::ScoreHistory,
        EntityFile::Insights,
        EntityFile::Correlations,
        EntityFile::Connections,
        EntityFile::Audit,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            EntityFile::Settings => "settings.jsonl",
            EntityFile::Clients => "clients.jsonl",
            EntityFile::Scores => "scores.jsonl",
            EntityFile::ScoreHistory => "score_history.jsonl",
            EntityFile::Insights => "insights.jsonl",
            EntityFile::Correlations => "correlations.jsonl",
            EntityFile::Connections => "connections.jsonl",
            EntityFile::Audit => "audit.jsonl",
        }
    }

    pub fn from_name(name: &str) -> Option<EntityFile> {
        EntityFile::ALL.into_iter().find(|f| f.name() == name)
    }
}
