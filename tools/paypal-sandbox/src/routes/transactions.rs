//! `GET /v1/reporting/transactions`: Transaction Search, with its 31-day window, 3-year horizon,
//! reporting lag, filters and page-number paging.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::{gate, param, query_pairs, AppState};
use crate::model::{money, rfc3339, Payer, TxnRow, World, DAY_MS};
use crate::state::read;
use crate::wire::{bounded_int, json_response, link, parse_instant, ApiError, Detail};

const MAX_RANGE_MS: i64 = 31 * DAY_MS;
const HORIZON_MS: i64 = 3 * 365 * DAY_MS;
const FIELDS: &[&str] = &[
    "transaction_info",
    "payer_info",
    "shipping_info",
    "auction_info",
    "cart_info",
    "incentive_info",
    "store_info",
    "all",
];

struct Search {
    start_ms: i64,
    end_ms: i64,
    transaction_id: Option<String>,
    event_code: Option<String>,
    status: Option<String>,
    balance_only: bool,
    fields: Vec<String>,
    page: u64,
    page_size: u64,
}

fn date_param(pairs: &[(String, String)], name: &str) -> Result<i64, Detail> {
    match param(pairs, name) {
        None => Err(Detail::query(
            name,
            None,
            "MISSING_REQUIRED_PARAMETER",
            "A required field is missing.",
        )),
        Some(raw) => parse_instant(raw)
            .map(|d| d.timestamp_millis())
            .ok_or_else(|| {
                Detail::query(
                    name,
                    Some(raw),
                    "INVALID_PARAMETER_SYNTAX",
                    "The value of a field does not conform to the expected format.",
                )
            }),
    }
}

fn parse(pairs: &[(String, String)], now_ms: i64) -> Result<Search, ApiError> {
    let mut details = Vec::new();
    let start = date_param(pairs, "start_date")
        .map_err(|d| details.push(d))
        .ok();
    let end = date_param(pairs, "end_date")
        .map_err(|d| details.push(d))
        .ok();
    let page = bounded_int("page", param(pairs, "page"), 1, 1, i32::MAX as u64)
        .map_err(|d| details.push(d))
        .ok();
    let page_size = bounded_int("page_size", param(pairs, "page_size"), 100, 1, 500)
        .map_err(|d| details.push(d))
        .ok();
    let fields: Vec<String> = param(pairs, "fields")
        .unwrap_or("transaction_info")
        .split(',')
        .map(|f| f.trim().to_owned())
        .collect();
    if let Some(bad) = fields.iter().find(|f| !FIELDS.contains(&f.as_str())) {
        details.push(Detail::query(
            "fields",
            Some(bad),
            "INVALID_PARAMETER_VALUE",
            "The value of a field is invalid.",
        ));
    }
    let balance_only = match param(pairs, "balance_affecting_records_only") {
        None | Some("Y") => true,
        Some("N") => false,
        Some(other) => {
            details.push(Detail::query(
                "balance_affecting_records_only",
                Some(other),
                "INVALID_PARAMETER_VALUE",
                "The value of a field is invalid.",
            ));
            true
        }
    };
    let status = param(pairs, "transaction_status").map(str::to_owned);
    if let Some(s) = status
        .as_deref()
        .filter(|s| !["D", "P", "S", "V"].contains(s))
    {
        details.push(Detail::query(
            "transaction_status",
            Some(s),
            "INVALID_PARAMETER_VALUE",
            "The value of a field is invalid.",
        ));
    }
    let (Some(start_ms), Some(end_ms), Some(page), Some(page_size), true) =
        (start, end, page, page_size, details.is_empty())
    else {
        return Err(ApiError::invalid(details));
    };
    let raw_end = param(pairs, "end_date");
    if end_ms < start_ms {
        return Err(ApiError::invalid(vec![Detail::query(
            "end_date",
            raw_end,
            "INVALID_DATE_RANGE",
            "The end date must be after the start date.",
        )]));
    }
    if end_ms - start_ms > MAX_RANGE_MS {
        return Err(ApiError::invalid(vec![Detail::query(
            "end_date",
            raw_end,
            "INVALID_DATE_RANGE",
            "The maximum supported range is 31 days.",
        )]));
    }
    if start_ms < now_ms - HORIZON_MS {
        return Err(ApiError::Invalid {
            message: Some("Data for the given start date is not available."),
            details: vec![Detail::query(
                "start_date",
                param(pairs, "start_date"),
                "INVALID_START_DATE",
                "Transactions are kept for the previous three years.",
            )],
        });
    }
    Ok(Search {
        start_ms,
        end_ms,
        transaction_id: param(pairs, "transaction_id").map(str::to_owned),
        event_code: param(pairs, "transaction_type").map(str::to_owned),
        status,
        balance_only,
        fields,
        page,
        page_size,
    })
}

fn matches(row: &TxnRow, search: &Search, now_ms: i64) -> bool {
    row.visible_ms <= now_ms
        && row.initiation_ms >= search.start_ms
        && row.initiation_ms <= search.end_ms
        && (!search.balance_only || row.balance_affecting)
        && search
            .transaction_id
            .as_deref()
            .is_none_or(|id| row.transaction_id == id)
        && search
            .event_code
            .as_deref()
            .is_none_or(|code| row.event_code == code)
        && search
            .status
            .as_deref()
            .is_none_or(|s| s.starts_with(row.status))
}

fn transaction_info(row: &TxnRow, account_id: &str) -> Value {
    let mut info = Map::new();
    info.insert("paypal_account_id".into(), account_id.into());
    info.insert("transaction_id".into(), row.transaction_id.clone().into());
    if let Some((reference, kind)) = &row.reference {
        info.insert("paypal_reference_id".into(), reference.clone().into());
        info.insert("paypal_reference_id_type".into(), (*kind).into());
    }
    info.insert("transaction_event_code".into(), row.event_code.into());
    info.insert(
        "transaction_initiation_date".into(),
        rfc3339(row.initiation_ms).into(),
    );
    info.insert(
        "transaction_updated_date".into(),
        rfc3339(row.updated_ms).into(),
    );
    info.insert("transaction_amount".into(), money(row.amount_cents));
    if row.fee_cents != 0 {
        info.insert("fee_amount".into(), money(row.fee_cents));
    }
    info.insert("transaction_status".into(), row.status.to_string().into());
    if let Some(subject) = &row.subject {
        info.insert("transaction_subject".into(), subject.clone().into());
    }
    if let Some(number) = &row.invoice_number {
        info.insert("invoice_id".into(), number.clone().into());
    }
    if let Some(custom) = &row.custom_field {
        info.insert("custom_field".into(), custom.clone().into());
    }
    info.insert("protection_eligibility".into(), "01".into());
    Value::Object(info)
}

fn payer_info(payer: &Payer) -> Value {
    let mut name = json!({
        "given_name": payer.given_name,
        "surname": payer.surname,
    });
    if let (Some(business), Some(map)) = (&payer.business_name, name.as_object_mut()) {
        map.insert("alternate_full_name".into(), business.clone().into());
    }
    json!({
        "account_id": payer.account_id,
        "email_address": payer.email,
        "phone_number": { "country_code": payer.phone_country, "national_number": payer.phone },
        "address_status": "Y",
        "payer_status": "Y",
        "payer_name": name,
        "country_code": payer.country_code,
    })
}

fn detail(world: &World, row: &TxnRow, account_id: &str, fields: &[String]) -> Value {
    let all = fields.iter().any(|f| f == "all");
    let wants = |name: &str| all || fields.iter().any(|f| f == name);
    let mut detail = Map::new();
    detail.insert("transaction_info".into(), transaction_info(row, account_id));
    if let Some(payer) = world.payers.get(row.payer).filter(|_| wants("payer_info")) {
        detail.insert("payer_info".into(), payer_info(payer));
    }
    if wants("shipping_info") {
        detail.insert("shipping_info".into(), json!({}));
    }
    if wants("cart_info") {
        let mut cart = json!({ "item_details": [] });
        if let (Some(id), Some(map)) = (&row.paypal_invoice_id, cart.as_object_mut()) {
            map.insert("paypal_invoice_id".into(), id.clone().into());
        }
        detail.insert("cart_info".into(), cart);
    }
    if wants("store_info") {
        detail.insert("store_info".into(), json!({}));
    }
    if wants("auction_info") {
        detail.insert("auction_info".into(), json!({}));
    }
    if wants("incentive_info") {
        detail.insert("incentive_info".into(), json!({}));
    }
    Value::Object(detail)
}

pub(super) async fn search(
    State(shared): AppState,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let debug_id = match gate(&shared, &headers, "GET /v1/reporting/transactions").await {
        Ok(id) => id,
        Err(refused) => return refused,
    };
    if !shared.search_enabled() {
        return ApiError::NotAuthorized.respond(&debug_id);
    }
    let pairs = query_pairs(raw.as_deref());
    let now = shared.now_ms();
    let search = match parse(&pairs, now) {
        Ok(search) => search,
        Err(error) => return error.respond(&debug_id),
    };
    let world = read(&shared.world);
    let rows: Vec<&TxnRow> = world
        .transactions
        .iter()
        .filter(|row| matches(row, &search, now))
        .collect();
    let total = rows.len() as u64;
    let total_pages = total.div_ceil(search.page_size);
    let skip = (search.page - 1).saturating_mul(search.page_size) as usize;
    let account = &shared.config.account_id;
    let details: Vec<Value> = rows
        .iter()
        .skip(skip)
        .take(search.page_size as usize)
        .map(|row| detail(&world, row, account, &search.fields))
        .collect();
    let page_link = |page: u64| {
        let mut pairs: Vec<(String, String)> =
            pairs.iter().filter(|(k, _)| k != "page").cloned().collect();
        pairs.push(("page".into(), page.to_string()));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        format!("{}/v1/reporting/transactions?{query}", shared.base_url)
    };
    let mut links = vec![link(page_link(search.page), "self", "GET")];
    if total_pages > 0 {
        links.push(link(page_link(1), "first", "GET"));
        links.push(link(page_link(total_pages), "last", "GET"));
    }
    if search.page < total_pages {
        links.push(link(page_link(search.page + 1), "next", "GET"));
    }
    json_response(
        StatusCode::OK,
        &json!({
            "transaction_details": details,
            "account_number": account,
            "start_date": rfc3339(search.start_ms),
            "end_date": rfc3339(search.end_ms),
            "last_refreshed_datetime": rfc3339(now - 60_000),
            "page": search.page,
            "total_items": total,
            "total_pages": total_pages,
            "links": links,
        }),
        &debug_id,
    )
}
