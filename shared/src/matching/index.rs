//! The tenant's clients indexed once (by id, domain, normalised name, and name blocks), so that
//! matching N clients against M records looks up a few candidates per record instead of comparing
//! every pair: about O(N + M).

use super::evidence::{
    assess, assess_with, combine, method_score, ExplicitTarget, PreparedClient, PreparedRecord,
};
use super::normalise::{
    domain_and_parents, is_shared_domain, normalise_domain, normalise_name, NameKey,
};
use super::profile::{ClientProfile, RecordProfile};
use super::{Candidate, RecordCandidates};
use crate::domain::{ClientId, MatchEvidence, MatchMethod, MatchingSettings};
use std::collections::{HashMap, HashSet};

/// A name block (a word, or the first letters of a name) shared by more clients than this is too
/// common to say anything ("solutions", "group") and is not searched for fuzzy candidates.
const BLOCK_CAP: usize = 32;
/// The length of the name prefix used as a block.
const PREFIX_LEN: usize = 4;
/// Words shorter than this are not blocks.
const MIN_BLOCK_WORD: usize = 3;

/// Matches records of other platforms against the tenant's clients.
pub struct Matcher {
    /// Sorted by client id, one entry per id: every lookup and tie-break follows this order, so the
    /// order clients were given in never changes a result.
    clients: Vec<PreparedClient>,
    by_id: HashMap<String, usize>,
    by_domain: HashMap<String, Vec<usize>>,
    by_name: HashMap<String, Vec<usize>>,
    /// Name blocks for fuzzy candidates; empty when a fuzzy name alone cannot reach review.
    blocks: HashMap<String, Vec<usize>>,
    own_domains: HashSet<String>,
    settings: MatchingSettings,
}

impl Matcher {
    /// Indexes the clients. `own_domains` are the tenant's own domains (the MSP's staff addresses
    /// and website): like free mail, they never count as evidence.
    pub fn new(
        clients: &[ClientProfile],
        own_domains: &[String],
        settings: MatchingSettings,
    ) -> Self {
        let own_domains: HashSet<String> = own_domains
            .iter()
            .filter_map(|d| normalise_domain(d))
            .collect();
        let mut sorted: Vec<&ClientProfile> = clients.iter().collect();
        sorted.sort_by(|a, b| a.client_id.cmp(&b.client_id).then(a.name.cmp(&b.name)));
        let mut prepared: Vec<PreparedClient> = Vec::with_capacity(sorted.len());
        for profile in sorted {
            let domains = profile
                .domains
                .iter()
                .filter_map(|d| evidence_domain(d, &own_domains));
            match prepared.last_mut() {
                // The same client given twice: one entry with the union of its domains.
                Some(last) if last.client_id == profile.client_id => {
                    last.domains.extend(domains);
                    last.domains.sort();
                    last.domains.dedup();
                }
                _ => {
                    let mut domains: Vec<String> = domains.collect();
                    domains.sort();
                    domains.dedup();
                    prepared.push(PreparedClient {
                        client_id: profile.client_id.clone(),
                        name: profile.name.clone(),
                        name_key: normalise_name(&profile.name).map(NameKey::new),
                        domains,
                    });
                }
            }
        }
        let fuzzy_alone_reaches_review = method_score(MatchMethod::FuzzyName) >= settings.review;
        let mut matcher = Self {
            by_id: HashMap::with_capacity(prepared.len()),
            by_domain: HashMap::with_capacity(prepared.len()),
            by_name: HashMap::with_capacity(prepared.len()),
            blocks: HashMap::new(),
            clients: Vec::new(),
            own_domains,
            settings,
        };
        for (at, client) in prepared.iter().enumerate() {
            matcher
                .by_id
                .insert(client.client_id.as_str().to_string(), at);
            for domain in &client.domains {
                matcher
                    .by_domain
                    .entry(domain.clone())
                    .or_default()
                    .push(at);
            }
            if let Some(key) = &client.name_key {
                matcher
                    .by_name
                    .entry(key.text.clone())
                    .or_default()
                    .push(at);
                if fuzzy_alone_reaches_review {
                    for block in name_blocks(&key.text) {
                        matcher.blocks.entry(block).or_default().push(at);
                    }
                }
            }
        }
        matcher.clients = prepared;
        matcher
    }

    pub fn settings(&self) -> &MatchingSettings {
        &self.settings
    }

    /// The clients this record may be, at or above the review threshold, most likely first (ties by
    /// client id). Person decisions and the auto/review split are applied later, by `reconcile`.
    pub fn candidates(&self, record: &RecordProfile) -> RecordCandidates {
        let prepared = self.prepare(record);
        let explicit = self.explicit_targets(&prepared);
        let mut found: Vec<usize> = explicit
            .iter()
            .filter_map(|t| self.by_id.get(t.client_id.as_str()).copied())
            .collect();
        let domains = prepared
            .verified_domains
            .iter()
            .chain(&prepared.website)
            .chain(&prepared.email_domain);
        for domain in domains {
            for candidate in domain_and_parents(domain) {
                found.extend(self.by_domain.get(candidate).into_iter().flatten());
            }
        }
        for (_, key) in &prepared.names {
            found.extend(self.by_name.get(&key.text).into_iter().flatten());
            if !self.blocks.is_empty() {
                found.extend(self.fuzzy_block(&key.text));
            }
        }
        found.sort_unstable();
        found.dedup();
        let mut candidates: Vec<Candidate> = found
            .into_iter()
            .filter_map(|at| {
                let client = &self.clients[at];
                self.candidate(client, assess(&prepared, client, &explicit))
            })
            .collect();
        candidates.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then(a.client_id.cmp(&b.client_id))
        });
        RecordCandidates {
            record: record.key(),
            platform: record.platform,
            candidates,
        }
    }

    /// The record's candidate for one client, with evidence found outside the record (shared
    /// device serials) weighed beside its own; `None` when the client is unknown, nothing agrees,
    /// or the confidence stays under the review threshold.
    pub(super) fn candidate_with(
        &self,
        record: &RecordProfile,
        client_id: &ClientId,
        found_elsewhere: Vec<MatchEvidence>,
    ) -> Option<Candidate> {
        let at = *self.by_id.get(client_id.as_str())?;
        let client = &self.clients[at];
        let prepared = self.prepare(record);
        let explicit = self.explicit_targets(&prepared);
        self.candidate(
            client,
            assess_with(&prepared, client, &explicit, found_elsewhere),
        )
    }

    /// The pair as a candidate when its evidence reaches the review threshold.
    fn candidate(
        &self,
        client: &PreparedClient,
        evidence: Vec<MatchEvidence>,
    ) -> Option<Candidate> {
        let confidence = combine(&evidence)?;
        let method = evidence.iter().find(|e| e.agrees)?.method;
        (confidence >= self.settings.review).then(|| Candidate {
            client_id: client.client_id.clone(),
            method,
            evidence,
            confidence,
        })
    }

    fn prepare(&self, record: &RecordProfile) -> PreparedRecord {
        let mut names: Vec<(String, NameKey)> = Vec::new();
        for raw in record.business_name.iter().chain(&record.names) {
            if let Some(key) = normalise_name(raw) {
                if !names.iter().any(|(_, k)| k.text == key) {
                    names.push((raw.clone(), NameKey::new(key)));
                }
            }
        }
        let business_key = record
            .business_name
            .as_deref()
            .and_then(normalise_name)
            .map(NameKey::new);
        let mut verified_domains: Vec<String> = record
            .verified_domains
            .iter()
            .filter_map(|d| evidence_domain(d, &self.own_domains))
            .collect();
        verified_domains.sort();
        verified_domains.dedup();
        let mut references: Vec<String> = Vec::new();
        for reference in &record.reference_ids {
            let reference = reference.trim();
            if !reference.is_empty() && !references.iter().any(|r| r == reference) {
                references.push(reference.to_string());
            }
        }
        PreparedRecord {
            names,
            business_key,
            verified_domains,
            website: record
                .website
                .as_deref()
                .and_then(|d| evidence_domain(d, &self.own_domains)),
            email_domain: record
                .email_domain
                .as_deref()
                .and_then(|d| evidence_domain(d, &self.own_domains)),
            references,
        }
    }

    /// The clients sharing a name's most telling blocks: its rarest word (fewest clients, then
    /// alphabetical) and its first letters, each when no more than [`BLOCK_CAP`] clients share it.
    fn fuzzy_block<'a>(&'a self, key: &str) -> impl Iterator<Item = &'a usize> + 'a {
        let mut rarest: Option<(&Vec<usize>, String)> = None;
        let mut prefix: Option<&Vec<usize>> = None;
        for block in name_blocks(key) {
            let Some(clients) = self.blocks.get(&block) else {
                continue;
            };
            if clients.len() > BLOCK_CAP {
                continue;
            }
            if block.starts_with("p:") {
                prefix = Some(clients);
            } else if rarest
                .as_ref()
                .is_none_or(|(best, name)| (clients.len(), &block) < (best.len(), name))
            {
                rarest = Some((clients, block));
            }
        }
        rarest
            .map(|(clients, _)| clients)
            .into_iter()
            .chain(prefix)
            .flatten()
    }

    fn explicit_targets<'a>(&'a self, record: &'a PreparedRecord) -> Vec<ExplicitTarget<'a>> {
        let mut targets: Vec<ExplicitTarget<'a>> = Vec::new();
        for reference in &record.references {
            if let Some(&at) = self.by_id.get(reference.as_str()) {
                let client_id = &self.clients[at].client_id;
                if !targets.iter().any(|t| t.client_id == client_id) {
                    targets.push(ExplicitTarget {
                        reference,
                        client_id,
                    });
                }
            }
        }
        targets
    }
}

/// The normalised domain when it may count as evidence: not free mail, not shared, not the tenant's.
fn evidence_domain(raw: &str, own_domains: &HashSet<String>) -> Option<String> {
    let domain = normalise_domain(raw)?;
    let own = domain_and_parents(&domain).any(|d| own_domains.contains(d));
    (!own && !is_shared_domain(&domain)).then_some(domain)
}

/// The blocks a normalised name falls in: each word of three letters or more, and its first letters.
fn name_blocks(key: &str) -> impl Iterator<Item = String> + '_ {
    let words = key
        .split(' ')
        .filter(|w| w.len() >= MIN_BLOCK_WORD)
        .map(|w| format!("w:{w}"));
    let compact: String = key.chars().filter(|c| *c != ' ').take(PREFIX_LEN).collect();
    let prefix = (compact.len() == PREFIX_LEN).then(|| format!("p:{compact}"));
    words.chain(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClientId, ConnectionId, Platform};

    fn client(id: &str, name: &str, domains: &[&str]) -> ClientProfile {
        ClientProfile {
            client_id: ClientId::parse(id).unwrap(),
            name: name.into(),
            domains: domains.iter().map(|d| d.to_string()).collect(),
        }
    }

    fn payer(business: Option<&str>, email_domain: Option<&str>, refs: &[&str]) -> RecordProfile {
        RecordProfile {
            platform: Platform::Paypal,
            connection_id: ConnectionId::parse("paypal-1").unwrap(),
            external_id: "PAYER1".into(),
            names: vec![],
            business_name: business.map(str::to_string),
            email_domain: email_domain.map(str::to_string),
            website: None,
            verified_domains: vec![],
            reference_ids: refs.iter().map(|r| r.to_string()).collect(),
            device_serials: Vec::new(),
        }
    }

    fn found(matcher: &Matcher, record: &RecordProfile) -> Vec<(String, f64)> {
        matcher
            .candidates(record)
            .candidates
            .into_iter()
            .map(|c| (c.client_id.as_str().to_string(), c.confidence))
            .collect()
    }

    fn clients() -> Vec<ClientProfile> {
        vec![
            client("101", "Acme Inc", &["https://www.acme.com/"]),
            client("102", "Globex Corporation", &["globex.com"]),
            client("103", "Solo Trader", &["gmail.com"]),
            client("104", "Our MSP", &["mymsp.com"]),
        ]
    }

    #[test]
    fn the_client_id_in_a_reference_is_an_explicit_match() {
        let matcher = Matcher::new(&clients(), &[], MatchingSettings::default());
        let record = payer(None, Some("gmail.com"), &[" 102 ", "INV-1"]);
        assert_eq!(found(&matcher, &record), [("102".to_string(), 1.0)]);
    }

    #[test]
    fn free_mail_and_own_domains_find_nobody() {
        let matcher = Matcher::new(
            &clients(),
            &["mymsp.com".into()],
            MatchingSettings::default(),
        );
        assert!(found(&matcher, &payer(None, Some("gmail.com"), &[])).is_empty());
        assert!(found(&matcher, &payer(None, Some("it.mymsp.com"), &[])).is_empty());
        assert_eq!(
            found(&matcher, &payer(None, Some("ACME.com"), &[])),
            [("101".to_string(), 0.70)]
        );
    }

    #[test]
    fn a_name_alone_is_found_through_the_name_index() {
        let matcher = Matcher::new(&clients(), &[], MatchingSettings::default());
        assert_eq!(
            found(&matcher, &payer(Some("GLOBEX corp."), None, &[])),
            [("102".to_string(), 0.60)]
        );
    }

    #[test]
    fn fuzzy_names_are_searched_only_when_they_could_reach_review() {
        let record = payer(Some("Globexx Corporation"), None, &[]);
        let default = Matcher::new(&clients(), &[], MatchingSettings::default());
        assert!(found(&default, &record).is_empty());
        let lenient = MatchingSettings {
            review: 0.40,
            ..MatchingSettings::default()
        };
        let matcher = Matcher::new(&clients(), &[], lenient);
        assert_eq!(found(&matcher, &record), [("102".to_string(), 0.40)]);
    }

    #[test]
    fn a_client_given_twice_is_one_candidate_with_both_domains() {
        let mut twice = clients();
        twice.push(client("101", "Acme Inc", &["acme.io"]));
        let matcher = Matcher::new(&twice, &[], MatchingSettings::default());
        assert_eq!(
            found(&matcher, &payer(None, Some("acme.io"), &[])),
            [("101".to_string(), 0.70)]
        );
        assert_eq!(
            found(&matcher, &payer(None, Some("acme.com"), &[])).len(),
            1
        );
    }

    #[test]
    fn the_strongest_candidate_comes_first_and_ties_go_by_client_id() {
        let shared = vec![
            client("202", "Initech", &["initech.com"]),
            client("201", "Initech", &["initech.com"]),
            client("203", "Other", &["other.com"]),
        ];
        let matcher = Matcher::new(&shared, &[], MatchingSettings::default());
        let ids: Vec<String> = found(&matcher, &payer(Some("Initech"), Some("initech.com"), &[]))
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(ids, ["201", "202"]);
    }
}
