//! Company health written in batches: at most 100 inputs a request (HubSpot's limit), sent through
//! the portal's client (paced, retried on 429 and 5xx by its backoff). A 207 names the inputs HubSpot
//! refused: those are sent once more, and the ones refused again are reported, not retried further.

use super::schema::{band_value, CHURN_RISK, HEALTH_BAND, HEALTH_SCORE, LAST_SCORED, TOP_INSIGHT};
use super::{hubspot_error, HubSpotWriteback};
use crate::ports::writeback::{CompanyHealth, CrmWriteError, RefusedUpdate, UpdateOutcome};
use crate::sources::hubspot::limiter::Budget;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Batch update takes at most this many inputs.
pub const BATCH_UPDATE_LIMIT: usize = 100;
/// Writing company properties needs this scope.
pub const COMPANIES_WRITE_SCOPE: &str = "crm.objects.companies.write";

#[derive(Debug, Clone, Serialize)]
pub(super) struct UpdateInput {
    pub id: String,
    pub properties: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
struct BatchUpdate<'a> {
    inputs: &'a [UpdateInput],
}

#[derive(Deserialize)]
struct Updated {
    id: String,
}

#[derive(Deserialize, Default)]
struct ErrorContext {
    #[serde(default)]
    ids: Vec<String>,
}

#[derive(Deserialize)]
struct InputError {
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    context: Option<ErrorContext>,
}

#[derive(Deserialize)]
struct BatchAnswer {
    #[serde(default)]
    results: Vec<Updated>,
    #[serde(default)]
    errors: Vec<InputError>,
}

/// What one company's properties are set to. Values are HubSpot's strings: numbers in decimal, the
/// datetime in epoch milliseconds, an empty string clearing the top insight.
pub(super) fn company_input(company: &CompanyHealth) -> UpdateInput {
    let mut properties = BTreeMap::new();
    properties.insert(HEALTH_SCORE, company.health_score.to_string());
    properties.insert(HEALTH_BAND, band_value(company.band).to_owned());
    properties.insert(CHURN_RISK, company.churn_risk.to_string());
    properties.insert(TOP_INSIGHT, company.top_insight.clone().unwrap_or_default());
    properties.insert(
        LAST_SCORED,
        company.scored_at.timestamp_millis().to_string(),
    );
    UpdateInput {
        id: company.company_id.clone(),
        properties,
    }
}

/// Per id, why HubSpot refused it; ids neither updated nor named in an error are refused too.
fn refusals(inputs: &[UpdateInput], answer: &BatchAnswer) -> Vec<(String, String, bool)> {
    let mut reasons: HashMap<&str, (String, bool)> = HashMap::new();
    for error in &answer.errors {
        let category = error.category.as_deref().unwrap_or("ERROR");
        let reason = format!(
            "{category}: {}",
            error.message.as_deref().unwrap_or("no message")
        );
        // A missing record stays missing: sending it again cannot help.
        let retryable = category != "OBJECT_NOT_FOUND";
        for id in error.context.iter().flat_map(|c| &c.ids) {
            reasons.insert(id.as_str(), (reason.clone(), retryable));
        }
    }
    inputs
        .iter()
        .filter(|input| !answer.results.iter().any(|r| r.id == input.id))
        .map(|input| {
            let (reason, retryable) = reasons
                .get(input.id.as_str())
                .cloned()
                .unwrap_or_else(|| ("HubSpot did not return the record".to_owned(), true));
            (input.id.clone(), reason, retryable)
        })
        .collect()
}

impl HubSpotWriteback {
    /// Sends `inputs` to `path` in batches of 100; the refused ones once more; reports the rest.
    pub(super) async fn batch_update(
        &self,
        path: &str,
        inputs: &[UpdateInput],
        scope: &str,
    ) -> Result<UpdateOutcome, CrmWriteError> {
        let mut outcome = UpdateOutcome::default();
        let mut again = Vec::new();
        let mut refused_first = HashMap::new();
        for chunk in inputs.chunks(BATCH_UPDATE_LIMIT) {
            let answer = self.send_batch(path, chunk, scope).await?;
            outcome
                .accepted
                .extend(answer.results.iter().map(|r| r.id.clone()));
            for (id, reason, retryable) in refusals(chunk, &answer) {
                if retryable {
                    if let Some(input) = chunk.iter().find(|i| i.id == id) {
                        again.push(input.clone());
                    }
                    refused_first.insert(id, reason);
                } else {
                    outcome.refused.push(RefusedUpdate {
                        company_id: id,
                        reason,
                    });
                }
            }
        }
        for chunk in again.chunks(BATCH_UPDATE_LIMIT) {
            let answer = self.send_batch(path, chunk, scope).await?;
            outcome
                .accepted
                .extend(answer.results.iter().map(|r| r.id.clone()));
            for (id, reason, _) in refusals(chunk, &answer) {
                tracing::warn!(%id, first = ?refused_first.get(&id), %reason,
                    "HubSpot refused a batch-update input twice");
                outcome.refused.push(RefusedUpdate {
                    company_id: id,
                    reason,
                });
            }
        }
        Ok(outcome)
    }

    async fn send_batch(
        &self,
        path: &str,
        inputs: &[UpdateInput],
        scope: &str,
    ) -> Result<BatchAnswer, CrmWriteError> {
        self.client
            .post(path, &BatchUpdate { inputs }, Budget::General)
            .await
            .map_err(|error| hubspot_error(error, &[scope]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(id: &str) -> UpdateInput {
        UpdateInput {
            id: id.to_owned(),
            properties: BTreeMap::new(),
        }
    }

    #[test]
    fn refused_inputs_are_the_ones_not_updated_and_missing_records_are_not_retried() {
        let answer: BatchAnswer = serde_json::from_value(serde_json::json!({
            "status": "COMPLETE",
            "results": [{"id": "1"}],
            "errors": [
                {"status": "error", "category": "OBJECT_NOT_FOUND", "message": "gone", "context": {"ids": ["2"]}},
                {"status": "error", "category": "INTERNAL_ERROR", "message": "try again", "context": {"ids": ["3"]}}
            ]
        }))
        .unwrap();
        let refused = refusals(&[input("1"), input("2"), input("3"), input("4")], &answer);
        let by_id: HashMap<_, _> = refused
            .iter()
            .map(|(id, reason, retry)| (id.as_str(), (reason.as_str(), *retry)))
            .collect();
        assert_eq!(by_id.len(), 3);
        assert!(!by_id["2"].1, "a missing record is not sent again");
        assert!(by_id["3"].1 && by_id["3"].0.contains("try again"));
        assert!(
            by_id["4"].1,
            "an input HubSpot did not mention is sent again"
        );
    }
}
