//! `GET /v1/customer/disputes` (180 days back, page_size at most 50, `next_page_token` in the links)
//! and `GET /v1/customer/disputes/{id}`.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine;
use serde_json::{json, Value};

use super::{gate, param, query_pairs, AppState};
use crate::model::{money, rfc3339, DisputeRec, World, DAY_MS};
use crate::state::read;
use crate::wire::{bounded_int, json_response, link, parse_instant, ApiError, Detail};

const WINDOW_MS: i64 = 180 * DAY_MS;

fn self_link(base_url: &str, dispute: &DisputeRec) -> Value {
    link(
        format!("{base_url}/v1/customer/disputes/{}", dispute.id),
        "self",
        "GET",
    )
}

/// The summary the list shows.
pub(crate) fn summary_json(dispute: &DisputeRec, base_url: &str) -> Value {
    json!({
        "dispute_id": dispute.id,
        "create_time": rfc3339(dispute.created_ms),
        "update_time": rfc3339(dispute.updated_ms),
        "reason": dispute.reason,
        "status": dispute.status,
        "dispute_state": dispute.state,
        "dispute_amount": money(dispute.amount_cents),
        "dispute_life_cycle_stage": dispute.stage,
        "dispute_channel": if dispute.stage == "CHARGEBACK" { "EXTERNAL" } else { "INTERNAL" },
        "links": [self_link(base_url, dispute)],
    })
}

/// The full dispute. Merchants see the buyer's name, not their email.
pub(crate) fn dispute_json(world: &World, dispute: &DisputeRec, base_url: &str) -> Value {
    let payer = &world.payers[dispute.payer];
    let mut transaction = json!({
        "seller_transaction_id": dispute.transaction_id,
        "create_time": rfc3339(dispute.created_ms),
        "transaction_status": if dispute.outcome == Some("RESOLVED_BUYER_FAVOUR") { "REVERSED" } else { "COMPLETED" },
        "gross_amount": money(dispute.amount_cents),
        "buyer": { "name": payer.full_name() },
        "seller": { "merchant_id": "MSPMERCHANT01", "name": "Northstar Managed IT" },
    });
    if let Some(map) = transaction.as_object_mut() {
        if let Some(number) = &dispute.invoice_number {
            map.insert("invoice_number".into(), number.clone().into());
        }
        if let Some(custom) = &payer.custom_id {
            map.insert("custom".into(), custom.clone().into());
        }
    }
    let mut body = summary_json(dispute, base_url);
    if let Some(map) = body.as_object_mut() {
        map.insert("disputed_transactions".into(), json!([transaction]));
        if let Some(outcome) = dispute.outcome {
            let refunded = if outcome == "RESOLVED_BUYER_FAVOUR" {
                dispute.amount_cents
            } else {
                0
            };
            map.insert(
                "dispute_outcome".into(),
                json!({ "outcome_code": outcome, "amount_refunded": money(refunded) }),
            );
        }
        if dispute.status != "RESOLVED" {
            map.insert(
                "seller_response_due_date".into(),
                rfc3339(dispute.updated_ms + 10 * DAY_MS).into(),
            );
        }
    }
    body
}

fn instant_param(
    pairs: &[(String, String)],
    name: &str,
    oldest: i64,
) -> Result<Option<i64>, Detail> {
    let Some(raw) = param(pairs, name) else {
        return Ok(None);
    };
    let Some(at) = parse_instant(raw) else {
        return Err(Detail::query(
            name,
            Some(raw),
            "INVALID_PARAMETER_SYNTAX",
            "The value of a field does not conform to the expected format.",
        ));
    };
    let at = at.timestamp_millis();
    if at < oldest {
        return Err(Detail::query(
            name,
            Some(raw),
            "INVALID_PARAMETER_VALUE",
            "The value must be within the last 180 days.",
        ));
    }
    Ok(Some(at))
}

fn encode_token(offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("offset:{offset}"))
}

fn decode_token(token: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("offset:")?
        .parse()
        .ok()
}

pub(super) async fn list(
    State(shared): AppState,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let debug_id = match gate(&shared, &headers, "GET /v1/customer/disputes").await {
        Ok(id) => id,
        Err(refused) => return refused,
    };
    let pairs = query_pairs(raw.as_deref());
    let now = shared.now_ms();
    let oldest = now - WINDOW_MS;
    let mut details = Vec::new();
    let start = instant_param(&pairs, "start_time", oldest).map_err(|d| details.push(d));
    let after = instant_param(&pairs, "update_time_after", oldest).map_err(|d| details.push(d));
    let before = instant_param(&pairs, "update_time_before", oldest).map_err(|d| details.push(d));
    let page_size = bounded_int("page_size", param(&pairs, "page_size"), 10, 1, 50)
        .map_err(|d| details.push(d));
    let transaction = param(&pairs, "disputed_transaction_id");
    if transaction.is_some() && param(&pairs, "start_time").is_some() {
        details.push(Detail::query(
            "start_time",
            param(&pairs, "start_time"),
            "INVALID_PARAMETER_COMBINATION",
            "Specify either start_time or disputed_transaction_id, not both.",
        ));
    }
    let offset = match param(&pairs, "next_page_token") {
        None => Some(0),
        Some(token) => decode_token(token),
    };
    if offset.is_none() {
        details.push(Detail::query(
            "next_page_token",
            param(&pairs, "next_page_token"),
            "INVALID_PARAMETER_VALUE",
            "The value of a field is invalid.",
        ));
    }
    let (Ok(start), Ok(after), Ok(before), Ok(page_size), Some(offset), true) =
        (start, after, before, page_size, offset, details.is_empty())
    else {
        return ApiError::invalid(details).respond(&debug_id);
    };
    let states: Option<Vec<&str>> = param(&pairs, "dispute_state").map(|s| s.split(',').collect());
    let world = read(&shared.world);
    let mut found: Vec<&DisputeRec> = world
        .disputes
        .iter()
        .filter(|d| {
            // By transaction id, older disputes are reachable too; otherwise the last 180 days only.
            let in_reach = match transaction {
                Some(id) => d.transaction_id == id,
                None => d.created_ms >= start.unwrap_or(oldest),
            };
            in_reach
                && d.created_ms <= now
                && after.is_none_or(|a| d.updated_ms >= a)
                && before.is_none_or(|b| d.updated_ms <= b)
                && states.as_ref().is_none_or(|s| s.contains(&d.state))
        })
        .collect();
    // Latest to earliest.
    found.sort_by(|a, b| b.created_ms.cmp(&a.created_ms).then(b.id.cmp(&a.id)));
    let size = page_size as usize;
    let items: Vec<Value> = found
        .iter()
        .skip(offset)
        .take(size)
        .map(|d| summary_json(d, &shared.base_url))
        .collect();
    let base = format!("{}/v1/customer/disputes", shared.base_url);
    let with_token = |token: Option<String>| {
        let mut pairs: Vec<(String, String)> = pairs
            .iter()
            .filter(|(k, _)| k != "next_page_token")
            .cloned()
            .collect();
        if let Some(token) = token {
            pairs.push(("next_page_token".into(), token));
        }
        format!(
            "{base}?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    };
    let mut links = vec![link(
        with_token((offset > 0).then(|| encode_token(offset))),
        "self",
        "GET",
    )];
    links.push(link(with_token(None), "first_page", "GET"));
    if offset + size < found.len() {
        links.push(link(
            with_token(Some(encode_token(offset + size))),
            "next_page",
            "GET",
        ));
    }
    json_response(
        StatusCode::OK,
        &json!({ "items": items, "links": links }),
        &debug_id,
    )
}

pub(super) async fn get_one(
    State(shared): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let debug_id = match gate(&shared, &headers, "GET /v1/customer/disputes/{id}").await {
        Ok(id) => id,
        Err(refused) => return refused,
    };
    let world = read(&shared.world);
    match world.disputes.iter().find(|d| d.id == id) {
        Some(dispute) => json_response(
            StatusCode::OK,
            &dispute_json(&world, dispute, &shared.base_url),
            &debug_id,
        ),
        None => ApiError::NotFound {
            details: vec![Detail::body(
                "dispute_id",
                Some(&id),
                "INVALID_RESOURCE_ID",
                "Requested resource ID was not found.",
            )],
        }
        .respond(&debug_id),
    }
}
