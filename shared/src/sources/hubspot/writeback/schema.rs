//! The company properties write-back owns, in one group, and how it makes sure they exist: read what
//! the portal has, create only what is missing, and take a 409 (created meanwhile) as existing.
//!
//! | property | type | what it holds |
//! | --- | --- | --- |
//! | `ci_health_score` | number | overall health, 0 to 100 |
//! | `ci_health_band` | enumeration | `healthy`, `watch`, `at_risk`, `critical` |
//! | `ci_churn_risk` | number | churn risk in percent, 0 to 100 |
//! | `ci_top_insight` | string | title of the highest-impact open insight (empty when none) |
//! | `ci_last_scored` | datetime | when the values written were computed |
//!
//! The `ci_` prefix (Connected Insights) keeps them apart from the portal's own properties; all live
//! in the group `connected_insights`, labelled "Connected Insights".

use super::{hubspot_error, HubSpotWriteback};
use crate::domain::HealthBand;
use crate::ports::writeback::{CrmWriteError, SchemaOutcome};
use crate::sources::hubspot::error::HubSpotError;
use crate::sources::hubspot::limiter::Budget;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const GROUP_NAME: &str = "connected_insights";
pub const GROUP_LABEL: &str = "Connected Insights";
pub const HEALTH_SCORE: &str = "ci_health_score";
pub const HEALTH_BAND: &str = "ci_health_band";
pub const CHURN_RISK: &str = "ci_churn_risk";
pub const TOP_INSIGHT: &str = "ci_top_insight";
pub const LAST_SCORED: &str = "ci_last_scored";

const GROUPS_PATH: &str = "/crm/v3/properties/companies/groups";
const PROPERTIES_PATH: &str = "/crm/v3/properties/companies";
/// Creating property definitions needs this scope.
pub const SCHEMA_SCOPE: &str = "crm.schemas.companies.write";

/// The band's value in `ci_health_band`.
pub fn band_value(band: HealthBand) -> &'static str {
    match band {
        HealthBand::Healthy => "healthy",
        HealthBand::Watch => "watch",
        HealthBand::AtRisk => "at_risk",
        HealthBand::Critical => "critical",
    }
}

/// One property definition as `POST /crm/v3/properties/companies` takes it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyDefinition {
    pub name: &'static str,
    pub label: &'static str,
    #[serde(rename = "type")]
    pub property_type: &'static str,
    pub field_type: &'static str,
    pub group_name: &'static str,
    pub description: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<serde_json::Value>,
}

/// The five properties, in the order they are created.
pub fn definitions() -> Vec<PropertyDefinition> {
    let bands = [
        HealthBand::Healthy,
        HealthBand::Watch,
        HealthBand::AtRisk,
        HealthBand::Critical,
    ];
    let band_labels = ["Healthy", "Watch", "At risk", "Critical"];
    let define = |name, label, property_type, field_type, description| PropertyDefinition {
        name,
        label,
        property_type,
        field_type,
        group_name: GROUP_NAME,
        description,
        options: Vec::new(),
    };
    vec![
        define(
            HEALTH_SCORE,
            "Health score",
            "number",
            "number",
            "Overall client health from Connected Insights, 0 to 100.",
        ),
        PropertyDefinition {
            options: bands
                .iter()
                .zip(band_labels)
                .enumerate()
                .map(|(i, (band, label))| {
                    json!({"label": label, "value": band_value(*band), "displayOrder": i})
                })
                .collect(),
            ..define(
                HEALTH_BAND,
                "Health band",
                "enumeration",
                "select",
                "Healthy (75+), watch (50-74), at risk (25-49) or critical (under 25).",
            )
        },
        define(
            CHURN_RISK,
            "Churn risk %",
            "number",
            "number",
            "Estimated churn risk in percent, from Connected Insights.",
        ),
        define(
            TOP_INSIGHT,
            "Top open insight",
            "string",
            "text",
            "The highest-impact open insight Connected Insights has on this client.",
        ),
        define(
            LAST_SCORED,
            "Last scored",
            "datetime",
            "date",
            "When Connected Insights computed the values written here.",
        ),
    ]
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
struct NamedList {
    #[serde(default)]
    results: Vec<Named>,
}

/// `Ok(true)` when created, `Ok(false)` when HubSpot says it exists already (409).
fn created_or_exists<T>(answer: Result<T, HubSpotError>) -> Result<bool, HubSpotError> {
    match answer {
        Ok(_) => Ok(true),
        Err(HubSpotError::Api { status: 409, .. }) => Ok(false),
        Err(error) => Err(error),
    }
}

impl HubSpotWriteback {
    pub(super) async fn ensure_group_and_properties(&self) -> Result<SchemaOutcome, CrmWriteError> {
        let scope = [SCHEMA_SCOPE];
        let fail = |error| hubspot_error(error, &scope);
        let mut outcome = SchemaOutcome::default();
        let groups: NamedList = self.client.get(GROUPS_PATH, &[]).await.map_err(fail)?;
        if !groups.results.iter().any(|g| g.name == GROUP_NAME) {
            let body = json!({"name": GROUP_NAME, "label": GROUP_LABEL, "displayOrder": -1});
            let answer = self
                .client
                .post::<_, serde_json::Value>(GROUPS_PATH, &body, Budget::General)
                .await;
            outcome.group_created = created_or_exists(answer).map_err(fail)?;
        }
        let existing: NamedList = self.client.get(PROPERTIES_PATH, &[]).await.map_err(fail)?;
        for definition in definitions() {
            if existing.results.iter().any(|p| p.name == definition.name) {
                continue;
            }
            let answer = self
                .client
                .post::<_, serde_json::Value>(PROPERTIES_PATH, &definition, Budget::General)
                .await;
            if created_or_exists(answer).map_err(fail)? {
                outcome.properties_created.push(definition.name.to_owned());
            }
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_409_means_someone_created_it_meanwhile() {
        let conflict = HubSpotError::from_response(
            409,
            br#"{"status":"error","message":"Property named 'ci_health_score' already exists.","category":"OBJECT_ALREADY_EXISTS"}"#,
            None,
        );
        assert!(!created_or_exists::<()>(Err(conflict)).unwrap());
        assert!(created_or_exists(Ok(())).unwrap());
        let refused = HubSpotError::from_response(400, br#"{"category":"VALIDATION_ERROR"}"#, None);
        assert!(created_or_exists::<()>(Err(refused)).is_err());
    }

    #[test]
    fn the_five_properties_live_in_the_group_with_the_ci_prefix() {
        let definitions = definitions();
        assert_eq!(definitions.len(), 5);
        assert!(definitions
            .iter()
            .all(|d| d.group_name == GROUP_NAME && d.name.starts_with("ci_")));
        let band = serde_json::to_value(&definitions[1]).unwrap();
        assert_eq!(band["type"], "enumeration");
        assert_eq!(band["options"][2]["value"], "at_risk");
    }
}
