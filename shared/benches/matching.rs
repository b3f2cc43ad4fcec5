//! Matches a generated tenant of 10,000 companies against 50,000 PayPal payers, then reconciles the
//! candidates into correlations. Target: the whole run in under 1 s on one core. Prints the wall time
//! of each step and the correlations by status, with the default thresholds and with a review
//! threshold low enough that fuzzy names are searched too (the slow path).

use chrono::{TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shared::domain::{
    ClientId, ConnectionId, CorrelationStatus, MatchingSettings, Platform, TenantId,
};
use shared::matching::{
    is_dormant, match_records, reconcile, ClientProfile, Matcher, RecordProfile,
};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

const COMPANIES: usize = 10_000;
const PAYERS: usize = 50_000;

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ra", "ve", "to", "su", "ne", "di", "pa", "ro", "xi", "qu", "ba", "fe", "zo",
    "li", "mo", "ta", "gri", "stra", "vel", "dor", "nix",
];
const TRADES: &[&str] = &[
    "Consulting",
    "Logistics",
    "Dental",
    "Partners",
    "Solutions",
    "Group",
    "Labs",
    "Media",
    "Engineering",
    "Foods",
    "Legal",
    "Systems",
    "Health",
    "Studio",
    "Capital",
    "Builders",
];
const LEGAL: &[&str] = &["Inc", "LLC", "Ltd", "GmbH", "Corp.", "S.A.", "", "", ""];
const TLDS: &[&str] = &[".com", ".io", ".co.uk", ".de", ".net"];
const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "yahoo.co.uk",
    "icloud.com",
    "gmx.de",
];
const PEOPLE: &[&str] = &[
    "Jane Doe",
    "John Smith",
    "Ana García",
    "Li Wei",
    "Sam Patel",
];

fn word(rng: &mut StdRng) -> String {
    let count = rng.random_range(2..=3);
    let mut word: String = (0..count)
        .map(|_| SYLLABLES[rng.random_range(0..SYLLABLES.len())])
        .collect();
    if let Some(first) = word.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    word
}

fn companies(rng: &mut StdRng) -> Vec<ClientProfile> {
    let mut companies: Vec<ClientProfile> = Vec::with_capacity(COMPANIES);
    for n in 0..COMPANIES {
        // 2% are duplicates of an earlier company's name (a CRM's duplicate records).
        let base = if n > 0 && rng.random_bool(0.02) {
            let earlier = &companies[rng.random_range(0..n)];
            earlier.name.clone()
        } else {
            let trade = TRADES[rng.random_range(0..TRADES.len())];
            let legal = LEGAL[rng.random_range(0..LEGAL.len())];
            format!("{} {} {trade} {legal}", word(rng), word(rng))
                .trim()
                .to_string()
        };
        let slug: String = base
            .split_whitespace()
            .take(2)
            .collect::<String>()
            .to_lowercase();
        let domains = match rng.random_range(0..100) {
            0..10 => vec![],
            10..11 => vec!["gmail.com".to_string()],
            _ => vec![format!(
                "{slug}{n}{}",
                TLDS[rng.random_range(0..TLDS.len())]
            )],
        };
        companies.push(ClientProfile {
            client_id: ClientId::parse(format!("{}", 5_000_000_000u64 + n as u64)).unwrap(),
            name: base,
            domains,
        });
    }
    companies
}

fn payers(rng: &mut StdRng, companies: &[ClientProfile]) -> Vec<RecordProfile> {
    let connection = ConnectionId::parse("paypal-main").unwrap();
    (0..PAYERS)
        .map(|n| {
            let company = &companies[rng.random_range(0..companies.len())];
            let person = PEOPLE[rng.random_range(0..PEOPLE.len())].to_string();
            let free = FREE_MAIL[rng.random_range(0..FREE_MAIL.len())].to_string();
            let domain = company.domains.first().cloned().unwrap_or(free.clone());
            let mut payer = RecordProfile {
                platform: Platform::Paypal,
                connection_id: connection.clone(),
                external_id: format!("PAYER{n:07}"),
                names: vec![person],
                business_name: None,
                email_domain: None,
                website: None,
                verified_domains: vec![],
                reference_ids: vec![],
                device_serials: Vec::new(),
            };
            match rng.random_range(0..100) {
                // The company's domain and its name (another legal form, other case).
                0..25 => {
                    payer.email_domain = Some(domain);
                    payer.business_name = Some(company.name.to_uppercase().replace("INC", "Ltd"));
                }
                25..35 => payer.email_domain = Some(domain),
                35..55 => payer.email_domain = Some(free),
                55..65 => {
                    payer.email_domain = Some(free);
                    payer.reference_ids =
                        vec![format!("INV-{n}"), company.client_id.as_str().to_string()];
                }
                65..75 => payer.business_name = Some(company.name.clone()),
                // A renamed company: its domain, another name.
                75..80 => {
                    payer.email_domain = Some(domain);
                    payer.business_name = Some(format!("{} Holdings", word(rng)));
                }
                // A typo in the name, on free mail.
                80..85 => {
                    payer.email_domain = Some(free);
                    payer.business_name = Some(format!("{}s", company.name));
                }
                _ => {
                    payer.email_domain = Some(format!("{}{n}.example", word(rng).to_lowercase()));
                    payer.business_name = Some(format!("{} {}", word(rng), word(rng)));
                }
            }
            payer
        })
        .collect()
}

fn run(
    label: &str,
    settings: MatchingSettings,
    clients: &[ClientProfile],
    records: &[RecordProfile],
) {
    let tenant = TenantId::parse("bench").unwrap();
    let now = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let started = Instant::now();
    let matcher = Matcher::new(clients, &["our-msp.com".to_string()], settings);
    let indexed = started.elapsed();
    let candidates = match_records(&matcher, records);
    let matched = started.elapsed();
    let rows = reconcile(&tenant, &[], &candidates, &settings, now);
    let total = started.elapsed();
    let again = Instant::now();
    let unchanged = reconcile(&tenant, &rows, &candidates, &settings, now);
    let rerun = again.elapsed();
    let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
    for row in black_box(&rows) {
        let status = match row.status {
            _ if is_dormant(row) => "dormant",
            CorrelationStatus::Auto => "auto",
            CorrelationStatus::NeedsReview => "needs_review",
            CorrelationStatus::Confirmed => "confirmed",
            CorrelationStatus::Rejected => "rejected",
        };
        *by_status.entry(status).or_default() += 1;
    }
    let records_matched = candidates
        .iter()
        .filter(|c| !c.candidates.is_empty())
        .count();
    println!(
        "matching [{label}]: {} companies x {} payers in {:.3} s (index {:.3} s, match {:.3} s, reconcile {:.3} s); {records_matched} payers with candidates; correlations {by_status:?}; re-run over stored rows {:.3} s, {} rows to write",
        clients.len(),
        records.len(),
        total.as_secs_f64(),
        indexed.as_secs_f64(),
        (matched - indexed).as_secs_f64(),
        (total - matched).as_secs_f64(),
        rerun.as_secs_f64(),
        unchanged.len(),
    );
}

fn main() {
    let mut rng = StdRng::seed_from_u64(13);
    let clients = companies(&mut rng);
    let records = payers(&mut rng, &clients);
    run(
        "default thresholds",
        MatchingSettings::default(),
        &clients,
        &records,
    );
    let lenient = MatchingSettings {
        review: 0.40,
        ..MatchingSettings::default()
    };
    run(
        "review at 0.40, fuzzy names searched",
        lenient,
        &clients,
        &records,
    );
}
