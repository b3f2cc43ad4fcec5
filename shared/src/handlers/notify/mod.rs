//! The notify function: alerts for the client changes score emits, the hourly release of held
//! alerts, and the HubSpot write-back after each scoring. It reads its events from an SQS queue in
//! batches (see [`batch`]) and answers which records failed, so only those are handed out again.
//!
//! Per batch: the records are grouped by tenant; a tenant's alerting settings, rules and snoozes
//! are read once; the rules of `crate::alerts` decide what fires and what hygiene holds back; what
//! goes now is planned per (rule, channel) (a burst becomes one digest) and delivered by
//! [`deliver`], paced per channel and recorded. An event fails (and is retried by the queue) only
//! when something about it can still succeed later: a store error, or a channel that stayed
//! unavailable. Refused messages and gone channels are recorded and do not fail the event.

pub mod batch;
pub mod changes;
pub mod deliver;
pub mod function;
pub mod release;
pub mod writeback;

use crate::handlers::route::Trigger;
use crate::ports::alerts::AlertSender;
use crate::ports::{Store, StoreError};
use batch::{Decoded, Received};
use chrono::{DateTime, Utc};
use deliver::{Courier, Pacing};
use std::collections::BTreeMap;
use std::time::Instant;

/// What notify needs: the store, the channels, and the dashboard's address for links.
pub struct Notifier<'a, S: ?Sized> {
    pub store: &'a S,
    pub sender: &'a dyn AlertSender,
    /// The dashboard's own address (`https://insights.example.com/`), for links in alerts.
    pub dashboard_url: Option<String>,
    pub pacing: Pacing,
    /// The CRM write-back after each scoring; `None` where it is not wired (some tests).
    pub writebacks: Option<&'a dyn writeback::WritebackClients>,
}

/// What one batch did, for the log and the tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// SQS message ids to hand out again (and finally park in the dead-letter queue).
    pub failed: Vec<String>,
    pub messages_sent: usize,
    pub alerts_held: usize,
    pub alerts_released: usize,
}

impl<S> Notifier<'_, S>
where
    S: Store + ?Sized,
{
    /// Handles a decoded batch by `deadline`, at `now`.
    pub async fn handle_batch(
        &self,
        decoded: Decoded,
        deadline: Instant,
        now: DateTime<Utc>,
    ) -> BatchReport {
        let mut report = BatchReport {
            failed: decoded.undecodable,
            ..BatchReport::default()
        };
        let mut by_tenant: BTreeMap<String, Vec<Received>> = BTreeMap::new();
        for received in decoded.received {
            match &received.trigger {
                Trigger::AlertRelease => {
                    let courier = self.courier(deadline, received.last_receive);
                    match release::release_due(&courier, self.dashboard_url.as_deref(), now).await {
                        Ok(released) => {
                            report.messages_sent += released.messages_sent;
                            report.alerts_released += released.alerts_released;
                            if released.retry_later > 0 {
                                report.failed.push(received.message_id.clone());
                            }
                        }
                        Err(error) => {
                            tracing::error!(%error, "the alert release failed; the queue retries it");
                            report.failed.push(received.message_id.clone());
                        }
                    }
                }
                Trigger::ScoresUpdated(updated) => {
                    let Some(clients) = self.writebacks else {
                        continue;
                    };
                    if let Err(error) =
                        writeback::after_scoring(self.store, clients, updated, now).await
                    {
                        tracing::warn!(tenant = %updated.tenant_id, %error,
                            "the HubSpot write-back will be tried again");
                        report.failed.push(received.message_id.clone());
                    }
                }
                Trigger::ClientHealthChanged(e) => {
                    tenant_entry(&mut by_tenant, &e.tenant_id).push(received.clone())
                }
                Trigger::InsightOpened(e) => {
                    tenant_entry(&mut by_tenant, &e.tenant_id).push(received.clone())
                }
                Trigger::InsightResolved(e) => {
                    tenant_entry(&mut by_tenant, &e.tenant_id).push(received.clone())
                }
                other => {
                    tracing::error!(detail_type = other.detail_type(), "not an event for notify");
                    report.failed.push(received.message_id.clone());
                }
            }
        }
        for (_tenant, records) in by_tenant {
            let last_receive = records.iter().any(|r| r.last_receive);
            let courier = self.courier(deadline, last_receive);
            match changes::alert_on_changes(self, &courier, &records, now).await {
                Ok(outcome) => {
                    report.messages_sent += outcome.messages_sent;
                    report.alerts_held += outcome.alerts_held;
                    report.failed.extend(outcome.retry_records);
                }
                Err(error) => {
                    tracing::error!(%error, "alerts for a tenant failed; the queue retries its events");
                    report
                        .failed
                        .extend(records.iter().map(|r| r.message_id.clone()));
                }
            }
        }
        report.failed.sort();
        report.failed.dedup();
        report
    }

    fn courier(&self, deadline: Instant, last_receive: bool) -> Courier<'_, S> {
        Courier {
            store: self.store,
            sender: self.sender,
            pacing: self.pacing,
            deadline,
            last_receive,
            out_of_time: Default::default(),
        }
    }
}

fn tenant_entry<'m>(
    by_tenant: &'m mut BTreeMap<String, Vec<Received>>,
    tenant_id: &crate::domain::TenantId,
) -> &'m mut Vec<Received> {
    by_tenant.entry(tenant_id.to_string()).or_default()
}

/// Why a tenant's alerts could not be worked out (the events are retried).
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
}
