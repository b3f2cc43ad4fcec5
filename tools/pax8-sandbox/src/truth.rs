//! What tests may know that a Pax8 client cannot: which company belongs to which CRM company, each
//! company's story, and every subscription's quantities over time.

use chrono::{DateTime, Utc};

use crate::model::{datetime, Alignment, SubscriptionStory};
use crate::state::read;
use crate::Sandbox;

/// One Pax8 company and the CRM company it really belongs to: the answer key for matching tests.
#[derive(Clone, Debug, PartialEq)]
pub struct CompanyTruth {
    /// The Pax8 company id (the account's external id).
    pub company_id: String,
    pub name: String,
    /// `None`: no CRM company's.
    pub hubspot_id: Option<String>,
    pub alignment: Alignment,
    pub story: SubscriptionStory,
    /// `Active`, `Inactive` or `Deleted` (a deleted company is listed but gone).
    pub status: String,
    pub website: Option<String>,
    pub external_id: Option<String>,
    /// Lower-cased domains of its contacts' emails.
    pub contact_domains: Vec<String>,
    pub subscriptions: Vec<SubscriptionTruth>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SubscriptionTruth {
    pub id: String,
    pub product_name: String,
    pub quantity: f64,
    pub status: String,
    pub billing_term: String,
    pub price: f64,
    pub updated_at: DateTime<Utc>,
    pub end_date: Option<DateTime<Utc>>,
    /// Every version's (from, quantity), oldest first.
    pub quantity_history: Vec<(DateTime<Utc>, f64)>,
}

impl Sandbox {
    /// Every generated company with its true CRM company, in generation order.
    pub fn truth(&self) -> Vec<CompanyTruth> {
        let world = read(&self.shared().world);
        world
            .companies
            .iter()
            .enumerate()
            .map(|(index, company)| CompanyTruth {
                company_id: company.id.clone(),
                name: company.name.clone(),
                hubspot_id: company.hubspot_id.clone(),
                alignment: company.alignment,
                story: company.story,
                status: company.status.to_owned(),
                website: company.website.clone(),
                external_id: company.external_id.clone(),
                contact_domains: company
                    .contacts
                    .iter()
                    .filter_map(|c| c.email.split_once('@').map(|(_, d)| d.to_ascii_lowercase()))
                    .collect(),
                subscriptions: world
                    .subscriptions
                    .iter()
                    .filter(|s| s.company == index)
                    .map(|s| SubscriptionTruth {
                        id: s.id.clone(),
                        product_name: world.products[s.product].name.to_owned(),
                        quantity: s.current().quantity,
                        status: s.current().status.to_owned(),
                        billing_term: s.billing_term.to_owned(),
                        price: s.price,
                        updated_at: datetime(s.current().at_ms),
                        end_date: s.end_ms.map(datetime),
                        quantity_history: s
                            .versions
                            .iter()
                            .map(|v| (datetime(v.at_ms), v.quantity))
                            .collect(),
                    })
                    .collect(),
            })
            .collect()
    }
}
