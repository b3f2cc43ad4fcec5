//! Builders for account records (NinjaOne organisations, Pax8 companies, Microsoft 365 tenants) and
//! their links, dated in days before the scoring tests' `now`.

use super::{days_ago, now};
use chrono::{Duration, NaiveDate};
use shared::domain::{
    AccountIdentity, AccountRecord, AccountSignals, AlertSeverity, ClientId, CloudSubscription,
    CloudSubscriptionStatus, CloudSubscriptions, ConnectionId, DailyActivity, DeviceAlert,
    ItManagement, LicencePool, ManagedDevice, MatchMethod, Platform, Productivity, QuantityChange,
    SupportTicket,
};
use shared::scoring::{LinkedRecords, RecordMatch};

fn record(platform: Platform, external_id: &str, signals: AccountSignals) -> AccountRecord {
    AccountRecord {
        connection_id: ConnectionId::parse(format!("{}-1", platform.as_str())).unwrap(),
        platform,
        external_id: external_id.to_owned(),
        name: format!("Account {external_id}"),
        identity: AccountIdentity::default(),
        signals,
        seen_at: now(),
        updated_at: now(),
    }
}

// ---- NinjaOne -------------------------------------------------------------------------------

pub struct NinjaBuilder {
    external_id: String,
    it: ItManagement,
}

pub fn ninja(external_id: &str) -> NinjaBuilder {
    NinjaBuilder {
        external_id: external_id.to_owned(),
        it: ItManagement::default(),
    }
}

impl NinjaBuilder {
    /// `online` devices in contact today and `offline` ones out of contact for `offline_days`.
    pub fn devices(mut self, online: u32, offline: u32, offline_days: f64) -> Self {
        for i in 0..online + offline {
            let is_offline = i >= online;
            self.it.devices.push(ManagedDevice {
                id: format!("d{}", self.it.devices.len()),
                serial: Some(format!("SN{:08}", self.it.devices.len())),
                offline: is_offline,
                last_contact: Some(if is_offline {
                    days_ago(offline_days)
                } else {
                    now()
                }),
                health: None,
                failed_patches: 0,
                antivirus_problem: false,
                seen_at: now(),
            });
        }
        self
    }

    /// `n` open alerts of `severity`, raised `days` ago.
    pub fn alerts(mut self, severity: AlertSeverity, n: u32, days: f64) -> Self {
        for _ in 0..n {
            self.it.alerts.push(DeviceAlert {
                id: format!("a{}", self.it.alerts.len()),
                device_id: None,
                severity,
                created_at: days_ago(days),
                seen_at: now(),
            });
        }
        self
    }

    /// `n` tickets opened `days` ago (ticketing on).
    pub fn tickets(mut self, n: u32, open: bool, high_priority: bool, days: f64) -> Self {
        self.it.ticketing = true;
        for _ in 0..n {
            self.it.tickets.push(SupportTicket {
                id: format!("t{}", self.it.tickets.len()),
                open,
                high_priority,
                created_at: days_ago(days),
                closed_at: (!open).then(|| days_ago(days / 2.0)),
                seen_at: now(),
            });
        }
        self
    }

    /// The first `n` devices fail patches and have antivirus problems.
    pub fn failing(mut self, n: usize) -> Self {
        for device in self.it.devices.iter_mut().take(n) {
            device.failed_patches = 2;
            device.antivirus_problem = true;
        }
        self
    }

    pub fn build(self) -> AccountRecord {
        record(
            Platform::Ninjaone,
            &self.external_id,
            AccountSignals::ItManagement(self.it),
        )
    }
}

// ---- Pax8 -----------------------------------------------------------------------------------

pub struct Pax8Builder {
    external_id: String,
    subs: CloudSubscriptions,
}

pub fn pax8(external_id: &str) -> Pax8Builder {
    Pax8Builder {
        external_id: external_id.to_owned(),
        subs: CloudSubscriptions::default(),
    }
}

fn date_ago(days: i64) -> NaiveDate {
    (now() - Duration::days(days)).date_naive()
}

impl Pax8Builder {
    /// An active subscription of `product` that had `before` seats until 60 days ago and `seats`
    /// since, started a year ago.
    pub fn seats(mut self, product: &str, before: f64, seats: f64) -> Self {
        let id = format!("s{}", self.subs.subscriptions.len());
        self.subs.subscriptions.push(CloudSubscription {
            id,
            product_id: product.to_owned(),
            product_name: format!("Product {product}"),
            vendor: None,
            quantity: seats,
            status: CloudSubscriptionStatus::Active,
            billing_term: Some("Monthly".to_owned()),
            start_date: Some(date_ago(365)),
            end_date: None,
            unit_price: Some(20.0),
            updated_at: Some(days_ago(60.0)),
            quantity_history: vec![
                QuantityChange {
                    at: days_ago(365.0),
                    quantity: before,
                },
                QuantityChange {
                    at: days_ago(60.0),
                    quantity: seats,
                },
            ],
            seen_at: now(),
        });
        self
    }

    /// A subscription of `product` with `seats`, cancelled `days` ago.
    pub fn cancelled(mut self, product: &str, seats: f64, days: i64) -> Self {
        self = self.seats(product, seats, seats);
        if let Some(last) = self.subs.subscriptions.last_mut() {
            last.status = CloudSubscriptionStatus::Cancelled;
            last.end_date = Some(date_ago(days));
        }
        self
    }

    pub fn build(self) -> AccountRecord {
        record(
            Platform::Pax8,
            &self.external_id,
            AccountSignals::CloudSubscriptions(self.subs),
        )
    }
}

// ---- Microsoft 365 --------------------------------------------------------------------------

pub struct M365Builder {
    external_id: String,
    productivity: Productivity,
}

pub fn m365(external_id: &str) -> M365Builder {
    M365Builder {
        external_id: external_id.to_owned(),
        productivity: Productivity::default(),
    }
}

impl M365Builder {
    pub fn licences(mut self, sku: &str, enabled: u32, consumed: u32) -> Self {
        self.productivity.licences.push(LicencePool {
            id: format!("sku-{sku}"),
            sku: sku.to_owned(),
            status: "Enabled".to_owned(),
            enabled,
            warning: 0,
            suspended: 0,
            consumed,
            seen_at: now(),
        });
        self
    }

    pub fn active_users(mut self, users: u32) -> Self {
        self.productivity.active_users_30d = Some(users);
        self
    }

    /// 60 days of daily reports: `prior` users (and 10 emails and `prior` Teams users per user) a
    /// day in the first 30, `recent` in the last 30.
    pub fn daily(mut self, prior: u32, recent: u32) -> Self {
        for day in 0..60 {
            let users = if day < 30 { prior } else { recent };
            self.productivity.daily.push(DailyActivity {
                date: date_ago(62 - day),
                active_users: Some(users),
                emails_sent: Some(u64::from(users) * 5),
                emails_received: Some(u64::from(users) * 5),
                teams_active_users: Some(users),
            });
        }
        self
    }

    pub fn build(self) -> AccountRecord {
        record(
            Platform::M365,
            &self.external_id,
            AccountSignals::Productivity(self.productivity),
        )
    }
}

/// The accounts linked to `client`, each at its match confidence (by website, or verified domain
/// for Microsoft 365).
pub fn linked_accounts(
    client: &str,
    accounts: Vec<(AccountRecord, f64)>,
) -> (ClientId, LinkedRecords) {
    let mut records = LinkedRecords::default();
    for (account, confidence) in accounts {
        let method = if account.platform == Platform::M365 {
            MatchMethod::VerifiedDomain
        } else {
            MatchMethod::Website
        };
        records.push_account(
            RecordMatch {
                platform: account.platform,
                method,
                confidence,
            },
            account,
        );
    }
    (ClientId::parse(client).unwrap(), records)
}
