//! Entity matching: which record of another platform (a PayPal payer; later a NinjaOne organisation,
//! a Pax8 company, a Microsoft 365 tenant) is which client of the tenant, how sure we are, and what a
//! run changes in the stored correlations. Pure: no I/O, no clock (`now` is passed in), and the same
//! inputs in any order give the same output.
//!
//! The pipeline: [`Matcher::new`] normalises and indexes the tenant's [`ClientProfile`]s once;
//! [`Matcher::candidates`] scores one [`RecordProfile`] against the few clients the indexes point at
//! ([`RecordCandidates`]); [`match_records_linked`] then adds device evidence in a second pass (a
//! NinjaOne organisation sharing serials with a Microsoft 365 tenant linked to a client); [`reconcile`] turns a run's candidates and the stored correlations into the
//! rows to write, deciding statuses with [`decide`] and never against a person's decision.
//! [`confirm`], [`reject`] and [`map_by_hand`] are what a person's decisions change.
//!
//! # Evidence (SOURCES.md §5, scores kept as proposed)
//! | evidence | score |
//! | --- | --- |
//! | explicit id: the client's id in a record's reference (`custom_id`, `invoice_id`), or a person's mapping | 1.00 |
//! | verified domain (Microsoft 365) equal to a client's domain | 0.90 |
//! | website host equal to a client's domain | 0.85 |
//! | device serials shared with a record of another platform already linked to the client ([`devices`](self::devices)) | 0.80 |
//! | email domain equal to a client's domain | 0.70 |
//! | normalised business name equal | 0.60 |
//! | fuzzy name (Jaro-Winkler 0.90 or more) | 0.40 |
//!
//! A pair's confidence is its strongest agreeing evidence plus 0.05 for each further agreeing method,
//! capped at 0.99 (1.00 is for explicit ids only); a business name that clearly differs takes 0.10
//! off, an explicit reference naming another client 0.30. A record's domain on a subdomain of the
//! client's counts; free-mail, ISP and shared platform domains (and the tenant's own) never count,
//! on either side.
//!
//! # Choices, and why
//! - **Name uniqueness through ambiguity.** An equal name scores 0.60 even when several clients share
//!   it; the ambiguity rule then sends all of them to review (never auto), so a person sees the
//!   choice instead of the record silently matching nobody.
//! - **Fuzzy names support, they rarely find.** A fuzzy name alone (0.40) is below the default review
//!   threshold, so name blocks are searched for fuzzy-only candidates only when the tenant's review
//!   threshold is 0.40 or lower; otherwise fuzzy similarity is weighed for candidates found by id,
//!   domain or equal name.
//! - **A clear winner takes the record.** When the best candidate links itself, weaker candidates are
//!   not proposed; review is for records a person must choose for.
//! - **Lost links go dormant.** The correlation store has no delete for one row, so an automatic row
//!   whose evidence is gone is written back as `needs_review` with no evidence and confidence 0
//!   ([`is_dormant`]): it links nothing, and the review queue leaves it out.
//! - **PayPal and the thresholds.** A payer has no website or verified domain: an email domain with
//!   the same business name is 0.75, so without an explicit id payers go to review at the default
//!   0.90 auto-link threshold, as SOURCES.md's pitfalls advise (owners often pay from personal
//!   addresses). A tenant who trusts its payers' domains lowers `auto_link`.

mod decisions;
mod devices;
mod evidence;
mod index;
mod normalise;
mod profile;
mod reconcile;

pub use decisions::{
    confirm, map_by_hand, reject, Decision, DecisionWrites, NoSuchCorrelation, MAPPED_BY_HAND,
};
pub use devices::{evidence_serial, MIN_SHARED_SERIALS, PLACEHOLDER_SERIALS};
pub use evidence::{combine, method_score};
pub use index::Matcher;
pub use normalise::{is_shared_domain, name_similarity, normalise_domain, normalise_name};
pub use profile::{ClientProfile, RecordKey, RecordProfile};
pub use reconcile::{decide, is_dormant, reconcile};

use crate::domain::{ClientId, Correlation, MatchEvidence, MatchMethod, Platform};

/// One client a record may be.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub client_id: ClientId,
    /// The strongest agreeing evidence's method.
    pub method: MatchMethod,
    /// Agreeing evidence first, strongest first; then what speaks against.
    pub evidence: Vec<MatchEvidence>,
    /// 0-1.
    pub confidence: f64,
}

/// The candidates of one record, most likely first (ties by client id).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordCandidates {
    pub record: RecordKey,
    pub platform: Platform,
    pub candidates: Vec<Candidate>,
}

/// The candidates of every record, in the records' order, device evidence included between records
/// of this run (a record linked by its own evidence vouches for the records of other platforms that
/// share its device serials). [`match_records_linked`] also counts the links people made.
pub fn match_records(matcher: &Matcher, records: &[RecordProfile]) -> Vec<RecordCandidates> {
    match_records_linked(matcher, records, &[])
}

/// The candidates of every record, in the records' order: each record's own evidence, then device
/// evidence from the records linked to a client by their own evidence in this run or by a person
/// in `existing` (the tenant's stored correlations).
pub fn match_records_linked(
    matcher: &Matcher,
    records: &[RecordProfile],
    existing: &[Correlation],
) -> Vec<RecordCandidates> {
    let first: Vec<RecordCandidates> = records.iter().map(|r| matcher.candidates(r)).collect();
    devices::with_device_evidence(matcher, records, first, existing)
}
