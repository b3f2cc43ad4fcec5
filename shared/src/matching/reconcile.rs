//! From a run's candidates to the correlation rows to write: which candidates link themselves, which
//! wait for a person, and how the stored rows change, never against a person's decision.

use super::profile::RecordKey;
use super::{Candidate, RecordCandidates};
use crate::domain::{ClientId, Correlation, CorrelationStatus, MatchingSettings, TenantId};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Floating-point slack when comparing a confidence gap with the ambiguity margin (0.95 - 0.85 is
/// 0.0999... in binary).
const EPSILON: f64 = 1e-9;

/// The status of each of one record's candidates (those a person already decided left out), most
/// likely first:
/// - the best at or above `auto_link`, with no rival closer than `ambiguity_margin`: `Auto`, and the
///   weaker candidates are dropped (the record is that client);
/// - a best with a rival that close: every candidate goes to review, never auto;
/// - otherwise every candidate at or above `review` goes to review.
pub fn decide<'a>(
    candidates: &'a [Candidate],
    settings: &MatchingSettings,
) -> Vec<(&'a Candidate, CorrelationStatus)> {
    let mut ranked: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| c.confidence >= settings.review)
        .collect();
    ranked.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(a.client_id.cmp(&b.client_id))
    });
    let Some(best) = ranked.first() else {
        return Vec::new();
    };
    let has_close_rival = ranked.get(1).is_some_and(|second| {
        best.confidence - second.confidence < settings.ambiguity_margin - EPSILON
    });
    if best.confidence >= settings.auto_link && !has_close_rival {
        return vec![(best, CorrelationStatus::Auto)];
    }
    ranked
        .into_iter()
        .map(|c| (c, CorrelationStatus::NeedsReview))
        .collect()
}

/// A correlation kept only to remember that matching once proposed it: no evidence is left for it.
/// It links nothing and the review queue leaves it out; a later run that finds evidence again
/// revives it.
pub fn is_dormant(correlation: &Correlation) -> bool {
    correlation.status == CorrelationStatus::NeedsReview && correlation.evidence.is_empty()
}

/// The rows to write after a matching run over some records: `existing` are the stored correlations
/// of (at least) those records, `runs` the candidates of each record matched. Records outside `runs`
/// are left alone. Rules:
/// - a person's decision (confirmed, rejected) is never overwritten, and a rejected pair is never
///   proposed again;
/// - a record a person linked (confirmed or mapped by hand) gets no automatic link to another client,
///   and its other automatic rows go dormant;
/// - an automatic row whose pair is no longer proposed goes dormant (a lost link stops counting);
/// - a row equal to what is stored is not written again.
///
/// The output is in (connection, external id, client) order. One entry per record in `runs` is
/// expected; a repeated record counts once (its first entry).
pub fn reconcile(
    tenant_id: &TenantId,
    existing: &[Correlation],
    runs: &[RecordCandidates],
    settings: &MatchingSettings,
    now: DateTime<Utc>,
) -> Vec<Correlation> {
    let mut stored: HashMap<RecordKey, Vec<&Correlation>> = HashMap::new();
    for row in existing.iter().filter(|row| row.tenant_id == *tenant_id) {
        let key = RecordKey {
            connection_id: row.connection_id.clone(),
            external_id: row.external_id.clone(),
        };
        stored.entry(key).or_default().push(row);
    }
    let mut writes: BTreeMap<(RecordKey, ClientId), Correlation> = BTreeMap::new();
    let mut seen: HashSet<&RecordKey> = HashSet::with_capacity(runs.len());
    for run in runs {
        if !seen.insert(&run.record) {
            continue;
        }
        let rows = stored
            .get(&run.record)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let person_decided = |client: &ClientId| {
            rows.iter()
                .any(|r| r.client_id == *client && r.status.is_decided_by_person())
        };
        let linked_by_person = rows
            .iter()
            .any(|r| r.status == CorrelationStatus::Confirmed);
        let open: Vec<Candidate> = if linked_by_person {
            Vec::new()
        } else {
            run.candidates
                .iter()
                .filter(|c| !person_decided(&c.client_id))
                .cloned()
                .collect()
        };
        let proposals = decide(&open, settings);
        for (candidate, status) in &proposals {
            let previous = rows.iter().find(|r| r.client_id == candidate.client_id);
            let row = Correlation {
                tenant_id: tenant_id.clone(),
                client_id: candidate.client_id.clone(),
                platform: run.platform,
                connection_id: run.record.connection_id.clone(),
                external_id: run.record.external_id.clone(),
                method: candidate.method,
                evidence: candidate.evidence.clone(),
                confidence: candidate.confidence,
                status: *status,
                decided_by: None,
                decided_at: None,
                created_at: previous.map_or(now, |p| p.created_at),
                updated_at: now,
            };
            if previous.is_none_or(|p| !same_finding(p, &row)) {
                writes.insert((run.record.clone(), row.client_id.clone()), row);
            }
        }
        for row in rows {
            let proposed = proposals.iter().any(|(c, _)| c.client_id == row.client_id);
            if row.status.is_decided_by_person() || proposed || is_dormant(row) {
                continue;
            }
            let dormant = Correlation {
                status: CorrelationStatus::NeedsReview,
                evidence: Vec::new(),
                confidence: 0.0,
                updated_at: now,
                ..(*row).clone()
            };
            writes.insert((run.record.clone(), row.client_id.clone()), dormant);
        }
    }
    writes.into_values().collect()
}

/// Whether a stored row already says what a new finding says (timestamps aside).
fn same_finding(stored: &Correlation, found: &Correlation) -> bool {
    stored.status == found.status
        && stored.method == found.method
        && stored.confidence == found.confidence
        && stored.evidence == found.evidence
        && stored.platform == found.platform
        && stored.decided_by.is_none()
}

#[cfg(test)]
#[path = "reconcile_tests.rs"]
mod tests;
