//! Invoicing v2: `GET /v2/invoicing/invoices`, `GET /v2/invoicing/invoices/{id}` and
//! `POST /v2/invoicing/search-invoices` (page 1-1000, page_size 1-100, totals only when asked).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use serde_json::{json, Map, Value};

use super::{gate, param, query_pairs, AppState};
use crate::model::{money, rfc3339, InvoiceRec, World};
use crate::state::{read, Shared};
use crate::wire::{bounded_int, json_response, link, parse_date, parse_instant, ApiError, Detail};

const STATUSES: &[&str] = &[
    "DRAFT",
    "SENT",
    "SCHEDULED",
    "PAID",
    "MARKED_AS_PAID",
    "CANCELLED",
    "REFUNDED",
    "PARTIALLY_PAID",
    "PARTIALLY_REFUNDED",
    "MARKED_AS_REFUNDED",
    "UNPAID",
    "PAYMENT_PENDING",
];
const MERCHANT_NAME: &str = "Northstar Managed IT";
const MERCHANT_EMAIL: &str = "billing@northstar-msp.example";

fn transactions_json(list: &[crate::model::InvoicePayment]) -> Vec<Value> {
    list.iter()
        .map(|p| {
            json!({
                "type": "PAYPAL",
                "payment_id": p.transaction_id,
                "payment_date": p.date.to_string(),
                "method": "PAYPAL",
                "amount": money(p.cents),
            })
        })
        .collect()
}

/// The invoice as PayPal shows it.
pub(crate) fn invoice_json(world: &World, invoice: &InvoiceRec, base_url: &str) -> Value {
    let payer = &world.payers[invoice.payer];
    let mut billing = json!({
        "name": {
            "given_name": payer.given_name,
            "surname": payer.surname,
            "full_name": payer.full_name(),
        },
        "email_address": payer.email,
    });
    if let (Some(business), Some(map)) = (&invoice.business_name, billing.as_object_mut()) {
        map.insert("business_name".into(), business.clone().into());
    }
    let mut term = json!({ "term_type": invoice.term_type });
    if let (Some(due), Some(map)) = (invoice.due_date, term.as_object_mut()) {
        map.insert("due_date".into(), due.to_string().into());
    }
    let mut detail = json!({
        "invoice_number": invoice.number,
        "invoice_date": invoice.invoice_date.to_string(),
        "currency_code": crate::model::CURRENCY,
        "payment_term": term,
        "metadata": {
            "create_time": rfc3339(invoice.created_ms),
            "last_update_time": rfc3339(invoice.updated_ms),
            "first_sent_time": rfc3339(invoice.created_ms),
            "last_sent_time": rfc3339(invoice.created_ms),
            "created_by_flow": "REGULAR_SINGLE",
            "recipient_view_url": format!("https://www.sandbox.paypal.com/invoice/p/#{}", invoice.id),
            "invoicer_view_url": format!("https://www.sandbox.paypal.com/invoice/details/{}", invoice.id),
        },
    });
    if let (Some(reference), Some(map)) = (&invoice.reference, detail.as_object_mut()) {
        map.insert("reference".into(), reference.clone().into());
    }
    let mut body = Map::new();
    body.insert("id".into(), invoice.id.clone().into());
    body.insert("status".into(), invoice.status.into());
    body.insert("detail".into(), detail);
    body.insert(
        "invoicer".into(),
        json!({ "business_name": MERCHANT_NAME, "email_address": MERCHANT_EMAIL }),
    );
    body.insert(
        "primary_recipients".into(),
        json!([{ "billing_info": billing }]),
    );
    body.insert("amount".into(), money(invoice.amount_cents));
    body.insert("due_amount".into(), money(invoice.due_cents()));
    if !invoice.payments.is_empty() {
        body.insert(
            "payments".into(),
            json!({
                "paid_amount": money(invoice.paid_cents()),
                "transactions": transactions_json(&invoice.payments),
            }),
        );
    }
    if !invoice.refunds.is_empty() {
        let refunded: i64 = invoice.refunds.iter().map(|r| r.cents).sum();
        body.insert(
            "refunds".into(),
            json!({
                "refund_amount": money(refunded),
                "transactions": transactions_json(&invoice.refunds),
            }),
        );
    }
    body.insert(
        "links".into(),
        json!([link(
            format!("{base_url}/v2/invoicing/invoices/{}", invoice.id),
            "self",
            "GET"
        )]),
    );
    Value::Object(body)
}

struct Paging {
    page: u64,
    page_size: u64,
    total_required: bool,
}

fn paging(pairs: &[(String, String)]) -> Result<Paging, ApiError> {
    let mut details = Vec::new();
    let page = bounded_int("page", param(pairs, "page"), 1, 1, 1_000).map_err(|d| details.push(d));
    let size = bounded_int("page_size", param(pairs, "page_size"), 20, 1, 100)
        .map_err(|d| details.push(d));
    match (page, size) {
        (Ok(page), Ok(page_size)) => Ok(Paging {
            page,
            page_size,
            total_required: param(pairs, "total_required")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        }),
        _ => Err(ApiError::invalid(details)),
    }
}

fn page_answer(
    shared: &Shared,
    world: &World,
    mut invoices: Vec<&InvoiceRec>,
    paging: &Paging,
    path: &str,
    debug_id: &str,
) -> Response {
    // Newest first, as PayPal lists them.
    invoices.sort_by(|a, b| b.created_ms.cmp(&a.created_ms).then(b.id.cmp(&a.id)));
    let total = invoices.len() as u64;
    let total_pages = total.div_ceil(paging.page_size);
    let skip = ((paging.page - 1) * paging.page_size) as usize;
    let items: Vec<Value> = invoices
        .iter()
        .skip(skip)
        .take(paging.page_size as usize)
        .map(|i| invoice_json(world, i, &shared.base_url))
        .collect();
    let href = |page: u64| {
        format!(
            "{}{path}?page={page}&page_size={}&total_required={}",
            shared.base_url, paging.page_size, paging.total_required
        )
    };
    let method = if path.contains("search") {
        "POST"
    } else {
        "GET"
    };
    let mut links = vec![link(href(paging.page), "self", method)];
    if paging.page < total_pages {
        links.push(link(href(paging.page + 1), "next", method));
    }
    if paging.page > 1 {
        links.push(link(href(paging.page - 1), "prev", method));
    }
    let mut body = json!({ "items": items, "links": links });
    if let (true, Some(map)) = (paging.total_required, body.as_object_mut()) {
        map.insert("total_items".into(), total.into());
        map.insert("total_pages".into(), total_pages.into());
    }
    json_response(StatusCode::OK, &body, debug_id)
}

pub(super) async fn list(
    State(shared): AppState,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let debug_id = match gate(&shared, &headers, "GET /v2/invoicing/invoices").await {
        Ok(id) => id,
        Err(refused) => return refused,
    };
    let pairs = query_pairs(raw.as_deref());
    let paging = match paging(&pairs) {
        Ok(p) => p,
        Err(error) => return error.respond(&debug_id),
    };
    let world = read(&shared.world);
    let invoices = world.invoices.iter().collect();
    page_answer(
        &shared,
        &world,
        invoices,
        &paging,
        "/v2/invoicing/invoices",
        &debug_id,
    )
}

pub(super) async fn get_one(
    State(shared): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let debug_id = match gate(&shared, &headers, "GET /v2/invoicing/invoices/{id}").await {
        Ok(id) => id,
        Err(refused) => return refused,
    };
    let world = read(&shared.world);
    match world.invoices.iter().find(|i| i.id == id) {
        Some(invoice) => json_response(
            StatusCode::OK,
            &invoice_json(&world, invoice, &shared.base_url),
            &debug_id,
        ),
        None => ApiError::NotFound {
            details: vec![Detail::body(
                "invoice_id",
                Some(&id),
                "INVALID_RESOURCE_ID",
                "Requested resource ID was not found.",
            )],
        }
        .respond(&debug_id),
    }
}

/// A `{start, end}` range; either end may be open.
struct Range<T> {
    start: Option<T>,
    end: Option<T>,
}

impl<T: PartialOrd + Copy> Range<T> {
    fn contains(&self, value: T) -> bool {
        self.start.is_none_or(|s| value >= s) && self.end.is_none_or(|e| value <= e)
    }
}

fn range<T>(
    body: &Value,
    field: &str,
    parse: impl Fn(&str) -> Option<T>,
    details: &mut Vec<Detail>,
) -> Option<Range<T>> {
    let object = body.get(field)?;
    let mut side = |name: &str| -> Option<T> {
        let raw = object.get(name)?;
        let parsed = raw.as_str().and_then(&parse);
        if parsed.is_none() {
            details.push(Detail::body(
                &format!("/{field}/{name}"),
                Some(&raw.to_string()),
                "INVALID_PARAMETER_SYNTAX",
                "The value of a field does not conform to the expected format.",
            ));
        }
        parsed
    };
    Some(Range {
        start: side("start"),
        end: side("end"),
    })
}

fn text<'a>(body: &'a Value, field: &str) -> Option<&'a str> {
    body.get(field).and_then(Value::as_str)
}

pub(super) async fn search(
    State(shared): AppState,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let debug_id = match gate(&shared, &headers, "POST /v2/invoicing/search-invoices").await {
        Ok(id) => id,
        Err(refused) => return refused,
    };
    let pairs = query_pairs(raw.as_deref());
    let paging = match paging(&pairs) {
        Ok(p) => p,
        Err(error) => return error.respond(&debug_id),
    };
    let body: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(value @ Value::Object(_)) => value,
            _ => {
                return ApiError::invalid(vec![Detail::body(
                    "/",
                    None,
                    "MALFORMED_REQUEST_JSON",
                    "The request JSON is not well formed.",
                )])
                .respond(&debug_id)
            }
        }
    };
    let mut details = Vec::new();
    let statuses: Option<Vec<String>> = body.get("status").map(|s| {
        s.as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    });
    for status in statuses.iter().flatten() {
        if !STATUSES.contains(&status.as_str()) {
            details.push(Detail::body(
                "/status",
                Some(status),
                "INVALID_PARAMETER_SYNTAX",
                "The value of a field does not conform to the expected format.",
            ));
        }
    }
    let instant = |s: &str| parse_instant(s).map(|d| d.timestamp_millis());
    let creation = range(&body, "creation_date_range", instant, &mut details);
    let payment = range(
        &body,
        "payment_date_range",
        |s| parse_instant(s).map(|d| d.date_naive()),
        &mut details,
    );
    let due = range(&body, "due_date_range", parse_date, &mut details);
    let invoice_date = range(&body, "invoice_date_range", parse_date, &mut details);
    if !details.is_empty() {
        return ApiError::invalid(details).respond(&debug_id);
    }
    let email = text(&body, "recipient_email").map(str::to_lowercase);
    let business = text(&body, "recipient_business_name").map(str::to_lowercase);
    let number = text(&body, "invoice_number");
    let reference = text(&body, "reference");
    let archived = body
        .get("archived")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let world = read(&shared.world);
    let found: Vec<&InvoiceRec> = world
        .invoices
        .iter()
        .filter(|i| {
            let payer = &world.payers[i.payer];
            let paid_in = |r: &Range<NaiveDate>| i.payments.iter().any(|p| r.contains(p.date));
            !archived
                && statuses
                    .as_ref()
                    .is_none_or(|s| s.iter().any(|st| st == i.status))
                && email
                    .as_ref()
                    .is_none_or(|e| payer.email.eq_ignore_ascii_case(e))
                && business.as_ref().is_none_or(|b| {
                    i.business_name
                        .as_ref()
                        .is_some_and(|n| n.to_lowercase().contains(b.as_str()))
                })
                && number.is_none_or(|n| i.number == n)
                && reference.is_none_or(|r| i.reference.as_deref() == Some(r))
                && creation.as_ref().is_none_or(|r| r.contains(i.created_ms))
                && payment.as_ref().is_none_or(paid_in)
                && due
                    .as_ref()
                    .is_none_or(|r| i.due_date.is_some_and(|d| r.contains(d)))
                && invoice_date
                    .as_ref()
                    .is_none_or(|r| r.contains(i.invoice_date))
        })
        .collect();
    page_answer(
        &shared,
        &world,
        found,
        &paging,
        "/v2/invoicing/search-invoices",
        &debug_id,
    )
}
