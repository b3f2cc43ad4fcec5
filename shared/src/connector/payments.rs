//! The sync engine of payments sources (PayPal first): walks a `PaymentsSource` step by step and
//! folds each step's payers into the stored payer records.
//!
//! The walk itself (budget, saved cursor, loop detection) is [`crate::connector::walk`]'s; this
//! says what a step is and how its payers are written: merged into the stored ones, so a step
//! taken again changes nothing ([`PayerRecord::merge`]).

use crate::connector::budget::InvocationBudget;
use crate::connector::error::SyncError;
use crate::connector::walk::{merged_with_stored, step_records, walk_steps, StepWalk};
use crate::domain::{ConnectionId, PayerRecord, PaymentRef, SyncRun, TenantId};
use crate::ports::source::{FetchWindow, PaymentsSource};
use crate::ports::{PayerStore, StoreError, SyncStore, WriteReport};
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

/// A payments walk: a step's payers are merged into the stored ones.
struct PaymentsWalk<'a, S: ?Sized> {
    source: &'a dyn PaymentsSource,
    store: &'a S,
    tenant_id: &'a TenantId,
    connection_id: &'a ConnectionId,
    window: FetchWindow,
    outcome: PaymentsOutcome,
}

#[async_trait::async_trait]
impl<S> StepWalk for PaymentsWalk<'_, S>
where
    S: PayerStore + ?Sized,
{
    type Step = Vec<PayerRecord>;

    async fn fetch(
        &mut self,
        cursor: Option<&str>,
    ) -> Result<(Vec<PayerRecord>, Option<String>), SyncError> {
        let page = self.source.fetch_step(self.window, cursor).await?;
        Ok((page.payers, page.next_cursor))
    }

    async fn write(&mut self, payers: Vec<PayerRecord>) -> Result<(), SyncError> {
        self.outcome.payers_seen += payers.len() as u64;
        self.outcome.writes +=
            merge_into_store(self.store, self.tenant_id, self.connection_id, payers).await?;
        Ok(())
    }
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
    let mut walk = PaymentsWalk {
        source,
        store,
        tenant_id,
        connection_id,
        window,
        outcome: PaymentsOutcome::default(),
    };
    let walked = walk_steps(store, run, budget, &mut walk).await?;
    Ok(PaymentsOutcome {
        completed: walked.completed,
        steps: walked.steps,
        ..walk.outcome
    })
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
    let mut step = step_records(connection_id, payers);
    let ids: Vec<String> = step.keys().cloned().collect();
    let mut report = WriteReport::default();
    for chunk in ids.chunks(PAYER_CHUNK) {
        let stored = store.get_payers(tenant_id, connection_id, chunk).await?;
        let records = merged_with_stored(&mut step, chunk, stored);
        report += store.put_payers(tenant_id, &records).await?;
    }
    Ok(report)
}
