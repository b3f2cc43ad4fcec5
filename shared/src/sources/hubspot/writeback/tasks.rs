//! Tasks for critical insights: created on the company (association type 192, task to company,
//! HubSpot-defined), assigned to the company's owner, high priority; found again by their unique
//! subject; completed in batches. HubSpot guards task writes with the contacts write scope.

use super::update::UpdateInput;
use super::{hubspot_error, HubSpotWriteback};
use crate::ports::writeback::{CreatedTask, CrmWriteError, NewTask};
use crate::sources::hubspot::limiter::Budget;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

/// Creating and updating tasks needs this scope.
pub const TASKS_WRITE_SCOPE: &str = "crm.objects.contacts.write";
/// HubSpot's association type id for task -> company.
pub const TASK_TO_COMPANY: u32 = 192;
const TASKS_PATH: &str = "/crm/v3/objects/tasks";
const TASKS_SEARCH_PATH: &str = "/crm/v3/objects/tasks/search";
const TASKS_BATCH_UPDATE_PATH: &str = "/crm/v3/objects/tasks/batch/update";

#[derive(Deserialize)]
struct Created {
    id: String,
}

#[derive(Deserialize, Default)]
struct OwnerProperties {
    #[serde(default)]
    hubspot_owner_id: Option<String>,
}

#[derive(Deserialize)]
struct Company {
    #[serde(default)]
    properties: OwnerProperties,
}

#[derive(Deserialize)]
struct Found {
    #[serde(default)]
    results: Vec<Created>,
}

impl HubSpotWriteback {
    /// The company's owner, if it has one.
    async fn company_owner(&self, company_id: &str) -> Result<Option<String>, CrmWriteError> {
        let path = format!("/crm/v3/objects/companies/{company_id}");
        let query = [("properties", "hubspot_owner_id".to_owned())];
        let company: Company = self
            .client
            .get(&path, &query)
            .await
            .map_err(|e| hubspot_error(e, &[]))?;
        Ok(company
            .properties
            .hubspot_owner_id
            .filter(|owner| !owner.trim().is_empty()))
    }

    pub(super) async fn create_company_task(
        &self,
        task: &NewTask,
    ) -> Result<CreatedTask, CrmWriteError> {
        let owner_id = self.company_owner(&task.company_id).await?;
        let mut properties = json!({
            "hs_timestamp": task.due_at.timestamp_millis().to_string(),
            "hs_task_subject": task.subject,
            "hs_task_body": task.body,
            "hs_task_status": "NOT_STARTED",
            "hs_task_priority": "HIGH",
            "hs_task_type": "TODO",
        });
        if let (Some(owner), Some(map)) = (&owner_id, properties.as_object_mut()) {
            map.insert("hubspot_owner_id".to_owned(), owner.clone().into());
        }
        let body = json!({
            "properties": properties,
            "associations": [{
                "to": {"id": task.company_id},
                "types": [{
                    "associationCategory": "HUBSPOT_DEFINED",
                    "associationTypeId": TASK_TO_COMPANY,
                }],
            }],
        });
        let created: Created = self
            .client
            .post(TASKS_PATH, &body, Budget::General)
            .await
            .map_err(|e| hubspot_error(e, &[TASKS_WRITE_SCOPE]))?;
        Ok(CreatedTask {
            task_id: created.id,
            owner_id,
        })
    }

    pub(super) async fn task_by_subject(
        &self,
        subject: &str,
    ) -> Result<Option<String>, CrmWriteError> {
        let body = json!({
            "filterGroups": [{"filters": [
                {"propertyName": "hs_task_subject", "operator": "EQ", "value": subject}
            ]}],
            "properties": ["hs_task_subject"],
            "limit": 1,
        });
        let found: Found = self
            .client
            .post(TASKS_SEARCH_PATH, &body, Budget::Search)
            .await
            .map_err(|e| hubspot_error(e, &[]))?;
        Ok(found.results.into_iter().next().map(|task| task.id))
    }

    pub(super) async fn complete(&self, task_ids: &[String]) -> Result<(), CrmWriteError> {
        let inputs: Vec<UpdateInput> = task_ids
            .iter()
            .map(|id| UpdateInput {
                id: id.clone(),
                properties: BTreeMap::from([("hs_task_status", "COMPLETED".to_owned())]),
            })
            .collect();
        let outcome = self
            .batch_update(TASKS_BATCH_UPDATE_PATH, &inputs, TASKS_WRITE_SCOPE)
            .await?;
        match outcome.refused.first() {
            // A task someone deleted in HubSpot needs no completing.
            Some(refused) if !refused.reason.starts_with("OBJECT_NOT_FOUND") => {
                Err(CrmWriteError::Unavailable {
                    message: format!(
                        "HubSpot did not complete task {}: {}",
                        refused.company_id, refused.reason
                    ),
                })
            }
            _ => Ok(()),
        }
    }
}
