//! Generates a seeded Pax8 account whose companies line up with the given CRM companies in the ways
//! a matcher meets in practice (see [`Alignment`]), each with a subscription story (see
//! [`SubscriptionStory`]).

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::config::{CompanySeed, SandboxConfig};
use crate::model::{
    Alignment, Company, Contact, Product, Subscription, SubscriptionStory, Version, World, DAY_MS,
};

const FIRST_NAMES: &[&str] = &[
    "Alice", "Bruno", "Carla", "Dmitri", "Eva", "Felix", "Greta", "Hassan", "Irene", "Jakob",
];
const SURNAMES: &[&str] = &[
    "Andersen", "Becker", "Castillo", "Delgado", "Eriksen", "Fischer", "Gallo", "Hoffmann",
];
const FREE_MAIL: &[&str] = &["gmail.com", "outlook.com", "yahoo.com"];
const LEGAL_SUFFIXES: &[&str] = &[", Inc.", " LLC", " Ltd", " Group", " Corp."];
const CITIES: &[(&str, &str)] = &[
    ("Greenwood Village", "US"),
    ("Denver", "US"),
    ("Toronto", "CA"),
    ("Leeds", "GB"),
];
/// Clients the MSP serves through Pax8 that the CRM does not have.
const OUTSIDERS: &[&str] = &[
    "Brightwater Studio",
    "Copperfield Bakery",
    "Driftwood Yoga",
    "Evergreen Tutoring",
    "Foxglove Florist",
    "Hollow Oak Brewing",
    "Juniper Vet Care",
    "Kestrel Surveying",
];
/// The catalogue subscriptions are drawn from (ids fixed so product lookups are stable).
pub(crate) const PRODUCTS: &[Product] = &[
    Product {
        id: "4f76b357-9ac1-47fa-9369-feb80a32f87e",
        name: "Microsoft 365 Business Premium",
        vendor: "Microsoft",
        price: 22.0,
    },
    Product {
        id: "1810aea9-0c95-421d-a77a-7ebccdfa2f6c",
        name: "Microsoft 365 Business Standard",
        vendor: "Microsoft",
        price: 12.5,
    },
    Product {
        id: "e91bba5e-a9a3-483f-b036-f80165d410e3",
        name: "Microsoft Office 365 E3",
        vendor: "Microsoft",
        price: 23.0,
    },
    Product {
        id: "8540387d-967b-4bba-9a5c-2c41e5769c6e",
        name: "Exchange Online (Plan 1)",
        vendor: "Microsoft",
        price: 4.0,
    },
    Product {
        id: "2d3432cb-5a61-4f87-a197-7ea8e2227aeb",
        name: "Google Workspace Business Starter",
        vendor: "Google",
        price: 6.0,
    },
    Product {
        id: "5766ecd7-a0bf-4ee0-ba1d-bd3ca92ca555",
        name: "Proofpoint Essentials - Professional",
        vendor: "Proofpoint",
        price: 4.5,
    },
    Product {
        id: "7597a0fd-f0ec-4547-8a20-fd2d3f311a5c",
        name: "Adobe Creative Cloud",
        vendor: "Adobe",
        price: 54.99,
    },
    Product {
        id: "25d15d2e-b293-4393-9e16-e6890a6650b0",
        name: "Webroot SecureAnywhere Business Endpoint Protection",
        vendor: "Webroot",
        price: 3.0,
    },
    Product {
        id: "b3bb9455-c454-4efa-9be8-15b86caf6933",
        name: "Acronis Cyber Protect Cloud",
        vendor: "Acronis",
        price: 8.0,
    },
    Product {
        id: "aaaee3f0-262c-47a4-b0e6-f9ce8b54fcd7",
        name: "Dropbox Business Advanced",
        vendor: "Dropbox",
        price: 18.0,
    },
];

/// A v4-shaped UUID from the seeded generator.
pub(crate) fn uuid(rng: &mut impl Rng) -> String {
    let a: u32 = rng.random();
    let b: u16 = rng.random();
    let c: u16 = rng.random::<u16>() & 0x0fff;
    let d: u16 = (rng.random::<u16>() & 0x3fff) | 0x8000;
    let e: u64 = rng.random::<u64>() & 0xffff_ffff_ffff;
    format!("{a:08x}-{b:04x}-4{c:03x}-{d:04x}-{e:012x}")
}

fn slug(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Drops the first vowel after the first letter ("Northwind" -> "Nrthwind"): a typo in the name.
fn misspelt(name: &str) -> String {
    let mut dropped = false;
    name.char_indices()
        .filter(|(i, c)| {
            let drop = !dropped && *i > 0 && "aeiou".contains(*c);
            dropped |= drop;
            !drop
        })
        .map(|(_, c)| c)
        .collect()
}

struct Generator<'a> {
    rng: StdRng,
    config: &'a SandboxConfig,
    world: World,
}

pub(crate) fn generate(config: &SandboxConfig, anchor_ms: i64) -> World {
    let mut generator = Generator {
        rng: StdRng::seed_from_u64(config.seed),
        config,
        world: World {
            anchor_ms,
            products: PRODUCTS.to_vec(),
            ..World::default()
        },
    };
    generator.world.account_id = uuid(&mut generator.rng);
    for seed in &config.companies {
        // One company in twelve is not served through Pax8.
        if generator.rng.random_ratio(1, 12) {
            continue;
        }
        generator.aligned_company(seed);
    }
    for index in 0..config.extra_companies {
        generator.outsider(index);
    }
    generator.world
}

impl Generator<'_> {
    fn story(&mut self) -> SubscriptionStory {
        match self.rng.random_range(0..20) {
            0..=7 => SubscriptionStory::Healthy,
            8..=10 => SubscriptionStory::Growing,
            11..=13 => SubscriptionStory::Shrinking,
            14..=16 => SubscriptionStory::Cancelling,
            _ => SubscriptionStory::RenewalDue,
        }
    }

    fn website(&mut self, domain: &str) -> String {
        match self.rng.random_range(0..3) {
            0 => format!("https://www.{domain}/"),
            1 => format!("https://{domain}"),
            // Pax8's own examples hold bare hosts.
            _ => domain.to_owned(),
        }
    }

    fn aligned_company(&mut self, seed: &CompanySeed) {
        let alignment = match self.rng.random_range(0..20) {
            0..=5 => Alignment::ExternalId,
            6..=12 => Alignment::Website,
            13..=16 => Alignment::Renamed,
            _ => Alignment::NameOnly,
        };
        let domain = seed.domain.clone();
        let (name, website, external_id) = match alignment {
            Alignment::ExternalId => {
                let website = match &domain {
                    Some(d) if self.rng.random_bool(0.5) => Some(self.website(d)),
                    _ => None,
                };
                (seed.name.clone(), website, Some(seed.hubspot_id.clone()))
            }
            Alignment::Website => {
                let website = domain.as_deref().map(|d| self.website(d));
                (seed.name.clone(), website, None)
            }
            Alignment::Renamed => {
                let name = if self.rng.random_bool(0.6) {
                    let suffix = LEGAL_SUFFIXES[self.rng.random_range(0..LEGAL_SUFFIXES.len())];
                    format!("{}{suffix}", seed.name)
                } else {
                    misspelt(&seed.name)
                };
                let website = match &domain {
                    Some(d) if self.rng.random_bool(0.5) => Some(self.website(d)),
                    _ => None,
                };
                // Some MSPs keep their own codes in externalId: not a HubSpot id.
                let external_id = self
                    .rng
                    .random_bool(0.3)
                    .then(|| format!("C{:03}", self.rng.random_range(100..999)));
                (name, website, external_id)
            }
            Alignment::NameOnly | Alignment::PlatformOnly => (seed.name.clone(), None, None),
        };
        let mail_domain = domain.unwrap_or_else(|| format!("{}.com", slug(&seed.name)));
        self.push_company(
            name,
            website,
            external_id,
            &mail_domain,
            Some(seed.hubspot_id.clone()),
            alignment,
        );
    }

    fn outsider(&mut self, index: usize) {
        let base = OUTSIDERS[index % OUTSIDERS.len()];
        let round = index / OUTSIDERS.len();
        let name = if round == 0 {
            base.to_owned()
        } else {
            format!("{base} {round}")
        };
        let domain = format!("{}.com", slug(&name));
        let website = self.rng.random_bool(0.5).then(|| self.website(&domain));
        let id = self.push_company(name, website, None, &domain, None, Alignment::PlatformOnly);
        // The last outsider was deleted in Pax8: listed with status Deleted.
        if index + 1 == self.config.extra_companies && index > 0 {
            self.world.companies[id].status = "Deleted";
        }
    }

    fn push_company(
        &mut self,
        name: String,
        website: Option<String>,
        external_id: Option<String>,
        mail_domain: &str,
        hubspot_id: Option<String>,
        alignment: Alignment,
    ) -> usize {
        let anchor = self.world.anchor_ms;
        let (city, country) = CITIES[self.rng.random_range(0..CITIES.len())];
        let contacts = (0..self.rng.random_range(1..=3))
            .map(|_| {
                let first = FIRST_NAMES[self.rng.random_range(0..FIRST_NAMES.len())];
                let last = SURNAMES[self.rng.random_range(0..SURNAMES.len())];
                let domain = if self.rng.random_ratio(1, 5) {
                    FREE_MAIL[self.rng.random_range(0..FREE_MAIL.len())].to_owned()
                } else {
                    mail_domain.to_owned()
                };
                Contact {
                    id: uuid(&mut self.rng),
                    first_name: first,
                    last_name: last,
                    email: format!(
                        "{}.{}@{domain}",
                        first.to_ascii_lowercase(),
                        last.to_ascii_lowercase()
                    ),
                    phone: format!(
                        "555-{:03}-{:04}",
                        self.rng.random_range(100..999),
                        self.rng.random_range(0..9999)
                    ),
                    created_ms: anchor - self.rng.random_range(30..900) * DAY_MS,
                }
            })
            .collect();
        let story = self.story();
        let company = Company {
            id: uuid(&mut self.rng),
            name,
            website,
            external_id,
            status: "Active",
            updated_ms: anchor - self.rng.random_range(1..400) * DAY_MS / 2,
            city,
            postal_code: format!("{:05}", self.rng.random_range(10_000..99_999)),
            country,
            contacts,
            hubspot_id,
            alignment,
            story,
        };
        self.world.companies.push(company);
        let index = self.world.companies.len() - 1;
        self.subscriptions(index, story);
        index
    }

    fn subscriptions(&mut self, company: usize, story: SubscriptionStory) {
        let anchor = self.world.anchor_ms;
        let most = (self.config.subscriptions_per_company * 2)
            .saturating_sub(1)
            .max(1);
        // Few or many products: 1 up to twice the average less one.
        let count = self.rng.random_range(1..=most).min(PRODUCTS.len());
        let mut products: Vec<usize> = (0..PRODUCTS.len()).collect();
        products.shuffle(&mut self.rng);
        for (n, product) in products.into_iter().take(count).enumerate() {
            let created_ms = anchor - self.rng.random_range(120..900) * DAY_MS;
            let base: f64 = self.rng.random_range(2..40) as f64;
            let mut versions = vec![Version {
                at_ms: created_ms,
                quantity: base,
                status: "Active",
            }];
            let mut billing_term = if self.rng.random_ratio(1, 4) {
                "Annual"
            } else {
                "Monthly"
            };
            let mut end_ms = None;
            let change = |rng: &mut StdRng, days: (i64, i64)| {
                anchor - rng.random_range(days.0..days.1) * DAY_MS
            };
            match story {
                // A renewal that kept the seats.
                SubscriptionStory::Healthy if self.rng.random_bool(0.3) => {
                    let at_ms = change(&mut self.rng, (30, 110));
                    versions.push(Version {
                        at_ms,
                        quantity: base,
                        status: "Active",
                    });
                }
                SubscriptionStory::Growing => {
                    let first = change(&mut self.rng, (60, 110));
                    let second = change(&mut self.rng, (3, 50));
                    versions.push(Version {
                        at_ms: first,
                        quantity: base + 3.0,
                        status: "Active",
                    });
                    versions.push(Version {
                        at_ms: second,
                        quantity: base + 8.0,
                        status: "Active",
                    });
                }
                SubscriptionStory::Shrinking => {
                    let top = base + 12.0;
                    versions[0].quantity = top;
                    let first = change(&mut self.rng, (60, 110));
                    let second = change(&mut self.rng, (3, 50));
                    versions.push(Version {
                        at_ms: first,
                        quantity: top - 5.0,
                        status: "Active",
                    });
                    versions.push(Version {
                        at_ms: second,
                        quantity: (top - 11.0).max(1.0),
                        status: "Active",
                    });
                }
                SubscriptionStory::Cancelling if n < 2 => {
                    let at_ms = change(&mut self.rng, (2, 40));
                    let status = if n == 0 { "Cancelled" } else { "PendingCancel" };
                    versions.push(Version {
                        at_ms,
                        quantity: base,
                        status,
                    });
                    end_ms = Some(if n == 0 {
                        at_ms
                    } else {
                        anchor + self.rng.random_range(5..25) * DAY_MS
                    });
                }
                SubscriptionStory::RenewalDue if n == 0 => {
                    billing_term = "Annual";
                    end_ms = Some(anchor + self.rng.random_range(3..30) * DAY_MS);
                }
                _ => {}
            }
            if billing_term == "Annual" && end_ms.is_none() {
                end_ms = Some(anchor + self.rng.random_range(60..330) * DAY_MS);
            }
            let price = PRODUCTS[product].price;
            self.world.subscriptions.push(Subscription {
                id: uuid(&mut self.rng),
                company,
                product,
                billing_term,
                start_ms: created_ms + DAY_MS,
                end_ms,
                created_ms,
                price,
                versions,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelling_drops_one_inner_vowel() {
        assert_eq!(misspelt("Northwind Dental"), "Nrthwind Dental");
        assert_eq!(slug("Cedar Labs, Inc."), "cedarlabsinc");
    }
}
