//! Satisfaction, a factor of support health: how the account team feels about the client (the CRM's
//! CSM sentiment, or a user's override of it) and what the client's contacts answered to NPS.
//!
//! - **Sentiment** reads positive 100, neutral 50, negative 0.
//! - **NPS** is the mean of the contacts' latest answers (0-10) times 10. The mean, not the NPS
//!   formula (% promoters - % detractors): a client has a handful of answering contacts, and with
//!   three answers the formula jumps by 33 points when one passive becomes a promoter; the mean
//!   moves by at most 3.3 and still falls with every detractor.
//! - The two weigh equally in satisfaction (one alone is all of it). Satisfaction is
//!   [`SATISFACTION_SHARE`] of support when tickets or IT support data score it, and all of it when
//!   nothing else does (a client without tickets but with a sentiment is scored on it). Without
//!   either signal, support scores exactly as before: the rule "a dimension without data is left
//!   out" still holds.

use crate::domain::{ClientSnapshot, CsmSentiment, Dimension, DimensionScore, Factor, Platform};
use crate::scoring::dimensions::{round2, to_score};
use crate::scoring::ClientFeatures;

/// Satisfaction's share of support when tickets or IT data score the rest.
pub const SATISFACTION_SHARE: f64 = 0.3;
/// Sentiment's and NPS's shares of satisfaction when both are known.
const SENTIMENT_SHARE: f64 = 0.5;
const NPS_SHARE: f64 = 0.5;

/// The satisfaction signals of one client.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SatisfactionFeatures {
    /// The CSM sentiment in force: a user's override, else the CRM's.
    pub sentiment: Option<CsmSentiment>,
    /// Whether `sentiment` is a user's override.
    pub sentiment_overridden: bool,
    /// Mean of the contacts' latest NPS answers, 0-10.
    pub nps_mean: Option<f64>,
    /// Contacts with an NPS answer.
    pub nps_answers: u32,
}

impl SatisfactionFeatures {
    /// The snapshot's signals (no override yet).
    pub fn of(snapshot: &ClientSnapshot) -> Self {
        let ratings: Vec<f64> = snapshot
            .contacts
            .iter()
            .filter_map(|c| c.nps_rating)
            .filter(|r| *r <= 10)
            .map(f64::from)
            .collect();
        let nps_mean =
            (!ratings.is_empty()).then(|| ratings.iter().sum::<f64>() / ratings.len() as f64);
        Self {
            sentiment: snapshot.csm_sentiment,
            sentiment_overridden: false,
            nps_mean,
            nps_answers: u32::try_from(ratings.len()).unwrap_or(u32::MAX),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.sentiment.is_none() && self.nps_mean.is_none()
    }
}

pub fn sentiment_points(sentiment: CsmSentiment) -> f64 {
    match sentiment {
        CsmSentiment::Positive => 100.0,
        CsmSentiment::Neutral => 50.0,
        CsmSentiment::Negative => 0.0,
    }
}

/// One satisfaction signal: its sub-score 0..=100, its share of satisfaction and its raw value.
struct Signal {
    name: &'static str,
    sub_score: f64,
    share: f64,
    value: f64,
    explanation: String,
}

/// Support with satisfaction folded in; `support` unchanged when the client has neither signal.
pub(crate) fn support_with_satisfaction(
    f: &ClientFeatures,
    support: DimensionScore,
) -> DimensionScore {
    let s = &f.satisfaction;
    if s.is_empty() {
        return support;
    }
    let mut parts: Vec<Signal> = Vec::new();
    if let Some(sentiment) = s.sentiment {
        let points = sentiment_points(sentiment);
        let by = if s.sentiment_overridden {
            "set by a user"
        } else {
            "from the CRM"
        };
        parts.push(Signal {
            name: "csm_sentiment",
            sub_score: points,
            share: SENTIMENT_SHARE,
            value: points,
            explanation: format!("account team sentiment {} ({by})", sentiment.as_str()),
        });
    }
    if let Some(mean) = s.nps_mean {
        parts.push(Signal {
            name: "nps",
            sub_score: mean * 10.0,
            share: NPS_SHARE,
            value: mean,
            explanation: format!(
                "mean NPS answer {mean:.1} of 10 from {} contacts",
                s.nps_answers
            ),
        });
    }
    let present: f64 = parts.iter().map(|p| p.share).sum();
    let satisfaction_share = if support.score.is_some() {
        SATISFACTION_SHARE
    } else {
        1.0
    };
    let rest_share = 1.0 - satisfaction_share;
    let mut total = f64::from(support.score.unwrap_or(0)) * rest_share;
    let mut factors: Vec<Factor> = support
        .factors
        .into_iter()
        .map(|mut factor| {
            factor.points = round2(factor.points * rest_share);
            if factor.name == "tickets" && rest_share == 0.0 {
                // Support is scored on satisfaction alone, so it is no longer left out.
                factor.explanation = "no tickets on record".to_owned();
            }
            factor
        })
        .collect();
    for part in parts {
        let points = part.sub_score * part.share / present * satisfaction_share;
        total += points;
        factors.push(Factor {
            name: part.name.to_owned(),
            value: Some(round2(part.value)),
            points: round2(points),
            explanation: part.explanation,
            source: Platform::Hubspot,
        });
    }
    DimensionScore {
        dimension: Dimension::Support,
        score: Some(to_score(total)),
        weight: 0.0,
        factors,
    }
}

#[cfg(test)]
#[path = "satisfaction_tests.rs"]
mod tests;
