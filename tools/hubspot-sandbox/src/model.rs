//! The portal's data: records of each object type, kept in id order so list paging is a binary search.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat};

/// The CRM object types the sandbox serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum ObjectType {
    Companies,
    Contacts,
    Deals,
    Tickets,
    Calls,
    Emails,
    Meetings,
    Notes,
    Tasks,
}

impl ObjectType {
    pub(crate) const ALL: [ObjectType; 9] = [
        ObjectType::Companies,
        ObjectType::Contacts,
        ObjectType::Deals,
        ObjectType::Tickets,
        ObjectType::Calls,
        ObjectType::Emails,
        ObjectType::Meetings,
        ObjectType::Notes,
        ObjectType::Tasks,
    ];
    pub(crate) const ENGAGEMENTS: [ObjectType; 5] = [
        ObjectType::Calls,
        ObjectType::Emails,
        ObjectType::Meetings,
        ObjectType::Notes,
        ObjectType::Tasks,
    ];

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The plural name used in paths (`/crm/v3/objects/companies`).
    pub(crate) fn plural(self) -> &'static str {
        match self {
            ObjectType::Companies => "companies",
            ObjectType::Contacts => "contacts",
            ObjectType::Deals => "deals",
            ObjectType::Tickets => "tickets",
            ObjectType::Calls => "calls",
            ObjectType::Emails => "emails",
            ObjectType::Meetings => "meetings",
            ObjectType::Notes => "notes",
            ObjectType::Tasks => "tasks",
        }
    }

    /// The singular name HubSpot uses in association type names (`contact_to_company`) and webhooks.
    pub(crate) fn singular(self) -> &'static str {
        match self {
            ObjectType::Companies => "company",
            ObjectType::Contacts => "contact",
            ObjectType::Deals => "deal",
            ObjectType::Tickets => "ticket",
            ObjectType::Calls => "call",
            ObjectType::Emails => "email",
            ObjectType::Meetings => "meeting",
            ObjectType::Notes => "note",
            ObjectType::Tasks => "task",
        }
    }

    fn type_id(self) -> &'static str {
        match self {
            ObjectType::Contacts => "0-1",
            ObjectType::Companies => "0-2",
            ObjectType::Deals => "0-3",
            ObjectType::Tickets => "0-5",
            ObjectType::Calls => "0-48",
            ObjectType::Emails => "0-49",
            ObjectType::Meetings => "0-47",
            ObjectType::Notes => "0-46",
            ObjectType::Tasks => "0-27",
        }
    }

    /// Accepts the plural, the singular and the numeric object type id, as HubSpot does.
    pub(crate) fn parse(name: &str) -> Option<ObjectType> {
        let lower = name.to_ascii_lowercase();
        ObjectType::ALL
            .into_iter()
            .find(|t| t.plural() == lower || t.singular() == lower || t.type_id() == lower)
    }

    /// The property that moves whenever the record changes (the incremental sync cursor).
    pub(crate) fn modified_property(self) -> &'static str {
        match self {
            ObjectType::Contacts => "lastmodifieddate",
            _ => "hs_lastmodifieddate",
        }
    }

    /// The name HubSpot uses for the object in batch error messages (`COMPANY`).
    pub(crate) fn upper_name(self) -> String {
        self.singular().to_ascii_uppercase()
    }

    /// Properties returned when a request names none.
    pub(crate) fn default_properties(self) -> &'static [&'static str] {
        match self {
            ObjectType::Companies => &[
                "createdate",
                "domain",
                "hs_lastmodifieddate",
                "hs_object_id",
                "name",
            ],
            ObjectType::Contacts => &[
                "createdate",
                "email",
                "firstname",
                "hs_object_id",
                "lastmodifieddate",
                "lastname",
            ],
            ObjectType::Deals => &[
                "amount",
                "closedate",
                "createdate",
                "dealname",
                "dealstage",
                "hs_lastmodifieddate",
                "hs_object_id",
                "pipeline",
            ],
            ObjectType::Tickets => &[
                "content",
                "createdate",
                "hs_lastmodifieddate",
                "hs_object_id",
                "hs_pipeline",
                "hs_pipeline_stage",
                "hs_ticket_category",
                "hs_ticket_priority",
                "subject",
            ],
            _ => &["createdate", "hs_lastmodifieddate", "hs_object_id"],
        }
    }

    /// Every property the portal defines for the type: requested ones the record lacks come back as null.
    pub(crate) fn schema(self) -> &'static [&'static str] {
        match self {
            ObjectType::Companies => &[
                "name",
                "domain",
                "lifecyclestage",
                "notes_last_contacted",
                "notes_last_updated",
                "hs_last_sales_activity_timestamp",
                "num_associated_contacts",
                "hs_num_open_deals",
                "total_revenue",
                "recent_deal_amount",
                "annualrevenue",
                "hs_csm_sentiment",
                "industry",
                "hubspot_owner_id",
                "createdate",
                "hs_lastmodifieddate",
                "hs_object_id",
            ],
            ObjectType::Contacts => &[
                "email",
                "firstname",
                "lastname",
                "lifecyclestage",
                "hs_email_open",
                "hs_email_click",
                "hs_email_replied",
                "hs_sales_email_last_replied",
                "hs_analytics_num_visits",
                "hs_feedback_last_nps_rating",
                "createdate",
                "lastmodifieddate",
                "hs_object_id",
            ],
            ObjectType::Deals => &[
                "dealname",
                "amount",
                "dealstage",
                "closedate",
                "pipeline",
                "hs_is_closed_won",
                "hs_is_closed",
                "createdate",
                "hs_lastmodifieddate",
                "hs_object_id",
            ],
            ObjectType::Tickets => &[
                "subject",
                "content",
                "hs_pipeline",
                "hs_pipeline_stage",
                "hs_ticket_priority",
                "hs_ticket_category",
                "createdate",
                "closed_date",
                "time_to_close",
                "hs_lastmodifieddate",
                "hs_object_id",
            ],
            ObjectType::Calls => &[
                "hs_call_title",
                "hs_call_direction",
                "hs_call_status",
                "hs_call_duration",
                "hs_timestamp",
                "createdate",
                "hs_lastmodifieddate",
                "hs_object_id",
            ],
            ObjectType::Emails => &[
                "hs_email_subject",
                "hs_email_direction",
                "hs_email_status",
                "hs_timestamp",
                "createdate",
                "hs_lastmodifieddate",
                "hs_object_id",
            ],
            ObjectType::Meetings => &[
                "hs_meeting_title",
                "hs_meeting_outcome",
                "hs_meeting_start_time",
                "hs_meeting_end_time",
                "hs_timestamp",
                "createdate",
                "hs_lastmodifieddate",
                "hs_object_id",
            ],
            ObjectType::Notes => &[
                "hs_note_body",
                "hs_timestamp",
                "createdate",
                "hs_lastmodifieddate",
                "hs_object_id",
            ],
            ObjectType::Tasks => &[
                "hs_task_subject",
                "hs_task_body",
                "hs_task_status",
                "hs_task_priority",
                "hs_task_type",
                "hubspot_owner_id",
                "hs_timestamp",
                "createdate",
                "hs_lastmodifieddate",
                "hs_object_id",
            ],
        }
    }
}

/// HubSpot's association type id for the default (unlabeled) association between two object types.
pub(crate) fn association_type_id(from: ObjectType, to: ObjectType) -> u32 {
    use ObjectType::*;
    match (from, to) {
        (Contacts, Companies) => 279,
        (Companies, Contacts) => 280,
        (Deals, Contacts) => 3,
        (Contacts, Deals) => 4,
        (Deals, Companies) => 341,
        (Companies, Deals) => 342,
        (Tickets, Contacts) => 16,
        (Contacts, Tickets) => 15,
        (Tickets, Companies) => 339,
        (Companies, Tickets) => 340,
        (Companies, Calls) => 181,
        (Calls, Companies) => 182,
        (Companies, Emails) => 185,
        (Emails, Companies) => 186,
        (Companies, Meetings) => 187,
        (Meetings, Companies) => 188,
        (Companies, Notes) => 189,
        (Notes, Companies) => 190,
        (Companies, Tasks) => 191,
        (Tasks, Companies) => 192,
        (Contacts, Calls) => 193,
        (Calls, Contacts) => 194,
        (Contacts, Emails) => 197,
        (Emails, Contacts) => 198,
        (Contacts, Meetings) => 199,
        (Meetings, Contacts) => 200,
        (Contacts, Notes) => 201,
        (Notes, Contacts) => 202,
        (Contacts, Tasks) => 203,
        (Tasks, Contacts) => 204,
        _ => 0,
    }
}

/// One CRM record.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Record {
    pub id: u64,
    /// Property values in insertion order; names are shared across records.
    pub props: Vec<(Arc<str>, Option<String>)>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub archived_ms: Option<i64>,
    /// Associated records of other types (both directions are stored).
    pub assoc: Vec<(ObjectType, u64)>,
}

impl Record {
    /// A record with no properties or links (a placeholder the lazy base never serves).
    pub(crate) fn empty(id: u64) -> Record {
        Record {
            id,
            props: Vec::new(),
            created_ms: 0,
            updated_ms: 0,
            archived_ms: None,
            assoc: Vec::new(),
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Option<String>> {
        self.props
            .iter()
            .find(|(k, _)| &**k == name)
            .map(|(_, v)| v)
    }

    pub(crate) fn is_live(&self) -> bool {
        self.archived_ms.is_none()
    }

    pub(crate) fn set(&mut self, key: Arc<str>, value: Option<String>) {
        match self.props.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.props.push((key, value)),
        }
    }
}

/// All records of one type, sorted by id (ids only grow, so appending keeps the order).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ObjectTable {
    pub records: Vec<Record>,
}

impl ObjectTable {
    pub(crate) fn position(&self, id: u64) -> Option<usize> {
        self.records.binary_search_by_key(&id, |r| r.id).ok()
    }

    pub(crate) fn get(&self, id: u64) -> Option<&Record> {
        self.position(id).map(|i| &self.records[i])
    }

    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut Record> {
        self.position(id).map(move |i| &mut self.records[i])
    }

    /// Index of the first record whose id is at least `id`.
    pub(crate) fn first_at_or_after(&self, id: u64) -> usize {
        self.records.partition_point(|r| r.id < id)
    }
}

/// Shares property-name strings between records.
#[derive(Clone, Debug, Default)]
pub(crate) struct Interner {
    names: HashMap<Box<str>, Arc<str>>,
}

impl Interner {
    pub(crate) fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(found) = self.names.get(name) {
            return found.clone();
        }
        let shared: Arc<str> = Arc::from(name);
        self.names.insert(Box::from(name), shared.clone());
        shared
    }
}

/// The whole portal. With a lazy base, the tables hold only the records written, created or
/// archived during the run (the overlay); every other record is built from the base when read.
#[derive(Clone, Debug)]
pub(crate) struct Portal {
    pub tables: [ObjectTable; 9],
    pub next_id: u64,
    pub interner: Interner,
    pub lazy: Option<Arc<crate::generate::LazyPortal>>,
}

impl PartialEq for Portal {
    fn eq(&self, other: &Self) -> bool {
        self.tables == other.tables && self.next_id == other.next_id
    }
}

impl Portal {
    pub(crate) fn table(&self, object_type: ObjectType) -> &ObjectTable {
        &self.tables[object_type.index()]
    }

    pub(crate) fn table_mut(&mut self, object_type: ObjectType) -> &mut ObjectTable {
        &mut self.tables[object_type.index()]
    }

    /// Links two records both ways; false when either is missing or archived.
    pub(crate) fn associate(&mut self, a: (ObjectType, u64), b: (ObjectType, u64)) -> bool {
        let both_live = self.live(a.0, a.1).is_some() && self.live(b.0, b.1).is_some();
        if !both_live {
            return false;
        }
        for (from, to) in [(a, b), (b, a)] {
            if let Some(rec) = self.record_mut(from.0, from.1) {
                if !rec.assoc.contains(&to) {
                    rec.assoc.push(to);
                }
            }
        }
        true
    }

    /// Marks the record as modified now: the modified-date property and `updatedAt` move together.
    pub(crate) fn touch(&mut self, object_type: ObjectType, id: u64, now_ms: i64) {
        let key = self.interner.get(object_type.modified_property());
        if let Some(rec) = self.record_mut(object_type, id) {
            rec.updated_ms = now_ms;
            rec.set(key, Some(iso_millis(now_ms)));
        }
    }

    /// Archives the record and drops its associations (HubSpot removes them with the record).
    pub(crate) fn archive(&mut self, object_type: ObjectType, id: u64, now_ms: i64) -> bool {
        if self.live(object_type, id).is_none() {
            return false;
        }
        let links = match self.record_mut(object_type, id) {
            Some(rec) => {
                rec.archived_ms = Some(now_ms);
                rec.updated_ms = now_ms;
                std::mem::take(&mut rec.assoc)
            }
            None => return false,
        };
        for (other_type, other_id) in links {
            if let Some(other) = self.record_mut(other_type, other_id) {
                other.assoc.retain(|link| *link != (object_type, id));
            }
        }
        true
    }
}

/// `2024-09-11T13:27:39.356Z`, the form HubSpot uses for dates.
pub(crate) fn iso_millis(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A property value as a number: plain numbers, epoch milliseconds, ISO 8601 timestamps and dates.
pub(crate) fn numeric_value(value: &str) -> Option<f64> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return None;
    }
    if let Ok(number) = trimmed.parse::<f64>() {
        return number.is_finite().then_some(number);
    }
    if let Ok(date_time) = DateTime::parse_from_rfc3339(trimmed) {
        return Some(date_time.timestamp_millis() as f64);
    }
    chrono::NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc().timestamp_millis() as f64)
}
