//! A portal generated on demand: every record is a pure function of (seed, object type, index), so
//! a portal of millions of records costs a few megabytes (one table of slot starts per child type)
//! and a record is built when a request reads it.
//!
//! How records link without being stored: each child type (contacts, deals, tickets, each
//! engagement type) has `count` slots, dealt to companies in contiguous runs sized by the company's
//! weight (its size and story). A child's slot is a keyed permutation of its index, so a company's
//! children are spread over the whole id range as real portals' are (ids follow creation time, not
//! the company), and both directions are cheap: child -> slot -> company by binary search, company
//! -> slots -> children by the inverse permutation. A child's contact is drawn from its company's
//! contacts with the child's own hash, so a contact finds its deals, tickets and engagements by
//! walking its company's children.

use super::*;

/// The types whose records each belong to a company, in the order their id blocks are laid out.
pub(super) const CHILD_TYPES: [ObjectType; 8] = [
    ObjectType::Contacts,
    ObjectType::Deals,
    ObjectType::Tickets,
    ObjectType::Emails,
    ObjectType::Calls,
    ObjectType::Meetings,
    ObjectType::Notes,
    ObjectType::Tasks,
];

/// Shares of the engagements per type, as the eager generator draws them.
const ENGAGEMENT_SHARES: [(ObjectType, u64); 5] = [
    (ObjectType::Emails, 35),
    (ObjectType::Calls, 20),
    (ObjectType::Meetings, 10),
    (ObjectType::Notes, 20),
    (ObjectType::Tasks, 15),
];

/// Salts that keep a record's independent draws apart.
pub(super) const RECORD_SALT: u64 = 0x5245_434f_5244; // "RECORD"
pub(super) const LINK_SALT: u64 = 0x4c49_4e4b; // "LINK"
const PERMUTATION_SALT: u64 = 0x5045_524d; // "PERM"

/// SplitMix64: a fast, well-mixed stream from one 64-bit key (all a record needs).
#[derive(Clone, Debug)]
pub(super) struct Draw(u64);

pub(super) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The key of one record's draws: seed, type, index and a salt, mixed.
pub(super) fn record_key(seed: u64, ty: ObjectType, index: u64, salt: u64) -> u64 {
    mix(mix(mix(seed ^ salt).wrapping_add(ty.index() as u64)).wrapping_add(index))
}

impl Draw {
    pub(super) fn new(key: u64) -> Self {
        Draw(key)
    }

    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `0..1`.
    pub(super) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub(super) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }

    pub(super) fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            low
        } else {
            low + self.below((high - low) as u64) as i64
        }
    }

    pub(super) fn range_f64(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    pub(super) fn pick<T: Copy>(&mut self, weighted: &[(T, u32)]) -> T {
        let total: u32 = weighted.iter().map(|(_, w)| w).sum();
        let mut roll = self.below(u64::from(total.max(1))) as u32;
        for (item, weight) in weighted {
            if roll < *weight {
                return *item;
            }
            roll -= weight;
        }
        weighted[0].0
    }

    pub(super) fn of<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// A keyed bijection of `0..n` (a 4-round Feistel network on the smallest even bit width that
/// covers `n`, cycle-walked back into range), with its inverse.
#[derive(Clone, Debug)]
pub(super) struct Permutation {
    n: u64,
    half_bits: u32,
    key: u64,
}

impl Permutation {
    fn new(n: u64, key: u64) -> Self {
        let mut bits = 2;
        while bits < 64 && (1u64 << bits) < n {
            bits += 2;
        }
        Permutation {
            n,
            half_bits: bits / 2,
            key,
        }
    }

    fn round(&self, round: u64, half: u64) -> u64 {
        mix(self.key ^ round.wrapping_mul(0x9E37_79B9) ^ half) & ((1u64 << self.half_bits) - 1)
    }

    fn step(&self, x: u64) -> u64 {
        let mask = (1u64 << self.half_bits) - 1;
        let (mut left, mut right) = (x >> self.half_bits, x & mask);
        for round in 0..4 {
            let next = left ^ self.round(round, right);
            left = right;
            right = next;
        }
        (left << self.half_bits) | right
    }

    fn unstep(&self, y: u64) -> u64 {
        let mask = (1u64 << self.half_bits) - 1;
        let (mut left, mut right) = (y >> self.half_bits, y & mask);
        for round in (0..4).rev() {
            let previous = right ^ self.round(round, left);
            right = left;
            left = previous;
        }
        (left << self.half_bits) | right
    }

    /// The slot of index `x` (`x < n`).
    pub(super) fn forward(&self, x: u64) -> u64 {
        let mut y = self.step(x);
        while y >= self.n {
            y = self.step(y);
        }
        y
    }

    /// The index in slot `y` (`y < n`).
    pub(super) fn inverse(&self, y: u64) -> u64 {
        let mut x = self.unstep(y);
        while x >= self.n {
            x = self.unstep(x);
        }
        x
    }
}

/// Where one child type's records sit: their ids, and which company owns which slots.
#[derive(Clone, Debug)]
pub(super) struct Layout {
    pub first_id: u64,
    pub count: u64,
    /// Slots `starts[c]..starts[c + 1]` belong to company `c`; slots from `starts[companies]` on
    /// belong to none (a few contacts have no company).
    pub starts: Vec<u32>,
    pub permutation: Permutation,
}

impl Layout {
    /// The company owning the record at `index`, if any.
    pub(super) fn company_of(&self, index: u64) -> Option<u64> {
        let slot = self.permutation.forward(index);
        let owned = u64::from(*self.starts.last()?);
        if slot >= owned {
            return None;
        }
        let after = self
            .starts
            .partition_point(|start| u64::from(*start) <= slot);
        Some(after as u64 - 1)
    }

    /// The indexes of company `c`'s records, in slot order.
    pub(super) fn children(&self, company: u64) -> impl Iterator<Item = u64> + '_ {
        let c = company as usize;
        let (start, end) = match (self.starts.get(c), self.starts.get(c + 1)) {
            (Some(s), Some(e)) => (u64::from(*s), u64::from(*e)),
            _ => (0, 0),
        };
        (start..end).map(|slot| self.permutation.inverse(slot))
    }

    pub(super) fn children_count(&self, company: u64) -> u64 {
        let c = company as usize;
        match (self.starts.get(c), self.starts.get(c + 1)) {
            (Some(s), Some(e)) => u64::from(e - s),
            _ => 0,
        }
    }

    /// The `k`-th record (in slot order) of company `c`.
    pub(super) fn child(&self, company: u64, k: u64) -> u64 {
        let start = self
            .starts
            .get(company as usize)
            .map_or(0, |s| u64::from(*s));
        self.permutation.inverse(start + k)
    }
}

/// What a company's own draws decide: everything its children follow.
#[derive(Clone, Copy, Debug)]
pub(super) struct CompanyPlanLite {
    pub id: u64,
    pub story: Story,
    pub size: f64,
    pub created_ms: i64,
    pub quiet_days: f64,
    pub trajectory: Trajectory,
    pub cliff_days: Option<f64>,
}

/// The lazily generated base of a portal.
#[derive(Debug)]
pub(crate) struct LazyPortal {
    pub(super) seed: u64,
    pub(super) anchor_ms: i64,
    pub(super) companies: u64,
    pub(super) first_company_id: u64,
    /// Indexed like `CHILD_TYPES`.
    pub(super) layouts: Vec<Layout>,
    pub(super) keys: Vec<PropertyKeys>,
    /// The first id after every generated record.
    pub(crate) next_id: u64,
}

impl LazyPortal {
    pub(crate) fn new(config: &SandboxConfig, anchor_ms: i64, interner: &mut Interner) -> Self {
        let keys = property_keys(interner);
        let companies = config.companies as u64;
        let seed = config.seed;
        let plans: Vec<CompanyPlanLite> = (0..companies)
            .map(|c| company_plan(seed, anchor_ms, FIRST_ID + c, c))
            .collect();
        let engagements = config.engagements as u64;
        let mut counts = vec![
            config.contacts as u64,
            config.deals as u64,
            config.tickets as u64,
        ];
        let mut dealt = 0;
        for (i, (_, share)) in ENGAGEMENT_SHARES.iter().enumerate() {
            let n = if i + 1 == ENGAGEMENT_SHARES.len() {
                engagements - dealt
            } else {
                engagements * share / 100
            };
            dealt += n;
            counts.push(n);
        }
        let mut next_id = FIRST_ID + companies;
        let mut layouts = Vec::with_capacity(CHILD_TYPES.len());
        for (ty, count) in CHILD_TYPES.iter().zip(counts) {
            let weight = |p: &CompanyPlanLite| match ty {
                ObjectType::Contacts | ObjectType::Deals => p.size,
                ObjectType::Tickets => {
                    p.size
                        * if p.story == Story::SupportBurden {
                            8.0
                        } else {
                            1.0
                        }
                        * if p.trajectory == Trajectory::Cliff {
                            3.0
                        } else {
                            1.0
                        }
                }
                _ => p.size * p.story.engagement_weight(),
            };
            // A few contacts belong to no company, as in every real portal.
            let owned = if *ty == ObjectType::Contacts {
                count - count * 3 / 100
            } else {
                count
            };
            let total: f64 = plans.iter().map(weight).sum();
            let mut starts = Vec::with_capacity(plans.len() + 1);
            let mut running = 0.0;
            starts.push(0u32);
            for plan in &plans {
                running += weight(plan);
                let end = if total > 0.0 {
                    ((running / total) * owned as f64).round() as u64
                } else {
                    0
                };
                starts.push(end.min(owned) as u32);
            }
            if let Some(last) = starts.last_mut() {
                if companies > 0 {
                    *last = owned as u32;
                }
            }
            layouts.push(Layout {
                first_id: next_id,
                count,
                starts,
                permutation: Permutation::new(count, record_key(seed, *ty, 0, PERMUTATION_SALT)),
            });
            next_id += count;
        }
        LazyPortal {
            seed,
            anchor_ms,
            companies,
            first_company_id: FIRST_ID,
            layouts,
            keys,
            next_id,
        }
    }

    pub(super) fn layout(&self, ty: ObjectType) -> Option<&Layout> {
        CHILD_TYPES
            .iter()
            .position(|t| *t == ty)
            .map(|i| &self.layouts[i])
    }

    /// The ids the base holds for a type: `first..end`.
    pub(crate) fn id_range(&self, ty: ObjectType) -> std::ops::Range<u64> {
        match ty {
            ObjectType::Companies => self.first_company_id..self.first_company_id + self.companies,
            _ => self
                .layout(ty)
                .map_or(0..0, |l| l.first_id..l.first_id + l.count),
        }
    }

    pub(crate) fn contains(&self, ty: ObjectType, id: u64) -> bool {
        self.id_range(ty).contains(&id)
    }

    /// The base record with this id (`None` outside the type's range). Every base record was last
    /// modified at or before the anchor.
    pub(crate) fn record(&self, ty: ObjectType, id: u64) -> Option<Record> {
        if !self.contains(ty, id) {
            return None;
        }
        let index = id - self.id_range(ty).start;
        Some(match ty {
            ObjectType::Companies => self.company(index),
            ObjectType::Contacts => self.contact(index),
            ObjectType::Deals => self.deal(index),
            ObjectType::Tickets => self.ticket(index),
            _ => self.engagement(ty, index),
        })
    }

    /// The latest time a base record can have been modified.
    pub(crate) fn anchor_ms(&self) -> i64 {
        self.anchor_ms
    }

    /// Bytes held for the layout (what the base costs in memory, whatever the portal's size).
    #[cfg(test)]
    pub(crate) fn footprint_bytes(&self) -> usize {
        self.layouts
            .iter()
            .map(|l| l.starts.capacity() * std::mem::size_of::<u32>())
            .sum::<usize>()
            + std::mem::size_of::<Self>()
    }

    pub(super) fn plan(&self, company_index: u64) -> CompanyPlanLite {
        company_plan(
            self.seed,
            self.anchor_ms,
            self.first_company_id + company_index,
            company_index,
        )
    }

    pub(super) fn props(&self, ty: ObjectType) -> Props {
        Props::new(&self.keys[ty.index()])
    }
}

fn property_keys(interner: &mut Interner) -> Vec<PropertyKeys> {
    ObjectType::ALL
        .iter()
        .map(|ty| {
            ty.schema()
                .iter()
                .map(|name| (*name, interner.get(name)))
                .collect::<Vec<_>>()
                .into()
        })
        .collect()
}

fn company_plan(seed: u64, anchor_ms: i64, id: u64, index: u64) -> CompanyPlanLite {
    let mut d = Draw::new(record_key(seed, ObjectType::Companies, index, 0));
    let story = d.pick(&[
        (Story::Healthy, 35),
        (Story::Inactive, 20),
        (Story::HighRevenueLowTouch, 10),
        (Story::UnansweredOutreach, 15),
        (Story::SupportBurden, 12),
        (Story::Declining, 8),
    ]);
    let size = 1.0 + d.unit().powi(3) * 15.0;
    let created_ms = anchor_ms - d.between(220 * DAY_MS, 1_500 * DAY_MS);
    let (low, high) = match story {
        Story::Healthy => (0.0, 8.0),
        Story::Inactive => (30.0, 200.0),
        Story::HighRevenueLowTouch => (20.0, 90.0),
        Story::UnansweredOutreach => (0.0, 10.0),
        Story::SupportBurden => (0.0, 15.0),
        Story::Declining => (15.0, 45.0),
    };
    let story_quiet = d.range_f64(low, high);
    let trajectory = Trajectory::of(seed, id, story);
    let cliff_days = trajectory.cliff_days(seed, id);
    CompanyPlanLite {
        id,
        story,
        size,
        created_ms,
        quiet_days: cliff_days.unwrap_or(story_quiet),
        trajectory,
        cliff_days,
    }
}
