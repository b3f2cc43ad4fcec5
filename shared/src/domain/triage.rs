//! Triage order: which insight a person should look at first. Pure: the API sorts the insights a
//! filter matches with [`InsightSort::compare`] and pages them by [`SortKey`] positions.
//!
//! The default ([`InsightSort::Impact`]) puts critical before high before medium before low; inside
//! an impact, the largest revenue at stake first (an upside is not at stake and does not count
//! here); then the most confident; then the most recently updated. Every order ends on the id, so
//! it is total: two insights never tie, and a page boundary is one exact position.

use crate::domain::{Impact, Insight};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// The orders the insight list offers.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum InsightSort {
    /// Impact (critical first), then revenue at stake (largest first), then confidence: triage.
    #[default]
    Impact,
    /// Revenue at stake (largest first), then upside, then impact, then confidence.
    Revenue,
    /// Confidence (most confident first), then impact, then revenue at stake.
    Confidence,
    /// Last updated (newest first).
    Updated,
}

impl InsightSort {
    pub fn as_str(self) -> &'static str {
        match self {
            InsightSort::Impact => "impact",
            InsightSort::Revenue => "revenue",
            InsightSort::Confidence => "confidence",
            InsightSort::Updated => "updated",
        }
    }

    /// `Less` when `a` comes first.
    pub fn compare(self, a: &SortKey, b: &SortKey) -> Ordering {
        // Each key is "larger first", so compare b to a; the id breaks ties ascending.
        let impact = || b.impact.cmp(&a.impact);
        let at_stake = || amount(b.revenue_at_stake).total_cmp(&amount(a.revenue_at_stake));
        let upside = || amount(b.revenue_upside).total_cmp(&amount(a.revenue_upside));
        let confidence = || b.confidence.cmp(&a.confidence);
        let updated = || b.updated_at.cmp(&a.updated_at);
        let order = match self {
            InsightSort::Impact => impact()
                .then_with(at_stake)
                .then_with(confidence)
                .then_with(updated),
            InsightSort::Revenue => at_stake()
                .then_with(upside)
                .then_with(impact)
                .then_with(confidence),
            InsightSort::Confidence => confidence().then_with(impact).then_with(at_stake),
            InsightSort::Updated => updated(),
        };
        order.then_with(|| a.id.cmp(&b.id))
    }

    /// Sorts `insights` in this order (each key built once, not once per comparison).
    pub fn sort(self, insights: &mut Vec<Insight>) {
        let mut keyed: Vec<(SortKey, Insight)> =
            insights.drain(..).map(|i| (SortKey::of(&i), i)).collect();
        keyed.sort_by(|(a, _), (b, _)| self.compare(a, b));
        insights.extend(keyed.into_iter().map(|(_, i)| i));
    }
}

/// An unknown amount sorts after every known one (and after zero).
fn amount(value: Option<f64>) -> f64 {
    value.filter(|v| v.is_finite()).unwrap_or(f64::NEG_INFINITY)
}

/// What the orders look at of an insight: also the position a cursor resumes after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SortKey {
    #[serde(rename = "i")]
    pub impact: Impact,
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub revenue_at_stake: Option<f64>,
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    pub revenue_upside: Option<f64>,
    #[serde(rename = "c")]
    pub confidence: u8,
    #[serde(rename = "t")]
    pub updated_at: DateTime<Utc>,
    #[serde(rename = "id")]
    pub id: String,
}

impl SortKey {
    pub fn of(insight: &Insight) -> Self {
        Self {
            impact: insight.impact,
            revenue_at_stake: insight.revenue_at_stake,
            revenue_upside: insight.revenue_upside,
            confidence: insight.confidence,
            updated_at: insight.updated_at,
            id: insight.id.to_string(),
        }
    }
}

/// What every [`triage_index_key`] starts with. Keys written before the triage index (the time of
/// the last update) start with a digit, so the two kinds never interleave.
pub const TRIAGE_INDEX_PREFIX: &str = "T#";

/// A string whose byte order is [`InsightSort::Impact`]'s order, so an index sorted by it serves the
/// triage list a page at a time: impact (critical first), revenue at stake (largest first, unknown
/// last), confidence (highest first), last update (newest first), then the id. Each field but the
/// id has a fixed width, so comparing two keys compares the fields in turn.
pub fn triage_index_key(key: &SortKey) -> String {
    let impact = match key.impact {
        Impact::Critical => 0,
        Impact::High => 1,
        Impact::Medium => 2,
        Impact::Low => 3,
    };
    // `amount` sends every unknown or non-finite amount after the known ones.
    let at_stake = match key.revenue_at_stake.filter(|v| v.is_finite()) {
        Some(value) => format!("0{:016x}", u64::MAX - ordered_bits(value)),
        None => format!("1{:016x}", 0),
    };
    let confidence = u8::MAX - key.confidence;
    // Newest first: seconds and nanoseconds counted down from their largest value.
    let seconds = i128::from(i64::MAX) - i128::from(key.updated_at.timestamp());
    let nanos = 999_999_999u32.saturating_sub(key.updated_at.timestamp_subsec_nanos());
    format!(
        "{TRIAGE_INDEX_PREFIX}{impact}#{at_stake}#{confidence:03}#{seconds:020}.{nanos:09}#{}",
        key.id
    )
}

/// `value`'s bits as an unsigned number in the order of `f64::total_cmp`.
fn ordered_bits(value: f64) -> u64 {
    let bits = value.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::insight::sample;
    use crate::domain::{InsightId, InsightStatus};
    use chrono::TimeZone;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 10, minute, 0).unwrap()
    }

    fn insight(id: &str, impact: Impact, at_stake: Option<f64>, confidence: u8) -> Insight {
        let mut insight = sample(InsightStatus::Open, at(0));
        insight.id = InsightId::parse(id).unwrap();
        insight.impact = impact;
        insight.revenue_at_stake = at_stake;
        insight.confidence = confidence;
        insight
    }

    fn ids(insights: &[Insight]) -> Vec<&str> {
        insights.iter().map(|i| i.id.as_str()).collect()
    }

    #[test]
    fn triage_puts_impact_first_then_revenue_at_stake_then_confidence() {
        let mut upsell = insight("upsell", Impact::Critical, None, 99);
        upsell.revenue_upside = Some(1_000_000.0);
        let mut list = vec![
            insight("low-rich", Impact::Low, Some(90_000.0), 99),
            upsell,
            insight("crit-small", Impact::Critical, Some(100.0), 50),
            insight("crit-big", Impact::Critical, Some(5_000.0), 40),
            insight("crit-big-sure", Impact::Critical, Some(5_000.0), 90),
            insight("high", Impact::High, None, 90),
        ];
        InsightSort::Impact.sort(&mut list);
        assert_eq!(
            ids(&list),
            [
                "crit-big-sure",
                "crit-big",
                "crit-small",
                // An upside is not at stake: it comes after every known amount at stake.
                "upsell",
                "high",
                "low-rich"
            ]
        );

        InsightSort::Revenue.sort(&mut list);
        assert_eq!(ids(&list)[..2], ["low-rich", "crit-big-sure"]);
        assert_eq!(ids(&list)[4..], ["upsell", "high"]);

        // Most confident first: the two at 99, then the two at 90.
        InsightSort::Confidence.sort(&mut list);
        assert_eq!(ids(&list)[..2], ["upsell", "low-rich"]);
        let mut next = ids(&list)[2..4].to_vec();
        next.sort_unstable();
        assert_eq!(next, ["crit-big-sure", "high"]);
    }

    #[test]
    fn the_order_is_total_and_the_id_breaks_ties() {
        let a = insight("a", Impact::High, Some(1.0), 80);
        let b = insight("b", Impact::High, Some(1.0), 80);
        for sort in [
            InsightSort::Impact,
            InsightSort::Revenue,
            InsightSort::Confidence,
            InsightSort::Updated,
        ] {
            let (ka, kb) = (SortKey::of(&a), SortKey::of(&b));
            assert_eq!(sort.compare(&ka, &kb), Ordering::Less, "{sort:?}");
            assert_eq!(sort.compare(&kb, &ka), Ordering::Greater, "{sort:?}");
            assert_eq!(sort.compare(&ka, &ka), Ordering::Equal, "{sort:?}");
        }
    }

    #[test]
    fn updated_puts_the_newest_first() {
        let mut old = insight("old", Impact::Critical, None, 90);
        old.updated_at = at(1);
        let mut new = insight("new", Impact::Low, None, 10);
        new.updated_at = at(2);
        let mut list = vec![old, new];
        InsightSort::Updated.sort(&mut list);
        assert_eq!(ids(&list), ["new", "old"]);
    }

    mod index_key {
        use super::*;
        use proptest::prelude::*;

        fn impact() -> impl Strategy<Value = Impact> {
            prop_oneof![
                Just(Impact::Low),
                Just(Impact::Medium),
                Just(Impact::High),
                Just(Impact::Critical)
            ]
        }

        fn amount() -> impl Strategy<Value = Option<f64>> {
            prop_oneof![
                Just(None),
                Just(Some(f64::NAN)),
                Just(Some(f64::INFINITY)),
                Just(Some(-0.0)),
                Just(Some(0.0)),
                (-1e9f64..1e9).prop_map(Some),
                (0u32..5).prop_map(|v| Some(f64::from(v) * 100.0)),
            ]
        }

        prop_compose! {
            fn sort_key()(
                impact in impact(),
                at_stake in amount(),
                confidence in prop_oneof![Just(0u8), Just(49), Just(50), Just(100), any::<u8>()],
                seconds in prop_oneof![Just(1_780_000_000i64), -10_000_000_000i64..10_000_000_000],
                nanos in prop_oneof![Just(0u32), 0u32..1_000_000_000],
                id in "[a-z0-9:-]{1,6}",
            ) -> SortKey {
                SortKey {
                    impact,
                    revenue_at_stake: at_stake,
                    revenue_upside: None,
                    confidence,
                    updated_at: DateTime::from_timestamp(seconds, nanos).unwrap_or_default(),
                    id,
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2_000))]
            #[test]
            fn the_index_key_orders_as_triage_does(a in sort_key(), b in sort_key()) {
                let by_keys = triage_index_key(&a).cmp(&triage_index_key(&b));
                prop_assert_eq!(by_keys, InsightSort::Impact.compare(&a, &b), "{:?} vs {:?}", a, b);
            }
        }

        #[test]
        fn every_index_key_sorts_after_the_update_times_keys_had_before() {
            let key = SortKey::of(&insight("x", Impact::Low, None, 0));
            let indexed = triage_index_key(&key);
            assert!(indexed.starts_with(TRIAGE_INDEX_PREFIX));
            assert!(indexed.as_str() > "9999-12-31T23:59:59.999999Z");
        }
    }
}
