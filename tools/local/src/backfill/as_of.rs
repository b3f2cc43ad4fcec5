//! A client's snapshot as it stood on a past day, from the dates the snapshot holds: pure, no I/O.
//!
//! The sync keeps each record's dates (an engagement's time, a ticket's creation and closing, a
//! deal's close date), so yesterday's snapshot is today's without what happened since. What the
//! snapshot derives from those records is derived again: the company's activity dates fall back to
//! the latest engagement before the day when HubSpot's own date is later.
//!
//! Deals carry no creation date: a deal closed after the day was open on it, and an open deal is
//! taken to have been open all along.

use chrono::{DateTime, Utc};
use shared::domain::{ClientSnapshot, CompanyActivity, Engagement, EngagementKind};

/// `snapshot` as it was at `at`.
pub fn as_of(snapshot: &ClientSnapshot, at: DateTime<Utc>) -> ClientSnapshot {
    let engagements: Vec<Engagement> = snapshot
        .engagements
        .iter()
        .filter(|e| e.occurred_at <= at)
        .cloned()
        .collect();
    let tickets = snapshot
        .tickets
        .iter()
        .filter(|t| t.created_at.is_none_or(|created| created <= at))
        .map(|t| {
            let mut t = t.clone();
            if t.closed_at.is_some_and(|closed| closed > at) {
                t.is_open = true;
                t.closed_at = None;
            }
            t
        })
        .collect();
    let deals = snapshot
        .deals
        .iter()
        .map(|d| {
            let mut d = d.clone();
            if (d.is_closed || d.is_closed_won) && d.close_date.is_some_and(|close| close > at) {
                d.is_closed = false;
                d.is_closed_won = false;
            }
            d
        })
        .collect();
    let latest = |keep: &dyn Fn(EngagementKind) -> bool| {
        engagements
            .iter()
            .filter(|e| keep(e.kind))
            .map(|e| e.occurred_at)
            .max()
    };
    // HubSpot's date when it was already set then; otherwise what the engagements then say.
    let then = |date: Option<DateTime<Utc>>, keep: &dyn Fn(EngagementKind) -> bool| match date {
        Some(date) if date <= at => Some(date),
        _ => latest(keep),
    };
    let activity = CompanyActivity {
        // Emails, calls and meetings: what HubSpot counts as contacting the company.
        last_contacted: then(snapshot.activity.last_contacted, &|k| k.is_interaction()),
        last_sales_activity: then(snapshot.activity.last_sales_activity, &|k| {
            k.is_interaction()
        }),
        // Any engagement updates the company's notes date.
        last_updated_notes: then(snapshot.activity.last_updated_notes, &|_| true),
    };
    ClientSnapshot {
        activity,
        engagements,
        tickets,
        deals,
        updated_at: snapshot.updated_at.min(at),
        ..snapshot.clone()
    }
}
