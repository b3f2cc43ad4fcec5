//! Device evidence (SOURCES.md §5, 0.80): a record that shares hardware serials with a record of
//! another platform already linked to a client is likely that client (a NinjaOne organisation and a
//! Microsoft 365 tenant whose Intune devices are the same machines; CIPP maps them this way).
//!
//! It runs as a second pass over a run's candidates: the first pass decides which records link
//! themselves on their own evidence; their serials, and those of records a person linked, then speak
//! for the records of the other platforms. One hop only: a link that rests on devices never anchors
//! another, so two records cannot hold each other up.
//!
//! # Choices, and why
//! - **Anchors.** A record a person linked (confirmed, or mapped by hand) anchors its clients; any
//!   other record anchors the client its own evidence links it to in this run. A stored automatic
//!   link is not an anchor by itself: the run re-decides it, and one whose evidence is gone goes
//!   dormant and must not vouch for others.
//! - **Placeholders and shared serials say nothing.** Serials vendors leave unset ("To Be Filled By
//!   O.E.M.", "0123456789", "Default string", ...), very short ones and one repeated character are
//!   dropped; a serial that anchors of two different clients carry (a reused laptop, an imaging
//!   mistake) is ignored.
//! - **Same platform does not count.** Two NinjaOne organisations sharing serials is a data problem
//!   (a site split), not evidence.
//! - **The usual rules still apply.** The device evidence joins the pair's own (+0.05 per further
//!   agreeing evidence, cap 0.99; a clearly different name speaks against it), and two clients
//!   within the ambiguity margin go to review, as `decide` rules. Alone, 0.80 goes to review at the
//!   default thresholds.

use super::index::Matcher;
use super::profile::{RecordKey, RecordProfile};
use super::reconcile::decide;
use super::RecordCandidates;
use crate::domain::{
    ClientId, Correlation, CorrelationStatus, MatchEvidence, MatchMethod, Platform,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Serials vendors ship unset, upper-cased; never evidence.
pub const PLACEHOLDER_SERIALS: [&str; 14] = [
    "TO BE FILLED BY O.E.M.",
    "TO BE FILLED BY OEM",
    "DEFAULT STRING",
    "SYSTEM SERIAL NUMBER",
    "CHASSIS SERIAL NUMBER",
    "0123456789",
    "123456789",
    "1234567890",
    "NONE",
    "N/A",
    "NOT APPLICABLE",
    "NOT SPECIFIED",
    "INVALID",
    "UNKNOWN",
];
/// Serials shorter than this are too likely to repeat by chance.
const MIN_SERIAL_LEN: usize = 5;
/// Shared serials needed for device evidence.
pub const MIN_SHARED_SERIALS: usize = 1;

/// The serial as evidence: trimmed and upper-cased, `None` for placeholders, very short serials and
/// one repeated character ("0000000", "XXXXXX").
pub fn evidence_serial(raw: &str) -> Option<String> {
    let serial = raw.trim().to_ascii_uppercase();
    let mut chars = serial.chars();
    let first = chars.next()?;
    let one_character = chars.all(|c| c == first);
    let placeholder = PLACEHOLDER_SERIALS.contains(&serial.as_str());
    (serial.chars().count() >= MIN_SERIAL_LEN && !one_character && !placeholder).then_some(serial)
}

/// A record linked to a client, whose serials vouch for records of other platforms.
struct Anchor<'a> {
    record: &'a RecordProfile,
    client_id: ClientId,
}

/// The clients each record is linked to before device evidence: a person's links from `existing`,
/// else what the record's own candidates link by themselves.
fn anchors<'a>(
    matcher: &Matcher,
    records: &'a [RecordProfile],
    runs: &[RecordCandidates],
    existing: &[Correlation],
) -> Vec<Anchor<'a>> {
    let mut stored: HashMap<RecordKey, Vec<&Correlation>> = HashMap::new();
    for row in existing {
        let key = RecordKey {
            connection_id: row.connection_id.clone(),
            external_id: row.external_id.clone(),
        };
        stored.entry(key).or_default().push(row);
    }
    let mut found = Vec::new();
    for (record, run) in records.iter().zip(runs) {
        if record.device_serials.is_empty() {
            continue;
        }
        let rows = stored
            .get(&run.record)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let confirmed: Vec<&ClientId> = rows
            .iter()
            .filter(|r| r.status == CorrelationStatus::Confirmed)
            .map(|r| &r.client_id)
            .collect();
        if !confirmed.is_empty() {
            found.extend(confirmed.into_iter().map(|client_id| Anchor {
                record,
                client_id: client_id.clone(),
            }));
            continue;
        }
        let rejected = |client: &ClientId| {
            rows.iter()
                .any(|r| r.client_id == *client && r.status == CorrelationStatus::Rejected)
        };
        let open: Vec<_> = run
            .candidates
            .iter()
            .filter(|c| !rejected(&c.client_id))
            .cloned()
            .collect();
        for (candidate, status) in decide(&open, matcher.settings()) {
            if status == CorrelationStatus::Auto {
                found.push(Anchor {
                    record,
                    client_id: candidate.client_id.clone(),
                });
            }
        }
    }
    found
}

/// The serials of each anchor's record, by serial: which clients (and through which records) carry it.
type SerialIndex<'a> = HashMap<String, Vec<(&'a RecordProfile, &'a ClientId)>>;

fn index<'a>(anchors: &'a [Anchor<'a>]) -> SerialIndex<'a> {
    let mut by_serial: SerialIndex<'a> = HashMap::new();
    for anchor in anchors {
        let serials: BTreeSet<String> = anchor
            .record
            .device_serials
            .iter()
            .filter_map(|s| evidence_serial(s))
            .collect();
        for serial in serials {
            by_serial
                .entry(serial)
                .or_default()
                .push((anchor.record, &anchor.client_id));
        }
    }
    by_serial
}

/// What one record shares with one client's anchors of other platforms.
#[derive(Default)]
struct Overlap<'a> {
    serials: usize,
    /// Shared serials by anchor record (platform, connection, external id), for the evidence.
    by_anchor: BTreeMap<(Platform, &'a str, &'a str), usize>,
}

/// Device evidence per client for one record: serials it shares with anchors of other platforms
/// linked to exactly one client.
fn overlaps<'a>(
    record: &RecordProfile,
    by_serial: &SerialIndex<'a>,
) -> BTreeMap<&'a ClientId, Overlap<'a>> {
    let own_key = record.key();
    let serials: BTreeSet<String> = record
        .device_serials
        .iter()
        .filter_map(|s| evidence_serial(s))
        .collect();
    let mut found: BTreeMap<&'a ClientId, Overlap<'a>> = BTreeMap::new();
    for serial in serials {
        let Some(carriers) = by_serial.get(&serial) else {
            continue;
        };
        let others: Vec<&(&RecordProfile, &ClientId)> = carriers
            .iter()
            .filter(|(anchor, _)| anchor.key() != own_key)
            .collect();
        let clients: BTreeSet<&ClientId> = others.iter().map(|(_, c)| *c).collect();
        // A serial that records of several clients carry says nothing.
        let [client] = clients.into_iter().collect::<Vec<_>>()[..] else {
            continue;
        };
        let across: Vec<&RecordProfile> = others
            .iter()
            .map(|(anchor, _)| *anchor)
            .filter(|anchor| anchor.platform != record.platform)
            .collect();
        if across.is_empty() {
            continue;
        }
        let overlap = found.entry(client).or_default();
        overlap.serials += 1;
        for anchor in across {
            *overlap
                .by_anchor
                .entry((
                    anchor.platform,
                    anchor.connection_id.as_str(),
                    anchor.external_id.as_str(),
                ))
                .or_default() += 1;
        }
    }
    found
}

fn device_evidence(client: &ClientId, overlap: &Overlap<'_>) -> MatchEvidence {
    // The anchor sharing the most serials (ties by platform and id) names the other side.
    let anchor = overlap
        .by_anchor
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|((platform, _, external_id), _)| format!("{} {external_id}", platform.as_str()));
    MatchEvidence {
        method: MatchMethod::DeviceSerials,
        source_value: format!("{} shared device serials", overlap.serials),
        client_value: match anchor {
            Some(anchor) => format!("{anchor} (linked to {client})"),
            None => client.to_string(),
        },
        score: super::method_score(MatchMethod::DeviceSerials),
        agrees: true,
    }
}

/// Adds device evidence to a run's first-pass candidates (`runs`, one per record of `records`, in
/// order); `existing` are the stored correlations, for a person's links.
pub(super) fn with_device_evidence(
    matcher: &Matcher,
    records: &[RecordProfile],
    mut runs: Vec<RecordCandidates>,
    existing: &[Correlation],
) -> Vec<RecordCandidates> {
    let anchors = anchors(matcher, records, &runs, existing);
    if anchors.is_empty() {
        return runs;
    }
    let by_serial = index(&anchors);
    for (record, run) in records.iter().zip(runs.iter_mut()) {
        if record.device_serials.is_empty() {
            continue;
        }
        for (client, overlap) in overlaps(record, &by_serial) {
            if overlap.serials < MIN_SHARED_SERIALS {
                continue;
            }
            let evidence = device_evidence(client, &overlap);
            let Some(candidate) = matcher.candidate_with(record, client, vec![evidence]) else {
                continue;
            };
            match run.candidates.iter_mut().find(|c| c.client_id == *client) {
                Some(existing) => *existing = candidate,
                None => run.candidates.push(candidate),
            }
        }
        run.candidates.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then(a.client_id.cmp(&b.client_id))
        });
    }
    runs
}

#[cfg(test)]
#[path = "devices_tests.rs"]
mod tests;
