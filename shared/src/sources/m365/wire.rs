//! Microsoft Graph's and the identity platform's JSON, as far as the source reads it.

use serde::Deserialize;

/// `POST /{tenant}/oauth2/v2.0/token` success.
#[derive(Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub expires_in: Option<i64>,
}

/// The identity platform's error body (`error`, `error_description`, `error_codes`).
#[derive(Debug, Deserialize, Default)]
pub struct TokenError {
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub error_codes: Vec<u64>,
}

/// Graph's error body: `{"error": {"code", "message"}}`.
#[derive(Debug, Deserialize, Default)]
pub struct GraphErrorBody {
    #[serde(default)]
    pub error: GraphError,
}

#[derive(Debug, Deserialize, Default)]
pub struct GraphError {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
}

/// A collection answer: `value` and, when more follows, `@odata.nextLink`.
#[derive(Deserialize)]
pub struct Collection<T> {
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub verified_domains: Vec<VerifiedDomain>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedDomain {
    pub name: String,
    #[serde(default)]
    pub is_initial: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribedSku {
    pub sku_id: String,
    #[serde(default)]
    pub sku_part_number: String,
    #[serde(default)]
    pub capability_status: String,
    #[serde(default)]
    pub consumed_units: u32,
    #[serde(default)]
    pub prepaid_units: PrepaidUnits,
}

#[derive(Deserialize, Default)]
pub struct PrepaidUnits {
    #[serde(default)]
    pub enabled: u32,
    #[serde(default)]
    pub suspended: u32,
    #[serde(default)]
    pub warning: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportSettings {
    #[serde(default)]
    pub display_concealed_names: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedDevice {
    #[serde(default)]
    pub serial_number: Option<String>,
}

/// One row of `getM365AppUserDetail` in JSON. The user's name is deliberately not read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppUserDetail {
    #[serde(default)]
    pub report_refresh_date: Option<chrono::NaiveDate>,
    #[serde(default)]
    pub details: Vec<serde_json::Map<String, serde_json::Value>>,
}
