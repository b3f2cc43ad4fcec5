//! How sure the engine is of a finding (confidence), what is at stake (impact), and the small
//! helpers every rule shares: the insight id, evidence, amounts.

use crate::domain::{
    ClientId, Evidence, Impact, InsightId, InsightRule, Platform, SourceRef, TenantId,
};
use crate::scoring::linked::RecordMatch;
use crate::scoring::{ClientFeatures, TenantContext};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// The insight's id: the rule, then a short SHA-256 of tenant, client and rule, so a re-run updates
/// the same insight and ids never collide across tenants.
pub fn insight_id(tenant: &TenantId, client: &ClientId, rule: InsightRule) -> InsightId {
    let mut hasher = Sha256::new();
    for part in [tenant.as_str(), client.as_str(), rule.as_str()] {
        // Length-prefixed, so ("ab", "c") and ("a", "bc") hash apart.
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut id = String::with_capacity(rule.as_str().len() + 1 + 24);
    id.push_str(rule.as_str());
    id.push('-');
    for byte in &digest[..12] {
        // Writing to a String cannot fail.
        let _ = write!(id, "{byte:02x}");
    }
    InsightId::parse(id)
        .unwrap_or_else(|_| unreachable!("rule names and hex digits are valid id characters"))
}

/// Confidence 0..=100 from the share of the needed signals that were present (`coverage`), how much
/// data backs the finding (`support`), and how many independent sources agree. One source can reach
/// 90 at most; each correlated platform adds.
pub fn confidence(coverage: f64, support: f64, sources: u32) -> u8 {
    let source_agreement = match sources {
        0 | 1 => 0.5,
        2 => 0.75,
        _ => 1.0,
    };
    let value =
        40.0 * coverage.clamp(0.0, 1.0) + 40.0 * support.clamp(0.0, 1.0) + 20.0 * source_agreement;
    value.round().clamp(0.0, 100.0) as u8
}

/// The agreement term of one client's own record, by how many sources its snapshot names.
fn crm_agreement(sources: u32) -> f64 {
    match sources {
        0 | 1 => 0.5,
        2 => 0.75,
        _ => 1.0,
    }
}

/// The sources behind a finding: the client's own record, and the linked records whose data agrees
/// with it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Backing {
    /// Sources of the client's own (CRM) record backing the finding, as its snapshot counts them; 0
    /// when the finding rests on linked records alone.
    pub crm_sources: u32,
    pub crm_platforms: Vec<Platform>,
    /// Linked records whose data agrees with the finding, best match first.
    pub linked: Vec<RecordMatch>,
    /// Whether the finding would not hold without the linked records (so it is only as sure as
    /// their match).
    pub relies_on_linked: bool,
}

impl Backing {
    /// A finding of the client's own record alone.
    pub fn crm(features: &ClientFeatures) -> Self {
        Self {
            crm_sources: features.sources,
            crm_platforms: features.platforms.clone(),
            linked: Vec::new(),
            relies_on_linked: false,
        }
    }

    /// A finding of linked records alone.
    pub fn linked_only(mut linked: Vec<RecordMatch>) -> Self {
        sort_best_first(&mut linked);
        Self {
            crm_sources: 0,
            crm_platforms: Vec::new(),
            relies_on_linked: true,
            linked,
        }
    }

    /// Adds linked records that agree with the finding; `needed` when it would not hold without them.
    pub fn with_linked(mut self, linked: Vec<RecordMatch>, needed: bool) -> Self {
        self.linked.extend(linked);
        sort_best_first(&mut self.linked);
        self.relies_on_linked = self.relies_on_linked || (needed && !self.linked.is_empty());
        self
    }

    /// The sources to show: the client's own platforms, then each linked platform with its surest
    /// match.
    pub fn sources(&self) -> Vec<SourceRef> {
        let own = self.crm_platforms.iter().map(|p| SourceRef::own(*p));
        let linked = self.linked.iter().map(RecordMatch::source);
        crate::domain::score::one_per_platform(own.chain(linked))
    }
}

fn sort_best_first(links: &mut [RecordMatch]) {
    links.sort_by(|a, b| {
        b.weight()
            .total_cmp(&a.weight())
            .then(a.platform.cmp(&b.platform))
            .then(a.method.cmp(&b.method))
    });
}

/// Confidence of a finding from its `backing`. Without linked records it is exactly [`confidence`]
/// (one source reaches 90 at most). Each further independent platform that agrees closes part of the
/// gap to full agreement, in proportion to its match confidence: HubSpot and a PayPal record matched
/// at 1.0 can reach 100, matched at 0.65 less. A finding that needs linked records is, in addition,
/// only as sure as the chance that at least one of them is matched right: one record matched at
/// 0.65 leaves at most 0.65 x 90.
pub fn backed_confidence(coverage: f64, support: f64, backing: &Backing) -> u8 {
    if backing.linked.is_empty() {
        return confidence(coverage, support, backing.crm_sources);
    }
    let agreement = agreement(backing);
    let match_weight = if backing.relies_on_linked || backing.crm_sources == 0 {
        1.0 - backing
            .linked
            .iter()
            .map(|l| 1.0 - l.weight())
            .product::<f64>()
    } else {
        1.0
    };
    let value = (40.0 * coverage.clamp(0.0, 1.0)
        + 40.0 * support.clamp(0.0, 1.0)
        + 20.0 * agreement.clamp(0.0, 1.0))
        * match_weight.clamp(0.0, 1.0);
    value.round().clamp(0.0, 100.0) as u8
}

/// The source-agreement term: the client's own record (or the first linked platform), and each
/// further linked platform closing part of the gap to full agreement by its best match.
fn agreement(backing: &Backing) -> f64 {
    // The best match per platform: two payers of one PayPal account are one platform agreeing.
    let per_platform = best_per_platform(&backing.linked);
    let (base, extra) = if backing.crm_sources > 0 {
        (crm_agreement(backing.crm_sources), &per_platform[..])
    } else {
        (0.5, per_platform.get(1..).unwrap_or_default())
    };
    1.0 - (1.0 - base) * extra.iter().map(|l| 1.0 - l.weight()).product::<f64>()
}

fn best_per_platform(linked: &[RecordMatch]) -> Vec<RecordMatch> {
    let mut per_platform: Vec<RecordMatch> = Vec::new();
    for link in linked {
        // The first of each platform: the backing's links come best first.
        if !per_platform.iter().any(|l| l.platform == link.platform) {
            per_platform.push(*link);
        }
    }
    per_platform
}

/// Confidence of a finding that needs every linked platform of its `backing` (a cross-source rule:
/// Pax8 seats against Microsoft 365 users). Agreement as in [`backed_confidence`]; the value is then
/// multiplied by the chance that every platform's records are matched right (for each platform, at
/// least one of its records): two platforms matched at 0.9 and 0.8 leave at most 0.72 x 100. Without
/// linked records it is exactly [`confidence`].
pub fn cross_source_confidence(coverage: f64, support: f64, backing: &Backing) -> u8 {
    if backing.linked.is_empty() {
        return confidence(coverage, support, backing.crm_sources);
    }
    let mut platforms: Vec<crate::domain::Platform> =
        backing.linked.iter().map(|l| l.platform).collect();
    platforms.sort_unstable();
    platforms.dedup();
    let all_matched: f64 = platforms
        .iter()
        .map(|platform| {
            1.0 - backing
                .linked
                .iter()
                .filter(|l| l.platform == *platform)
                .map(|l| 1.0 - l.weight())
                .product::<f64>()
        })
        .product();
    let value = (40.0 * coverage.clamp(0.0, 1.0)
        + 40.0 * support.clamp(0.0, 1.0)
        + 20.0 * agreement(backing).clamp(0.0, 1.0))
        * all_matched.clamp(0.0, 1.0);
    value.round().clamp(0.0, 100.0) as u8
}

pub(crate) fn share(value: f64, full: f64) -> f64 {
    (value / full).clamp(0.0, 1.0)
}

fn raise(impact: Impact, steps: i32) -> Impact {
    const LEVELS: [Impact; 4] = [Impact::Low, Impact::Medium, Impact::High, Impact::Critical];
    let index = LEVELS.iter().position(|l| *l == impact).unwrap_or(0) as i32;
    LEVELS[(index + steps).clamp(0, 3) as usize]
}

/// Impact from the rule's severity, raised or lowered by where the revenue at stake sits among the
/// tenant's clients: unknown revenue one step down, the top half one up, the top tenth two up.
pub fn impact(severity: Impact, revenue_at_stake: Option<f64>, ctx: &TenantContext) -> Impact {
    let steps = match revenue_at_stake.and_then(|r| ctx.revenue_rank(r)) {
        None => -1,
        Some(rank) if rank >= 0.9 => 2,
        Some(rank) if rank >= 0.5 => 1,
        Some(_) => 0,
    };
    raise(severity, steps)
}

/// `$12,345.67`.
pub fn money(amount: f64) -> String {
    let cents = (amount.abs() * 100.0).round();
    let whole = (cents / 100.0).trunc() as u64;
    let fraction = (cents % 100.0) as u64;
    let digits = whole.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        // A separator before every group of three digits that follows.
        match (digits.len() - i) % 3 {
            0 if i > 0 => grouped.push(','),
            _ => {}
        }
        grouped.push(c);
    }
    let sign = if amount < 0.0 { "-" } else { "" };
    format!("{sign}${grouped}.{fraction:02}")
}

/// An amount in its currency: `$1,200.00` for US dollars and when the currency is unknown (the CRM's
/// amounts), `1,200.00 EUR` otherwise.
pub(crate) fn money_in(value: f64, currency: Option<&str>) -> String {
    let dollars = money(value);
    match currency {
        Some("USD") | None => dollars,
        Some(code) => {
            let sign = if value < 0.0 { "-" } else { "" };
            format!("{sign}{} {code}", dollars.trim_start_matches(['-', '$']))
        }
    }
}

pub(crate) fn evidence(name: &str, value: f64, unit: &str) -> Evidence {
    Evidence {
        name: name.to_owned(),
        value: (value * 100.0).round() / 100.0,
        unit: Some(unit.to_owned()),
    }
}

pub(crate) fn evidence_threshold(name: &str, value: f64, unit: &str) -> Evidence {
    evidence(&format!("threshold_{name}"), value, unit)
}
