//! PayPal as a `PaymentsSource`: the walk of `cursor` driven over the client, each step's records
//! normalised into payer records, and targeted fetches for webhooks.

use crate::domain::{ConnectionId, PayerRecord, Platform};
use crate::ports::source::{FetchWindow, PaymentRef, PaymentsPage, PaymentsSource, SourceError};
use crate::sources::paypal::api;
use crate::sources::paypal::client::PaypalClient;
use crate::sources::paypal::cursor::{rfc3339, Phase, WalkCursor};
use crate::sources::paypal::error::PaypalError;
use crate::sources::paypal::normalise::{self, DisputePayer, EmailHasher};
use crate::sources::paypal::wire::{
    DisputeList, InvoicePage, Link, TransactionDetail, TransactionSearch, WireDispute, WireInvoice,
    WireSubscription,
};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How many transaction → payer pairs a source remembers to join disputes without a lookup.
const REMEMBERED_TRANSACTIONS: usize = 200_000;

/// How many 31-day windows a webhook's transaction is looked for in, newest first.
const TRANSACTION_REF_WINDOWS: i64 = 2;

/// Where a source reads the time (tests and simulators move it).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

pub struct PaypalSource {
    connection_id: ConnectionId,
    clock: Clock,
    client: PaypalClient,
    hasher: EmailHasher,
    /// Transaction id → external id of its payer, learned from the rows this source read.
    payer_of_transaction: Mutex<HashMap<String, String>>,
}

impl PaypalSource {
    pub fn new(connection_id: ConnectionId, client: PaypalClient, hasher: EmailHasher) -> Self {
        PaypalSource {
            connection_id,
            clock: system_clock(),
            client,
            hasher,
            payer_of_transaction: Mutex::new(HashMap::new()),
        }
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn client(&self) -> &PaypalClient {
        &self.client
    }

    fn remember(&self, pairs: Vec<(String, String)>) {
        if let Ok(mut known) = self.payer_of_transaction.lock() {
            for (transaction, payer) in pairs {
                if known.len() < REMEMBERED_TRANSACTIONS || known.contains_key(&transaction) {
                    known.insert(transaction, payer);
                }
            }
        }
    }

    fn known_payer(&self, transaction: &str) -> Option<String> {
        self.payer_of_transaction
            .lock()
            .ok()
            .and_then(|known| known.get(transaction).cloned())
    }

    async fn step(
        &self,
        window: FetchWindow,
        cursor: Option<&str>,
    ) -> Result<PaymentsPage, PaypalError> {
        let now = (self.clock)();
        let mut cursor = match cursor {
            None => WalkCursor::start(window, now),
            Some(text) => WalkCursor::decode(text, window)?,
        };
        let payers = match cursor.phase.clone() {
            Phase::Transactions { window_end, page } => {
                let (start, end) = WalkCursor::transaction_window(window_end, cursor.floor);
                // A walk resumed later must not ask for more than PayPal's three years.
                let start = start.max(oldest_transaction_date(now));
                let found = if start < end {
                    self.transactions(start, end, page, None).await?
                } else {
                    TransactionSearch::default()
                };
                let batch = normalise::transaction_payers(
                    &self.connection_id,
                    &self.hasher,
                    &found.transaction_details,
                    now,
                );
                cursor.subscription_ids.extend(batch.subscription_ids);
                self.remember(batch.payer_of_transaction);
                cursor.after_transactions(total_pages(found.total_pages, &found.links, page));
                batch.payers
            }
            Phase::Invoices { queries, page } => match queries.last() {
                Some(query) => {
                    let found = self.invoice_page(&query.search_body(), page).await?;
                    let pages = total_pages(found.total_pages, &found.links, page);
                    if cursor.after_invoices(found.total_items, Some(pages)) {
                        Vec::new()
                    } else {
                        normalise::invoice_payers(
                            &self.connection_id,
                            &self.hasher,
                            &found.items,
                            now,
                        )
                    }
                }
                None => {
                    cursor.after_invoices(None, None);
                    Vec::new()
                }
            },
            Phase::Disputes { .. } => {
                let list: DisputeList = self
                    .client
                    .get(api::DISPUTES, &cursor.dispute_query(now))
                    .await?;
                let mut payers = Vec::new();
                for summary in &list.items {
                    let Some(id) = normalise::non_empty(summary.dispute_id.as_deref()) else {
                        continue;
                    };
                    let details: WireDispute = self.client.get(&api::dispute(id), &[]).await?;
                    payers.extend(self.dispute_record(&details, now).await?);
                }
                cursor.after_disputes(next_page_token(&list.links));
                payers
            }
            Phase::Subscriptions => {
                let ids = cursor.take_subscriptions(api::SUBSCRIPTIONS_PER_STEP);
                self.subscriptions(&ids, now).await?
            }
            Phase::Done => Vec::new(),
        };
        Ok(PaymentsPage {
            payers,
            next_cursor: cursor.next(),
        })
    }

    /// One page of Transaction Search in `[start, end]` (at most 31 days): the transaction and payer
    /// fields, every row.
    async fn transactions(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        page: u32,
        transaction_id: Option<&str>,
    ) -> Result<TransactionSearch, PaypalError> {
        let mut query = vec![
            ("start_date", rfc3339(start)),
            ("end_date", rfc3339(end)),
            // Only what normalisation reads: no shipping address, cart or store details.
            ("fields", "transaction_info,payer_info".to_owned()),
            ("balance_affecting_records_only", "N".to_owned()),
            ("page_size", api::TRANSACTION_PAGE_SIZE.to_string()),
            ("page", page.to_string()),
        ];
        if let Some(id) = transaction_id {
            query.push(("transaction_id", id.to_owned()));
        }
        self.client.get(api::TRANSACTIONS, &query).await
    }

    async fn invoice_page(
        &self,
        body: &crate::sources::paypal::wire::InvoiceSearch,
        page: u32,
    ) -> Result<InvoicePage, PaypalError> {
        let query = [
            ("page", page.to_string()),
            ("page_size", api::INVOICE_PAGE_SIZE.to_string()),
            ("total_required", "true".to_owned()),
        ];
        self.client.post(api::SEARCH_INVOICES, &query, body).await
    }

    /// The row of one transaction, looked for in the 31 days around `around` (when known) or in
    /// the last windows.
    async fn find_transaction(
        &self,
        id: &str,
        around: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Option<TransactionDetail>, PaypalError> {
        let ranges: Vec<(DateTime<Utc>, DateTime<Utc>)> = match around {
            Some(at) => {
                let end = (at + Duration::days(1)).min(now);
                vec![((end - Duration::days(30)).min(at), end)]
            }
            None => (0..TRANSACTION_REF_WINDOWS)
                .map(|i| {
                    let end = now - Duration::days(api::TRANSACTION_WINDOW_DAYS * i);
                    (end - Duration::days(api::TRANSACTION_WINDOW_DAYS), end)
                })
                .collect(),
        };
        for (start, end) in ranges {
            let start = start.max(oldest_transaction_date(now));
            if start >= end {
                continue;
            }
            let found = self.transactions(start, end, 1, Some(id)).await?;
            let row = found.transaction_details.into_iter().find(|row| {
                row.transaction_info
                    .as_ref()
                    .and_then(|i| i.transaction_id.as_deref())
                    == Some(id)
            });
            if row.is_some() {
                return Ok(row);
            }
        }
        Ok(None)
    }

    /// A dispute on its payer: known from a transaction read earlier, else found by the disputed
    /// transaction's id, else standing alone.
    async fn dispute_record(
        &self,
        details: &WireDispute,
        now: DateTime<Utc>,
    ) -> Result<Option<PayerRecord>, PaypalError> {
        let transaction = normalise::seller_transaction_id(details).map(str::to_owned);
        let known = transaction.as_deref().and_then(|t| self.known_payer(t));
        let row = match (&transaction, &known) {
            (Some(id), None) => {
                let around = details
                    .disputed_transactions
                    .iter()
                    .find_map(|t| normalise::parse_time(t.create_time.as_deref()))
                    .or_else(|| normalise::parse_time(details.create_time.as_deref()));
                self.find_transaction(id, around, now).await?
            }
            _ => None,
        };
        let payer = match (known, &row) {
            (Some(external_id), _) => DisputePayer::Known(external_id),
            (None, Some(row)) => DisputePayer::Transaction(row),
            (None, None) => DisputePayer::Unknown,
        };
        let record =
            normalise::dispute_payer(&self.connection_id, &self.hasher, details, payer, now);
        if let (Some(transaction), Some(record)) = (transaction, &record) {
            self.remember(vec![(transaction, record.external_id.clone())]);
        }
        Ok(record)
    }

    /// Subscriptions by id; one PayPal no longer has is skipped.
    async fn subscriptions(
        &self,
        ids: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<PayerRecord>, PaypalError> {
        let mut found = Vec::new();
        for id in ids {
            let query = [("fields", "last_failed_payment".to_owned())];
            match self
                .client
                .get::<WireSubscription>(&api::subscription(id), &query)
                .await
            {
                Ok(subscription) => found.push(subscription),
                Err(PaypalError::Api { status: 404, .. }) => {
                    tracing::info!(subscription = %id, "PayPal no longer has this subscription");
                }
                Err(error) => return Err(error),
            }
        }
        Ok(normalise::subscription_payers(
            &self.connection_id,
            &self.hasher,
            &found,
            now,
        ))
    }

    async fn fetch_ref(
        &self,
        reference: &PaymentRef,
        now: DateTime<Utc>,
    ) -> Result<Vec<PayerRecord>, PaypalError> {
        match reference {
            PaymentRef::Invoice(id) => {
                let invoice: WireInvoice = self.client.get(&api::invoice(id), &[]).await?;
                Ok(normalise::invoice_payers(
                    &self.connection_id,
                    &self.hasher,
                    &[invoice],
                    now,
                ))
            }
            PaymentRef::Subscription(id) => self.subscriptions(std::slice::from_ref(id), now).await,
            PaymentRef::Transaction(id) => {
                let row = self.find_transaction(id, None, now).await?;
                let batch = normalise::transaction_payers(
                    &self.connection_id,
                    &self.hasher,
                    row.as_slice(),
                    now,
                );
                let mut payers = batch.payers;
                // A subscription payment also refreshes its subscription.
                if !batch.subscription_ids.is_empty() {
                    payers.extend(self.subscriptions(&batch.subscription_ids, now).await?);
                }
                Ok(payers)
            }
            PaymentRef::Dispute(id) => {
                let details: WireDispute = self.client.get(&api::dispute(id), &[]).await?;
                Ok(self
                    .dispute_record(&details, now)
                    .await?
                    .into_iter()
                    .collect())
            }
        }
    }
}

/// How many pages a list has: as PayPal states it, else as far as a `next` link shows.
fn total_pages(stated: Option<u64>, links: &[Link], page: u32) -> u64 {
    stated.unwrap_or_else(|| {
        let has_next = links.iter().any(|l| l.rel.as_deref() == Some("next"));
        u64::from(page) + u64::from(has_next)
    })
}

/// The oldest start date Transaction Search accepts at `now` (three years, a few minutes inside).
fn oldest_transaction_date(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(api::TRANSACTION_HISTORY_DAYS) + Duration::minutes(5)
}

/// The `next_page_token` of a list's `next` link (PayPal pages disputes through HATEOAS links).
pub fn next_page_token(links: &[Link]) -> Option<String> {
    let href = links
        .iter()
        .find(|l| l.rel.as_deref() == Some("next"))?
        .href
        .as_deref()?;
    let parsed = url::Url::parse(href)
        .or_else(|_| url::Url::parse("https://paypal.invalid/").and_then(|base| base.join(href)))
        .ok()?;
    let token = parsed
        .query_pairs()
        .find(|(name, _)| name == "next_page_token")
        .map(|(_, value)| value.into_owned());
    token.filter(|t| !t.is_empty())
}

#[async_trait::async_trait]
impl PaymentsSource for PaypalSource {
    fn platform(&self) -> Platform {
        Platform::Paypal
    }

    async fn fetch_step(
        &self,
        window: FetchWindow,
        cursor: Option<&str>,
    ) -> Result<PaymentsPage, SourceError> {
        Ok(self.step(window, cursor).await?)
    }

    /// Each reference's payer; an object PayPal no longer has (404) is skipped.
    async fn fetch_refs(&self, refs: &[PaymentRef]) -> Result<Vec<PayerRecord>, SourceError> {
        let now = (self.clock)();
        let mut payers: Vec<PayerRecord> = Vec::new();
        for reference in refs {
            let found = match self.fetch_ref(reference, now).await {
                Ok(found) => found,
                Err(PaypalError::Api { status: 404, .. }) => {
                    tracing::info!(?reference, "PayPal no longer has this object");
                    continue;
                }
                Err(error) => return Err(error.into()),
            };
            for record in found {
                match payers
                    .iter_mut()
                    .find(|p| p.external_id == record.external_id)
                {
                    Some(existing) => existing.merge(record),
                    None => payers.push(record),
                }
            }
        }
        Ok(payers)
    }

    fn requests_made(&self) -> u64 {
        self.client.stats().requests
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_stated_total_pages_follow_the_next_link() {
        let next: Vec<Link> =
            serde_json::from_str(r#"[{"href": "/x?page=3", "rel": "next"}]"#).unwrap_or_default();
        assert_eq!(total_pages(Some(7), &next, 2), 7);
        assert_eq!(total_pages(None, &next, 2), 3);
        assert_eq!(total_pages(None, &[], 2), 2);
    }

    #[test]
    fn the_next_token_comes_from_the_next_link_only() {
        let links: Vec<Link> = serde_json::from_str(
            r#"[{"href": "https://api-m.sandbox.paypal.com/v1/customer/disputes?page_size=20", "rel": "self"},
                {"href": "https://api-m.sandbox.paypal.com/v1/customer/disputes?page_size=20&next_page_token=DQ9mT%2Bx%3D", "rel": "next"}]"#,
        )
        .unwrap_or_default();
        assert_eq!(next_page_token(&links).as_deref(), Some("DQ9mT+x="));
        assert_eq!(next_page_token(&links[..1]), None);
        let relative: Vec<Link> = serde_json::from_str(
            r#"[{"href": "/v1/customer/disputes?next_page_token=abc", "rel": "next"}]"#,
        )
        .unwrap_or_default();
        assert_eq!(next_page_token(&relative).as_deref(), Some("abc"));
    }
}
