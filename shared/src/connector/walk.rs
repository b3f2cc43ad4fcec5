//! The step walk every connection sync shares (payments, accounts): take steps from the cursor saved
//! on the run until the source says the walk is done or the invocation's time is spent.
//!
//! Losing nothing, doing nothing twice that matters: a step's records are written BEFORE the cursor
//! of the next step is saved on the run. A run stopped between the two repeats that step, and
//! writing a step again changes nothing (records are merged). Before the deadline the walk stops
//! with the cursor saved, and the handler asks for a continuation. An invocation that could not
//! take a single step fails instead ([`InvocationBudget`]), and a step that leads back to one
//! already taken stops the run ([`SyncError::WalkStalled`]): every chain of steps and continuations
//! ends.

use crate::connector::budget::InvocationBudget;
use crate::connector::error::SyncError;
use crate::domain::{AccountRecord, ConnectionId, PayerRecord, SyncRun};
use crate::ports::SyncStore;
use std::collections::{BTreeMap, HashSet};

/// What one kind of source yields per step, and how a step's records are written.
#[async_trait::async_trait]
pub trait StepWalk: Send {
    /// The records of one step.
    type Step: Send;

    /// The step at `cursor` (`None`: the first), and the cursor of the next (`None`: the last).
    async fn fetch(
        &mut self,
        cursor: Option<&str>,
    ) -> Result<(Self::Step, Option<String>), SyncError>;

    /// Writes a step's records (merged into the stored ones, so writing a step twice is harmless).
    async fn write(&mut self, step: Self::Step) -> Result<(), SyncError>;
}

/// How far an invocation's walk went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Walked {
    /// The source said the walk is done; `false`: the deadline cut it off (continue).
    pub completed: bool,
    /// Steps taken by this invocation.
    pub steps: u64,
}

/// Walks from `run.cursor` until the end or until `budget` is spent, saving the run with the next
/// cursor after each step's records are written.
pub async fn walk_steps<S, W>(
    store: &S,
    run: &mut SyncRun,
    budget: &InvocationBudget,
    walk: &mut W,
) -> Result<Walked, SyncError>
where
    S: SyncStore + ?Sized,
    W: StepWalk,
{
    let mut walked = Walked::default();
    // Every cursor this invocation stood at: a step pointing back to one of them would loop.
    let mut taken: HashSet<Option<String>> = HashSet::from([run.cursor.clone()]);
    loop {
        if budget.is_spent() {
            if walked.steps == 0 {
                return Err(budget.no_progress());
            }
            return Ok(walked);
        }
        let (step, next) = walk.fetch(run.cursor.as_deref()).await?;
        if next.is_some() && taken.contains(&next) {
            return Err(SyncError::WalkStalled { cursor: next });
        }
        walked.steps += 1;
        walk.write(step).await?;
        // Saved only after the step's records are: a stop in between repeats the step, harmlessly.
        run.cursor = next.clone();
        store.put_sync_run(run).await?;
        match next {
            Some(next) => {
                taken.insert(Some(next));
            }
            None => {
                walked.completed = true;
                return Ok(walked);
            }
        }
    }
}

/// A record a step yields as a partial view, merged into the stored one of the same id.
pub trait StepRecord: Sized {
    /// What a step's record of another connection is called in the log.
    const KIND: &'static str;
    fn connection_id(&self) -> &ConnectionId;
    fn external_id(&self) -> &str;
    /// Folds a newer partial view of the same record into this one (merging twice changes nothing).
    fn merge(&mut self, newer: Self);
}

impl StepRecord for PayerRecord {
    const KIND: &'static str = "payer";
    fn connection_id(&self) -> &ConnectionId {
        &self.connection_id
    }
    fn external_id(&self) -> &str {
        &self.external_id
    }
    fn merge(&mut self, newer: Self) {
        PayerRecord::merge(self, newer)
    }
}

impl StepRecord for AccountRecord {
    const KIND: &'static str = "account";
    fn connection_id(&self) -> &ConnectionId {
        &self.connection_id
    }
    fn external_id(&self) -> &str {
        &self.external_id
    }
    fn merge(&mut self, newer: Self) {
        AccountRecord::merge(self, newer)
    }
}

/// A step's records of `connection_id` by external id, several views of one record merged. A
/// record of another connection is a bug of its source: left out, never stored here.
pub fn step_records<T: StepRecord>(
    connection_id: &ConnectionId,
    records: Vec<T>,
) -> BTreeMap<String, T> {
    let mut step: BTreeMap<String, T> = BTreeMap::new();
    for record in records {
        if record.connection_id() != connection_id {
            tracing::warn!(connection = %connection_id, other = %record.connection_id(),
                kind = T::KIND, "a step returned a record of another connection; skipped");
            continue;
        }
        match step.get_mut(record.external_id()) {
            Some(seen) => seen.merge(record),
            None => {
                step.insert(record.external_id().to_owned(), record);
            }
        }
    }
    step
}

/// The records to write for the ids of `chunk`: each step record (taken out of `step`) merged into
/// its stored version (`stored`, read for `chunk`), or as it is when none was stored.
pub fn merged_with_stored<T: StepRecord>(
    step: &mut BTreeMap<String, T>,
    chunk: &[String],
    stored: Vec<T>,
) -> Vec<T> {
    let mut merged: BTreeMap<String, T> = stored
        .into_iter()
        .map(|record| (record.external_id().to_owned(), record))
        .collect();
    for id in chunk {
        let Some(newer) = step.remove(id) else {
            continue;
        };
        match merged.get_mut(id) {
            Some(stored) => stored.merge(newer),
            None => {
                merged.insert(id.clone(), newer);
            }
        }
    }
    merged.into_values().collect()
}
