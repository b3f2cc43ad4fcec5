//! Folding normalised records into client snapshots: pure, no I/O. The engine loads what a page
//! needs (snapshots, contact links) into a `WorkingSet`, applies the page, and asks it what to write.

use crate::domain::{ClientId, ClientSnapshot, ContactSummary, Deal, Engagement, Ticket};
use crate::ports::source::{CompanyFields, CrmRecord, RecordBody};
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashMap, HashSet};

/// How records combine with what the store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssemblyMode {
    /// Records are merged into the stored snapshots (incremental and targeted syncs, and a full
    /// sync resumed from an earlier invocation).
    Merge,
    /// A full sync of every object type started in this invocation: snapshots are rebuilt from the
    /// records alone, so deleted and re-associated records disappear. Until the rebuild is complete,
    /// flushes write the stored snapshot overlaid with what has arrived, so readers never see a
    /// client without its not-yet-fetched records.
    Rebuild,
}

#[derive(Debug)]
struct Entry {
    /// What the store holds, as far as this run knows (updated after each write).
    stored: Option<ClientSnapshot>,
    /// Merge: the stored snapshot with this run's records applied. Rebuild: this run's records only.
    current: ClientSnapshot,
    company_applied: bool,
    dirty: bool,
    changed: bool,
}

/// What to send to the store at a flush.
#[derive(Debug, Default)]
pub struct Writes {
    pub snapshots: Vec<ClientSnapshot>,
    pub deletions: Vec<ClientId>,
    pub contact_links: Vec<(String, Vec<ClientId>)>,
}

/// The clients a sync has touched, with the contact links it knows.
#[derive(Debug)]
pub struct WorkingSet {
    mode: AssemblyMode,
    source: String,
    entries: HashMap<ClientId, Entry>,
    /// Contact id to its clients: learned from the store or from this run's contact records.
    contact_links: HashMap<String, Vec<ClientId>>,
    pending_links: HashMap<String, Vec<ClientId>>,
    companies_seen: HashSet<ClientId>,
    /// Deletions not yet written.
    deleted: BTreeSet<ClientId>,
    deleted_total: BTreeSet<ClientId>,
    unresolved_engagements: u64,
    skipped_ids: u64,
    /// Clients this run changed whose entries were shed (see [`WorkingSet::shed`]).
    changed_shed: BTreeSet<ClientId>,
}

fn client_ids(ids: &[String]) -> Vec<ClientId> {
    let mut out: Vec<ClientId> = ids
        .iter()
        .filter_map(|id| ClientId::parse(id.as_str()).ok())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn empty_snapshot(client_id: ClientId, source: &str) -> ClientSnapshot {
    ClientSnapshot {
        client_id,
        name: String::new(),
        domain: None,
        lifecycle_stage: None,
        activity: Default::default(),
        reported_revenue: None,
        contacts: Vec::new(),
        deals: Vec::new(),
        tickets: Vec::new(),
        engagements: Vec::new(),
        sources: vec![source.to_owned()],
        updated_at: DateTime::UNIX_EPOCH,
        csm_sentiment: None,
    }
}

/// Inserts or replaces the item with the same id, keeping the list sorted by id; returns whether
/// the list changed.
fn upsert<T: Clone + PartialEq>(list: &mut Vec<T>, item: &T, id: impl Fn(&T) -> &str) -> bool {
    match list.binary_search_by(|probe| id(probe).cmp(id(item))) {
        Ok(at) if list[at] == *item => false,
        Ok(at) => {
            list[at] = item.clone();
            true
        }
        Err(at) => {
            list.insert(at, item.clone());
            true
        }
    }
}

fn remove<T>(list: &mut Vec<T>, wanted: &str, id: impl Fn(&T) -> &str) -> bool {
    let before = list.len();
    list.retain(|item| id(item) != wanted);
    list.len() != before
}

fn sort_lists(snapshot: &mut ClientSnapshot) {
    snapshot.contacts.sort_by(|a, b| a.id.cmp(&b.id));
    snapshot.deals.sort_by(|a, b| a.id.cmp(&b.id));
    snapshot.tickets.sort_by(|a, b| a.id.cmp(&b.id));
    snapshot.engagements.sort_by(|a, b| a.id.cmp(&b.id));
}

fn set_company(snapshot: &mut ClientSnapshot, fields: &CompanyFields) -> bool {
    let before = (
        snapshot.name.clone(),
        snapshot.domain.clone(),
        snapshot.lifecycle_stage.clone(),
        snapshot.activity.clone(),
        snapshot.reported_revenue,
        snapshot.csm_sentiment,
    );
    snapshot.name = fields.name.clone();
    snapshot.domain = fields.domain.clone();
    snapshot.lifecycle_stage = fields.lifecycle_stage.clone();
    snapshot.activity = fields.activity.clone();
    snapshot.reported_revenue = fields.reported_revenue;
    snapshot.csm_sentiment = fields.csm_sentiment;
    before
        != (
            snapshot.name.clone(),
            snapshot.domain.clone(),
            snapshot.lifecycle_stage.clone(),
            snapshot.activity.clone(),
            snapshot.reported_revenue,
            snapshot.csm_sentiment,
        )
}

/// The stored snapshot with a partial rebuild laid over it.
fn overlay(
    stored: &ClientSnapshot,
    fresh: &ClientSnapshot,
    company_applied: bool,
) -> ClientSnapshot {
    let mut out = stored.clone();
    sort_lists(&mut out);
    if company_applied {
        set_company(
            &mut out,
            &CompanyFields {
                name: fresh.name.clone(),
                domain: fresh.domain.clone(),
                lifecycle_stage: fresh.lifecycle_stage.clone(),
                activity: fresh.activity.clone(),
                reported_revenue: fresh.reported_revenue,
                csm_sentiment: fresh.csm_sentiment,
            },
        );
    }
    for c in &fresh.contacts {
        upsert(&mut out.contacts, c, |c: &ContactSummary| &c.id);
    }
    for d in &fresh.deals {
        upsert(&mut out.deals, d, |d: &Deal| &d.id);
    }
    for t in &fresh.tickets {
        upsert(&mut out.tickets, t, |t: &Ticket| &t.id);
    }
    for e in &fresh.engagements {
        upsert(&mut out.engagements, e, |e: &Engagement| &e.id);
    }
    for s in &fresh.sources {
        if !out.sources.contains(s) {
            out.sources.push(s.clone());
        }
    }
    out.updated_at = out.updated_at.max(fresh.updated_at);
    out
}

impl WorkingSet {
    pub fn new(mode: AssemblyMode, source: &str) -> Self {
        WorkingSet {
            mode,
            source: source.to_owned(),
            entries: HashMap::new(),
            contact_links: HashMap::new(),
            pending_links: HashMap::new(),
            companies_seen: HashSet::new(),
            deleted: BTreeSet::new(),
            deleted_total: BTreeSet::new(),
            unresolved_engagements: 0,
            skipped_ids: 0,
            changed_shed: BTreeSet::new(),
        }
    }

    pub fn mode(&self) -> AssemblyMode {
        self.mode
    }

    /// Clients held in memory.
    pub fn clients_held(&self) -> usize {
        self.entries.len()
    }

    /// Right after a flush (nothing dirty), drops what the store now holds once more than `keep`
    /// clients are held: a later page that names a dropped client loads it again. Without this a
    /// long run holds every client it touched (engagement pages touch clients all over the portal),
    /// twice (as stored and as current), plus the whole contact index: memory grows with the portal.
    /// A rebuild needs all of its clients to write them exactly at its end, so past `keep` it
    /// becomes a merge from what it has flushed, as a rebuild continued by another invocation does.
    /// Returns the clients dropped.
    pub fn shed(&mut self, keep: usize) -> usize {
        if self.entries.len() <= keep || self.entries.values().any(|e| e.dirty) {
            return 0;
        }
        if self.mode == AssemblyMode::Rebuild {
            self.mode = AssemblyMode::Merge;
            self.companies_seen.clear();
        }
        let before = self.entries.len();
        for (id, entry) in std::mem::take(&mut self.entries) {
            if entry.changed {
                self.changed_shed.insert(id);
            }
        }
        // Merging, the links are a cache of the store's contact index (flushed with the snapshots).
        if self.pending_links.is_empty() {
            self.contact_links.clear();
        }
        before
    }

    /// Contacts whose clients this page needs and the set does not know: the contacts of
    /// engagements without a company, and (when merging) contacts that may have moved.
    pub fn unknown_contacts(&self, records: &[CrmRecord]) -> Vec<String> {
        if self.mode == AssemblyMode::Rebuild {
            // A rebuild has every live contact's links from its own walk (engagements wait for it);
            // a contact it did not see is gone, and the index's old entry must not resolve anything.
            return Vec::new();
        }
        let mut wanted = BTreeSet::new();
        for record in records {
            match &record.body {
                RecordBody::Engagement(_) if record.company_ids.is_empty() => {
                    wanted.extend(record.contact_ids.iter().cloned());
                }
                RecordBody::Contact(_) if self.mode == AssemblyMode::Merge => {
                    wanted.insert(record.id.clone());
                }
                _ => {}
            }
        }
        wanted
            .into_iter()
            .filter(|id| !self.contact_links.contains_key(id))
            .collect()
    }

    /// Links read from the store's contact index; contacts it does not know are recorded as linked
    /// to no client, so they are not asked for again.
    pub fn learn_contact_links(&mut self, asked: &[String], found: Vec<(String, Vec<ClientId>)>) {
        for id in asked {
            self.contact_links.entry(id.clone()).or_default();
        }
        for (id, clients) in found {
            self.contact_links.insert(id, clients);
        }
    }

    /// The clients a page touches, for the engine to load those it has not loaded yet.
    pub fn clients_to_load(&self, records: &[CrmRecord]) -> Vec<ClientId> {
        let mut wanted = BTreeSet::new();
        for record in records {
            wanted.extend(self.clients_of(record));
            if let (RecordBody::Contact(_), Some(old)) =
                (&record.body, self.contact_links.get(&record.id))
            {
                wanted.extend(old.iter().cloned());
            }
            if let RecordBody::Company(_) = record.body {
                wanted.extend(ClientId::parse(record.id.as_str()).ok());
            }
        }
        wanted
            .into_iter()
            .filter(|id| !self.entries.contains_key(id))
            .collect()
    }

    /// Adds loaded clients: `found` holds the snapshots the store has; the others are new.
    pub fn load(&mut self, wanted: &[ClientId], found: Vec<ClientSnapshot>) {
        let mut found: HashMap<ClientId, ClientSnapshot> = found
            .into_iter()
            .map(|s| (s.client_id.clone(), s))
            .collect();
        for id in wanted {
            if self.entries.contains_key(id) {
                continue;
            }
            let stored = found.remove(id);
            let current = match (self.mode, &stored) {
                (AssemblyMode::Merge, Some(stored)) => {
                    let mut current = stored.clone();
                    sort_lists(&mut current);
                    if !current.sources.contains(&self.source) {
                        current.sources.push(self.source.clone());
                    }
                    current
                }
                _ => empty_snapshot(id.clone(), &self.source),
            };
            self.entries.insert(
                id.clone(),
                Entry {
                    stored,
                    current,
                    company_applied: false,
                    dirty: false,
                    changed: false,
                },
            );
        }
    }

    fn clients_of(&self, record: &CrmRecord) -> Vec<ClientId> {
        match &record.body {
            RecordBody::Company(_) => Vec::new(),
            RecordBody::Engagement(_) if record.company_ids.is_empty() => {
                let mut out: Vec<ClientId> = record
                    .contact_ids
                    .iter()
                    .filter_map(|c| self.contact_links.get(c))
                    .flatten()
                    .cloned()
                    .collect();
                out.sort();
                out.dedup();
                out
            }
            _ => client_ids(&record.company_ids),
        }
    }

    /// Applies one record; every client it touches must have been loaded.
    pub fn apply(&mut self, record: &CrmRecord) {
        let modified = record.modified_at;
        match &record.body {
            RecordBody::Company(fields) => {
                let Ok(id) = ClientId::parse(record.id.as_str()) else {
                    self.skipped_ids += 1;
                    return;
                };
                self.companies_seen.insert(id.clone());
                self.touch(&id, modified, |snapshot| set_company(snapshot, fields));
                if let Some(entry) = self.entries.get_mut(&id) {
                    entry.company_applied = true;
                }
            }
            RecordBody::Contact(contact) => {
                let new_clients = client_ids(&record.company_ids);
                if self.mode == AssemblyMode::Merge {
                    let old = self
                        .contact_links
                        .get(&record.id)
                        .cloned()
                        .unwrap_or_default();
                    for gone in old.iter().filter(|c| !new_clients.contains(c)) {
                        self.touch(gone, None, |s| {
                            remove(&mut s.contacts, &contact.id, |c| &c.id)
                        });
                    }
                }
                for client in &new_clients {
                    self.touch(client, modified, |s| {
                        upsert(&mut s.contacts, contact, |c| &c.id)
                    });
                }
                // A rebuild has not read the index: it writes every link (the store skips equal ones).
                if self.mode == AssemblyMode::Rebuild
                    || self.contact_links.get(&record.id) != Some(&new_clients)
                {
                    self.pending_links
                        .insert(record.id.clone(), new_clients.clone());
                }
                self.contact_links.insert(record.id.clone(), new_clients);
            }
            RecordBody::Deal(deal) => {
                for client in self.clients_of(record) {
                    self.touch(&client, modified, |s| upsert(&mut s.deals, deal, |d| &d.id));
                }
            }
            RecordBody::Ticket(ticket) => {
                for client in self.clients_of(record) {
                    self.touch(&client, modified, |s| {
                        upsert(&mut s.tickets, ticket, |t| &t.id)
                    });
                }
            }
            RecordBody::Engagement(engagement) => {
                let clients = self.clients_of(record);
                if clients.is_empty() {
                    self.unresolved_engagements += 1;
                    return;
                }
                let mut engagement = engagement.clone();
                engagement.contact_ids = record.contact_ids.clone();
                engagement.contact_ids.sort();
                for client in clients {
                    self.touch(&client, modified, |s| {
                        upsert(&mut s.engagements, &engagement, |e| &e.id)
                    });
                }
            }
        }
    }

    fn touch(
        &mut self,
        client: &ClientId,
        modified: Option<DateTime<Utc>>,
        change: impl FnOnce(&mut ClientSnapshot) -> bool,
    ) {
        let Some(entry) = self.entries.get_mut(client) else {
            // The engine loads every client a record names before applying it.
            debug_assert!(false, "client {client} not loaded");
            return;
        };
        let mut changed = change(&mut entry.current);
        if let Some(at) = modified {
            if at > entry.current.updated_at {
                entry.current.updated_at = at;
                changed = true;
            }
        }
        entry.dirty |= changed;
    }

    /// Removes a client HubSpot no longer has (a targeted sync found it deleted).
    pub fn delete_client(&mut self, client: &ClientId) {
        self.entries.remove(client);
        self.deleted.insert(client.clone());
    }

    /// Removes a deleted contact from the clients it belonged to (they must be loaded).
    pub fn delete_contact(&mut self, contact_id: &str) {
        let old = self
            .contact_links
            .get(contact_id)
            .cloned()
            .unwrap_or_default();
        for client in &old {
            self.touch(client, None, |s| {
                remove(&mut s.contacts, contact_id, |c| &c.id)
            });
        }
        self.contact_links.insert(contact_id.to_owned(), Vec::new());
        self.pending_links.insert(contact_id.to_owned(), Vec::new());
    }

    pub fn known_contact_clients(&self, contact_id: &str) -> Vec<ClientId> {
        self.contact_links
            .get(contact_id)
            .cloned()
            .unwrap_or_default()
    }

    /// What to write now. An intermediate flush of a rebuild writes the stored snapshot overlaid with
    /// the records so far; `complete_rebuild` (every type fetched within this rebuild) writes the
    /// rebuilt snapshots exactly and drops clients that are not companies in the source.
    pub fn take_writes(&mut self, complete_rebuild: bool) -> Writes {
        let mut writes = Writes::default();
        let rebuild_done = complete_rebuild && self.mode == AssemblyMode::Rebuild;
        let mut drop_ids = Vec::new();
        for (id, entry) in self.entries.iter_mut() {
            if rebuild_done && !self.companies_seen.contains(id) {
                // Associated with a company the source does not list (archived): not a client.
                drop_ids.push(id.clone());
                continue;
            }
            if !entry.dirty && !rebuild_done {
                continue;
            }
            let next = match (self.mode, &entry.stored) {
                (AssemblyMode::Rebuild, Some(stored)) if !rebuild_done => {
                    overlay(stored, &entry.current, entry.company_applied)
                }
                _ => entry.current.clone(),
            };
            entry.dirty = false;
            if entry.stored.as_ref() != Some(&next) {
                entry.changed = true;
                entry.stored = Some(next.clone());
                writes.snapshots.push(next);
            }
        }
        for id in drop_ids {
            if let Some(entry) = self.entries.remove(&id) {
                if entry.stored.is_some() {
                    self.deleted.insert(id);
                }
            }
        }
        writes
            .snapshots
            .sort_by(|a, b| a.client_id.cmp(&b.client_id));
        writes.contact_links = self.pending_links.drain().collect();
        writes.contact_links.sort();
        for id in std::mem::take(&mut self.deleted) {
            writes.deletions.push(id.clone());
            self.deleted_total.insert(id);
        }
        writes
    }

    /// Records a deletion the engine found by reconciling ids with the store.
    pub fn delete_stored(&mut self, client: ClientId) {
        self.entries.remove(&client);
        self.deleted.insert(client);
    }

    pub fn deleted_clients(&self) -> Vec<ClientId> {
        self.deleted_total.iter().cloned().collect()
    }

    pub fn skipped_ids(&self) -> u64 {
        self.skipped_ids
    }

    pub fn companies_seen(&self) -> &HashSet<ClientId> {
        &self.companies_seen
    }

    /// Clients whose stored snapshot this run changed (created, updated) so far.
    pub fn changed_clients(&self) -> Vec<ClientId> {
        let mut out: BTreeSet<ClientId> = self
            .entries
            .iter()
            .filter(|(_, e)| e.changed)
            .map(|(id, _)| id.clone())
            .collect();
        out.extend(self.changed_shed.iter().cloned());
        out.into_iter().collect()
    }

    pub fn unresolved_engagements(&self) -> u64 {
        self.unresolved_engagements
    }
}

#[cfg(test)]
mod tests;
