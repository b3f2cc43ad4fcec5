//! The archive format, in memory: [`ArchiveWriter`] appends each entity's JSON Lines to a gzipped
//! tar as soon as the entity is read (so only one entity's lines are held uncompressed at a time)
//! and ends with the manifest; [`read_archive`] refuses an archive whose manifest or checksums do
//! not match, naming the file and what is wrong.

use super::{EntityFile, FORMAT, FORMAT_VERSION, MANIFEST};
use crate::domain::{ExportId, TenantId};
use chrono::{DateTime, Utc};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;

/// The most an archive may hold uncompressed: a guard against a crafted archive that inflates
/// without end (a 10,000-client tenant's archive is tens of megabytes).
pub const MAX_UNCOMPRESSED_BYTES: u64 = 2 * 1024 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("the archive is not a readable tar.gz: {0}")]
    Unreadable(String),
    #[error("the archive has no {MANIFEST}")]
    NoManifest,
    #[error("{MANIFEST} is invalid: {0}")]
    BadManifest(String),
    #[error("the archive's format is {found:?} version {version}; this product reads {FORMAT:?} version {FORMAT_VERSION}")]
    UnsupportedFormat { found: String, version: u32 },
    #[error("{0} is listed in {MANIFEST} but missing from the archive")]
    MissingFile(String),
    #[error("{0} is in the archive but not listed in {MANIFEST}")]
    UnlistedFile(String),
    #[error("{0} is not a file this format has")]
    UnknownFile(String),
    #[error("{file}: SHA-256 is {actual}, the manifest says {expected}")]
    ChecksumMismatch {
        file: String,
        expected: String,
        actual: String,
    },
    #[error("{file}: {actual} lines, the manifest says {expected}")]
    CountMismatch {
        file: String,
        expected: u64,
        actual: u64,
    },
    #[error("the archive is larger than {MAX_UNCOMPRESSED_BYTES} bytes uncompressed")]
    TooLarge,
    #[error("{file} line {line}: {message}")]
    BadLine {
        file: String,
        line: u64,
        message: String,
    },
    #[error("writing the archive failed: {0}")]
    Write(String),
}

/// What `manifest.json` says about one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub name: String,
    /// Lines (entities) in the file.
    pub count: u64,
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub tenant_id: TenantId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_id: Option<ExportId>,
    pub created_at: DateTime<Utc>,
    pub files: Vec<ManifestFile>,
}

impl Manifest {
    pub fn file(&self, entity: EntityFile) -> Option<&ManifestFile> {
        self.files.iter().find(|f| f.name == entity.name())
    }

    /// Lines per file, as the export job records them.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.files
            .iter()
            .map(|f| (f.name.clone(), f.count))
            .collect()
    }
}

/// One entity's lines, being written.
#[derive(Debug)]
pub struct JsonLines {
    entity: EntityFile,
    bytes: Vec<u8>,
    count: u64,
}

impl JsonLines {
    pub fn new(entity: EntityFile) -> Self {
        Self {
            entity,
            bytes: Vec::new(),
            count: 0,
        }
    }

    /// Appends `value` as one line (serde_json never writes a raw newline inside a value).
    pub fn push<T: Serialize>(&mut self, value: &T) -> Result<(), ArchiveError> {
        serde_json::to_writer(&mut self.bytes, value).map_err(|e| ArchiveError::BadLine {
            file: self.entity.name().to_string(),
            line: self.count + 1,
            message: e.to_string(),
        })?;
        self.bytes.push(b'\n');
        self.count += 1;
        Ok(())
    }

    pub fn count(&self) -> u64 {
        self.count
    }
}

/// A gzipped tar being written, entity by entity.
pub struct ArchiveWriter {
    tar: tar::Builder<GzEncoder<Vec<u8>>>,
    files: Vec<ManifestFile>,
    created_at: DateTime<Utc>,
}

impl ArchiveWriter {
    pub fn new(created_at: DateTime<Utc>) -> Self {
        Self {
            tar: tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default())),
            files: Vec::new(),
            created_at,
        }
    }

    fn append(&mut self, name: &str, bytes: &[u8]) -> Result<(), ArchiveError> {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(self.created_at.timestamp().max(0).unsigned_abs());
        header.set_entry_type(tar::EntryType::Regular);
        self.tar
            .append_data(&mut header, name, bytes)
            .map_err(|e| ArchiveError::Write(e.to_string()))
    }

    /// Compresses the entity's lines into the archive and drops them.
    pub fn add(&mut self, lines: JsonLines) -> Result<(), ArchiveError> {
        let name = lines.entity.name();
        self.append(name, &lines.bytes)?;
        self.files.push(ManifestFile {
            name: name.to_string(),
            count: lines.count,
            bytes: lines.bytes.len() as u64,
            sha256: sha256_hex(&lines.bytes),
        });
        Ok(())
    }

    /// Writes the manifest last (its checksums are known only now) and closes the archive.
    pub fn finish(
        mut self,
        tenant_id: &TenantId,
        export_id: Option<&ExportId>,
    ) -> Result<(Vec<u8>, Manifest), ArchiveError> {
        let manifest = Manifest {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            tenant_id: tenant_id.clone(),
            export_id: export_id.cloned(),
            created_at: self.created_at,
            files: std::mem::take(&mut self.files),
        };
        let json =
            serde_json::to_vec_pretty(&manifest).map_err(|e| ArchiveError::Write(e.to_string()))?;
        self.append(MANIFEST, &json)?;
        let gzip = self
            .tar
            .into_inner()
            .map_err(|e| ArchiveError::Write(e.to_string()))?;
        let bytes = gzip
            .finish()
            .map_err(|e| ArchiveError::Write(e.to_string()))?;
        Ok((bytes, manifest))
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A verified archive: its manifest and each entity file's bytes.
#[derive(Debug)]
pub struct VerifiedArchive {
    pub manifest: Manifest,
    files: BTreeMap<EntityFile, Vec<u8>>,
}

impl VerifiedArchive {
    /// The file's lines, each parsed as JSON (empty lines refused).
    pub fn lines(
        &self,
        entity: EntityFile,
    ) -> impl Iterator<Item = Result<serde_json::Value, ArchiveError>> + '_ {
        let bytes = self.bytes(entity);
        // Verified: empty, or lines each ending with a newline.
        let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        body.split(|b| *b == b'\n')
            .filter(move |_| !bytes.is_empty())
            .enumerate()
            .map(move |(i, line)| {
                serde_json::from_slice(line).map_err(|e| ArchiveError::BadLine {
                    file: entity.name().to_string(),
                    line: i as u64 + 1,
                    message: e.to_string(),
                })
            })
    }

    /// The raw bytes of a file (empty when the archive has none).
    pub fn bytes(&self, entity: EntityFile) -> &[u8] {
        self.files.get(&entity).map(Vec::as_slice).unwrap_or(&[])
    }
}

fn count_lines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|b| **b == b'\n').count() as u64
}

/// Reads and verifies an archive: a manifest of this format and version; every file it lists
/// present with its size, SHA-256 and line count; no file it does not list; only files this format
/// has.
pub fn read_archive(archive: &[u8]) -> Result<VerifiedArchive, ArchiveError> {
    let unreadable = |e: std::io::Error| ArchiveError::Unreadable(e.to_string());
    let mut tar = tar::Archive::new(GzDecoder::new(archive));
    let mut raw: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut total: u64 = 0;
    for entry in tar.entries().map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .map_err(unreadable)?
            .to_string_lossy()
            .into_owned();
        let mut bytes = Vec::new();
        let room = MAX_UNCOMPRESSED_BYTES.saturating_sub(total) + 1;
        entry
            .take(room)
            .read_to_end(&mut bytes)
            .map_err(unreadable)?;
        total += bytes.len() as u64;
        if total > MAX_UNCOMPRESSED_BYTES {
            return Err(ArchiveError::TooLarge);
        }
        raw.insert(name, bytes);
    }
    let manifest_bytes = raw.remove(MANIFEST).ok_or(ArchiveError::NoManifest)?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| ArchiveError::BadManifest(e.to_string()))?;
    if manifest.format != FORMAT || manifest.format_version != FORMAT_VERSION {
        return Err(ArchiveError::UnsupportedFormat {
            found: manifest.format.clone(),
            version: manifest.format_version,
        });
    }
    let mut files = BTreeMap::new();
    for listed in &manifest.files {
        let entity = EntityFile::from_name(&listed.name)
            .ok_or_else(|| ArchiveError::UnknownFile(listed.name.clone()))?;
        let bytes = raw
            .remove(&listed.name)
            .ok_or_else(|| ArchiveError::MissingFile(listed.name.clone()))?;
        let actual = sha256_hex(&bytes);
        if actual != listed.sha256.to_ascii_lowercase() || bytes.len() as u64 != listed.bytes {
            return Err(ArchiveError::ChecksumMismatch {
                file: listed.name.clone(),
                expected: listed.sha256.clone(),
                actual,
            });
        }
        let lines = count_lines(&bytes);
        if lines != listed.count || (!bytes.is_empty() && !bytes.ends_with(b"\n")) {
            return Err(ArchiveError::CountMismatch {
                file: listed.name.clone(),
                expected: listed.count,
                actual: lines,
            });
        }
        if files.insert(entity, bytes).is_some() {
            return Err(ArchiveError::BadManifest(format!(
                "{} is listed twice",
                listed.name
            )));
        }
    }
    if let Some(extra) = raw.keys().next() {
        return Err(ArchiveError::UnlistedFile(extra.clone()));
    }
    Ok(VerifiedArchive { manifest, files })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn written(lines: &[&str]) -> Vec<u8> {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        let mut writer = ArchiveWriter::new(now);
        let mut clients = JsonLines::new(EntityFile::Clients);
        for line in lines {
            clients
                .push(&serde_json::json!({ "client_id": line }))
                .unwrap();
        }
        writer.add(clients).unwrap();
        writer.add(JsonLines::new(EntityFile::Audit)).unwrap();
        let tenant = TenantId::parse("acme").unwrap();
        writer.finish(&tenant, None).unwrap().0
    }

    /// Rebuilds an archive from `files` (name, bytes) as given, manifest included.
    fn rebuilt(files: Vec<(String, Vec<u8>)>) -> Vec<u8> {
        let mut tar = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
        for (name, bytes) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            tar.append_data(&mut header, name, bytes.as_slice())
                .unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap()
    }

    fn unpacked(archive: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut tar = tar::Archive::new(GzDecoder::new(archive));
        tar.entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let name = e.path().unwrap().to_string_lossy().into_owned();
                let mut bytes = Vec::new();
                e.read_to_end(&mut bytes).unwrap();
                (name, bytes)
            })
            .collect()
    }

    #[test]
    fn a_written_archive_reads_back_with_its_lines_and_counts() {
        let archive = read_archive(&written(&["a", "b"])).unwrap();
        assert_eq!(archive.manifest.counts()["clients.jsonl"], 2);
        assert_eq!(archive.manifest.counts()["audit.jsonl"], 0);
        let lines: Vec<_> = archive
            .lines(EntityFile::Clients)
            .map(|l| l.unwrap()["client_id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(lines, ["a", "b"]);
        assert_eq!(archive.lines(EntityFile::Audit).count(), 0);
    }

    #[test]
    fn a_changed_file_is_refused_naming_it() {
        let files = unpacked(&written(&["a", "b"]))
            .into_iter()
            .map(|(name, bytes)| {
                if name == "clients.jsonl" {
                    (
                        name,
                        b"{\"client_id\":\"x\"}\n{\"client_id\":\"b\"}\n".to_vec(),
                    )
                } else {
                    (name, bytes)
                }
            })
            .collect();
        let error = read_archive(&rebuilt(files)).unwrap_err();
        assert!(
            matches!(&error, ArchiveError::ChecksumMismatch { file, .. } if file == "clients.jsonl"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_manifest_a_missing_file_and_an_extra_file_are_refused() {
        let files = unpacked(&written(&["a"]));
        let without_manifest: Vec<_> = files
            .iter()
            .filter(|(n, _)| n != MANIFEST)
            .cloned()
            .collect();
        assert!(matches!(
            read_archive(&rebuilt(without_manifest)),
            Err(ArchiveError::NoManifest)
        ));
        let without_clients: Vec<_> = files
            .iter()
            .filter(|(n, _)| n != "clients.jsonl")
            .cloned()
            .collect();
        assert!(matches!(
            read_archive(&rebuilt(without_clients)),
            Err(ArchiveError::MissingFile(f)) if f == "clients.jsonl"
        ));
        let mut extra = files.clone();
        extra.insert(0, ("notes.txt".to_string(), b"hi".to_vec()));
        assert!(matches!(
            read_archive(&rebuilt(extra)),
            Err(ArchiveError::UnlistedFile(f)) if f == "notes.txt"
        ));
        assert!(matches!(
            read_archive(b"not a gzip"),
            Err(ArchiveError::Unreadable(_))
        ));
    }

    #[test]
    fn another_format_version_is_refused() {
        let files = unpacked(&written(&["a"]))
            .into_iter()
            .map(|(name, bytes)| {
                if name == MANIFEST {
                    let mut manifest: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                    manifest["format_version"] = 2.into();
                    (name, serde_json::to_vec(&manifest).unwrap())
                } else {
                    (name, bytes)
                }
            })
            .collect();
        assert!(matches!(
            read_archive(&rebuilt(files)),
            Err(ArchiveError::UnsupportedFormat { version: 2, .. })
        ));
    }
}
