//! Alerting's items: rules (versioned, like connections), per-client states, snoozes, pending alerts
//! with their due markers, the delivery log (kept 90 days) and the per-channel send slots.

use super::{select, select_page, TableStore};
use crate::domain::{
    AlertRule, AlertRuleId, AlertState, ClientId, ClientSnooze, DeliveryRecord, PendingAlert,
    TenantId,
};
use crate::ports::{AlertStore, Page, PageRequest, StoreError};
use crate::store::keys;
use crate::store::query;
use crate::store::row::{Change, Condition, Record, Row, RowFilter, Table};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

/// How long the delivery log keeps a record.
pub const DELIVERY_RETENTION_DAYS: i64 = 90;

/// Reservations of a send slot tried before giving up: each failed attempt means another caller
/// took a slot, so this many callers at once on one channel all get theirs.
pub const SEND_SLOT_ATTEMPTS: u32 = 32;

/// The longest pause between two reservation attempts.
const SEND_SLOT_MAX_PAUSE: Duration = Duration::from_millis(50);

fn rule_of(record: Record) -> Option<AlertRule> {
    match record {
        Record::AlertRule { rule } => Some(rule),
        _ => None,
    }
}

fn state_of(record: Record) -> Option<AlertState> {
    match record {
        Record::AlertState { state } => Some(state),
        _ => None,
    }
}

fn pending_of(record: Record) -> Option<PendingAlert> {
    match record {
        Record::PendingAlert { alert } => Some(alert),
        _ => None,
    }
}

fn delivery_of(record: Record) -> Option<DeliveryRecord> {
    match record {
        Record::Delivery { delivery } => Some(delivery),
        _ => None,
    }
}

fn rule_row(rule: &AlertRule) -> Row {
    Row::new(
        keys::alert_rule(&rule.tenant_id, &rule.id),
        Record::AlertRule { rule: rule.clone() },
    )
}

/// A stamp no earlier write of a marker had (with overwhelming likelihood).
fn fresh_stamp() -> u64 {
    rand::random()
}

/// The pause before reservation attempt `attempt` (from 1): growing, with jitter so callers that
/// collided do not collide again in step.
fn slot_pause(attempt: u32) -> Duration {
    let cap = (2u64 << attempt.min(5)).min(SEND_SLOT_MAX_PAUSE.as_millis() as u64);
    Duration::from_millis(rand::random_range(1..=cap.max(1)))
}

impl<T: Table> TableStore<T> {
    /// Deletes the tenant's due markers whose hour holds no pending alert any more. A marker is read
    /// before the alerts and deleted only if its stamp is still the one read: an alert queued
    /// meanwhile (alerts are written before their marker) rewrites the marker, and it stays.
    async fn settle_due_markers(&self, tenant_id: &TenantId) -> Result<(), StoreError> {
        let markers = self
            .table
            .query_rows(
                &query::tenant_items_under(
                    tenant_id,
                    keys::ALERTS_DUE_PREFIX.to_owned(),
                    "alerts_due_markers",
                ),
                RowFilter::All,
            )
            .await?;
        if markers.is_empty() {
            return Ok(());
        }
        let occupied: HashSet<DateTime<Utc>> = select(
            self.table
                .query_rows(
                    &query::tenant_items_under(
                        tenant_id,
                        keys::PENDING_ALERT_PREFIX.to_owned(),
                        "pending_alerts",
                    ),
                    RowFilter::All,
                )
                .await?,
            pending_of,
        )
        .into_iter()
        .map(|alert| keys::due_hour(alert.due_at))
        .collect();
        for marker in markers {
            if let Record::AlertsDue { hour, stamp, .. } = marker.record {
                if !occupied.contains(&hour) {
                    self.table
                        .delete_row_if(&marker.keys.key, Condition::VersionIs(stamp))
                        .await?;
                }
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl<T: Table> AlertStore for TableStore<T> {
    async fn create_alert_rule(&self, rule: &AlertRule) -> Result<(), StoreError> {
        if self
            .table
            .put_row_if(rule_row(rule), Condition::Absent)
            .await?
        {
            Ok(())
        } else {
            Err(StoreError::conflict("alert rule", &rule.id))
        }
    }

    async fn get_alert_rule(
        &self,
        tenant_id: &TenantId,
        rule_id: &AlertRuleId,
    ) -> Result<AlertRule, StoreError> {
        self.record_at(&keys::alert_rule_key(tenant_id, rule_id))
            .await?
            .and_then(rule_of)
            .ok_or_else(|| StoreError::not_found("alert rule", rule_id))
    }

    async fn update_alert_rule(&self, rule: &AlertRule) -> Result<AlertRule, StoreError> {
        let mut updated = rule.clone();
        updated.version += 1;
        self.put_next_version(
            rule_row(&updated),
            rule.version,
            "alert rule",
            rule.id.as_str(),
        )
        .await?;
        Ok(updated)
    }

    async fn list_alert_rules(&self, tenant_id: &TenantId) -> Result<Vec<AlertRule>, StoreError> {
        let plan =
            query::tenant_items_under(tenant_id, keys::ALERT_RULE_PREFIX.to_owned(), "alert_rules");
        Ok(select(
            self.table.query_rows(&plan, RowFilter::All).await?,
            rule_of,
        ))
    }

    /// The rule goes first, so notify stops using it; a failure after that leaves states or pending
    /// alerts that deleting again removes.
    async fn delete_alert_rule(
        &self,
        tenant_id: &TenantId,
        rule_id: &AlertRuleId,
    ) -> Result<(), StoreError> {
        self.table
            .delete_row_if(&keys::alert_rule_key(tenant_id, rule_id), Condition::Always)
            .await?;
        let states = query::tenant_items_under(
            tenant_id,
            keys::alert_states_prefix(rule_id),
            "alert_states",
        );
        self.delete_all(&states).await?;
        let pending = query::tenant_items_under(
            tenant_id,
            keys::pending_alerts_prefix(rule_id),
            "rule_pending_alerts",
        );
        if self.delete_all(&pending).await? > 0 {
            self.settle_due_markers(tenant_id).await?;
        }
        Ok(())
    }

    async fn alert_states(
        &self,
        tenant_id: &TenantId,
        keys: &[(AlertRuleId, ClientId)],
    ) -> Result<Vec<AlertState>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let keys = keys
            .iter()
            .map(|(rule_id, client_id)| keys::alert_state(tenant_id, rule_id, client_id).key)
            .collect();
        Ok(select(self.table.get_rows(keys).await?, state_of))
    }

    async fn put_alert_states(
        &self,
        tenant_id: &TenantId,
        states: &[AlertState],
    ) -> Result<(), StoreError> {
        let rows = query::last_wins(states.iter(), |state| {
            (state.rule_id.clone(), state.client_id.clone())
        });
        let changes = rows
            .into_iter()
            .map(|state| {
                let keys = keys::alert_state(tenant_id, &state.rule_id, &state.client_id);
                let record = Record::AlertState {
                    state: state.clone(),
                };
                Change::Put(Box::new(Row::new(keys, record)))
            })
            .collect();
        self.table.write_rows(changes).await.map(|_| ())
    }

    async fn delete_alert_states(
        &self,
        tenant_id: &TenantId,
        keys: &[(AlertRuleId, ClientId)],
    ) -> Result<(), StoreError> {
        let keys = query::last_wins(
            keys.iter()
                .map(|(rule_id, client_id)| keys::alert_state(tenant_id, rule_id, client_id).key),
            Clone::clone,
        );
        let changes = keys.into_iter().map(Change::Delete).collect();
        self.table.write_rows(changes).await.map(|_| ())
    }

    /// One snooze per client (a new one replaces it). Ended snoozes stay until deleted or replaced:
    /// at most one per client, and `active_snoozes` leaves them out.
    async fn put_snooze(
        &self,
        tenant_id: &TenantId,
        snooze: &ClientSnooze,
    ) -> Result<(), StoreError> {
        let row = Row::new(
            keys::snooze(tenant_id, &snooze.client_id),
            Record::Snooze {
                snooze: snooze.clone(),
            },
        );
        self.put(row).await
    }

    async fn delete_snooze(
        &self,
        tenant_id: &TenantId,
        client_id: &ClientId,
    ) -> Result<(), StoreError> {
        self.table
            .delete_row_if(&keys::snooze(tenant_id, client_id).key, Condition::Always)
            .await
            .map(|_| ())
    }

    async fn active_snoozes(
        &self,
        tenant_id: &TenantId,
        now: DateTime<Utc>,
    ) -> Result<Vec<ClientSnooze>, StoreError> {
        let plan = query::tenant_items_under(tenant_id, keys::SNOOZE_PREFIX.to_owned(), "snoozes");
        let rows = self.table.query_rows(&plan, RowFilter::All).await?;
        Ok(select(rows, |record| match record {
            Record::Snooze { snooze } if snooze.until > now => Some(snooze),
            _ => None,
        }))
    }

    /// Writes the alerts, then one marker per hour they fall due in (after the alerts: see
    /// `settle_due_markers`). An alert replacing one due in another hour may leave that hour's
    /// marker without alerts; the markers are settled then.
    async fn put_pending_alerts(
        &self,
        tenant_id: &TenantId,
        alerts: &[PendingAlert],
    ) -> Result<(), StoreError> {
        if alerts.is_empty() {
            return Ok(());
        }
        let alerts = query::last_wins(alerts.iter(), |alert| {
            keys::pending_alert(tenant_id, alert).key
        });
        let replaced_hours: BTreeSet<DateTime<Utc>> = select(
            self.table
                .get_rows(
                    alerts
                        .iter()
                        .map(|alert| keys::pending_alert(tenant_id, alert).key)
                        .collect(),
                )
                .await?,
            pending_of,
        )
        .into_iter()
        .map(|alert| keys::due_hour(alert.due_at))
        .collect();
        let hours: BTreeSet<DateTime<Utc>> = alerts
            .iter()
            .map(|alert| keys::due_hour(alert.due_at))
            .collect();
        let changes = alerts
            .iter()
            .map(|alert| {
                let keys = keys::pending_alert(tenant_id, alert);
                let record = Record::PendingAlert {
                    alert: (*alert).clone(),
                };
                Change::Put(Box::new(Row::new(keys, record)))
            })
            .collect();
        self.table.write_rows(changes).await?;
        let markers = hours
            .iter()
            .map(|hour| {
                let record = Record::AlertsDue {
                    tenant_id: tenant_id.clone(),
                    hour: *hour,
                    stamp: fresh_stamp(),
                };
                Change::Put(Box::new(Row::new(
                    keys::alerts_due_marker(tenant_id, *hour),
                    record,
                )))
            })
            .collect();
        self.table.write_rows(markers).await?;
        if !replaced_hours.is_subset(&hours) {
            self.settle_due_markers(tenant_id).await?;
        }
        Ok(())
    }

    /// Each tenant once per page, oldest due hour first. A tenant with markers of several hours
    /// may show on two pages; releasing is idempotent. The cursor holds for the hour of `now` it
    /// was made in.
    async fn tenants_with_due_alerts(
        &self,
        now: DateTime<Utc>,
        page: &PageRequest,
    ) -> Result<Page<TenantId>, StoreError> {
        let page = self
            .table
            .query_rows_page(&query::alerts_due(now), RowFilter::All, page)
            .await?;
        let mut seen = HashSet::new();
        let items = select(page.items, |record| match record {
            Record::AlertsDue { tenant_id, .. } => Some(tenant_id),
            _ => None,
        })
        .into_iter()
        .filter(|tenant_id| seen.insert(tenant_id.clone()))
        .collect();
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }

    async fn due_pending_alerts(
        &self,
        tenant_id: &TenantId,
        now: DateTime<Utc>,
    ) -> Result<Vec<PendingAlert>, StoreError> {
        let rows = self
            .table
            .query_rows(&query::due_pending_alerts(tenant_id, now), RowFilter::All)
            .await?;
        Ok(select(rows, pending_of))
    }

    /// Deletes the alerts, then the tenant's markers left without alerts (also when `alerts` is
    /// empty: a release that found nothing due clears its marker that way).
    async fn delete_pending_alerts(
        &self,
        tenant_id: &TenantId,
        alerts: &[PendingAlert],
    ) -> Result<(), StoreError> {
        let keys = query::last_wins(
            alerts
                .iter()
                .map(|alert| keys::pending_alert(tenant_id, alert).key),
            Clone::clone,
        );
        self.table
            .write_rows(keys.into_iter().map(Change::Delete).collect())
            .await?;
        self.settle_due_markers(tenant_id).await
    }

    async fn put_delivery(&self, record: &DeliveryRecord) -> Result<(), StoreError> {
        let keys = keys::delivery(&record.tenant_id, &record.id, record.created_at)?;
        let expires_at = (record.created_at + TimeDelta::days(DELIVERY_RETENTION_DAYS)).timestamp();
        let row = Row::new(
            keys,
            Record::Delivery {
                delivery: record.clone(),
            },
        )
        .expiring(expires_at);
        self.put(row).await
    }

    async fn get_delivery(
        &self,
        tenant_id: &TenantId,
        delivery_id: &str,
    ) -> Result<Option<DeliveryRecord>, StoreError> {
        let key = keys::delivery_key(tenant_id, delivery_id)?;
        // TTL deletes lazily: a record past its expiry is gone already.
        Ok(self
            .table
            .get_row(&key)
            .await?
            .filter(|row| row.live_at(Utc::now().timestamp()))
            .and_then(|row| delivery_of(row.record)))
    }

    async fn list_deliveries(
        &self,
        tenant_id: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<DeliveryRecord>, StoreError> {
        let page = self
            .table
            .query_rows_page(&query::deliveries(tenant_id), RowFilter::Unexpired, page)
            .await?;
        Ok(select_page(page, delivery_of))
    }

    /// Reads the channel's last slot and writes the next one conditional on the version read; a
    /// failed condition means another caller took a slot first, so it reads again after a short
    /// jittered pause, at most [`SEND_SLOT_ATTEMPTS`] times, then gives up with `Throttled`.
    /// One small item per channel key, kept (its next reservation reads it).
    async fn reserve_send_slot(
        &self,
        tenant_id: &TenantId,
        channel_key: &str,
        min_interval: Duration,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, StoreError> {
        let keys = keys::send_slot(tenant_id, channel_key)?;
        let interval = TimeDelta::from_std(min_interval)
            .map_err(|_| StoreError::InvalidInput("the send interval is too long".to_owned()))?;
        for attempt in 1..=SEND_SLOT_ATTEMPTS {
            let last = match self.record_at(&keys.key).await? {
                Some(Record::SendSlot { slot, version }) => Some((slot, version)),
                _ => None,
            };
            let (slot, version, condition) = match last {
                None => (now, 0, Condition::Absent),
                Some((last_slot, version)) => (
                    now.max(last_slot + interval),
                    version + 1,
                    Condition::VersionIs(version),
                ),
            };
            let row = Row::new(keys.clone(), Record::SendSlot { slot, version });
            if self.table.put_row_if(row, condition).await? {
                return Ok(slot);
            }
            if attempt < SEND_SLOT_ATTEMPTS {
                tokio::time::sleep(slot_pause(attempt)).await;
            }
        }
        Err(StoreError::Throttled(format!(
            "no send slot on channel {channel_key} after {SEND_SLOT_ATTEMPTS} attempts: too many \
             senders at once"
        )))
    }
}
