//! Every HubSpot path the connector calls, in one place. HubSpot is moving to date-versioned paths
//! (`/crm/objects/2026-03/...`; v1-v3 end in September 2027, v4 associations in March 2027): moving
//! means changing the constants here.

use crate::domain::ObjectType;

/// Production API host; tests and the local runner point the client at the sandbox instead.
pub const DEFAULT_API_BASE_URL: &str = "https://api.hubapi.com";
/// Where users are sent to install the app.
pub const DEFAULT_AUTHORIZE_URL: &str = "https://app.hubspot.com/oauth/authorize";

const CRM_OBJECTS: &str = "/crm/v3/objects";
const ASSOCIATIONS: &str = "/crm/v4/associations";
const OAUTH_TOKEN: &str = "/oauth/v1/token";
const OAUTH_TOKEN_INFO: &str = "/oauth/v1/access-tokens";

/// List endpoints return at most this many records a page.
pub const LIST_PAGE_LIMIT: u32 = 100;
/// Search returns at most this many records a page...
pub const SEARCH_PAGE_LIMIT: u32 = 200;
/// ... and at most this many results per query, however it is paged.
pub const SEARCH_RESULT_CAP: u64 = 10_000;
/// Batch read takes at most this many ids.
pub const BATCH_READ_LIMIT: usize = 100;
/// v4 association batch read takes at most this many ids.
pub const ASSOCIATION_BATCH_LIMIT: usize = 1_000;

pub fn list_objects(object_type: ObjectType) -> String {
    format!("{CRM_OBJECTS}/{}", object_type.as_str())
}

pub fn search_objects(object_type: ObjectType) -> String {
    format!("{CRM_OBJECTS}/{}/search", object_type.as_str())
}

pub fn batch_read_objects(object_type: ObjectType) -> String {
    format!("{CRM_OBJECTS}/{}/batch/read", object_type.as_str())
}

pub fn batch_read_associations(from: ObjectType, to: ObjectType) -> String {
    format!(
        "{ASSOCIATIONS}/{}/{}/batch/read",
        from.as_str(),
        to.as_str()
    )
}

pub fn oauth_token() -> &'static str {
    OAUTH_TOKEN
}

/// The token goes in the path (HubSpot's design); callers must never log this path.
pub fn oauth_token_info(access_token: &str) -> String {
    format!("{OAUTH_TOKEN_INFO}/{access_token}")
}

/// The property holding a record's last modification time, which incremental search filters on.
pub fn modified_date_property(object_type: ObjectType) -> &'static str {
    match object_type {
        ObjectType::Contacts => "lastmodifieddate",
        _ => "hs_lastmodifieddate",
    }
}

/// The properties the connector reads for each type (HubSpot returns only those asked for).
pub fn properties(object_type: ObjectType) -> &'static [&'static str] {
    match object_type {
        // Only what normalisation reads: a property asked for and never used is data kept for no
        // purpose (the README's "Your data").
        ObjectType::Companies => &[
            "name",
            "domain",
            "lifecyclestage",
            "notes_last_contacted",
            "notes_last_updated",
            "hs_last_sales_activity_timestamp",
            "total_revenue",
            // The account team's sentiment: support health's satisfaction factor.
            "hs_csm_sentiment",
            "hs_lastmodifieddate",
        ],
        // A contact is counted, staged and its latest NPS answer read (support's satisfaction),
        // never named: no email, name or phone is asked for.
        ObjectType::Contacts => &[
            "lifecyclestage",
            "hs_feedback_last_nps_rating",
            "lastmodifieddate",
        ],
        ObjectType::Deals => &[
            "amount",
            "dealstage",
            "closedate",
            "pipeline",
            "hs_is_closed_won",
            "hs_is_closed",
            "hs_lastmodifieddate",
        ],
        ObjectType::Tickets => &[
            "hs_pipeline_stage",
            "hs_ticket_priority",
            "hs_is_closed",
            "createdate",
            "closed_date",
            "time_to_close",
            "hs_lastmodifieddate",
        ],
        ObjectType::Calls => &[
            "hs_call_direction",
            "hs_call_status",
            "hs_call_duration",
            "hs_timestamp",
            "hs_lastmodifieddate",
        ],
        ObjectType::Emails => &[
            "hs_email_direction",
            "hs_email_status",
            "hs_timestamp",
            "hs_lastmodifieddate",
        ],
        ObjectType::Meetings => &[
            "hs_meeting_outcome",
            "hs_meeting_start_time",
            "hs_timestamp",
            "hs_lastmodifieddate",
        ],
        ObjectType::Notes => &["hs_timestamp", "hs_lastmodifieddate"],
        ObjectType::Tasks => &["hs_task_status", "hs_timestamp", "hs_lastmodifieddate"],
    }
}

/// The association targets the connector needs for each type: the client (company) for everything,
/// and the contacts of engagements (to resolve a client when the company link is missing, and for
/// adoption).
pub fn association_targets(object_type: ObjectType) -> &'static [ObjectType] {
    match object_type {
        ObjectType::Companies => &[],
        ObjectType::Contacts | ObjectType::Deals | ObjectType::Tickets => &[ObjectType::Companies],
        ObjectType::Calls
        | ObjectType::Emails
        | ObjectType::Meetings
        | ObjectType::Notes
        | ObjectType::Tasks => &[ObjectType::Companies, ObjectType::Contacts],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_personal_data_of_contacts_is_asked_for() {
        let personal = [
            "email",
            "firstname",
            "lastname",
            "phone",
            "mobilephone",
            "address",
        ];
        for object_type in ObjectType::ALL {
            for property in properties(object_type) {
                assert!(
                    !personal.contains(property),
                    "{object_type:?} asks for {property}"
                );
            }
        }
        assert_eq!(
            properties(ObjectType::Contacts),
            [
                "lifecyclestage",
                "hs_feedback_last_nps_rating",
                modified_date_property(ObjectType::Contacts)
            ]
        );
        assert!(properties(ObjectType::Companies).contains(&"hs_csm_sentiment"));
    }
}
