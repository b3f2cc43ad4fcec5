//! What a delivery asks for, per tenant: pure rules over typed events.

use crate::domain::{ClientId, ObjectRef, ObjectType, TenantId};
use crate::events::SyncRequested;
use crate::sources::hubspot::webhook::event::WebhookEvent;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Events by the portal that sent them, in delivery order.
pub fn group_by_portal(events: Vec<WebhookEvent>) -> BTreeMap<u64, Vec<WebhookEvent>> {
    let mut by_portal: BTreeMap<u64, Vec<WebhookEvent>> = BTreeMap::new();
    for event in events {
        by_portal.entry(event.portal_id).or_default().push(event);
    }
    by_portal
}

/// The events worth recording and acting on: a subscription we handle, and the first copy of each
/// dedupe key (a delivery may carry the same event twice).
pub fn actionable(events: Vec<WebhookEvent>) -> Vec<(String, WebhookEvent)> {
    let mut seen = HashSet::new();
    events
        .into_iter()
        .filter(|event| event.subscription().is_some())
        .map(|event| (event.dedupe_key(), event))
        .filter(|(key, _)| seen.insert(key.clone()))
        .collect()
}

/// Contacts whose data must be erased now.
pub fn privacy_deleted_contacts<'a>(
    events: impl IntoIterator<Item = &'a WebhookEvent>,
) -> BTreeSet<String> {
    events
        .into_iter()
        .filter_map(|event| event.privacy_deleted_contact().map(str::to_string))
        .collect()
}

/// One targeted sync for a tenant's new events: every object they touch, once, in a stable order,
/// plus the clients whose snapshots an erasure changed (so they are re-scored without the
/// contact). `None` when nothing needs reading again.
pub fn sync_request(
    tenant_id: &TenantId,
    events: &[WebhookEvent],
    erased_from_clients: &[ClientId],
    now: DateTime<Utc>,
) -> Option<SyncRequested> {
    let objects: BTreeSet<(ObjectType, String)> = events
        .iter()
        .flat_map(WebhookEvent::object_refs)
        .map(|object| (object.object_type, object.id))
        .chain(
            erased_from_clients
                .iter()
                .map(|client| (ObjectType::Companies, client.as_str().to_string())),
        )
        .collect();
    if objects.is_empty() {
        return None;
    }
    Some(SyncRequested::records(
        tenant_id.clone(),
        objects
            .into_iter()
            .map(|(object_type, id)| ObjectRef { object_type, id })
            .collect(),
        now,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{SyncMode, SyncTrigger};
    use chrono::TimeZone;
    use serde_json::json;

    fn event(value: serde_json::Value) -> WebhookEvent {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn one_request_per_tenant_with_each_object_once_in_stable_order() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap();
        let tenant = TenantId::parse("t1").unwrap();
        let events = vec![
            event(
                json!({"eventId": 1, "portalId": 1, "subscriptionType": "deal.propertyChange", "objectId": 30}),
            ),
            event(
                json!({"eventId": 2, "portalId": 1, "subscriptionType": "company.propertyChange", "objectId": 20}),
            ),
            event(
                json!({"eventId": 3, "portalId": 1, "subscriptionType": "company.creation", "objectId": 20}),
            ),
            event(
                json!({"eventId": 4, "portalId": 1, "subscriptionType": "contact.associationChange",
                "associationType": "CONTACT_TO_COMPANY", "fromObjectId": 5, "toObjectId": 21}),
            ),
        ];
        let request =
            sync_request(&tenant, &events, &[ClientId::parse("22").unwrap()], now).unwrap();
        let objects: Vec<(ObjectType, &str)> = request
            .objects
            .iter()
            .map(|o| (o.object_type, o.id.as_str()))
            .collect();
        assert_eq!(
            objects,
            [
                (ObjectType::Companies, "20"),
                (ObjectType::Companies, "21"),
                (ObjectType::Companies, "22"),
                (ObjectType::Contacts, "5"),
                (ObjectType::Deals, "30"),
            ]
        );
        assert_eq!(request.mode, SyncMode::Objects);
        assert_eq!(request.requested_by, SyncTrigger::Webhook);
        assert_eq!(request.tenant_id, tenant);
        assert_eq!(request.requested_at, now);
    }

    #[test]
    fn nothing_to_read_gives_no_request() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap();
        let tenant = TenantId::parse("t1").unwrap();
        let events = vec![event(
            json!({"eventId": 1, "portalId": 1, "subscriptionType": "conversation.creation", "objectId": 3}),
        )];
        assert_eq!(sync_request(&tenant, &events, &[], now), None);
    }

    #[test]
    fn actionable_drops_unhandled_subscriptions_and_repeats_within_a_delivery() {
        let events = vec![
            event(
                json!({"eventId": 1, "portalId": 1, "subscriptionType": "contact.creation", "objectId": 3}),
            ),
            event(
                json!({"eventId": 1, "portalId": 1, "subscriptionType": "contact.creation", "objectId": 3, "attemptNumber": 1}),
            ),
            event(
                json!({"eventId": 2, "portalId": 1, "subscriptionType": "conversation.creation", "objectId": 3}),
            ),
            event(
                json!({"eventId": 3, "portalId": 1, "subscriptionType": "contact.privacyDeletion", "objectId": 4}),
            ),
        ];
        let keys: Vec<String> = actionable(events).into_iter().map(|(key, _)| key).collect();
        assert_eq!(keys, ["1", "3"]);
    }

    #[test]
    fn groups_events_by_portal() {
        let grouped = group_by_portal(vec![
            event(json!({"eventId": 1, "portalId": 2, "subscriptionType": "contact.creation"})),
            event(json!({"eventId": 2, "portalId": 1, "subscriptionType": "contact.creation"})),
            event(json!({"eventId": 3, "portalId": 2, "subscriptionType": "contact.creation"})),
        ]);
        let shape: Vec<(u64, usize)> = grouped.iter().map(|(p, e)| (*p, e.len())).collect();
        assert_eq!(shape, [(1, 1), (2, 2)]);
    }
}
