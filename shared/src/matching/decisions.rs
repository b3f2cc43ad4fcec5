//! What a person's decision about one record changes in its correlations: confirming a candidate,
//! rejecting (or unlinking) one, mapping the record to a client by hand. Each returns the rows to
//! write; matching runs later never undo them (see [`reconcile`](super::reconcile)).

use super::profile::RecordKey;
use super::reconcile::is_dormant;
use crate::domain::{
    ClientId, Correlation, CorrelationStatus, MatchEvidence, MatchMethod, Platform, TenantId,
};
use chrono::{DateTime, Utc};

/// What the evidence of a hand-made mapping says on the record's side.
pub const MAPPED_BY_HAND: &str = "mapped by hand";

/// Who decided, and when.
#[derive(Debug, Clone, Copy)]
pub struct Decision<'a> {
    /// The person (a token's subject).
    pub by: &'a str,
    pub at: DateTime<Utc>,
}

/// What a decision writes: the decided correlation, and what it changes in the record's others.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionWrites {
    pub decided: Correlation,
    pub others: Vec<Correlation>,
}

impl DecisionWrites {
    /// Every row to write, the decided one first.
    pub fn rows(&self) -> Vec<Correlation> {
        std::iter::once(&self.decided)
            .chain(&self.others)
            .cloned()
            .collect()
    }
}

/// The record has no correlation with that client to decide about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the record has no correlation with client {client_id}")]
pub struct NoSuchCorrelation {
    pub client_id: ClientId,
}

/// A person says the record is this client (one of its candidates). The record's other automatic
/// candidates go dormant: a person's link wins over automatic ones. Other confirmed links stay (a
/// record may belong to several clients).
///
/// `rows` are the record's correlations.
pub fn confirm(
    rows: &[Correlation],
    client_id: &ClientId,
    decision: Decision<'_>,
) -> Result<DecisionWrites, NoSuchCorrelation> {
    let target = find(rows, client_id)?;
    Ok(DecisionWrites {
        decided: decided(target, CorrelationStatus::Confirmed, decision),
        others: others_go_dormant(rows, client_id, decision.at).collect(),
    })
}

/// A person says the record is not this client (or unlinks it): matching never proposes the pair
/// again. Nothing else changes.
pub fn reject(
    rows: &[Correlation],
    client_id: &ClientId,
    decision: Decision<'_>,
) -> Result<DecisionWrites, NoSuchCorrelation> {
    let target = find(rows, client_id)?;
    Ok(DecisionWrites {
        decided: decided(target, CorrelationStatus::Rejected, decision),
        others: Vec::new(),
    })
}

/// A person maps the record to a client by hand, candidate or not: a confirmed explicit link with
/// confidence 1.00. It supersedes the record's other candidates: automatic ones go dormant, and a
/// link a person confirmed before moves here (that pair becomes rejected, by this decision).
pub fn map_by_hand(
    tenant_id: &TenantId,
    platform: Platform,
    record: &RecordKey,
    rows: &[Correlation],
    client_id: &ClientId,
    decision: Decision<'_>,
) -> DecisionWrites {
    let previous = rows.iter().find(|r| r.client_id == *client_id);
    let mapping = Correlation {
        tenant_id: tenant_id.clone(),
        client_id: client_id.clone(),
        platform,
        connection_id: record.connection_id.clone(),
        external_id: record.external_id.clone(),
        method: MatchMethod::ExplicitId,
        evidence: vec![MatchEvidence {
            method: MatchMethod::ExplicitId,
            source_value: MAPPED_BY_HAND.to_string(),
            client_value: client_id.as_str().to_string(),
            score: 1.0,
            agrees: true,
        }],
        confidence: 1.0,
        status: CorrelationStatus::Confirmed,
        decided_by: Some(decision.by.to_string()),
        decided_at: Some(decision.at),
        created_at: previous.map_or(decision.at, |p| p.created_at),
        updated_at: decision.at,
    };
    let moved = rows
        .iter()
        .filter(|r| r.client_id != *client_id && r.status == CorrelationStatus::Confirmed)
        .map(|r| decided(r, CorrelationStatus::Rejected, decision));
    DecisionWrites {
        decided: mapping,
        others: others_go_dormant(rows, client_id, decision.at)
            .chain(moved)
            .collect(),
    }
}

fn find<'a>(
    rows: &'a [Correlation],
    client_id: &ClientId,
) -> Result<&'a Correlation, NoSuchCorrelation> {
    rows.iter()
        .find(|r| r.client_id == *client_id)
        .ok_or_else(|| NoSuchCorrelation {
            client_id: client_id.clone(),
        })
}

fn decided(row: &Correlation, status: CorrelationStatus, decision: Decision<'_>) -> Correlation {
    Correlation {
        status,
        decided_by: Some(decision.by.to_string()),
        decided_at: Some(decision.at),
        updated_at: decision.at,
        ..row.clone()
    }
}

/// The record's automatic rows for other clients, made dormant (the same mark `reconcile` gives a
/// lost automatic link).
fn others_go_dormant<'a>(
    rows: &'a [Correlation],
    client_id: &'a ClientId,
    now: DateTime<Utc>,
) -> impl Iterator<Item = Correlation> + 'a {
    rows.iter()
        .filter(move |r| {
            r.client_id != *client_id && !r.status.is_decided_by_person() && !is_dormant(r)
        })
        .map(move |r| Correlation {
            status: CorrelationStatus::NeedsReview,
            evidence: Vec::new(),
            confidence: 0.0,
            updated_at: now,
            ..r.clone()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ConnectionId;
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, hour, 0, 0).unwrap()
    }

    fn row(client: &str, status: CorrelationStatus) -> Correlation {
        Correlation {
            tenant_id: TenantId::parse("t1").unwrap(),
            client_id: ClientId::parse(client).unwrap(),
            platform: Platform::Paypal,
            connection_id: ConnectionId::parse("paypal-1").unwrap(),
            external_id: "P1".into(),
            method: MatchMethod::EmailDomain,
            evidence: vec![MatchEvidence {
                method: MatchMethod::EmailDomain,
                source_value: "acme.com".into(),
                client_value: "acme.com".into(),
                score: 0.7,
                agrees: true,
            }],
            confidence: 0.7,
            status,
            decided_by: None,
            decided_at: None,
            created_at: at(0),
            updated_at: at(0),
        }
    }

    fn by_user() -> Decision<'static> {
        Decision {
            by: "user-1",
            at: at(5),
        }
    }

    fn summary(rows: &[Correlation]) -> Vec<(&str, CorrelationStatus, bool)> {
        rows.iter()
            .map(|r| (r.client_id.as_str(), r.status, is_dormant(r)))
            .collect()
    }

    #[test]
    fn confirming_a_candidate_records_who_and_quiets_the_other_candidates() {
        let rows = [
            row("1", CorrelationStatus::NeedsReview),
            row("2", CorrelationStatus::NeedsReview),
            row("3", CorrelationStatus::Confirmed),
        ];
        let id = ClientId::parse("1").unwrap();
        let writes = confirm(&rows, &id, by_user()).unwrap().rows();
        assert_eq!(
            summary(&writes),
            [
                ("1", CorrelationStatus::Confirmed, false),
                ("2", CorrelationStatus::NeedsReview, true)
            ]
        );
        assert_eq!(writes[0].decided_by.as_deref(), Some("user-1"));
        assert_eq!(writes[0].decided_at, Some(at(5)));
        assert_eq!(writes[0].evidence, rows[0].evidence);
        assert_eq!(writes[0].created_at, at(0));
    }

    #[test]
    fn deciding_about_a_pair_that_is_not_there_is_an_error() {
        let rows = [row("1", CorrelationStatus::Auto)];
        let missing = ClientId::parse("9").unwrap();
        assert!(confirm(&rows, &missing, by_user()).is_err());
        assert_eq!(
            reject(&rows, &missing, by_user()),
            Err(NoSuchCorrelation { client_id: missing })
        );
    }

    #[test]
    fn rejecting_changes_only_that_pair() {
        let rows = [
            row("1", CorrelationStatus::Auto),
            row("2", CorrelationStatus::NeedsReview),
        ];
        let writes = reject(&rows, &ClientId::parse("1").unwrap(), by_user())
            .unwrap()
            .rows();
        assert_eq!(
            summary(&writes),
            [("1", CorrelationStatus::Rejected, false)]
        );
        assert_eq!(writes[0].decided_by.as_deref(), Some("user-1"));
    }

    #[test]
    fn a_mapping_by_hand_is_certain_and_supersedes_the_other_candidates() {
        let rows = [
            row("1", CorrelationStatus::Auto),
            row("2", CorrelationStatus::Confirmed),
            row("3", CorrelationStatus::Rejected),
        ];
        let record = RecordKey {
            connection_id: ConnectionId::parse("paypal-1").unwrap(),
            external_id: "P1".into(),
        };
        let writes = map_by_hand(
            &TenantId::parse("t1").unwrap(),
            Platform::Paypal,
            &record,
            &rows,
            &ClientId::parse("4").unwrap(),
            by_user(),
        )
        .rows();
        assert_eq!(
            summary(&writes),
            [
                ("4", CorrelationStatus::Confirmed, false),
                ("1", CorrelationStatus::NeedsReview, true),
                ("2", CorrelationStatus::Rejected, false)
            ]
        );
        let mapping = &writes[0];
        assert_eq!(
            (mapping.method, mapping.confidence),
            (MatchMethod::ExplicitId, 1.0)
        );
        assert_eq!(mapping.evidence[0].source_value, MAPPED_BY_HAND);
        assert_eq!(mapping.created_at, at(5));
        assert_eq!(writes[2].decided_by.as_deref(), Some("user-1"));
    }
}
