//! Write-back to HubSpot: the `CrmWriteback` port over the portal's client (its limiter, backoff and
//! token manager, shared with the sync's way of building one). `schema` ensures the property group
//! and the five `ci_` properties, `update` writes company health in batches of 100, `tasks` creates
//! and completes tasks for critical insights.

pub mod in_process;
pub mod schema;
pub mod tasks;
pub mod update;

use crate::domain::{AuthKind, Tenant};
use crate::ports::writeback::{
    CompanyHealth, CreatedTask, CrmWriteError, CrmWriteback, NewTask, SchemaOutcome, UpdateOutcome,
};
use crate::ports::{SyncStore, TenantStore};
use crate::sources::hubspot::error::HubSpotError;
use crate::sources::hubspot::{HubSpotClient, HubSpotSources, StoredCredentials};

pub use in_process::InProcessWriteback;

/// Every scope write-back needs; asked for at install as optional scopes.
pub const WRITE_SCOPES: [&str; 3] = [
    update::COMPANIES_WRITE_SCOPE,
    schema::SCHEMA_SCOPE,
    tasks::TASKS_WRITE_SCOPE,
];

/// The scopes write-back needs that `granted` lacks (tasks' scope only when tasks are wanted).
pub fn missing_write_scopes(granted: &[String], with_tasks: bool) -> Vec<String> {
    WRITE_SCOPES
        .iter()
        .filter(|scope| with_tasks || **scope != tasks::TASKS_WRITE_SCOPE)
        .filter(|scope| !granted.iter().any(|g| g == *scope))
        .map(|scope| (*scope).to_owned())
        .collect()
}

/// A HubSpot failure in the port's terms; `scopes` are the ones the call needed (named in a
/// `MISSING_SCOPES` refusal).
pub(crate) fn hubspot_error(error: HubSpotError, scopes: &[&str]) -> CrmWriteError {
    let message = error.to_string();
    match error {
        HubSpotError::Api {
            status: 403,
            category,
            ..
        } if category.as_deref() == Some("MISSING_SCOPES") => CrmWriteError::MissingScopes {
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        },
        HubSpotError::Api { status: 401, .. } | HubSpotError::BadRefreshToken { .. } => {
            CrmWriteError::NeedsReauth { reason: message }
        }
        HubSpotError::DailyLimitReached { reset_at, .. } => CrmWriteError::RateLimited {
            reset_at: Some(reset_at),
            message,
        },
        HubSpotError::Api { status, .. } if status >= 500 || status == 423 => {
            CrmWriteError::Unavailable { message }
        }
        HubSpotError::Api { status, .. } => CrmWriteError::Rejected { status, message },
        HubSpotError::RateLimited { .. }
        | HubSpotError::Transport(_)
        | HubSpotError::Timeout
        | HubSpotError::Decode(_)
        | HubSpotError::Credentials(_)
        | HubSpotError::InvalidCursor(_) => CrmWriteError::Unavailable { message },
    }
}

/// HubSpot's side of write-back for one portal.
#[derive(Debug, Clone)]
pub struct HubSpotWriteback {
    client: HubSpotClient,
}

impl HubSpotWriteback {
    pub fn new(client: HubSpotClient) -> Self {
        Self { client }
    }

    pub fn client(&self) -> &HubSpotClient {
        &self.client
    }
}

#[async_trait::async_trait]
impl CrmWriteback for HubSpotWriteback {
    async fn ensure_schema(&self) -> Result<SchemaOutcome, CrmWriteError> {
        self.ensure_group_and_properties().await
    }

    async fn update_companies(
        &self,
        companies: &[CompanyHealth],
    ) -> Result<UpdateOutcome, CrmWriteError> {
        let inputs: Vec<_> = companies.iter().map(update::company_input).collect();
        self.batch_update(
            "/crm/v3/objects/companies/batch/update",
            &inputs,
            update::COMPANIES_WRITE_SCOPE,
        )
        .await
    }

    async fn find_task(&self, subject: &str) -> Result<Option<String>, CrmWriteError> {
        self.task_by_subject(subject).await
    }

    async fn create_task(&self, task: &NewTask) -> Result<CreatedTask, CrmWriteError> {
        self.create_company_task(task).await
    }

    async fn complete_tasks(&self, task_ids: &[String]) -> Result<(), CrmWriteError> {
        if task_ids.is_empty() {
            return Ok(());
        }
        self.complete(task_ids).await
    }

    fn requests_made(&self) -> u64 {
        self.client.stats().requests
    }
}

/// Builds a tenant's [`HubSpotWriteback`] the way the sync builds its source ([`HubSpotSources`]):
/// the tenant's token manager and a limiter at the tenant's limits.
pub struct HubSpotWritebacks<S: ?Sized> {
    sources: HubSpotSources<S>,
}

impl<S> HubSpotWritebacks<S>
where
    S: SyncStore + TenantStore + ?Sized + 'static,
{
    pub fn new(sources: HubSpotSources<S>) -> Self {
        Self { sources }
    }

    /// The tenant's write-back, or why it cannot write: an OAuth install whose recorded scopes lack
    /// the write scopes is refused before any request (the admin declined the optional scopes).
    /// Installs that recorded no scopes, and private apps, are tried: HubSpot's 403 then says it.
    pub async fn writeback_for(&self, tenant: &Tenant) -> Result<HubSpotWriteback, CrmWriteError> {
        let tokens = self.sources.tokens_for(tenant);
        if tenant.auth_kind == AuthKind::OAuth {
            let credentials = tokens
                .credentials()
                .await
                .map_err(|e| hubspot_error(e, &[]))?;
            if let StoredCredentials::OAuth(set) = credentials {
                let missing = missing_write_scopes(&set.scopes, tenant.writeback.create_tasks);
                if !set.scopes.is_empty() && !missing.is_empty() {
                    return Err(CrmWriteError::MissingScopes { scopes: missing });
                }
            }
        }
        Ok(HubSpotWriteback::new(
            self.sources.client_for(tenant, tokens),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tasks_scope_is_needed_only_when_tasks_are_wanted() {
        let granted = vec![
            "oauth".to_owned(),
            "crm.objects.companies.write".to_owned(),
            "crm.schemas.companies.write".to_owned(),
        ];
        assert!(missing_write_scopes(&granted, false).is_empty());
        assert_eq!(
            missing_write_scopes(&granted, true),
            ["crm.objects.contacts.write"]
        );
        assert_eq!(missing_write_scopes(&[], false).len(), 2);
    }

    #[test]
    fn a_missing_scopes_refusal_says_to_reinstall() {
        let body = br#"{"status":"error","message":"This app hasn't been granted all required scopes","category":"MISSING_SCOPES","correlationId":"c"}"#;
        let error = hubspot_error(
            HubSpotError::from_response(403, body, None),
            &["crm.objects.companies.write"],
        );
        assert!(matches!(error, CrmWriteError::MissingScopes { .. }));
        assert!(error.to_string().contains("reinstall"), "{error}");
        assert!(!error.is_retryable());
    }
}
