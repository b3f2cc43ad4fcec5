//! An in-process [`CrmWriteback`] for the local runner and handler tests: it keeps what was written in
//! memory and counts the calls a real CRM would have received.

use crate::ports::writeback::{
    CompanyHealth, CreatedTask, CrmWriteError, CrmWriteback, NewTask, SchemaOutcome, UpdateOutcome,
};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// A task the in-process CRM holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldTask {
    pub task_id: String,
    pub task: NewTask,
    pub owner_id: Option<String>,
    pub completed: bool,
}

#[derive(Debug, Default)]
struct State {
    schema: bool,
    companies: BTreeMap<String, CompanyHealth>,
    owners: BTreeMap<String, String>,
    tasks: Vec<HeldTask>,
}

/// The CRM as a map in memory.
#[derive(Debug, Default)]
pub struct InProcessWriteback {
    state: Mutex<State>,
    requests: AtomicU64,
}

impl InProcessWriteback {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn count(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Gives a company an owner, whom its tasks are assigned to.
    pub fn set_owner(&self, company_id: &str, owner_id: &str) {
        self.state()
            .owners
            .insert(company_id.to_owned(), owner_id.to_owned());
    }

    /// The values last written to a company.
    pub fn company(&self, company_id: &str) -> Option<CompanyHealth> {
        self.state().companies.get(company_id).cloned()
    }

    pub fn tasks(&self) -> Vec<HeldTask> {
        self.state().tasks.clone()
    }
}

#[async_trait::async_trait]
impl CrmWriteback for InProcessWriteback {
    async fn ensure_schema(&self) -> Result<SchemaOutcome, CrmWriteError> {
        self.count();
        let mut state = self.state();
        let created = !state.schema;
        state.schema = true;
        Ok(SchemaOutcome {
            group_created: created,
            properties_created: if created {
                super::schema::definitions()
                    .iter()
                    .map(|d| d.name.to_owned())
                    .collect()
            } else {
                Vec::new()
            },
        })
    }

    async fn update_companies(
        &self,
        companies: &[CompanyHealth],
    ) -> Result<UpdateOutcome, CrmWriteError> {
        let mut outcome = UpdateOutcome::default();
        for chunk in companies.chunks(super::update::BATCH_UPDATE_LIMIT) {
            self.count();
            let mut state = self.state();
            for company in chunk {
                state
                    .companies
                    .insert(company.company_id.clone(), company.clone());
                outcome.accepted.push(company.company_id.clone());
            }
        }
        Ok(outcome)
    }

    async fn find_task(&self, subject: &str) -> Result<Option<String>, CrmWriteError> {
        self.count();
        Ok(self
            .state()
            .tasks
            .iter()
            .find(|t| t.task.subject == subject)
            .map(|t| t.task_id.clone()))
    }

    async fn create_task(&self, task: &NewTask) -> Result<CreatedTask, CrmWriteError> {
        self.count();
        let mut state = self.state();
        let task_id = format!("task-{}", state.tasks.len() + 1);
        let owner_id = state.owners.get(&task.company_id).cloned();
        state.tasks.push(HeldTask {
            task_id: task_id.clone(),
            task: task.clone(),
            owner_id: owner_id.clone(),
            completed: false,
        });
        Ok(CreatedTask { task_id, owner_id })
    }

    async fn complete_tasks(&self, task_ids: &[String]) -> Result<(), CrmWriteError> {
        if task_ids.is_empty() {
            return Ok(());
        }
        self.count();
        for task in self.state().tasks.iter_mut() {
            if task_ids.contains(&task.task_id) {
                task.completed = true;
            }
        }
        Ok(())
    }

    fn requests_made(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}
