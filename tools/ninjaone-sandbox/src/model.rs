//! The generated instance: organisations lined up with CRM companies (with realistic mismatches),
//! their devices, health, antivirus, active alerts, tickets and end users. Deterministic from the seed.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::config::{CompanySeed, SandboxConfig};

/// Placeholder serials OEMs leave in firmware; matching must ignore them.
pub const PLACEHOLDER_SERIALS: &[&str] =
    &["To Be Filled By O.E.M.", "0123456789", "Default string"];
/// The organisation custom field the generator puts HubSpot ids in (the client's default setting).
pub const HUBSPOT_FIELD: &str = "hubspot_company_id";

/// FNV-1a 64 of `bytes`.
pub fn fnv1a_64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The serial of a company's device `index`, shared with the Microsoft 365 sandbox's Intune devices.
pub fn serial_of(hubspot_id: &str, index: usize) -> String {
    format!(
        "SN{:010}",
        fnv1a_64(hubspot_id.as_bytes()).wrapping_add(index as u64) % 10_000_000_000
    )
}

/// How an organisation's name relates to its company's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameVariant {
    Exact,
    LegalSuffix,
    Spelling,
    /// No CRM company.
    PlatformOnly,
}

/// What happens to an organisation's fleet, so scoring has something to say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Story {
    Healthy,
    /// Many devices offline for weeks, critical alerts, failed patches, antivirus problems.
    Troubled,
    /// Busy helpdesk: many tickets, a few alerts.
    Busy,
}

#[derive(Clone, Debug)]
pub struct Org {
    pub id: u32,
    pub name: String,
    pub hubspot_id: Option<String>,
    pub variant: NameVariant,
    pub story: Story,
    /// Custom fields (`fields`): the HubSpot id on some organisations.
    pub fields: Vec<(String, String)>,
    pub tags: Vec<String>,
    pub email_domain: String,
}

#[derive(Clone, Debug)]
pub struct Device {
    pub id: u32,
    pub org: u32,
    pub system_name: String,
    pub serial: String,
    pub offline: bool,
    /// Seconds before the anchor of the last contact.
    pub last_contact_ago_s: i64,
    pub health: &'static str,
    pub failed_patches: u32,
    pub active_threats: u32,
    pub av_state: &'static str,
    pub av_definitions: &'static str,
}

#[derive(Clone, Debug)]
pub struct Alert {
    pub uid: String,
    pub device: u32,
    pub severity: &'static str,
    pub created_ago_s: i64,
}

#[derive(Clone, Debug)]
pub struct Ticket {
    pub id: u32,
    pub org: u32,
    pub status: &'static str,
    pub priority: &'static str,
    pub created_ago_s: i64,
}

#[derive(Clone, Debug)]
pub struct EndUser {
    pub id: u32,
    pub org: u32,
    pub email: String,
}

#[derive(Clone, Debug, Default)]
pub struct World {
    pub orgs: Vec<Org>,
    pub devices: Vec<Device>,
    pub alerts: Vec<Alert>,
    pub tickets: Vec<Ticket>,
    pub end_users: Vec<EndUser>,
}

const OUTSIDERS: &[&str] = &[
    "Brightwater Studio",
    "Copperfield Bakery",
    "Driftwood Yoga",
    "Evergreen Tutoring",
    "Foxglove Florist",
    "Gingham Interiors",
];
const FREE_MAIL: &[&str] = &["gmail.com", "outlook.com", "yahoo.com"];
const SUFFIXES: &[&str] = &["LLC", "Inc.", "Ltd", "GmbH"];

fn spelling_variant(name: &str) -> String {
    // A dropped space or a doubled letter: what people type.
    if name.contains(' ') {
        name.replacen(' ', "", 1)
    } else {
        format!("{name}s")
    }
}

pub fn generate(config: &SandboxConfig) -> World {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut world = World::default();
    let mut next_org = 1u32;
    let mut next_device = 101u32;
    let mut next_ticket = 1u32;
    let mut next_user = 1u32;
    let mut plans: Vec<(Option<&CompanySeed>, String, NameVariant)> = Vec::new();
    for company in &config.companies {
        // One in ten companies is not on NinjaOne at all.
        if rng.random_bool(0.1) {
            continue;
        }
        let roll: f64 = rng.random();
        let (name, variant) = if roll < 0.7 {
            (company.name.clone(), NameVariant::Exact)
        } else if roll < 0.85 {
            let suffix = SUFFIXES[rng.random_range(0..SUFFIXES.len())];
            (
                format!("{} {suffix}", company.name),
                NameVariant::LegalSuffix,
            )
        } else {
            (spelling_variant(&company.name), NameVariant::Spelling)
        };
        plans.push((Some(company), name, variant));
    }
    for i in 0..config.platform_only_orgs {
        let base = OUTSIDERS[i % OUTSIDERS.len()];
        let name = if i < OUTSIDERS.len() {
            base.to_owned()
        } else {
            format!("{base} {}", i / OUTSIDERS.len() + 1)
        };
        plans.push((None, name, NameVariant::PlatformOnly));
    }
    for (company, name, variant) in plans {
        let id = next_org;
        next_org += 1;
        let story = match rng.random_range(0..10) {
            0 | 1 => Story::Troubled,
            2 => Story::Busy,
            _ => Story::Healthy,
        };
        let mut fields = Vec::new();
        let mut tags = vec!["managed".to_owned()];
        if let Some(company) = company {
            // The MSP recorded the HubSpot id on some organisations: a custom field or a tag.
            match rng.random_range(0..10) {
                0..=3 => fields.push((HUBSPOT_FIELD.to_owned(), company.hubspot_id.clone())),
                4 => tags.push(format!("hubspot:{}", company.hubspot_id)),
                _ => {}
            }
        }
        fields.push(("contract".to_owned(), "Managed Services".to_owned()));
        let email_domain = company
            .and_then(|c| c.domain.clone())
            .unwrap_or_else(|| format!("{}.com", name.to_ascii_lowercase().replace(' ', "")));
        let (low, high) = config.devices_per_org;
        let count = rng.random_range(low..=high.max(low));
        for index in 0..count {
            let placeholder = rng.random_bool(0.08);
            let serial = match (placeholder, company) {
                (true, _) => {
                    PLACEHOLDER_SERIALS[rng.random_range(0..PLACEHOLDER_SERIALS.len())].to_owned()
                }
                (false, Some(company)) => serial_of(&company.hubspot_id, index),
                (false, None) => serial_of(&format!("org-{id}"), index),
            };
            let offline_chance = match story {
                Story::Troubled => 0.5,
                _ => 0.08,
            };
            let offline = rng.random_bool(offline_chance);
            let last_contact_ago_s = match (offline, story) {
                (false, _) => rng.random_range(30..900),
                (true, Story::Troubled) => rng.random_range(8 * 86_400..60 * 86_400),
                (true, _) => rng.random_range(3_600..3 * 86_400),
            };
            let troubled = story == Story::Troubled;
            let health = if troubled {
                ["UNHEALTHY", "NEEDS_ATTENTION", "HEALTHY"][rng.random_range(0..3)]
            } else if rng.random_bool(0.1) {
                "NEEDS_ATTENTION"
            } else {
                "HEALTHY"
            };
            let failed_patches = if troubled { rng.random_range(0..5) } else { 0 };
            let active_threats = u32::from(troubled && rng.random_bool(0.2));
            let av_off = troubled && rng.random_bool(0.2);
            let av_old = rng.random_bool(if troubled { 0.3 } else { 0.03 });
            world.devices.push(Device {
                id: next_device,
                org: id,
                system_name: format!("WS-{id:03}-{index:02}"),
                serial,
                offline,
                last_contact_ago_s,
                health,
                failed_patches,
                active_threats,
                av_state: if av_off { "OFF" } else { "ON" },
                av_definitions: if av_old { "OUT_OF_DATE" } else { "UP_TO_DATE" },
            });
            let alerts = match story {
                Story::Troubled => rng.random_range(0..3),
                Story::Busy => rng.random_range(0..2),
                Story::Healthy => usize::from(rng.random_bool(0.1)),
            };
            for a in 0..alerts {
                let severity = match (story, rng.random_range(0..4)) {
                    (Story::Troubled, 0 | 1) => "CRITICAL",
                    (Story::Troubled, 2) => "MAJOR",
                    (_, 0) => "MODERATE",
                    _ => "MINOR",
                };
                world.alerts.push(Alert {
                    uid: format!(
                        "{:08x}-{:04x}-4000-8000-{:012x}",
                        next_device,
                        a,
                        rng.random_range(0..1u64 << 48)
                    ),
                    device: next_device,
                    severity,
                    created_ago_s: rng.random_range(600..20 * 86_400),
                });
            }
            next_device += 1;
        }
        let tickets = match story {
            Story::Busy => rng.random_range(8..20),
            Story::Troubled => rng.random_range(3..10),
            Story::Healthy => rng.random_range(0..4),
        };
        for _ in 0..tickets {
            let open = rng.random_bool(0.3);
            let status = if open {
                ["NEW", "OPEN", "WAITING"][rng.random_range(0..3)]
            } else {
                ["RESOLVED", "CLOSED"][rng.random_range(0..2)]
            };
            world.tickets.push(Ticket {
                id: next_ticket,
                org: id,
                status,
                priority: ["NONE", "LOW", "MEDIUM", "HIGH"][rng.random_range(0..4)],
                created_ago_s: rng.random_range(3_600..180 * 86_400),
            });
            next_ticket += 1;
        }
        for u in 0..rng.random_range(2..6) {
            let domain = if rng.random_bool(0.15) {
                FREE_MAIL[rng.random_range(0..FREE_MAIL.len())].to_owned()
            } else {
                email_domain.clone()
            };
            world.end_users.push(EndUser {
                id: next_user,
                org: id,
                email: format!("user{u}.{id}@{domain}"),
            });
            next_user += 1;
        }
        world.orgs.push(Org {
            id,
            name,
            hubspot_id: company.map(|c| c.hubspot_id.clone()),
            variant,
            story,
            fields,
            tags,
            email_domain,
        });
    }
    world
}
