//! Where a PayPal walk stands, and where each step takes it: pure, serialisable (serde JSON, kept
//! in a checkpoint), so a run resumes anywhere.
//!
//! A walk goes through four phases, each step one request's worth (or one page of disputes with
//! their details):
//! 1. transactions, in windows of at most 31 days from the walk's end back to its floor, newest
//!    first (full: three years; incremental: from `since` − 3 h, for rows that appear late);
//! 2. invoices, through search-invoices, page by page; a query with more results than the 1000 ×
//!    100 pages reach is split in two by date, newest half first;
//! 3. disputes (full: created in the last 180 days; incremental: updated since the window began);
//! 4. subscriptions learned from subscription payments (T0002), read by id, a few a step.
//!
//! Every transition moves forward: a later window, a later page, a narrower range, or a smaller
//! set; so a walk ends.

use crate::ports::source::FetchWindow;
use crate::sources::paypal::api;
use crate::sources::paypal::error::PaypalError;
use crate::sources::paypal::wire::{DateTimeRange, InvoiceSearch};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

const VERSION: u8 = 1;

/// Which walk a cursor belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Walk {
    Full,
    Changed {
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    },
}

impl Walk {
    fn of(window: FetchWindow) -> Self {
        match window {
            FetchWindow::All => Walk::Full,
            FetchWindow::ChangedBetween { since, until } => Walk::Changed { since, until },
        }
    }
}

/// Which invoices a search asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceFilter {
    /// Every invoice (a full walk).
    All,
    /// Created in the range.
    Created,
    /// Paid in the range.
    Paid,
    /// Still expecting money, whenever created.
    Open,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceQuery {
    pub filter: InvoiceFilter,
    /// The date range the filter applies to (`Paid`: payment date; others: creation date);
    /// `None`: unbounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// Open statuses (the invoice still expects money).
pub const OPEN_STATUSES: [&str; 4] = ["SENT", "UNPAID", "PARTIALLY_PAID", "PAYMENT_PENDING"];

/// Before any invoice PayPal's Invoicing v2 can hold: the start of an unbounded range once split.
pub fn invoice_epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// A range narrower than this is walked as far as PayPal pages reach rather than split again.
const NARROWEST_SPLIT: Duration = Duration::minutes(1);

impl InvoiceQuery {
    pub fn search_body(&self) -> InvoiceSearch {
        let range = self.range.map(|(start, end)| DateTimeRange {
            start: rfc3339(start),
            end: rfc3339(end),
        });
        let mut body = InvoiceSearch::default();
        match self.filter {
            InvoiceFilter::Paid => body.payment_date_range = range,
            InvoiceFilter::Open => {
                body.status = OPEN_STATUSES.iter().map(|s| (*s).to_owned()).collect();
                body.creation_date_range = range;
            }
            InvoiceFilter::All | InvoiceFilter::Created => body.creation_date_range = range,
        }
        body
    }

    /// The two halves of this query, older first; `None` when the range is too narrow to split.
    pub fn split(&self, end_of_walk: DateTime<Utc>) -> Option<[InvoiceQuery; 2]> {
        let (start, end) = self.range.unwrap_or((invoice_epoch(), end_of_walk));
        if end - start < NARROWEST_SPLIT * 2 {
            return None;
        }
        let middle = start + (end - start) / 2;
        let half = |range| InvoiceQuery {
            filter: self.filter,
            range: Some(range),
        };
        Some([half((start, middle)), half((middle, end))])
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    Transactions {
        window_end: DateTime<Utc>,
        page: u32,
    },
    Invoices {
        /// Queries left, the last one in progress.
        queries: Vec<InvoiceQuery>,
        page: u32,
    },
    Disputes {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_page_token: Option<String>,
        #[serde(default)]
        pages: u32,
    },
    Subscriptions,
    Done,
}

/// Dispute pages a walk reads at most (50,000 disputes at 20 a page): a guard against a platform
/// that keeps answering with a next page.
pub const MAX_DISPUTE_PAGES: u32 = 2_500;
/// Transaction pages per window at most (5,000,000 rows at 500 a page), the same guard.
pub const MAX_TRANSACTION_PAGES: u32 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalkCursor {
    pub v: u8,
    pub walk: Walk,
    /// The newest instant the walk reads (full: when it began; incremental: `until`).
    pub end: DateTime<Utc>,
    /// The oldest instant it reads (full: three years before `end`; incremental: `since` − 3 h).
    pub floor: DateTime<Utc>,
    pub phase: Phase,
    /// Subscriptions to read in the last phase.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub subscription_ids: BTreeSet<String>,
}

impl WalkCursor {
    /// The first step of a walk over `window` begun at `now`.
    pub fn start(window: FetchWindow, now: DateTime<Utc>) -> Self {
        let (end, floor) = match window {
            FetchWindow::All => (now, now - Duration::days(api::TRANSACTION_HISTORY_DAYS)),
            FetchWindow::ChangedBetween { since, until } => {
                let oldest = now - Duration::days(api::TRANSACTION_HISTORY_DAYS);
                let floor = (since - Duration::hours(api::TRANSACTION_LATENESS_HOURS)).max(oldest);
                (until.max(floor), floor)
            }
        };
        WalkCursor {
            v: VERSION,
            walk: Walk::of(window),
            end,
            floor,
            phase: Phase::Transactions {
                window_end: end,
                page: 1,
            },
            subscription_ids: BTreeSet::new(),
        }
    }

    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A cursor this source made for the same window.
    pub fn decode(text: &str, window: FetchWindow) -> Result<Self, PaypalError> {
        let cursor: WalkCursor = serde_json::from_str(text)
            .map_err(|e| PaypalError::InvalidCursor(format!("not a PayPal cursor: {e}")))?;
        if cursor.v != VERSION {
            return Err(PaypalError::InvalidCursor(format!(
                "cursor version {} is not {VERSION}",
                cursor.v
            )));
        }
        if cursor.walk != Walk::of(window) {
            return Err(PaypalError::InvalidCursor(
                "the cursor belongs to another window".into(),
            ));
        }
        Ok(cursor)
    }

    /// The next cursor to hand out (`None` when the walk is done).
    pub fn next(&self) -> Option<String> {
        (self.phase != Phase::Done).then(|| self.encode())
    }

    /// The transaction window `[start, end]` of a step in the transactions phase: at most 31 days.
    pub fn transaction_window(
        window_end: DateTime<Utc>,
        floor: DateTime<Utc>,
    ) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = (window_end - Duration::days(api::TRANSACTION_WINDOW_DAYS)).max(floor);
        (start.min(window_end), window_end)
    }

    /// After a transactions page of a window that has `total_pages`.
    pub fn after_transactions(&mut self, total_pages: u64) {
        let Phase::Transactions { window_end, page } = self.phase else {
            return;
        };
        let last = total_pages.min(u64::from(MAX_TRANSACTION_PAGES));
        if u64::from(page) < last {
            self.phase = Phase::Transactions {
                window_end,
                page: page + 1,
            };
            return;
        }
        let (start, _) = Self::transaction_window(window_end, self.floor);
        self.phase = if start > self.floor {
            Phase::Transactions {
                window_end: start,
                page: 1,
            }
        } else {
            self.first_invoices()
        };
    }

    fn first_invoices(&self) -> Phase {
        let queries = match self.walk {
            Walk::Full => vec![InvoiceQuery {
                filter: InvoiceFilter::All,
                range: None,
            }],
            // Popped from the end: created, then paid, then all open ones.
            Walk::Changed { .. } => {
                let range = Some((self.floor, self.end));
                vec![
                    InvoiceQuery {
                        filter: InvoiceFilter::Open,
                        range: None,
                    },
                    InvoiceQuery {
                        filter: InvoiceFilter::Paid,
                        range,
                    },
                    InvoiceQuery {
                        filter: InvoiceFilter::Created,
                        range,
                    },
                ]
            }
        };
        Phase::Invoices { queries, page: 1 }
    }

    /// After an invoices page. On a first page whose `total_items` the pages cannot reach, the query
    /// is split and `true` returned: that page's invoices will come again through the halves, so
    /// the caller may drop them.
    pub fn after_invoices(&mut self, total_items: Option<u64>, total_pages: Option<u64>) -> bool {
        let Phase::Invoices { queries, page } = &mut self.phase else {
            return false;
        };
        let reachable = u64::from(api::INVOICE_MAX_PAGE) * u64::from(api::INVOICE_PAGE_SIZE);
        if *page == 1 && total_items.is_some_and(|n| n > reachable) {
            if let Some(halves) = queries.last().and_then(|q| q.split(self.end)) {
                queries.pop();
                // The newer half is walked first.
                queries.extend(halves);
                return true;
            }
            tracing::warn!("more PayPal invoices in a one-minute range than its pages reach");
        }
        let pages = total_pages
            .unwrap_or(0)
            .min(u64::from(api::INVOICE_MAX_PAGE));
        if u64::from(*page) < pages {
            *page += 1;
            return false;
        }
        queries.pop();
        *page = 1;
        if queries.is_empty() {
            self.phase = Phase::Disputes {
                next_page_token: None,
                pages: 0,
            };
        }
        false
    }

    /// The dispute list's query at `now`: full walks list those created in the last 180 days,
    /// incremental ones those updated since the window began (both within PayPal's 180 days).
    pub fn dispute_query(&self, now: DateTime<Utc>) -> Vec<(&'static str, String)> {
        // A few minutes inside the 180 days, so the bound is still valid when PayPal reads it.
        let oldest = now - Duration::days(api::DISPUTE_HISTORY_DAYS) + Duration::minutes(5);
        let mut query = vec![("page_size", api::DISPUTE_PAGE_SIZE.to_string())];
        match self.walk {
            Walk::Full => query.push(("start_time", rfc3339(oldest))),
            Walk::Changed { .. } => {
                query.push(("update_time_after", rfc3339(self.floor.max(oldest))));
                query.push(("update_time_before", rfc3339(self.end.min(now))));
            }
        }
        if let Phase::Disputes {
            next_page_token: Some(token),
            ..
        } = &self.phase
        {
            query.push(("next_page_token", token.clone()));
        }
        query
    }

    /// After a disputes page whose `next` link carried `next_page_token`.
    pub fn after_disputes(&mut self, next_page_token: Option<String>) {
        let Phase::Disputes {
            next_page_token: current,
            pages,
        } = &self.phase
        else {
            return;
        };
        let pages = pages + 1;
        let moved = next_page_token.is_some() && next_page_token != *current;
        self.phase = if moved && pages < MAX_DISPUTE_PAGES {
            Phase::Disputes {
                next_page_token,
                pages,
            }
        } else {
            Phase::Subscriptions
        };
    }

    /// Takes the next subscriptions to read; the walk is done once none are left.
    pub fn take_subscriptions(&mut self, at_most: usize) -> Vec<String> {
        let taken: Vec<String> = self
            .subscription_ids
            .iter()
            .take(at_most)
            .cloned()
            .collect();
        for id in &taken {
            self.subscription_ids.remove(id);
        }
        if self.subscription_ids.is_empty() {
            self.phase = Phase::Done;
        }
        taken
    }
}

/// RFC 3339 with seconds, as PayPal's date parameters require.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
#[path = "cursor_tests.rs"]
mod tests;
