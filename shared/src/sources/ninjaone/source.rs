//! The NinjaOne `AccountsSource`: a walk over the instance in bulk reads (a batch of organisations
//! with their devices, health, antivirus and alerts per step; then end users; then tickets), and
//! targeted reads of given organisations for webhook-driven syncs.

use crate::domain::{
    AccountIdentity, AccountRecord, AccountSignals, ConnectionId, DeviceAlert, ItManagement,
    ManagedDevice, Platform, SupportTicket,
};
use crate::ports::source::{AccountsPage, AccountsSource, FetchWindow, SourceError};
use crate::sources::ninjaone::client::NinjaClient;
use crate::sources::ninjaone::cursor::{Phase, WalkCursor};
use crate::sources::ninjaone::error::NinjaError;
use crate::sources::ninjaone::normalise;
use crate::sources::ninjaone::reads::{self, org_filter};
use crate::sources::ninjaone::wire;
use crate::sources::paypal::source::{system_clock, Clock};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

pub struct NinjaoneSource {
    connection_id: ConnectionId,
    client: NinjaClient,
    clock: Clock,
}

/// What one batch of organisations read: everything a record of them holds but email domains and
/// tickets.
struct Batch {
    orgs: Vec<wire::Organization>,
    devices: Vec<wire::Device>,
    health: Vec<wire::DeviceHealth>,
    antivirus: Vec<wire::AntivirusStatus>,
    alerts: Vec<wire::Alert>,
}

impl NinjaoneSource {
    pub fn new(connection_id: ConnectionId, client: NinjaClient) -> Self {
        NinjaoneSource {
            connection_id,
            client,
            clock: system_clock(),
        }
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn client(&self) -> &NinjaClient {
        &self.client
    }

    fn record(&self, external_id: u64, name: String, now: DateTime<Utc>) -> AccountRecord {
        AccountRecord {
            connection_id: self.connection_id.clone(),
            platform: Platform::Ninjaone,
            external_id: external_id.to_string(),
            name,
            identity: AccountIdentity::default(),
            signals: AccountSignals::ItManagement(ItManagement::default()),
            seen_at: now,
            updated_at: now,
        }
    }

    /// Reads organisations `orgs` whole but for end users and tickets.
    async fn read_batch(&self, orgs: Vec<wire::Organization>) -> Result<Batch, NinjaError> {
        let ids: Vec<u64> = orgs.iter().filter_map(|o| o.id).collect();
        if ids.is_empty() {
            return Ok(Batch {
                orgs,
                devices: Vec::new(),
                health: Vec::new(),
                antivirus: Vec::new(),
                alerts: Vec::new(),
            });
        }
        let df = org_filter(&ids);
        let devices = reads::devices(&self.client, &df).await?;
        let health = reads::query(&self.client, "/v2/queries/device-health", &df).await?;
        let antivirus = reads::query(&self.client, "/v2/queries/antivirus-status", &df).await?;
        let alerts = reads::alerts(&self.client, &df).await?;
        Ok(Batch {
            orgs,
            devices,
            health,
            antivirus,
            alerts,
        })
    }

    /// The records of a batch, in the organisations' order.
    fn batch_records(
        &self,
        batch: Batch,
        ticketing: bool,
        now: DateTime<Utc>,
    ) -> Vec<AccountRecord> {
        let settings = self.client.settings();
        let health: HashMap<u64, &wire::DeviceHealth> = batch
            .health
            .iter()
            .filter_map(|h| Some((h.device_id?, h)))
            .collect();
        let antivirus: HashMap<u64, &wire::AntivirusStatus> = batch
            .antivirus
            .iter()
            .filter_map(|a| Some((a.device_id?, a)))
            .collect();
        let mut records: BTreeMap<u64, AccountRecord> = BTreeMap::new();
        let mut order = Vec::new();
        for org in &batch.orgs {
            let Some(id) = org.id else { continue };
            let mut record = self.record(id, org.name.clone().unwrap_or_default(), now);
            record.identity.reference_ids =
                normalise::reference_ids(&org.fields, &org.tags, settings);
            if let AccountSignals::ItManagement(it) = &mut record.signals {
                it.ticketing = ticketing;
            }
            records.insert(id, record);
            order.push(id);
        }
        let mut device_org: HashMap<u64, u64> = HashMap::new();
        for device in &batch.devices {
            let (Some(id), Some(org)) = (device.id, device.organization_id) else {
                continue;
            };
            let Some(record) = records.get_mut(&org) else {
                continue;
            };
            device_org.insert(id, org);
            let health_row = health.get(&id).copied();
            let threats = health_row.and_then(|h| h.active_threats_count).unwrap_or(0);
            let serial = normalise::device_serial(device);
            if let Some(serial) = &serial {
                if !record.identity.device_serials.contains(serial) {
                    record.identity.device_serials.push(serial.clone());
                }
            }
            if let AccountSignals::ItManagement(it) = &mut record.signals {
                it.devices.push(ManagedDevice {
                    id: id.to_string(),
                    serial,
                    offline: device.offline.unwrap_or(false),
                    last_contact: normalise::epoch(device.last_contact),
                    health: normalise::health(health_row.and_then(|h| h.health_status.as_deref())),
                    failed_patches: health_row
                        .and_then(|h| h.failed_os_patches_count)
                        .unwrap_or(0),
                    antivirus_problem: normalise::antivirus_problem(
                        antivirus.get(&id).copied(),
                        threats,
                    ),
                    seen_at: now,
                });
            }
        }
        for alert in &batch.alerts {
            let Some(uid) = alert.uid.clone().filter(|u| !u.is_empty()) else {
                continue;
            };
            let org = alert
                .device_id
                .and_then(|d| device_org.get(&d).copied())
                .or_else(|| {
                    alert
                        .device
                        .get("organizationId")
                        .and_then(serde_json::Value::as_u64)
                });
            let Some(record) = org.and_then(|o| records.get_mut(&o)) else {
                continue;
            };
            if let AccountSignals::ItManagement(it) = &mut record.signals {
                it.alerts.push(DeviceAlert {
                    id: uid,
                    device_id: alert.device_id.map(|d| d.to_string()),
                    severity: normalise::alert_severity(alert),
                    created_at: normalise::epoch(alert.create_time).unwrap_or(now),
                    seen_at: now,
                });
            }
        }
        order
            .into_iter()
            .filter_map(|id| records.remove(&id))
            .collect()
    }

    /// Records holding only the email domains of `users`, one per organisation named.
    fn end_user_records(&self, users: &[wire::EndUser], now: DateTime<Utc>) -> Vec<AccountRecord> {
        let mut emails: BTreeMap<u64, Vec<&str>> = BTreeMap::new();
        for user in users {
            if let (Some(org), Some(email)) = (user.organization_id, user.email.as_deref()) {
                emails.entry(org).or_default().push(email);
            }
        }
        emails
            .into_iter()
            .filter_map(|(org, emails)| {
                let domains = normalise::email_domains(emails);
                (!domains.is_empty()).then(|| {
                    let mut record = self.record(org, String::new(), now);
                    record.identity.email_domains = domains;
                    record
                })
            })
            .collect()
    }

    /// Records holding the tickets of `rows` worth keeping (open, or created in the window).
    fn ticket_records(&self, rows: &[wire::TicketRow], now: DateTime<Utc>) -> Vec<AccountRecord> {
        let window = chrono::Duration::from_std(self.client.settings().ticket_window)
            .unwrap_or(chrono::Duration::days(90));
        let mut records: BTreeMap<u64, AccountRecord> = BTreeMap::new();
        for row in rows {
            let (Some(id), Some(org)) = (row.id, normalise::ticket_org(row)) else {
                continue;
            };
            let open = normalise::ticket_open(row);
            let created_at = normalise::epoch(row.create_time);
            let recent = created_at.is_some_and(|at| now - at <= window);
            if !open && !recent {
                continue;
            }
            let record = records
                .entry(org)
                .or_insert_with(|| self.record(org, String::new(), now));
            if let AccountSignals::ItManagement(it) = &mut record.signals {
                it.ticketing = true;
                it.tickets.push(SupportTicket {
                    id: id.to_string(),
                    open,
                    high_priority: normalise::ticket_high_priority(row),
                    created_at: created_at.unwrap_or(now),
                    closed_at: None,
                    seen_at: now,
                });
            }
        }
        records.into_values().collect()
    }

    async fn step(&self, cursor: WalkCursor) -> Result<AccountsPage, NinjaError> {
        let now = (self.clock)();
        let board = cursor.ticket_board;
        let next = |phase| Some(WalkCursor::new(phase, board).encode());
        match cursor.phase {
            Phase::Organizations { after } => {
                let size = self.client.settings().orgs_per_step();
                let orgs = reads::organizations(&self.client, after, size).await?;
                let full = orgs.len() >= size;
                let last = orgs.iter().filter_map(|o| o.id).max();
                let batch = self.read_batch(orgs).await?;
                let accounts = self.batch_records(batch, board.is_some(), now);
                let next_cursor = match (full, last) {
                    (true, Some(last)) if last > after => {
                        next(Phase::Organizations { after: last })
                    }
                    (true, _) => {
                        return Err(NinjaError::Decode(
                            "organisations: paging did not move on".into(),
                        ))
                    }
                    (false, _) => next(Phase::EndUsers),
                };
                Ok(AccountsPage {
                    accounts,
                    next_cursor,
                })
            }
            Phase::EndUsers => {
                let users = reads::end_users(&self.client).await?;
                Ok(AccountsPage {
                    accounts: self.end_user_records(&users, now),
                    next_cursor: board.and_then(|_| next(Phase::Tickets { last_id: None })),
                })
            }
            Phase::Tickets { last_id } => {
                let Some(board) = board else {
                    return Ok(AccountsPage::default());
                };
                let rows = reads::tickets(&self.client, board, last_id, None).await?;
                let full = rows.len() >= self.client.settings().page_size();
                let last = rows.iter().filter_map(|r| r.id).max();
                let next_cursor = match (full, last) {
                    (true, Some(last)) if last_id.is_none_or(|prev| last > prev) => {
                        next(Phase::Tickets {
                            last_id: Some(last),
                        })
                    }
                    (true, _) => {
                        return Err(NinjaError::Decode("tickets: paging did not move on".into()))
                    }
                    (false, _) => None,
                };
                Ok(AccountsPage {
                    accounts: self.ticket_records(&rows, now),
                    next_cursor,
                })
            }
        }
    }
}

#[async_trait::async_trait]
impl AccountsSource for NinjaoneSource {
    fn platform(&self) -> Platform {
        Platform::Ninjaone
    }

    /// NinjaOne gives current state only, so both windows read the same.
    async fn fetch_step(
        &self,
        _window: FetchWindow,
        cursor: Option<&str>,
    ) -> Result<AccountsPage, SourceError> {
        let cursor = match cursor {
            Some(raw) => WalkCursor::decode(raw)?,
            None => {
                let board = reads::ticket_board(&self.client).await?;
                WalkCursor::new(Phase::Organizations { after: 0 }, board)
            }
        };
        Ok(self.step(cursor).await?)
    }

    async fn fetch_accounts(
        &self,
        external_ids: &[String],
    ) -> Result<Vec<AccountRecord>, SourceError> {
        let now = (self.clock)();
        let mut orgs = Vec::new();
        for id in external_ids {
            // Ids that are no NinjaOne organisation id are not ours to read.
            let Ok(id) = id.trim().parse::<u64>() else {
                continue;
            };
            if let Some(org) = reads::organization(&self.client, id).await? {
                orgs.push(wire::Organization {
                    id: org.id.or(Some(id)),
                    ..org
                });
            }
        }
        if orgs.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<u64> = orgs.iter().filter_map(|o| o.id).collect();
        let board = reads::ticket_board(&self.client).await?;
        let batch = self.read_batch(orgs).await?;
        let mut records = self.batch_records(batch, board.is_some(), now);
        let mut users = Vec::new();
        for id in &ids {
            users.extend(reads::org_end_users(&self.client, *id).await?);
        }
        let mut extra = self.end_user_records(&users, now);
        if let Some(board) = board {
            let size = self.client.settings().page_size();
            let mut last_id = None;
            for _ in 0..reads::MAX_PAGES {
                let rows = reads::tickets(&self.client, board, last_id, Some(&ids)).await?;
                extra.extend(self.ticket_records(&rows, now));
                let last = rows.iter().filter_map(|r| r.id).max();
                if rows.len() < size || last.is_none() || last <= last_id {
                    break;
                }
                last_id = last;
            }
        }
        for part in extra {
            if let Some(record) = records
                .iter_mut()
                .find(|r| r.external_id == part.external_id)
            {
                record.merge(part);
            }
        }
        Ok(records)
    }

    fn requests_made(&self) -> u64 {
        self.client.stats().requests
    }
}
