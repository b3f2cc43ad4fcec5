//! What matching knows of each side: a client of the tenant (from its CRM snapshot) and a record of
//! another platform (a PayPal payer today; a NinjaOne organisation, Pax8 company or Microsoft 365
//! tenant later). Both hold raw values; matching normalises them.

use crate::domain::{AccountRecord, ClientId, ClientSnapshot, ConnectionId, PayerRecord, Platform};

/// A client of the tenant as matching sees it. A client may have several domains (brands, a new
/// domain after a rename).
#[derive(Debug, Clone, PartialEq)]
pub struct ClientProfile {
    /// The CRM's id (a HubSpot company id): what a record's explicit reference names.
    pub client_id: ClientId,
    pub name: String,
    pub domains: Vec<String>,
}

impl From<&ClientSnapshot> for ClientProfile {
    fn from(snapshot: &ClientSnapshot) -> Self {
        Self {
            client_id: snapshot.client_id.clone(),
            name: snapshot.name.clone(),
            domains: snapshot.domain.iter().cloned().collect(),
        }
    }
}

/// Which record of which connection: the key of a record's correlations.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordKey {
    pub connection_id: ConnectionId,
    pub external_id: String,
}

/// A record of another platform as matching sees it. Every field is optional evidence; a platform
/// fills what it has.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordProfile {
    pub platform: Platform,
    pub connection_id: ConnectionId,
    /// The platform's id of the record (a PayPal payer id).
    pub external_id: String,
    /// Names the record goes by (a payer's own name, an organisation's name). They support a match but
    /// never speak against one: a payer's personal name differs from the company's by nature.
    pub names: Vec<String>,
    /// The record's business name (an invoice's `business_name`): supports a match, and speaks against
    /// it when it clearly differs from the client's name.
    pub business_name: Option<String>,
    /// The domain of the record's email address.
    pub email_domain: Option<String>,
    /// The record's website (a URL or a host).
    pub website: Option<String>,
    /// Domains the platform verified as the record's own (Microsoft 365 verified domains).
    pub verified_domains: Vec<String>,
    /// Merchant-set references that may hold the client's CRM id (PayPal `custom_id`, `invoice_id`,
    /// Pax8 `externalId`).
    pub reference_ids: Vec<String>,
    /// Hardware serials of the record's devices (NinjaOne, Intune): a record sharing serials with a
    /// record already linked to a client is likely the same client.
    pub device_serials: Vec<String>,
}

impl RecordProfile {
    pub fn key(&self) -> RecordKey {
        RecordKey {
            connection_id: self.connection_id.clone(),
            external_id: self.external_id.clone(),
        }
    }
}

impl From<&PayerRecord> for RecordProfile {
    fn from(payer: &PayerRecord) -> Self {
        Self {
            platform: payer.platform,
            connection_id: payer.connection_id.clone(),
            external_id: payer.external_id.clone(),
            names: payer.name.iter().cloned().collect(),
            business_name: payer.business_name.clone(),
            email_domain: payer.email_domain.clone(),
            website: None,
            verified_domains: Vec::new(),
            reference_ids: payer.reference_ids.clone(),
            device_serials: Vec::new(),
        }
    }
}

impl From<&AccountRecord> for RecordProfile {
    fn from(account: &AccountRecord) -> Self {
        let identity = &account.identity;
        Self {
            platform: account.platform,
            connection_id: account.connection_id.clone(),
            external_id: account.external_id.clone(),
            names: Vec::new(),
            // An organisation's, company's or tenant's name is the business's own name.
            business_name: Some(account.name.clone()).filter(|n| !n.trim().is_empty()),
            // The most common domain of its people's emails.
            email_domain: identity.email_domains.first().cloned(),
            website: identity.website.clone(),
            verified_domains: identity.verified_domains.clone(),
            reference_ids: identity.reference_ids.clone(),
            device_serials: account.device_serials(),
        }
    }
}
