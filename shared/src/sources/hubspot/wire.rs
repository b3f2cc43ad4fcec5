//! HubSpot's JSON, as HubSpot sends it. Every field is optional or defaulted: HubSpot promises little,
//! and one odd record must not stop a sync. These types never leave the `hubspot` module.

use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// An id HubSpot sends as a string in some places and as a number in others (`toObjectId`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WireId(pub String);

impl<'de> Deserialize<'de> for WireId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(s) => Ok(WireId(s)),
            serde_json::Value::Number(n) => Ok(WireId(n.to_string())),
            other => Err(serde::de::Error::custom(format!(
                "expected an id, got {other}"
            ))),
        }
    }
}

/// Property values are strings or null; numbers and booleans are tolerated and kept as text.
fn lenient_properties<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, Option<String>>, D::Error> {
    let raw: Option<BTreeMap<String, serde_json::Value>> = Option::deserialize(deserializer)?;
    Ok(raw
        .unwrap_or_default()
        .into_iter()
        .map(|(name, value)| {
            let text = match value {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(s),
                serde_json::Value::Number(n) => Some(n.to_string()),
                serde_json::Value::Bool(b) => Some(b.to_string()),
                other => Some(other.to_string()),
            };
            (name, text)
        })
        .collect())
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Paging {
    #[serde(default)]
    pub next: Option<NextPage>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NextPage {
    /// A string for list endpoints, an integer-like string (or number) for search.
    pub after: serde_json::Value,
}

impl NextPage {
    pub fn after_text(&self) -> Option<String> {
        match &self.after {
            serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AssociationRef {
    pub id: WireId,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct EmbeddedAssociations {
    #[serde(default)]
    pub results: Vec<AssociationRef>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireRecord {
    pub id: WireId,
    #[serde(default, deserialize_with = "lenient_properties")]
    pub properties: BTreeMap<String, Option<String>>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub archived: Option<bool>,
    /// Keyed by the target type's name (`companies`, `contacts`); list endpoints only.
    #[serde(default)]
    pub associations: Option<BTreeMap<String, EmbeddedAssociations>>,
}

impl WireRecord {
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties.get(name).and_then(|v| v.as_deref())
    }
}

/// `GET /crm/v3/objects/{type}` and `POST .../search`.
#[derive(Debug, Clone, Deserialize)]
pub struct RecordsPage {
    #[serde(default)]
    pub results: Vec<WireRecord>,
    #[serde(default)]
    pub paging: Option<Paging>,
    #[serde(default)]
    pub total: Option<u64>,
}

impl RecordsPage {
    pub fn next_after(&self) -> Option<String> {
        self.paging
            .as_ref()
            .and_then(|p| p.next.as_ref())
            .and_then(NextPage::after_text)
    }
}

/// One entry of a 207's `errors`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BatchError {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    /// e.g. `{"ids": ["123"]}` for objects not found.
    #[serde(default)]
    pub context: Option<BTreeMap<String, Vec<serde_json::Value>>>,
}

impl BatchError {
    /// Objects that do not exist are expected in batch reads (deleted since the webhook, or no
    /// associations); anything else is worth a warning.
    pub fn is_not_found(&self) -> bool {
        self.category.as_deref() == Some("OBJECT_NOT_FOUND")
    }

    pub fn describe(&self) -> String {
        let ids = self
            .context
            .as_ref()
            .and_then(|c| c.get("ids"))
            .map(|ids| ids.len())
            .unwrap_or(0);
        format!(
            "{} {}: {} ({ids} ids)",
            self.status.as_deref().unwrap_or("error"),
            self.category.as_deref().unwrap_or("-"),
            self.message.as_deref().unwrap_or("-")
        )
    }
}

/// `POST /crm/v3/objects/{type}/batch/read`: 200, or 207 with `errors` and `numErrors`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchReadResponse {
    #[serde(default)]
    pub results: Vec<WireRecord>,
    #[serde(default)]
    pub errors: Vec<BatchError>,
    #[serde(default)]
    pub num_errors: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IdInput<'a> {
    pub id: &'a str,
}

#[derive(Debug, Clone, Serialize)]
pub struct BatchReadRequest<'a> {
    pub inputs: Vec<IdInput<'a>>,
    pub properties: &'a [&'a str],
}

#[derive(Debug, Clone, Serialize)]
pub struct AssociationBatchRequest<'a> {
    pub inputs: Vec<IdInput<'a>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AssociationFrom {
    pub id: WireId,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociationTo {
    pub to_object_id: WireId,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AssociationResult {
    pub from: AssociationFrom,
    #[serde(default)]
    pub to: Vec<AssociationTo>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

/// `POST /crm/v4/associations/{from}/{to}/batch/read`: 200, or 207 with `errors`.
#[derive(Debug, Clone, Deserialize)]
pub struct AssociationBatchResponse {
    #[serde(default)]
    pub results: Vec<AssociationResult>,
    #[serde(default)]
    pub errors: Vec<BatchError>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchFilter {
    pub property_name: &'static str,
    pub operator: &'static str,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchFilterGroup {
    pub filters: Vec<SearchFilter>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchSort {
    pub property_name: &'static str,
    pub direction: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest<'a> {
    pub filter_groups: Vec<SearchFilterGroup>,
    pub sorts: Vec<SearchSort>,
    pub properties: &'a [&'a str],
    pub limit: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// `POST /oauth/v1/token`. Tokens are secrets from the moment they are parsed.
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    pub access_token: secrecy::SecretString,
    #[serde(default)]
    pub refresh_token: Option<secrecy::SecretString>,
    pub expires_in: u64,
}

/// `GET /oauth/v1/access-tokens/{token}`.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenInfo {
    pub hub_id: u64,
    #[serde(default)]
    pub hub_domain: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub app_id: Option<u64>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_records_with_null_numeric_and_missing_properties() {
        let json = r#"{"results":[{"id":"1","properties":{"amount":"5000","closedate":null,"n":3,"b":true},
            "createdAt":"2024-09-11T13:27:39.356Z","archived":false,
            "associations":{"companies":{"results":[{"id":"7","type":"deal_to_company"},{"id":8,"type":"x"}]}}}],
            "paging":{"next":{"after":"1","link":"?after=1"}}}"#;
        let page: RecordsPage = serde_json::from_str(json).unwrap();
        let record = &page.results[0];
        assert_eq!(record.property("amount"), Some("5000"));
        assert_eq!(record.property("closedate"), None);
        assert_eq!(record.property("n"), Some("3"));
        assert_eq!(record.property("b"), Some("true"));
        let companies = &record.associations.as_ref().unwrap()["companies"];
        let ids: Vec<_> = companies.results.iter().map(|a| a.id.0.as_str()).collect();
        assert_eq!(ids, ["7", "8"]);
        assert_eq!(page.next_after().as_deref(), Some("1"));
    }

    #[test]
    fn reads_v4_associations_with_numeric_ids_and_partial_errors() {
        let json = r#"{"status":"COMPLETE","results":[{"from":{"id":"1"},"to":[{"toObjectId":42,"associationTypes":[{"category":"HUBSPOT_DEFINED","typeId":1,"label":null}]}]}],
            "errors":[{"status":"error","category":"OBJECT_NOT_FOUND","message":"nope","context":{"ids":["9"]}}],"numErrors":1}"#;
        let response: AssociationBatchResponse = serde_json::from_str(json).unwrap();
        assert_eq!(response.results[0].to[0].to_object_id.0, "42");
        assert_eq!(response.errors.len(), 1);
    }
}
