//! GDPR erasure (`contact.privacyDeletion`): the contact's data leaves every snapshot at once,
//! without waiting for a sync. Pure.

// The rule is the domain's: the erasure walk applies the same one to a contact erased through the
// API (`domain::erasure`).
pub use crate::domain::erasure::erase_contacts;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClientId, ClientSnapshot, ContactSummary, Engagement, EngagementKind};
    use chrono::{TimeZone, Utc};
    use std::collections::BTreeSet;

    fn snapshot() -> ClientSnapshot {
        let at = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
        ClientSnapshot {
            client_id: ClientId::parse("c1").unwrap(),
            name: "Acme".into(),
            domain: None,
            lifecycle_stage: None,
            activity: Default::default(),
            reported_revenue: None,
            contacts: vec![
                ContactSummary {
                    id: "42".into(),
                    lifecycle_stage: Some("customer".into()),
                    nps_rating: None,
                },
                ContactSummary {
                    id: "43".into(),
                    lifecycle_stage: None,
                    nps_rating: None,
                },
            ],
            deals: vec![],
            tickets: vec![],
            engagements: vec![
                Engagement {
                    id: "e1".into(),
                    kind: EngagementKind::Email,
                    direction: None,
                    occurred_at: at,
                    completed: false,
                    contact_ids: vec!["42".into(), "43".into()],
                },
                Engagement {
                    id: "e2".into(),
                    kind: EngagementKind::Call,
                    direction: None,
                    occurred_at: at,
                    completed: true,
                    contact_ids: vec!["42".into()],
                },
            ],
            sources: vec!["hubspot".into()],
            updated_at: at,
            csm_sentiment: None,
        }
    }

    #[test]
    fn erased_contact_disappears_from_contacts_and_engagements() {
        let mut erased = snapshot();
        let changed = erase_contacts(&mut erased, &BTreeSet::from(["42".to_string()]));
        assert!(changed);
        let contact_ids: Vec<&str> = erased.contacts.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(contact_ids, ["43"]);
        assert_eq!(erased.engagements.len(), 2, "activity is kept");
        assert_eq!(erased.engagements[0].contact_ids, ["43"]);
        assert!(erased.engagements[1].contact_ids.is_empty());
    }

    #[test]
    fn erasing_an_absent_contact_changes_nothing() {
        let mut untouched = snapshot();
        let changed = erase_contacts(&mut untouched, &BTreeSet::from(["99".to_string()]));
        assert!(!changed);
        assert_eq!(untouched, snapshot());
    }
}
