//! Pax8 as an `AccountsSource`: the walk of `cursor` driven over the client, each step's rows
//! normalised into partial account records, and whole accounts read for webhooks.

use crate::domain::{AccountIdentity, AccountRecord, CloudSubscription, ConnectionId, Platform};
use crate::ports::source::{AccountsPage, AccountsSource, FetchWindow, SourceError};
use crate::sources::pax8::api;
use crate::sources::pax8::client::Pax8Client;
use crate::sources::pax8::cursor::{
    PendingCompany, PendingSubscription, Phase, WalkCursor, MAX_PAGES,
};
use crate::sources::pax8::error::Pax8Error;
use crate::sources::pax8::normalise;
use crate::sources::pax8::wire::{
    parse_instant, History, Page, WireCompany, WireContact, WireSubscription,
};
use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt, TryStreamExt};
use std::collections::BTreeMap;

/// Companies whose contacts one step reads.
pub const CONTACTS_PER_STEP: usize = 50;
/// Subscriptions whose history one step reads.
pub const HISTORIES_PER_STEP: usize = 50;
/// Requests of one step in flight at once (the client's pacing still holds).
pub const CONCURRENCY: usize = 6;

pub struct Pax8Source {
    connection_id: ConnectionId,
    client: Pax8Client,
}

impl Pax8Source {
    pub fn new(connection_id: ConnectionId, client: Pax8Client) -> Self {
        Pax8Source {
            connection_id,
            client,
        }
    }

    pub fn client(&self) -> &Pax8Client {
        &self.client
    }

    async fn step(
        &self,
        window: FetchWindow,
        cursor: Option<&str>,
    ) -> Result<AccountsPage, Pax8Error> {
        let now = Utc::now();
        let mut cursor = match cursor {
            None => WalkCursor::start(window),
            Some(text) => WalkCursor::decode(text, window)?,
        };
        let walk = cursor.walk;
        let (accounts, next) =
            match std::mem::replace(&mut cursor.phase, Phase::Companies { page: 0 }) {
                Phase::Companies { page } => {
                    let found: Page<WireCompany> = self
                        .client
                        .get(api::COMPANIES, &api::page_query(page))
                        .await?;
                    let more = found.has_next(page, api::PAGE_SIZE);
                    let mut accounts = Vec::new();
                    let mut pending = Vec::new();
                    for company in &found.content {
                        if normalise::is_deleted(company) {
                            cursor.deleted.extend(company.id.clone());
                            continue;
                        }
                        let Some(record) =
                            normalise::company_record(&self.connection_id, company, now)
                        else {
                            continue;
                        };
                        let updated = company.updated_date.as_deref().and_then(parse_instant);
                        if walk.changed(updated) {
                            pending.push(PendingCompany {
                                id: record.external_id.clone(),
                                name: record.name.clone(),
                            });
                        }
                        accounts.push(record);
                    }
                    let next = if pending.is_empty() {
                        WalkCursor::after_companies(page, more)
                    } else {
                        let next_page = match WalkCursor::after_companies(page, more) {
                            Phase::Companies { page } => Some(page),
                            _ => None,
                        };
                        Phase::Contacts { next_page, pending }
                    };
                    (accounts, Some(next))
                }
                Phase::Contacts {
                    next_page,
                    mut pending,
                } => {
                    let batch: Vec<PendingCompany> = pending
                        .drain(..pending.len().min(CONTACTS_PER_STEP))
                        .collect();
                    let accounts = self.contact_records(&batch, now).await?;
                    let next = if pending.is_empty() {
                        WalkCursor::resume_companies(next_page)
                    } else {
                        Phase::Contacts { next_page, pending }
                    };
                    (accounts, Some(next))
                }
                Phase::Subscriptions { page } => {
                    let found: Page<WireSubscription> = self
                        .client
                        .get(api::SUBSCRIPTIONS, &api::page_query(page))
                        .await?;
                    let more = found.has_next(page, api::PAGE_SIZE);
                    let mut ready = Vec::new();
                    let mut pending = Vec::new();
                    for wire in &found.content {
                        let Some((company_id, row)) = normalise::subscription(wire, now) else {
                            continue;
                        };
                        if cursor.deleted.contains(&company_id) {
                            continue;
                        }
                        if walk.changed(row.updated_at) {
                            pending.push(PendingSubscription { company_id, row });
                        } else {
                            ready.push((company_id, row));
                        }
                    }
                    let accounts = self.by_company(ready, now);
                    let next = if pending.is_empty() {
                        WalkCursor::after_subscriptions(page, more)
                    } else {
                        let next_page = match WalkCursor::after_subscriptions(page, more) {
                            Some(Phase::Subscriptions { page }) => Some(page),
                            _ => None,
                        };
                        Some(Phase::History { next_page, pending })
                    };
                    (accounts, next)
                }
                Phase::History {
                    next_page,
                    mut pending,
                } => {
                    let batch: Vec<PendingSubscription> = pending
                        .drain(..pending.len().min(HISTORIES_PER_STEP))
                        .collect();
                    let rows = self.with_histories(batch).await?;
                    let accounts = self.by_company(rows, now);
                    let next = if pending.is_empty() {
                        WalkCursor::resume_subscriptions(next_page)
                    } else {
                        Some(Phase::History { next_page, pending })
                    };
                    (accounts, next)
                }
            };
        let next_cursor = match next {
            Some(phase) => {
                cursor.phase = phase;
                Some(cursor.encode()?)
            }
            None => None,
        };
        Ok(AccountsPage {
            accounts,
            next_cursor,
        })
    }

    /// One record per company of `rows`, named by id only (the companies step named it).
    fn by_company(
        &self,
        rows: Vec<(String, CloudSubscription)>,
        now: DateTime<Utc>,
    ) -> Vec<AccountRecord> {
        let mut grouped: BTreeMap<String, Vec<CloudSubscription>> = BTreeMap::new();
        for (company_id, row) in rows {
            grouped.entry(company_id).or_default().push(row);
        }
        grouped
            .into_iter()
            .map(|(company_id, subscriptions)| {
                normalise::account(
                    &self.connection_id,
                    &company_id,
                    String::new(),
                    AccountIdentity::default(),
                    subscriptions,
                    now,
                )
            })
            .collect()
    }

    /// The first page of a company's contacts (200: plenty for its email domains).
    async fn contacts(&self, company_id: &str) -> Result<Vec<WireContact>, Pax8Error> {
        match self
            .client
            .get::<Page<WireContact>>(&api::contacts(company_id), &api::page_query(0))
            .await
        {
            Ok(page) => Ok(page.content),
            // Deleted since it was listed: no contacts to read.
            Err(error) if error.is_not_found() => Ok(Vec::new()),
            Err(error) => Err(error),
        }
    }

    async fn contact_records(
        &self,
        companies: &[PendingCompany],
        now: DateTime<Utc>,
    ) -> Result<Vec<AccountRecord>, Pax8Error> {
        let ids: Vec<String> = companies.iter().map(|c| c.id.clone()).collect();
        let contacts: Vec<Vec<WireContact>> = stream::iter(ids)
            .map(|id| async move { self.contacts(&id).await })
            .buffered(CONCURRENCY)
            .try_collect()
            .await?;
        Ok(companies
            .iter()
            .zip(contacts)
            .map(|(company, contacts)| {
                let identity = AccountIdentity {
                    email_domains: normalise::email_domains(&contacts),
                    ..AccountIdentity::default()
                };
                let mut record = normalise::account(
                    &self.connection_id,
                    &company.id,
                    company.name.clone(),
                    identity,
                    Vec::new(),
                    now,
                );
                // Contacts say nothing of when the company changed: the merge keeps the stored time.
                record.updated_at = DateTime::<Utc>::UNIX_EPOCH;
                record
            })
            .collect())
    }

    /// The rows with their quantity history read; a subscription gone since it was listed is left
    /// out (the next walk's sweep drops it).
    async fn with_histories(
        &self,
        batch: Vec<PendingSubscription>,
    ) -> Result<Vec<(String, CloudSubscription)>, Pax8Error> {
        let ids: Vec<String> = batch.iter().map(|p| p.row.id.clone()).collect();
        let histories: Vec<Option<History>> = stream::iter(ids)
            .map(|id| async move {
                match self.client.get::<History>(&api::history(&id), &[]).await {
                    Ok(history) => Ok(Some(history)),
                    Err(error) if error.is_not_found() => Ok(None),
                    Err(error) => Err(error),
                }
            })
            .buffered(CONCURRENCY)
            .try_collect()
            .await?;
        Ok(batch
            .into_iter()
            .zip(histories)
            .filter_map(|(pending, history)| {
                let mut row = pending.row;
                row.quantity_history = normalise::quantity_history(&history?.content);
                Some((pending.company_id, row))
            })
            .collect())
    }

    /// Every page of a listing (`company_id`'s subscriptions).
    async fn all_subscriptions(
        &self,
        company_id: &str,
    ) -> Result<Vec<WireSubscription>, Pax8Error> {
        let mut rows = Vec::new();
        for page in 0..MAX_PAGES {
            let mut query = api::page_query(page);
            query.push(("companyId", company_id.to_owned()));
            let found: Page<WireSubscription> = self.client.get(api::SUBSCRIPTIONS, &query).await?;
            let more = found.has_next(page, api::PAGE_SIZE);
            rows.extend(found.content);
            if !more {
                break;
            }
        }
        Ok(rows)
    }

    /// One company read whole; `None` when Pax8 no longer has it.
    async fn whole_account(&self, company_id: &str) -> Result<Option<AccountRecord>, Pax8Error> {
        let now = Utc::now();
        let company: WireCompany = match self.client.get(&api::company(company_id), &[]).await {
            Ok(company) => company,
            Err(error) if error.is_not_found() => return Ok(None),
            Err(error) => return Err(error),
        };
        let Some(mut record) = normalise::company_record(&self.connection_id, &company, now) else {
            return Ok(None);
        };
        record.identity.email_domains =
            normalise::email_domains(&self.contacts(&record.external_id).await?);
        let rows = match self.all_subscriptions(&record.external_id).await {
            Ok(rows) => rows,
            // "Invalid companyId": gone between the two reads.
            Err(Pax8Error::Api { status: 403, .. }) => return Ok(None),
            Err(error) => return Err(error),
        };
        let pending = rows
            .iter()
            .filter_map(|wire| normalise::subscription(wire, now))
            .map(|(company_id, row)| PendingSubscription { company_id, row })
            .collect();
        let subscriptions = self
            .with_histories(pending)
            .await?
            .into_iter()
            .map(|(_, row)| row)
            .collect();
        let updated_at = record.updated_at;
        let mut whole = normalise::account(
            &self.connection_id,
            &record.external_id,
            record.name,
            record.identity,
            subscriptions,
            now,
        );
        whole.updated_at = whole.updated_at.max(updated_at);
        Ok(Some(whole))
    }
}

#[async_trait::async_trait]
impl AccountsSource for Pax8Source {
    fn platform(&self) -> Platform {
        Platform::Pax8
    }

    async fn fetch_step(
        &self,
        window: FetchWindow,
        cursor: Option<&str>,
    ) -> Result<AccountsPage, SourceError> {
        self.step(window, cursor).await.map_err(SourceError::from)
    }

    async fn fetch_accounts(
        &self,
        external_ids: &[String],
    ) -> Result<Vec<AccountRecord>, SourceError> {
        let mut accounts = Vec::new();
        let mut seen = Vec::new();
        for id in external_ids {
            if seen.contains(id) {
                continue;
            }
            seen.push(id.clone());
            if let Some(record) = self.whole_account(id).await? {
                accounts.push(record);
            }
        }
        Ok(accounts)
    }

    fn requests_made(&self) -> u64 {
        self.client.stats().requests
    }
}
