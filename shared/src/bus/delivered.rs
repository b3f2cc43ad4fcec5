use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use crate::events::{EventParseError, ProductEvent, EVENT_SOURCE};

/// An event as a rule target receives it: EventBridge's envelope, with its field names. An SQS target gets
/// it as the message body, a Lambda target as its payload, and the in-process bus hands it to subscribers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveredEvent {
    #[serde(default = "envelope_version")]
    pub version: String,
    pub id: String,
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub source: String,
    #[serde(default)]
    pub account: String,
    pub time: DateTime<Utc>,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub resources: Vec<String>,
    pub detail: serde_json::Value,
}

fn envelope_version() -> String {
    "0".to_string()
}

impl DeliveredEvent {
    /// The envelope the product's bus would deliver for `event`, stamped now.
    pub fn of(event: &ProductEvent) -> Result<Self, serde_json::Error> {
        let detail = serde_json::from_str(&event.detail_json()?)?;
        Ok(Self {
            version: envelope_version(),
            id: uuid::Uuid::new_v4().to_string(),
            detail_type: event.detail_type().to_string(),
            source: EVENT_SOURCE.to_string(),
            account: String::new(),
            time: Utc::now().trunc_subsecs(0),
            region: String::new(),
            resources: Vec::new(),
            detail,
        })
    }

    /// Parses an envelope as EventBridge delivers it (an SQS message body, a Lambda payload).
    pub fn from_envelope_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The envelope as JSON, ready for `serde_json::from_value::<EventBridgeEvent<T>>` or a Lambda invoke.
    pub fn to_envelope_json(&self) -> serde_json::Value {
        serde_json::json!({
            "version": self.version,
            "id": self.id,
            "detail-type": self.detail_type,
            "source": self.source,
            "account": self.account,
            "time": self.time.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            "region": self.region,
            "resources": self.resources,
            "detail": self.detail,
        })
    }

    /// The typed product event this envelope carries.
    pub fn event(&self) -> Result<ProductEvent, EventParseError> {
        ProductEvent::from_parts(&self.detail_type, &self.detail.to_string())
    }
}
