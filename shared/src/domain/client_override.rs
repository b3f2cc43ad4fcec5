//! Overrides: a person's word on a client that the score takes over the data's. A user sets the
//! account team's sentiment (it replaces the CRM's in support's satisfaction factor) or a
//! dimension's score (it replaces the computed one, which is kept beside it), with a reason and an
//! expiry. One override per client and kind; an expired one stops applying when read
//! ([`ClientOverride::is_active_at`]), the one rule every reader uses.

use crate::domain::{ClientId, CsmSentiment, Dimension};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The longest an override lasts: a year and a day, so a yearly review can renew it in time.
pub const MAX_OVERRIDE_DAYS: i64 = 366;
/// A reason is required and at most this long (characters).
pub const MAX_OVERRIDE_REASON_CHARS: usize = 500;

/// What an override replaces: the CSM sentiment, or one dimension's score.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OverrideKind {
    Sentiment,
    Crm,
    Payment,
    Usage,
    Support,
}

impl OverrideKind {
    pub const ALL: [OverrideKind; 5] = [
        OverrideKind::Sentiment,
        OverrideKind::Crm,
        OverrideKind::Payment,
        OverrideKind::Usage,
        OverrideKind::Support,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OverrideKind::Sentiment => "sentiment",
            OverrideKind::Crm => "crm",
            OverrideKind::Payment => "payment",
            OverrideKind::Usage => "usage",
            OverrideKind::Support => "support",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }

    /// The dimension whose score this kind replaces; `None` for the sentiment.
    pub fn dimension(self) -> Option<Dimension> {
        match self {
            OverrideKind::Sentiment => None,
            OverrideKind::Crm => Some(Dimension::Crm),
            OverrideKind::Payment => Some(Dimension::Payment),
            OverrideKind::Usage => Some(Dimension::Usage),
            OverrideKind::Support => Some(Dimension::Support),
        }
    }

    pub fn of_dimension(dimension: Dimension) -> Self {
        match dimension {
            Dimension::Crm => OverrideKind::Crm,
            Dimension::Payment => OverrideKind::Payment,
            Dimension::Usage => OverrideKind::Usage,
            Dimension::Support => OverrideKind::Support,
        }
    }
}

impl std::fmt::Display for OverrideKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The value an override sets: `{"sentiment": "negative"}` or `{"score": 40}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OverrideValue {
    Sentiment(CsmSentiment),
    /// A dimension's score, 0..=100.
    Score(u8),
}

/// One override of one client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClientOverride {
    #[schema(value_type = String)]
    pub client_id: ClientId,
    pub kind: OverrideKind,
    pub value: OverrideValue,
    /// Why, for the team to read (1 to 500 characters). Free text: kept here, never in the audit
    /// trail or the logs.
    pub reason: String,
    /// When it stops applying.
    pub expires_at: DateTime<Utc>,
    /// The subject of the user who set it.
    pub set_by: String,
    pub set_at: DateTime<Utc>,
}

/// Why an override was refused: the field at fault and a sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct OverrideError {
    pub field: &'static str,
    pub reason: String,
}

impl ClientOverride {
    /// An override set at `now`, checked: the value fits the kind (a sentiment for `sentiment`, a
    /// score 0-100 for a dimension), the reason is 1 to 500 characters once trimmed, and it expires
    /// in the future, at most [`MAX_OVERRIDE_DAYS`] days ahead.
    pub fn new(
        client_id: ClientId,
        kind: OverrideKind,
        value: OverrideValue,
        reason: &str,
        expires_at: DateTime<Utc>,
        set_by: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, OverrideError> {
        let refuse = |field, reason: String| Err(OverrideError { field, reason });
        match (kind, value) {
            (OverrideKind::Sentiment, OverrideValue::Sentiment(_)) => {}
            (OverrideKind::Sentiment, OverrideValue::Score(_)) => {
                return refuse("value", "a sentiment override sets `sentiment`".to_owned())
            }
            (_, OverrideValue::Sentiment(_)) => {
                return refuse("value", "a dimension override sets `score`".to_owned())
            }
            (_, OverrideValue::Score(score)) if score > 100 => {
                return refuse("value", "the score must be between 0 and 100".to_owned())
            }
            (_, OverrideValue::Score(_)) => {}
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return refuse("reason", "a reason is required".to_owned());
        }
        if reason.chars().count() > MAX_OVERRIDE_REASON_CHARS {
            return refuse(
                "reason",
                format!("must be at most {MAX_OVERRIDE_REASON_CHARS} characters"),
            );
        }
        if expires_at <= now {
            return refuse("expires_at", "must be in the future".to_owned());
        }
        if expires_at > now + Duration::days(MAX_OVERRIDE_DAYS) {
            return refuse(
                "expires_at",
                format!("must be at most {MAX_OVERRIDE_DAYS} days ahead"),
            );
        }
        Ok(Self {
            client_id,
            kind,
            value,
            reason: reason.to_owned(),
            expires_at,
            set_by: set_by.to_owned(),
            set_at: now,
        })
    }

    /// Whether it applies at `now`: until it expires (an expired one is kept until replaced or
    /// removed, and ignored).
    pub fn is_active_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at > now
    }

    /// The sentiment it sets, for a sentiment override.
    pub fn sentiment(&self) -> Option<CsmSentiment> {
        match self.value {
            OverrideValue::Sentiment(s) if self.kind == OverrideKind::Sentiment => Some(s),
            _ => None,
        }
    }

    /// The dimension and score it sets, for a dimension override.
    pub fn dimension_score(&self) -> Option<(Dimension, u8)> {
        match (self.kind.dimension(), self.value) {
            (Some(dimension), OverrideValue::Score(score)) => Some((dimension, score.min(100))),
            _ => None,
        }
    }
}

/// What a score records of an override it applied, compactly: the kind, the value set and, for a
/// dimension, the score computed from the data (kept beside the one shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AppliedOverride {
    pub kind: OverrideKind,
    pub value: OverrideValue,
    /// The dimension's score from the data (`None`: it had no data, or for a sentiment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed: Option<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
    }

    fn try_new(
        kind: OverrideKind,
        value: OverrideValue,
        reason: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<ClientOverride, &'static str> {
        let client = ClientId::parse("c-1").unwrap();
        ClientOverride::new(client, kind, value, reason, expires_at, "user-1", now())
            .map_err(|e| e.field)
    }

    #[test]
    fn an_override_needs_a_matching_value_a_reason_and_an_expiry_within_a_year() {
        let week = now() + Duration::days(7);
        let negative = OverrideValue::Sentiment(CsmSentiment::Negative);
        let ok = try_new(OverrideKind::Sentiment, negative, " churn call ", week).unwrap();
        assert_eq!(ok.reason, "churn call");
        assert_eq!((ok.set_by.as_str(), ok.set_at), ("user-1", now()));
        assert_eq!(ok.sentiment(), Some(CsmSentiment::Negative));
        assert_eq!(ok.dimension_score(), None);

        let score = OverrideValue::Score(40);
        let dim = try_new(OverrideKind::Usage, score, "r", week).unwrap();
        assert_eq!(dim.dimension_score(), Some((Dimension::Usage, 40)));

        assert_eq!(
            try_new(OverrideKind::Sentiment, score, "r", week),
            Err("value")
        );
        assert_eq!(
            try_new(OverrideKind::Crm, negative, "r", week),
            Err("value")
        );
        let too_high = OverrideValue::Score(101);
        assert_eq!(
            try_new(OverrideKind::Crm, too_high, "r", week),
            Err("value")
        );
        assert_eq!(try_new(OverrideKind::Crm, score, "  ", week), Err("reason"));
        let long = "x".repeat(MAX_OVERRIDE_REASON_CHARS + 1);
        assert_eq!(
            try_new(OverrideKind::Crm, score, &long, week),
            Err("reason")
        );
        let longest = "é".repeat(MAX_OVERRIDE_REASON_CHARS);
        assert!(try_new(OverrideKind::Crm, score, &longest, week).is_ok());
        assert_eq!(
            try_new(OverrideKind::Crm, score, "r", now()),
            Err("expires_at")
        );
        let year = now() + Duration::days(MAX_OVERRIDE_DAYS);
        assert!(try_new(OverrideKind::Crm, score, "r", year).is_ok());
        let later = year + Duration::seconds(1);
        assert_eq!(
            try_new(OverrideKind::Crm, score, "r", later),
            Err("expires_at")
        );
    }

    #[test]
    fn an_override_stops_applying_when_it_expires() {
        let expires = now() + Duration::days(1);
        let o = try_new(OverrideKind::Crm, OverrideValue::Score(10), "r", expires).unwrap();
        assert!(o.is_active_at(now()));
        assert!(o.is_active_at(expires - Duration::seconds(1)));
        assert!(!o.is_active_at(expires));
    }

    #[test]
    fn kinds_name_their_dimension_and_values_read_compactly() {
        for kind in OverrideKind::ALL {
            assert_eq!(OverrideKind::parse(kind.as_str()), Some(kind));
            if let Some(d) = kind.dimension() {
                assert_eq!(OverrideKind::of_dimension(d), kind);
            }
        }
        assert_eq!(OverrideKind::parse("overall"), None);
        let json = serde_json::to_value(OverrideValue::Score(40)).unwrap();
        assert_eq!(json, serde_json::json!({"score": 40}));
        let json = serde_json::to_value(OverrideValue::Sentiment(CsmSentiment::Positive)).unwrap();
        assert_eq!(json, serde_json::json!({"sentiment": "positive"}));
    }
}
