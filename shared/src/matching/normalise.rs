//! Normalisation of what matching compares: domains (hosts of URLs and email addresses, with free-mail
//! and shared-hosting domains recognised so they never count as evidence) and business names (case,
//! punctuation, accents, legal suffixes).

/// Mail providers and ISPs whose addresses anyone can have, and platforms' shared or initial domains
/// (`acme.onmicrosoft.com`, `acme.myshopify.com`): never evidence of who a record is. A domain is
/// shared when it, or a parent of it, is listed. Sorted, so a binary search finds an entry.
const SHARED_DOMAINS: &[&str] = &[
    "126.com",
    "163.com",
    "aim.com",
    "alice.it",
    "att.net",
    "bellsouth.net",
    "bigpond.com",
    "bluewin.ch",
    "blueyonder.co.uk",
    "btinternet.com",
    "charter.net",
    "comcast.net",
    "cox.net",
    "earthlink.net",
    "fastmail.com",
    "fastmail.fm",
    "free.fr",
    "freenet.de",
    "gmail.com",
    "googlemail.com",
    "hey.com",
    "hushmail.com",
    "icloud.com",
    "inbox.com",
    "interia.pl",
    "kpnmail.nl",
    "laposte.net",
    "libero.it",
    "mac.com",
    "mail.com",
    "mail.ru",
    "me.com",
    "myshopify.com",
    "naver.com",
    "ntlworld.com",
    "o2.pl",
    "onet.pl",
    "onmicrosoft.com",
    "optonline.net",
    "orange.fr",
    "pm.me",
    "proton.me",
    "protonmail.ch",
    "protonmail.com",
    "qq.com",
    "rediffmail.com",
    "rocketmail.com",
    "rogers.com",
    "sbcglobal.net",
    "seznam.cz",
    "sfr.fr",
    "shaw.ca",
    "sky.com",
    "sympatico.ca",
    "t-online.de",
    "talktalk.net",
    "telus.net",
    "tiscali.it",
    "tuta.io",
    "tutanota.com",
    "verizon.net",
    "virgilio.it",
    "virginmedia.com",
    "wanadoo.fr",
    "web.de",
    "wixsite.com",
    "wp.pl",
    "xs4all.nl",
    "ymail.com",
    "ziggo.nl",
    "zoho.com",
    "zohomail.com",
];

/// Free-mail brands with a domain per country (`hotmail.co.uk`, `yahoo.fr`, `gmx.de`): a domain whose
/// first label is one of these, followed only by short country or generic labels, is shared. Sorted.
const SHARED_BRANDS: &[&str] = &[
    "aol", "gmx", "hotmail", "live", "msn", "outlook", "yahoo", "yandex",
];

/// Legal-form words dropped from the end of a business name. Sorted.
const LEGAL_SUFFIXES: &[&str] = &[
    "ab",
    "ag",
    "as",
    "asa",
    "bhd",
    "bv",
    "bvba",
    "co",
    "company",
    "corp",
    "corporation",
    "cv",
    "eg",
    "ev",
    "gbr",
    "gmbh",
    "inc",
    "incorporated",
    "kft",
    "kg",
    "kgaa",
    "kk",
    "lda",
    "limited",
    "llc",
    "llp",
    "lp",
    "ltd",
    "ltda",
    "mbh",
    "nv",
    "oy",
    "oyj",
    "plc",
    "pllc",
    "pte",
    "pty",
    "pvt",
    "sa",
    "sarl",
    "sas",
    "sasu",
    "sl",
    "spa",
    "sprl",
    "srl",
    "sro",
    "ug",
    "ulc",
];

/// The host of a domain, URL or email address, lower case, without `www.`, port, path or trailing
/// dot, internationalised names in their ASCII (punycode) form. `None` for what is not a domain name
/// with at least two labels (IP addresses, `localhost`, empty text).
pub fn normalise_domain(raw: &str) -> Option<String> {
    let mut host = raw.trim();
    if let Some((_, rest)) = host.split_once("://") {
        host = rest;
    }
    if let Some(end) = host.find(['/', '?', '#']) {
        host = &host[..end];
    }
    // An email address or a URL's user info: the host is after the last '@'.
    if let Some((_, rest)) = host.rsplit_once('@') {
        host = rest;
    }
    if let Some((name, port)) = host.rsplit_once(':') {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            host = name;
        }
    }
    let host = host.trim_end_matches('.');
    let host = match url::Host::parse(host).ok()? {
        url::Host::Domain(domain) => domain,
        url::Host::Ipv4(_) | url::Host::Ipv6(_) => return None,
    };
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    let labels_ok = host
        .split('.')
        .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
    (labels_ok && host.contains('.')).then_some(host)
}

/// The domain and its parents down to two labels (`eu.acme.com`, `acme.com`): a record's address on
/// a company's subdomain still speaks for the company.
pub fn domain_and_parents(domain: &str) -> impl Iterator<Item = &str> {
    let labels = domain.split('.').count();
    let mut rest = Some(domain);
    (0..labels.saturating_sub(1)).filter_map(move |_| {
        let current = rest?;
        rest = current.split_once('.').map(|(_, parent)| parent);
        Some(current)
    })
}

/// Whether anyone can have an address at this (normalised) domain: free mail, an ISP, a platform's
/// shared or initial domain. Such a domain is never evidence.
pub fn is_shared_domain(domain: &str) -> bool {
    if domain_and_parents(domain).any(|d| SHARED_DOMAINS.binary_search(&d).is_ok()) {
        return true;
    }
    let mut labels = domain.split('.');
    let brand = labels.next().unwrap_or_default();
    let country_or_generic = labels.all(|label| (2..=3).contains(&label.len()));
    country_or_generic && SHARED_BRANDS.binary_search(&brand).is_ok()
}

/// A business name reduced to what identifies it: ASCII (accents and other scripts transliterated),
/// lower case, punctuation gone (`&` and `+` read as "and"), a leading "the" and trailing legal forms
/// dropped ("The Acme Company, Inc." and "ACME co" are both `acme`). `None` when nothing is left.
pub fn normalise_name(raw: &str) -> Option<String> {
    let ascii = deunicode::deunicode(raw).to_ascii_lowercase();
    let mut spaced = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        match c {
            // Dotted and apostrophised forms are one word: "L.L.C." is "llc", "O'Neil" is "oneil".
            '.' | '\'' | '`' => {}
            '&' | '+' => spaced.push_str(" and "),
            c if c.is_ascii_alphanumeric() => spaced.push(c),
            _ => spaced.push(' '),
        }
    }
    let mut tokens: Vec<&str> = spaced.split_whitespace().collect();
    if tokens.len() > 1 && tokens[0] == "the" {
        tokens.remove(0);
    }
    while tokens.len() > 1 {
        let last = tokens[tokens.len() - 1];
        if last == "and" || LEGAL_SUFFIXES.binary_search(&last).is_ok() {
            tokens.pop();
        } else {
            break;
        }
    }
    (!tokens.is_empty()).then(|| tokens.join(" "))
}

/// How alike two normalised names are, 0-1 (Jaro-Winkler: typos and shared beginnings score high).
pub fn name_similarity(a: &str, b: &str) -> f64 {
    strsim::jaro_winkler(a, b)
}

/// A normalised name with its letter counts, which bound the similarity of two names cheaply: most
/// pairs a block brings together are told apart without running Jaro-Winkler.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NameKey {
    pub text: String,
    /// Occurrences of a-z, 0-9 and anything else (spaces), each capped at 255.
    letters: [u8; 37],
}

impl NameKey {
    pub fn new(text: String) -> Self {
        let mut letters = [0u8; 37];
        for b in text.bytes() {
            let at = match b {
                b'a'..=b'z' => usize::from(b - b'a'),
                b'0'..=b'9' => 26 + usize::from(b - b'0'),
                _ => 36,
            };
            letters[at] = letters[at].saturating_add(1);
        }
        Self { text, letters }
    }

    /// The Jaro-Winkler similarity when it is at least `at_least`. Jaro's matching characters are at
    /// most the letters the names have in common, which bounds the score from above; a pair whose
    /// bound is below `at_least` is not compared.
    pub fn similarity_at_least(&self, other: &NameKey, at_least: f64) -> Option<f64> {
        let common: u32 = self
            .letters
            .iter()
            .zip(&other.letters)
            .map(|(a, b)| u32::from(*a.min(b)))
            .sum();
        let (a, b) = (self.text.len() as f64, other.text.len() as f64);
        if a == 0.0 || b == 0.0 {
            return None;
        }
        let common = f64::from(common);
        let jaro_bound = ((common / a).min(1.0) + (common / b).min(1.0) + 1.0) / 3.0;
        // Winkler's boost is at most 4 x 0.1 of what Jaro leaves.
        let bound = jaro_bound + 0.4 * (1.0 - jaro_bound);
        if bound < at_least {
            return None;
        }
        let similarity = name_similarity(&self.text, &other.text);
        (similarity >= at_least).then_some(similarity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_are_sorted_so_binary_search_finds_every_entry() {
        for table in [SHARED_DOMAINS, SHARED_BRANDS, LEGAL_SUFFIXES] {
            assert!(table.windows(2).all(|w| w[0] < w[1]), "{:?}", table);
        }
    }

    #[test]
    fn a_domain_is_the_bare_lower_case_host() {
        for (raw, expected) in [
            ("Acme.COM", Some("acme.com")),
            ("https://www.acme.com/about?x=1", Some("acme.com")),
            ("http://shop.acme.com:8080", Some("shop.acme.com")),
            ("acme.com.", Some("acme.com")),
            ("www.acme.co.uk/", Some("acme.co.uk")),
            ("jane.doe@Acme.com", Some("acme.com")),
            ("münchen.de", Some("xn--mnchen-3ya.de")),
            ("localhost", None),
            ("10.0.0.1", None),
            ("", None),
            ("not a domain", None),
        ] {
            assert_eq!(normalise_domain(raw).as_deref(), expected, "{raw}");
        }
    }

    #[test]
    fn parents_stop_at_two_labels() {
        let all: Vec<&str> = domain_and_parents("eu.shop.acme.com").collect();
        assert_eq!(all, ["eu.shop.acme.com", "shop.acme.com", "acme.com"]);
        assert_eq!(
            domain_and_parents("acme.com").collect::<Vec<_>>(),
            ["acme.com"]
        );
    }

    #[test]
    fn free_mail_isp_and_shared_domains_are_recognised() {
        for shared in [
            "gmail.com",
            "googlemail.com",
            "hotmail.co.uk",
            "hotmail.fr",
            "yahoo.com.au",
            "gmx.de",
            "web.de",
            "comcast.net",
            "proton.me",
            "acme.onmicrosoft.com",
            "acme.myshopify.com",
        ] {
            assert!(is_shared_domain(shared), "{shared}");
        }
        for own in [
            "acme.com",
            "livenation.com",
            "yahoo-partners.example",
            "outlookconsulting.com",
            "live.nation",
            "gmail.acme.com",
        ] {
            assert!(!is_shared_domain(own), "{own}");
        }
    }

    #[test]
    fn names_lose_case_punctuation_accents_and_legal_forms() {
        for (raw, expected) in [
            ("The Acme Company, Inc.", "acme"),
            ("ACME co", "acme"),
            ("Acme L.L.C.", "acme"),
            ("Société Générale S.A.", "societe generale"),
            ("Øresund Consulting GmbH", "oresund consulting"),
            ("Smith & Sons Ltd", "smith and sons"),
            ("Smith and Co.", "smith"),
            ("O'Neil Plumbing", "oneil plumbing"),
            ("Acme Holdings Pty Ltd", "acme holdings"),
        ] {
            assert_eq!(normalise_name(raw).as_deref(), Some(expected), "{raw}");
        }
        // A name made only of a legal form keeps it rather than vanish.
        assert_eq!(normalise_name("Company").as_deref(), Some("company"));
        assert_eq!(normalise_name(" -- ").as_deref(), None);
    }

    #[test]
    fn similar_names_score_high_and_different_ones_low() {
        assert!(name_similarity("acme consulting", "acme consultancy") > 0.9);
        assert!(name_similarity("acme", "zenith partners") < 0.6);
    }

    #[test]
    fn the_letter_bound_never_hides_a_similar_pair() {
        let names = [
            "acme consulting",
            "acme consultancy",
            "acme",
            "acmee",
            "globex",
            "globexx",
            "zenith partners",
            "kaloravi dental",
            "kaloravi dentals",
            "ab",
        ];
        for a in names {
            for b in names {
                let exact = name_similarity(a, b);
                let bounded =
                    NameKey::new(a.into()).similarity_at_least(&NameKey::new(b.into()), 0.9);
                assert_eq!(bounded, (exact >= 0.9).then_some(exact), "{a} / {b}");
            }
        }
    }
}
