//! HubSpot's webhook events, typed, and the CRM objects each one asks us to look at again. Pure.
//!
//! HubSpot may leave out any field except the ones we cannot act without (`portalId`,
//! `subscriptionType`); ids arrive as JSON numbers but strings are tolerated.

use crate::domain::{ObjectRef, ObjectType};
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

/// One event of a delivery (a delivery is a JSON array of at most 100 of these).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEvent {
    #[serde(default, deserialize_with = "flexible_id")]
    pub event_id: Option<String>,
    #[serde(default, deserialize_with = "flexible_id")]
    pub subscription_id: Option<String>,
    #[serde(deserialize_with = "portal_id")]
    pub portal_id: u64,
    #[serde(default, deserialize_with = "flexible_id")]
    pub app_id: Option<String>,
    /// Epoch milliseconds.
    #[serde(default)]
    pub occurred_at: Option<i64>,
    pub subscription_type: String,
    #[serde(default)]
    pub attempt_number: Option<u32>,
    #[serde(default, deserialize_with = "flexible_id")]
    pub object_id: Option<String>,
    /// Generic (`object.*`) subscriptions name the type by id (`0-1` contacts, `0-2` companies, ...).
    #[serde(default)]
    pub object_type_id: Option<String>,
    #[serde(default)]
    pub property_name: Option<String>,
    #[serde(default)]
    pub property_value: Option<serde_json::Value>,
    #[serde(default)]
    pub change_source: Option<String>,
    #[serde(default, deserialize_with = "flexible_id")]
    pub primary_object_id: Option<String>,
    #[serde(default, deserialize_with = "flexible_ids")]
    pub merged_object_ids: Vec<String>,
    #[serde(default, deserialize_with = "flexible_id")]
    pub new_object_id: Option<String>,
    /// `CONTACT_TO_COMPANY`, `DEAL_TO_COMPANY`, ...
    #[serde(default)]
    pub association_type: Option<String>,
    #[serde(default, deserialize_with = "flexible_id")]
    pub from_object_id: Option<String>,
    #[serde(default, deserialize_with = "flexible_id")]
    pub to_object_id: Option<String>,
    #[serde(default)]
    pub association_removed: Option<bool>,
    /// App lifecycle events (`subscriptionType` `app_lifecycle_event`) name what happened by id.
    #[serde(default, deserialize_with = "flexible_id")]
    pub event_type_id: Option<String>,
}

/// The `subscriptionType` of HubSpot's app lifecycle events, and the event type of an uninstall
/// (HubSpot's developer platform: `4-1909196` is an install, `4-1916193` an uninstall).
pub const APP_LIFECYCLE_SUBSCRIPTION: &str = "app_lifecycle_event";
pub const APP_UNINSTALL_EVENT_TYPE: &str = "4-1916193";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Creation,
    Deletion,
    PropertyChange,
    AssociationChange,
    Merge,
    Restore,
    PrivacyDeletion,
}

/// What an event is about, from its subscription type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subscription {
    pub object_type: ObjectType,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {index} of the delivery: {message}")]
pub struct MalformedEvent {
    pub index: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error("the body is not a JSON array: {0}")]
    NotAnArray(String),
    #[error(transparent)]
    Event(#[from] MalformedEvent),
}

/// Parses a delivery body: a JSON array of HubSpot events.
pub fn parse_delivery(body: &[u8]) -> Result<Vec<WebhookEvent>, DeliveryError> {
    let items: Vec<serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| DeliveryError::NotAnArray(e.to_string()))?;
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            serde_json::from_value(item).map_err(|e| MalformedEvent {
                index,
                message: e.to_string(),
            })
        })
        .collect::<Result<_, _>>()
        .map_err(DeliveryError::from)
}

impl WebhookEvent {
    /// `None` for subscriptions this product does not act on (conversations, products, ...).
    pub fn subscription(&self) -> Option<Subscription> {
        let (subject, change) = self.subscription_type.split_once('.')?;
        let object_type = if subject.eq_ignore_ascii_case("object") {
            object_type_from_type_id(self.object_type_id.as_deref()?)?
        } else {
            object_type_from_name(subject)?
        };
        let change = match change {
            "creation" => Change::Creation,
            "deletion" => Change::Deletion,
            "propertyChange" => Change::PropertyChange,
            "associationChange" => Change::AssociationChange,
            "merge" => Change::Merge,
            "restore" => Change::Restore,
            "privacyDeletion" => Change::PrivacyDeletion,
            _ => return None,
        };
        Some(Subscription {
            object_type,
            change,
        })
    }

    /// Whether the portal uninstalled the app: the tenant's erasure starts.
    pub fn is_app_uninstall(&self) -> bool {
        self.subscription_type
            .eq_ignore_ascii_case(APP_LIFECYCLE_SUBSCRIPTION)
            && self.event_type_id.as_deref() == Some(APP_UNINSTALL_EVENT_TYPE)
    }

    /// The contact whose data must be erased now, for a `contact.privacyDeletion`.
    pub fn privacy_deleted_contact(&self) -> Option<&str> {
        let subscription = self.subscription()?;
        (subscription.change == Change::PrivacyDeletion
            && subscription.object_type == ObjectType::Contacts)
            .then_some(self.object_id.as_deref())
            .flatten()
    }

    /// The records a targeted sync must read again after this event. The sync reads their current
    /// state, so delivery order does not matter and a deleted or merged-away record is found gone.
    pub fn object_refs(&self) -> Vec<ObjectRef> {
        let Some(subscription) = self.subscription() else {
            return Vec::new();
        };
        let of_type = |id: &String| ObjectRef {
            object_type: subscription.object_type,
            id: id.clone(),
        };
        match subscription.change {
            Change::Creation
            | Change::Deletion
            | Change::PropertyChange
            | Change::Restore
            | Change::PrivacyDeletion => self.object_id.iter().map(of_type).collect(),
            Change::Merge => self
                .new_object_id
                .iter()
                .chain(&self.primary_object_id)
                .chain(&self.object_id)
                .chain(&self.merged_object_ids)
                .map(of_type)
                .collect(),
            Change::AssociationChange => self.association_ends(subscription.object_type),
        }
    }

    /// Both ends of an association change; when the association type names no known pair, the
    /// subscription's own type stands for the `from` end.
    fn association_ends(&self, subscription_type: ObjectType) -> Vec<ObjectRef> {
        let (from_type, to_type) = match self
            .association_type
            .as_deref()
            .and_then(|t| t.split_once("_TO_").or_else(|| t.split_once("_to_")))
        {
            Some((from, to)) => (object_type_from_name(from), object_type_from_name(to)),
            None => (Some(subscription_type), None),
        };
        let from_id = self.from_object_id.as_ref().or(self.object_id.as_ref());
        [(from_type, from_id), (to_type, self.to_object_id.as_ref())]
            .into_iter()
            .filter_map(|(object_type, id)| {
                Some(ObjectRef {
                    object_type: object_type?,
                    id: id?.clone(),
                })
            })
            .collect()
    }

    /// The key this event is de-duplicated by: HubSpot's `eventId`, or, when it is missing, a
    /// digest of the event without its attempt number (which changes on every retry).
    pub fn dedupe_key(&self) -> String {
        if let Some(id) = &self.event_id {
            return id.clone();
        }
        let without_attempt = WebhookEvent {
            attempt_number: None,
            ..self.clone()
        };
        // Serialising plain data cannot fail; an empty fallback would still be a stable key.
        let canonical = serde_json::to_vec(&without_attempt).unwrap_or_default();
        let digest = Sha256::digest(&canonical);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256-{hex}")
    }
}

fn object_type_from_name(name: &str) -> Option<ObjectType> {
    let name = name.to_ascii_lowercase();
    Some(match name.as_str() {
        "contact" | "contacts" => ObjectType::Contacts,
        "company" | "companies" => ObjectType::Companies,
        "deal" | "deals" => ObjectType::Deals,
        "ticket" | "tickets" => ObjectType::Tickets,
        "call" | "calls" => ObjectType::Calls,
        "email" | "emails" => ObjectType::Emails,
        "meeting" | "meetings" | "meeting_event" => ObjectType::Meetings,
        "note" | "notes" => ObjectType::Notes,
        "task" | "tasks" => ObjectType::Tasks,
        _ => return None,
    })
}

fn object_type_from_type_id(type_id: &str) -> Option<ObjectType> {
    Some(match type_id {
        "0-1" => ObjectType::Contacts,
        "0-2" => ObjectType::Companies,
        "0-3" => ObjectType::Deals,
        "0-5" => ObjectType::Tickets,
        "0-27" => ObjectType::Tasks,
        "0-46" => ObjectType::Notes,
        "0-47" => ObjectType::Meetings,
        "0-48" => ObjectType::Calls,
        "0-49" => ObjectType::Emails,
        _ => return None,
    })
}

#[derive(Deserialize)]
#[serde(untagged)]
enum IdValue {
    Unsigned(u64),
    Signed(i64),
    Text(String),
}

impl IdValue {
    fn into_string(self) -> String {
        match self {
            IdValue::Unsigned(n) => n.to_string(),
            IdValue::Signed(n) => n.to_string(),
            IdValue::Text(s) => s,
        }
    }
}

fn flexible_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<IdValue>::deserialize(deserializer)?
        .map(IdValue::into_string)
        .filter(|id| !id.is_empty()))
}

fn flexible_ids<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<IdValue>>::deserialize(deserializer)?
        .unwrap_or_default()
        .into_iter()
        .map(IdValue::into_string)
        .filter(|id| !id.is_empty())
        .collect())
}

fn portal_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    match IdValue::deserialize(deserializer)? {
        IdValue::Unsigned(n) => Ok(n),
        IdValue::Text(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom("portalId is not a portal number")),
        IdValue::Signed(_) => Err(serde::de::Error::custom("portalId is negative")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(value: serde_json::Value) -> WebhookEvent {
        serde_json::from_value(value).unwrap()
    }

    fn refs(pairs: &[(ObjectType, &str)]) -> Vec<ObjectRef> {
        pairs
            .iter()
            .map(|(object_type, id)| ObjectRef {
                object_type: *object_type,
                id: id.to_string(),
            })
            .collect()
    }

    #[test]
    fn parses_hubspots_documented_property_change() {
        let body = br#"[{"eventId":1,"subscriptionId":2,"portalId":62515,"appId":54321,
            "occurredAt":1564113600000,"subscriptionType":"contact.propertyChange","attemptNumber":0,
            "objectId":123,"changeSource":"CRM","propertyName":"firstname","propertyValue":"sample-value"}]"#;
        let events = parse_delivery(body).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].portal_id, 62515);
        assert_eq!(events[0].event_id.as_deref(), Some("1"));
        assert_eq!(
            events[0].object_refs(),
            refs(&[(ObjectType::Contacts, "123")])
        );
    }

    #[test]
    fn tolerates_missing_optional_fields_and_string_ids() {
        let events = parse_delivery(
            br#"[{"portalId":"7","subscriptionType":"deal.creation","objectId":"9"}]"#,
        )
        .unwrap();
        assert_eq!(events[0].portal_id, 7);
        assert_eq!(events[0].event_id, None);
        assert_eq!(events[0].object_refs(), refs(&[(ObjectType::Deals, "9")]));
    }

    #[test]
    fn refuses_bodies_that_are_not_event_arrays() {
        assert!(matches!(
            parse_delivery(br#"{"portalId":1}"#),
            Err(DeliveryError::NotAnArray(_))
        ));
        assert!(matches!(
            parse_delivery(b"not json"),
            Err(DeliveryError::NotAnArray(_))
        ));
        assert!(matches!(
            parse_delivery(
                br#"[{"portalId":1,"subscriptionType":"contact.creation"},{"objectId":2}]"#
            ),
            Err(DeliveryError::Event(MalformedEvent { index: 1, .. }))
        ));
        assert!(matches!(
            parse_delivery(br#"[{"portalId":-3,"subscriptionType":"contact.creation"}]"#),
            Err(DeliveryError::Event(MalformedEvent { index: 0, .. }))
        ));
    }

    #[test]
    fn merge_refetches_the_surviving_record_and_the_merged_ones() {
        let merge = event(
            json!({"portalId": 1, "subscriptionType": "company.merge", "objectId": 10,
            "primaryObjectId": 10, "mergedObjectIds": [11, 12], "newObjectId": 13}),
        );
        assert_eq!(
            merge.object_refs(),
            refs(&[
                (ObjectType::Companies, "13"),
                (ObjectType::Companies, "10"),
                (ObjectType::Companies, "10"),
                (ObjectType::Companies, "11"),
                (ObjectType::Companies, "12"),
            ])
        );
    }

    #[test]
    fn association_change_refetches_both_ends_with_their_own_types() {
        let change = event(
            json!({"portalId": 1, "subscriptionType": "contact.associationChange",
            "associationType": "CONTACT_TO_COMPANY", "fromObjectId": 5, "toObjectId": 6,
            "associationRemoved": true}),
        );
        assert_eq!(
            change.object_refs(),
            refs(&[(ObjectType::Contacts, "5"), (ObjectType::Companies, "6")])
        );
        let unknown_pair = event(
            json!({"portalId": 1, "subscriptionType": "deal.associationChange",
            "associationType": "DEAL_TO_LINE_ITEM", "fromObjectId": 5, "toObjectId": 6}),
        );
        assert_eq!(
            unknown_pair.object_refs(),
            refs(&[(ObjectType::Deals, "5")])
        );
    }

    #[test]
    fn generic_object_subscriptions_use_the_type_id() {
        let change = event(
            json!({"portalId": 1, "subscriptionType": "object.propertyChange",
            "objectTypeId": "0-2", "objectId": 77}),
        );
        assert_eq!(change.object_refs(), refs(&[(ObjectType::Companies, "77")]));
    }

    #[test]
    fn subscriptions_we_do_not_act_on_ask_for_nothing() {
        for subscription_type in [
            "conversation.creation",
            "product.creation",
            "contact.unknown",
            "nodot",
        ] {
            let other =
                event(json!({"portalId": 1, "subscriptionType": subscription_type, "objectId": 3}));
            assert_eq!(other.object_refs(), vec![], "{subscription_type}");
        }
    }

    #[test]
    fn privacy_deletion_names_the_contact_to_erase() {
        let erase = event(
            json!({"portalId": 1, "subscriptionType": "contact.privacyDeletion", "objectId": 42}),
        );
        assert_eq!(erase.privacy_deleted_contact(), Some("42"));
        let plain =
            event(json!({"portalId": 1, "subscriptionType": "contact.deletion", "objectId": 42}));
        assert_eq!(plain.privacy_deleted_contact(), None);
    }

    #[test]
    fn dedupe_key_is_the_event_id_or_a_digest_stable_across_attempts() {
        let with_id =
            event(json!({"eventId": 99, "portalId": 1, "subscriptionType": "contact.creation"}));
        assert_eq!(with_id.dedupe_key(), "99");
        let first = event(
            json!({"portalId": 1, "subscriptionType": "contact.creation", "objectId": 3, "attemptNumber": 0}),
        );
        let retry = event(
            json!({"portalId": 1, "subscriptionType": "contact.creation", "objectId": 3, "attemptNumber": 4}),
        );
        let other =
            event(json!({"portalId": 1, "subscriptionType": "contact.creation", "objectId": 4}));
        assert_eq!(first.dedupe_key(), retry.dedupe_key());
        assert_ne!(first.dedupe_key(), other.dedupe_key());
        assert!(first.dedupe_key().starts_with("sha256-"));
    }
}
