//! After each scoring (`ScoresUpdated`), the HubSpot write-back of the tenants that turned it on
//! (`crate::handlers::writeback`). A failure a later run may fix (HubSpot unavailable or rate
//! limited, a store error) fails the event's SQS record so the queue retries it; one that needs
//! someone (missing write scopes, a dead token, a refused request) is logged and not retried.

use crate::domain::Tenant;
use crate::events::ScoresUpdated;
use crate::handlers::writeback::write_back_scores;
use crate::ports::writeback::{CrmWriteError, CrmWriteback};
use crate::ports::{InsightStore, ScoreStore, SyncStore, WritebackStore};
use crate::ports::{StoreError, TenantStore};
use crate::sources::hubspot::writeback::HubSpotWritebacks;
use chrono::{DateTime, Utc};

/// Builds a tenant's CRM write-back client.
#[async_trait::async_trait]
pub trait WritebackClients: Send + Sync {
    async fn writeback_for(&self, tenant: &Tenant) -> Result<Box<dyn CrmWriteback>, CrmWriteError>;
}

#[async_trait::async_trait]
impl<S> WritebackClients for HubSpotWritebacks<S>
where
    S: SyncStore + TenantStore + ?Sized + 'static,
{
    async fn writeback_for(&self, tenant: &Tenant) -> Result<Box<dyn CrmWriteback>, CrmWriteError> {
        HubSpotWritebacks::writeback_for(self, tenant)
            .await
            .map(|crm| Box::new(crm) as Box<dyn CrmWriteback>)
    }
}

/// Runs the write-back for the tenant `updated` names; `Err` when the event should be retried.
pub async fn after_scoring<S>(
    store: &S,
    clients: &dyn WritebackClients,
    updated: &ScoresUpdated,
    now: DateTime<Utc>,
) -> Result<(), String>
where
    S: TenantStore + ScoreStore + InsightStore + WritebackStore + ?Sized,
{
    let tenant = match store.get_tenant(&updated.tenant_id).await {
        Ok(tenant) => tenant,
        Err(StoreError::NotFound { .. }) => return Ok(()),
        Err(error) => return Err(error.to_string()),
    };
    if !tenant.writeback.enabled {
        return Ok(());
    }
    let crm = match clients.writeback_for(&tenant).await {
        Ok(crm) => crm,
        Err(error) if error.is_retryable() => return Err(error.to_string()),
        Err(error) => {
            tracing::error!(tenant = %tenant.id, %error, "the HubSpot write-back cannot run");
            return Ok(());
        }
    };
    match write_back_scores(store, crm.as_ref(), &tenant, now).await {
        Ok(report) => {
            tracing::info!(tenant = %tenant.id, ?report, "HubSpot write-back done");
            Ok(())
        }
        Err(error) if error.is_retryable() => Err(error.to_string()),
        Err(error) => {
            tracing::error!(tenant = %tenant.id, %error, "the HubSpot write-back failed");
            Ok(())
        }
    }
}
