//! What other platforms hold about one client: the records matched to it (linked, or waiting for
//! review), each with how it was matched and a summary of what it says. Shown on the client's page.

use crate::api::error::ApiError;
use crate::api::ApiState;
use crate::domain::{
    AccountRecord, AccountSignals, AlertSeverity, ClientId, Correlation, CorrelationStatus,
    MatchMethod, Money, PayerRecord, Platform, TenantId,
};
use crate::matching::is_dormant;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One record of another platform matched to the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LinkedRecord {
    pub platform: Platform,
    pub connection_id: String,
    /// The platform's id of the record (a PayPal payer id, a NinjaOne organisation id, a Pax8
    /// company id, a Microsoft 365 tenant id).
    pub external_id: String,
    /// `auto` and `confirmed` count in the client's scores; `needs_review` waits for a person.
    pub status: CorrelationStatus,
    pub method: MatchMethod,
    /// 0-1.
    pub confidence: f64,
    /// The record's business name, or its own name.
    pub name: Option<String>,
    /// The domain of the record's email address (the address itself is never stored).
    pub email_domain: Option<String>,
    /// Invoices still expecting money.
    pub open_invoices: usize,
    /// Overdue amounts, summed per currency.
    pub overdue: Vec<Money>,
    pub open_disputes: usize,
    /// When money was last received ([`PayerRecord::last_payment_at`]).
    pub last_payment_at: Option<DateTime<Utc>>,
    /// What a NinjaOne organisation, Pax8 company or Microsoft 365 tenant says, in short; `null`
    /// for PayPal payers and for accounts not read yet.
    pub account: Option<AccountSummary>,
}

/// The few figures of a linked account the client's page shows, one shape per kind of platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AccountSummary {
    /// NinjaOne: the organisation's devices.
    ItManagement {
        devices: usize,
        /// Devices NinjaOne reports offline.
        offline_devices: usize,
        /// Critical alerts still open on its devices.
        open_critical_alerts: usize,
    },
    /// Pax8: the company's subscriptions.
    CloudSubscriptions {
        /// Seats of the subscriptions being paid for.
        seats: f64,
        /// Distinct products among them.
        products: usize,
        /// Subscriptions cancelled or being cancelled.
        cancellations: usize,
    },
    /// Microsoft 365: the tenant's licences and use.
    Productivity {
        /// Seats bought and usable, over every licence.
        licences_bought: u32,
        /// Seats assigned to users.
        licences_assigned: u32,
        /// Users active on the latest day the reports cover; `null` before the first report.
        active_users: Option<u32>,
    },
}

impl AccountSummary {
    pub fn of(account: &AccountRecord) -> Self {
        match &account.signals {
            AccountSignals::ItManagement(it) => AccountSummary::ItManagement {
                devices: it.devices.len(),
                offline_devices: it.devices.iter().filter(|d| d.offline).count(),
                // Alert rows are current state: the sync drops the ones the platform closed.
                open_critical_alerts: it
                    .alerts
                    .iter()
                    .filter(|a| a.severity == AlertSeverity::Critical)
                    .count(),
            },
            AccountSignals::CloudSubscriptions(cloud) => {
                let live = || cloud.subscriptions.iter().filter(|s| s.status.is_live());
                let mut products: Vec<&str> = live().map(|s| s.product_id.as_str()).collect();
                products.sort_unstable();
                products.dedup();
                AccountSummary::CloudSubscriptions {
                    seats: live().map(|s| s.quantity).sum(),
                    products: products.len(),
                    cancellations: cloud
                        .subscriptions
                        .iter()
                        .filter(|s| {
                            matches!(
                                s.status,
                                crate::domain::CloudSubscriptionStatus::Cancelled
                                    | crate::domain::CloudSubscriptionStatus::PendingCancel
                            )
                        })
                        .count(),
                }
            }
            AccountSignals::Productivity(productivity) => AccountSummary::Productivity {
                licences_bought: productivity.licences.iter().map(|l| l.enabled).sum(),
                licences_assigned: productivity.licences.iter().map(|l| l.consumed).sum(),
                active_users: productivity
                    .daily
                    .iter()
                    .filter(|d| d.active_users.is_some())
                    .max_by_key(|d| d.date)
                    .and_then(|d| d.active_users),
            },
        }
    }
}

impl LinkedRecord {
    fn new(
        correlation: &Correlation,
        payer: Option<&PayerRecord>,
        account: Option<&AccountRecord>,
        now: DateTime<Utc>,
    ) -> Self {
        let today = now.date_naive();
        let mut overdue: BTreeMap<String, f64> = BTreeMap::new();
        let (mut open_invoices, mut open_disputes, mut last_payment_at) = (0, 0, None);
        if let Some(payer) = payer {
            for invoice in &payer.invoices {
                if invoice.status.is_open() {
                    open_invoices += 1;
                }
                if invoice.is_overdue(today) {
                    *overdue
                        .entry(invoice.due_amount.currency.clone())
                        .or_default() += invoice.due_amount.value;
                }
            }
            open_disputes = payer.disputes.iter().filter(|d| d.is_open()).count();
            last_payment_at = payer.last_payment_at(now);
        }
        Self {
            platform: correlation.platform,
            connection_id: correlation.connection_id.to_string(),
            external_id: correlation.external_id.clone(),
            status: correlation.status,
            method: correlation.method,
            confidence: correlation.confidence,
            name: payer
                .and_then(|p| p.business_name.clone().or_else(|| p.name.clone()))
                .or_else(|| account.map(|a| a.name.clone())),
            email_domain: payer.and_then(|p| p.email_domain.clone()),
            open_invoices,
            overdue: overdue
                .into_iter()
                .map(|(currency, value)| Money { value, currency })
                .collect(),
            open_disputes,
            last_payment_at,
            account: account.map(AccountSummary::of),
        }
    }
}

/// The client's linked and proposed records, linked first, then by confidence.
pub(crate) async fn linked_records(
    state: &ApiState,
    tenant_id: &TenantId,
    client_id: &ClientId,
    now: DateTime<Utc>,
) -> Result<Vec<LinkedRecord>, ApiError> {
    let correlations: Vec<Correlation> = state
        .store
        .correlations_for_clients(tenant_id, std::slice::from_ref(client_id))
        .await?
        .into_iter()
        .filter(|c| c.status != CorrelationStatus::Rejected && !is_dormant(c))
        .collect();
    let mut by_connection: BTreeMap<_, (Platform, Vec<String>)> = BTreeMap::new();
    for c in &correlations {
        by_connection
            .entry(c.connection_id.clone())
            .or_insert_with(|| (c.platform, Vec::new()))
            .1
            .push(c.external_id.clone());
    }
    let mut payers: BTreeMap<(String, String), PayerRecord> = BTreeMap::new();
    let mut accounts: BTreeMap<(String, String), AccountRecord> = BTreeMap::new();
    for (connection, (platform, ids)) in by_connection {
        if platform == Platform::Paypal {
            for payer in state.store.get_payers(tenant_id, &connection, &ids).await? {
                payers.insert(
                    (payer.connection_id.to_string(), payer.external_id.clone()),
                    payer,
                );
            }
        } else {
            for account in state
                .store
                .get_accounts(tenant_id, &connection, &ids)
                .await?
            {
                accounts.insert(
                    (
                        account.connection_id.to_string(),
                        account.external_id.clone(),
                    ),
                    account,
                );
            }
        }
    }
    let mut records: Vec<LinkedRecord> = correlations
        .iter()
        .map(|c| {
            let key = (c.connection_id.to_string(), c.external_id.clone());
            LinkedRecord::new(c, payers.get(&key), accounts.get(&key), now)
        })
        .collect();
    records.sort_by(|a, b| {
        b.status
            .is_linked()
            .cmp(&a.status.is_linked())
            .then(b.confidence.total_cmp(&a.confidence))
            .then(a.external_id.cmp(&b.external_id))
    });
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        AccountIdentity, CloudSubscription, CloudSubscriptionStatus, CloudSubscriptions,
        ConnectionId, DailyActivity, DeviceAlert, ItManagement, LicencePool, ManagedDevice,
        Productivity,
    };
    use chrono::{NaiveDate, TimeZone};

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
    }

    fn account(platform: Platform, signals: AccountSignals) -> AccountRecord {
        AccountRecord {
            connection_id: ConnectionId::parse("c-1").unwrap(),
            platform,
            external_id: "x".into(),
            name: "Acme".into(),
            identity: AccountIdentity::default(),
            signals,
            seen_at: at(),
            updated_at: at(),
        }
    }

    #[test]
    fn a_ninjaone_organisation_counts_devices_offline_and_critical_alerts() {
        let device = |id: &str, offline| ManagedDevice {
            id: id.into(),
            serial: None,
            offline,
            last_contact: None,
            health: None,
            failed_patches: 0,
            antivirus_problem: false,
            seen_at: at(),
        };
        let alert = |id: &str, severity| DeviceAlert {
            id: id.into(),
            device_id: None,
            severity,
            created_at: at(),
            seen_at: at(),
        };
        let it = ItManagement {
            devices: vec![device("d1", false), device("d2", true), device("d3", true)],
            alerts: vec![
                alert("a1", AlertSeverity::Critical),
                alert("a2", AlertSeverity::Minor),
            ],
            ..Default::default()
        };
        assert_eq!(
            AccountSummary::of(&account(
                Platform::Ninjaone,
                AccountSignals::ItManagement(it)
            )),
            AccountSummary::ItManagement {
                devices: 3,
                offline_devices: 2,
                open_critical_alerts: 1
            }
        );
    }

    #[test]
    fn a_pax8_company_counts_paid_seats_products_and_cancellations() {
        let sub = |id: &str, product: &str, quantity, status| CloudSubscription {
            id: id.into(),
            product_id: product.into(),
            product_name: product.into(),
            vendor: None,
            quantity,
            status,
            billing_term: None,
            start_date: None,
            end_date: None,
            unit_price: None,
            updated_at: None,
            quantity_history: Vec::new(),
            seen_at: at(),
        };
        let cloud = CloudSubscriptions {
            subscriptions: vec![
                sub("s1", "m365-bp", 10.0, CloudSubscriptionStatus::Active),
                sub("s2", "m365-bp", 5.0, CloudSubscriptionStatus::Active),
                sub("s3", "backup", 2.0, CloudSubscriptionStatus::PendingCancel),
                sub("s4", "av", 8.0, CloudSubscriptionStatus::Cancelled),
            ],
        };
        assert_eq!(
            AccountSummary::of(&account(
                Platform::Pax8,
                AccountSignals::CloudSubscriptions(cloud)
            )),
            AccountSummary::CloudSubscriptions {
                seats: 17.0,
                products: 2,
                cancellations: 2
            }
        );
    }

    #[test]
    fn a_microsoft_365_tenant_sums_licences_and_takes_the_latest_active_users() {
        let pool = |sku: &str, enabled, consumed| LicencePool {
            id: sku.into(),
            sku: sku.into(),
            status: "Enabled".into(),
            enabled,
            warning: 0,
            suspended: 0,
            consumed,
            seen_at: at(),
        };
        let day = |d, active| DailyActivity {
            date: NaiveDate::from_ymd_opt(2026, 11, d).unwrap(),
            active_users: active,
            ..Default::default()
        };
        let productivity = Productivity {
            licences: vec![pool("SPE_E3", 20, 18), pool("EMS", 5, 2)],
            daily: vec![day(20, Some(12)), day(22, Some(9)), day(23, None)],
            ..Default::default()
        };
        assert_eq!(
            AccountSummary::of(&account(
                Platform::M365,
                AccountSignals::Productivity(productivity)
            )),
            AccountSummary::Productivity {
                licences_bought: 25,
                licences_assigned: 20,
                active_users: Some(9)
            }
        );
    }
}
