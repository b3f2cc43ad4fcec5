//! The walk over a connection's customer tenants: one tenant per step, each step a complete record
//! of that tenant (organization, licences, Intune serials and, once a day, the usage reports).

use crate::domain::{
    AccountIdentity, AccountRecord, AccountSignals, ConnectionId, M365CustomerTenant, Platform,
    Productivity,
};
use crate::ports::source::{AccountsPage, AccountsSource, FetchWindow, SourceError};
use crate::sources::m365::client::{GraphClient, RequestKind};
use crate::sources::m365::normalise::{self, AppUse};
use crate::sources::m365::wire::{
    AppUserDetail, Collection, ManagedDevice, Organization, ReportSettings, SubscribedSku,
};

/// The report columns read: active users in any workload and in Teams, users who sent and received
/// mail.
const ACTIVE_COLUMNS: [&str; 2] = ["Office 365", "Teams"];
const EMAIL_COLUMNS: [&str; 2] = ["Send", "Receive"];

/// The report period a walk over `window` reads, or None when the reports cannot have changed.
///
/// Reports are daily: an incremental window reads them only when `until`'s UTC date is after
/// `since`'s (the day turned), over the shortest period that covers the days missed plus the
/// reports' two-day lag. A full read takes 30 days.
pub fn report_period(window: FetchWindow) -> Option<&'static str> {
    match window {
        FetchWindow::All => Some("D30"),
        FetchWindow::ChangedBetween { since, until } => {
            let days = (until.date_naive() - since.date_naive()).num_days();
            match days {
                ..=0 => None,
                1..=5 => Some("D7"),
                6..=28 => Some("D30"),
                29..=88 => Some("D90"),
                _ => Some("D180"),
            }
        }
    }
}

pub struct M365Source {
    connection_id: ConnectionId,
    tenants: Vec<M365CustomerTenant>,
    client: GraphClient,
}

impl M365Source {
    pub fn new(
        connection_id: ConnectionId,
        tenants: Vec<M365CustomerTenant>,
        client: GraphClient,
    ) -> Self {
        M365Source {
            connection_id,
            tenants,
            client,
        }
    }

    pub fn client(&self) -> &GraphClient {
        &self.client
    }

    /// One customer tenant, whole; the reports of `period` when given.
    pub async fn read_tenant(
        &self,
        tenant: &M365CustomerTenant,
        period: Option<&str>,
    ) -> Result<AccountRecord, SourceError> {
        let id = tenant.tenant_id.trim().to_ascii_lowercase();
        let client = &self.client;
        let org_url = client.graph_url("/organization?$select=id,displayName,verifiedDomains");
        let skus_url = client.graph_url("/subscribedSkus");
        let devices_url =
            client.graph_url("/deviceManagement/managedDevices?$select=id,serialNumber");
        let (organization, skus, serials, reports) = futures::try_join!(
            client.get_json::<Collection<Organization>>(&id, &org_url, RequestKind::Plain),
            client.get_all::<SubscribedSku>(&id, &skus_url, RequestKind::Plain),
            self.serials(&id, &devices_url),
            async {
                match period {
                    Some(period) => self.reports(&id, period).await.map(Some),
                    None => Ok(None),
                }
            },
        )?;
        let organization = organization.value.into_iter().next();
        let now = client.clock().now();
        let name = organization
            .as_ref()
            .and_then(|o| o.display_name.clone())
            .filter(|n| !n.trim().is_empty())
            .or_else(|| tenant.label.clone())
            .unwrap_or_else(|| id.clone());
        let verified_domains = organization
            .as_ref()
            .map(|o| normalise::verified_domains(&o.verified_domains))
            .unwrap_or_default();
        let mut productivity = Productivity {
            licences: normalise::licences(skus, now),
            ..Productivity::default()
        };
        if let Some(reports) = reports {
            productivity.daily = reports.daily;
            productivity.active_users_30d = Some(reports.apps.active_users);
            productivity.apps_in_use = reports.apps.by_app;
            productivity.names_concealed = reports.names_concealed;
            productivity.reports_as_of = reports.as_of.or(Some(now.date_naive()));
        }
        Ok(AccountRecord {
            connection_id: self.connection_id.clone(),
            platform: Platform::M365,
            external_id: id,
            name,
            identity: AccountIdentity {
                verified_domains,
                device_serials: serials,
                ..AccountIdentity::default()
            },
            signals: AccountSignals::Productivity(productivity),
            seen_at: now,
            updated_at: now,
        })
    }

    /// Intune serials. A tenant without Intune (no licence, or the permission not granted) has
    /// none: its other signals still count.
    async fn serials(&self, tenant: &str, url: &str) -> Result<Vec<String>, SourceError> {
        match self
            .client
            .get_all::<ManagedDevice>(tenant, url, RequestKind::Plain)
            .await
        {
            Ok(devices) => Ok(normalise::device_serials(
                devices.iter().filter_map(|d| d.serial_number.as_deref()),
            )),
            Err(SourceError::Rejected { status, message }) if matches!(status, 400 | 403 | 404) => {
                tracing::info!(%tenant, status, %message, "no Intune devices readable");
                Ok(Vec::new())
            }
            Err(other) => Err(other),
        }
    }

    async fn reports(&self, tenant: &str, period: &str) -> Result<Reports, SourceError> {
        let client = &self.client;
        let settings_url = client.graph_url("/admin/reportSettings");
        let active_url = client.graph_url(&format!(
            "/reports/getOffice365ActiveUserCounts(period='{period}')"
        ));
        let email_url = client.graph_url(&format!(
            "/reports/getEmailActivityUserCounts(period='{period}')"
        ));
        // App use is always over 30 days: `active_users_30d` and `apps_in_use` mean that.
        let apps_url = client
            .graph_url("/reports/getM365AppUserDetail(period='D30')?$format=application/json");
        let (settings, active_csv, email_csv, app_rows) = futures::try_join!(
            client.get_json::<ReportSettings>(tenant, &settings_url, RequestKind::Plain),
            client.get_report_csv(tenant, &active_url),
            client.get_report_csv(tenant, &email_url),
            client.get_all::<AppUserDetail>(tenant, &apps_url, RequestKind::Report),
        )?;
        let invalid = |e: normalise::CsvError| {
            SourceError::InvalidResponse(format!("Microsoft 365 customer tenant {tenant}: {e}"))
        };
        let active = normalise::read_count_csv(&active_csv, &ACTIVE_COLUMNS).map_err(invalid)?;
        let email = normalise::read_count_csv(&email_csv, &EMAIL_COLUMNS).map_err(invalid)?;
        let mut apps = AppUse::default();
        apps.add(&app_rows);
        let as_of = normalise::refresh_date(active.iter().chain(&email)).or(apps.refresh_date);
        Ok(Reports {
            daily: normalise::daily_activity(&active, &email),
            apps,
            names_concealed: settings.display_concealed_names,
            as_of,
        })
    }

    fn tenant(&self, external_id: &str) -> Option<&M365CustomerTenant> {
        self.tenants
            .iter()
            .find(|t| t.tenant_id.eq_ignore_ascii_case(external_id.trim()))
    }
}

struct Reports {
    daily: Vec<crate::domain::DailyActivity>,
    apps: AppUse,
    names_concealed: bool,
    as_of: Option<chrono::NaiveDate>,
}

/// The cursor: the index of the next customer tenant in the connection's settings.
fn parse_cursor(cursor: Option<&str>, tenants: usize) -> Result<usize, SourceError> {
    let Some(cursor) = cursor else {
        return Ok(0);
    };
    match cursor.parse::<usize>() {
        Ok(index) if index < tenants => Ok(index),
        _ => Err(SourceError::InvalidCursor(format!(
            "{cursor:?} is no customer tenant index below {tenants}"
        ))),
    }
}

#[async_trait::async_trait]
impl AccountsSource for M365Source {
    fn platform(&self) -> Platform {
        Platform::M365
    }

    async fn fetch_step(
        &self,
        window: FetchWindow,
        cursor: Option<&str>,
    ) -> Result<AccountsPage, SourceError> {
        if self.tenants.is_empty() {
            return Ok(AccountsPage::default());
        }
        let index = parse_cursor(cursor, self.tenants.len())?;
        let record = self
            .read_tenant(&self.tenants[index], report_period(window))
            .await?;
        let next = index + 1;
        Ok(AccountsPage {
            accounts: vec![record],
            next_cursor: (next < self.tenants.len()).then(|| next.to_string()),
        })
    }

    async fn fetch_accounts(
        &self,
        external_ids: &[String],
    ) -> Result<Vec<AccountRecord>, SourceError> {
        let mut records = Vec::new();
        for id in external_ids {
            // A tenant no longer among the connection's customer tenants is left out.
            if let Some(tenant) = self.tenant(id) {
                records.push(self.read_tenant(tenant, Some("D30")).await?);
            }
        }
        Ok(records)
    }

    fn requests_made(&self) -> u64 {
        self.client.requests_made()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn reports_are_read_when_the_utc_day_turned_over_a_period_covering_the_gap() {
        let window = |since, until| FetchWindow::ChangedBetween {
            since: at(since),
            until: at(until),
        };
        assert_eq!(report_period(FetchWindow::All), Some("D30"));
        assert_eq!(
            report_period(window("2026-11-30T01:00:00Z", "2026-11-30T23:59:00Z")),
            None
        );
        assert_eq!(
            report_period(window("2026-11-30T23:00:00Z", "2026-12-01T00:10:00Z")),
            Some("D7")
        );
        assert_eq!(
            report_period(window("2026-11-10T23:00:00Z", "2026-12-01T00:10:00Z")),
            Some("D30")
        );
        assert_eq!(
            report_period(window("2026-12-01T00:10:00Z", "2026-11-30T00:10:00Z")),
            None
        );
    }

    #[test]
    fn a_cursor_is_an_index_below_the_tenant_count() {
        assert_eq!(parse_cursor(None, 3).ok(), Some(0));
        assert_eq!(parse_cursor(Some("2"), 3).ok(), Some(2));
        assert!(matches!(
            parse_cursor(Some("3"), 3),
            Err(SourceError::InvalidCursor(_))
        ));
        assert!(matches!(
            parse_cursor(Some("x"), 3),
            Err(SourceError::InvalidCursor(_))
        ));
    }
}
