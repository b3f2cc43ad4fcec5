//! Where a Pax8 walk stands: pure and serialisable (JSON in a checkpoint), so a run resumes anywhere.
//!
//! Pax8 has no modified-since filter (SOURCES.md §3), so every walk pages all companies and all
//! subscriptions (`size=200`) and reads more only for what changed since the window began (all of
//! it on a full walk):
//! 1. companies, a page a step; changed companies' contacts (for email domains), a batch a step;
//! 2. subscriptions, a page a step; unchanged ones emitted at once, changed ones held in the cursor
//!    until a later step has read their `/history`, a batch a step.
//!
//! Every transition moves forward (a later page or a smaller batch), so a walk ends.

use crate::domain::CloudSubscription;
use crate::ports::source::FetchWindow;
use crate::sources::pax8::error::Pax8Error;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

const VERSION: u8 = 1;

/// The most pages of one listing a walk reads: past it the listing is not ending (200 × 5000 =
/// a million rows).
pub const MAX_PAGES: u32 = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Walk {
    Full,
    Changed { since: DateTime<Utc> },
}

impl Walk {
    pub fn of(window: FetchWindow) -> Self {
        match window {
            FetchWindow::All => Walk::Full,
            FetchWindow::ChangedBetween { since, .. } => Walk::Changed { since },
        }
    }

    /// Whether something last changed at `updated` (unknown: yes) needs a closer look.
    pub fn changed(&self, updated: Option<DateTime<Utc>>) -> bool {
        match self {
            Walk::Full => true,
            Walk::Changed { since } => updated.is_none_or(|at| at > *since),
        }
    }
}

/// A company whose contacts are still to read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingCompany {
    pub id: String,
    pub name: String,
}

/// A subscription whose history is still to read, as its listing showed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingSubscription {
    pub company_id: String,
    pub row: CloudSubscription,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    Companies {
        page: u32,
    },
    Contacts {
        /// The companies page to read next; `None`: the companies are done.
        next_page: Option<u32>,
        pending: Vec<PendingCompany>,
    },
    Subscriptions {
        page: u32,
    },
    History {
        next_page: Option<u32>,
        pending: Vec<PendingSubscription>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalkCursor {
    pub v: u8,
    pub walk: Walk,
    pub phase: Phase,
    /// Companies listed as Deleted: their subscriptions are no account's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted: Vec<String>,
}

impl WalkCursor {
    pub fn start(window: FetchWindow) -> Self {
        WalkCursor {
            v: VERSION,
            walk: Walk::of(window),
            phase: Phase::Companies { page: 0 },
            deleted: Vec::new(),
        }
    }

    pub fn encode(&self) -> Result<String, Pax8Error> {
        serde_json::to_string(self).map_err(|e| Pax8Error::InvalidCursor(e.to_string()))
    }

    /// A cursor this source made for the same kind of walk.
    pub fn decode(text: &str, window: FetchWindow) -> Result<Self, Pax8Error> {
        let cursor: WalkCursor = serde_json::from_str(text)
            .map_err(|_| Pax8Error::InvalidCursor("not a Pax8 walk cursor".into()))?;
        if cursor.v != VERSION {
            return Err(Pax8Error::InvalidCursor(format!(
                "cursor version {} is not {VERSION}",
                cursor.v
            )));
        }
        if cursor.walk != Walk::of(window) {
            return Err(Pax8Error::InvalidCursor(
                "the cursor belongs to another window".into(),
            ));
        }
        let page = match &cursor.phase {
            Phase::Companies { page } | Phase::Subscriptions { page } => Some(*page),
            Phase::Contacts { next_page, .. } | Phase::History { next_page, .. } => *next_page,
        };
        if page.is_some_and(|p| p >= MAX_PAGES) {
            return Err(Pax8Error::InvalidCursor(format!(
                "page {} is past the last page a walk reads",
                page.unwrap_or_default()
            )));
        }
        Ok(cursor)
    }

    /// The phase after companies page `page`, `more` when another page follows.
    pub fn after_companies(page: u32, more: bool) -> Phase {
        if more && page + 1 < MAX_PAGES {
            Phase::Companies { page: page + 1 }
        } else {
            Phase::Subscriptions { page: 0 }
        }
    }

    pub fn after_subscriptions(page: u32, more: bool) -> Option<Phase> {
        (more && page + 1 < MAX_PAGES).then(|| Phase::Subscriptions { page: page + 1 })
    }

    /// Where a pending batch leads once done: the next page, or the phase after the listing.
    pub fn resume_companies(next_page: Option<u32>) -> Phase {
        match next_page {
            Some(page) => Phase::Companies { page },
            None => Phase::Subscriptions { page: 0 },
        }
    }

    pub fn resume_subscriptions(next_page: Option<u32>) -> Option<Phase> {
        next_page.map(|page| Phase::Subscriptions { page })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_refuses_another_window_or_garbage() {
        let since = Utc::now();
        let window = FetchWindow::ChangedBetween {
            since,
            until: since,
        };
        let mut cursor = WalkCursor::start(window);
        cursor.phase = Phase::Contacts {
            next_page: Some(2),
            pending: vec![PendingCompany {
                id: "c".into(),
                name: "Acme".into(),
            }],
        };
        let text = cursor.encode().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(WalkCursor::decode(&text, window).ok(), Some(cursor));
        assert!(WalkCursor::decode(&text, FetchWindow::All).is_err());
        assert!(WalkCursor::decode("{\"page\":1}", window).is_err());
        let far = WalkCursor {
            phase: Phase::Companies { page: MAX_PAGES },
            ..WalkCursor::start(FetchWindow::All)
        };
        let text = far.encode().unwrap_or_else(|e| panic!("{e}"));
        assert!(WalkCursor::decode(&text, FetchWindow::All).is_err());
    }

    #[test]
    fn an_incremental_walk_looks_closer_only_at_what_changed() {
        let since = Utc::now();
        let walk = Walk::Changed { since };
        assert!(!walk.changed(Some(since)));
        assert!(walk.changed(Some(since + chrono::Duration::seconds(1))));
        assert!(walk.changed(None));
        assert!(Walk::Full.changed(Some(since)));
    }
}
