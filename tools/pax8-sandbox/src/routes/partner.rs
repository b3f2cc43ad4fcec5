//! The partner endpoints (`https://api.pax8.com/v1`): companies, contacts, subscriptions with their
//! history and usage summaries, products. Lists are paged the Pax8 way (see `paging`).

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::{error, gate, json_response, paged, paging, param, query_pairs, AppState};
use crate::model::{date, pax8_datetime, rfc3339, Company, Subscription, Version, World};
use crate::state::read;

macro_rules! gate_or_return {
    ($shared:expr, $headers:expr, $route:expr, $instance:expr) => {
        if let Err(refused) = gate(&$shared, &$headers, $route, $instance).await {
            return refused;
        }
    };
}

fn company_json(company: &Company) -> Value {
    let mut body = json!({
        "id": company.id,
        "name": company.name,
        "address": {
            "street": "100 Main St",
            "city": company.city,
            "postalCode": company.postal_code,
            "country": company.country,
        },
        "phone": "555-555-5555",
        "status": company.status,
        "selfServiceAllowed": false,
        "billOnBehalfOfEnabled": false,
        "orderApprovalRequired": false,
        "updatedDate": pax8_datetime(company.updated_ms),
    });
    if let Some(map) = body.as_object_mut() {
        if let Some(website) = &company.website {
            map.insert("website".into(), website.clone().into());
        }
        if let Some(external_id) = &company.external_id {
            map.insert("externalId".into(), external_id.clone().into());
        }
    }
    body
}

/// A subscription as one of its versions shows it (the current one for the lists).
fn subscription_json(world: &World, subscription: &Subscription, version: &Version) -> Value {
    let product = world.products[subscription.product];
    let company = &world.companies[subscription.company];
    let mut body = json!({
        "id": subscription.id,
        "companyId": company.id,
        "productId": product.id,
        "productName": product.name,
        "quantity": version.quantity,
        "status": version.status,
        "billingTerm": subscription.billing_term,
        "startDate": rfc3339(subscription.start_ms),
        "createdDate": date(subscription.created_ms),
        "updatedDate": pax8_datetime(version.at_ms),
        "billingStart": date(subscription.start_ms),
        "price": subscription.price,
        "partnerCost": (subscription.price * 0.8 * 100.0).round() / 100.0,
        "currencyCode": "USD",
    });
    if let (Some(end_ms), Some(map)) = (subscription.end_ms, body.as_object_mut()) {
        // Pax8's examples hold both forms of `endDate`.
        let end = if subscription.billing_term == "Annual" {
            rfc3339(end_ms)
        } else {
            date(end_ms)
        };
        map.insert("endDate".into(), end.into());
        if subscription.billing_term == "Annual" {
            map.insert(
                "commitmentTerm".into(),
                json!({ "term": "Annual", "endDate": rfc3339(end_ms) }),
            );
        }
    }
    body
}

fn not_found(what: &str, instance: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        &format!("{what} not found"),
        instance,
    )
}

pub(super) async fn companies(
    State(shared): AppState,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let instance = "/v1/companies";
    gate_or_return!(shared, headers, "GET /v1/companies", instance);
    let pairs = query_pairs(query.as_deref());
    let (page, size) = match paging(&pairs, instance) {
        Ok(paging) => paging,
        Err(refused) => return *refused,
    };
    let status = param(&pairs, "status");
    let world = read(&shared.world);
    let items = world
        .companies
        .iter()
        .filter(|c| status.is_none_or(|s| s == c.status))
        .map(company_json)
        .collect();
    paged(items, page, size)
}

pub(super) async fn company(
    State(shared): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let instance = format!("/v1/companies/{id}");
    gate_or_return!(shared, headers, "GET /v1/companies/{id}", &instance);
    let world = read(&shared.world);
    match world.companies.iter().find(|c| c.id == id) {
        Some(company) => json_response(StatusCode::OK, &company_json(company)),
        None => not_found("Company", &instance),
    }
}

pub(super) async fn contacts(
    State(shared): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let instance = format!("/v1/companies/{id}/contacts");
    gate_or_return!(
        shared,
        headers,
        "GET /v1/companies/{id}/contacts",
        &instance
    );
    let pairs = query_pairs(query.as_deref());
    let (page, size) = match paging(&pairs, &instance) {
        Ok(paging) => paging,
        Err(refused) => return *refused,
    };
    let world = read(&shared.world);
    let Some(company) = world.companies.iter().find(|c| c.id == id) else {
        return not_found("Company", &instance);
    };
    // Ordered by createdDate descending, as documented.
    let mut contacts: Vec<_> = company.contacts.iter().collect();
    contacts.sort_by_key(|c| std::cmp::Reverse(c.created_ms));
    let items = contacts
        .iter()
        .enumerate()
        .map(|(n, c)| {
            json!({
                "id": c.id,
                "firstName": c.first_name,
                "lastName": c.last_name,
                "email": c.email,
                "phone": c.phone,
                "createdDate": date(c.created_ms),
                "types": if n == 0 {
                    json!([{"type": "Admin", "primary": true}, {"type": "Billing", "primary": true}, {"type": "Technical", "primary": true}])
                } else {
                    json!([])
                },
            })
        })
        .collect();
    paged(items, page, size)
}

pub(super) async fn subscriptions(
    State(shared): AppState,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let instance = "/v1/subscriptions";
    gate_or_return!(shared, headers, "GET /v1/subscriptions", instance);
    let pairs = query_pairs(query.as_deref());
    let (page, size) = match paging(&pairs, instance) {
        Ok(paging) => paging,
        Err(refused) => return *refused,
    };
    let world = read(&shared.world);
    let company = match param(&pairs, "companyId") {
        None => None,
        Some(id) => match world.companies.iter().position(|c| c.id == id) {
            Some(index) => Some(index),
            // The spec's documented answer to an unknown company.
            None => {
                return error(
                    StatusCode::FORBIDDEN,
                    "FORBIDDEN",
                    "Invalid companyId",
                    instance,
                )
            }
        },
    };
    let status = param(&pairs, "status");
    let term = param(&pairs, "billingTerm");
    let product = param(&pairs, "productId");
    let items = world
        .subscriptions
        .iter()
        .filter(|s| company.is_none_or(|c| s.company == c))
        .filter(|s| status.is_none_or(|st| s.current().status == st))
        .filter(|s| term.is_none_or(|t| s.billing_term == t))
        .filter(|s| product.is_none_or(|p| world.products[s.product].id == p))
        .map(|s| subscription_json(&world, s, s.current()))
        .collect();
    paged(items, page, size)
}

pub(super) async fn subscription(
    State(shared): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let instance = format!("/v1/subscriptions/{id}");
    gate_or_return!(shared, headers, "GET /v1/subscriptions/{id}", &instance);
    let world = read(&shared.world);
    match world.subscriptions.iter().find(|s| s.id == id) {
        Some(s) => json_response(StatusCode::OK, &subscription_json(&world, s, s.current())),
        None => not_found("Subscription", &instance),
    }
}

/// The subscription's versions, newest first (as the spec's example lists them).
pub(super) async fn history(
    State(shared): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let instance = format!("/v1/subscriptions/{id}/history");
    gate_or_return!(
        shared,
        headers,
        "GET /v1/subscriptions/{id}/history",
        &instance
    );
    let world = read(&shared.world);
    let Some(s) = world.subscriptions.iter().find(|s| s.id == id) else {
        return not_found("Subscription", &instance);
    };
    let content: Vec<Value> = s
        .versions
        .iter()
        .rev()
        .map(|v| subscription_json(&world, s, v))
        .collect();
    json_response(StatusCode::OK, &json!({ "content": content }))
}

pub(super) async fn usage_summaries(
    State(shared): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let instance = format!("/v1/subscriptions/{id}/usage-summaries");
    gate_or_return!(
        shared,
        headers,
        "GET /v1/subscriptions/{id}/usage-summaries",
        &instance
    );
    let pairs = query_pairs(query.as_deref());
    let (page, size) = match paging(&pairs, &instance) {
        Ok(paging) => paging,
        Err(refused) => return *refused,
    };
    let world = read(&shared.world);
    let Some(s) = world.subscriptions.iter().find(|s| s.id == id) else {
        return not_found("Subscription", &instance);
    };
    let product = world.products[s.product];
    let charges = (s.current().quantity * s.price * 100.0).round() / 100.0;
    let items = vec![json!({
        "id": format!("{}-usage", s.id),
        "companyId": world.companies[s.company].id,
        "subscriptionId": s.id,
        "productId": product.id,
        "resourceGroup": world.companies[s.company].name,
        "vendorName": product.vendor,
        "currentCharges": charges,
        "currencyCode": "USD",
        "partnerTotal": (charges * 0.8 * 100.0).round() / 100.0,
        "isTrial": false,
    })];
    paged(items, page, size)
}

pub(super) async fn product(
    State(shared): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let instance = format!("/v1/products/{id}");
    gate_or_return!(shared, headers, "GET /v1/products/{id}", &instance);
    let world = read(&shared.world);
    match world.products.iter().find(|p| p.id == id) {
        Some(p) => json_response(
            StatusCode::OK,
            &json!({ "id": p.id, "name": p.name, "vendorName": p.vendor, "requiresCommitment": false }),
        ),
        None => not_found("Product", &instance),
    }
}
