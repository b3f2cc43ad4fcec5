//! Keys of the audit trail: each entry in its tenant's partition, sorted by time, so a tenant's trail
//! newest first (and any time range of it) is one query of the table.

use super::{free_key_part, sortable_time, tenant_partition, ItemKeys};
use crate::domain::AuditEntry;
use crate::ports::StoreError;
use chrono::{DateTime, Utc};

/// Every audit entry's sort key begins with this.
pub const AUDIT_PREFIX: &str = "AUDIT#";

/// `AUDIT#<at>#<id>`: string order is time order, and the id tells apart entries of one instant.
pub fn audit_entry(entry: &AuditEntry) -> Result<ItemKeys, StoreError> {
    let id = free_key_part("audit entry id", &entry.id)?;
    if id.contains('#') {
        return Err(StoreError::InvalidInput(
            "audit entry id must not contain #".to_owned(),
        ));
    }
    Ok(ItemKeys::primary(
        tenant_partition(&entry.tenant_id),
        format!("{AUDIT_PREFIX}{}#{id}", sortable_time(entry.at)),
    ))
}

/// The sort key bounds of the entries at or after `from` (`AUDIT#<from>`) and at or before `to`
/// (`AUDIT#<to>~`: `~` sorts after the `#` that follows the time in every key at `to`).
pub fn audit_range(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> (String, String) {
    let low = from.map_or_else(
        || AUDIT_PREFIX.to_owned(),
        |at| format!("{AUDIT_PREFIX}{}", sortable_time(at)),
    );
    let high = to.map_or_else(
        || format!("{AUDIT_PREFIX}~"),
        |at| format!("{AUDIT_PREFIX}{}~", sortable_time(at)),
    );
    (low, high)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AuditActor, AuditChange, AuditEntityKind, TenantId};
    use chrono::TimeZone;

    #[test]
    fn an_entry_sorts_by_time_in_its_tenant_partition_and_inside_its_range() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        let entry = AuditEntry::of(
            TenantId::parse("acme").unwrap(),
            AuditActor::System,
            AuditChange::new("sync_run.finished", AuditEntityKind::SyncRun, "s-1"),
            at,
            None,
        );
        let keys = audit_entry(&entry).unwrap();
        assert_eq!(keys.key.pk, "TENANT#acme");
        assert_eq!(
            keys.key.sk,
            format!("AUDIT#2026-12-01T10:00:00.000000Z#{}", entry.id)
        );
        let (low, high) = audit_range(Some(at), Some(at));
        assert!(low <= keys.key.sk && keys.key.sk <= high);
        let (low, high) = audit_range(None, None);
        assert!(low <= keys.key.sk && keys.key.sk <= high);
        let later = at + chrono::Duration::microseconds(1);
        let (low, _) = audit_range(Some(later), None);
        assert!(keys.key.sk < low);
    }
}
