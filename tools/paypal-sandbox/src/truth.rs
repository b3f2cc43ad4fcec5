//! What tests may know that a PayPal client cannot: which payer belongs to which CRM company, every
//! row with the instant it becomes visible, and the webhook deliveries made.

use chrono::{DateTime, Utc};

use crate::model::{datetime, money_value, Alignment, PaymentStory};
use crate::state::read;
use crate::Sandbox;

/// One payer and the CRM company it really belongs to: the answer key for matching tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayerTruth {
    /// `payer_info.account_id` / `subscriber.payer_id`.
    pub payer_id: String,
    pub email: String,
    pub name: String,
    /// The business name on the payer's PayPal profile (`payer_name.alternate_full_name`).
    pub business_name: Option<String>,
    /// What the merchant put in `custom_id` / `custom_field` / the invoice reference.
    pub custom_id: Option<String>,
    /// `None`: the payer is no CRM company's.
    pub hubspot_company_id: Option<String>,
    pub alignment: Alignment,
    pub story: PaymentStory,
    pub invoice_ids: Vec<String>,
    pub subscription_ids: Vec<String>,
    pub dispute_ids: Vec<String>,
}

/// One Transaction Search row as the sandbox holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransactionFact {
    pub transaction_id: String,
    pub event_code: String,
    /// `D`, `P`, `S` or `V`.
    pub status: char,
    /// `transaction_amount.value`.
    pub amount: String,
    pub payer_id: String,
    pub initiated_at: DateTime<Utc>,
    /// From this instant on, Transaction Search shows the row.
    pub visible_at: DateTime<Utc>,
    pub balance_affecting: bool,
    /// `paypal_reference_id`: the original transaction, or the subscription.
    pub reference_id: Option<String>,
}

/// A webhook the sandbox posted.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookDelivery {
    /// The receiver's HTTP status.
    pub status: u16,
    pub transmission_id: String,
    pub event: serde_json::Value,
}

impl Sandbox {
    /// Every payer with its true CRM company, alignment and story, in generation order.
    pub fn ground_truth(&self) -> Vec<PayerTruth> {
        let world = read(&self.running.shared.world);
        world
            .payers
            .iter()
            .enumerate()
            .map(|(index, payer)| PayerTruth {
                payer_id: payer.account_id.clone(),
                email: payer.email.clone(),
                name: payer.full_name(),
                business_name: payer.business_name.clone(),
                custom_id: payer.custom_id.clone(),
                hubspot_company_id: payer.hubspot_company_id.clone(),
                alignment: payer.alignment,
                story: payer.story,
                invoice_ids: world
                    .invoices
                    .iter()
                    .filter(|i| i.payer == index)
                    .map(|i| i.id.clone())
                    .collect(),
                subscription_ids: world
                    .subscriptions
                    .iter()
                    .filter(|s| s.payer == index)
                    .map(|s| s.id.clone())
                    .collect(),
                dispute_ids: world
                    .disputes
                    .iter()
                    .filter(|d| d.payer == index)
                    .map(|d| d.id.clone())
                    .collect(),
            })
            .collect()
    }

    /// Every transaction row, visible yet or not, in initiation order.
    pub fn transactions(&self) -> Vec<TransactionFact> {
        let world = read(&self.running.shared.world);
        let mut rows: Vec<TransactionFact> = world
            .transactions
            .iter()
            .map(|row| TransactionFact {
                transaction_id: row.transaction_id.clone(),
                event_code: row.event_code.to_owned(),
                status: row.status,
                amount: money_value(row.amount_cents),
                payer_id: world.payers[row.payer].account_id.clone(),
                initiated_at: datetime(row.initiation_ms),
                visible_at: datetime(row.visible_ms),
                balance_affecting: row.balance_affecting,
                reference_id: row.reference.as_ref().map(|(id, _)| id.clone()),
            })
            .collect();
        rows.sort_by_key(|r| r.initiated_at);
        rows
    }
}
