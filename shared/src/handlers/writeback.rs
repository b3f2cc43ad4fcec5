//! Health written back to the CRM after scoring (`notify` runs it on `ScoresUpdated` for tenants with
//! `writeback.enabled`).
//!
//! One run:
//! 1. Ensures the property group and properties once: a stored mark ([`SCHEMA_VERSION`]) makes later
//!    runs skip even the reads.
//! 2. Computes each scored company's values (score, band, churn risk, top open insight), compares a
//!    digest of them with the one last written, and sends only the changed companies (the adapter
//!    batches them, 100 a request). Digests are recorded only for the companies the CRM accepted, so
//!    a refused one is sent again next run.
//! 3. With `create_tasks`: one task per open critical insight, created once. A `creating` mark is
//!    stored before the create call, so a run that died between creating and recording finds the task
//!    by its unique subject instead of creating a second one. A task whose insight was resolved or
//!    dismissed is completed.
//!
//! A tenant that must re-authorise, or whose install lacks the write scopes, gets a clear,
//! non-retryable error; a CRM that keeps failing gets a retryable one. Nothing loops: each company
//! is sent at most twice a run (the adapter's one retry of a 207 refusal), each task created at most once.

use crate::domain::{
    ClientId, HealthScore, Impact, Insight, InsightId, InsightStatus, Tenant, TenantId,
    TenantStatus,
};
use crate::ports::writeback::{
    CompanyHealth, CrmWriteError, CrmWriteback, InsightTask, NewTask, RefusedUpdate, TaskState,
    WritebackSchemaMark, WrittenCompany,
};
use crate::ports::{InsightFilter, InsightStore, ScoreStore, StoreError, WritebackStore};
use crate::store::content;
use crate::store::listing::{every_page, every_score};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The version of the property set the handler writes; raising it makes every tenant's next run
/// ensure the schema again (to create a property added since).
pub const SCHEMA_VERSION: u32 = 1;
/// How long after its creation a task falls due.
const TASK_DUE_AFTER_HOURS: i64 = 24;

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WritebackReport {
    /// False when the tenant has not enabled write-back (nothing was done).
    pub ran: bool,
    /// Whether this run checked the CRM's schema (first run, or a new [`SCHEMA_VERSION`]).
    pub schema_checked: bool,
    pub group_created: bool,
    pub properties_created: Vec<String>,
    /// Scored companies whose values were compared.
    pub companies_considered: usize,
    /// Companies whose values differed from the last written ones, and were sent.
    pub companies_sent: usize,
    pub companies_written: usize,
    /// Companies the CRM refused even after one retry; they are sent again next run.
    pub companies_refused: Vec<RefusedUpdate>,
    pub tasks_created: usize,
    /// Tasks a previous, interrupted run created, found again by their subject.
    pub tasks_recovered: usize,
    pub tasks_completed: usize,
    /// Requests the CRM adapter sent during the run (retries included).
    pub crm_requests: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum WritebackError {
    #[error("tenant {0} must reconnect HubSpot before its health can be written back")]
    NeedsReauth(TenantId),
    #[error("write-back for tenant {tenant}: {source}")]
    Crm {
        tenant: TenantId,
        #[source]
        source: CrmWriteError,
    },
    #[error("write-back store: {0}")]
    Store(#[from] StoreError),
}

impl WritebackError {
    /// Whether the same run may succeed later without anyone doing anything.
    pub fn is_retryable(&self) -> bool {
        match self {
            WritebackError::NeedsReauth(_) => false,
            WritebackError::Crm { source, .. } => source.is_retryable(),
            WritebackError::Store(error) => error.is_retryable(),
        }
    }
}

/// The values a company's record should hold, from its current score and its open insights.
pub fn company_health(score: &HealthScore, open_insights: &[&Insight]) -> CompanyHealth {
    CompanyHealth {
        company_id: score.client_id.to_string(),
        health_score: score.overall,
        band: score.band,
        churn_risk: score.churn_risk,
        top_insight: top_insight(open_insights).map(|i| i.title.clone()),
        scored_at: score.scored_at,
    }
}

/// The highest-impact open insight; of equal impact the more confident, then the lower id (stable).
pub fn top_insight<'a>(open_insights: &[&'a Insight]) -> Option<&'a Insight> {
    open_insights.iter().copied().max_by(|a, b| {
        (a.impact, a.confidence)
            .cmp(&(b.impact, b.confidence))
            .then_with(|| b.id.as_str().cmp(a.id.as_str()))
    })
}

/// A digest of what the company shows, leaving out when it was computed: a run that recomputes the
/// same values sends nothing.
pub fn values_digest(health: &CompanyHealth) -> Result<String, StoreError> {
    content::digest(&(
        health.health_score,
        health.band,
        health.churn_risk,
        &health.top_insight,
    ))
}

/// The task's subject: readable, and unique per insight so an interrupted run can find it again.
pub fn task_subject(insight: &Insight) -> String {
    format!(
        "Critical: {} ({}) [ci:{}]",
        insight.title, insight.client_name, insight.id
    )
}

fn task_body(insight: &Insight) -> String {
    let mut body = format!("{}\n\n{}", insight.description, insight.explanation);
    if !insight.recommendations.is_empty() {
        body.push_str("\n\nRecommended:\n");
        for recommendation in &insight.recommendations {
            body.push_str(&format!("- {recommendation}\n"));
        }
    }
    body
}

/// Runs write-back for `tenant` (see the module docs). A tenant without `writeback.enabled` gets an
/// empty report with `ran == false`.
pub async fn write_back_scores<S>(
    store: &S,
    crm: &dyn CrmWriteback,
    tenant: &Tenant,
    now: DateTime<Utc>,
) -> Result<WritebackReport, WritebackError>
where
    S: ScoreStore + InsightStore + WritebackStore + ?Sized,
{
    if !tenant.writeback.enabled {
        return Ok(WritebackReport::default());
    }
    if tenant.status == TenantStatus::NeedsReauth {
        return Err(WritebackError::NeedsReauth(tenant.id.clone()));
    }
    let crm_failed = |source| WritebackError::Crm {
        tenant: tenant.id.clone(),
        source,
    };
    let requests_before = crm.requests_made();
    let mut report = WritebackReport {
        ran: true,
        ..WritebackReport::default()
    };
    let tenant_id = &tenant.id;
    let ensured = store.writeback_schema(tenant_id).await?;
    if ensured.is_none_or(|mark| mark.version < SCHEMA_VERSION) {
        let outcome = crm.ensure_schema().await.map_err(crm_failed)?;
        report.schema_checked = true;
        report.group_created = outcome.group_created;
        report.properties_created = outcome.properties_created;
        let mark = WritebackSchemaMark {
            version: SCHEMA_VERSION,
            ensured_at: now,
        };
        store.put_writeback_schema(tenant_id, &mark).await?;
    }

    let scores = every_score(store, tenant_id).await?;
    let open = open_insights(store, tenant_id).await?;
    let mut open_by_client: HashMap<&ClientId, Vec<&Insight>> = HashMap::new();
    for insight in &open {
        open_by_client
            .entry(&insight.client_id)
            .or_default()
            .push(insight);
    }
    let written: HashMap<ClientId, String> = store
        .written_companies(tenant_id)
        .await?
        .into_iter()
        .map(|w| (w.client_id, w.digest))
        .collect();
    let mut changed = Vec::new();
    let mut digests = BTreeMap::new();
    for score in &scores {
        let insights = open_by_client
            .get(&score.client_id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let health = company_health(score, insights);
        let digest = values_digest(&health)?;
        if written.get(&score.client_id) != Some(&digest) {
            digests.insert(health.company_id.clone(), (score.client_id.clone(), digest));
            changed.push(health);
        }
    }
    report.companies_considered = scores.len();
    report.companies_sent = changed.len();
    if !changed.is_empty() {
        let outcome = crm.update_companies(&changed).await.map_err(crm_failed)?;
        let accepted: Vec<WrittenCompany> = outcome
            .accepted
            .iter()
            .filter_map(|id| digests.get(id))
            .map(|(client_id, digest)| WrittenCompany {
                client_id: client_id.clone(),
                digest: digest.clone(),
                written_at: now,
            })
            .collect();
        store.put_written_companies(tenant_id, &accepted).await?;
        report.companies_written = accepted.len();
        report.companies_refused = outcome.refused;
    }

    if tenant.writeback.create_tasks {
        sync_tasks(store, crm, tenant_id, &open, now, &mut report)
            .await
            .map_err(|error| match error {
                TaskError::Crm(source) => crm_failed(source),
                TaskError::Store(error) => WritebackError::Store(error),
            })?;
    }
    report.crm_requests = crm.requests_made().saturating_sub(requests_before);
    Ok(report)
}

async fn open_insights<S>(store: &S, tenant_id: &TenantId) -> Result<Vec<Insight>, StoreError>
where
    S: InsightStore + ?Sized,
{
    let filter = &InsightFilter {
        status: Some(InsightStatus::Open),
        ..InsightFilter::default()
    };
    every_page(|page| async move { store.list_insights(tenant_id, filter, &page).await }).await
}

enum TaskError {
    Crm(CrmWriteError),
    Store(StoreError),
}

impl From<StoreError> for TaskError {
    fn from(error: StoreError) -> Self {
        TaskError::Store(error)
    }
}

impl From<CrmWriteError> for TaskError {
    fn from(error: CrmWriteError) -> Self {
        TaskError::Crm(error)
    }
}

/// Creates a task for each open critical insight that has none, and completes the tasks of insights
/// that were resolved or dismissed.
async fn sync_tasks<S>(
    store: &S,
    crm: &dyn CrmWriteback,
    tenant_id: &TenantId,
    open: &[Insight],
    now: DateTime<Utc>,
    report: &mut WritebackReport,
) -> Result<(), TaskError>
where
    S: InsightStore + WritebackStore + ?Sized,
{
    let tasks: HashMap<InsightId, InsightTask> = store
        .insight_tasks(tenant_id)
        .await?
        .into_iter()
        .map(|t| (t.insight_id.clone(), t))
        .collect();
    let critical: Vec<&Insight> = open
        .iter()
        .filter(|i| i.impact == Impact::Critical)
        .collect();
    for insight in &critical {
        let existing = tasks.get(&insight.id);
        let subject = match existing {
            None => task_subject(insight),
            Some(task) if task.state == TaskState::Creating => task.subject.clone(),
            Some(_) => continue,
        };
        let mut task = InsightTask {
            insight_id: insight.id.clone(),
            client_id: insight.client_id.clone(),
            subject: subject.clone(),
            task_id: None,
            state: TaskState::Creating,
            updated_at: now,
        };
        let recovered = match existing {
            Some(_) => crm.find_task(&subject).await?,
            None => {
                // Marked first: a crash after the create call leaves this mark, and the next run
                // looks for the task before creating one.
                store.put_insight_task(tenant_id, &task).await?;
                None
            }
        };
        task.task_id = Some(match recovered {
            Some(task_id) => {
                report.tasks_recovered += 1;
                task_id
            }
            None => {
                let new = NewTask {
                    company_id: insight.client_id.to_string(),
                    subject,
                    body: task_body(insight),
                    due_at: now + Duration::hours(TASK_DUE_AFTER_HOURS),
                };
                let created = crm.create_task(&new).await?;
                report.tasks_created += 1;
                created.task_id
            }
        });
        task.state = TaskState::Open;
        store.put_insight_task(tenant_id, &task).await?;
    }

    let still_open: HashSet<&InsightId> = critical.iter().map(|i| &i.id).collect();
    let mut finished = Vec::new();
    for task in tasks.values() {
        if task.state == TaskState::Completed || still_open.contains(&task.insight_id) {
            continue;
        }
        if !insight_is_over(store, tenant_id, &task.insight_id).await? {
            continue;
        }
        let task_id = match &task.task_id {
            Some(id) => Some(id.clone()),
            None => crm.find_task(&task.subject).await?,
        };
        finished.push((task.clone(), task_id));
    }
    let ids: Vec<String> = finished.iter().filter_map(|(_, id)| id.clone()).collect();
    crm.complete_tasks(&ids).await?;
    report.tasks_completed += ids.len();
    for (mut task, task_id) in finished {
        task.task_id = task_id;
        task.state = TaskState::Completed;
        task.updated_at = now;
        store.put_insight_task(tenant_id, &task).await?;
    }
    Ok(())
}

/// Resolved, dismissed or gone: its task is done. An acknowledged insight still needs its task.
async fn insight_is_over<S>(
    store: &S,
    tenant_id: &TenantId,
    insight_id: &InsightId,
) -> Result<bool, StoreError>
where
    S: InsightStore + ?Sized,
{
    match store.get_insight(tenant_id, insight_id).await {
        Ok(insight) => Ok(matches!(
            insight.status,
            InsightStatus::Resolved | InsightStatus::Dismissed
        )),
        Err(StoreError::NotFound { .. }) => Ok(true),
        Err(error) => Err(error),
    }
}
