//! How a company's activity moved over the last months: its trajectory decides when its engagements,
//! tickets and closed deals happened, so a history rebuilt day by day from those dates (the local
//! runner's 90-day backfill) shows clients improving, declining, holding steady, and a few falling off
//! a cliff recently.
//!
//! The trajectory comes from a random stream of its own (seeded from the portal's seed and the
//! company's id), so adding it left every other draw of the generator where it was: names, stories,
//! counts and associations are the ones the seed always gave.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::Story;

/// Days of history the shapes below spread a company's activity over, beyond its quiet days: more
/// than the scoring window (90 days) plus the backfilled 90 days, so the oldest backfilled day still
/// sees a full window of a steady client's activity.
pub(super) const STEADY_SPAN_DAYS: f64 = 200.0;
/// Improving and declining clients' activity ramps over this many days.
pub(super) const RAMP_SPAN_DAYS: f64 = 180.0;
/// A cliff happened this many days ago at most (and at least the lower bound).
const CLIFF_DAYS: (f64, f64) = (5.0, 25.0);

/// Mixed into the seed for the trajectory draws, so they are a stream apart from the generator's.
const TRAJECTORY_SALT: u64 = 0x7472_616a_6563_746f; // "trajecto"
/// Mixed into the seed for the dates drawn by trajectory.
pub(super) const TIMING_SALT: u64 = 0x7469_6d69_6e67_0000; // "timing"

/// The direction a company's activity took over the last months.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Trajectory {
    /// As active as ever: activity spread evenly over the months.
    Steady,
    /// More activity lately than months ago; old tickets closed, recent deals won.
    Improving,
    /// Less activity lately than months ago; recent tickets stay open, recent deals lost.
    Declining,
    /// Normal until a few weeks ago, then silence, urgent tickets and a lost deal.
    Cliff,
}

impl Trajectory {
    pub const ALL: [Trajectory; 4] = [
        Trajectory::Steady,
        Trajectory::Improving,
        Trajectory::Declining,
        Trajectory::Cliff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Trajectory::Steady => "steady",
            Trajectory::Improving => "improving",
            Trajectory::Declining => "declining",
            Trajectory::Cliff => "cliff",
        }
    }

    /// The trajectory of the company `id` with `story`: stories lean one way (a declining story
    /// mostly declines or falls off a cliff, a healthy one holds or improves).
    pub(super) fn of(seed: u64, id: u64, story: Story) -> Trajectory {
        let weights: &[(Trajectory, u32)] = match story {
            Story::Healthy => &[
                (Trajectory::Steady, 50),
                (Trajectory::Improving, 40),
                (Trajectory::Declining, 10),
            ],
            Story::Inactive => &[(Trajectory::Steady, 60), (Trajectory::Declining, 40)],
            Story::HighRevenueLowTouch => &[(Trajectory::Steady, 80), (Trajectory::Declining, 20)],
            Story::UnansweredOutreach => &[
                (Trajectory::Steady, 50),
                (Trajectory::Declining, 35),
                (Trajectory::Improving, 15),
            ],
            Story::SupportBurden => &[
                (Trajectory::Steady, 40),
                (Trajectory::Declining, 30),
                (Trajectory::Cliff, 30),
            ],
            Story::Declining => &[(Trajectory::Declining, 65), (Trajectory::Cliff, 35)],
        };
        let mut rng = StdRng::seed_from_u64(seed ^ TRAJECTORY_SALT ^ id.wrapping_mul(PHI));
        let total: u32 = weights.iter().map(|(_, w)| w).sum();
        let mut roll = rng.random_range(0..total);
        for (trajectory, weight) in weights {
            if roll < *weight {
                return *trajectory;
            }
            roll -= weight;
        }
        Trajectory::Steady
    }

    /// Days since the cliff (drawn from the company's own stream, so it is the same whatever else
    /// the generator draws); `None` for the other trajectories.
    pub(super) fn cliff_days(self, seed: u64, id: u64) -> Option<f64> {
        (self == Trajectory::Cliff).then(|| {
            let mut rng =
                StdRng::seed_from_u64(seed ^ TRAJECTORY_SALT.rotate_left(1) ^ id.wrapping_mul(PHI));
            rng.random_range(CLIFF_DAYS.0..CLIFF_DAYS.1)
        })
    }

    /// Days before the company's last activity at which an engagement falls, from a uniform draw
    /// `u` in `0..1`: the inverse of the trajectory's density over its span.
    pub(super) fn engagement_age(self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        match self {
            Trajectory::Steady | Trajectory::Cliff => STEADY_SPAN_DAYS * u,
            // Density falling with age (most activity lately).
            Trajectory::Improving => RAMP_SPAN_DAYS * (1.0 - (1.0 - u).sqrt()),
            // Density growing with age (most activity months ago).
            Trajectory::Declining => RAMP_SPAN_DAYS * u.sqrt(),
        }
    }
}

/// The golden-ratio multiplier: spreads consecutive ids over the seed space.
const PHI: u64 = 0x9E37_79B9_7F4A_7C15;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_stay_in_the_span_and_lean_the_trajectory_s_way() {
        let mean = |t: Trajectory| {
            (0..1_000)
                .map(|i| t.engagement_age((f64::from(i) + 0.5) / 1_000.0))
                .sum::<f64>()
                / 1_000.0
        };
        for t in Trajectory::ALL {
            for u in [0.0, 0.3, 0.999, 1.0] {
                let age = t.engagement_age(u);
                assert!((0.0..=STEADY_SPAN_DAYS).contains(&age), "{t:?} {u} {age}");
            }
        }
        // Improving: a third of the span on average; declining: two thirds.
        assert!((mean(Trajectory::Improving) - RAMP_SPAN_DAYS / 3.0).abs() < 1.0);
        assert!((mean(Trajectory::Declining) - 2.0 * RAMP_SPAN_DAYS / 3.0).abs() < 1.0);
        assert!((mean(Trajectory::Steady) - STEADY_SPAN_DAYS / 2.0).abs() < 1.0);
    }

    #[test]
    fn the_trajectory_depends_on_seed_and_company_only() {
        let first: Vec<Trajectory> = (0..200)
            .map(|id| Trajectory::of(42, id, Story::SupportBurden))
            .collect();
        let again: Vec<Trajectory> = (0..200)
            .map(|id| Trajectory::of(42, id, Story::SupportBurden))
            .collect();
        let other: Vec<Trajectory> = (0..200)
            .map(|id| Trajectory::of(43, id, Story::SupportBurden))
            .collect();
        assert_eq!(first, again);
        assert_ne!(first, other);
        for t in [Trajectory::Steady, Trajectory::Declining, Trajectory::Cliff] {
            assert!(first.contains(&t), "{t:?}");
        }
        assert!(!first.contains(&Trajectory::Improving));
        assert_eq!(Trajectory::Steady.cliff_days(42, 1), None);
        let cliff = Trajectory::Cliff.cliff_days(42, 1).unwrap_or_default();
        assert!((CLIFF_DAYS.0..CLIFF_DAYS.1).contains(&cliff), "{cliff}");
    }
}
