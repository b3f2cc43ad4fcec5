//! HubSpot tasks for critical insights, against the sandbox: one task per insight, for the company's
//! owner and on the company, never a second one (also after a crash between creating and recording
//! it), completed when the insight resolves.

mod writeback_support;

use shared::domain::{Impact, InsightStatus};
use shared::ports::writeback::{
    CompanyHealth, CreatedTask, CrmWriteError, CrmWriteback, NewTask, SchemaOutcome, UpdateOutcome,
};
use shared::ports::InsightStore;
use writeback_support::{insight, portal, Portal};

const CREATE_TASK: &str = "POST /crm/v3/objects/tasks";

/// Our tasks in the portal (the generated portal has tasks of its own).
fn our_tasks(p: &Portal) -> Vec<hubspot_sandbox::SandboxRecord> {
    p.sandbox
        .records("tasks")
        .into_iter()
        .filter(|t| {
            t.properties
                .get("hs_task_subject")
                .cloned()
                .flatten()
                .is_some_and(|s| s.contains("[ci:"))
        })
        .collect()
}

fn prop(record: &hubspot_sandbox::SandboxRecord, name: &str) -> Option<String> {
    record.properties.get(name).cloned().flatten()
}

/// A company with an owner, so the task has someone to go to.
fn owned_company(p: &Portal) -> (String, String) {
    p.companies()
        .into_iter()
        .find_map(|c| prop(&c, "hubspot_owner_id").map(|owner| (c.id, owner)))
        .expect("a company with an owner")
}

#[tokio::test]
async fn a_critical_insight_gets_one_task_for_the_owner_that_resolution_completes() {
    let p = portal(15).await;
    let (company, owner) = owned_company(&p);
    p.put_score(writeback_support::score(&company, 12)).await;
    let critical = insight(&company, Impact::Critical, "Gone quiet for 45 days");
    p.put_insight(&critical).await;
    let other = p.companies().into_iter().find(|c| c.id != company).unwrap();
    p.put_insight(&insight(&other.id, Impact::High, "Only high"))
        .await;
    let crm = p.crm().await;

    let report = p.run(&crm).await.unwrap();
    assert_eq!(report.tasks_created, 1);
    let tasks = our_tasks(&p);
    assert_eq!(tasks.len(), 1, "only the critical insight gets a task");
    let task = &tasks[0];
    assert_eq!(prop(task, "hubspot_owner_id"), Some(owner));
    assert_eq!(prop(task, "hs_task_status").as_deref(), Some("NOT_STARTED"));
    assert_eq!(prop(task, "hs_task_priority").as_deref(), Some("HIGH"));
    assert!(prop(task, "hs_task_subject")
        .unwrap()
        .contains("Gone quiet for 45 days"));
    assert!(prop(task, "hs_task_body")
        .unwrap()
        .contains("Call the champion"));
    assert_eq!(
        p.sandbox.associations("tasks", &task.id, "companies"),
        vec![company.clone()]
    );

    p.sandbox.reset_stats();
    let again = p.run(&crm).await.unwrap();
    assert_eq!((again.tasks_created, again.tasks_recovered), (0, 0));
    assert_eq!(p.calls(CREATE_TASK), 0);
    assert_eq!(our_tasks(&p).len(), 1);

    let mut resolved = p
        .store
        .get_insight(&p.tenant.id, &critical.id)
        .await
        .unwrap();
    resolved.status = InsightStatus::Resolved;
    p.put_insight(&resolved).await;
    let done = p.run(&crm).await.unwrap();
    assert_eq!(done.tasks_completed, 1);
    let task = &our_tasks(&p)[0];
    assert_eq!(prop(task, "hs_task_status").as_deref(), Some("COMPLETED"));
    // Completed once: a later run leaves it be.
    p.sandbox.reset_stats();
    assert_eq!(p.run(&crm).await.unwrap().tasks_completed, 0);
    assert_eq!(
        p.calls("POST /crm/v3/objects/tasks/batch/update"),
        0,
        "nothing more to complete"
    );
}

/// Creates the task in HubSpot, then "crashes" before the handler can record it.
struct CrashAfterCreate<'a>(&'a dyn CrmWriteback);

#[async_trait::async_trait]
impl CrmWriteback for CrashAfterCreate<'_> {
    async fn ensure_schema(&self) -> Result<SchemaOutcome, CrmWriteError> {
        self.0.ensure_schema().await
    }
    async fn update_companies(
        &self,
        companies: &[CompanyHealth],
    ) -> Result<UpdateOutcome, CrmWriteError> {
        self.0.update_companies(companies).await
    }
    async fn find_task(&self, subject: &str) -> Result<Option<String>, CrmWriteError> {
        self.0.find_task(subject).await
    }
    async fn create_task(&self, task: &NewTask) -> Result<CreatedTask, CrmWriteError> {
        self.0.create_task(task).await?;
        Err(CrmWriteError::Unavailable {
            message: "the function was stopped".into(),
        })
    }
    async fn complete_tasks(&self, task_ids: &[String]) -> Result<(), CrmWriteError> {
        self.0.complete_tasks(task_ids).await
    }
    fn requests_made(&self) -> u64 {
        self.0.requests_made()
    }
}

#[tokio::test]
async fn a_retry_after_a_crash_between_create_and_record_creates_no_second_task() {
    let p = portal(10).await;
    let (company, _) = owned_company(&p);
    p.put_score(writeback_support::score(&company, 8)).await;
    p.put_insight(&insight(&company, Impact::Critical, "Renewal at risk"))
        .await;
    let crm = p.crm().await;

    let crashed = p.run(&CrashAfterCreate(&crm)).await.unwrap_err();
    assert!(crashed.is_retryable(), "{crashed}");
    assert_eq!(our_tasks(&p).len(), 1, "HubSpot has the task");

    p.sandbox.reset_stats();
    let retry = p.run(&crm).await.unwrap();
    assert_eq!((retry.tasks_created, retry.tasks_recovered), (0, 1));
    assert_eq!(p.calls(CREATE_TASK), 0);
    assert_eq!(p.calls("POST /crm/v3/objects/tasks/search"), 1);
    assert_eq!(our_tasks(&p).len(), 1);
    // Recorded now: the next run does not even search.
    p.sandbox.reset_stats();
    p.run(&crm).await.unwrap();
    assert_eq!(p.calls("POST /crm/v3/objects/tasks/search"), 0);
}

#[tokio::test]
async fn tasks_are_left_out_when_not_wanted() {
    let mut p = portal(10).await;
    p.tenant.writeback.create_tasks = false;
    let (company, _) = owned_company(&p);
    p.put_score(writeback_support::score(&company, 8)).await;
    p.put_insight(&insight(&company, Impact::Critical, "Renewal at risk"))
        .await;
    let crm = p.crm().await;
    let report = p.run(&crm).await.unwrap();
    assert_eq!(report.companies_written, 1);
    assert!(our_tasks(&p).is_empty());
}
