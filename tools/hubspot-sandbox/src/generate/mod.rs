//! Generates a realistic, varied portal from a seed.
//!
//! Every company follows one of a few stories (healthy, gone quiet, big but rarely touched, chased without
//! answer, buried in urgent tickets, declining) so that every insight rule has clients to fire on. Property
//! values look like HubSpot's: strings, dates as ISO 8601 or epoch milliseconds, some empty or junk.

mod lazy;
mod lazy_records;
mod records;
mod trajectory;

pub(crate) use lazy::LazyPortal;

use records::*;
use std::sync::Arc;
pub use trajectory::Trajectory;

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
    trajectory: Trajectory,
    /// Days since the activity stopped, for a company that fell off a cliff.
    cliff_days: Option<f64>,
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
    /// The dates a company's trajectory moves are drawn from this stream.
    timing: StdRng,
    seed: u64,
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

    /// When one of a company's engagements happened: its trajectory's shape beyond its quiet days,
    /// never before `floor_ms`. Takes one draw of the main stream, as `past_time` does.
    fn engagement_time(&mut self, plan: (f64, Trajectory, i64)) -> i64 {
        let (quiet_days, trajectory, floor_ms) = plan;
        let extra = trajectory.engagement_age(self.rng.random::<f64>());
        let ms = self.anchor_ms - ((quiet_days + extra) * DAY_MS as f64) as i64;
        if ms < floor_ms {
            self.between(floor_ms, floor_ms + DAY_MS)
                .min(self.anchor_ms)
        } else {
            ms
        }
    }

    /// A chance drawn from the timing stream.
    fn timing_chance(&mut self, p: f64) -> bool {
        self.timing.random_bool(p.clamp(0.0, 1.0))
    }

    /// A time `low_days..high_days` before the anchor, from the timing stream, at least an hour ago.
    fn timing_days_ago(&mut self, low_days: f64, high_days: f64) -> i64 {
        let days = if high_days > low_days {
            self.timing.random_range(low_days..high_days)
        } else {
            low_days
        };
        self.anchor_ms - ((days * DAY_MS as f64) as i64).max(HOUR_MS)
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
        timing: StdRng::seed_from_u64(config.seed ^ trajectory::TIMING_SALT),
        seed: config.seed,
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
            // A cliff comes with tickets: enough of them to land on every such company.
            * if c.trajectory == Trajectory::Cliff {
                3.0
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
        lazy: None,
    }
}

/// The portal for `config` as a lazy base (see `lazy`): nothing is held but the layout, and the
/// overlay starts empty. Records differ from [`generate`]'s for the same seed (each record has its
/// own draws instead of one stream for the whole portal).
pub(crate) fn generate_lazy(config: &SandboxConfig, anchor_ms: i64) -> Portal {
    let mut interner = Interner::default();
    let lazy = LazyPortal::new(config, anchor_ms, &mut interner);
    Portal {
        tables: Default::default(),
        next_id: lazy.next_id,
        interner,
        lazy: Some(Arc::new(lazy)),
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
            let story_quiet_days = story.quiet_days(&mut g.rng);
            let trajectory = Trajectory::of(g.seed, id, story);
            let cliff_days = trajectory.cliff_days(g.seed, id);
            CompanyPlan {
                id,
                story,
                size,
                created_ms,
                // After a cliff, nothing: the last activity is the cliff.
                quiet_days: cliff_days.unwrap_or(story_quiet_days),
                trajectory,
                cliff_days,
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
            let sentiment = match (plan.trajectory, plan.story) {
                (Trajectory::Cliff, _) => "Negative",
                (_, Story::Healthy) => "Positive",
                (_, Story::SupportBurden | Story::Declining) => "Negative",
                _ => "Neutral",
            };
            p.put("hs_csm_sentiment", Some(sentiment.to_owned()));
        }
        p.put(
            "industry",
            Some(INDUSTRIES[g.rng.random_range(0..INDUSTRIES.len())].to_owned()),
        );
        p.put(
            "hubspot_owner_id",
            crate::crm_schema::generated_owner(plan.id),
        );
        let last_activity = plan.last_engagement_ms.unwrap_or(plan.created_ms);
        let updated_ms = last_activity.max(plan.last_modified_ms).min(g.anchor_ms);
        let mut record = p.finish(ObjectType::Companies, plan.id, plan.created_ms, updated_ms);
        record.assoc = plan.assoc;
        out.push(record);
    }
    out
}

/// Each company's id and trajectory, as [`generate`] plans them for `config` (the plan's first
/// draws, so this is cheap).
pub(crate) fn trajectories(config: &SandboxConfig) -> Vec<(u64, Trajectory)> {
    let mut g = Generator {
        rng: StdRng::seed_from_u64(config.seed),
        timing: StdRng::seed_from_u64(config.seed ^ trajectory::TIMING_SALT),
        seed: config.seed,
        anchor_ms: 0,
        next_id: FIRST_ID,
        keys: Vec::new(),
    };
    plan_companies(&mut g, config.companies)
        .into_iter()
        .map(|plan| (plan.id, plan.trajectory))
        .collect()
}

#[cfg(test)]
mod lazy_tests;
#[cfg(test)]
mod tests;
