//! The sync engine: walks a `CrmSource`, folds records into client snapshots, and checkpoints so a
//! run cut off by the deadline continues where it stopped.
//!
//! One walk per object type runs concurrently (the source paces them on one shared limiter); a
//! single coordinator applies their pages in arrival order, so the working set needs no locks.
//! Engagement walks run alongside the others, but a page with an engagement that has no company link
//! (only contacts) is held, with every later page of its type, until the contacts walk is complete,
//! so the engagement resolves its client through its contacts. Every flush writes snapshots and the contact index
//! BEFORE it saves the cursors of the pages it covers: a run stopped anywhere resumes without losing
//! a record, and a cursor is only saved for pages already applied, so none is fetched twice.

use crate::connector::assemble::{AssemblyMode, WorkingSet};
use crate::connector::budget::InvocationBudget;
pub use crate::connector::budget::{deadline_reserve, RESERVE_SHARE};
pub use crate::connector::error::SyncError;
pub use crate::connector::plan::{SyncOptions, SyncOutcome, SyncPlan};
pub use crate::connector::progress::{NoProgress, ProgressUpdate, SyncProgress};
use crate::domain::{ClientId, ObjectType, SyncCheckpoint, SyncMode, TenantId};
use crate::ports::source::{CrmRecord, CrmSource, FetchWindow, RecordPage, SourceError};
use crate::ports::{PageRequest, SnapshotStore, StoreError, SyncStore, WriteReport};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use tokio::sync::{mpsc, watch};

/// Runs one sync (or one invocation of it) of `tenant_id` from `source` into `store`, stopping
/// cleanly before `deadline`.
pub async fn run_sync<S>(
    source: &dyn CrmSource,
    store: &S,
    tenant_id: &TenantId,
    plan: &SyncPlan,
    deadline: Instant,
    progress: &dyn SyncProgress,
) -> Result<SyncOutcome, SyncError>
where
    S: SnapshotStore + SyncStore + ?Sized,
{
    let requests_before = source.requests_made();
    let mut outcome = match plan.mode {
        SyncMode::Objects => run_objects(source, store, tenant_id, plan, progress).await?,
        SyncMode::Full | SyncMode::Incremental => {
            run_walks(source, store, tenant_id, plan, deadline, progress).await?
        }
    };
    outcome.requests_used = source.requests_made().saturating_sub(requests_before);
    Ok(outcome)
}

/// Loads what `records` need from the store and applies them.
async fn absorb<S>(
    store: &S,
    tenant_id: &TenantId,
    set: &mut WorkingSet,
    records: &[CrmRecord],
) -> Result<(), StoreError>
where
    S: SnapshotStore + ?Sized,
{
    let contacts = set.unknown_contacts(records);
    for chunk in contacts.chunks(100) {
        let found = store.contact_clients(tenant_id, chunk).await?;
        set.learn_contact_links(chunk, found);
    }
    let clients = set.clients_to_load(records);
    for chunk in clients.chunks(100) {
        let found = store.get_snapshots(tenant_id, chunk).await?;
        set.load(chunk, found);
    }
    for record in records {
        set.apply(record);
    }
    Ok(())
}

async fn write<S>(
    store: &S,
    tenant_id: &TenantId,
    set: &mut WorkingSet,
    complete_rebuild: bool,
) -> Result<WriteReport, StoreError>
where
    S: SnapshotStore + ?Sized,
{
    let writes = set.take_writes(complete_rebuild);
    let mut report = WriteReport::default();
    for chunk in writes.snapshots.chunks(100) {
        report += store.put_snapshots(tenant_id, chunk).await?;
    }
    if !writes.deletions.is_empty() {
        report += store.delete_snapshots(tenant_id, &writes.deletions).await?;
    }
    for chunk in writes.contact_links.chunks(100) {
        report += store.put_contact_clients(tenant_id, chunk).await?;
    }
    Ok(report)
}

async fn run_objects<S>(
    source: &dyn CrmSource,
    store: &S,
    tenant_id: &TenantId,
    plan: &SyncPlan,
    progress: &dyn SyncProgress,
) -> Result<SyncOutcome, SyncError>
where
    S: SnapshotStore + SyncStore + ?Sized,
{
    let fetched = source.fetch_objects(&plan.objects).await?;
    let mut records = fetched.records;
    // Contacts before engagements, so engagements resolve through contacts fetched with them.
    records.sort_by_key(|r| r.object_type);
    let mut set = WorkingSet::new(AssemblyMode::Merge, source.name());
    absorb(store, tenant_id, &mut set, &records).await?;

    let mut outcome = SyncOutcome::default();
    for missing in &fetched.missing {
        match missing.object_type {
            ObjectType::Companies => {
                if let Ok(id) = ClientId::parse(missing.id.as_str()) {
                    set.delete_client(&id);
                }
            }
            ObjectType::Contacts => {
                let asked = vec![missing.id.clone()];
                if set.known_contact_clients(&missing.id).is_empty() {
                    let found = store.contact_clients(tenant_id, &asked).await?;
                    set.learn_contact_links(&asked, found);
                }
                let clients = set.known_contact_clients(&missing.id);
                let found = store.get_snapshots(tenant_id, &clients).await?;
                set.load(&clients, found);
                set.delete_contact(&missing.id);
            }
            _ => outcome.unlocated_deletions += 1,
        }
    }
    outcome.writes = write(store, tenant_id, &mut set, false).await?;
    for record in &records {
        *outcome.counts.entry(record.object_type).or_default() += 1;
    }
    for (object_type, fetched) in &outcome.counts {
        progress.update(&ProgressUpdate {
            object_type: *object_type,
            fetched: *fetched,
            total_hint: None,
            done: true,
        });
    }
    outcome.completed = true;
    outcome.changed_client_ids = set.changed_clients();
    outcome.deleted_client_ids = set.deleted_clients();
    outcome.unresolved_engagements = set.unresolved_engagements();
    Ok(outcome)
}

/// Where one type's walk stands in this invocation.
#[derive(Debug, Clone)]
struct Walk {
    object_type: ObjectType,
    window: FetchWindow,
    /// The cursor of the next page to fetch (`None`: first page, or done).
    cursor: Option<String>,
    /// The watermark before this run (kept in checkpoints until the walk completes).
    watermark: Option<DateTime<Utc>>,
    done: bool,
    /// A page was applied since the last checkpoint.
    unsaved: bool,
    fetched: u64,
    total_hint: Option<u64>,
}

enum WalkMessage {
    Page {
        object_type: ObjectType,
        page: RecordPage,
    },
    Failed {
        object_type: ObjectType,
        error: SourceError,
    },
    Stopped {
        object_type: ObjectType,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    Waiting,
    Open,
    Closed,
}

fn is_engagement(object_type: ObjectType) -> bool {
    matches!(
        object_type,
        ObjectType::Calls
            | ObjectType::Emails
            | ObjectType::Meetings
            | ObjectType::Notes
            | ObjectType::Tasks
    )
}

async fn run_walks<S>(
    source: &dyn CrmSource,
    store: &S,
    tenant_id: &TenantId,
    plan: &SyncPlan,
    deadline: Instant,
    progress: &dyn SyncProgress,
) -> Result<SyncOutcome, SyncError>
where
    S: SnapshotStore + SyncStore + ?Sized,
{
    let budget = InvocationBudget::until(deadline, plan.options.deadline_reserve);
    let offered = source.object_types();
    let types: Vec<ObjectType> = if plan.object_types.is_empty() {
        offered.to_vec()
    } else {
        plan.object_types
            .iter()
            .copied()
            .filter(|t| offered.contains(t))
            .collect()
    };
    let checkpoints: HashMap<ObjectType, SyncCheckpoint> = store
        .checkpoints(tenant_id)
        .await?
        .into_iter()
        .map(|c| (c.object_type, c))
        .collect();
    let overlap =
        chrono::Duration::from_std(plan.options.window_overlap).unwrap_or(chrono::Duration::zero());

    let mut walks: BTreeMap<ObjectType, Walk> = BTreeMap::new();
    let mut resumed = false;
    for &object_type in &types {
        let checkpoint = checkpoints.get(&object_type);
        let same_run = checkpoint.and_then(|c| c.sync_id.as_ref()) == Some(&plan.sync_id);
        resumed |= same_run;
        let watermark = checkpoint.and_then(|c| c.watermark);
        let window = match (plan.mode, watermark) {
            (SyncMode::Incremental, Some(watermark)) => FetchWindow::ChangedBetween {
                since: watermark - overlap,
                until: plan.started_at,
            },
            // A type never synced has no watermark: its first incremental run lists everything.
            _ => FetchWindow::All,
        };
        let cursor = if same_run {
            checkpoint.and_then(|c| c.cursor.clone())
        } else {
            None
        };
        walks.insert(
            object_type,
            Walk {
                object_type,
                window,
                done: same_run && cursor.is_none(),
                cursor,
                watermark,
                unsaved: false,
                fetched: 0,
                total_hint: None,
            },
        );
    }
    let rebuild = plan.mode == SyncMode::Full
        && !resumed
        && offered.iter().all(|t| types.contains(t))
        && types.contains(&ObjectType::Companies);
    let mode = if rebuild {
        AssemblyMode::Rebuild
    } else {
        AssemblyMode::Merge
    };
    let mut set = WorkingSet::new(mode, source.name());

    let contacts_pending = walks.get(&ObjectType::Contacts).is_some_and(|w| !w.done);
    let (gate_tx, gate_rx) = watch::channel(if contacts_pending {
        Gate::Waiting
    } else {
        Gate::Open
    });
    let stop = AtomicBool::new(false);
    let pause_engagements = AtomicBool::new(false);
    let (tx, mut rx) = mpsc::channel::<WalkMessage>(plan.options.pages_in_flight.max(1));

    let walkers = futures::future::join_all(walks.values().filter(|w| !w.done).map(|w| {
        let gate = is_engagement(w.object_type).then(|| (gate_rx.clone(), &pause_engagements));
        walk(
            source,
            w.object_type,
            w.window,
            w.cursor.clone(),
            &budget,
            &stop,
            gate,
            tx.clone(),
        )
    }));
    drop(tx);

    let coordinator = async {
        let mut failure: Option<SyncError> = None;
        let mut counts: BTreeMap<ObjectType, u64> = BTreeMap::new();
        let mut pages_applied: u64 = 0;
        let mut writes = WriteReport::default();
        let mut last_flush = Instant::now();
        // Engagement pages that need contacts not yet applied, in fetch order per type. Pages held
        // when the run stops are dropped with their cursors unsaved, so the next run fetches them.
        let mut held: BTreeMap<ObjectType, VecDeque<RecordPage>> = BTreeMap::new();
        let stop_all = |failure: &mut Option<SyncError>, error: SyncError| {
            stop.store(true, Ordering::SeqCst);
            gate_tx.send_replace(Gate::Closed);
            if failure.is_none() {
                *failure = Some(error);
            }
        };
        while let Some(message) = rx.recv().await {
            match message {
                WalkMessage::Page { object_type, page } => {
                    let mut ready = VecDeque::from([(object_type, page)]);
                    while let Some((object_type, page)) = ready.pop_front() {
                        if failure
                            .as_ref()
                            .is_some_and(|f| matches!(f, SyncError::Store(_)))
                        {
                            // The store is failing: nothing more can be saved.
                            continue;
                        }
                        if is_engagement(object_type) && *gate_tx.borrow() != Gate::Open {
                            let queue = held.entry(object_type).or_default();
                            if !queue.is_empty() || needs_contacts(&page) {
                                queue.push_back(page);
                                if queue.len() >= HELD_PAGES_LIMIT {
                                    pause_engagements.store(true, Ordering::SeqCst);
                                }
                                continue;
                            }
                        }
                        if let Err(error) = absorb(store, tenant_id, &mut set, &page.records).await
                        {
                            stop_all(&mut failure, error.into());
                            continue;
                        }
                        *counts.entry(object_type).or_default() += page.records.len() as u64;
                        pages_applied += 1;
                        if let Some(walk) = walks.get_mut(&object_type) {
                            walk.fetched += page.records.len() as u64;
                            walk.total_hint = walk.total_hint.or(page.total_hint);
                            walk.done = page.next_cursor.is_none();
                            walk.cursor = page.next_cursor;
                            walk.unsaved = true;
                            progress.update(&ProgressUpdate {
                                object_type,
                                fetched: walk.fetched,
                                total_hint: walk.total_hint,
                                done: walk.done,
                            });
                            if object_type == ObjectType::Contacts && walk.done {
                                gate_tx.send_replace(Gate::Open);
                                for (t, pages) in std::mem::take(&mut held) {
                                    ready.extend(pages.into_iter().map(|p| (t, p)));
                                }
                            }
                        }
                        if last_flush.elapsed() >= plan.options.flush_every
                            || set.clients_held() > CLIENTS_HELD
                        {
                            match flush(store, tenant_id, plan, &mut set, &mut walks, false).await {
                                Ok(report) => writes += report,
                                Err(error) => stop_all(&mut failure, error.into()),
                            }
                            set.shed(CLIENTS_HELD);
                            last_flush = Instant::now();
                        }
                    }
                }
                WalkMessage::Failed { object_type, error } => {
                    tracing::warn!(%error, object_type = object_type.as_str(), "walk failed");
                    stop_all(&mut failure, error.into());
                }
                WalkMessage::Stopped { object_type } => {
                    if object_type == ObjectType::Contacts {
                        gate_tx.send_replace(Gate::Closed);
                    }
                }
            }
        }
        (failure, counts, pages_applied, writes)
    };

    let (_, (failure, counts, pages_applied, mut writes)) = tokio::join!(walkers, coordinator);
    if let Some(failure @ SyncError::Store(_)) = failure {
        return Err(failure);
    }
    let completed = failure.is_none() && walks.values().all(|w| w.done);
    if !completed && failure.is_none() && pages_applied == 0 {
        return Err(budget.no_progress());
    }
    // A rebuild that grew past what it may hold went on as a merge (`WorkingSet::shed`).
    let complete_rebuild = completed && set.mode() == AssemblyMode::Rebuild;
    let mut reconciled = false;
    if complete_rebuild {
        let seen = set.companies_seen().clone();
        let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
        loop {
            let stored = store.list_snapshots(tenant_id, &page).await?;
            for snapshot in stored.items {
                if !seen.contains(&snapshot.client_id) {
                    set.delete_stored(snapshot.client_id);
                }
            }
            match stored.next_cursor {
                Some(cursor) => page.cursor = Some(cursor),
                None => break,
            }
        }
        reconciled = true;
    }
    writes += flush(
        store,
        tenant_id,
        plan,
        &mut set,
        &mut walks,
        complete_rebuild,
    )
    .await?;
    if let Some(failure) = failure {
        return Err(failure);
    }
    Ok(SyncOutcome {
        completed,
        counts,
        requests_used: 0,
        changed_client_ids: set.changed_clients(),
        deleted_client_ids: set.deleted_clients(),
        reconciled,
        unresolved_engagements: set.unresolved_engagements(),
        unlocated_deletions: 0,
        writes,
    })
}

/// Writes snapshots and contact links, then saves the cursors of the pages they cover.
async fn flush<S>(
    store: &S,
    tenant_id: &TenantId,
    plan: &SyncPlan,
    set: &mut WorkingSet,
    walks: &mut BTreeMap<ObjectType, Walk>,
    complete_rebuild: bool,
) -> Result<WriteReport, StoreError>
where
    S: SnapshotStore + SyncStore + ?Sized,
{
    let report = write(store, tenant_id, set, complete_rebuild).await?;
    for walk in walks.values_mut().filter(|w| w.unsaved) {
        let checkpoint = SyncCheckpoint {
            object_type: walk.object_type,
            watermark: if walk.done {
                Some(plan.started_at)
            } else {
                walk.watermark
            },
            cursor: if walk.done { None } else { walk.cursor.clone() },
            sync_id: Some(plan.sync_id.clone()),
            updated_at: Utc::now(),
        };
        store.put_checkpoint(tenant_id, &checkpoint).await?;
        walk.unsaved = false;
    }
    Ok(report)
}

/// Waits until the contacts walk is complete (`true`) or will not complete in this run (`false`).
async fn wait_for_contacts(gate: &mut watch::Receiver<Gate>) -> bool {
    loop {
        let state = *gate.borrow_and_update();
        match state {
            Gate::Open => return true,
            Gate::Closed => return false,
            Gate::Waiting => {
                if gate.changed().await.is_err() {
                    return false;
                }
            }
        }
    }
}

/// Whether a page holds engagements that only their contacts can link to a client.
fn needs_contacts(page: &RecordPage) -> bool {
    page.records
        .iter()
        .any(|r| r.company_ids.is_empty() && !r.contact_ids.is_empty())
}

/// Clients an invocation holds in memory before it flushes and drops them (`WorkingSet::shed`):
/// a few hundred MB at most, in the sync function's 1,024 MB, however large the portal.
const CLIENTS_HELD: usize = 10_000;

/// Engagement pages held for the contacts walk before engagement walks are paused.
const HELD_PAGES_LIMIT: usize = 20;

#[allow(clippy::too_many_arguments)]
async fn walk(
    source: &dyn CrmSource,
    object_type: ObjectType,
    window: FetchWindow,
    mut cursor: Option<String>,
    budget: &InvocationBudget,
    stop: &AtomicBool,
    mut gate: Option<(watch::Receiver<Gate>, &AtomicBool)>,
    tx: mpsc::Sender<WalkMessage>,
) {
    loop {
        // Engagement walks run ahead of the contacts walk until the coordinator holds too many of
        // their pages; then they wait for the contacts.
        if let Some((gate, pause)) = gate.as_mut() {
            if pause.load(Ordering::SeqCst) && !wait_for_contacts(gate).await {
                let _ = tx.send(WalkMessage::Stopped { object_type }).await;
                return;
            }
        }
        if stop.load(Ordering::SeqCst) || budget.is_spent() {
            let _ = tx.send(WalkMessage::Stopped { object_type }).await;
            return;
        }
        match source
            .fetch_page(object_type, window, cursor.as_deref())
            .await
        {
            Ok(page) => {
                let next = page.next_cursor.clone();
                if tx
                    .send(WalkMessage::Page { object_type, page })
                    .await
                    .is_err()
                {
                    return;
                }
                match next {
                    Some(next) => cursor = Some(next),
                    None => return,
                }
            }
            Err(error) => {
                let _ = tx.send(WalkMessage::Failed { object_type, error }).await;
                return;
            }
        }
    }
}
