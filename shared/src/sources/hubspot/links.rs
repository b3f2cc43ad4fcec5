//! Links to a portal's records in HubSpot's own app, for people to open from the dashboard:
//! `https://app.hubspot.com/contacts/<portal id>/company/<company id>`.
//!
//! HubSpot hosts each account in one data centre (its "hublet"). Accounts in `na1` open on
//! `app.hubspot.com`, the others on `app-<hublet>.hubspot.com`: an EU account's records are on
//! `app-eu1.hubspot.com`. HubSpot's account-info API names the hublet (`dataHostingLocation`,
//! `uiDomain`); the tenant does not record it yet, so callers pass `None` and get the `na1` host
//! until it does.

/// The kinds of record a link can open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Company,
    Contact,
    Deal,
    Ticket,
}

impl RecordKind {
    fn path(self) -> &'static str {
        match self {
            RecordKind::Company => "company",
            RecordKind::Contact => "contact",
            RecordKind::Deal => "deal",
            RecordKind::Ticket => "ticket",
        }
    }
}

/// Builds the links of one portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordLinks {
    host: String,
    portal_id: u64,
}

impl RecordLinks {
    /// `hublet` as HubSpot names it (`na1`, `eu1`); `None` or an unrecognisable value gives the
    /// `na1` host, where most accounts live.
    pub fn new(portal_id: u64, hublet: Option<&str>) -> Self {
        let host = match hublet.map(str::trim).map(str::to_ascii_lowercase) {
            Some(h)
                if h != "na1"
                    && !h.is_empty()
                    && h.len() <= 8
                    && h.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                format!("app-{h}.hubspot.com")
            }
            _ => "app.hubspot.com".to_owned(),
        };
        Self { host, portal_id }
    }

    /// The record's page; `None` for an id that is not HubSpot's (HubSpot ids are digits), so no
    /// stored string can shape the URL.
    pub fn record(&self, kind: RecordKind, id: &str) -> Option<String> {
        (!id.is_empty() && id.chars().all(|c| c.is_ascii_digit())).then(|| {
            format!(
                "https://{}/contacts/{}/{}/{id}",
                self.host,
                self.portal_id,
                kind.path()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_company_opens_on_the_portal_s_own_host() {
        let na = RecordLinks::new(1001, None);
        assert_eq!(
            na.record(RecordKind::Company, "5120").unwrap(),
            "https://app.hubspot.com/contacts/1001/company/5120"
        );
        assert_eq!(
            RecordLinks::new(1001, Some("na1"))
                .record(RecordKind::Deal, "7")
                .unwrap(),
            "https://app.hubspot.com/contacts/1001/deal/7"
        );
        let eu = RecordLinks::new(2002, Some("EU1"));
        assert_eq!(
            eu.record(RecordKind::Contact, "42").unwrap(),
            "https://app-eu1.hubspot.com/contacts/2002/contact/42"
        );
        assert_eq!(
            eu.record(RecordKind::Ticket, "9").unwrap(),
            "https://app-eu1.hubspot.com/contacts/2002/ticket/9"
        );
    }

    #[test]
    fn only_hubspot_ids_and_hublets_shape_a_link() {
        let links = RecordLinks::new(1001, Some("evil.example.com/"));
        assert_eq!(
            links.record(RecordKind::Company, "1").unwrap(),
            "https://app.hubspot.com/contacts/1001/company/1"
        );
        assert_eq!(links.record(RecordKind::Company, "../x"), None);
        assert_eq!(links.record(RecordKind::Company, ""), None);
    }
}
