//! `organization`, `subscribedSkus`, `admin/reportSettings` and Intune `managedDevices`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::{admit, graph_error, json_response, AppState};

pub(super) async fn organization(State(shared): AppState, headers: HeaderMap) -> Response {
    let tenant = match admit(&shared, &headers, "GET /v1.0/organization").await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let mut domains: Vec<Value> = tenant
        .domains
        .iter()
        .enumerate()
        .map(|(i, name)| {
            json!({
                "capabilities": "Email, OfficeCommunicationsOnline",
                "isDefault": i == 0,
                "isInitial": false,
                "name": name,
                "type": "Managed",
            })
        })
        .collect();
    domains.push(json!({
        "capabilities": "Email, OfficeCommunicationsOnline",
        "isDefault": tenant.domains.is_empty(),
        "isInitial": true,
        "name": tenant.initial_domain,
        "type": "Managed",
    }));
    json_response(
        StatusCode::OK,
        &json!({
            "@odata.context": format!("{}/v1.0/$metadata#organization", shared.base_url),
            "value": [{
                "id": tenant.tenant_id,
                "displayName": tenant.display_name,
                "countryLetterCode": "US",
                "tenantType": "AAD",
                "verifiedDomains": domains,
            }]
        }),
    )
}

pub(super) async fn subscribed_skus(State(shared): AppState, headers: HeaderMap) -> Response {
    let tenant = match admit(&shared, &headers, "GET /v1.0/subscribedSkus").await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let value: Vec<Value> = tenant
        .skus
        .iter()
        .map(|sku| {
            json!({
                "accountId": tenant.tenant_id,
                "appliesTo": "User",
                "capabilityStatus": sku.capability_status,
                "consumedUnits": sku.consumed,
                "id": format!("{}_{}", tenant.tenant_id, sku.sku_id),
                "prepaidUnits": {
                    "enabled": sku.enabled,
                    "lockedOut": 0,
                    "suspended": sku.suspended,
                    "warning": sku.warning,
                },
                "servicePlans": [],
                "skuId": sku.sku_id,
                "skuPartNumber": sku.part_number,
            })
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({
            "@odata.context": format!("{}/v1.0/$metadata#subscribedSkus", shared.base_url),
            "value": value,
        }),
    )
}

pub(super) async fn report_settings(State(shared): AppState, headers: HeaderMap) -> Response {
    let tenant = match admit(&shared, &headers, "GET /v1.0/admin/reportSettings").await {
        Ok(t) => t,
        Err(r) => return r,
    };
    json_response(
        StatusCode::OK,
        &json!({
            "@odata.context": format!("{}/v1.0/$metadata#admin/reportSettings/$entity", shared.base_url),
            "displayConcealedNames": tenant.concealed_names,
        }),
    )
}

pub(super) async fn managed_devices(
    State(shared): AppState,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let tenant = match admit(
        &shared,
        &headers,
        "GET /v1.0/deviceManagement/managedDevices",
    )
    .await
    {
        Ok(t) => t,
        Err(r) => return r,
    };
    let skip = match query.get("$skiptoken").map(|s| s.parse::<usize>()) {
        None => 0,
        Some(Ok(skip)) => skip,
        Some(Err(_)) => {
            return graph_error(
                &shared,
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "Invalid $skiptoken.",
            )
        }
    };
    let page = shared.config.limits.devices_page_size.max(1);
    let top = query
        .get("$top")
        .and_then(|t| t.parse::<usize>().ok())
        .map_or(page, |t| t.clamp(1, page));
    let value: Vec<Value> = tenant
        .devices
        .iter()
        .skip(skip)
        .take(top)
        .map(|d| {
            json!({
                "id": d.id,
                "deviceName": d.device_name,
                "serialNumber": d.serial_number,
                "operatingSystem": "Windows",
                "managedDeviceOwnerType": "company",
                "complianceState": "compliant",
            })
        })
        .collect();
    let mut body = json!({
        "@odata.context": format!("{}/v1.0/$metadata#deviceManagement/managedDevices", shared.base_url),
        "value": value,
    });
    if skip + top < tenant.devices.len() {
        body["@odata.nextLink"] = json!(format!(
            "{}/v1.0/deviceManagement/managedDevices?$top={top}&$skiptoken={}",
            shared.base_url,
            skip + top
        ));
    }
    json_response(StatusCode::OK, &body)
}
