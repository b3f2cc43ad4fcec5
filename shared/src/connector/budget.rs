//! An invocation's time: what it keeps in reserve before its deadline (to save its work and ask for
//! a continuation), and the rule that an invocation which could not do one step of work fails rather
//! than continuing, so a chain of continuations always ends.

use crate::connector::error::SyncError;
use std::time::{Duration, Instant};

/// The share of an invocation's time kept in reserve before its deadline (at most
/// [`crate::connector::SyncOptions::deadline_reserve`]).
pub const RESERVE_SHARE: f64 = 0.2;

/// What an invocation with `budget` left before its deadline keeps in reserve.
pub fn deadline_reserve(budget: Duration, most: Duration) -> Duration {
    budget.mul_f64(RESERVE_SHARE).min(most)
}

/// The time of one invocation: from its start to its deadline, less the reserve.
#[derive(Debug, Clone, Copy)]
pub struct InvocationBudget {
    deadline: Instant,
    budget: Duration,
    reserve: Duration,
}

impl InvocationBudget {
    /// The budget of an invocation starting now, keeping at most `most_reserve` back.
    pub fn until(deadline: Instant, most_reserve: Duration) -> Self {
        let budget = deadline.saturating_duration_since(Instant::now());
        InvocationBudget {
            deadline,
            budget,
            reserve: deadline_reserve(budget, most_reserve),
        }
    }

    /// Whether no new step may start: what is left is the reserve.
    pub fn is_spent(&self) -> bool {
        Instant::now() + self.reserve >= self.deadline
    }

    /// The failure of an invocation that ended without one step of work: a continuation would
    /// make no progress either.
    pub fn no_progress(&self) -> SyncError {
        SyncError::NoProgress {
            budget_ms: self.budget.as_millis(),
            reserve_ms: self.reserve.as_millis(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserve_is_a_fifth_of_the_time_at_most_the_cap() {
        let secs = Duration::from_secs;
        assert_eq!(deadline_reserve(secs(900), secs(10)), secs(10));
        assert_eq!(deadline_reserve(secs(20), secs(10)), secs(4));
    }

    #[test]
    fn a_budget_within_its_reserve_is_spent() {
        let far = InvocationBudget::until(
            Instant::now() + Duration::from_secs(60),
            Duration::from_secs(1),
        );
        assert!(!far.is_spent());
        let now = InvocationBudget::until(Instant::now(), Duration::from_secs(1));
        assert!(now.is_spent());
        assert!(matches!(
            now.no_progress(),
            SyncError::NoProgress { budget_ms: 0, .. }
        ));
    }
}
