//! Organisations, end users, devices and the cursor queries (device health, antivirus, patches).

#![allow(clippy::result_large_err)]

use super::*;

// ---- organisations -------------------------------------------------------------------------------

pub(super) fn org_json(org: &Org, detailed: bool) -> Value {
    let mut value = json!({
        "id": org.id,
        "name": org.name,
        "description": "",
        "nodeApprovalMode": "AUTOMATIC",
        "tags": org.tags,
    });
    if detailed {
        let fields: serde_json::Map<String, Value> = org
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        value["fields"] = Value::Object(fields);
        value["locations"] = json!([{ "id": org.id * 10, "name": "Main office" }]);
        value["policies"] = json!([]);
        value["settings"] = json!({});
    }
    value
}

pub(super) async fn list_orgs(
    shared: &Shared,
    params: &HashMap<String, String>,
    detailed: bool,
) -> Response {
    let size = match page_size(shared, params) {
        Ok(size) => size,
        Err(refused) => return refused,
    };
    let after = match after(params) {
        Ok(after) => after,
        Err(refused) => return refused,
    };
    let page: Vec<Value> = shared
        .world
        .orgs
        .iter()
        .filter(|o| o.id > after)
        .take(size)
        .map(|o| org_json(o, detailed))
        .collect();
    Json(page).into_response()
}

pub(super) async fn organizations(
    State(shared): App,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    gate!(shared, headers, "GET /v2/organizations");
    list_orgs(&shared, &params, false).await
}

pub(super) async fn organizations_detailed(
    State(shared): App,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    gate!(shared, headers, "GET /v2/organizations-detailed");
    list_orgs(&shared, &params, true).await
}

pub(super) fn find_org(shared: &Shared, id: u32) -> Result<&Org, Response> {
    shared
        .world
        .orgs
        .iter()
        .find(|o| o.id == id)
        .ok_or_else(|| error(StatusCode::NOT_FOUND, "NOT_FOUND", "Organization not found"))
}

pub(super) async fn organization(
    State(shared): App,
    headers: HeaderMap,
    Path(id): Path<u32>,
) -> Response {
    gate!(shared, headers, "GET /v2/organization/{id}");
    match find_org(&shared, id) {
        Ok(org) => Json(org_json(org, true)).into_response(),
        Err(refused) => refused,
    }
}

pub(super) async fn custom_fields(
    State(shared): App,
    headers: HeaderMap,
    Path(id): Path<u32>,
) -> Response {
    gate!(shared, headers, "GET /v2/organization/{id}/custom-fields");
    match find_org(&shared, id) {
        Ok(org) => Json(org_json(org, true)["fields"].clone()).into_response(),
        Err(refused) => refused,
    }
}

pub(super) fn end_user_json(user: &crate::model::EndUser) -> Value {
    json!({
        "id": user.id,
        "uid": format!("00000000-0000-4000-8000-{:012x}", user.id),
        "firstName": "End",
        "lastName": format!("User {}", user.id),
        "email": user.email,
        "organizationId": user.org,
        "fullPortalAccess": false,
    })
}

pub(super) async fn org_end_users(
    State(shared): App,
    headers: HeaderMap,
    Path(id): Path<u32>,
) -> Response {
    gate!(shared, headers, "GET /v2/organization/{id}/end-users");
    if let Err(refused) = find_org(&shared, id) {
        return refused;
    }
    let users: Vec<Value> = shared
        .world
        .end_users
        .iter()
        .filter(|u| u.org == id)
        .map(end_user_json)
        .collect();
    Json(users).into_response()
}

pub(super) async fn end_users(State(shared): App, headers: HeaderMap) -> Response {
    gate!(shared, headers, "GET /v2/user/end-users");
    let users: Vec<Value> = shared.world.end_users.iter().map(end_user_json).collect();
    Json(users).into_response()
}

// ---- devices -------------------------------------------------------------------------------------

pub(super) fn device_json(shared: &Shared, device: &Device, detailed: bool) -> Value {
    let mut value = json!({
        "id": device.id,
        "uid": format!("10000000-0000-4000-8000-{:012x}", device.id),
        "organizationId": device.org,
        "locationId": device.org * 10,
        "nodeClass": "WINDOWS_WORKSTATION",
        "approvalStatus": "APPROVED",
        "offline": device.offline,
        "displayName": device.system_name,
        "systemName": device.system_name,
        "dnsName": format!("{}.local", device.system_name.to_ascii_lowercase()),
        "created": shared.epoch(400 * 86_400),
        "lastContact": shared.epoch(device.last_contact_ago_s),
        "lastUpdate": shared.epoch(device.last_contact_ago_s),
    });
    if detailed {
        value["system"] = json!({
            "manufacturer": "Dell Inc.",
            "model": "OptiPlex 7090",
            "serialNumber": device.serial,
            "biosSerialNumber": device.serial,
            "virtualMachine": false,
        });
        value["os"] = json!({ "name": "Windows 11 Pro" });
    }
    value
}

pub(super) async fn list_devices(
    shared: &Shared,
    params: &HashMap<String, String>,
    detailed: bool,
) -> Response {
    let (size, after, orgs) = match (
        page_size(shared, params),
        after(params),
        org_filter(params.get("df")),
    ) {
        (Ok(size), Ok(after), Ok(orgs)) => (size, after, orgs),
        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return r,
    };
    let page: Vec<Value> = shared
        .world
        .devices
        .iter()
        .filter(|d| d.id > after && keeps(&orgs, d.org))
        .take(size)
        .map(|d| device_json(shared, d, detailed))
        .collect();
    Json(page).into_response()
}

pub(super) async fn devices(
    State(shared): App,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    gate!(shared, headers, "GET /v2/devices");
    list_devices(&shared, &params, false).await
}

pub(super) async fn devices_detailed(
    State(shared): App,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    gate!(shared, headers, "GET /v2/devices-detailed");
    list_devices(&shared, &params, true).await
}

// ---- cursor queries ------------------------------------------------------------------------------

/// How long a query cursor lives (NinjaOne sends `expires`; its length is unconfirmed).
const CURSOR_TTL_MS: i64 = 10 * 60 * 1_000;

pub(super) fn query_rows(shared: &Shared, kind: QueryKind, orgs: &Option<Vec<u32>>) -> Vec<Value> {
    let devices = shared.world.devices.iter().filter(|d| keeps(orgs, d.org));
    match kind {
        QueryKind::DeviceHealth => devices
            .map(|d| {
                json!({
                    "deviceId": d.id,
                    "offline": d.offline,
                    "healthStatus": d.health,
                    "failedOSPatchesCount": d.failed_patches,
                    "pendingOSPatchesCount": d.failed_patches * 2,
                    "activeThreatsCount": d.active_threats,
                    "quarantinedThreatsCount": 0,
                    "blockedThreatsCount": 0,
                    "alertCount": shared.world.alerts.iter().filter(|a| a.device == d.id).count(),
                })
            })
            .collect(),
        QueryKind::Antivirus => devices
            .map(|d| {
                json!({
                    "deviceId": d.id,
                    "productName": "Bitdefender Endpoint Security",
                    "productState": d.av_state,
                    "definitionStatus": d.av_definitions,
                    "version": "7.9",
                    "timestamp": shared.epoch(d.last_contact_ago_s),
                })
            })
            .collect(),
        QueryKind::OsPatches => devices
            .flat_map(|d| {
                (0..d.failed_patches).map(move |i| {
                    json!({
                        "deviceId": d.id,
                        "id": format!("KB50{:05}", d.id * 10 + i),
                        "name": "Cumulative Update",
                        "severity": "IMPORTANT",
                        "status": "FAILED",
                        "type": "PATCH",
                    })
                })
            })
            .collect(),
    }
}

pub(super) async fn cursor_query(
    shared: &Shared,
    params: &HashMap<String, String>,
    kind: QueryKind,
) -> Response {
    let now = shared.now_ms();
    let (name, mut session) = match params.get("cursor").filter(|c| !c.is_empty()) {
        Some(name) => {
            let found = lock(&shared.cursors).get(name).cloned();
            match found {
                Some(session) if session.kind == kind && session.expires_ms > now => {
                    (name.clone(), session)
                }
                _ => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "BAD_REQUEST",
                        "Invalid or expired cursor",
                    )
                }
            }
        }
        None => {
            let (size, orgs) = match (page_size(shared, params), org_filter(params.get("df"))) {
                (Ok(size), Ok(orgs)) => (size, orgs),
                (Err(r), _) | (_, Err(r)) => return r,
            };
            let mut seq = lock(&shared.cursor_seq);
            *seq += 1;
            (
                format!("cursor-{:x}-{:x}", *seq, lock(&shared.rng).random::<u32>()),
                CursorSession {
                    kind,
                    orgs,
                    next: 0,
                    page_size: size,
                    expires_ms: now + CURSOR_TTL_MS,
                },
            )
        }
    };
    let rows = query_rows(shared, kind, &session.orgs);
    let offset = session.next.min(rows.len());
    let page: Vec<Value> = rows
        .into_iter()
        .skip(offset)
        .take(session.page_size)
        .collect();
    session.next = offset + page.len();
    let expires = if shared.config.epoch_millis {
        session.expires_ms as f64
    } else {
        session.expires_ms as f64 / 1_000.0
    };
    let count = page.len();
    lock(&shared.cursors).insert(name.clone(), session);
    Json(json!({
        "cursor": { "name": name, "offset": offset, "count": count, "expires": expires },
        "results": page,
    }))
    .into_response()
}

pub(super) async fn device_health(
    State(shared): App,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    gate!(shared, headers, "GET /v2/queries/device-health");
    cursor_query(&shared, &params, QueryKind::DeviceHealth).await
}

pub(super) async fn antivirus_status(
    State(shared): App,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    gate!(shared, headers, "GET /v2/queries/antivirus-status");
    cursor_query(&shared, &params, QueryKind::Antivirus).await
}

pub(super) async fn os_patches(
    State(shared): App,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    gate!(shared, headers, "GET /v2/queries/os-patches");
    cursor_query(&shared, &params, QueryKind::OsPatches).await
}
