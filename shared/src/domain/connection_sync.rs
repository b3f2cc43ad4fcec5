//! What a sync does to its connection's record: the rules, pure, so the sync handler only loads and
//! saves. Like the tenant's ([`crate::domain::Tenant::mark_needs_reauth`]), a status a sync sets never
//! overrides a person: credentials given after the sync started, or a pause, win.

use crate::domain::{Connection, ConnectionStatus, SyncMode};
use chrono::{DateTime, Utc};

impl Connection {
    /// The mode a sync of this connection runs in when `requested` was asked for: full until one full
    /// sync has finished (a first incremental has nothing to be incremental from), else as asked.
    pub fn sync_mode(&self, requested: SyncMode) -> SyncMode {
        match requested {
            SyncMode::Incremental if self.last_full_sync_at.is_none() => SyncMode::Full,
            other => other,
        }
    }

    /// Records a finished sync of `mode` that started at `started_at`: the next incremental window
    /// starts there. A targeted (objects) sync covers no window and changes nothing here. A
    /// connection in `error` that synced again is `active`. Returns whether anything changed.
    pub fn record_sync(
        &mut self,
        mode: SyncMode,
        started_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        let mut changed = false;
        if mode != SyncMode::Objects {
            self.last_sync_at = Some(
                self.last_sync_at
                    .map_or(started_at, |at| at.max(started_at)),
            );
            if mode == SyncMode::Full {
                self.last_full_sync_at = Some(
                    self.last_full_sync_at
                        .map_or(started_at, |at| at.max(started_at)),
                );
            }
            changed = true;
        }
        if self.status == ConnectionStatus::Error {
            self.status = ConnectionStatus::Active;
            self.status_reason = None;
            changed = true;
        }
        if changed {
            self.updated_at = now;
        }
        changed
    }

    /// Marks the connection `needs_reauth` with the platform's `reason` after a sync that started at
    /// `sync_started_at` found its credentials refused. Returns whether that is news: `false` when
    /// the connection was not syncing any more (paused, already waiting) or got new credentials
    /// after the sync started.
    pub fn mark_needs_reauth(
        &mut self,
        reason: impl Into<String>,
        sync_started_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        self.mark(ConnectionStatus::NeedsReauth, reason, sync_started_at, now)
    }

    /// Marks the connection `error` with `reason`: syncing failed in a way retries do not fix. The
    /// schedule still tries it; the next success restores `active`.
    pub fn mark_error(
        &mut self,
        reason: impl Into<String>,
        sync_started_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        self.mark(ConnectionStatus::Error, reason, sync_started_at, now)
    }

    fn mark(
        &mut self,
        status: ConnectionStatus,
        reason: impl Into<String>,
        sync_started_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        if !self.status.is_syncable() || self.connected_at > sync_started_at {
            return false;
        }
        let reason = reason.into();
        if self.status == status && self.status_reason.as_deref() == Some(reason.as_str()) {
            return false;
        }
        self.status = status;
        self.status_reason = Some(reason);
        self.updated_at = now;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ConnectionId, ConnectionSettings, PaypalEnvironment, Platform, TenantId};
    use chrono::{Duration, TimeZone};

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, hour, 0, 0).unwrap()
    }

    fn paypal() -> Connection {
        Connection {
            tenant_id: TenantId::parse("acme").unwrap(),
            id: ConnectionId::parse("paypal-1").unwrap(),
            platform: Platform::Paypal,
            label: "PayPal".into(),
            status: ConnectionStatus::Active,
            status_reason: None,
            credentials_secret_id: "tenant/acme/paypal-1".into(),
            settings: ConnectionSettings::Paypal {
                environment: PaypalEnvironment::Sandbox,
                webhook_id: None,
            },
            connected_at: at(1),
            last_sync_at: None,
            last_full_sync_at: None,
            created_at: at(1),
            updated_at: at(1),
            webhook_registered: None,
            version: 0,
        }
    }

    #[test]
    fn the_first_sync_is_full_then_as_asked() {
        let mut connection = paypal();
        assert_eq!(connection.sync_mode(SyncMode::Incremental), SyncMode::Full);
        assert_eq!(connection.sync_mode(SyncMode::Objects), SyncMode::Objects);
        connection.record_sync(SyncMode::Full, at(2), at(3));
        assert_eq!(
            connection.sync_mode(SyncMode::Incremental),
            SyncMode::Incremental
        );
        assert_eq!(connection.last_sync_at, Some(at(2)));
        assert_eq!(connection.last_full_sync_at, Some(at(2)));
    }

    #[test]
    fn a_targeted_sync_moves_no_window_and_an_older_run_never_moves_it_back() {
        let mut connection = paypal();
        connection.record_sync(SyncMode::Incremental, at(5), at(6));
        assert!(!connection.record_sync(SyncMode::Objects, at(7), at(7)));
        assert_eq!(connection.last_sync_at, Some(at(5)));
        connection.record_sync(SyncMode::Incremental, at(4), at(8));
        assert_eq!(connection.last_sync_at, Some(at(5)));
    }

    #[test]
    fn needs_reauth_is_news_once_and_never_overrides_a_pause_or_new_credentials() {
        let mut connection = paypal();
        assert!(connection.mark_needs_reauth("invalid_client", at(2), at(3)));
        assert_eq!(connection.status, ConnectionStatus::NeedsReauth);
        assert!(!connection.mark_needs_reauth("invalid_client", at(2), at(3)));

        let mut paused = paypal();
        paused.status = ConnectionStatus::Paused;
        assert!(!paused.mark_needs_reauth("invalid_client", at(2), at(3)));
        assert_eq!(paused.status, ConnectionStatus::Paused);

        let mut reconnected = paypal();
        reconnected.connected_at = at(2) + Duration::minutes(1);
        assert!(!reconnected.mark_needs_reauth("invalid_client", at(2), at(3)));
        assert_eq!(reconnected.status, ConnectionStatus::Active);
    }

    #[test]
    fn a_success_clears_an_error() {
        let mut connection = paypal();
        assert!(connection.mark_error("stalled", at(2), at(3)));
        connection.record_sync(SyncMode::Incremental, at(4), at(5));
        assert_eq!(connection.status, ConnectionStatus::Active);
        assert_eq!(connection.status_reason, None);
    }
}
