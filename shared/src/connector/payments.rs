//! The sync engine of payments sources (PayPal first): walks a `PaymentsSource` step by step and
//! folds each step's payers into the stored payer records.
//!
//! Losing nothing, doing nothing twice that matters: a step's payers are merged into the stored ones
//! and written BEFORE the cursor of the next step is saved on the run. A run stopped between the
//! two repeats that step, and merging a step again changes nothing ([`PayerRecord::merge`]). Before
//! the deadline the engine stops with the cursor saved, and the handler asks for a continuation.
//! An invocation that could not take a single step fails instead ([`InvocationBudget`]), and a step
//! that leads back to one already taken stops the run ([`SyncError::WalkStalled`]): every chain of
//! steps and continuations ends.

use crate::connector::budget::InvocationBudget;
use crate::connector::error::SyncError;
use crate::domain::{ConnectionId, PayerRecord, PaymentRef, SyncRun, TenantId};
use crate::ports::source::{FetchWindow, PaymentsSource};
use crate::ports::{PayerStore, StoreError, SyncStore, WriteReport};
use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

/// Stored payers read (and written) at once.
const PAYER_CHUNK: usize = 100;

/// What one invocation of a payments sync does.
#[derive(Debug, Clone, PartialEq)]
pub enum PaymentsWork {
    /// Walk `window` from the cursor saved on the run (`run.cursor`; none: the first step).
    Walk(FetchWindow),
    /// Fetch the payers behind these objects (a webhook named them).
    Refs(Vec<PaymentRef>),
}

/// What an invocation did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PaymentsOutcome {
    /// The walk reached its end (or the refs were fetched); `false` when the deadline cut it off
    /// and a continuation should follow.
    pub completed: bool,
    /// Steps taken by this invocation.
    pub steps: u64,
    /// Payer records the steps held (a payer seen in two steps counts twice).
    pub payers_seen: u64,
    /// Requests the source sent during the invocation.
    pub requests_used: u64,
    pub writes: WriteReport,
}

/// Runs one invocation of a payments sync of `connection_id` into `store`, stopping before
/// `deadline` (keeping at most `most_reserve` back). `run` is the run being recorded: its `cursor`
/// is where the walk resumes, and it is saved with the new cursor after every step.
#[allow(clippy::too_many_arguments)]
pub async fn run_payments_sync<S>(
    source: &dyn PaymentsSource,
    store: &S,
    tenant_id: &TenantId,
    connection_id: &ConnectionId,
    run: &mut SyncRun,
    work: &PaymentsWork,
    deadline: Instant,
    most_reserve: Duration,
) -> Result<PaymentsOutcome, SyncError>
where
    S: PayerStore + SyncStore + ?Sized,
{
    let requests_before = source.requests_made();
    let mut outcome = match work {
        PaymentsWork::Refs(refs) => {
            let payers = source.fetch_refs(refs).await?;
            let mut outcome = PaymentsOutcome {
                completed: true,
                steps: 1,
                payers_seen: payers.len() as u64,
                ..PaymentsOutcome::default()
            };
            outcome.writes = merge_into_store(store, tenant_id, connection_id, payers).await?;
            outcome
        }
        PaymentsWork::Walk(window) => {
            let budget = InvocationBudget::until(deadline, most_reserve);
            walk(
                source,
                store,
                tenant_id,
                connection_id,
                run,
                *window,
                &budget,
            )
            .await?
        }
    };
    outcome.requests_used = source.requests_made().saturating_sub(requests_before);
    Ok(outcome)
}

async fn walk<S>(
    source: &dyn PaymentsSource,
    store: &S,
    tenant_id: &TenantId,
    connection_id: &ConnectionId,
    run: &mut SyncRun,
    window: FetchWindow,
    budget: &InvocationBudget,
) -> Result<PaymentsOutcome, SyncError>
where
    S: PayerStore + SyncStore + ?Sized,
{
    let mut outcome = PaymentsOutcome::default();
    // Every cursor this invocation stood at: a step pointing back to one of them would loop.
    let mut taken: HashSet<Option<String>> = HashSet::from([run.cursor.clone()]);
    loop {
        if budget.is_spent() {
            if outcome.steps == 0 {
                return Err(budget.no_progress());
            }
            return Ok(outcome);
        }
        let page = source.fetch_step(window, run.cursor.as_deref()).await?;
        let next = page.next_cursor;
        if next.is_some() && taken.contains(&next) {
            return Err(SyncError::WalkStalled { cursor: next });
        }
        outcome.steps += 1;
        outcome.payers_seen += page.payers.len() as u64;
        outcome.writes += merge_into_store(store, tenant_id, connection_id, page.payers).await?;
        // Saved only after the step's payers are: a stop in between repeats the step, harmlessly.
        run.cursor = next.clone();
        store.put_sync_run(run).await?;
        match next {
            Some(next) => {
                taken.insert(Some(next));
            }
            None => {
                outcome.completed = true;
                return Ok(outcome);
            }
        }
    }
}

/// Merges `payers` (a step's partial views) into the stored records of the connection and writes
/// the result; the store skips records that did not change.
pub async fn merge_into_store<S>(
    store: &S,
    tenant_id: &TenantId,
    connection_id: &ConnectionId,
    payers: Vec<PayerRecord>,
) -> Result<WriteReport, StoreError>
where
    S: PayerStore + ?Sized,
{
    let mut step: BTreeMap<String, PayerRecord> = BTreeMap::new();
    for payer in payers {
        if &payer.connection_id != connection_id {
            // A source serves one connection: a record of another is a bug, never stored here.
            tracing::warn!(connection = %connection_id, other = %payer.connection_id,
                "a payments step returned a payer of another connection; skipped");
            continue;
        }
        match step.get_mut(&payer.external_id) {
            Some(seen) => seen.merge(payer),
            None => {
                step.insert(payer.external_id.clone(), payer);
            }
        }
    }
    let ids: Vec<String> = step.keys().cloned().collect();
    let mut report = WriteReport::default();
    for chunk in ids.chunks(PAYER_CHUNK) {
        let stored = store.get_payers(tenant_id, connection_id, chunk).await?;
        let mut merged: BTreeMap<String, PayerRecord> = stored
            .into_iter()
            .map(|payer| (payer.external_id.clone(), payer))
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
        let records: Vec<PayerRecord> = merged.into_values().collect();
        report += store.put_payers(tenant_id, &records).await?;
    }
    Ok(report)
}
