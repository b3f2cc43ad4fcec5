//! The sync engine of account-like sources (NinjaOne, Pax8, Microsoft 365): walks an
//! `AccountsSource` step by step, folds each step's accounts into the stored account records and,
//! when a walk completes, drops what the platform no longer has.
//!
//! These platforms give current state (see [`AccountRecord`]): each step's records are stamped
//! with the time the sync saw them ([`AccountRecord::stamp_seen`]) and merged into the stored ones
//! ([`AccountRecord::merge`]). When a walk completes, every stored account of the connection is
//! swept with the run's start ([`AccountRecord::sweep`]) and the accounts it did not see at all are
//! deleted. A walk cut by the deadline and continued keeps the run's `started_at`, so nothing seen
//! earlier in the same run is swept. A targeted fetch (a webhook) sees a few accounts only: it
//! merges, and sweeps nothing.
//!
//! The walk itself (budget, saved cursor, loop detection) is [`crate::connector::walk`]'s.

use crate::connector::budget::InvocationBudget;
use crate::connector::error::SyncError;
use crate::connector::walk::{merged_with_stored, step_records, walk_steps, StepWalk};
use crate::domain::{AccountRecord, ConnectionId, SyncRun, TenantId};
use crate::ports::source::{AccountsSource, FetchWindow};
use crate::ports::{AccountStore, PageRequest, StoreError, SyncStore, WriteReport};
use chrono::{DateTime, Utc};
use std::time::{Duration, Instant};

/// Stored accounts read (and written, and deleted) at once.
const ACCOUNT_CHUNK: usize = 100;

/// What one invocation of an accounts sync does.
#[derive(Debug, Clone, PartialEq)]
pub enum AccountsWork {
    /// Walk `window` from the cursor saved on the run (`run.cursor`; none: the first step), then
    /// sweep what the completed walk did not see.
    Walk(FetchWindow),
    /// Fetch these accounts whole (a webhook named them); nothing is swept.
    Accounts(Vec<String>),
}

/// What an invocation did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountsOutcome {
    /// The walk reached its end (or the accounts were fetched); `false` when the deadline cut it
    /// off and a continuation should follow.
    pub completed: bool,
    /// Steps taken by this invocation.
    pub steps: u64,
    /// Account records the steps held (an account seen in two steps counts twice).
    pub accounts_seen: u64,
    /// Requests the source sent during the invocation.
    pub requests_used: u64,
    /// Written merged records and swept ones.
    pub writes: WriteReport,
    /// Stored accounts that lost rows the completed walk did not see.
    pub accounts_swept: u64,
    /// Stored accounts the completed walk did not see at all, deleted.
    pub accounts_deleted: u64,
}

/// Runs one invocation of an accounts sync of `connection_id` into `store`, stopping before
/// `deadline` (keeping at most `most_reserve` back). `run` is the run being recorded: its `cursor`
/// is where the walk resumes, it is saved with the new cursor after every step, and its
/// `started_at` is the line a completed walk sweeps at.
#[allow(clippy::too_many_arguments)]
pub async fn run_accounts_sync<S>(
    source: &dyn AccountsSource,
    store: &S,
    tenant_id: &TenantId,
    connection_id: &ConnectionId,
    run: &mut SyncRun,
    work: &AccountsWork,
    deadline: Instant,
    most_reserve: Duration,
) -> Result<AccountsOutcome, SyncError>
where
    S: AccountStore + SyncStore + ?Sized,
{
    let requests_before = source.requests_made();
    let mut walk = AccountsWalk {
        source,
        store,
        tenant_id,
        connection_id,
        window: FetchWindow::All,
        outcome: AccountsOutcome::default(),
    };
    match work {
        AccountsWork::Accounts(ids) => {
            let accounts = source.fetch_accounts(ids).await?;
            walk.write(accounts).await?;
            walk.outcome.completed = true;
            walk.outcome.steps = 1;
        }
        AccountsWork::Walk(window) => {
            walk.window = *window;
            let budget = InvocationBudget::until(deadline, most_reserve);
            let walked = walk_steps(store, run, &budget, &mut walk).await?;
            walk.outcome.completed = walked.completed;
            walk.outcome.steps = walked.steps;
            if walked.completed {
                let swept =
                    sweep_connection(store, tenant_id, connection_id, run.started_at).await?;
                walk.outcome.writes += swept.writes;
                walk.outcome.accounts_swept = swept.accounts_swept;
                walk.outcome.accounts_deleted = swept.accounts_deleted;
            }
        }
    }
    let mut outcome = walk.outcome;
    outcome.requests_used = source.requests_made().saturating_sub(requests_before);
    Ok(outcome)
}

/// An accounts walk: a step's accounts are stamped and merged into the stored ones.
struct AccountsWalk<'a, S: ?Sized> {
    source: &'a dyn AccountsSource,
    store: &'a S,
    tenant_id: &'a TenantId,
    connection_id: &'a ConnectionId,
    window: FetchWindow,
    outcome: AccountsOutcome,
}

#[async_trait::async_trait]
impl<S> StepWalk for AccountsWalk<'_, S>
where
    S: AccountStore + ?Sized,
{
    type Step = Vec<AccountRecord>;

    async fn fetch(
        &mut self,
        cursor: Option<&str>,
    ) -> Result<(Vec<AccountRecord>, Option<String>), SyncError> {
        let page = self.source.fetch_step(self.window, cursor).await?;
        Ok((page.accounts, page.next_cursor))
    }

    async fn write(&mut self, mut accounts: Vec<AccountRecord>) -> Result<(), SyncError> {
        self.outcome.accounts_seen += accounts.len() as u64;
        // Stamped when the step is written, never before the run started: the sweep keeps it.
        let seen_at = Utc::now();
        for account in &mut accounts {
            account.stamp_seen(seen_at);
        }
        self.outcome.writes +=
            merge_into_store(self.store, self.tenant_id, self.connection_id, accounts).await?;
        Ok(())
    }
}

/// Merges `accounts` (a step's partial views, already stamped) into the stored records of the
/// connection and writes the result; the store skips records that did not change.
pub async fn merge_into_store<S>(
    store: &S,
    tenant_id: &TenantId,
    connection_id: &ConnectionId,
    accounts: Vec<AccountRecord>,
) -> Result<WriteReport, StoreError>
where
    S: AccountStore + ?Sized,
{
    let mut step = step_records(connection_id, accounts);
    let ids: Vec<String> = step.keys().cloned().collect();
    let mut report = WriteReport::default();
    for chunk in ids.chunks(ACCOUNT_CHUNK) {
        let stored = store.get_accounts(tenant_id, connection_id, chunk).await?;
        let records = merged_with_stored(&mut step, chunk, stored);
        report += store.put_accounts(tenant_id, &records).await?;
    }
    Ok(report)
}

/// What sweeping a connection did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Swept {
    pub writes: WriteReport,
    pub accounts_swept: u64,
    pub accounts_deleted: u64,
}

/// After a completed walk that started at `walk_started_at`: drops from every stored account of
/// the connection the rows the walk did not see (writing the changed accounts), and deletes the
/// accounts it did not see at all. Read a page at a time, so a large connection is never held
/// whole.
pub async fn sweep_connection<S>(
    store: &S,
    tenant_id: &TenantId,
    connection_id: &ConnectionId,
    walk_started_at: DateTime<Utc>,
) -> Result<Swept, StoreError>
where
    S: AccountStore + ?Sized,
{
    let mut swept = Swept::default();
    let mut gone: Vec<String> = Vec::new();
    let mut page = PageRequest::first(ACCOUNT_CHUNK as u32);
    loop {
        let listed = store.list_accounts(tenant_id, connection_id, &page).await?;
        let mut changed: Vec<AccountRecord> = Vec::new();
        for mut account in listed.items {
            if !account.seen_since(walk_started_at) {
                gone.push(account.external_id);
            } else if account.sweep(walk_started_at) {
                changed.push(account);
            }
        }
        swept.accounts_swept += changed.len() as u64;
        if !changed.is_empty() {
            swept.writes += store.put_accounts(tenant_id, &changed).await?;
        }
        match listed.next_cursor {
            Some(cursor) if page.cursor.as_deref() == Some(cursor.as_str()) => {
                return Err(StoreError::Corrupt(
                    "a listing of accounts answered the cursor it was given".into(),
                ))
            }
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    // Deleted after the listing, so no page is read while the rows under it go.
    for chunk in gone.chunks(ACCOUNT_CHUNK) {
        swept.accounts_deleted += store
            .delete_accounts(tenant_id, connection_id, chunk)
            .await?;
    }
    Ok(swept)
}
