//! `GET /v1/billing/subscriptions/{id}?fields=last_failed_payment,plan`. There is no list endpoint:
//! subscription ids come from webhooks and from T0002 rows (`paypal_reference_id`, type `SUB`).

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::{gate, param, query_pairs, AppState};
use crate::model::{money, rfc3339, SubscriptionRec, World};
use crate::state::read;
use crate::wire::{json_response, link, ApiError, Detail};

/// The subscription as PayPal shows it; `last_failed_payment` only when asked for, as the API does.
pub(crate) fn subscription_json(
    world: &World,
    sub: &SubscriptionRec,
    base_url: &str,
    with_last_failed: bool,
    with_plan: bool,
) -> Value {
    let payer = &world.payers[sub.payer];
    let mut billing = Map::new();
    billing.insert("outstanding_balance".into(), money(sub.outstanding_cents));
    billing.insert(
        "cycle_executions".into(),
        json!([{
            "tenure_type": "REGULAR",
            "sequence": 1,
            "cycles_completed": sub.cycles_completed,
            "cycles_remaining": 0,
            "current_pricing_scheme_version": 1,
            "total_cycles": 0,
        }]),
    );
    if let Some((cents, at)) = sub.last_payment {
        billing.insert(
            "last_payment".into(),
            json!({ "amount": money(cents), "time": rfc3339(at) }),
        );
    }
    if let Some(at) = sub.next_billing_ms {
        billing.insert("next_billing_time".into(), rfc3339(at).into());
    }
    billing.insert(
        "failed_payments_count".into(),
        sub.failed_payments_count.into(),
    );
    if let (true, Some((cents, at, reason))) = (with_last_failed, sub.last_failed) {
        billing.insert(
            "last_failed_payment".into(),
            json!({ "amount": money(cents), "time": rfc3339(at), "reason_code": reason }),
        );
    }
    let mut body = Map::new();
    body.insert("id".into(), sub.id.clone().into());
    body.insert("plan_id".into(), sub.plan_id.clone().into());
    body.insert("status".into(), sub.status.into());
    body.insert(
        "status_update_time".into(),
        rfc3339(sub.status_update_ms).into(),
    );
    body.insert("start_time".into(), rfc3339(sub.start_ms).into());
    body.insert("quantity".into(), "1".into());
    if let Some(custom) = &sub.custom_id {
        body.insert("custom_id".into(), custom.clone().into());
    }
    body.insert(
        "subscriber".into(),
        json!({
            "email_address": payer.email,
            "payer_id": payer.account_id,
            "name": { "given_name": payer.given_name, "surname": payer.surname },
        }),
    );
    body.insert("billing_info".into(), Value::Object(billing));
    body.insert("create_time".into(), rfc3339(sub.created_ms).into());
    body.insert("update_time".into(), rfc3339(sub.updated_ms).into());
    body.insert("plan_overridden".into(), false.into());
    if with_plan {
        body.insert(
            "plan".into(),
            json!({
                "billing_cycles": [{
                    "tenure_type": "REGULAR",
                    "sequence": 1,
                    "frequency": { "interval_unit": "MONTH", "interval_count": 1 },
                    "total_cycles": 0,
                    "pricing_scheme": { "fixed_price": money(sub.amount_cents) },
                }],
                "payment_preferences": { "payment_failure_threshold": 3 },
            }),
        );
    }
    let url = format!("{base_url}/v1/billing/subscriptions/{}", sub.id);
    body.insert(
        "links".into(),
        json!([
            link(format!("{url}/cancel"), "cancel", "POST"),
            link(url.clone(), "edit", "PATCH"),
            link(url, "self", "GET"),
        ]),
    );
    Value::Object(body)
}

pub(super) async fn get_one(
    State(shared): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let debug_id = match gate(&shared, &headers, "GET /v1/billing/subscriptions/{id}").await {
        Ok(id) => id,
        Err(refused) => return refused,
    };
    let pairs = query_pairs(raw.as_deref());
    let fields: Vec<&str> = param(&pairs, "fields")
        .map(|f| f.split(',').map(str::trim).collect())
        .unwrap_or_default();
    let world = read(&shared.world);
    match world.subscriptions.iter().find(|s| s.id == id) {
        Some(sub) => json_response(
            StatusCode::OK,
            &subscription_json(
                &world,
                sub,
                &shared.base_url,
                fields.contains(&"last_failed_payment"),
                fields.contains(&"plan"),
            ),
            &debug_id,
        ),
        None => ApiError::NotFound {
            details: vec![Detail {
                location: "path",
                ..Detail::body(
                    "id",
                    Some(&id),
                    "INVALID_RESOURCE_ID",
                    "Specified resource ID does not exist. Please check the resource ID and try again.",
                )
            }],
        }
        .respond(&debug_id),
    }
}
