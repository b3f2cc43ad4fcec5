//! Generates a seeded PayPal account whose payers line up with the given CRM companies in the ways a
//! matcher meets in practice (see [`Alignment`]), each with a payment story (see [`PaymentStory`]).

mod stories;

pub(crate) use stories::fee_for;

use std::collections::{BTreeMap, HashSet};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::config::{CompanySeed, SandboxConfig};
use crate::model::{Alignment, Payer, PaymentStory, World};

const FIRST_NAMES: &[&str] = &[
    "Alice", "Bruno", "Carla", "Dmitri", "Eva", "Felix", "Greta", "Hassan", "Irene", "Jakob",
    "Keiko", "Luis", "Mona", "Nils", "Oskar", "Priya", "Rafael", "Sofia", "Tomas", "Valeria",
];
const SURNAMES: &[&str] = &[
    "Andersen",
    "Becker",
    "Castillo",
    "Delgado",
    "Eriksen",
    "Fischer",
    "Gallo",
    "Hoffmann",
    "Ibrahim",
    "Jovanovic",
    "Keller",
    "Larsen",
    "Moreau",
    "Nakamura",
    "Ortega",
    "Petrov",
];
const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "icloud.com",
    "hotmail.com",
];
/// First words a renamed company's old name had.
const OLD_NAME_WORDS: &[&str] = &[
    "Legacy", "Pioneer", "Keystone", "Union", "Crescent", "Atlas",
];
/// Businesses that pay the merchant but are not in the CRM.
const OUTSIDERS: &[&str] = &[
    "Brightwater Studio",
    "Copperfield Bakery",
    "Driftwood Yoga",
    "Evergreen Tutoring",
    "Foxglove Florist",
    "Gingham Interiors",
    "Hollow Oak Brewing",
    "Juniper Vet Care",
    "Kestrel Surveying",
    "Lantern Print Shop",
];
const LEGAL_SUFFIXES: &[&str] = &["inc", "llc", "ltd", "co", "gmbh", "group", "corp", "plc"];
const COUNTRIES: &[(&str, &str)] = &[("US", "1"), ("GB", "44"), ("DE", "49"), ("CA", "1")];

pub(crate) struct Generator<'a> {
    pub rng: StdRng,
    pub config: &'a SandboxConfig,
    pub world: World,
}

impl Generator<'_> {
    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.random_range(0..items.len())]
    }
}

/// Upper-case letters and digits, PayPal's id alphabet.
pub(crate) fn alnum(rng: &mut impl Rng, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A 17-character transaction id.
pub(crate) fn transaction_id(rng: &mut impl Rng) -> String {
    alnum(rng, 17)
}

/// `INV2-XXXX-XXXX-XXXX-XXXX`.
pub(crate) fn invoice_id(rng: &mut impl Rng) -> String {
    let groups: Vec<String> = (0..4).map(|_| alnum(rng, 4)).collect();
    format!("INV2-{}", groups.join("-"))
}

/// A company name reduced for comparison: lower case, no punctuation, no legal suffix.
pub(crate) fn normalised_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    cleaned
        .split_whitespace()
        .filter(|word| !LEGAL_SUFFIXES.contains(word))
        .collect::<Vec<_>>()
        .join(" ")
}

fn domain_of(company: &CompanySeed) -> Option<String> {
    company
        .domain
        .as_deref()
        .map(|d| d.trim().trim_start_matches("www.").to_ascii_lowercase())
        .filter(|d| d.contains('.'))
}

fn email_local(given: &str, surname: &str) -> String {
    format!("{given}.{surname}")
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect()
}

/// Generates the account for `config` with dates relative to `anchor_ms`.
pub(crate) fn generate(config: &SandboxConfig, anchor_ms: i64) -> World {
    let mut g = Generator {
        rng: StdRng::seed_from_u64(config.seed),
        config,
        world: World {
            anchor_ms,
            next_invoice_number: 1,
            ..World::default()
        },
    };
    let plans = plan_payers(&mut g);
    for plan in plans {
        let payer = make_payer(&mut g, plan);
        g.world.payers.push(payer);
    }
    stories::write_histories(&mut g);
    g.world
}

struct PayerPlan {
    company: Option<usize>,
    alignment: Alignment,
    story: PaymentStory,
    /// The business name of an outsider payer.
    outsider_name: Option<String>,
}

fn plan_payers(g: &mut Generator) -> Vec<PayerPlan> {
    let companies = &g.config.companies;
    let mut order: Vec<usize> = (0..companies.len()).collect();
    order.shuffle(&mut g.rng);
    // Two CRM companies with the same name: the first pair found gets a free-mail payer under it.
    let mut by_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, company) in companies.iter().enumerate() {
        by_name
            .entry(normalised_name(&company.name))
            .or_default()
            .push(i);
    }
    let shared = by_name
        .values()
        .find(|members| members.len() >= 2)
        .map(|members| members[0]);

    let mut plans = Vec::new();
    let guaranteed = [
        Alignment::SameDomain,
        Alignment::Renamed,
        Alignment::FreeMail,
        Alignment::CustomId,
    ];
    let paying = (companies.len() * 7).div_ceil(10);
    for (rank, &company) in order.iter().take(paying).enumerate() {
        if Some(company) == shared {
            continue;
        }
        let has_domain = domain_of(&companies[company]).is_some();
        let mut alignment = match guaranteed.get(rank) {
            Some(&kind) => kind,
            None => {
                let roll = g.rng.random_range(0..100);
                match roll {
                    0..55 => Alignment::SameDomain,
                    55..75 => Alignment::FreeMail,
                    75..90 => Alignment::CustomId,
                    _ => Alignment::Renamed,
                }
            }
        };
        if !has_domain && matches!(alignment, Alignment::SameDomain | Alignment::Renamed) {
            alignment = Alignment::CustomId;
        }
        plans.push(PayerPlan {
            company: Some(company),
            alignment,
            story: PaymentStory::OnTime,
            outsider_name: None,
        });
        // Some companies pay from two addresses (the owner and the bookkeeper).
        if alignment == Alignment::SameDomain && g.chance(0.15) {
            plans.push(PayerPlan {
                company: Some(company),
                alignment,
                story: PaymentStory::OnTime,
                outsider_name: None,
            });
        }
    }
    if let Some(company) = shared {
        plans.push(PayerPlan {
            company: Some(company),
            alignment: Alignment::SharedName,
            story: PaymentStory::OnTime,
            outsider_name: None,
        });
    }
    // A namesake: an outside business with a CRM company's name.
    if let Some(&company) = order.last() {
        plans.push(PayerPlan {
            company: None,
            alignment: Alignment::Namesake,
            story: PaymentStory::OnTime,
            outsider_name: Some(companies[company].name.clone()),
        });
    }
    let taken: HashSet<String> = companies.iter().map(|c| normalised_name(&c.name)).collect();
    let mut outsiders: Vec<&str> = OUTSIDERS
        .iter()
        .copied()
        .filter(|name| !taken.contains(&normalised_name(name)))
        .collect();
    outsiders.shuffle(&mut g.rng);
    for i in 0..g.config.unmatched_payers {
        let base = outsiders
            .get(i % outsiders.len().max(1))
            .copied()
            .unwrap_or("Solo Trader");
        let round = i / outsiders.len().max(1);
        let name = if round == 0 {
            base.to_owned()
        } else {
            format!("{base} {}", round + 1)
        };
        plans.push(PayerPlan {
            company: None,
            alignment: Alignment::Unmatched,
            story: PaymentStory::OnTime,
            outsider_name: Some(name),
        });
    }
    assign_stories(g, &mut plans);
    plans
}

/// Every story appears at least once among CRM payers; free-mail payers get invoice stories, since
/// only an invoice carries their business name.
fn assign_stories(g: &mut Generator, plans: &mut [PayerPlan]) {
    let guaranteed = [
        PaymentStory::LatePayer,
        PaymentStory::FailedSubscription,
        PaymentStory::DisputeChargeback,
        PaymentStory::Refunds,
        PaymentStory::HealthySubscription,
    ];
    let mut next_guaranteed = 0;
    for plan in plans.iter_mut() {
        let invoice_only = matches!(plan.alignment, Alignment::FreeMail | Alignment::SharedName);
        let subscription_ok = !invoice_only && plan.company.is_some();
        let story = if plan.company.is_none() {
            if g.chance(0.3) {
                PaymentStory::HealthySubscription
            } else {
                PaymentStory::OnTime
            }
        } else if next_guaranteed < guaranteed.len()
            && (subscription_ok
                || !matches!(
                    guaranteed[next_guaranteed],
                    PaymentStory::FailedSubscription | PaymentStory::HealthySubscription
                ))
        {
            next_guaranteed += 1;
            guaranteed[next_guaranteed - 1]
        } else {
            let roll = g.rng.random_range(0..100);
            match roll {
                0..45 => PaymentStory::OnTime,
                45..63 => PaymentStory::LatePayer,
                63..75 if subscription_ok => PaymentStory::HealthySubscription,
                75..85 if subscription_ok => PaymentStory::FailedSubscription,
                85..93 => PaymentStory::Refunds,
                93..100 => PaymentStory::DisputeChargeback,
                _ => PaymentStory::OnTime,
            }
        };
        plan.story = story;
    }
}

fn make_payer(g: &mut Generator, plan: PayerPlan) -> Payer {
    let given = g.pick(FIRST_NAMES).to_owned();
    let surname = g.pick(SURNAMES).to_owned();
    let (country_code, calling) = g.pick(COUNTRIES);
    let phone = g
        .rng
        .random_range(2_000_000_000u64..9_999_999_999)
        .to_string();
    let account_id = alnum(&mut g.rng, 13);
    let local = email_local(&given, &surname);
    let company = plan.company.map(|i| g.config.companies[i].clone());
    let free_mail = format!("{local}@{}", g.pick(FREE_MAIL));
    let (email, business_name, custom_id) = match (&company, plan.alignment) {
        (Some(c), Alignment::SameDomain) => {
            let domain = domain_of(c).unwrap_or_default();
            (format!("{local}@{domain}"), Some(c.name.clone()), None)
        }
        (Some(c), Alignment::Renamed) => {
            let domain = domain_of(c).unwrap_or_default();
            let tail = c
                .name
                .split_whitespace()
                .nth(1)
                .unwrap_or("Services")
                .to_owned();
            let old = format!("{} {tail} Ltd", g.pick(OLD_NAME_WORDS));
            (format!("billing@{domain}"), Some(old), None)
        }
        (Some(c), Alignment::CustomId) => {
            // A business account on a domain of its own that the CRM does not know.
            let stem: String = normalised_name(&c.name).replace(' ', "");
            let email = format!("accounts@{stem}-hq.net");
            (email, Some(c.name.clone()), Some(c.hubspot_id.clone()))
        }
        (Some(_), _) => (free_mail, None, None),
        (None, Alignment::Namesake) => {
            let name = plan.outsider_name.clone().unwrap_or_default();
            let stem = normalised_name(&name).replace(' ', "");
            (format!("{local}@{stem}.co.nz"), Some(name), None)
        }
        (None, _) => {
            let name = plan.outsider_name.clone().unwrap_or_default();
            let stem = normalised_name(&name).replace(' ', "");
            let email = if g.chance(0.3) {
                free_mail
            } else {
                format!("{local}@{stem}.com")
            };
            (email, Some(name), None)
        }
    };
    Payer {
        account_id,
        given_name: given,
        surname,
        email,
        business_name,
        country_code,
        phone_country: calling,
        phone,
        custom_id,
        hubspot_company_id: company.map(|c| c.hubspot_id),
        alignment: plan.alignment,
        story: plan.story,
    }
}

/// The name the merchant writes on the payer's invoices: the CRM name for a free-mail payer.
pub(crate) fn invoice_business_name(g: &Generator, payer: &Payer) -> Option<String> {
    match payer.alignment {
        Alignment::FreeMail | Alignment::SharedName => payer
            .hubspot_company_id
            .as_ref()
            .and_then(|id| g.config.companies.iter().find(|c| &c.hubspot_id == id))
            .map(|c| c.name.clone()),
        _ => payer.business_name.clone(),
    }
}
