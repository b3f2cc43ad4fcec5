//! Pure rules from Graph's answers to the domain: licences, the daily counts of the CSV reports,
//! app use, domains and serials. Never keeps a user's name or address: only counts.

use crate::domain::{DailyActivity, LicencePool};
use crate::sources::m365::wire::{AppUserDetail, SubscribedSku, VerifiedDomain};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;

/// The apps of `getM365AppUserDetail` counted in `apps_in_use`, by their JSON names, and the name
/// they are stored under.
const APPS: [(&str, &str); 6] = [
    ("outlook", "outlook"),
    ("word", "word"),
    ("excel", "excel"),
    ("powerPoint", "powerpoint"),
    ("oneNote", "onenote"),
    ("teams", "teams"),
];

/// Serials firmware leaves when it has none (compared case-insensitively).
const PLACEHOLDER_SERIALS: [&str; 6] = [
    "to be filled by o.e.m.",
    "0123456789",
    "default string",
    "system serial number",
    "none",
    "0",
];

pub fn licences(skus: Vec<SubscribedSku>, seen_at: DateTime<Utc>) -> Vec<LicencePool> {
    skus.into_iter()
        .map(|sku| LicencePool {
            id: sku.sku_id,
            sku: sku.sku_part_number,
            status: sku.capability_status,
            enabled: sku.prepaid_units.enabled,
            warning: sku.prepaid_units.warning,
            suspended: sku.prepaid_units.suspended,
            consumed: sku.consumed_units,
            seen_at,
        })
        .collect()
}

/// Verified domains, lower case, the initial `*.onmicrosoft.com` one left out (it names the tenant,
/// not the company).
pub fn verified_domains(domains: &[VerifiedDomain]) -> Vec<String> {
    let mut out: Vec<String> = domains
        .iter()
        .filter(|d| !d.is_initial)
        .map(|d| d.name.trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty() && !d.ends_with(".onmicrosoft.com"))
        .collect();
    out.dedup();
    out
}

/// Upper-cased serials, placeholders and blanks dropped, each once, sorted.
pub fn device_serials<'a>(serials: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = serials
        .into_iter()
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| {
            !s.is_empty()
                && !PLACEHOLDER_SERIALS
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(s))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CsvError {
    #[error("the report has no column {0:?}")]
    MissingColumn(&'static str),
    #[error("the report is not CSV: {0}")]
    Malformed(String),
}

/// One row of a count report: its `Report Date`, `Report Refresh Date` and the asked columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub date: NaiveDate,
    pub refresh: Option<NaiveDate>,
    /// The asked columns in order; a cell that is no number reads as None.
    pub values: Vec<Option<u64>>,
}

/// The rows of a report CSV, the byte order mark Graph starts its files with removed.
pub fn read_count_csv(
    csv_text: &str,
    columns: &[&'static str],
) -> Result<Vec<ReportRow>, CsvError> {
    let text = csv_text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| CsvError::Malformed(e.to_string()))?
        .clone();
    let index_of = |name: &'static str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or(CsvError::MissingColumn(name))
    };
    let date_at = index_of("Report Date")?;
    let refresh_at = index_of("Report Refresh Date")?;
    let value_at = columns
        .iter()
        .map(|c| index_of(c))
        .collect::<Result<Vec<_>, _>>()?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| CsvError::Malformed(e.to_string()))?;
        let date = |at: usize| {
            record
                .get(at)
                .and_then(|v| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok())
        };
        // A row without a date cannot be placed in the history: skipped, not guessed.
        let Some(report_date) = date(date_at) else {
            continue;
        };
        let values = value_at
            .iter()
            .map(|at| record.get(*at).and_then(|v| v.trim().parse::<u64>().ok()))
            .collect();
        rows.push(ReportRow {
            date: report_date,
            refresh: date(refresh_at),
            values,
        });
    }
    Ok(rows)
}

/// Folds the active-user counts ("Office 365", "Teams") and the email user counts ("Send",
/// "Receive": users who sent or received mail that day, the user-count report) into days.
pub fn daily_activity(active: &[ReportRow], email: &[ReportRow]) -> Vec<DailyActivity> {
    let mut days: BTreeMap<NaiveDate, DailyActivity> = BTreeMap::new();
    let to_u32 = |v: Option<u64>| v.map(|v| u32::try_from(v).unwrap_or(u32::MAX));
    let cell = |row: &ReportRow, at: usize| row.values.get(at).copied().flatten();
    for row in active {
        let day = days.entry(row.date).or_insert_with(|| DailyActivity {
            date: row.date,
            ..DailyActivity::default()
        });
        day.active_users = to_u32(cell(row, 0));
        day.teams_active_users = to_u32(cell(row, 1));
    }
    for row in email {
        let day = days.entry(row.date).or_insert_with(|| DailyActivity {
            date: row.date,
            ..DailyActivity::default()
        });
        day.emails_sent = cell(row, 0);
        day.emails_received = cell(row, 1);
    }
    days.into_values().collect()
}

/// The latest refresh date the rows carry.
pub fn refresh_date<'a>(rows: impl IntoIterator<Item = &'a ReportRow>) -> Option<NaiveDate> {
    rows.into_iter().filter_map(|row| row.refresh).max()
}

/// Counts of app use over the report period: users active in any app, and users per app.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct AppUse {
    pub active_users: u32,
    pub by_app: BTreeMap<String, u32>,
    pub refresh_date: Option<NaiveDate>,
}

impl AppUse {
    pub fn add(&mut self, rows: &[AppUserDetail]) {
        for row in rows {
            let mut any = false;
            for (json_name, stored) in APPS {
                let used = row
                    .details
                    .iter()
                    .any(|d| d.get(json_name).and_then(|v| v.as_bool()) == Some(true));
                if used {
                    any = true;
                    *self.by_app.entry(stored.to_owned()).or_default() += 1;
                }
            }
            if any {
                self.active_users += 1;
            }
            self.refresh_date = self.refresh_date.max(row.report_refresh_date);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_report_with_a_byte_order_mark_skipping_undated_rows() {
        let csv =
            "\u{feff}Report Refresh Date,Office 365,Exchange,Teams,Report Date,Report Period\n\
                   2026-11-28,10,9,4,2026-11-28,7\n\
                   2026-11-28,,9,x,2026-11-27,7\n\
                   2026-11-28,3,3,3,,7\n";
        let rows = read_count_csv(csv, &["Office 365", "Teams"]).unwrap_or_default();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].values, vec![Some(10), Some(4)]);
        assert_eq!(rows[1].values, vec![None, None]);
        assert_eq!(refresh_date(&rows), NaiveDate::from_ymd_opt(2026, 11, 28));
        assert_eq!(
            read_count_csv(csv, &["Send"]),
            Err(CsvError::MissingColumn("Send"))
        );
    }

    #[test]
    fn serials_are_upper_cased_and_placeholders_dropped() {
        let serials = device_serials([
            "sn0000000001",
            "SN0000000001",
            " To Be Filled By O.E.M. ",
            "",
            "0123456789",
            "ABC",
        ]);
        assert_eq!(serials, vec!["ABC".to_owned(), "SN0000000001".to_owned()]);
    }

    #[test]
    fn the_initial_domain_is_left_out() {
        let domains = [
            VerifiedDomain {
                name: "Acme.com".into(),
                is_initial: false,
            },
            VerifiedDomain {
                name: "acme.onmicrosoft.com".into(),
                is_initial: true,
            },
        ];
        assert_eq!(verified_domains(&domains), vec!["acme.com".to_owned()]);
    }
}
