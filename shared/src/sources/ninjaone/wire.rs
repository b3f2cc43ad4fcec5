//! NinjaOne's answers as the spec gives them (`ninjaone-api-core-resources.yaml`), every field
//! optional: only what this source reads.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// `Organization` / `OrganizationDetailed` (`/v2/organizations-detailed`, `/v2/organization/{id}`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: Option<u64>,
    pub name: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Custom fields: name to value (any JSON).
    #[serde(default)]
    pub fields: BTreeMap<String, Value>,
}

/// `ComputerSystem` of an agent device (`system` on `/v2/devices-detailed`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComputerSystem {
    pub serial_number: Option<String>,
    pub bios_serial_number: Option<String>,
}

/// `Device` (`/v2/devices-detailed`); epoch numbers in an unconfirmed unit (see `normalise::epoch`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    pub id: Option<u64>,
    pub organization_id: Option<u64>,
    pub offline: Option<bool>,
    pub last_contact: Option<f64>,
    pub last_update: Option<f64>,
    pub system: Option<ComputerSystem>,
}

/// `{cursor:{name,offset,count,expires}, results}` of the `/v2/queries/*` reports.
#[derive(Debug, Clone, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct CursorPage<T> {
    pub cursor: Option<Cursor>,
    #[serde(default = "Vec::new")]
    pub results: Vec<T>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Cursor {
    pub name: Option<String>,
}

/// `DeviceHealthSummary`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceHealth {
    pub device_id: Option<u64>,
    pub health_status: Option<String>,
    #[serde(rename = "failedOSPatchesCount")]
    pub failed_os_patches_count: Option<u32>,
    pub active_threats_count: Option<u32>,
}

/// `DeviceAntivirusStatus`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AntivirusStatus {
    pub device_id: Option<u64>,
    pub product_state: Option<String>,
    pub definition_status: Option<String>,
}

/// `Alert` (active alerts). The spec's Alert has no severity field; `severity` is read at the top
/// level or in `data` when NinjaOne sends it (unconfirmed, see `normalise::alert_severity`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub uid: Option<String>,
    pub device_id: Option<u64>,
    pub create_time: Option<f64>,
    pub severity: Option<String>,
    #[serde(default)]
    pub data: Value,
    #[serde(default)]
    pub device: Value,
}

/// `EndUser` (`/v2/user/end-users`, `/v2/organization/{id}/end-users`): only the email's domain is
/// kept.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndUser {
    pub organization_id: Option<u64>,
    pub email: Option<String>,
}

/// `TicketingBoardPublicApiDTO`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Board {
    pub id: Option<u64>,
    pub name: Option<String>,
    pub system: Option<bool>,
}

/// `TicketBoardScrollingRequestDTO`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BoardRun {
    pub page_size: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_cursor_id: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<Rule>,
}

/// `Rule` of a board run's filters.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub field: String,
    pub operator: String,
    pub value: String,
}

/// `TicketDashboardPublicApiDTO`: rows of a board, free-form objects.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BoardPage {
    #[serde(default)]
    pub data: Vec<TicketRow>,
}

/// A ticket row of a board run (its columns; names as `TicketDTO`'s).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketRow {
    pub id: Option<u64>,
    pub client_id: Option<u64>,
    #[serde(default)]
    pub organization: Value,
    #[serde(default)]
    pub status: Value,
    pub priority: Option<String>,
    pub create_time: Option<f64>,
}

/// `WebhookConfiguration` (`PUT /v2/webhook`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookConfiguration {
    pub url: String,
    pub activities: BTreeMap<String, Vec<String>>,
    pub expand: Vec<String>,
    pub headers: Vec<HttpHeader>,
}

/// `HTTPHeader`. Its `Debug` hides the value (it carries the webhook secret).
#[derive(Clone, Serialize)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

impl std::fmt::Debug for HttpHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpHeader")
            .field("name", &self.name)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// An `Activity` as a webhook delivers it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    pub id: Option<Value>,
    pub activity_type: Option<String>,
    pub status_code: Option<String>,
    pub organization_id: Option<u64>,
    #[serde(default)]
    pub device: Value,
    #[serde(default)]
    pub organization: Value,
}
