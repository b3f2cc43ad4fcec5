//! Generates a realistic, varied portal from a seed.
//!
//! Every company follows one of a few stories (healthy, gone quiet, big but rarely touched, chased without
//! answer, buried in urgent tickets, declining) so that every insight rule has clients to fire on. Property
//! values look like HubSpot's: strings, dates as ISO 8601 or epoch milliseconds, some empty or junk.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::config::SandboxConfig;
use crate::model::{iso_millis, Interner, ObjectTable, ObjectType, Portal, Record};

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
/// Ids start here so they look like HubSpot's and never collide with small test numbers.
const FIRST_ID: u64 = 1_000_001;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Story {
    Healthy,
    Inactive,
    HighRevenueLowTouch,
    UnansweredOutreach,
    SupportBurden,
    Declining,
}

impl Story {
    fn engagement_weight(self) -> f64 {
        match self {
            Story::Healthy => 2.0,
            Story::Inactive => 0.6,
            Story::HighRevenueLowTouch => 0.08,
            Story::UnansweredOutreach => 1.5,
            Story::SupportBurden => 1.0,
            Story::Declining => 0.8,
        }
    }

    /// Days since the last interaction.
    fn quiet_days(self, rng: &mut StdRng) -> f64 {
        let (low, high) = match self {
            Story::Healthy => (0.0, 8.0),
            Story::Inactive => (30.0, 200.0),
            Story::HighRevenueLowTouch => (20.0, 90.0),
            Story::UnansweredOutreach => (0.0, 10.0),
            Story::SupportBurden => (0.0, 15.0),
            Story::Declining => (15.0, 45.0),
        };
        rng.random_range(low..high)
    }
}

struct CompanyPlan {
    id: u64,
    story: Story,
    size: f64,
    created_ms: i64,
    quiet_days: f64,
    contacts: Vec<usize>,
    assoc: Vec<(ObjectType, u64)>,
    last_engagement_ms: Option<i64>,
    last_sales_activity_ms: Option<i64>,
    open_deals: u32,
    won_total: f64,
    recent_won: Option<(i64, f64)>,
    last_modified_ms: i64,
}

/// The interned names of one type's properties, looked up by their static name.
type PropertyKeys = Arc<[(&'static str, Arc<str>)]>;

/// Builds a record's properties in the type's schema order; `None` leaves the property out.
struct Props {
    out: Vec<(Arc<str>, Option<String>)>,
    keys: PropertyKeys,
}

impl Props {
    fn new(keys: &PropertyKeys) -> Self {
        Self {
            out: Vec::with_capacity(keys.len()),
            keys: keys.clone(),
        }
    }

    fn put(&mut self, name: &str, value: Option<String>) {
        let Some(value) = value else { return };
        let key = match self.keys.iter().find(|(n, _)| *n == name) {
            Some((_, key)) => key.clone(),
            None => Arc::from(name),
        };
        self.out.push((key, Some(value)));
    }

    fn finish(mut self, ty: ObjectType, id: u64, created_ms: i64, updated_ms: i64) -> Record {
        self.put("createdate", Some(iso_millis(created_ms)));
        self.put(ty.modified_property(), Some(iso_millis(updated_ms)));
        self.put("hs_object_id", Some(id.to_string()));
        Record {
            id,
            props: self.out,
            created_ms,
            updated_ms,
            archived_ms: None,
            assoc: Vec::new(),
        }
    }
}

struct Generator {
    rng: StdRng,
    anchor_ms: i64,
    next_id: u64,
    keys: Vec<PropertyKeys>,
}

impl Generator {
    fn id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    fn pick<T: Copy>(&mut self, weighted: &[(T, u32)]) -> T {
        let total: u32 = weighted.iter().map(|(_, w)| w).sum();
        let mut roll = self.rng.random_range(0..total.max(1));
        for (item, weight) in weighted {
            if roll < *weight {
                return *item;
            }
            roll -= weight;
        }
        weighted[0].0
    }

    fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            low
        } else {
            self.rng.random_range(low..high)
        }
    }

    /// A date property as portals hold it: mostly ISO 8601, sometimes epoch milliseconds.
    fn mixed_date(&mut self, ms: i64) -> String {
        if self.chance(0.2) {
            ms.to_string()
        } else {
            iso_millis(ms)
        }
    }

    fn props(&self, ty: ObjectType) -> Props {
        Props::new(&self.keys[ty.index()])
    }

    /// Days before the anchor, drawn with more weight on recent days, never before `floor_ms`.
    fn past_time(&mut self, quiet_days: f64, spread_days: f64, floor_ms: i64) -> i64 {
        let extra = -spread_days * (1.0 - self.rng.random::<f64>()).ln();
        let ms = self.anchor_ms - ((quiet_days + extra) * DAY_MS as f64) as i64;
        if ms < floor_ms {
            self.between(floor_ms, floor_ms + DAY_MS)
                .min(self.anchor_ms)
        } else {
            ms
        }
    }
}

const FIRST_WORDS: &[&str] = &[
    "Acme", "Blue", "Bright", "Cedar", "Summit", "North", "Silver", "Harbor", "Iron", "Maple",
    "Nova", "Orbit", "Pioneer", "Quartz", "River", "Stone", "Vertex", "Willow", "Zenith", "Atlas",
    "Beacon", "Crest", "Delta", "Echo", "Falcon", "Granite", "Horizon", "Keystone", "Lumen",
    "Meridian",
];
const SECOND_WORDS: &[&str] = &[
    "Logistics",
    "Dental",
    "Legal",
    "Manufacturing",
    "Analytics",
    "Foods",
    "Health",
    "Motors",
    "Labs",
    "Media",
    "Consulting",
    "Energy",
    "Retail",
    "Systems",
    "Partners",
    "Realty",
    "Software",
    "Travel",
    "Capital",
    "Design",
];
const SUFFIXES: &[&str] = &["Inc", "LLC", "Ltd", "Group", "Co", "GmbH", "", "", ""];
const FIRST_NAMES: &[&str] = &[
    "Ana", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kira",
    "Liam", "Maya", "Noah", "Olga", "Pedro", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera",
    "Will", "Yara", "Zoe",
];
const LAST_NAMES: &[&str] = &[
    "Smith", "Garcia", "Müller", "Okafor", "Chen", "Silva", "Novak", "Kowalski", "Rossi", "Dubois",
    "Jensen", "Tanaka", "Khan", "Murphy", "Lopez", "Schmidt", "Ivanova", "Brown", "Nguyen",
    "Costa",
];
const INDUSTRIES: &[&str] = &[
    "COMPUTER_SOFTWARE",
    "HOSPITAL_HEALTH_CARE",
    "LEGAL_SERVICES",
    "LOGISTICS_AND_SUPPLY_CHAIN",
    "RETAIL",
    "FINANCIAL_SERVICES",
    "CONSTRUCTION",
    "MARKETING_AND_ADVERTISING",
];
const NOTE_BODIES: &[&str] = &[
    "Quarterly review went well, they want to expand seats.",
    "Asked about pricing for the premium tier.",
    "Complained about response times on support tickets.",
    "Renewal discussion postponed to next month.",
    "Champion is leaving the company; need a new contact.",
    "<p>Followed up on onboarding, all good.</p>",
    "Left voicemail.",
];

/// Generates the portal for `config`, with every date relative to `anchor_ms` (the sandbox uses the start of
/// the current UTC day, so the same seed gives the same portal all day).
pub(crate) fn generate(config: &SandboxConfig, anchor_ms: i64) -> Portal {
    let mut interner = Interner::default();
    let keys = ObjectType::ALL
        .iter()
        .map(|ty| {
            ty.schema()
                .iter()
                .map(|name| (*name, interner.get(name)))
                .collect::<Vec<_>>()
                .into()
        })
        .collect();
    let mut g = Generator {
        rng: StdRng::seed_from_u64(config.seed),
        anchor_ms,
        next_id: FIRST_ID,
        keys,
    };

    let mut companies = plan_companies(&mut g, config.companies);
    let company_weights_by_size = cumulative(companies.iter().map(|c| c.size));
    let contacts = generate_contacts(
        &mut g,
        config.contacts,
        &mut companies,
        &company_weights_by_size,
    );
    let mut contacts = contacts;
    let deals = generate_deals(
        &mut g,
        config.deals,
        &mut companies,
        &mut contacts,
        &company_weights_by_size,
    );
    let ticket_weights = cumulative(companies.iter().map(|c| {
        c.size
            * if c.story == Story::SupportBurden {
                8.0
            } else {
                1.0
            }
    }));
    let tickets = generate_tickets(
        &mut g,
        config.tickets,
        &mut companies,
        &mut contacts,
        &ticket_weights,
    );
    let engagement_weights = cumulative(
        companies
            .iter()
            .map(|c| c.size * c.story.engagement_weight()),
    );
    let engagements = generate_engagements(
        &mut g,
        config.engagements,
        &mut companies,
        &mut contacts,
        &engagement_weights,
    );
    let companies = finish_companies(&mut g, companies);

    let mut tables: [ObjectTable; 9] = Default::default();
    tables[ObjectType::Companies.index()].records = companies;
    tables[ObjectType::Contacts.index()].records = contacts;
    tables[ObjectType::Deals.index()].records = deals;
    tables[ObjectType::Tickets.index()].records = tickets;
    for (ty, records) in engagements {
        tables[ty.index()].records = records;
    }
    Portal {
        tables,
        next_id: g.next_id,
        interner,
    }
}

fn cumulative(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut total = 0.0;
    weights
        .map(|w| {
            total += w.max(0.0);
            total
        })
        .collect()
}

fn sample(g: &mut Generator, cumulative: &[f64]) -> Option<usize> {
    let total = *cumulative.last()?;
    if total <= 0.0 {
        return None;
    }
    let roll = g.rng.random::<f64>() * total;
    Some(
        cumulative
            .partition_point(|c| *c <= roll)
            .min(cumulative.len() - 1),
    )
}

fn plan_companies(g: &mut Generator, count: usize) -> Vec<CompanyPlan> {
    (0..count)
        .map(|_| {
            let id = g.id();
            let story = g.pick(&[
                (Story::Healthy, 35),
                (Story::Inactive, 20),
                (Story::HighRevenueLowTouch, 10),
                (Story::UnansweredOutreach, 15),
                (Story::SupportBurden, 12),
                (Story::Declining, 8),
            ]);
            let size = 1.0 + g.rng.random::<f64>().powi(3) * 15.0;
            let created_ms = g.anchor_ms - g.between(220 * DAY_MS, 1_500 * DAY_MS);
            let quiet_days = story.quiet_days(&mut g.rng);
            CompanyPlan {
                id,
                story,
                size,
                created_ms,
                quiet_days,
                contacts: Vec::new(),
                assoc: Vec::new(),
                last_engagement_ms: None,
                last_sales_activity_ms: None,
                open_deals: 0,
                won_total: 0.0,
                recent_won: None,
                last_modified_ms: created_ms,
            }
        })
        .collect()
}

fn company_name(g: &mut Generator) -> (String, String) {
    let first = FIRST_WORDS[g.rng.random_range(0..FIRST_WORDS.len())];
    let second = SECOND_WORDS[g.rng.random_range(0..SECOND_WORDS.len())];
    let suffix = SUFFIXES[g.rng.random_range(0..SUFFIXES.len())];
    let name = if suffix.is_empty() {
        format!("{first} {second}")
    } else {
        format!("{first} {second} {suffix}")
    };
    let domain = format!(
        "{}{}.{}",
        first.to_ascii_lowercase(),
        second.to_ascii_lowercase(),
        ["com", "io", "co.uk", "de", "net"][g.rng.random_range(0..5)]
    );
    (name, domain)
}

fn generate_contacts(
    g: &mut Generator,
    count: usize,
    companies: &mut [CompanyPlan],
    weights: &[f64],
) -> Vec<Record> {
    let mut out = Vec::with_capacity(count);
    for index in 0..count {
        let id = g.id();
        // A few contacts belong to no company, as in every real portal.
        let company = if g.chance(0.03) {
            None
        } else {
            sample(g, weights)
        };
        let story = company.map(|c| companies[c].story);
        let floor = company.map_or(g.anchor_ms - 900 * DAY_MS, |c| companies[c].created_ms);
        let created_ms = g.between(floor, g.anchor_ms - 10 * DAY_MS);
        let first = FIRST_NAMES[g.rng.random_range(0..FIRST_NAMES.len())];
        let last = LAST_NAMES[g.rng.random_range(0..LAST_NAMES.len())];
        let mut p = g.props(ObjectType::Contacts);
        if !g.chance(0.03) {
            p.put(
                "email",
                Some(format!(
                    "{}.{}{}@example.com",
                    first.to_lowercase(),
                    last.to_lowercase(),
                    index
                )),
            );
        }
        p.put("firstname", Some(first.to_owned()));
        p.put("lastname", Some(last.to_owned()));
        let stage = g.pick(&[
            (Some("customer"), 60),
            (Some("salesqualifiedlead"), 10),
            (Some("lead"), 10),
            (Some("opportunity"), 10),
            (Some(""), 5),
            (None, 5),
        ]);
        p.put("lifecyclestage", stage.map(str::to_owned));
        let (opens, replies) = match story {
            Some(Story::Healthy) => (g.between(5, 60), g.between(1, 15)),
            Some(Story::UnansweredOutreach) => (g.between(0, 3), 0),
            Some(Story::Inactive) => (g.between(0, 5), g.between(0, 2)),
            _ => (g.between(1, 30), g.between(0, 6)),
        };
        let clicks = g.between(0, opens / 2 + 1);
        p.put("hs_email_open", Some(opens.to_string()));
        p.put("hs_email_click", Some(clicks.to_string()));
        p.put("hs_email_replied", Some(replies.to_string()));
        let quiet = company.map_or(60.0, |c| companies[c].quiet_days);
        if replies > 0 {
            let replied_ms = g.past_time(quiet, 20.0, created_ms);
            let value = g.mixed_date(replied_ms);
            p.put("hs_sales_email_last_replied", Some(value));
        }
        p.put(
            "hs_analytics_num_visits",
            Some(g.between(0, 120).to_string()),
        );
        if g.chance(0.3) {
            let nps = match story {
                Some(Story::Healthy) => g.between(8, 11),
                Some(Story::SupportBurden) | Some(Story::Declining) => g.between(0, 7),
                _ => g.between(5, 10),
            };
            p.put("hs_feedback_last_nps_rating", Some(nps.to_string()));
        }
        let updated_ms = g.past_time(quiet.min(30.0), 40.0, created_ms);
        let mut record = p.finish(ObjectType::Contacts, id, created_ms, updated_ms);
        if let Some(c) = company {
            record.assoc.push((ObjectType::Companies, companies[c].id));
            companies[c].assoc.push((ObjectType::Contacts, id));
            companies[c].contacts.push(out.len());
        }
        out.push(record);
    }
    out
}

fn link_contact(
    g: &mut Generator,
    company: &CompanyPlan,
    contacts: &mut [Record],
    share: f64,
    ty: ObjectType,
    id: u64,
    assoc: &mut Vec<(ObjectType, u64)>,
) {
    if company.contacts.is_empty() || !g.chance(share) {
        return;
    }
    let contact_index = company.contacts[g.rng.random_range(0..company.contacts.len())];
    let contact = &mut contacts[contact_index];
    contact.assoc.push((ty, id));
    assoc.push((ObjectType::Contacts, contact.id));
}

fn generate_deals(
    g: &mut Generator,
    count: usize,
    companies: &mut [CompanyPlan],
    contacts: &mut [Record],
    weights: &[f64],
) -> Vec<Record> {
    let stages_open = [
        "appointmentscheduled",
        "qualifiedtobuy",
        "presentationscheduled",
        "contractsent",
    ];
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let id = g.id();
        let Some(c) = sample(g, weights) else { break };
        let story = companies[c].story;
        let (won, open, lost) = match story {
            Story::Healthy => (50, 35, 15),
            Story::Declining => (25, 20, 55),
            Story::HighRevenueLowTouch => (60, 20, 20),
            _ => (35, 35, 30),
        };
        let outcome = g.pick(&[("won", won), ("open", open), ("lost", lost)]);
        let created_ms = g.between(companies[c].created_ms, g.anchor_ms - 5 * DAY_MS);
        let amount = if story == Story::HighRevenueLowTouch {
            g.between(50_000, 500_000) as f64
        } else {
            g.between(1_000, 50_000) as f64
        };
        let mut p = g.props(ObjectType::Deals);
        p.put(
            "dealname",
            Some(format!(
                "{} renewal {}",
                FIRST_WORDS[(id % 30) as usize],
                id % 97
            )),
        );
        let amount_text = g.pick(&[(0u8, 94), (1, 4), (2, 2)]);
        p.put(
            "amount",
            Some(match amount_text {
                0 => format!("{amount}"),
                1 => String::new(),
                _ => "n/a".to_owned(),
            }),
        );
        let (stage, closed, close_ms) = match outcome {
            "won" => ("closedwon", true, g.between(created_ms, g.anchor_ms)),
            "lost" => ("closedlost", true, g.between(created_ms, g.anchor_ms)),
            _ => (
                stages_open[g.rng.random_range(0..stages_open.len())],
                false,
                g.anchor_ms + g.between(DAY_MS, 120 * DAY_MS),
            ),
        };
        p.put("dealstage", Some(stage.to_owned()));
        p.put("pipeline", Some("default".to_owned()));
        p.put("closedate", Some(iso_millis(close_ms)));
        p.put("hs_is_closed_won", Some((stage == "closedwon").to_string()));
        p.put("hs_is_closed", Some(closed.to_string()));
        let updated_ms = if closed {
            close_ms.max(created_ms)
        } else {
            g.between(created_ms, g.anchor_ms)
        };
        let mut record = p.finish(ObjectType::Deals, id, created_ms, updated_ms);
        let company = &mut companies[c];
        if stage == "closedwon" && amount_text == 0 {
            company.won_total += amount;
            if company.recent_won.is_none_or(|(ms, _)| close_ms > ms) {
                company.recent_won = Some((close_ms, amount));
            }
        }
        if !closed {
            company.open_deals += 1;
        }
        company.last_modified_ms = company.last_modified_ms.max(updated_ms);
        company.assoc.push((ObjectType::Deals, id));
        record.assoc.push((ObjectType::Companies, company.id));
        let company = &companies[c];
        link_contact(
            g,
            company,
            contacts,
            0.5,
            ObjectType::Deals,
            id,
            &mut record.assoc,
        );
        out.push(record);
    }
    out
}

fn generate_tickets(
    g: &mut Generator,
    count: usize,
    companies: &mut [CompanyPlan],
    contacts: &mut [Record],
    weights: &[f64],
) -> Vec<Record> {
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let id = g.id();
        let Some(c) = sample(g, weights) else { break };
        let burdened = companies[c].story == Story::SupportBurden;
        let priority = if burdened {
            g.pick(&[("URGENT", 35), ("HIGH", 35), ("MEDIUM", 20), ("LOW", 10)])
        } else {
            g.pick(&[("LOW", 40), ("MEDIUM", 35), ("HIGH", 20), ("URGENT", 5)])
        };
        let open = g.chance(if burdened { 0.7 } else { 0.2 });
        let created_ms = g.anchor_ms - g.between(HOUR_MS, 180 * DAY_MS);
        let mut p = g.props(ObjectType::Tickets);
        p.put("subject", Some(format!("Ticket #{}", id % 100_000)));
        p.put("hs_pipeline", Some("0".to_owned()));
        let stage = if open {
            g.pick(&[("1", 50), ("2", 25), ("3", 25)])
        } else {
            "4"
        };
        p.put("hs_pipeline_stage", Some(stage.to_owned()));
        p.put("hs_ticket_priority", Some(priority.to_owned()));
        let mut updated_ms = g.between(created_ms, g.anchor_ms);
        if !open {
            let time_to_close = g
                .between(HOUR_MS, 20 * DAY_MS)
                .min(g.anchor_ms - created_ms);
            let closed_ms = created_ms + time_to_close;
            p.put("closed_date", Some(iso_millis(closed_ms)));
            p.put("time_to_close", Some(time_to_close.to_string()));
            updated_ms = updated_ms.max(closed_ms);
        }
        let mut record = p.finish(ObjectType::Tickets, id, created_ms, updated_ms);
        let company = &mut companies[c];
        company.assoc.push((ObjectType::Tickets, id));
        company.last_modified_ms = company.last_modified_ms.max(updated_ms);
        record.assoc.push((ObjectType::Companies, company.id));
        let company = &companies[c];
        link_contact(
            g,
            company,
            contacts,
            0.6,
            ObjectType::Tickets,
            id,
            &mut record.assoc,
        );
        out.push(record);
    }
    out
}

fn generate_engagements(
    g: &mut Generator,
    count: usize,
    companies: &mut [CompanyPlan],
    contacts: &mut [Record],
    weights: &[f64],
) -> Vec<(ObjectType, Vec<Record>)> {
    let mut by_type: Vec<(ObjectType, Vec<Record>)> = ObjectType::ENGAGEMENTS
        .iter()
        .map(|ty| (*ty, Vec::new()))
        .collect();
    for _ in 0..count {
        let ty = g.pick(&[
            (ObjectType::Emails, 35),
            (ObjectType::Calls, 20),
            (ObjectType::Meetings, 10),
            (ObjectType::Notes, 20),
            (ObjectType::Tasks, 15),
        ]);
        let Some(c) = sample(g, weights) else { break };
        let id = g.id();
        let story = companies[c].story;
        let (quiet, floor) = (companies[c].quiet_days, companies[c].created_ms);
        let mut ts = g.past_time(quiet, 60.0, floor);
        let mut p = g.props(ty);
        let mut sales_activity = true;
        match ty {
            ObjectType::Emails => {
                let direction = match story {
                    Story::UnansweredOutreach => {
                        g.pick(&[("EMAIL", 97), ("INCOMING_EMAIL", 1), ("FORWARDED_EMAIL", 2)])
                    }
                    Story::Healthy => g.pick(&[
                        ("EMAIL", 55),
                        ("INCOMING_EMAIL", 40),
                        ("FORWARDED_EMAIL", 5),
                    ]),
                    _ => g.pick(&[
                        ("EMAIL", 65),
                        ("INCOMING_EMAIL", 30),
                        ("FORWARDED_EMAIL", 5),
                    ]),
                };
                if story == Story::UnansweredOutreach && direction == "INCOMING_EMAIL" {
                    // Their last answer is long past.
                    ts = g.past_time(quiet + 60.0, 60.0, floor);
                }
                p.put("hs_email_subject", Some("Checking in".to_owned()));
                p.put("hs_email_direction", Some(direction.to_owned()));
                let status = g.pick(&[
                    ("SENT", 90),
                    ("BOUNCED", 4),
                    ("FAILED", 2),
                    ("SCHEDULED", 4),
                ]);
                p.put("hs_email_status", Some(status.to_owned()));
            }
            ObjectType::Calls => {
                let (direction, status) = if story == Story::UnansweredOutreach {
                    (
                        "OUTBOUND",
                        g.pick(&[("NO_ANSWER", 70), ("BUSY", 15), ("COMPLETED", 15)]),
                    )
                } else {
                    (
                        g.pick(&[("OUTBOUND", 60), ("INBOUND", 40)]),
                        g.pick(&[
                            ("COMPLETED", 75),
                            ("NO_ANSWER", 15),
                            ("BUSY", 5),
                            ("FAILED", 5),
                        ]),
                    )
                };
                p.put("hs_call_title", Some("Call".to_owned()));
                p.put("hs_call_direction", Some(direction.to_owned()));
                p.put("hs_call_status", Some(status.to_owned()));
                let duration = if status == "COMPLETED" {
                    g.between(60_000, 3_600_000)
                } else {
                    0
                };
                p.put("hs_call_duration", Some(duration.to_string()));
            }
            ObjectType::Meetings => {
                let outcome = match story {
                    Story::UnansweredOutreach | Story::Declining => {
                        g.pick(&[("COMPLETED", 30), ("NO_SHOW", 35), ("CANCELED", 35)])
                    }
                    Story::Healthy => {
                        g.pick(&[("COMPLETED", 75), ("SCHEDULED", 20), ("CANCELED", 5)])
                    }
                    _ => g.pick(&[
                        ("COMPLETED", 65),
                        ("SCHEDULED", 10),
                        ("NO_SHOW", 10),
                        ("CANCELED", 15),
                    ]),
                };
                if outcome == "SCHEDULED" && story == Story::Healthy {
                    ts = g.anchor_ms + g.between(HOUR_MS, 14 * DAY_MS);
                    sales_activity = false;
                }
                p.put("hs_meeting_title", Some("Account review".to_owned()));
                p.put("hs_meeting_outcome", Some(outcome.to_owned()));
                let start = g.mixed_date(ts);
                p.put("hs_meeting_start_time", Some(start));
                p.put("hs_meeting_end_time", Some(iso_millis(ts + HOUR_MS)));
            }
            ObjectType::Notes => {
                let body = NOTE_BODIES[g.rng.random_range(0..NOTE_BODIES.len())];
                p.put("hs_note_body", Some(body.to_owned()));
                sales_activity = false;
            }
            _ => {
                p.put("hs_task_subject", Some("Follow up".to_owned()));
                let done = ts < g.anchor_ms - 7 * DAY_MS || g.chance(0.5);
                p.put(
                    "hs_task_status",
                    Some(if done { "COMPLETED" } else { "NOT_STARTED" }.to_owned()),
                );
                p.put(
                    "hs_task_priority",
                    Some(g.pick(&[("LOW", 1), ("MEDIUM", 2), ("HIGH", 1)]).to_owned()),
                );
                sales_activity = false;
            }
        }
        p.put("hs_timestamp", Some(iso_millis(ts)));
        let created_ms = ts.min(g.anchor_ms);
        let updated_ms = (created_ms + g.between(0, 2 * DAY_MS)).min(g.anchor_ms);
        let mut record = p.finish(ty, id, created_ms, updated_ms);
        let company = &mut companies[c];
        if ts <= g.anchor_ms {
            company.last_engagement_ms = company.last_engagement_ms.max(Some(ts));
            if sales_activity {
                company.last_sales_activity_ms = company.last_sales_activity_ms.max(Some(ts));
            }
        }
        company.assoc.push((ty, id));
        record.assoc.push((ObjectType::Companies, company.id));
        let company = &companies[c];
        link_contact(g, company, contacts, 0.85, ty, id, &mut record.assoc);
        if let Some((_, records)) = by_type.iter_mut().find(|(t, _)| *t == ty) {
            records.push(record);
        }
    }
    by_type
}

fn finish_companies(g: &mut Generator, plans: Vec<CompanyPlan>) -> Vec<Record> {
    let mut out = Vec::with_capacity(plans.len());
    for plan in plans {
        let (name, domain) = company_name(g);
        let mut p = g.props(ObjectType::Companies);
        p.put("name", Some(name));
        if !g.chance(0.03) {
            p.put("domain", Some(domain));
        }
        let stage = g.pick(&[
            (Some("customer"), 80),
            (Some("opportunity"), 8),
            (Some("evangelist"), 5),
            (Some(""), 4),
            (None, 3),
        ]);
        p.put("lifecyclestage", stage.map(str::to_owned));
        if let Some(last) = plan.last_engagement_ms {
            let contacted = g.mixed_date(last);
            p.put("notes_last_contacted", Some(contacted));
            p.put("notes_last_updated", Some(iso_millis(last)));
        }
        if let Some(last) = plan.last_sales_activity_ms {
            let value = g.mixed_date(last);
            p.put("hs_last_sales_activity_timestamp", Some(value));
        }
        p.put(
            "num_associated_contacts",
            Some(plan.contacts.len().to_string()),
        );
        p.put("hs_num_open_deals", Some(plan.open_deals.to_string()));
        if plan.won_total > 0.0 {
            p.put("total_revenue", Some(format!("{:.2}", plan.won_total)));
        }
        if let Some((_, amount)) = plan.recent_won {
            p.put("recent_deal_amount", Some(format!("{amount}")));
        }
        let annual = if plan.story == Story::HighRevenueLowTouch {
            g.between(5_000_000, 50_000_000)
        } else {
            g.between(100_000, 5_000_000)
        };
        let annual_text = g.pick(&[(0u8, 90), (1, 5), (2, 3), (3, 2)]);
        p.put(
            "annualrevenue",
            match annual_text {
                0 => Some(annual.to_string()),
                1 => Some(String::new()),
                2 => Some("n/a".to_owned()),
                _ => None,
            },
        );
        if g.chance(0.6) {
            let sentiment = match plan.story {
                Story::Healthy => "Positive",
                Story::SupportBurden | Story::Declining => "Negative",
                _ => "Neutral",
            };
            p.put("hs_csm_sentiment", Some(sentiment.to_owned()));
        }
        p.put(
            "industry",
            Some(INDUSTRIES[g.rng.random_range(0..INDUSTRIES.len())].to_owned()),
        );
        let last_activity = plan.last_engagement_ms.unwrap_or(plan.created_ms);
        let updated_ms = last_activity.max(plan.last_modified_ms).min(g.anchor_ms);
        let mut record = p.finish(ObjectType::Companies, plan.id, plan.created_ms, updated_ms);
        record.assoc = plan.assoc;
        out.push(record);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::numeric_value;

    const ANCHOR: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    fn config(seed: u64) -> SandboxConfig {
        SandboxConfig {
            seed,
            companies: 300,
            contacts: 1_200,
            deals: 500,
            tickets: 300,
            engagements: 6_000,
            ..SandboxConfig::default()
        }
    }

    #[test]
    fn same_seed_gives_the_same_portal_and_another_seed_does_not() {
        let first = generate(&config(7), ANCHOR);
        assert_eq!(first, generate(&config(7), ANCHOR));
        assert_ne!(first, generate(&config(8), ANCHOR));
    }

    #[test]
    fn sizes_ids_and_associations_are_consistent() {
        let portal = generate(&config(3), ANCHOR);
        assert_eq!(portal.table(ObjectType::Companies).records.len(), 300);
        assert_eq!(portal.table(ObjectType::Contacts).records.len(), 1_200);
        let engagements: usize = ObjectType::ENGAGEMENTS
            .iter()
            .map(|ty| portal.table(*ty).records.len())
            .sum();
        assert_eq!(engagements, 6_000);
        for ty in ObjectType::ALL {
            let records = &portal.table(ty).records;
            assert!(
                records.windows(2).all(|w| w[0].id < w[1].id),
                "{ty:?} not in id order"
            );
            for rec in records {
                assert!(
                    rec.updated_ms <= ANCHOR && rec.created_ms <= rec.updated_ms,
                    "{ty:?} {}",
                    rec.id
                );
                for (other_ty, other_id) in &rec.assoc {
                    let other = portal
                        .table(*other_ty)
                        .get(*other_id)
                        .expect("associated record exists");
                    assert!(
                        other.assoc.contains(&(ty, rec.id)),
                        "association is stored both ways"
                    );
                }
            }
        }
    }

    fn companies_where(portal: &Portal, keep: impl Fn(&Record) -> bool) -> usize {
        portal
            .table(ObjectType::Companies)
            .records
            .iter()
            .filter(|r| keep(r))
            .count()
    }

    fn date(rec: &Record, name: &str) -> Option<f64> {
        rec.get(name)
            .and_then(|v| v.as_deref())
            .and_then(numeric_value)
    }

    #[test]
    fn every_client_story_is_present() {
        let portal = generate(&config(11), ANCHOR);
        let days_ago = |ms: f64| (ANCHOR as f64 - ms) / DAY_MS as f64;
        let inactive = companies_where(&portal, |c| {
            date(c, "notes_last_contacted").is_some_and(|ms| (30.0..=400.0).contains(&days_ago(ms)))
        });
        let active = companies_where(&portal, |c| {
            date(c, "notes_last_contacted").is_some_and(|ms| days_ago(ms) < 10.0)
        });
        let rich = companies_where(&portal, |c| {
            date(c, "annualrevenue").is_some_and(|r| r >= 5_000_000.0)
        });
        assert!(
            inactive > 10 && active > 10 && rich > 5,
            "{inactive} {active} {rich}"
        );

        let tickets = &portal.table(ObjectType::Tickets).records;
        let open_urgent = tickets
            .iter()
            .filter(|t| {
                t.get("hs_ticket_priority") == Some(&Some("URGENT".to_owned()))
                    && t.get("hs_pipeline_stage") != Some(&Some("4".to_owned()))
            })
            .count();
        assert!(open_urgent > 5, "{open_urgent}");

        let emails = &portal.table(ObjectType::Emails).records;
        let direction = |d: &str| {
            emails
                .iter()
                .filter(|e| e.get("hs_email_direction") == Some(&Some(d.to_owned())))
                .count()
        };
        assert!(
            direction("EMAIL") > direction("INCOMING_EMAIL") && direction("INCOMING_EMAIL") > 100
        );

        // Real portals hold junk: epoch-millisecond dates, empty strings and "n/a" numbers.
        let companies = &portal.table(ObjectType::Companies).records;
        let value_is = |name: &str, test: &dyn Fn(&str) -> bool| {
            companies
                .iter()
                .any(|c| c.get(name).and_then(|v| v.as_deref()).is_some_and(test))
        };
        assert!(value_is("notes_last_contacted", &|v| v
            .parse::<i64>()
            .is_ok()));
        assert!(value_is("notes_last_contacted", &|v| v.contains('T')));
        assert!(value_is("annualrevenue", &|v| v == "n/a"));
        assert!(value_is("annualrevenue", &str::is_empty));
    }
}
