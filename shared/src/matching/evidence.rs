//! The evidence for and against one (record, client) pair, and the confidence it adds up to
//! (SOURCES.md §5: the strongest evidence, plus a little for each further agreeing one, less for each
//! conflicting one).

use super::normalise::{domain_and_parents, name_similarity, NameKey};
use crate::domain::{ClientId, MatchEvidence, MatchMethod};

/// What each kind of evidence is worth on its own (SOURCES.md §5, kept as proposed).
pub fn method_score(method: MatchMethod) -> f64 {
    match method {
        MatchMethod::ExplicitId => 1.00,
        MatchMethod::VerifiedDomain => 0.90,
        MatchMethod::ContactEmail => 0.85,
        MatchMethod::Website => 0.85,
        MatchMethod::DeviceSerials => 0.80,
        MatchMethod::EmailDomain => 0.70,
        MatchMethod::NormalisedName => 0.60,
        MatchMethod::FuzzyName => 0.40,
    }
}

/// Added for each agreeing piece of evidence beyond the strongest.
pub const AGREEING_BONUS: f64 = 0.05;
/// The most an automatic match can reach: 1.00 is for explicit ids only.
pub const AUTOMATIC_CAP: f64 = 0.99;
/// Taken off when the business names clearly differ while other evidence agrees (a renamed company, a
/// subsidiary on the parent's domain): enough to send a domain match to review rather than link it.
pub const NAMES_DIFFER_PENALTY: f64 = 0.10;
/// Taken off when the record's explicit reference names another client.
pub const EXPLICIT_ELSEWHERE_PENALTY: f64 = 0.30;
/// Names at least this alike (Jaro-Winkler of the normalised names) are a fuzzy match.
pub const FUZZY_MIN_SIMILARITY: f64 = 0.90;
/// Business names less alike than this, with no word in common, clearly differ.
pub const NAMES_DIFFER_BELOW: f64 = 0.70;
/// A fuzzy match needs names at least this long (very short names are alike by chance).
const FUZZY_MIN_LEN: usize = 4;

/// A client, normalised once for all records.
#[derive(Debug, Clone)]
pub(super) struct PreparedClient {
    pub client_id: ClientId,
    pub name: String,
    pub name_key: Option<NameKey>,
    /// Evidence-grade domains only (no free-mail, shared or tenant-own ones), distinct, sorted.
    pub domains: Vec<String>,
}

/// A record, normalised once.
#[derive(Debug, Clone, Default)]
pub(super) struct PreparedRecord {
    /// (as given, normalised); the business name first.
    pub names: Vec<(String, NameKey)>,
    /// The normalised business name: the only name that may speak against a match.
    pub business_key: Option<NameKey>,
    /// Evidence-grade domains, by how strong their source is.
    pub verified_domains: Vec<String>,
    pub website: Option<String>,
    pub email_domain: Option<String>,
    /// Trimmed, non-empty references.
    pub references: Vec<String>,
}

/// The reference of the record that names a client, with that client's id.
pub(super) struct ExplicitTarget<'a> {
    pub reference: &'a str,
    pub client_id: &'a ClientId,
}

/// Every piece of evidence about the pair: agreeing ones first, strongest first.
pub(super) fn assess(
    record: &PreparedRecord,
    client: &PreparedClient,
    explicit: &[ExplicitTarget<'_>],
) -> Vec<MatchEvidence> {
    assess_with(record, client, explicit, Vec::new())
}

/// [`assess`], with agreeing evidence found elsewhere (shared device serials) counted beside the
/// record's own: it adds to the confidence, and lets a clearly different name speak against it.
pub(super) fn assess_with(
    record: &PreparedRecord,
    client: &PreparedClient,
    explicit: &[ExplicitTarget<'_>],
    found_elsewhere: Vec<MatchEvidence>,
) -> Vec<MatchEvidence> {
    let mut evidence = found_elsewhere;
    if let Some(target) = explicit.iter().find(|t| *t.client_id == client.client_id) {
        evidence.push(agreeing(
            MatchMethod::ExplicitId,
            target.reference,
            client.client_id.as_str(),
        ));
    } else if let Some(elsewhere) = explicit.first() {
        evidence.push(MatchEvidence {
            method: MatchMethod::ExplicitId,
            source_value: elsewhere.reference.to_string(),
            client_value: client.client_id.as_str().to_string(),
            score: EXPLICIT_ELSEWHERE_PENALTY,
            agrees: false,
        });
    }
    for (method, domains) in [
        (
            MatchMethod::VerifiedDomain,
            record.verified_domains.iter().collect::<Vec<_>>(),
        ),
        (MatchMethod::Website, record.website.iter().collect()),
        (
            MatchMethod::EmailDomain,
            record.email_domain.iter().collect(),
        ),
    ] {
        let hit = domains.into_iter().find_map(|domain| {
            domain_and_parents(domain)
                .find(|d| {
                    client
                        .domains
                        .binary_search_by(|c| c.as_str().cmp(d))
                        .is_ok()
                })
                .map(|client_domain| (domain, client_domain))
        });
        if let Some((domain, client_domain)) = hit {
            evidence.push(agreeing(method, domain, client_domain));
        }
    }
    if let Some(name_key) = &client.name_key {
        match best_name(record, name_key) {
            Some(found) => evidence.push(found.into_evidence(&client.name)),
            // What speaks against a match matters only when something speaks for it.
            None if !evidence.iter().any(|e| e.agrees) => {}
            None => {
                if let Some(business) = &record.business_key {
                    if names_clearly_differ(&business.text, &name_key.text) {
                        let raw = record.names.first().map(|(raw, _)| raw.as_str());
                        evidence.push(MatchEvidence {
                            method: MatchMethod::NormalisedName,
                            source_value: raw.unwrap_or(&business.text).to_string(),
                            client_value: client.name.clone(),
                            score: NAMES_DIFFER_PENALTY,
                            agrees: false,
                        });
                    }
                }
            }
        }
    }
    evidence.sort_by(|a, b| {
        b.agrees
            .cmp(&a.agrees)
            .then(b.score.total_cmp(&a.score))
            .then(a.method.cmp(&b.method))
    });
    evidence
}

/// The pair's confidence, 0-1: the strongest agreeing evidence, plus [`AGREEING_BONUS`] per further
/// agreeing method, capped at [`AUTOMATIC_CAP`], less each conflicting evidence's penalty. An explicit
/// id is 1.00 whatever else is said: someone put the client's id on the record. `None` when nothing
/// agrees. Rounded to four decimals, so that sums like 0.85 + 0.05 compare as people expect.
pub fn combine(evidence: &[MatchEvidence]) -> Option<f64> {
    let agreeing: Vec<&MatchEvidence> = evidence.iter().filter(|e| e.agrees).collect();
    let strongest = agreeing.iter().map(|e| e.score).reduce(f64::max)?;
    if agreeing
        .iter()
        .any(|e| e.method == MatchMethod::ExplicitId && e.score >= 1.0)
    {
        return Some(1.0);
    }
    let further = agreeing.len().saturating_sub(1) as f64;
    let penalties: f64 = evidence.iter().filter(|e| !e.agrees).map(|e| e.score).sum();
    let confidence = (strongest + AGREEING_BONUS * further).min(AUTOMATIC_CAP) - penalties;
    Some((confidence.clamp(0.0, 1.0) * 10_000.0).round() / 10_000.0)
}

fn agreeing(method: MatchMethod, source: &str, client: &str) -> MatchEvidence {
    MatchEvidence {
        method,
        source_value: source.to_string(),
        client_value: client.to_string(),
        score: method_score(method),
        agrees: true,
    }
}

struct NameMatch<'a> {
    raw: &'a str,
    similarity: f64,
}

impl NameMatch<'_> {
    fn into_evidence(self, client_name: &str) -> MatchEvidence {
        let method = if self.similarity >= 1.0 {
            MatchMethod::NormalisedName
        } else {
            MatchMethod::FuzzyName
        };
        agreeing(method, self.raw, client_name)
    }
}

/// The record's name closest to the client's: an exact normalised match, else the most similar one
/// at or above [`FUZZY_MIN_SIMILARITY`].
fn best_name<'a>(record: &'a PreparedRecord, client_key: &NameKey) -> Option<NameMatch<'a>> {
    let mut best: Option<NameMatch<'a>> = None;
    for (raw, key) in &record.names {
        let similarity = if key.text == client_key.text {
            Some(1.0)
        } else if key.text.len().min(client_key.text.len()) >= FUZZY_MIN_LEN {
            key.similarity_at_least(client_key, FUZZY_MIN_SIMILARITY)
        } else {
            None
        };
        if let Some(similarity) = similarity {
            if best.as_ref().is_none_or(|b| similarity > b.similarity) {
                best = Some(NameMatch { raw, similarity });
            }
        }
    }
    best
}

fn names_clearly_differ(a: &str, b: &str) -> bool {
    let share_a_word = a
        .split(' ')
        .any(|word| b.split(' ').any(|other| other == word));
    !share_a_word && name_similarity(a, b) < NAMES_DIFFER_BELOW
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(name: &str, domains: &[&str]) -> PreparedClient {
        PreparedClient {
            client_id: ClientId::parse("101").unwrap(),
            name: name.to_string(),
            name_key: super::super::normalise::normalise_name(name).map(NameKey::new),
            domains: domains.iter().map(|d| d.to_string()).collect(),
        }
    }

    fn record(business: Option<&str>, email_domain: Option<&str>) -> PreparedRecord {
        let names: Vec<(String, NameKey)> = business
            .iter()
            .filter_map(|b| {
                super::super::normalise::normalise_name(b).map(|k| (b.to_string(), NameKey::new(k)))
            })
            .collect();
        PreparedRecord {
            business_key: names.first().map(|(_, k)| k.clone()),
            names,
            email_domain: email_domain.map(str::to_string),
            ..PreparedRecord::default()
        }
    }

    fn methods(evidence: &[MatchEvidence]) -> Vec<(MatchMethod, bool)> {
        evidence.iter().map(|e| (e.method, e.agrees)).collect()
    }

    #[test]
    fn each_method_alone_scores_as_proposed() {
        let only = |method| combine(&[agreeing(method, "x", "y")]).unwrap();
        assert_eq!(only(MatchMethod::ExplicitId), 1.0);
        assert_eq!(only(MatchMethod::VerifiedDomain), 0.90);
        assert_eq!(only(MatchMethod::Website), 0.85);
        assert_eq!(only(MatchMethod::EmailDomain), 0.70);
        assert_eq!(only(MatchMethod::NormalisedName), 0.60);
        assert_eq!(only(MatchMethod::FuzzyName), 0.40);
    }

    #[test]
    fn agreeing_evidence_adds_a_little_and_stops_below_one() {
        let website_and_name = [
            agreeing(MatchMethod::Website, "acme.com", "acme.com"),
            agreeing(MatchMethod::NormalisedName, "Acme", "Acme"),
        ];
        assert_eq!(combine(&website_and_name), Some(0.90));
        let many = [
            agreeing(MatchMethod::VerifiedDomain, "a", "a"),
            agreeing(MatchMethod::Website, "a", "a"),
            agreeing(MatchMethod::EmailDomain, "a", "a"),
            agreeing(MatchMethod::NormalisedName, "a", "a"),
        ];
        assert_eq!(combine(&many), Some(AUTOMATIC_CAP));
    }

    #[test]
    fn nothing_agreeing_is_no_match() {
        let against = MatchEvidence {
            agrees: false,
            ..agreeing(MatchMethod::NormalisedName, "a", "b")
        };
        assert_eq!(combine(&[against]), None);
        assert_eq!(combine(&[]), None);
    }

    #[test]
    fn an_email_domain_and_the_same_name_agree() {
        let evidence = assess(
            &record(Some("ACME Ltd."), Some("acme.com")),
            &client("Acme Inc", &["acme.com"]),
            &[],
        );
        assert_eq!(
            methods(&evidence),
            [
                (MatchMethod::EmailDomain, true),
                (MatchMethod::NormalisedName, true)
            ]
        );
        assert_eq!(combine(&evidence), Some(0.75));
    }

    #[test]
    fn an_address_on_a_subdomain_speaks_for_the_company() {
        let evidence = assess(
            &record(None, Some("eu.acme.com")),
            &client("Acme", &["acme.com"]),
            &[],
        );
        assert_eq!(evidence[0].source_value, "eu.acme.com");
        assert_eq!(evidence[0].client_value, "acme.com");
    }

    #[test]
    fn a_clearly_different_business_name_lowers_a_domain_match() {
        let evidence = assess(
            &record(Some("Zenith Partners"), Some("acme.com")),
            &client("Acme Inc", &["acme.com"]),
            &[],
        );
        assert_eq!(
            methods(&evidence),
            [
                (MatchMethod::EmailDomain, true),
                (MatchMethod::NormalisedName, false)
            ]
        );
        assert_eq!(combine(&evidence), Some(0.60));
    }

    #[test]
    fn a_close_name_is_fuzzy_and_a_personal_name_never_conflicts() {
        let fuzzy = assess(
            &record(Some("Acme Consultancy"), None),
            &client("Acme Consulting", &[]),
            &[],
        );
        assert_eq!(methods(&fuzzy), [(MatchMethod::FuzzyName, true)]);

        let mut personal = record(None, Some("acme.com"));
        personal.names = vec![("Jane Doe".into(), NameKey::new("jane doe".into()))];
        let evidence = assess(&personal, &client("Acme", &["acme.com"]), &[]);
        assert_eq!(methods(&evidence), [(MatchMethod::EmailDomain, true)]);
    }

    #[test]
    fn an_explicit_id_is_certain_and_pointing_elsewhere_lowers_others() {
        let acme = client("Acme", &["acme.com"]);
        let other = ClientId::parse("202").unwrap();
        let here = [ExplicitTarget {
            reference: "101",
            client_id: &acme.client_id,
        }];
        let with_conflict = assess(&record(Some("Zenith"), None), &acme, &here);
        assert_eq!(combine(&with_conflict), Some(1.0));

        let elsewhere = [ExplicitTarget {
            reference: "202",
            client_id: &other,
        }];
        let evidence = assess(&record(None, Some("acme.com")), &acme, &elsewhere);
        assert_eq!(
            methods(&evidence),
            [
                (MatchMethod::EmailDomain, true),
                (MatchMethod::ExplicitId, false)
            ]
        );
        assert_eq!(combine(&evidence), Some(0.40));
    }
}
