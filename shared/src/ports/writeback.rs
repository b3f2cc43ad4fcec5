//! Write-back: health written to the CRM's own company records, and a task in the CRM for each open
//! critical insight. [`CrmWriteback`] is what the handler needs from the CRM (HubSpot's adapter in
//! `sources/hubspot/writeback/`, an in-process one in `sources/in_process_writeback`);
//! [`WritebackStore`] is what it remembers between runs (the schema ensured, what each company last
//! got, which task belongs to which insight), so a run sends only what changed and never a task twice.

use crate::domain::{ClientId, HealthBand, InsightId, TenantId};
use crate::ports::{StoreError, WriteReport};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What one company's record should say about its health.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompanyHealth {
    /// The CRM's id of the company (the client id of a CRM client).
    pub company_id: String,
    /// Overall health 0..=100.
    pub health_score: u8,
    pub band: HealthBand,
    /// Churn risk in percent, 0..=100.
    pub churn_risk: u8,
    /// The title of the highest-impact open insight, if any.
    pub top_insight: Option<String>,
    /// When these values were computed.
    pub scored_at: DateTime<Utc>,
}

/// A company whose update the CRM refused, and why (after the adapter's one retry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedUpdate {
    pub company_id: String,
    pub reason: String,
}

/// What a batch of company updates did: the companies the CRM accepted, the ones it refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateOutcome {
    pub accepted: Vec<String>,
    pub refused: Vec<RefusedUpdate>,
}

/// What ensuring the schema created (nothing, when it was all there).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaOutcome {
    pub group_created: bool,
    pub properties_created: Vec<String>,
}

/// A task to create on a company, assigned to the company's owner (the adapter looks it up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub company_id: String,
    /// Unique per insight: the handler finds a task created before a crash by it.
    pub subject: String,
    pub body: String,
    pub due_at: DateTime<Utc>,
}

/// A task the CRM holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedTask {
    pub task_id: String,
    pub owner_id: Option<String>,
}

/// A refusal of the CRM, in terms the handler acts on.
#[derive(Debug, thiserror::Error)]
pub enum CrmWriteError {
    /// The install lacks the write scopes (HubSpot's 403 `MISSING_SCOPES`).
    #[error(
        "the CRM app lacks the write scopes {scopes:?}: reinstall the app to grant write access"
    )]
    MissingScopes { scopes: Vec<String> },
    /// The credentials are dead: the tenant must authorise again.
    #[error("the tenant must authorise again: {reason}")]
    NeedsReauth { reason: String },
    /// The daily quota is spent: stop until `reset_at`.
    #[error("the CRM's rate limit is exhausted until {reset_at:?}: {message}")]
    RateLimited {
        reset_at: Option<DateTime<Utc>>,
        message: String,
    },
    /// The CRM refused the request (bad input): retrying will not help.
    #[error("the CRM refused the request ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// The CRM kept failing after bounded retries; a later run may succeed.
    #[error("the CRM is unavailable: {message}")]
    Unavailable { message: String },
}

impl CrmWriteError {
    /// Whether a later run may succeed without anyone doing anything.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            CrmWriteError::Unavailable { .. } | CrmWriteError::RateLimited { .. }
        )
    }
}

/// Writing to a tenant's CRM. Implementations pace, batch and retry their own requests.
#[async_trait::async_trait]
pub trait CrmWriteback: Send + Sync {
    /// Creates the property group and the properties that are missing (none when all exist).
    async fn ensure_schema(&self) -> Result<SchemaOutcome, CrmWriteError>;
    /// Writes each company's health; the CRM's limit per request is the adapter's business.
    async fn update_companies(
        &self,
        companies: &[CompanyHealth],
    ) -> Result<UpdateOutcome, CrmWriteError>;
    /// The id of the task whose subject is exactly `subject`, if the CRM has one.
    async fn find_task(&self, subject: &str) -> Result<Option<String>, CrmWriteError>;
    async fn create_task(&self, task: &NewTask) -> Result<CreatedTask, CrmWriteError>;
    /// Marks the tasks completed.
    async fn complete_tasks(&self, task_ids: &[String]) -> Result<(), CrmWriteError>;
    /// Requests sent so far (retries included).
    fn requests_made(&self) -> u64;
}

/// Whether the tenant's schema was ensured, and for which version of the handler's property set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WritebackSchemaMark {
    pub version: u32,
    pub ensured_at: DateTime<Utc>,
}

/// What a company was last sent, as a digest of the values (not of when they were computed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrittenCompany {
    pub client_id: ClientId,
    pub digest: String,
    pub written_at: DateTime<Utc>,
}

/// Where an insight's task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    /// About to be created: on a retry, look for it by subject before creating it again.
    Creating,
    Open,
    Completed,
}

/// The task of one insight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsightTask {
    pub insight_id: InsightId,
    pub client_id: ClientId,
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    pub state: TaskState,
    pub updated_at: DateTime<Utc>,
}

/// What write-back remembers per tenant.
#[async_trait::async_trait]
pub trait WritebackStore: Send + Sync {
    async fn writeback_schema(
        &self,
        tenant_id: &TenantId,
    ) -> Result<Option<WritebackSchemaMark>, StoreError>;
    async fn put_writeback_schema(
        &self,
        tenant_id: &TenantId,
        mark: &WritebackSchemaMark,
    ) -> Result<(), StoreError>;
    /// Every company's last written digest.
    async fn written_companies(
        &self,
        tenant_id: &TenantId,
    ) -> Result<Vec<WrittenCompany>, StoreError>;
    async fn put_written_companies(
        &self,
        tenant_id: &TenantId,
        written: &[WrittenCompany],
    ) -> Result<WriteReport, StoreError>;
    /// Every insight task of the tenant, any state.
    async fn insight_tasks(&self, tenant_id: &TenantId) -> Result<Vec<InsightTask>, StoreError>;
    async fn put_insight_task(
        &self,
        tenant_id: &TenantId,
        task: &InsightTask,
    ) -> Result<(), StoreError>;
}
