//! HubSpot records into the connector's platform-neutral records. Every value is parsed with the
//! shared property parsers: a value that does not parse is missing data, never an error.

use crate::domain::{
    CompanyActivity, ContactSummary, CsmSentiment, Deal, Direction, Engagement, EngagementKind,
    ObjectType, Ticket, TicketPriority,
};
use crate::ports::source::{CompanyFields, CrmRecord, RecordBody};
use crate::sources::hubspot::api;
use crate::sources::hubspot::props::{boolean, datetime, number, text};
use crate::sources::hubspot::wire::WireRecord;
use chrono::{DateTime, Utc};

/// HubSpot's default ticket pipeline closes tickets in stage `4`.
const DEFAULT_PIPELINE_CLOSED_STAGE: &str = "4";

/// The record, or `None` when it cannot be used at all (an engagement with no time).
pub fn to_record(
    object_type: ObjectType,
    wire: &WireRecord,
    company_ids: Vec<String>,
    contact_ids: Vec<String>,
) -> Option<CrmRecord> {
    let id = wire.id.0.clone();
    let p = |name: &str| wire.property(name);
    let created_at = datetime(wire.created_at.as_deref()).or_else(|| datetime(p("createdate")));
    let modified_at = datetime(p(api::modified_date_property(object_type)))
        .or_else(|| datetime(wire.updated_at.as_deref()));
    let body = match object_type {
        ObjectType::Companies => RecordBody::Company(company(wire, &id)),
        ObjectType::Contacts => RecordBody::Contact(ContactSummary {
            id: id.clone(),
            lifecycle_stage: lower(p("lifecyclestage")),
            nps_rating: nps_rating(p("hs_feedback_last_nps_rating")),
        }),
        ObjectType::Deals => RecordBody::Deal(deal(wire, &id)),
        ObjectType::Tickets => RecordBody::Ticket(ticket(wire, &id, created_at)),
        kind => RecordBody::Engagement(engagement(kind, wire, &id, created_at.or(modified_at))?),
    };
    Some(CrmRecord {
        object_type,
        id,
        modified_at,
        body,
        company_ids,
        contact_ids,
    })
}

/// An NPS answer is a whole number 0-10; anything else (a fraction, 11, text) is no answer.
fn nps_rating(value: Option<&str>) -> Option<u8> {
    number(value)
        .filter(|n| n.fract() == 0.0 && (0.0..=10.0).contains(n))
        .map(|n| n as u8)
}

fn lower(value: Option<&str>) -> Option<String> {
    text(value).map(str::to_lowercase)
}

fn company(wire: &WireRecord, id: &str) -> CompanyFields {
    let p = |name: &str| wire.property(name);
    let domain = lower(p("domain"));
    let name = text(p("name"))
        .map(str::to_owned)
        .or_else(|| domain.clone())
        .unwrap_or_else(|| format!("Company {id}"));
    CompanyFields {
        name,
        domain,
        lifecycle_stage: lower(p("lifecyclestage")),
        activity: CompanyActivity {
            last_contacted: datetime(p("notes_last_contacted")),
            last_sales_activity: datetime(p("hs_last_sales_activity_timestamp")),
            last_updated_notes: datetime(p("notes_last_updated")),
        },
        reported_revenue: number(p("total_revenue")),
        csm_sentiment: text(p("hs_csm_sentiment")).and_then(CsmSentiment::from_crm),
    }
}

fn deal(wire: &WireRecord, id: &str) -> Deal {
    let p = |name: &str| wire.property(name);
    let stage = lower(p("dealstage"));
    let won_by_stage = stage.as_deref() == Some("closedwon");
    let lost_by_stage = stage.as_deref() == Some("closedlost");
    let is_closed_won = boolean(p("hs_is_closed_won")).unwrap_or(won_by_stage);
    let is_closed =
        boolean(p("hs_is_closed")).unwrap_or(won_by_stage || lost_by_stage) || is_closed_won;
    Deal {
        id: id.to_owned(),
        amount: number(p("amount")),
        is_closed,
        is_closed_won,
        close_date: datetime(p("closedate")),
        stage,
    }
}

fn ticket(wire: &WireRecord, id: &str, created_at: Option<DateTime<Utc>>) -> Ticket {
    let p = |name: &str| wire.property(name);
    let closed_at = datetime(p("closed_date"));
    let stage = text(p("hs_pipeline_stage"));
    let closed = closed_at.is_some()
        || boolean(p("hs_is_closed")).unwrap_or(false)
        || stage.is_some_and(|s| {
            s == DEFAULT_PIPELINE_CLOSED_STAGE || s.eq_ignore_ascii_case("closed")
        });
    let priority =
        text(p("hs_ticket_priority")).and_then(|v| match v.to_ascii_uppercase().as_str() {
            "LOW" => Some(TicketPriority::Low),
            "MEDIUM" => Some(TicketPriority::Medium),
            "HIGH" => Some(TicketPriority::High),
            "URGENT" => Some(TicketPriority::Urgent),
            _ => None,
        });
    Ticket {
        id: id.to_owned(),
        is_open: !closed,
        priority,
        created_at: datetime(p("createdate")).or(created_at),
        closed_at,
    }
}

fn engagement(
    object_type: ObjectType,
    wire: &WireRecord,
    id: &str,
    fallback_time: Option<DateTime<Utc>>,
) -> Option<Engagement> {
    let p = |name: &str| wire.property(name);
    let upper = |name: &str| text(p(name)).map(str::to_ascii_uppercase);
    let (kind, direction, completed, own_time) = match object_type {
        ObjectType::Calls => (
            EngagementKind::Call,
            match upper("hs_call_direction").as_deref() {
                Some("INBOUND") => Some(Direction::Inbound),
                Some("OUTBOUND") => Some(Direction::Outbound),
                _ => None,
            },
            upper("hs_call_status").as_deref() == Some("COMPLETED"),
            None,
        ),
        ObjectType::Emails => (
            EngagementKind::Email,
            match upper("hs_email_direction").as_deref() {
                Some("INCOMING_EMAIL") => Some(Direction::Inbound),
                // A forwarded email is sent by the team, like a plain sent one.
                Some("EMAIL") | Some("FORWARDED_EMAIL") => Some(Direction::Outbound),
                _ => None,
            },
            false,
            None,
        ),
        ObjectType::Meetings => (
            EngagementKind::Meeting,
            None,
            upper("hs_meeting_outcome").as_deref() == Some("COMPLETED"),
            datetime(p("hs_meeting_start_time")),
        ),
        ObjectType::Notes => (EngagementKind::Note, None, false, None),
        ObjectType::Tasks => (
            EngagementKind::Task,
            None,
            upper("hs_task_status").as_deref() == Some("COMPLETED"),
            None,
        ),
        _ => return None,
    };
    let occurred_at = datetime(p("hs_timestamp")).or(own_time).or(fallback_time)?;
    Some(Engagement {
        id: id.to_owned(),
        kind,
        direction,
        occurred_at,
        completed,
        contact_ids: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::hubspot::wire::RecordsPage;

    fn one(json: &str) -> WireRecord {
        let page: RecordsPage =
            serde_json::from_str(&format!(r#"{{"results":[{json}]}}"#)).unwrap();
        page.results.into_iter().next().unwrap()
    }

    #[test]
    fn company_fields_parse_and_junk_is_missing() {
        let wire = one(
            r#"{"id":"7","properties":{"name":" Acme ","domain":"ACME.com","lifecyclestage":"Customer",
            "notes_last_contacted":"1572480000000","total_revenue":"n/a","hs_lastmodifieddate":"2024-09-11T13:27:39.356Z"}}"#,
        );
        let record = to_record(ObjectType::Companies, &wire, vec![], vec![]).unwrap();
        let RecordBody::Company(c) = &record.body else {
            panic!("company expected")
        };
        assert_eq!(c.name, "Acme");
        assert_eq!(c.domain.as_deref(), Some("acme.com"));
        assert_eq!(c.lifecycle_stage.as_deref(), Some("customer"));
        assert_eq!(
            c.activity.last_contacted.map(|d| d.timestamp_millis()),
            Some(1_572_480_000_000)
        );
        assert_eq!(c.reported_revenue, None);
        assert!(record.modified_at.is_some());
    }

    #[test]
    fn satisfaction_signals_parse_and_junk_is_no_data() {
        let sentiment = |value: &str| {
            let wire = one(&format!(
                r#"{{"id":"7","properties":{{"name":"A","hs_csm_sentiment":{value}}}}}"#
            ));
            match to_record(ObjectType::Companies, &wire, vec![], vec![])
                .unwrap()
                .body
            {
                RecordBody::Company(c) => c.csm_sentiment,
                _ => panic!("company expected"),
            }
        };
        assert_eq!(sentiment(r#""Negative""#), Some(CsmSentiment::Negative));
        assert_eq!(sentiment(r#""GOOD""#), Some(CsmSentiment::Positive));
        assert_eq!(sentiment(r#""somewhat""#), None);
        assert_eq!(sentiment("null"), None);

        let nps = |value: &str| {
            let wire = one(&format!(
                r#"{{"id":"8","properties":{{"hs_feedback_last_nps_rating":{value}}}}}"#
            ));
            match to_record(ObjectType::Contacts, &wire, vec![], vec![])
                .unwrap()
                .body
            {
                RecordBody::Contact(c) => c.nps_rating,
                _ => panic!("contact expected"),
            }
        };
        assert_eq!(nps(r#""9""#), Some(9));
        assert_eq!(nps(r#""0""#), Some(0));
        assert_eq!(nps(r#""11""#), None);
        assert_eq!(nps(r#""7.5""#), None);
        assert_eq!(nps(r#""n/a""#), None);
        assert_eq!(nps("null"), None);
    }

    #[test]
    fn unnamed_company_falls_back_to_domain_then_id() {
        let wire = one(r#"{"id":"9","properties":{"name":"","domain":null}}"#);
        let record = to_record(ObjectType::Companies, &wire, vec![], vec![]).unwrap();
        let RecordBody::Company(c) = record.body else {
            panic!("company expected")
        };
        assert_eq!(c.name, "Company 9");
    }

    #[test]
    fn deals_and_tickets_derive_their_state() {
        let won = one(
            r#"{"id":"1","properties":{"amount":"5000.5","dealstage":"closedwon","hs_is_closed_won":null}}"#,
        );
        let RecordBody::Deal(d) = to_record(ObjectType::Deals, &won, vec!["7".into()], vec![])
            .unwrap()
            .body
        else {
            panic!("deal expected")
        };
        assert!(d.is_closed && d.is_closed_won);
        assert_eq!(d.amount, Some(5000.5));

        let open = one(
            r#"{"id":"2","properties":{"hs_pipeline_stage":"2","hs_ticket_priority":"urgent","createdate":"2024-01-01"}}"#,
        );
        let RecordBody::Ticket(t) = to_record(ObjectType::Tickets, &open, vec![], vec![])
            .unwrap()
            .body
        else {
            panic!("ticket expected")
        };
        assert!(t.is_open);
        assert_eq!(t.priority, Some(TicketPriority::Urgent));
        let closed = one(r#"{"id":"3","properties":{"hs_pipeline_stage":"4"}}"#);
        let RecordBody::Ticket(t) = to_record(ObjectType::Tickets, &closed, vec![], vec![])
            .unwrap()
            .body
        else {
            panic!("ticket expected")
        };
        assert!(!t.is_open);
    }

    #[test]
    fn engagements_map_direction_outcome_and_time() {
        let email = one(
            r#"{"id":"4","properties":{"hs_email_direction":"INCOMING_EMAIL","hs_timestamp":"2024-09-11T13:27:39Z"}}"#,
        );
        let RecordBody::Engagement(e) = to_record(ObjectType::Emails, &email, vec![], vec![])
            .unwrap()
            .body
        else {
            panic!("engagement expected")
        };
        assert_eq!(
            (e.kind, e.direction),
            (EngagementKind::Email, Some(Direction::Inbound))
        );

        let meeting = one(
            r#"{"id":"5","properties":{"hs_meeting_outcome":"COMPLETED","hs_meeting_start_time":"1572480000000"}}"#,
        );
        let RecordBody::Engagement(e) = to_record(ObjectType::Meetings, &meeting, vec![], vec![])
            .unwrap()
            .body
        else {
            panic!("engagement expected")
        };
        assert!(e.completed);
        assert_eq!(e.occurred_at.timestamp_millis(), 1_572_480_000_000);

        let timeless = one(r#"{"id":"6","properties":{"hs_note_body":"x"}}"#);
        assert!(to_record(ObjectType::Notes, &timeless, vec![], vec![]).is_none());
    }
}
