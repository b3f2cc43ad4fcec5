//! The usage reports (reportroot-*.md): CSV answered by a 302 to a pre-authenticated download URL,
//! `getM365AppUserDetail` also in JSON with `@odata.nextLink`; 14 requests per 10 minutes per app
//! per tenant (throttling-limits.md).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Duration as Days, NaiveDate};
use serde_json::{json, Value};

use super::{admit, date_of, graph_error, json_response, throttled, AppState};
use crate::model::{TenantModel, APPS};
use crate::state::{lock, Download, Shared};

/// Reports run two days behind (Microsoft's usually lag 48 hours).
pub(crate) fn refresh_date(shared: &Shared) -> NaiveDate {
    date_of(shared) - Days::days(2)
}

/// `getX(period='D7')` or `getX(date=2026-11-01)`.
enum Span {
    Period(i64),
    Date(NaiveDate),
}

fn parse_call(call: &str) -> Option<(&str, Span)> {
    let (name, rest) = call.split_once('(')?;
    let args = rest.strip_suffix(')')?;
    let (key, value) = args.split_once('=')?;
    let value = value.trim_matches('\'');
    let span = match key {
        "period" => match value {
            "D7" => Span::Period(7),
            "D30" => Span::Period(30),
            "D90" => Span::Period(90),
            "D180" => Span::Period(180),
            _ => return None,
        },
        "date" => Span::Date(NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?),
        _ => return None,
    };
    Some((name, span))
}

/// Admits one report request into the tenant's rolling window, or answers how long to wait.
fn take_report_slot(shared: &Shared, tenant_id: &str) -> Result<(), u64> {
    let limits = &shared.config.limits;
    let allowed = limits
        .reports_per_app_per_tenant
        .min(limits.reports_per_tenant);
    let window = limits.report_window.as_millis() as i64;
    let now = shared.now_ms();
    let mut log = lock(&shared.report_log);
    let entries = log.entry(tenant_id.to_owned()).or_default();
    while entries.front().is_some_and(|at| *at <= now - window) {
        entries.pop_front();
    }
    if entries.len() >= allowed {
        let oldest = entries.front().copied().unwrap_or(now);
        let wait_ms = (oldest + window - now).max(1);
        return Err(((wait_ms + 999) / 1000) as u64);
    }
    entries.push_back(now);
    Ok(())
}

fn csv_of(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(header);
    for row in rows {
        let _ = writer.write_record(&row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    // Graph's CSV files start with a UTF-8 byte order mark.
    format!("\u{feff}{}", String::from_utf8_lossy(&bytes))
}

fn report_dates(refresh: NaiveDate, span: &Span) -> Vec<NaiveDate> {
    match span {
        Span::Period(days) => (0..*days).map(|back| refresh - Days::days(back)).collect(),
        Span::Date(date) => vec![*date],
    }
}

fn count_report(
    tenant: &TenantModel,
    name: &str,
    span: &Span,
    refresh: NaiveDate,
    today: NaiveDate,
) -> Option<String> {
    let period = match span {
        Span::Period(days) => days.to_string(),
        Span::Date(_) => "1".to_owned(),
    };
    let dates = report_dates(refresh, span);
    let row = |date: &NaiveDate, values: Vec<u32>| {
        let mut row = vec![refresh.to_string()];
        row.extend(values.into_iter().map(|v| v.to_string()));
        row.push(date.to_string());
        row.push(period.clone());
        row
    };
    let csv = match name {
        "getOffice365ActiveUserCounts" => csv_of(
            &[
                "Report Refresh Date",
                "Office 365",
                "Exchange",
                "OneDrive",
                "SharePoint",
                "Skype For Business",
                "Yammer",
                "Teams",
                "Report Date",
                "Report Period",
            ],
            dates
                .iter()
                .map(|d| {
                    let c = tenant.daily(*d, today);
                    row(
                        d,
                        vec![
                            c.active_users,
                            c.exchange_active,
                            c.active_users / 2,
                            c.active_users / 3,
                            0,
                            0,
                            c.teams_active,
                        ],
                    )
                })
                .collect(),
        ),
        "getEmailActivityUserCounts" => csv_of(
            &[
                "Report Refresh Date",
                "Send",
                "Receive",
                "Read",
                "Meeting Created",
                "Meeting Interacted",
                "Report Date",
                "Report Period",
            ],
            dates
                .iter()
                .map(|d| {
                    let c = tenant.daily(*d, today);
                    row(
                        d,
                        vec![
                            c.email_send,
                            c.email_receive,
                            c.email_read,
                            c.email_send / 5,
                            c.email_send / 3,
                        ],
                    )
                })
                .collect(),
        ),
        "getTeamsUserActivityUserCounts" => {
            // This report puts the date second.
            let header = [
                "Report Refresh Date",
                "Report Date",
                "Team Chat Messages",
                "Private Chat Messages",
                "Calls",
                "Meetings",
                "Other Actions",
                "Report Period",
            ];
            let rows = dates
                .iter()
                .map(|d| {
                    let c = tenant.daily(*d, today);
                    vec![
                        refresh.to_string(),
                        d.to_string(),
                        c.teams_chat.to_string(),
                        c.teams_private_chat.to_string(),
                        c.teams_calls.to_string(),
                        c.teams_meetings.to_string(),
                        "0".to_owned(),
                        period.clone(),
                    ]
                })
                .collect();
            csv_of(&header, rows)
        }
        _ => return None,
    };
    Some(csv)
}

fn app_user_json(tenant: &TenantModel, index: usize, refresh: NaiveDate, period: i64) -> Value {
    let user = &tenant.app_users[index];
    let active = user.apps.iter().any(|a| *a);
    let mut details = json!({
        "reportPeriod": period,
        "windows": active, "mac": false, "mobile": active && index.is_multiple_of(3), "web": active && index.is_multiple_of(2),
    });
    for (app, used) in APPS.iter().zip(user.apps) {
        details[*app] = json!(used);
    }
    json!({
        "reportRefreshDate": refresh.to_string(),
        "userPrincipalName": tenant.user_principal_name(user.index),
        "lastActivationDate": (refresh - Days::days(90)).to_string(),
        "lastActivityDate": if active { Value::from(refresh.to_string()) } else { Value::Null },
        "details": [details],
    })
}

fn app_user_csv(tenant: &TenantModel, refresh: NaiveDate, period: i64) -> String {
    let mut header = vec![
        "Report Refresh Date",
        "User Principal Name",
        "Last Activation Date",
        "Last Activity Date",
        "Report Period",
        "Windows",
        "Mac",
        "Mobile",
        "Web",
    ];
    header.extend(["Outlook", "Word", "Excel", "PowerPoint", "OneNote", "Teams"]);
    let yes = |b: bool| if b { "Yes" } else { "No" }.to_owned();
    let rows = tenant
        .app_users
        .iter()
        .map(|user| {
            let active = user.apps.iter().any(|a| *a);
            let mut row = vec![
                refresh.to_string(),
                tenant.user_principal_name(user.index),
                (refresh - Days::days(90)).to_string(),
                if active {
                    refresh.to_string()
                } else {
                    String::new()
                },
                period.to_string(),
                yes(active),
                yes(false),
                yes(false),
                yes(false),
            ];
            row.extend(user.apps.iter().map(|a| yes(*a)));
            row
        })
        .collect();
    csv_of(&header, rows)
}

pub(super) async fn report(
    State(shared): AppState,
    headers: HeaderMap,
    Path(call): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let tenant = match admit(&shared, &headers, "GET /v1.0/reports/{report}").await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Some((name, span)) = parse_call(&call) else {
        return graph_error(
            &shared,
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Invalid report call: use period='D7|D30|D90|D180' or date=YYYY-MM-DD.",
        );
    };
    let refresh = refresh_date(&shared);
    if let Span::Date(date) = span {
        if date > refresh || date < refresh - Days::days(29) {
            return graph_error(
                &shared,
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "The date must be within the last 30 days of available data.",
            );
        }
    }
    let known = matches!(
        name,
        "getOffice365ActiveUserCounts"
            | "getEmailActivityUserCounts"
            | "getTeamsUserActivityUserCounts"
            | "getM365AppUserDetail"
    );
    if !known {
        return graph_error(
            &shared,
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Unsupported report.",
        );
    }
    // JSON pages are counted in the same window as CSV (an assumption: the documented JSON limit,
    // 100 per 10 minutes, is for beta).
    if let Err(wait) = take_report_slot(&shared, &tenant.tenant_id) {
        lock(&shared.stats).throttled += 1;
        return throttled(&shared, wait);
    }
    *lock(&shared.stats)
        .reports_by_tenant
        .entry(tenant.tenant_id.clone())
        .or_default() += 1;
    let period = match span {
        Span::Period(days) => days,
        Span::Date(_) => 1,
    };
    let today = date_of(&shared);
    let body = if name == "getM365AppUserDetail" {
        if query.get("$format").map(String::as_str) == Some("application/json") {
            let skip = query
                .get("$skiptoken")
                .and_then(|s| s.parse::<usize>().ok())
                .unwrap_or(0);
            let page = shared.config.limits.app_detail_page_size.max(1);
            let end = (skip + page).min(tenant.app_users.len());
            let value: Vec<Value> = (skip.min(end)..end)
                .map(|i| app_user_json(tenant, i, refresh, period))
                .collect();
            let mut body = json!({ "value": value });
            if end < tenant.app_users.len() {
                body["@odata.nextLink"] = json!(format!(
                    "{}/v1.0/reports/{call}?$format=application/json&$skiptoken={end}",
                    shared.base_url
                ));
            }
            return json_response(StatusCode::OK, &body);
        }
        app_user_csv(tenant, refresh, period)
    } else {
        match count_report(tenant, name, &span, refresh, today) {
            Some(csv) => csv,
            None => {
                return graph_error(
                    &shared,
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "Unsupported report.",
                )
            }
        }
    };
    let id = shared.next_id("dl");
    let expires_ms = shared.now_ms() + shared.config.limits.download_valid_for.as_millis() as i64;
    lock(&shared.downloads).insert(id.clone(), Download { body, expires_ms });
    (
        StatusCode::FOUND,
        [(
            header::LOCATION,
            format!(
                "{}/reportdownload/{id}?sv=2026-01-01&sig=sandbox",
                shared.base_url
            ),
        )],
    )
        .into_response()
}

/// The pre-authenticated download: refuses an `Authorization` header (the URL carries its own
/// signature) and expires after a few minutes.
pub(super) async fn download(
    State(shared): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    shared.count("GET /reportdownload/{id}");
    if headers.contains_key(header::AUTHORIZATION) {
        return (StatusCode::BAD_REQUEST,
            "AuthenticationFailed: the download URL is pre-authenticated; send no Authorization header").into_response();
    }
    let found = lock(&shared.downloads).get(&id).cloned();
    match found {
        Some(d) if d.expires_ms > shared.now_ms() => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            d.body,
        )
            .into_response(),
        Some(_) => (
            StatusCode::FORBIDDEN,
            "AuthenticationFailed: signature expired",
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "BlobNotFound").into_response(),
    }
}
